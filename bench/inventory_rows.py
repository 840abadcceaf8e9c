"""How fast `du --inventory` reads a Blob Inventory CSV report. Prints rows/s.

    python bench/inventory_rows.py [--rows 1000000] [--files-rows 1000000] [--files 4] [--delay 0.020]
                                   [--concurrency N] [--rounds 2]

1. Network left out: generates a report the way tests/support/inventory.py writes one (quoted names
   among them) and feeds it to aztui's reader in 4 MiB chunks (the SDK's download chunk size): the
   parse, the live-row filter and the sums, on one core.
2. A run of `--files` report files (`--files-rows` rows in all) in a local Azurite behind
   tests/support/latency_proxy.py (`--delay` each way): `usage_from_inventory` reading one file at
   a time vs `--concurrency` at once (default FILE_CONCURRENCY; one file's download overlapping
   another's parsing), each read in a process of its own: best wall time of `--rounds` interleaved
   rounds, with its CPU time and peak RSS. `--files 0` skips it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aztui.blobs.inventory import FILE_CONCURRENCY, _csv_records, _live_row  # noqa: E402
from tests.support.inventory import Row, Run, report_files  # noqa: E402


def rows_of(count: int) -> list[Row]:
    return [Row(f"big/d{i // 10000:04}/{'a,b ' if i % 97 == 0 else ''}blob-{i:08}.bin", i % 65536 + 1,
                ("Hot", "Cool", "Archive")[i % 3]) for i in range(count)]


def _profile(connection_string: str):
    from aztui.profiles.model import Profile, Secret

    return Profile(name="bench", kind="storage", auth="connection_string",
                   connection_string=Secret(connection_string, key="connection_string"))


def child(concurrency: int) -> None:
    """One timed read of the run, in a process of its own: prints wall s, CPU s, peak RSS kB, blobs."""
    from aztui.azure.blobs import BlobStore
    from aztui.blobs.inventory import newest_run, usage_from_inventory

    async def read() -> int:
        async with BlobStore(_profile(os.environ["AZTUI_BENCH_CONNECTION"])) as store:
            run = await newest_run(store, "inventory")
            return (await usage_from_inventory(store, run, "big", concurrency=concurrency)).blobs

    wall, cpu = time.perf_counter(), time.process_time()
    blobs = asyncio.run(read())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))  # not
    print(wall, cpu, peak, blobs)  # ru_maxrss: Linux carries that over from the parent across exec


def files_part(count: int, files: int, delay: float, many: int, rounds: int) -> None:
    """Part 2: one report file at a time vs `many` at once, through the latency proxy."""
    import subprocess
    from datetime import datetime, timezone

    from aztui.azure.blobs import BlobStore
    from aztui.demo.azurite import start_azurite
    from tests.support.inventory import write_run
    from tests.support.latency_proxy import LatencyProxy

    server = start_azurite()
    try:
        async def fill() -> None:
            async with BlobStore(_profile(server.connection_string)) as store:
                await store.create_container("inventory")
                await write_run(store, "inventory", Run("r", datetime(2026, 12, 1, tzinfo=timezone.utc),
                                                        rows_of(count), chunks=files))
        asyncio.run(fill())
        with LatencyProxy(server.port, delay=delay) as proxy:
            far = server.connection_string.replace(server.blob_endpoint,
                                                   f"http://127.0.0.1:{proxy.port}/{server.account}")
            results: dict[int, tuple[float, float, int]] = {}
            for concurrency in (1, many) * rounds:  # interleaved: the load drifts
                out = subprocess.run([sys.executable, __file__, "--child", str(concurrency)],
                                     env={**os.environ, "AZTUI_BENCH_CONNECTION": far},
                                     capture_output=True, text=True, check=True).stdout.split()
                wall, cpu, peak, blobs = float(out[0]), float(out[1]), int(out[2]), int(out[3])
                assert blobs == count, (blobs, count)
                best = results.get(concurrency)
                results[concurrency] = (wall, cpu, peak) if best is None or wall < best[0] else best
        one, at_once = results[1], results[many]

        def said(n: str, r: tuple[float, float, int]) -> str:
            return (f"{n} {r[0]:.1f} s wall ({count / r[0]:,.0f} rows/s, CPU {r[1]:.1f} s, "
                    f"peak RSS {r[2] / 1024:.0f} MB)")
        print(f"inventory run of {files} files, {count:,} rows, Azurite +{delay * 1000:.0f} ms each way "
              f"(best of {rounds}): {said('one file at a time', one)}, {said(f'{many} at once', at_once)}: "
              f"{one[0] / at_once[0]:.2f}x")
    finally:
        server.stop()


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        return child(int(sys.argv[2]))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--files-rows", type=int, default=1_000_000, help="rows of the part-2 run (default 1,000,000)")
    parser.add_argument("--files", type=int, default=4, help="report files of the part-2 run; 0 skips part 2")
    parser.add_argument("--delay", type=float, default=0.020, help="part 2: seconds added each way (default 0.020)")
    parser.add_argument("--concurrency", type=int, default=FILE_CONCURRENCY,
                        help=f"part 2: files read at once, against one (default {FILE_CONCURRENCY})")
    parser.add_argument("--rounds", type=int, default=2, help="part 2: interleaved rounds (default 2)")
    args = parser.parse_args()
    from datetime import datetime, timezone

    rows = rows_of(args.rows)
    data = next(v for k, v in report_files(Run("r", datetime(2026, 12, 1, tzinfo=timezone.utc), rows)).items()
                if k.endswith(".csv"))
    del rows

    async def read() -> tuple[int, int]:
        async def chunks():
            for i in range(0, len(data), 4 << 20):
                yield data[i:i + (4 << 20)]
        columns, count, total = None, 0, 0
        async for batch in _csv_records(chunks()):
            for record in batch:
                if columns is None:
                    columns = {n: i for i, n in enumerate(record)}
                    continue
                row = _live_row(record, columns)
                if row is not None and row.name.startswith("big/"):
                    count += 1
                    total += row.size
        return count, total

    start = time.process_time()
    count, _ = asyncio.run(read())
    cpu = time.process_time() - start
    assert count == args.rows
    print(f"inventory CSV, {args.rows:,} rows ({len(data) / 2**20:.0f} MiB): {args.rows / cpu:,.0f} rows/s "
          f"per CPU second ({cpu:.1f} s)")
    if args.files:
        files_part(args.files_rows, args.files, args.delay, args.concurrency, args.rounds)


if __name__ == "__main__":
    main()
