"""Listing speed on a local Azurite: prints figures, asserts nothing.

    python bench/listing.py [--blobs 20000] [--small 100] [--runs 3]

1. aztui's listing path (`BlobStore.list_page`, recursive) against a plain azure-storage-blob
   `list_blobs` loop over the same container: throughput ratio (goal >= 0.9x).
2. `aztui blobs ls --recursive --json` against `az storage blob list --num-results '*'`
   (azure-cli, when installed): how many times faster aztui is (goal >= 3x).
3. Time of the first page call (the listing alone) of the big container against
   a small one (for information: rows on screen are measured by bench/first_rows.py, goal <= 1.5x).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aztui.azure.blobs import BlobStore  # noqa: E402
from aztui.demo.azurite import start_azurite  # noqa: E402
from aztui.profiles.model import Profile, Secret  # noqa: E402

FIRST_PAGES = (100, 500)  # a screenful of rows first; a bigger page is what scrolling fetches
PROBE_PAGE = 1  # one row: what the server spends finding where a listing starts


async def fill(store: BlobStore, container: str, count: int, concurrency: int = 64) -> None:
    await store.create_container(container)
    names = iter(f"blob-{i:06}.bin" for i in range(count))  # flat: the root shows them all

    async def worker() -> None:
        for name in names:
            await store.upload_blob(container, name, b"x" * 16)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def aztui_listing(store: BlobStore, container: str) -> int:
    rows, continuation = [], None
    while True:
        page = await store.list_page(container, recursive=True, page_size=5000, continuation=continuation)
        rows.extend((b.name, b.size, b.last_modified, b.etag) for b in page.items)
        if (continuation := page.continuation) is None:
            return len(rows)


async def plain_listing(store: BlobStore, container: str) -> int:
    """The plain SDK loop, on a client of its own (same account, same transport defaults)."""
    rows = []
    async for b in store.service.get_container_client(container).list_blobs():
        rows.append((b.name, b.size, b.last_modified, b.etag))
    return len(rows)


async def timed(fn, *args) -> tuple[float, int]:
    start = time.perf_counter()
    count = await fn(*args)
    return time.perf_counter() - start, count


async def first_page(store: BlobStore, container: str, size: int) -> float:
    start = time.perf_counter()
    page = await store.list_page(container, page_size=size)
    assert page.items
    return time.perf_counter() - start


def run_cli(args: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process): on a shared machine the CPU time is the steadier."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def process_cpu(pid: int) -> float | None:
    """CPU seconds used so far by process `pid` (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def cli_runs(server, args: list[str], env: dict, runs: int) -> tuple[float, float, str]:
    """Best wall time of `runs`, that run's CPU time, and Azurite's CPU time per run (text)."""
    before = process_cpu(server.process.pid)
    wall, cpu = min(run_cli(args, env) for _ in range(runs))
    after = process_cpu(server.process.pid)
    server_cpu = f", Azurite's: {(after - before) / runs:.2f} s" if before is not None and after is not None else ""
    return wall, cpu, server_cpu


def cli_comparison(server, container: str, runs: int) -> list[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "profiles.toml"
        config.write_text(f'[profiles.bench]\nconnection_string = "{server.connection_string}"\n')
        config.chmod(0o600)
        ours, our_cpu, server_cpu = cli_runs(server, [sys.executable, "-m", "aztui", "--config", str(config),
                                                      "blobs", "ls", f"bench:{container}", "--recursive", "--json"],
                                             dict(os.environ), runs)
        rows = [("aztui blobs ls --recursive --json", f"{ours:.2f} s (CPU: its {our_cpu:.2f} s{server_cpu})")]
        az = shutil.which("az")
        if not az:
            rows.append(("az storage blob list", "azure-cli not installed: pip install azure-cli to measure"))
            return rows
        env = {**os.environ, "AZURE_CORE_COLLECT_TELEMETRY": "no", "AZURE_CORE_ONLY_SHOW_ERRORS": "yes"}
        theirs, their_cpu, server_cpu = cli_runs(server, [az, "storage", "blob", "list", "--container-name",
                                                          container, "--num-results", "*", "--connection-string",
                                                          server.connection_string, "--output", "json"], env, runs)
        rows += [("az storage blob list --num-results '*'",
                  f"{theirs:.2f} s (CPU: its {their_cpu:.2f} s{server_cpu})"),
                 ("aztui faster than az by (goal >= 3x)", f"{theirs / ours:.1f}x")]
        return rows


async def bench(server, blobs: int, small: int, runs: int) -> list[tuple[str, str]]:
    profile = Profile(name="bench", kind="storage", auth="connection_string",
                      connection_string=Secret(server.connection_string, key="connection_string"))
    async with BlobStore(profile) as store:
        start = time.perf_counter()
        await asyncio.gather(fill(store, "big", blobs), fill(store, "small", small))
        rows = [(f"fill {blobs} + {small} blobs", f"{time.perf_counter() - start:.1f} s")]

        ours, plain = [], []
        for _ in range(runs):  # interleaved, so drift hits both alike
            seconds, count = await timed(aztui_listing, store, "big")
            assert count == blobs
            ours.append(seconds)
            seconds, count = await timed(plain_listing, store, "big")
            assert count == blobs
            plain.append(seconds)
        ours_rate, plain_rate = blobs / statistics.median(ours), blobs / statistics.median(plain)
        rows += [("aztui list_page loop", f"{ours_rate:,.0f} blobs/s"),
                 ("plain list_blobs loop", f"{plain_rate:,.0f} blobs/s"),
                 ("aztui / plain throughput (goal >= 0.9x)", f"{ours_rate / plain_rate:.2f}x")]

        for size in (*FIRST_PAGES, PROBE_PAGE):
            await first_page(store, "big", size), await first_page(store, "small", size)  # warm up
            big = statistics.median([await first_page(store, "big", size) for _ in range(max(runs, 9))])
            small_t = statistics.median([await first_page(store, "small", size) for _ in range(max(runs, 9))])
            goal = " (the call alone; on screen: first_rows.py)" if size != PROBE_PAGE else " (Azurite's own cost)"
            rows += [(f"first page of {size}, {blobs} blobs", f"{big * 1000:.1f} ms"),
                     (f"first page of {size}, {small} blobs", f"{small_t * 1000:.1f} ms"),
                     (f"first page of {size} big / small{goal}", f"{big / small_t:.2f}x")]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blobs", type=int, default=20000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    server = start_azurite()
    try:
        rows = asyncio.run(bench(server, args.blobs, args.small, args.runs))
        rows += cli_comparison(server, "big", args.runs)
    finally:
        server.stop()
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
