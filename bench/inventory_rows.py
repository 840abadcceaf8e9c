"""How fast `du --inventory` reads a Blob Inventory CSV report, network left out. Prints rows/s.

    python bench/inventory_rows.py [--rows 1000000]

Generates a report the way tests/support/inventory.py writes one (quoted names among them) and
feeds it to aztui's reader in 4 MiB chunks (the SDK's download chunk size): the parse, the
live-row filter and the sums, on one core. Downloading the report is extra (bytes, not calls).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aztui.blobs.inventory import _csv_records, _live_row  # noqa: E402
from tests.support.inventory import Row, Run, report_files  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    from datetime import datetime, timezone

    rows = [Row(f"big/d{i // 10000:04}/{'a,b ' if i % 97 == 0 else ''}blob-{i:08}.bin", i % 65536 + 1,
                ("Hot", "Cool", "Archive")[i % 3]) for i in range(args.rows)]
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


if __name__ == "__main__":
    main()
