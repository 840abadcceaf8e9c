"""What asking for metadata costs a listing (directory markers of ADLS Gen2 accounts): prints figures.

    python bench/hns_listing.py [--blobs 20000] [--runs 5]

`BlobStore.list_page` asks List Blobs for `include=metadata`, so that the directory markers of a
hierarchical-namespace account (zero-length blobs with `hdi_isfolder=true`) are known as folders.
This measures, on one container of flat files (one in 100 a directory marker), a full recursive
listing through aztui's path (`fetch_list_blobs` + `parse_list_blobs`, pages of 5,000) with and
without `include=metadata`, interleaved, and a plain azure-storage-blob `list_blobs` loop (which
asks for no metadata) for scale: wall time (Azurite's time included) and this process's CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aztui.azure.blobs import BlobStore  # noqa: E402
from aztui.azure.listing_xml import fetch_list_blobs, list_blobs_params, parse_list_blobs  # noqa: E402
from aztui.demo.azurite import start_azurite  # noqa: E402
from aztui.profiles.model import Profile, Secret  # noqa: E402

MARKER_EVERY = 100


async def fill(store: BlobStore, container: str, count: int, concurrency: int = 64) -> None:
    await store.create_container(container)
    names = iter(range(count))

    async def worker() -> None:
        for i in names:
            if i % MARKER_EVERY == 0:
                await store.upload_blob(container, f"dir-{i:06}", b"", metadata={"hdi_isfolder": "true"})
            else:
                await store.upload_blob(container, f"blob-{i:06}.bin", b"x" * 16)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def ours(store: BlobStore, container: str, include: tuple[str, ...]) -> int:
    client, rows, marker = store.service.get_container_client(container), 0, None
    while True:
        body, _ = await fetch_list_blobs(client, list_blobs_params(None, delimiter=None, max_results=5000,
                                                                   marker=marker, include=include))
        items, marker = parse_list_blobs(body)
        rows += sum(1 for item in items if not item.is_directory)
        if marker is None:
            return rows


async def plain(store: BlobStore, container: str, include: tuple[str, ...]) -> int:
    return len([b async for b in store.service.get_container_client(container).list_blobs()])


async def measured(fn, *args) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    await fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


async def bench(server, blobs: int, runs: int) -> list[tuple[str, str]]:
    profile = Profile(name="bench", kind="storage", auth="connection_string",
                      connection_string=Secret(server.connection_string, key="connection_string"))
    async with BlobStore(profile) as store:
        await fill(store, "hns", blobs)
        files = blobs - len(range(0, blobs, MARKER_EVERY))
        assert await ours(store, "hns", ("metadata",)) == files  # markers are known: files only
        results: dict[str, list[tuple[float, float]]] = {"with": [], "without": [], "plain": []}
        for _ in range(runs):  # interleaved, so drift hits all alike
            results["with"].append(await measured(ours, store, "hns", ("metadata",)))
            results["without"].append(await measured(ours, store, "hns", ()))
            results["plain"].append(await measured(plain, store, "hns", ()))
    wall = {k: statistics.median(w for w, _ in v) for k, v in results.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in results.items()}
    return [
        (f"aztui listing, include=metadata ({blobs} blobs)", f"{wall['with']:.2f} s wall, {cpu['with']:.2f} s CPU"),
        ("aztui listing, no metadata", f"{wall['without']:.2f} s wall, {cpu['without']:.2f} s CPU"),
        ("plain SDK list_blobs, no metadata", f"{wall['plain']:.2f} s wall, {cpu['plain']:.2f} s CPU"),
        ("metadata / none, wall", f"{wall['with'] / wall['without']:.2f}x"),
        ("metadata / none, CPU of aztui", f"{cpu['with'] / cpu['without']:.2f}x"),
        ("aztui with metadata / plain SDK, throughput", f"{wall['plain'] / wall['with']:.2f}x"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blobs", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    server = start_azurite()
    try:
        rows = asyncio.run(bench(server, args.blobs, args.runs))
    finally:
        server.stop()
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
