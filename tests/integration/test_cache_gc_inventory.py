"""`cache gc --inventory`: the blobs from a Blob Inventory report in Azurite, the manifests read live,
every planned blob checked live before anything is deleted.

The cache is conftest's `gc_layout` (app and ci/main share `base`; ci/pr-1 is ci/main's export;
`other`; one orphan). Reports are written the way Azure writes them (tests/support/inventory.py) from
a live listing taken when the test says "the report is taken"; what happens afterwards is what a
day-old report does not know.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

import pytest

from aztui.azure.blobs import BlobStore
from aztui.cli import main
from tests.support.buildcache import CacheWriter, cache_profile, raced_export
from tests.support.faultproxy import FaultProxy
from tests.support.inventory import COLUMNS, Row, Run, row_of, write_run

T0 = datetime(2026, 12, 1, 10, 0, 0, tzinfo=timezone.utc)
POLICY = ("--grace", "0s", "--max-age", "0s", "--include", "^ci/")   # ci/* expire; orphans past the grace


@pytest.fixture
def world(gc_layout, gc_config, azurite, container_name, tmp_path, monkeypatch):
    """(config, cache container, inventory container, layout, azurite); journals under tmp_path."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    inventory = container_name[:50] + "-inv"
    asyncio.run(_with_store(azurite, container_name, lambda store, w: store.create_container(inventory)))
    return gc_config, container_name, inventory, gc_layout, azurite


async def _with_store(azurite, container, action):
    async with BlobStore(cache_profile(azurite, container)) as store:
        return await action(store, CacheWriter(store, container))


def take_report(world, *, rule: str = "daily", **run_options) -> Run:
    """An inventory run of the cache container as it is now, written into the inventory container."""
    _, container, inventory, _, azurite = world

    async def go(store, _):
        rows = [row_of(container, b) async for b in store.iter_blobs(container)]
        run = Run(rule, T0, rows, **run_options)
        await write_run(store, inventory, run)
        return run
    return asyncio.run(_with_store(azurite, container, go))


def names(world) -> set[str]:
    _, container, _, _, azurite = world

    async def go(store, _):
        return {b.name async for b in store.iter_blobs(container)}
    return asyncio.run(_with_store(azurite, container, go))


def gc(capsys, world, *args: str, profile: str = "cache") -> tuple[int, str, str]:
    code = main(["--config", world[0], "cache", "gc", profile, *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def gc_json(capsys, world, *args: str) -> tuple[int, dict]:
    code, out, err = gc(capsys, world, *args, "--json")
    assert code in (0, 3), err
    return code, json.loads(out)


def test_the_plan_from_an_inventory_equals_the_live_plan(world, capsys):
    _, _, inventory, layout, _ = world
    run = take_report(world, chunks=2)
    before = names(world)
    _, live = gc_json(capsys, world, *POLICY)
    _, got = gc_json(capsys, world, *POLICY, "--inventory", inventory)
    assert {i["name"] for i in live["delete"]} == {"manifests/ci/main", "manifests/ci/pr-1",
                                                  f"blobs/{layout['ci']}", f"blobs/{layout['orphan']}"}
    for field in ("delete", "keep", "bytes_reclaimed", "blob_count", "manifest_count", "kept_summary", "checksum"):
        assert got[field] == live[field], field
    assert live["source"] == "listing" and live["inventory_time"] is None
    assert (got["source"], got["inventory_time"], got["inventory_rule"]) == ("inventory", run.completed, "daily")
    assert got["inventory_manifest"] == f"{inventory}/{run.folder}/daily-manifest.json"
    assert got["verify_dropped"] == [] and got["verify_dropped_count"] == 0 and got["dry_run"] is True
    assert names(world) == before
    code, out, _ = gc(capsys, world, *POLICY, "--inventory", inventory)
    assert code == 0 and f"Blobs from inventory rule daily, run completed {run.completed}" in out
    assert "Dry run: nothing was deleted" in out


def test_progress_shows_the_report_rows_then_the_live_check(world, capsys):
    _, container, inventory, layout, azurite = world

    async def go(store, _):
        rows = [row_of(container, b) async for b in store.iter_blobs(container)]
        rows += [Row(f"other-container/bulk/{i:05}.bin", 3) for i in range(12_000)]  # read, not ours
        await write_run(store, inventory, Run("daily", T0, rows, chunks=2))
        return rows
    rows = asyncio.run(_with_store(azurite, container, go))
    code, out, err = gc(capsys, world, "--grace", "0s", "--inventory", inventory, "--progress")
    assert code == 0, err
    reading = [line for line in err.splitlines() if line.startswith("reading inventory:")]
    assert reading and f"(report: {len(rows):,} objects)" in reading[0]
    checks = [line for line in err.splitlines() if line.startswith("checking planned blobs live:")]
    assert checks and checks[-1].startswith("checking planned blobs live: 1 of 1, ") and checks[-1].endswith("done")
    assert layout["orphan"] in out
    code, _, quiet = gc(capsys, world, "--grace", "0s", "--inventory", inventory)  # stderr is not a terminal
    assert code == 0 and "reading inventory" not in quiet and "checking planned" not in quiet


def test_a_blob_uploaded_after_the_report_is_never_planned(world, capsys):
    _, _, inventory, layout, azurite = world
    take_report(world)
    late = asyncio.run(_with_store(azurite, world[1], lambda _, w: w.layer(b"uploaded after the report")))
    _, live = gc_json(capsys, world, "--grace", "0s")
    assert f"blobs/{late}" in {i["name"] for i in live["delete"]}  # a listing would take it
    code, report = gc_json(capsys, world, "--grace", "0s", "--inventory", inventory, "--execute")
    assert code == 0 and [i["name"] for i in report["delete"]] == [f"blobs/{layout['orphan']}"]
    assert [(o["name"], o["status"]) for o in report["outcomes"]] == [(f"blobs/{layout['orphan']}", "deleted")]
    left = names(world)
    assert f"blobs/{late}" in left and f"blobs/{layout['orphan']}" not in left


def test_a_blob_rewritten_or_deleted_after_the_report_is_dropped_at_verification(world, capsys):
    _, container, inventory, layout, azurite = world
    spare, gone = asyncio.run(_with_store(azurite, container, lambda _, w: w.layers(7, 8, seed="more")))
    take_report(world)

    async def change(store, _):  # same names, other content: new ETags; and one deleted
        await store.upload_blob(container, f"blobs/{layout['orphan']}", b"rewritten", overwrite=True)
        await store.delete_blob(container, f"blobs/{gone}")
    asyncio.run(_with_store(azurite, container, change))

    code, report = gc_json(capsys, world, "--grace", "0s", "--inventory", inventory, "--execute")
    assert code == 0 and [i["name"] for i in report["delete"]] == [f"blobs/{spare}"]
    assert report["deleted"] == 1 and report["verify_dropped_count"] == 2
    dropped = {d["name"]: d["reason"] for d in report["verify_dropped"]}
    assert dropped[f"blobs/{gone}"] == "gone since the inventory report"
    assert dropped[f"blobs/{layout['orphan']}"].startswith("rewritten since the inventory report (ETag 0x")
    assert "2 planned blobs dropped by the live check" in report["kept_summary"][-1]
    code, out, _ = gc(capsys, world, "--grace", "0s", "--inventory", inventory)  # the same run, in words
    assert code == 3 and "3 planned blobs dropped by the live check:" in out  # now `spare` is gone too
    assert f"blobs/{layout['orphan']}  (rewritten since the inventory report (ETag 0x" in out
    left = names(world)
    assert f"blobs/{layout['orphan']}" in left and f"blobs/{spare}" not in left

    take_report(world)  # a newer run knows the rewritten blob: it goes, checked against the new ETag
    code, out, _ = gc(capsys, world, "--grace", "0s", "--inventory", inventory)
    assert code == 0 and f"blobs/{layout['orphan']}" in out and "dropped by the live check" not in out


def test_an_orphan_the_report_calls_old_but_younger_than_the_grace_live_is_dropped(world, capsys):
    _, container, inventory, layout, azurite = world
    run = take_report(world)
    for row in run.rows:  # the report says a day before it ran; the live blob is minutes old
        row.last_modified = "2026-11-30T10:00:00.0000000Z"
    asyncio.run(_with_store(azurite, container, lambda store, _: write_run(store, inventory, run)))
    code, plan = gc_json(capsys, world, "--grace", "1h", "--inventory", inventory)
    assert code == 3 and plan["delete"] == []
    assert [d["name"] for d in plan["verify_dropped"]] == [f"blobs/{layout['orphan']}"]
    assert plan["verify_dropped"][0]["reason"].startswith("orphan younger than 1h when checked (last modified 20")
    assert "1 planned blob dropped by the live check" in plan["empty_reason"]


def test_a_blob_referenced_by_a_manifest_written_after_the_report_is_kept(world, capsys):
    _, container, inventory, layout, azurite = world
    take_report(world)

    async def export(store, w):  # an export after the report: one layer it already had, one new
        new = await w.layer(b"a layer newer than the report")
        await w.export("late", [layout["orphan"], new])
        return new
    new = asyncio.run(_with_store(azurite, container, export))
    code, plan = gc_json(capsys, world, "--grace", "0s", "--drop-broken", "--inventory", inventory)
    kept = {k["name"]: k for k in plan["keep"]}
    assert code == 3 and plan["delete"] == [] and plan["anomalies"] == []  # `new` is not "missing"
    assert kept[f"blobs/{layout['orphan']}"]["reason"] == "referenced by late"
    assert kept["manifests/late"]["rule"] == "no-policy"
    code, report = gc_json(capsys, world, "--grace", "0s", "--drop-broken", "--inventory", inventory, "--execute")
    assert code == 3 and report["deleted"] == 0
    assert {f"blobs/{layout['orphan']}", f"blobs/{new}", "manifests/late"} <= names(world)


def test_read_only_profile_refuses_before_reading(world, capsys):
    _, _, inventory, _, _ = world
    take_report(world)
    before = names(world)
    code, _, err = gc(capsys, world, "--grace", "0s", "--inventory", inventory, "--execute", profile="frozen")
    assert code == 1 and "profile 'frozen' is read-only" in err and "Traceback" not in err
    assert names(world) == before


@pytest.mark.parametrize("runs, arg, message, exit_code", [
    ([], "{inv}", "no inventory run", 1),
    ([Run("daily", T0, [], status="Failed")], "{inv}", "no successful inventory run", 1),
    ([Run("daily", T0, [])], "{inv}/weekly", "no inventory run of rule 'weekly'", 1),
    ([Run("daily", T0, [Row("elsewhere/blobs/x", 1, etag="0x1")])], "{inv}",
     "lists no blob of container '{container}' (it lists elsewhere)", 1),
    ([Run("daily", T0, [], prefix_match=["elsewhere/"])], "{inv}", "covers only elsewhere/", 1),
    ([Run("daily", T0, [], columns=[c for c in COLUMNS if c != "Etag"])], "{inv}", "has no 'Etag' column", 1),
    ([Run("daily", T0, [], format="parquet")], "{inv}", "parquet reports", 1),
    ([], "{inv}/a/b", "is not INVENTORY_CONTAINER", 2),
])
def test_unusable_inventories_are_clear_errors(world, capsys, runs, arg, message, exit_code):
    _, container, inventory, _, azurite = world

    async def write(store, _):
        for run in runs:
            await write_run(store, inventory, run)
    asyncio.run(_with_store(azurite, container, write))
    before = names(world)
    code, out, err = gc(capsys, world, "--grace", "0s", "--json", "--execute",
                        "--inventory", arg.format(inv=inventory))
    assert code == exit_code and message.format(container=container) in err, err
    assert "Traceback" not in err and out == "" and names(world) == before


def test_inventory_with_resume_or_a_plan_file_is_refused(world, capsys, tmp_path):
    for extra in (["--resume", str(tmp_path / "j")], ["--execute", "--plan-file", str(tmp_path / "p")]):
        code, _, err = gc(capsys, world, "--inventory", world[2], *extra)
        assert code == 2 and "--inventory makes a new plan" in err


def test_a_saved_inventory_plan_keeps_its_source_and_drops(world, capsys, tmp_path):
    _, container, inventory, layout, azurite = world
    take_report(world)
    asyncio.run(_with_store(azurite, container, lambda store, _: store.upload_blob(
        container, f"blobs/{layout['orphan']}", b"rewritten", overwrite=True)))
    plan_file = tmp_path / "plan.json"
    code, _, _ = gc(capsys, world, *POLICY, "--inventory", inventory, "--plan-file", str(plan_file))
    assert code == 0
    code, report = gc_json(capsys, world, "--execute", "--plan-file", str(plan_file))
    assert code == 0 and report["source"] == "inventory" and report["verify_dropped_count"] == 1
    assert report["deleted"] == 3 and f"blobs/{layout['orphan']}" in names(world)


def test_a_manifest_racing_the_sweep_is_dropped_and_the_journal_resumes(world, capsys, write_profiles):
    """The executor's steps stay: an export racing the blob batch is dropped (dropped_raced), and
    --resume of the run's journal finishes with the plan's inventory source intact."""
    _, container, inventory, layout, azurite = world
    take_report(world)
    orphan = layout["orphan"]
    with FaultProxy(azurite.port) as proxy:
        proxy.add(raced_export(azurite, container, "ci/raced", [layout["base"], orphan]))
        config = write_profiles(f"""
            [profiles.cache]
            account_url = "{proxy.url(azurite.account)}"
            account_name = "{azurite.account}"
            container = "{container}"
            secret_access_key = "{azurite.key}"
            """, name="proxied.toml")
        code = main(["--config", str(config), "cache", "gc", "cache", "--grace", "0s", "--inventory", inventory,
                     "--execute", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["source"] == "inventory"
    statuses = {o["status"]: o["name"] for o in report["outcomes"]}
    assert statuses == {"deleted": f"blobs/{orphan}", "dropped_raced": "manifests/ci/raced"}
    assert "manifests/ci/raced" not in names(world)
    code, resumed = gc_json(capsys, world, "--resume", report["journal"])
    assert code == 0 and resumed["source"] == "inventory" and resumed["inventory_time"] == report["inventory_time"]
    assert {o["status"] for o in resumed["outcomes"]} == {"deleted", "dropped_raced"}
