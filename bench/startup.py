"""Time from process start to the first paint of `aztui`, on a profiles file.

    python bench/startup.py [--runs N] [PROFILES_FILE]

Each run is a fresh Python process (nothing cached in memory) that opens the TUI headless on
the file's default profile, and reports the moment its first frame is on screen: an auto-pilot
waits for the first refresh after mount. The clock is `time.perf_counter` (CLOCK_MONOTONIC,
shared by parent and child), started just before the process is spawned. Without a file, a
throwaway one points at a closed local port: the first paint must not wait for the network.
Goal: under 0.5 s. For scale it also times a bare Textual app (header, one line, footer): the
floor any Textual app pays on this machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL = 0.5

CHILD = """
import sys, time
from aztui.profiles import load_profiles
from aztui.ui.app import create_app

async def first_paint(pilot):
    await pilot.pause()  # the first frame has been rendered
    print(f"PAINTED {time.perf_counter()!r}", flush=True)
    pilot.app.exit()

app = create_app(load_profiles(sys.argv[1]))
app.run(headless=True, size=(120, 40), auto_pilot=first_paint)
"""

BARE = """
import time
from textual.app import App
from textual.widgets import Footer, Header, Static

class Bare(App):
    def compose(self):
        yield Header()
        yield Static("hello")
        yield Footer()

async def first_paint(pilot):
    await pilot.pause()
    print(f"PAINTED {time.perf_counter()!r}", flush=True)
    pilot.app.exit()

Bare().run(headless=True, size=(120, 40), auto_pilot=first_paint)
"""

THROWAWAY = """
[profiles.bench]
connection_string = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=ZmFrZQ==;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1"
max_retries = 0
"""


def one_run(profiles: Path, code: str = CHILD) -> float:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code, str(profiles)], capture_output=True, text=True,
                            timeout=60)
    for line in result.stdout.splitlines():
        if line.startswith("PAINTED "):
            return float(line.split()[1]) - start
    raise SystemExit(f"the app did not paint:\n{result.stdout}\n{result.stderr}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profiles", nargs="?", type=Path, help="profiles file (default: a throwaway one)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        profiles = args.profiles
        if profiles is None:
            profiles = Path(tmp) / "profiles.toml"
            profiles.write_text(THROWAWAY)
            profiles.chmod(0o600)
        one_run(profiles)  # warm the OS file cache; not counted
        times = [one_run(profiles) for _ in range(args.runs)]
        bare = [one_run(profiles, BARE) for _ in range(args.runs)]
    median, floor = statistics.median(times), statistics.median(bare)
    print("aztui, start to first paint: " + ", ".join(f"{t:.3f}" for t in times) + " s")
    print(f"a bare Textual app (header, text, footer) on this machine: median {floor:.3f} s")
    print(f"aztui median {median:.3f} s = {median / floor:.2f}x the bare app "
          f"(goal < {GOAL} s): {'ok' if median < GOAL else 'TOO SLOW'}")
    return 0 if median < GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
