"""Access tiers against Azurite: `BlobStore.set_tier_if_unchanged`, the planner and executor of
`aztui/blobs/tiering.py`, details of archived blobs, and `aztui blobs tier` run as a user runs it."""

from __future__ import annotations

import asyncio
import json
import subprocess

import pytest

from aztui.azure.blobs import BlobStore
from aztui.blobs.tiering import TierInputError, archive_note, execute_tier, plan_tier
from aztui.errors import AztuiError, ReadOnlyError
from tests.support.blobs_cli import LAYOUT, run_blobs
from tests.support.profiles import azurite_profile


async def read_tiers(profile, container) -> dict[str, str | None]:
    async with BlobStore(profile) as store:
        return {b.name: b.tier async for b in store.iter_blobs(container)}


def tiers(profile, container) -> dict[str, str | None]:
    return asyncio.run(read_tiers(profile, container))


def check(result: subprocess.CompletedProcess, code: int = 0, *, secret: str) -> subprocess.CompletedProcess:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert secret not in result.stdout and secret not in result.stderr
    return result


# --- store, planner, executor -----------------------------------------------------------------

async def test_archived_blob_details_load_though_its_content_cannot(azurite, container_name, tmp_path):
    profile = azurite_profile(azurite)
    async with BlobStore(profile) as store:
        await store.create_container(container_name)
        blob = await store.upload_blob(container_name, "old.tar", b"x" * 100, tier="Archive",
                                       metadata={"owner": "ops"})
        details = await store.get_details(container_name, "old.tar", etag=blob.etag)
        assert details.info.tier == "Archive" and details.info.metadata == {"owner": "ops"}
        with pytest.raises(AztuiError) as refused:  # what the preview used to show instead of everything
            await store.read_blob(container_name, "old.tar", length=100, etag=blob.etag)
        assert "409" in refused.value.render() or "archive" in refused.value.render().lower()
    assert "Archived" in archive_note("Archive", None, None)
    rehydrating = archive_note("Archive", "rehydrate-pending-to-hot", "High")
    assert "Rehydrating from Archive to Hot" in rehydrating and "High priority" in rehydrating
    assert archive_note("Hot", None, None) is None


async def test_plan_and_execute_set_exactly_the_planned_tiers(azurite, container_name, tmp_path):
    profile = azurite_profile(azurite)
    async with BlobStore(profile) as store:
        await store.create_container(container_name)
        for name in ("a/1", "a/2", "a/3", "b/4"):
            await store.upload_blob(container_name, name, b"data", tier="Cool" if name == "a/3" else "Hot")
        plan = await plan_tier(store, container_name, "cool", prefixes=["a"])
        assert (plan.tier, [i.name for i in plan.items], plan.already) == ("Cool", ["a/1", "a/2"], ("a/3",))
        await store.upload_blob(container_name, "a/2", b"rewritten", overwrite=True)  # after the plan
        report = await execute_tier(store, plan, journal=tmp_path / "j.jsonl")
    assert [(o.name, o.status) for o in sorted(report.outcomes, key=lambda o: o.name)] == [
        ("a/1", "set"), ("a/2", "skipped_changed")]
    assert await read_tiers(profile, container_name) == {"a/1": "Cool", "a/2": "Hot", "a/3": "Cool", "b/4": "Hot"}
    lines = [json.loads(line) for line in (tmp_path / "j.jsonl").read_text().splitlines()]
    assert lines[0]["journal"] == "aztui-tier" and lines[0]["tier"] == "Cool"
    assert sorted((line["name"], line["status"]) for line in lines[1:]) == [("a/1", "set"), ("a/2", "skipped_changed")]


async def test_archive_and_rehydrate_with_priority(azurite, container_name):
    profile = azurite_profile(azurite)
    async with BlobStore(profile) as store:
        await store.create_container(container_name)
        blob = await store.upload_blob(container_name, "x", b"data")
        assert await store.set_tier_if_unchanged(container_name, "x", blob.etag, "Archive") == "set"
        assert (await store.get_blob(container_name, "x")).tier == "Archive"
        plan = await plan_tier(store, container_name, "Hot", rehydrate_priority="high", names=["x"])
        assert plan.rehydrate_priority == "High" and plan.rehydrations == 1
        report = await execute_tier(store, plan)
        assert [o.status for o in report.outcomes] == ["rehydrating"]  # 202: Archive → online
        assert await store.set_tier_if_unchanged(container_name, "gone", blob.etag, "Hot") == "missing"


async def test_tier_input_is_checked_and_read_only_refused(azurite, container_name):
    profile = azurite_profile(azurite)
    async with BlobStore(profile) as store:
        await store.create_container(container_name)
        await store.upload_blob(container_name, "x", b"data")
        with pytest.raises(TierInputError, match="unknown access tier"):
            await plan_tier(store, container_name, "Premium", names=["x"])
        with pytest.raises(TierInputError, match="not Archive"):
            await plan_tier(store, container_name, "Archive", rehydrate_priority="High", names=["x"])
        plan = await plan_tier(store, container_name, "Cool", names=["x"])
    async with BlobStore(azurite_profile(azurite, read_only=True)) as read_only:
        with pytest.raises(ReadOnlyError):
            await execute_tier(read_only, plan)
    assert await read_tiers(profile, container_name) == {"x": "Hot"}


# --- aztui blobs tier -------------------------------------------------------------------------

def test_tier_is_a_dry_run_unless_executed(setup):
    config, container, key, profile = setup
    dry = check(run_blobs(config, "tier", f"local:{container}/raw", "--prefix", "--tier", "cool"), secret=key)
    assert "Plan: set 3 blobs" in dry.stdout and "1 already Cool" in dry.stdout and "Dry run" in dry.stdout
    as_json = json.loads(check(run_blobs(config, "tier", f"local:{container}/top.txt", "--tier", "Archive",
                                         "--json"), secret=key).stdout)
    assert (as_json["executed"], as_json["count"], as_json["tier"]) == (False, 1, "Archive")
    assert as_json["items"][0]["name"] == "top.txt" and as_json["items"][0]["tier"] == "Hot"
    before = {name: ("Cool" if name == "raw/b.bin" else "Hot") for name in LAYOUT}
    assert tiers(profile, container) == before

    done = json.loads(check(run_blobs(config, "tier", f"local:{container}/raw", "--prefix", "--tier", "Archive",
                                      "--execute", "--json"), secret=key).stdout)
    assert (done["executed"], done["planned"], done["changed"], done["failed"], done["skipped_changed"]) == (
        True, 4, 4, [], [])
    assert done["journal"]
    assert tiers(profile, container) == {**{n: "Archive" for n in LAYOUT if n.startswith("raw/")},
                                         "top.txt": "Hot"}
    back = check(run_blobs(config, "tier", f"local:{container}/raw/a.bin", "--tier", "Hot",
                           "--rehydrate-priority", "High", "--execute"), secret=key)
    assert "Set 1 of 1 planned blobs" in back.stdout and "rehydrating" in back.stdout


def test_tier_through_a_read_only_profile_changes_nothing(setup):
    config, container, key, profile = setup
    result = check(run_blobs(config, "tier", f"ro:{container}/top.txt", "--tier", "Cool", "--execute"), 1,
                   secret=key)
    assert "Read-only profile" in result.stderr
    assert tiers(profile, container)["top.txt"] == "Hot"


@pytest.mark.parametrize("args, message", [
    (("--tier", "Cool"), "name the blobs whose tier to change"),
    (("local:abc/x", "--tier", "Premium"), "unknown access tier"),
    (("local:abc/x", "--tier", "Cool", "--rehydrate-priority", "Fast"), "unknown rehydrate priority"),
    (("local:abc/x", "--tier", "Archive", "--rehydrate-priority", "High"), "not Archive"),
    (("local:abc", "--tier", "Cool"), "names no blob or folder"),
    (("local:abc/x", "local:abd/y", "--tier", "Cool"), "another profile or container"),
    (("local:abc/x",), "--tier"),
])
def test_tier_bad_input_exits_2(setup, args, message):
    config, _, key, _ = setup
    result = check(run_blobs(config, "tier", *args), 2, secret=key)
    assert message in result.stderr
