"""No secret ever leaves: every headless command, run against profiles whose secrets are markers.

An Azurite account is created whose two keys are unique marker strings (valid base64, so shared
key signing really works with them); a valid SAS is signed with one (its signature is a marker
too); a wrong key, a forged SAS signature and a client secret (against the local Entra endpoint,
right and wrong) are markers as well. Every command runs in a subprocess, success and error
paths, text and --json, one with --verbose (SDK request logging), and the test fails if any
marker appears in stdout, stderr, the log file, a plan file or a journal. Log, plan and journal
files must be owner-only, their folders not readable by others.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

PROFILES = ["key", "conn", "sas", "forged", "wrongkey", "cache", "tok", "tokbad"]


def commands(container: str, folder: Path) -> list[tuple[str, ...]]:
    c = container
    runs: list[tuple[str, ...]] = [("profiles", "list"), ("profiles", "list", "--json"), ("profiles", "validate"),
                                   ("profiles", "validate", "--json", "--strict"), ("profiles", "path")]
    for name in PROFILES:
        runs += [("profiles", "show", name), ("profiles", "show", name, "--json"),
                 ("profiles", "test", name), ("profiles", "test", name, "--json")]
        if name != "cache":
            runs += [("blobs", "ls", f"{name}:{c}" if name not in ("tok", "tokbad", "conn") else name, "--json"),
                     ("blobs", "ls", f"{name}:{c}/data" if name not in ("tok", "tokbad", "conn") else name)]
    runs += [
        ("profiles", "test", "key", "--write", "--json"), ("profiles", "test", "--all", "--json"),
        ("--verbose", "blobs", "ls", f"sas:{c}/data", "--json"), ("--verbose", "blobs", "ls", f"key:{c}/data"),
        ("--verbose", "blobs", "ls", f"forged:{c}"), ("--verbose", "blobs", "ls", "tokbad"),
        ("blobs", "ls", "conn"), ("blobs", "du", f"key:{c}/data"), ("blobs", "du", f"sas:{c}/data", "--json"),
        ("blobs", "du", f"wrongkey:{c}/data"), ("blobs", "du", "tok:/", "--json"),
        ("blobs", "rm", f"key:{c}/data/0.bin", "--plan-file", str(folder / "plan.json")),
        ("blobs", "rm", f"sas:{c}/data/1.bin", "--json"),
        ("blobs", "rm", f"wrongkey:{c}/data/2.bin", "--execute"),
        ("blobs", "rm", f"forged:{c}/data/2.bin", "--execute", "--json"),
        ("cache", "ls", "cache"), ("cache", "ls", "cache", "--json", "--verify"),
        ("cache", "gc", "cache", "--grace", "0s", "--plan-file", str(folder / "gc.json")),
        ("registry", "ls", "key"), ("registry", "ls", "key", "--json"), ("registry", "gc", "key"),
        ("registry", "gc", "key", "--json"), ("registry", "gc", "wrongkey"), ("registry", "ls", "forged", "--json"),
    ]
    return runs


def run(world: dict, args: tuple[str, ...], *, log: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_STATE_HOME": str(world["folder"] / "state")}
    env.pop("AZTUI_LOG_FILE", None)
    if log:
        env["AZTUI_LOG_FILE"] = str(world["folder"] / "logs" / "aztui.log")
    return subprocess.run([sys.executable, "-m", "aztui", "--config", str(world["config"]), *args],
                          capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)


@pytest.mark.slow
def test_no_command_leaks_a_secret(world):
    folder = world["folder"]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda args: (args, run(world, args)), commands(world["container"], folder)))
    # the destructive ones, on the plans saved above (and the default log location, once)
    results += [(a, run(world, a, log=False)) for a in [
        ("blobs", "rm", "--execute", "--plan-file", str(folder / "plan.json"), "--json"),
        ("blobs", "rm", f"conn:{world['container']}/data/3.bin", "--execute"),
        ("cache", "gc", "cache", "--execute", "--plan-file", str(folder / "gc.json")),
        ("registry", "gc", "key", "--execute", "--yes", "--json"),
    ]]
    codes = {}
    for args, result in results:
        codes[" ".join(args)] = result.returncode
        assert "Traceback" not in result.stderr, (args, result.stderr)
        for m in world["markers"]:
            assert m not in result.stdout and m not in result.stderr, (m, args, result.stdout, result.stderr)
    # the runs really did work (and really did fail where they should)
    assert codes["blobs ls sas:leakdata --json"] == 0 and codes["--verbose blobs ls sas:leakdata/data --json"] == 0 and codes["blobs ls tok --json"] == 0
    assert codes[f"blobs rm --execute --plan-file {folder / 'plan.json'} --json"] == 0
    assert codes[f"cache gc cache --execute --plan-file {folder / 'gc.json'}"] == 0
    assert codes["registry gc key --execute --yes --json"] == 0
    assert codes["blobs du wrongkey:leakdata/data"] == 1 and codes["blobs ls tokbad --json"] == 1
    assert codes["blobs ls forged:leakdata --json"] == 1

    state = folder / "state" / "aztui"
    files = [folder / "logs" / "aztui.log", folder / "plan.json", folder / "gc.json",
             *(state / "journals").glob("*.jsonl"), *state.rglob("*.log")]
    journals = list((state / "journals").glob("*.jsonl"))
    assert len(journals) >= 3 and any(state.rglob("*.log")), sorted(state.rglob("*"))
    for path in files:
        text = path.read_text(errors="replace")
        for m in world["markers"]:
            assert m not in text, (m, path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        if path.parent != folder:  # folders aztui made itself: not readable by others
            assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0, (path.parent, oct(path.parent.stat().st_mode))
