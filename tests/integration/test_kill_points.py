"""Executors killed at many points, then rerun or resumed: the final state is always exactly the plan.

Two executors, driven as users drive them (the `aztui` CLI in a subprocess):
- bulk delete: `aztui blobs rm --execute --plan-file F`, rerun with the same plan file;
- cache GC: `aztui cache gc PROFILE --execute --plan-file F`, then `--resume JOURNAL`.

Each is interrupted with the test hook `AZTUI_TEST_CRASH_AFTER=K` (the process dies right after
the K-th journal outcome line, like a kill) for many K, and with real SIGKILLs at seeded random
moments. After the rerun/resume: exactly the planned blobs are gone, every other blob is intact
with its original content, a blob rewritten after the crash survives with its new content, and
the journals record an outcome for every planned item. One fresh container per kill point.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pytest

from aztui.azure.blobs import BlobStore
from aztui.blobs.deletion import plan_delete
from aztui.journal import CRASH_AFTER_ENV
from tests.support.buildcache import CacheWriter, cache_profile, make_plan, seed
from tests.support.profiles import azurite_profile

PARALLEL = 4  # kill points run side by side (each has its own container, state dir and profiles file)
DONE = {"deleted", "missing", "skipped_changed", "saved"}


seed_profile = partial(azurite_profile, connection_string=True, name="local", secret_key="connection_string")


async def contents(store: BlobStore, container: str) -> dict[str, bytes]:
    """What the container holds. The test's own look, not what is tested: a pooled connection that
    Azurite closed while this store sat idle through a subprocess run (a reset, twice on a busy
    machine) is read again rather than failing the kill point; a blob listed and then gone is left
    out (a batch the killed process had already sent may still land after it died)."""
    from aztui.errors import NotFoundError, UnreachableError

    async def read(name: str) -> bytes | None:
        try:
            return await store.read_blob(container, name)
        except NotFoundError:
            return None

    for attempt in range(3):
        try:
            names = [b.name async for b in store.iter_blobs(container)]
            data = await asyncio.gather(*(read(n) for n in names))
            return {name: blob for name, blob in zip(names, data) if blob is not None}
        except UnreachableError:
            if attempt == 2:
                raise
            await asyncio.sleep(0.5)
    raise AssertionError("unreachable")


def aztui(config: Path, state: Path, *args: str, crash_after: int | None = None) -> subprocess.Popen:
    env = {**os.environ, "XDG_STATE_HOME": str(state), "AZTUI_LOG_FILE": str(state / "aztui.log")}
    env.pop(CRASH_AFTER_ENV, None)
    if crash_after is not None:
        env[CRASH_AFTER_ENV] = str(crash_after)
    return subprocess.Popen([sys.executable, "-m", "aztui", "--config", str(config), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen, timeout: float = 120) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def journal_lines(state: Path) -> list[list[dict]]:
    """Every journal under the state dir (oldest first), as parsed lines; a torn last line is dropped."""
    journals = []
    for path in sorted((state / "aztui" / "journals").glob("*.jsonl")):
        assert oct(path.stat().st_mode & 0o777) == oct(0o600), path
        lines = []
        for line in path.read_text().splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                pass  # killed while writing its last line
        journals.append(lines)
    return journals


async def kill_while_executing(process: subprocess.Popen, state: Path, rng: random.Random) -> None:
    """SIGKILL our own child (by its pid) a random few milliseconds after its journal appears."""
    journals = state / "aztui" / "journals"
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline and not any(journals.glob("*.jsonl")):
        await asyncio.sleep(0.002)
    await asyncio.sleep(rng.uniform(0, 0.12))
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)


async def run_points(points, one) -> list[str]:
    """Run `one(point)` for every point, PARALLEL at a time; the failures, each naming its point."""
    gate = asyncio.Semaphore(PARALLEL)
    failures: list[str] = []

    async def guarded(point):
        async with gate:
            try:
                await one(point)
            except AssertionError as error:
                failures.append(f"{point}: {error}")

    await asyncio.gather(*(guarded(p) for p in points))
    return failures


# --- bulk delete ------------------------------------------------------------------------------

PLANNED = [f"doomed/{i}.bin" for i in range(7)]
KEPT = ["doomed.bin", "doomed-sibling/x.bin", "keep/a.bin"]  # next to the folder, never inside it


async def blobs_rm_point(azurite, tmp: Path, point: tuple) -> None:
    how, k = point
    run_dir = tmp / f"rm-{how}-{k}"
    (state := run_dir / "state").mkdir(parents=True)
    container = f"kill{os.urandom(6).hex()}"
    config = run_dir / "profiles.toml"
    config.write_text(f'[profiles.local]\nconnection_string = "{azurite.connection_string}"\n')
    config.chmod(0o600)
    async with BlobStore(seed_profile(azurite)) as store:
        await store.create_container(container)
        await asyncio.gather(*(store.upload_blob(container, name, f"{name} {k}".encode() * 50)
                               for name in PLANNED + KEPT))
        before = await contents(store, container)
        plan = await plan_delete(store, container, prefixes=["doomed"])
        assert sorted(i.name for i in plan.items) == PLANNED
        plan_file = run_dir / "plan.json"
        plan_file.write_text(plan.to_json())

        args = ("blobs", "rm", "--execute", "--plan-file", str(plan_file), "--json")
        if how == "hook":
            code, out, err = await asyncio.to_thread(finish, aztui(config, state, *args, crash_after=k))
            assert code == 70, f"not interrupted: {code} {err}"
        else:
            process = aztui(config, state, *args)
            await kill_while_executing(process, state, random.Random(f"rm{k}"))
            code, out, err = await asyncio.to_thread(finish, process)
        first = journal_lines(state)
        assert len(first) <= 1
        crashed_outcomes = first[0][1:] if first else []
        if how == "hook":
            assert first, "no journal"
            assert len(crashed_outcomes) == k and {o["status"] for o in crashed_outcomes} == {"deleted"}
        assert {o["name"] for o in crashed_outcomes} <= set(PLANNED)

        # after the crash, somebody writes newer data: under a name already deleted, and under one
        # that may or may not have been deleted yet; neither newer blob may be lost by the rerun
        newer = {}
        if crashed_outcomes:
            newer[crashed_outcomes[0]["name"]] = b"recreated after the crash"
        newer[PLANNED[-1]] = b"rewritten after the crash"
        for name, data in newer.items():
            await store.upload_blob(container, name, data, overwrite=True)

        state2 = run_dir / "state2"
        code, out, err = await asyncio.to_thread(finish, aztui(config, state2, *args))
        assert code in (0, 1) and "Traceback" not in err, err
        report = json.loads(out)
        assert sorted(report["skipped_changed"]) == sorted(newer), report
        assert not report["failed"], report
        [rerun] = journal_lines(state2)
        statuses = {o["name"]: o["status"] for o in rerun[1:]}
        assert sorted(statuses) == PLANNED and len(rerun) == 1 + len(PLANNED), rerun
        for o in crashed_outcomes:
            assert statuses[o["name"]] in ({"skipped_changed"} if o["name"] in newer else {"missing"})
        assert set(statuses.values()) <= DONE

        after = await contents(store, container)
        assert after == {**{n: before[n] for n in KEPT}, **newer}, sorted(after)


@pytest.mark.slow
async def test_blobs_rm_killed_at_every_point_then_rerun(azurite, tmp_path):
    points = [("hook", k) for k in range(1, len(PLANNED) + 1)] + [("sigkill", n) for n in range(3)]
    failures = await run_points(points, lambda p: blobs_rm_point(azurite, tmp_path, p))
    assert not failures, "\n".join(failures)


# --- cache gc ---------------------------------------------------------------------------------

async def cache_gc_point(azurite, tmp: Path, point: tuple) -> None:
    how, k, batch, concurrency = point
    run_dir = tmp / f"gc-{how}-{k}-{batch}"
    (state := run_dir / "state").mkdir(parents=True)
    container = f"kill{os.urandom(6).hex()}"
    config = run_dir / "profiles.toml"
    config.write_text(f'[profiles.cache]\naccount_url = "{azurite.blob_endpoint}"\n'
                      f'account_name = "{azurite.account}"\nsecret_access_key = "{azurite.key}"\n'
                      f'container = "{container}"\n')
    config.chmod(0o600)
    async with BlobStore(cache_profile(azurite, container)) as store:
        await store.create_container(container)
        await seed(CacheWriter(store, container), orphans=6)
        before = await contents(store, container)
        plan = await make_plan(store)
        planned = {i.name for i in plan.delete}
        assert len(planned) == 9
        plan_file = run_dir / "plan.json"
        plan_file.write_text(plan.to_json())

        tuning = ("--batch-size", str(batch), "--concurrency", str(concurrency), "--json")
        args = ("cache", "gc", "cache", "--execute", "--plan-file", str(plan_file), *tuning)
        if how == "hook":
            code, out, err = await asyncio.to_thread(finish, aztui(config, state, *args, crash_after=k))
            assert code == 70, f"not interrupted: {code} {err}"
        else:
            process = aztui(config, state, *args)
            await kill_while_executing(process, state, random.Random(f"gc{k}"))
            code, _, _ = await asyncio.to_thread(finish, process)
        journals = list((state / "aztui" / "journals").glob("*.jsonl"))
        first = journal_lines(state)
        crashed = first[0][1:] if first else []
        if how == "hook":
            assert len(crashed) == k and {o["status"] for o in crashed} == {"deleted"}, crashed
            # the manifest goes first: never a cache name pointing at deleted layers
            assert crashed[0]["kind"] == "manifest"
        left = await contents(store, container)
        assert set(left) >= set(before) - planned  # nothing outside the plan, even mid-way

        if first and first[0]:
            resume = ("cache", "gc", "cache", "--resume", str(journals[0]), *tuning)
            code, out, err = await asyncio.to_thread(finish, aztui(config, state, *resume))
        else:  # killed before the journal (or its header) was written: nothing was deleted
            assert left == before
            if journals:  # an empty journal: resume says so, and the plan is run again
                resume = ("cache", "gc", "cache", "--resume", str(journals[0]), *tuning)
                code, out, err = await asyncio.to_thread(finish, aztui(config, state, *resume))
                assert code == 2 and "is empty" in err, (code, err)
            state = run_dir / "state2"
            code, out, err = await asyncio.to_thread(finish, aztui(config, state, *args))
        assert code in (0, 3) and "Traceback" not in err, (code, err)
        report = json.loads(out)
        outcomes = {o["name"]: o["status"] for o in report["outcomes"]}
        assert set(outcomes) == planned and set(outcomes.values()) <= {"deleted", "missing"}, outcomes
        for o in crashed:
            assert outcomes[o["name"]] == "deleted"  # from the journal, not redone

        [journal] = journal_lines(state)
        recorded = {line["name"]: line["status"] for line in journal[1:] if "status" in line}
        assert set(recorded) == planned and set(recorded.values()) <= DONE
        after = await contents(store, container)
        assert after == {n: data for n, data in before.items() if n not in planned}


@pytest.mark.slow
async def test_cache_gc_killed_at_every_point_then_resumed(azurite, tmp_path):
    points = ([("hook", k, 1, 1) for k in range(1, 10)]           # one delete per request: after each
              + [("hook", k, 3, 2) for k in (2, 4, 8)]            # batched: inside and between batches
              + [("sigkill", n, 1, 1) for n in range(3)])
    failures = await run_points(points, lambda p: cache_gc_point(azurite, tmp_path, p))
    assert not failures, "\n".join(failures)
