"""Time from process start to the first paint of `aztui`, on a profiles file.

    python bench/startup.py [--runs N] [PROFILES_FILE]

Each run is a fresh Python process (nothing cached in memory) that opens the TUI headless on
the file's default profile (none: the profile picker), and reports two moments:

- first paint: the first frame Textual hands to the terminal (`App._display` with a rendered
  update; headless, it is rendered and then not written). This is what the goal is about.
- settled: when an auto-pilot's `pilot.pause()` returns, i.e. the app's queues are empty AND the
  process has gone CPU-idle. Later than the first paint by whatever runs after it (e.g. the
  Azure SDK being imported in a worker thread for the first listing), so an upper bound.

The clock is `time.perf_counter` (CLOCK_MONOTONIC, shared by parent and child), started just
before the process is spawned. Without a file, two throwaway ones point at a closed local port
(the first paint must not wait for the network): one with no default profile (the app opens
on the profile picker) and one whose default profile is opened at once. Goal: first paint under
0.5 s. For scale it also times a bare Textual app (header, one line, footer): the floor any
Textual app pays on this machine.
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

# both children: the first frame handed to the terminal is "PAINTED", the pilot's pause "SETTLED"
FIRST_FRAME = """
import sys, time
from textual.app import App

_display, _painted = App._display, []

def display(self, screen, update):
    if update is not None and not _painted:
        _painted.append(time.perf_counter())
    return _display(self, screen, update)

App._display = display

async def first_paint(pilot):
    await pilot.pause()
    print(f"SETTLED {time.perf_counter()!r}", flush=True)
    print(f"PAINTED {_painted[0]!r}", flush=True)
    pilot.app.exit()
"""

CHILD = FIRST_FRAME + """
from aztui.profiles.file import load_profiles
from aztui.ui.app import create_app

app = create_app(load_profiles(sys.argv[1]))
app.run(headless=True, size=(120, 40), auto_pilot=first_paint)
"""

BARE = FIRST_FRAME + """
from textual.widgets import Footer, Header, Static

class Bare(App):
    def compose(self):
        yield Header()
        yield Static("hello")
        yield Footer()

Bare().run(headless=True, size=(120, 40), auto_pilot=first_paint)
"""

THROWAWAY = """
[profiles.bench]
connection_string = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=ZmFrZQ==;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1"
max_retries = 0
"""


def one_run(profiles: Path, code: str = CHILD) -> tuple[float, float]:
    """(first paint, settled), in seconds from the spawn of the process."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code, str(profiles)], check=False, capture_output=True,
                            text=True, timeout=60)
    found = dict(line.split() for line in result.stdout.splitlines()
                 if line.startswith(("PAINTED ", "SETTLED ")))
    if set(found) != {"PAINTED", "SETTLED"}:
        raise SystemExit(f"the app did not paint:\n{result.stdout}\n{result.stderr}")
    return float(found["PAINTED"]) - start, float(found["SETTLED"]) - start


def report(label: str, runs: list[tuple[float, float]]) -> float:
    painted, settled = [p for p, _ in runs], [s for _, s in runs]
    median = statistics.median(painted)
    print(f"{label}: first paint median {median:.3f} s (" + ", ".join(f"{t:.3f}" for t in painted)
          + f"); settled median {statistics.median(settled):.3f} s")
    return median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profiles", nargs="?", type=Path, help="profiles file (default: two throwaway ones)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.profiles is not None:
            cases = {f"aztui on {args.profiles}": args.profiles}
        else:
            cases = {"aztui, no default profile (opens the picker)": Path(tmp) / "picker.toml",
                     "aztui, default profile opened at once": Path(tmp) / "default.toml"}
            for path, head in zip(cases.values(), ("", 'default_profile = "bench"\n')):
                path.write_text(head + THROWAWAY)
                path.chmod(0o600)
        first = next(iter(cases.values()))
        one_run(first)  # warm the OS file cache; not counted
        results = {label: [] for label in cases}
        bare = []
        for _ in range(args.runs):  # interleaved, so drift in the machine's load hits all alike
            for label, path in cases.items():
                results[label].append(one_run(path))
            bare.append(one_run(first, BARE))
    medians = [report(label, runs) for label, runs in results.items()]
    floor = report("a bare Textual app (header, text, footer)", bare)
    worst = max(medians)
    print(f"aztui first paint, worst case median {worst:.3f} s = {worst / floor:.2f}x the bare app "
          f"(goal < {GOAL} s): {'ok' if worst < GOAL else 'TOO SLOW'}")
    return 0 if worst < GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
