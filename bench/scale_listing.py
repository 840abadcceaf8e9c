"""A million blobs: memory and speed of `blobs ls --recursive --json` and `blobs du`. Prints figures.

    python bench/scale_listing.py [--blobs 1000000] [--runs 1]

Azurite cannot hold a million blobs, so the listing comes from `tests/support/list_server.py`
in a process of its own: List Blobs pages of 5,000 over generated names, answered at once (the
server's own CPU is not in aztui's figures). Each command runs as a user runs it (a process,
stdout to /dev/null); its peak RSS and CPU time come from `wait4`. Goals: peak RSS <= 150 MB and
flat in the number of blobs (the script also runs a tenth of the blobs to show it), >= 50,000
blobs/s on one core (blobs / CPU second of the aztui process; wall rate printed too).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.list_server import CONTAINER, blob_size  # noqa: E402


def start_server(blobs: int) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen([sys.executable, str(ROOT / "tests/support/list_server.py"), "--blobs", str(blobs)],
                               stdout=subprocess.PIPE, text=True)
    return process, int(process.stdout.readline())


def measured(args: list[str], env: dict, stdout=subprocess.DEVNULL) -> tuple[float, float, float, bytes]:
    """(wall s, CPU s, peak RSS MB, stdout when captured) of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=stdout, stderr=subprocess.PIPE, env=env)
    out = process.stdout.read() if process.stdout else b""
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({process.returncode}): {err.decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def run(blobs: int, runs: int, start_cpu: dict[str, float] | None = None) -> list[tuple[str, str]]:
    """Rows for `blobs` blobs; with `start_cpu` (CPU s of the same command over 1 blob), the rate
    without the start-up (imports, profile, the client) too."""
    server, port = start_server(blobs)
    rows: list[tuple[str, str]] = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            config = Path(folder) / "profiles.toml"
            from tests.support.list_server import ACCOUNT, KEY

            config.write_text(f'[profiles.bench]\nconnection_string = "DefaultEndpointsProtocol=http;'
                              f'AccountName={ACCOUNT};AccountKey={KEY};'
                              f'BlobEndpoint=http://127.0.0.1:{port}/{ACCOUNT};"\n')
            config.chmod(0o600)
            env = {**os.environ, "XDG_STATE_HOME": folder, "AZTUI_LOG_FILE": str(Path(folder) / "log")}
            base = [sys.executable, "-m", "aztui", "--config", str(config), "blobs"]
            for label, argv, capture in (
                    ("blobs ls --recursive --json", ["ls", f"bench:{CONTAINER}", "--recursive", "--json"], False),
                    ("blobs du --json", ["du", f"bench:{CONTAINER}", "--json"], True)):
                best = min((measured(base + argv, env, subprocess.PIPE if capture else subprocess.DEVNULL)
                            for _ in range(runs)), key=lambda m: m[1])
                wall, cpu, rss, out = best
                if capture:
                    total = json.loads(out)
                    expected = sum(blob_size(i) for i in range(blobs))
                    assert total["blobs"] == blobs and total["bytes"] == expected, total
                if start_cpu is None:
                    rows.append((label, f"{cpu:.2f} s CPU"))
                    continue
                net = f", {blobs / (cpu - start_cpu[label]):,.0f} without start-up" if cpu > start_cpu[label] else ""
                rows.append((f"{label}, {blobs:,} blobs",
                             f"peak RSS {rss:.0f} MB, {blobs / cpu:,.0f} blobs/s per CPU s{net} "
                             f"({cpu:.1f} s CPU), {blobs / wall:,.0f} blobs/s wall ({wall:.1f} s)"))
    finally:
        server.terminate()
        server.wait()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blobs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--no-small", action="store_true", help="skip the run over a tenth of the blobs")
    args = parser.parse_args()
    start_cpu = {label: float(value.split()[0]) for label, value in run(1, 3)}
    rows = [] if args.no_small else run(args.blobs // 10, args.runs, start_cpu)
    rows += run(args.blobs, args.runs, start_cpu)
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    print("goals: peak RSS <= 150 MB and flat in the number of blobs; >= 50,000 blobs/s per CPU second")


if __name__ == "__main__":
    main()
