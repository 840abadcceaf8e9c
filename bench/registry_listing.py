"""Registry listing speed through the local ACR-compatible server: prints figures, asserts nothing.

    python bench/registry_listing.py [--repos 1000] [--latency-ms 20] [--runs 3] [--tags 0]
                                     [--concurrency 16] [--cprofile FILE]

Lists every repository with its properties — what the Registry pane and `aztui registry ls` do —
through the real azure-containerregistry client over HTTPS with the anonymous Bearer token flow
(one token per repository scope, as on ACR), against tests/support/acr_server.py serving
synthetic metadata. `--latency-ms` delays every metadata answer, as a network would (the
issue's target: 1,000 repositories at 20 ms, first rows under 1 s, all under 5 s).
`--tags N` gives each repository N tags and lists them too (`registry ls`).

Prints, as the median of `--runs`:
- first rows: from opening the registry to the first repository with its properties;
- all: to the last one;
- requests: every HTTP request the client sent (token requests and challenges included);
- CPU per request: this process's CPU time over the listing / requests (the server runs in
  its own process, so its CPU is not counted).
`--cprofile FILE` also writes a cProfile of one run (read it with `python -m pstats FILE`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aztui.azure.acr import AcrRegistry  # noqa: E402
from aztui.azure.clients import http_transport  # noqa: E402
from aztui.profiles.model import Profile  # noqa: E402
from tests.support.acr_server import AcrServer  # noqa: E402


class CountingTransport:
    """aztui's own transport for the profile, counting the requests it sends."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.requests = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def send(self, request: Any, **kwargs: Any) -> Any:
        self.requests += 1
        return await self.inner.send(request, **kwargs)


async def list_all(profile: Profile, *, concurrency: int, tags: bool) -> dict[str, float]:
    transport = CountingTransport(http_transport(profile))
    cpu, started = time.process_time(), time.perf_counter()
    first = None
    repos = tag_count = 0
    async with AcrRegistry(profile, {}, transport=transport, concurrency=concurrency) as registry:
        names = []
        async for repo in registry.iter_repositories():
            first = first if first is not None else time.perf_counter() - started
            repos += 1
            names.append(repo.name)
        if tags:
            gate = asyncio.Semaphore(concurrency)

            async def count(name: str) -> int:
                async with gate:
                    return len(await registry.list_tags(name))

            tag_count = sum(await asyncio.gather(*(count(n) for n in names)))
    total = time.perf_counter() - started
    cpu = time.process_time() - cpu
    return {"first": first or total, "total": total, "requests": transport.requests,
            "cpu_ms_per_request": cpu * 1000 / max(1, transport.requests), "repos": repos, "tags": tag_count}


def serve(args: argparse.Namespace, synthetic: dict) -> None:
    cert = str(Path(args.serve) / "cert.pem")
    with AcrServer(cert, cert, synthetic=synthetic, latency=args.latency_ms / 1000) as server:
        print(json.dumps({"url": server.url}), flush=True)
        sys.stdin.read()          # until the parent closes our stdin
    print(json.dumps({"cpu": time.process_time(), "requests": len(server.requests)}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--tags", type=int, default=0, help="tags per repository, listed too (0: not listed)")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--cprofile", metavar="FILE", help="write a cProfile of one more run to FILE")
    parser.add_argument("--serve", metavar="FOLDER", help=argparse.SUPPRESS)  # the server process
    args = parser.parse_args()
    synthetic = {f"team{i % 10}/service-{i:04d}": [f"v{j}" for j in range(max(1, args.tags))]
                 for i in range(args.repos)}
    if args.serve:
        return serve(args, synthetic)

    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    folder = Path(tempfile.mkdtemp(prefix="aztui-bench-"))
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    cert.private_key_and_cert_chain_pem.write_to_path(str(folder / "cert.pem"))
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(folder), "--repos", str(args.repos),
                               "--tags", str(args.tags), "--latency-ms", str(args.latency_ms)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    runs = []
    try:
        url = json.loads(server.stdout.readline())["url"]
        profile = Profile(name="bench", kind="acr", auth="anonymous", registry_url=url,
                          ca_bundle=str(folder / "ca.pem"), max_retries=0)
        for _ in range(args.runs):
            run = asyncio.run(list_all(profile, concurrency=args.concurrency, tags=args.tags > 0))
            assert run["repos"] == args.repos and run["tags"] == args.repos * args.tags, run
            runs.append(run)
        if args.cprofile:
            import cProfile

            with cProfile.Profile() as profiler:
                asyncio.run(list_all(profile, concurrency=args.concurrency, tags=args.tags > 0))
            profiler.dump_stats(args.cprofile)
    finally:
        server.stdin.close()
        server_load = json.loads(server.stdout.readline() or "{}")
        server.wait(timeout=30)

    def median(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    what = f"{args.repos} repositories with their properties" + (f" and {args.tags} tags each" if args.tags else "")
    print(f"{what}, {args.latency_ms:g} ms per answer, concurrency {args.concurrency}, "
          f"median of {args.runs} runs (anonymous token flow over HTTPS)")
    print(f"  first rows:       {median('first'):6.2f} s   (target < 1 s)")
    print(f"  all:              {median('total'):6.2f} s   (target < 5 s)")
    print(f"  requests:         {median('requests'):6.0f}     ({median('requests') / args.repos:.1f} per repository)")
    print(f"  CPU per request:  {median('cpu_ms_per_request'):6.2f} ms  (this process)")
    if server_load.get("requests"):
        print(f"  server CPU per request: {server_load['cpu'] * 1000 / server_load['requests']:.2f} ms "
              "(the local ACR server's own process, for scale)")
    if args.cprofile:
        print(f"  cProfile of one more run: {args.cprofile}")


if __name__ == "__main__":
    main()
