"""Registry listing speed through the local ACR-compatible server: prints figures, asserts nothing.

    python bench/registry_listing.py [--repos 200] [--tags 20] [--latency-ms 2] [--runs 3]

Lists every repository (with its properties) and every repository's tags — what
`aztui registry ls` and the Registry pane do — through the real azure-containerregistry client
over HTTPS with the anonymous Bearer token flow, against tests/support/acr_server.py serving synthetic
metadata (no images pushed). Compares `AcrRegistry(concurrency=16)` with `concurrency=1`
(sequential). `--latency-ms` adds a delay to every metadata answer, as a network would.
The server runs in its own process, so it does not share the client's interpreter lock.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aztui.azure.acr import AcrRegistry  # noqa: E402
from aztui.profiles.model import Profile  # noqa: E402
from tests.support.acr_server import AcrServer  # noqa: E402


async def list_all(profile: Profile, concurrency: int) -> tuple[int, int]:
    async with AcrRegistry(profile, {}, concurrency=concurrency) as registry:
        repos = [r async for r in registry.iter_repositories()]
        gate = asyncio.Semaphore(concurrency)

        async def tags(name: str) -> int:
            async with gate:
                return len(await registry.list_tags(name))

        counts = await asyncio.gather(*(tags(r.name) for r in repos))
    return len(repos), sum(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--tags", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--serve", metavar="FOLDER", help=argparse.SUPPRESS)  # the server process
    args = parser.parse_args()
    synthetic = {f"team{i % 10}/service-{i:03d}": [f"v{j}" for j in range(args.tags)] for i in range(args.repos)}
    if args.serve:
        cert = str(Path(args.serve) / "cert.pem")
        with AcrServer(cert, cert, synthetic=synthetic, latency=args.latency_ms / 1000) as server:
            print(json.dumps({"url": server.url}), flush=True)
            sys.stdin.read()          # until the parent closes our stdin
        return

    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    folder = Path(tempfile.mkdtemp(prefix="aztui-bench-"))
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    cert.private_key_and_cert_chain_pem.write_to_path(str(folder / "cert.pem"))
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(folder), "--repos", str(args.repos),
                               "--tags", str(args.tags), "--latency-ms", str(args.latency_ms)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        url = json.loads(server.stdout.readline())["url"]
        profile = Profile(name="bench", kind="acr", auth="anonymous", registry_url=url,
                          ca_bundle=str(folder / "ca.pem"), max_retries=0)
        results: dict[str, list[float]] = {"sequential": [], "concurrent": []}
        for _ in range(args.runs):
            for label, concurrency in (("sequential", 1), ("concurrent", 16)):
                started = time.perf_counter()
                repos, tags = asyncio.run(list_all(profile, concurrency))
                results[label].append(time.perf_counter() - started)
                assert (repos, tags) == (args.repos, args.repos * args.tags), (repos, tags)
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    seq, conc = statistics.median(results["sequential"]), statistics.median(results["concurrent"])
    print(f"{args.repos} repositories x {args.tags} tags, {args.latency_ms:g} ms per answer, "
          f"median of {args.runs} runs (anonymous token flow over HTTPS)")
    print(f"  sequential (concurrency 1):  {seq:6.2f} s")
    print(f"  concurrent (concurrency 16): {conc:6.2f} s")
    print(f"  speed-up: {seq / conc:.1f}x")


if __name__ == "__main__":
    main()
