"""`blobs du` is resumable: Ctrl-C leaves a checkpoint, `--resume` continues it to the same totals.

Run as a user runs it (a subprocess), against Azurite behind our fault proxy, which slows every
List Blobs call so that the SIGINT lands mid-scan.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys

import pytest

from aztui.azure.blobs import BlobStore
from tests.support.blobs_cli import ENTRY, run_blobs
from tests.support.faultproxy import Fault, FaultProxy
from tests.support.profiles import seed_profile

pytestmark = pytest.mark.slow
BLOBS = 240
PAGE = 10
LIST = "comp=list"


@pytest.fixture
def world(azurite, container_name, write_profiles, tmp_path):
    async def seed():
        async with BlobStore(seed_profile(azurite)) as store:
            await store.create_container(container_name)
            await asyncio.gather(*(store.upload_blob(container_name, f"d{i % 4}/b-{i:04}", b"x" * (i * 7 % 500),
                                                     tier=("cool" if i % 3 == 0 else None))
                                   for i in range(BLOBS)))

    asyncio.run(seed())
    with FaultProxy(azurite.port) as proxy:
        config = write_profiles(f"""
            [profiles.slow]
            connection_string = "{azurite.connection_string.replace(azurite.blob_endpoint, proxy.url(azurite.account))}"
            """)
        yield config, container_name, proxy, tmp_path / "state"


def du(config, state, *args):
    result = run_blobs(config, "du", *args, "--page-size", str(PAGE), state_dir=state)
    assert "Traceback" not in result.stderr and result.returncode in (0, 130), result.stderr
    return result


def interrupt_du(config, state, target) -> subprocess.CompletedProcess:
    """Start du, wait for its first progress line, then Ctrl-C it (SIGINT)."""
    env = {**os.environ, "XDG_STATE_HOME": str(state)}
    process = subprocess.Popen([sys.executable, *ENTRY, "--config", str(config), "blobs", "du", target, "--json",
                                "--progress", "--page-size", str(PAGE)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    first = process.stderr.readline()
    assert first.startswith("scanning: "), first
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, out, first + err)


def test_interrupted_du_resumes_to_the_totals_of_an_uninterrupted_one(world):
    config, container, proxy, state = world
    target = f"slow:{container}"
    whole = json.loads(du(config, state / "fresh", target, "--json").stdout)
    assert whole["blobs"] == BLOBS

    proxy.add(Fault("latency", delay=0.4, match=LIST, count=1000))
    stopped = interrupt_du(config, state, target)
    assert stopped.returncode == 130, stderr_of(stopped)
    assert stopped.stdout == ""  # no partial total printed as if it were the answer
    assert "checkpoint is saved" in stopped.stderr and f"aztui blobs du {target} --resume" in stopped.stderr
    [saved] = (state / "aztui" / "checkpoints").glob("du-*.json")
    assert saved.stat().st_mode & 0o077 == 0
    checkpoint = json.loads(saved.read_text())
    assert 0 < checkpoint["blobs"] < BLOBS and checkpoint["marker"]

    proxy.clear()
    resumed = du(config, state, target, "--json", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout) == whole
    # it continued: only the pages after the checkpoint were listed
    pages_left = -(-(BLOBS - checkpoint["blobs"]) // PAGE)
    assert len(proxy.requests(match=LIST)) == pages_left
    assert not saved.exists()  # done: the checkpoint is gone

    again = du(config, state, target, "--json", "--resume")
    assert json.loads(again.stdout) == whole and "no interrupted du" in again.stderr


def test_a_fresh_du_says_a_checkpoint_exists_and_starts_over(world):
    config, container, proxy, state = world
    target = f"slow:{container}/d1"
    proxy.add(Fault("latency", delay=0.4, match=LIST, count=1000))
    assert interrupt_du(config, state, target).returncode == 130
    proxy.clear()
    fresh = du(config, state, target, "--json")
    assert "--resume continues it" in fresh.stderr
    assert json.loads(fresh.stdout)["blobs"] == BLOBS // 4
    assert len(proxy.requests(match=LIST)) == -(-(BLOBS // 4) // PAGE)


def test_progress_shows_rate_and_an_eta_from_the_last_scan(world):
    config, container, proxy, state = world
    target = f"slow:{container}"
    first = du(config, state, target, "--json", "--progress")
    assert "ETA unknown (first scan of this folder)" in first.stderr
    assert "blobs/s" in first.stderr
    proxy.add(Fault("latency", delay=0.05, match=LIST, count=1000))
    second = du(config, state, target, "--json", "--progress")
    assert f"(last scan: {BLOBS:,} blobs)" in second.stderr and "ETA 0:00:" in second.stderr
    quiet = du(config, state, target, "--json")  # stderr is not a terminal: no progress unless asked
    assert "scanning" not in quiet.stderr


def stderr_of(result) -> str:
    return result.stderr[-2000:]
