"""Keypress-to-frame latency of `j` in the Containers pane: a folder of 100,000 loaded rows, and
while a listing streams in.

    python bench/keys.py [--rows 100000] [--presses 200] [--page 500] [--every-ms 25]

Prints figures from one run and asserts nothing (a benchmark, not a test). Goals (issue #12):
median <= 16 ms, 99th percentile <= 50 ms.

The app runs headless in this process (`App.run_test`, 120x40) on a profile whose container sits
behind a closed local port, so nothing but the UI is measured: the rows reach the pane through its
own message (`ContainersView.PageLoaded`, pages of --page rows, as a listing worker posts them),
built from `BlobInfo`s like a listing's (no Azurite: loading 100,000 blobs into it would take long
and measure the emulator). `max_rows` is set to --rows (the app keeps 1,000,000 by default).

One press: the key is posted to the app at t0 (`perf_counter`); the latency is the time to the
first frame Textual hands to the terminal (`App._display`; headless, rendered and not written)
in which the cursor is on the next row. Textual paints at most 60 frames a second, so a latency
holds up to ~17 ms of waiting for the next frame, as a user's would. Presses are 40 ms apart.

1. loaded: every row loaded and shown, then --presses presses of `j`.
2. streaming: rows keep arriving (a page every --every-ms, until --rows) while `j` is pressed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual import events  # noqa: E402
from textual.app import App  # noqa: E402

from aztui.azure.blob_rows import BlobInfo  # noqa: E402
from aztui.profiles.file import load_profiles  # noqa: E402
from aztui.ui.app import create_app  # noqa: E402
from aztui.ui.panes.containers import ContainersView  # noqa: E402

SIZE = (120, 40)
frames: list[tuple[float, int]] = []  # (perf_counter, the listing's cursor row) of each frame
_display = App._display


def display(self, screen, update):
    if update is not None:
        try:
            row = self.query_one("#listing").cursor_row
        except Exception:
            row = -1
        frames.append((time.perf_counter(), row))
    return _display(self, screen, update)


App._display = display


def profiles_file(folder: Path) -> Path:
    """A profile whose container sits behind a closed port: every read fails at once, offline."""
    path = folder / "profiles.toml"
    path.write_text('[profiles.bench]\nconnection_string = "DefaultEndpointsProtocol=http;AccountName=bench;'
                    'AccountKey=YmVuY2g=;BlobEndpoint=http://127.0.0.1:9/bench"\ncontainer = "bench"\n')
    path.chmod(0o600)
    return path


def page(start: int, size: int) -> tuple:
    when = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return tuple(BlobInfo(f"logs/{i:07d}.json", i % 9973, when, f'"0x{i:X}"', "Hot", "application/json")
                 for i in range(start, start + size))


def post_page(view: ContainersView, start: int, size: int, more: bool) -> None:
    view.post_message(ContainersView.PageLoaded(view.location, page(start, size), "more" if more else None,
                                                start == 0))


async def press_j(app, view, presses: int) -> list[float]:
    """Latencies (ms) of `presses` presses of j, 40 ms apart."""
    table = view.table
    latencies = []
    for _ in range(presses):
        target = table.cursor_row + 1
        t0 = time.perf_counter()
        app.post_message(events.Key("j", "j"))
        while True:
            seen = [t for t, row in frames if t >= t0 and row >= target]
            if seen:
                latencies.append((seen[0] - t0) * 1000)
                break
            if time.perf_counter() - t0 > 2:
                latencies.append(2000.0)
                break
            await asyncio.sleep(0.0005)
        await asyncio.sleep(0.04)
    return latencies


async def settle_until(pilot, done) -> None:
    while not done():
        await pilot.pause(0.05)


def figures(name: str, latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    verdict = "ok" if statistics.median(ordered) <= 16 and p99 <= 50 else "over the goal"
    return (f"{name:<34} median {statistics.median(ordered):6.1f} ms   p99 {p99:6.1f} ms   "
            f"max {ordered[-1]:6.1f} ms   ({len(ordered)} presses; goal <= 16 / <= 50 ms: {verdict})")


async def run(rows: int, presses: int, size: int, every_ms: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(load_profiles(profiles_file(Path(folder))), profile_name="bench", max_rows=rows)
        async with app.run_test(size=SIZE) as pilot:
            view = app.containers
            await settle_until(pilot, lambda: not view.fetching)  # the real read fails: port 9
            await pilot.pause(0.2)

            started = time.perf_counter()
            for start in range(0, rows, size):
                post_page(view, start, min(size, rows - start), more=start + size < rows)
            await settle_until(pilot, lambda: view.table.row_count >= rows)
            await pilot.pause(0.5)
            print(f"{rows:,} rows loaded and shown in {time.perf_counter() - started:.1f} s")
            view.table.move_cursor(row=0)
            await pilot.pause(0.2)
            print(figures(f"j, {rows:,} rows loaded", await press_j(app, view, presses)))

            view.go(view.location)  # the folder again: its (failing) read, then pages streaming in
            await settle_until(pilot, lambda: not view.fetching)
            post_page(view, 0, size, more=True)
            await settle_until(pilot, lambda: view.table.row_count == size)
            view.table.focus()

            async def stream() -> None:
                for start in range(size, rows, size):
                    await asyncio.sleep(every_ms / 1000)
                    post_page(view, start, min(size, rows - start), more=start + size < rows)

            streaming = asyncio.create_task(stream())
            latencies = await press_j(app, view, presses)
            shown = view.table.row_count
            streaming.cancel()
            print(figures(f"j, while pages of {size} stream in", latencies)
                  + f"\n{'':<34} ({shown:,} rows loaded when the last press was measured)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--page", type=int, default=500)
    parser.add_argument("--every-ms", type=float, default=25)
    args = parser.parse_args()
    asyncio.run(run(args.rows, args.presses, args.page, args.every_ms))


if __name__ == "__main__":
    main()
