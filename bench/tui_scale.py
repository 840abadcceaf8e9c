"""The TUI on a flat folder of 1,000,000 blobs: memory (RSS) and keypress latency (issue #14).

    python bench/tui_scale.py [--rows 1000000] [--page 5000] [--presses 100]

Prints figures from one run and asserts nothing (a benchmark, not a test). Goals (issue #14):
RSS <= 200 MB with every row loaded and while scrolling; keys answer as fast as in a small folder
(`bench/keys.py` measures that: median <= 16 ms, 99th percentile <= 50 ms).

As in `bench/keys.py` the app runs headless in this process (120x40) on a profile behind a closed
port, and the rows reach the Containers pane through its own `PageLoaded` message, in pages of
--page `BlobInfo`s (5,000: the service's largest page), `max_rows` raised to --rows. The names are
flat (`logs/0000001.json`), so the folder holds every row. RSS is this process's (VmRSS, and the
peak VmHWM), which holds the app, its rows and the benchmark.

Then: `j` pressed --presses times at the top, and again after `G` at the bottom; `ctrl+d` (half a
page) --presses times from the middle, `ctrl+u` as often from a quarter, PageDown from three quarters: each
latency to the first frame showing the moved cursor.
Last, `z` and `n` sort the loaded rows (by size, by name): the time to the sorted rows, and RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
from pathlib import Path

import keys  # noqa: F401 (its App._display hook records every frame's cursor row)
from keys import create_app, figures, frames, load_profiles, post_page, profiles_file, settle_until
from textual import events


def rss() -> str:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return f"RSS {int(fields['VmRSS'].split()[0]) / 1024:.0f} MB (peak {int(fields['VmHWM'].split()[0]) / 1024:.0f} MB)"


async def press(app, view, key: str, character: str | None, presses: int) -> list[float]:
    """Latencies (ms) of `presses` presses of `key`, 40 ms apart: to the first frame after the
    press whose cursor row differs from the row before it."""
    table, latencies = view.table, []
    for _ in range(presses):
        before = table.cursor_row
        t0 = time.perf_counter()
        app.post_message(events.Key(key, character))
        while True:
            seen = [t for t, row in frames if t >= t0 and row != before]
            if seen:
                latencies.append((seen[0] - t0) * 1000)
                break
            if time.perf_counter() - t0 > 2:
                latencies.append(2000.0)
                break
            await asyncio.sleep(0.0005)
        frames.clear()
        await asyncio.sleep(0.04)
    return latencies


async def run(rows: int, size: int, presses: int) -> None:
    print(f"start: {rss()}")
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(load_profiles(profiles_file(Path(folder))), profile_name="bench", max_rows=rows)
        async with app.run_test(size=keys.SIZE) as pilot:
            view = app.containers
            await settle_until(pilot, lambda: not view.fetching)  # the real read fails: port 9
            await pilot.pause(0.2)
            print(f"app shown: {rss()}")
            started = time.perf_counter()
            for start in range(0, rows, size):
                post_page(view, start, min(size, rows - start), more=start + size < rows)
                if start // size % 10 == 9:
                    await pilot.pause(0)  # as pages arrive from the network: the app draws in between
            await settle_until(pilot, lambda: view.table.row_count >= rows)
            await pilot.pause(0.5)
            gc.collect()
            print(f"{rows:,} rows loaded and shown in {time.perf_counter() - started:.1f} s: {rss()}")
            view.table.move_cursor(row=0)
            await pilot.pause(0.2)
            frames.clear()
            print(figures("j at the top", await press(app, view, "j", "j", presses)))
            print(figures("G (to the last row)", await press(app, view, "G", "G", 1)))
            print(figures("k at the bottom", await press(app, view, "k", "k", presses)))
            view.table.move_cursor(row=rows // 2)
            await pilot.pause(0.2)
            print(figures("ctrl+d from the middle", await press(app, view, "ctrl+d", None, presses)))
            view.table.move_cursor(row=rows // 4)  # rows never shown above
            await pilot.pause(0.2)
            print(figures("ctrl+u from a quarter", await press(app, view, "ctrl+u", None, presses)))
            view.table.move_cursor(row=rows * 3 // 4)  # rows never shown below
            await pilot.pause(0.2)
            print(figures("PageDown from three quarters", await press(app, view, "pagedown", None, presses)))
            print(f"after scrolling: {rss()}")
            for key, what in (("z", "sorted by size"), ("n", "sorted by name")):
                shown, t0 = view.table.items, time.perf_counter()
                app.post_message(events.Key(key, key))
                while view.table.items is shown:
                    await asyncio.sleep(0.001)
                took = time.perf_counter() - t0
                await pilot.pause(0.5)
                print(f"{key} ({what}): the sorted rows in {took * 1000:.0f} ms; {rss()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--page", type=int, default=5000)
    parser.add_argument("--presses", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(run(args.rows, args.page, args.presses))


if __name__ == "__main__":
    main()
