"""Executing cache GC plans against Azurite: exactly the plan, races, read-only, crash and resume.

Azurite stamps Last-Modified at upload, so ages are made by planning with a `now` in the future.
Layouts are small (tens of blobs): Azurite stalls after many thousands of deletes.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
from dataclasses import replace
from datetime import datetime

import pytest

from aztui.azure.blobs import BlobStore
from aztui.blobs.deletion import PlanFileError
from aztui.cache.buildkit import MISSING_BLOB, read_cache
from aztui.cache.executor import execute_cache_gc, read_journal, resume
from aztui.errors import ReadOnlyError
from aztui.journal import CRASH_AFTER_ENV
from tests.support.buildcache import CacheWriter, cache_profile, make_plan, raced_export, seed
from tests.support.faultproxy import FaultProxy


@pytest.fixture
async def cache(azurite, container_name):
    async with BlobStore(cache_profile(azurite, container_name)) as store:
        await store.create_container(container_name)
        yield store, CacheWriter(store, container_name)


async def names_in(store, container) -> set[str]:
    return {b.name async for b in store.iter_blobs(container)}


async def test_execute_deletes_exactly_the_plan(cache, container_name, tmp_path):
    store, w = cache
    layers = await seed(w)
    plan = await make_plan(store)
    expected = {"manifests/old/one"} | {f"blobs/{d}" for d in layers["old"] + layers["orphans"]}
    assert {i.name for i in plan.delete} == expected
    before = await names_in(store, container_name)

    report = await execute_cache_gc(store, plan, journal=tmp_path / "j.jsonl", batch_size=2)

    assert await names_in(store, container_name) == before - expected
    assert {o.name for o in report.deleted} == expected and not report.failed and not report.saved
    assert report.bytes_deleted == plan.bytes_reclaimed
    assert stat.S_IMODE((tmp_path / "j.jsonl").stat().st_mode) == 0o600
    lines = [json.loads(line) for line in (tmp_path / "j.jsonl").read_text().splitlines()]
    assert lines[0]["plan_checksum"] == plan.checksum() and len(lines) == 1 + len(expected)
    assert {(x["name"], x["status"]) for x in lines[1:]} == {(n, "deleted") for n in expected}
    # the manifest goes first: a crash never leaves a cache name pointing at deleted blobs
    assert lines[1]["kind"] == "manifest"


async def test_race_new_reference_saves_and_rewrite_skips(cache, container_name, tmp_path):
    store, w = cache
    layers = await seed(w, orphans=3)
    plan = await make_plan(store)
    old1, old2 = layers["old"]
    o1, o2, o3 = layers["orphans"]
    # between plan and execute: a new export references a planned blob (and a planned orphan),
    # and a planned orphan is rewritten (same name, new ETag)
    await w.export("new", [layers["base"][0], old1, o1])
    await store.upload_blob(container_name, f"blobs/{o2}", b"rewritten", overwrite=True)

    report = await execute_cache_gc(store, plan, journal=tmp_path / "j.jsonl")

    outcome = {o.name: o for o in report.outcomes}
    assert outcome[f"blobs/{old1}"].status == "saved"
    assert outcome[f"blobs/{old1}"].detail == "saved: now referenced by new"
    assert outcome[f"blobs/{o1}"].status == "saved"
    assert outcome[f"blobs/{o2}"].status == "skipped_changed"
    assert {o.name for o in report.deleted} == {"manifests/old/one", f"blobs/{old2}", f"blobs/{o3}"}
    left = await names_in(store, container_name)
    assert {f"blobs/{old1}", f"blobs/{o1}", f"blobs/{o2}", "manifests/new"} <= left
    assert f"blobs/{old2}" not in left and "manifests/old/one" not in left


async def test_an_export_racing_the_sweep_is_dropped_not_left_pointing_at_deleted_blobs(
        azurite, cache, container_name, tmp_path):
    """BuildKit has no lock: an export that found its layers present writes its manifest while the
    blob batch deletes them. The run ends with no manifest naming a missing blob."""
    store, w = cache
    layers = await seed(w, orphans=2)
    plan = await make_plan(store)
    old1, o1 = layers["old"][0], layers["orphans"][0]
    before = await read_cache(store)
    planned = {i.name for i in plan.delete}
    kept_refs = {f"blobs/{d}" for m in before.manifests if m.blob_name not in planned for d in m.layers}
    with FaultProxy(azurite.port) as proxy:
        # skip=1: the first batch deletes the expired manifest; the export lands during the blob batch
        proxy.add(raced_export(azurite, container_name, "raced", [layers["base"][0], old1, o1], skip=1))
        proxied = cache_profile(azurite, container_name, account_url=proxy.url(azurite.account))
        async with BlobStore(proxied) as through_proxy:
            report = await execute_cache_gc(through_proxy, plan, journal=tmp_path / "j.jsonl")
        assert len(proxy.requests(fault="hook")) == 1 and proxy.pending == 0

    assert {o.name for o in report.deleted} == planned  # the sweep did delete the raced blobs
    (dropped,) = report.dropped
    assert (dropped.kind, dropped.name, dropped.cache_name) == ("manifest", "manifests/raced", "raced")
    assert set(dropped.blobs) == {f"blobs/{old1}", f"blobs/{o1}"}
    assert "references 2 blobs this run deleted" in dropped.detail and "cache miss" in dropped.detail
    after = await read_cache(store)
    assert [a for a in after.anomalies if a.kind == MISSING_BLOB] == []  # every manifest's blobs exist
    assert {m.cache_name for m in after.manifests} == {"keep"}
    assert kept_refs <= {b.blob_name for b in after.blobs}  # nothing a kept manifest named is gone
    lines = [json.loads(line) for line in (tmp_path / "j.jsonl").read_text().splitlines()]
    (journaled,) = [x for x in lines if x.get("status") == "dropped_raced"]
    assert journaled["cache_name"] == "raced" and set(journaled["blobs"]) == set(dropped.blobs)
    assert not report.failed


async def test_resume_also_drops_a_manifest_that_names_a_blob_the_run_deleted(cache, container_name, tmp_path):
    store, w = cache
    layers = await seed(w)
    plan = await make_plan(store)
    journal = tmp_path / "j.jsonl"
    assert not (await execute_cache_gc(store, plan, journal=journal)).dropped
    old1, old2 = layers["old"]
    # after the run's last check: one export names a deleted blob; another found it missing and
    # uploaded it again, so its manifest is sound and stays
    await w.export("late", [layers["base"][0], old1])
    await store.upload_blob(container_name, f"blobs/{old2}", b"uploaded again")
    await w.export("fixed", [old2])

    resumed = await resume(journal, store)

    assert [(o.cache_name, o.blobs) for o in resumed.dropped] == [("late", (f"blobs/{old1}",))]
    assert {o.name: o.status for o in resumed.outcomes if o.status != "dropped_raced"} == \
        {i.name: "deleted" for i in plan.delete}  # the planned items keep their first outcome
    left = await names_in(store, container_name)
    assert "manifests/late" not in left and {"manifests/fixed", f"blobs/{old2}"} <= left
    again = await resume(journal, store)  # the journal remembers the drop
    assert [o.cache_name for o in again.dropped] == ["late"]


async def test_reexported_manifest_is_skipped_and_keeps_its_layers(cache, container_name, tmp_path):
    store, w = cache
    layers = await seed(w, orphans=0)
    plan = await make_plan(store)
    await w.export("old/one", [layers["base"][0], *layers["old"]])  # BuildKit exports it again

    report = await execute_cache_gc(store, plan, journal=tmp_path / "j.jsonl")

    assert [o.status for o in report.outcomes if o.kind == "manifest"] == ["skipped_changed"]
    assert {o.status for o in report.outcomes if o.kind == "blob"} == {"saved"}
    assert not report.deleted


async def test_unreadable_manifest_at_execute_time_saves_every_blob(cache, container_name, tmp_path):
    store, w = cache
    await seed(w)
    plan = await make_plan(store)
    await store.upload_blob(container_name, "manifests/half-written", b'{"layers": [')

    report = await execute_cache_gc(store, plan, journal=tmp_path / "j.jsonl")

    assert [o.name for o in report.deleted] == ["manifests/old/one"]
    assert all(o.status == "saved" and "unreadable" in o.detail for o in report.outcomes if o.kind == "blob")


async def test_read_only_profile_is_refused_before_any_request(azurite, cache, container_name, tmp_path):
    store, w = cache
    await seed(w)
    plan = await make_plan(store)
    before = await names_in(store, container_name)
    async with BlobStore(cache_profile(azurite, container_name, read_only=True)) as ro:
        with pytest.raises(ReadOnlyError):
            await execute_cache_gc(ro, plan, journal=tmp_path / "j.jsonl")
    assert await names_in(store, container_name) == before
    assert not (tmp_path / "j.jsonl").exists()


async def test_plan_for_another_profile_or_prefix_is_refused(azurite, cache, container_name, tmp_path):
    store, w = cache
    await seed(w)
    plan = await make_plan(store)
    with pytest.raises(PlanFileError, match="made for profile 'other', not 'cache'"):
        await execute_cache_gc(store, replace(plan, profile="other"), journal=tmp_path / "a.jsonl")
    async with BlobStore(cache_profile(azurite, container_name, prefix="elsewhere")) as moved:
        with pytest.raises(PlanFileError, match="now points at"):
            await execute_cache_gc(moved, plan, journal=tmp_path / "b.jsonl")


CRASHING_RUN = """
import asyncio, json, sys
from aztui.azure.blobs import BlobStore
from aztui.cache.executor import execute_cache_gc
from aztui.cache.planner import GcPlan
from aztui.profiles.model import Profile, Secret
endpoint, key, container, plan_file, journal = sys.argv[1:]
profile = Profile(name="cache", kind="buildkit-cache", auth="shared_key", account_name="devstoreaccount1",
                  account_url=endpoint, account_key=Secret(key), container=container)
async def main():
    async with BlobStore(profile) as store:
        await execute_cache_gc(store, GcPlan.from_json(open(plan_file).read()), journal=journal,
                               batch_size=1, concurrency=1)
asyncio.run(main())
"""


async def test_killed_execute_resumes_to_the_same_result(azurite, tmp_path):
    """Two identical caches: one collected in one go, one killed after 3 deletes then resumed."""
    finals, reports = [], []
    for run in ("whole", "killed"):
        container = f"t{run}{datetime.now().strftime('%H%M%S%f')}"
        async with BlobStore(cache_profile(azurite, container)) as store:
            await store.create_container(container)
            await seed(CacheWriter(store, container), orphans=6)
            plan = await make_plan(store)
            assert len(plan.delete) == 9
            journal = tmp_path / f"{run}.jsonl"
            if run == "whole":
                report = await execute_cache_gc(store, plan, journal=journal, batch_size=1, concurrency=1)
            else:
                (tmp_path / "plan.json").write_text(plan.to_json())
                crashed = await asyncio.to_thread(
                    subprocess.run, [sys.executable, "-c", CRASHING_RUN, azurite.blob_endpoint, azurite.key, container,
                     str(tmp_path / "plan.json"), str(journal)],
                    env={**os.environ, CRASH_AFTER_ENV: "3"}, capture_output=True, text=True,
                    timeout=120, check=False)
                assert crashed.returncode == 70, crashed.stderr
                _, recorded = read_journal(journal)
                assert len(recorded) == 3
                left = await names_in(store, container)
                assert sum(i.name in left for i in plan.delete) == 6  # really interrupted midway
                report = await resume(journal, store, batch_size=2)
                assert len([line for line in journal.read_text().splitlines() if '"status"' in line]) == 9
            finals.append(await names_in(store, container))
            reports.append(sorted((o.name, o.status) for o in report.outcomes))
    assert finals[0] == finals[1]
    assert reports[0] == reports[1]
    assert all(status == "deleted" for _, status in reports[1])
