"""Blob soft delete: every delete plan says how long deleted blobs stay recoverable; undelete.

Azurite keeps the service properties (so the retention is read from it), but has no soft delete
(include=deleted lists nothing, Undelete Blob answers 501): listing deleted blobs and undeleting
them run against `tests/support/soft_delete_server.py`, which speaks the documented XML.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from aztui.azure.blobs import BlobStore
from aztui.blobs.deletion import DeletePlan, execute_delete, plan_delete
from aztui.blobs.soft_delete import execute_undelete, plan_undelete, recoverable_text
from aztui.errors import NotFoundError, ReadOnlyError
from tests.support.blobs_cli import run_blobs
from tests.support.profiles import azurite_profile
from tests.support.soft_delete_server import ACCOUNT, SoftDeleteServer

KEY = "a2V5"  # any key: the server checks that requests are signed, not the signature


def server_profile(server: SoftDeleteServer, **changes):
    from aztui.profiles.model import Profile, Secret

    return Profile(name="soft", kind="storage", auth="shared_key", account_name=ACCOUNT,
                   account_url=server.account_url, account_key=Secret(KEY, key="account_key"), max_retries=0,
                   **changes)


@pytest.fixture
def server():
    with SoftDeleteServer(retention_days=7) as server:
        for name in ("old/a.log", "old/b.log", "old/deep/c.log", "keep.txt"):
            server.put("logs", name, name.encode())
        server.put("logs", "old/gone.log", b"deleted two days ago", deleted_days_ago=2)
        yield server


def config_for(write_profiles, server, *, read_only: bool = False):
    return write_profiles(name="read-only.toml" if read_only else "profiles.toml", text=f"""
        [profiles.soft]
        account_name = "{ACCOUNT}"
        account_url = "{server.account_url}"
        account_key = "{KEY}"
        max_retries = 0
        read_only = {str(read_only).lower()}
        """)


async def test_recoverable_days_from_azurite_service_properties(azurite, container_name):
    async with BlobStore(azurite_profile(azurite)) as store:
        await store.create_container(container_name)
        await store.upload_blob(container_name, "x/a", b"a")
        assert (await plan_delete(store, container_name, prefixes=["x"])).recoverable_days == 0  # Azurite's default
    from azure.storage.blob import RetentionPolicy

    async with BlobStore(azurite_profile(azurite)) as store:
        await store.service.set_service_properties(delete_retention_policy=RetentionPolicy(enabled=True, days=9))
        try:
            plan = await plan_delete(store, container_name, prefixes=["x"])
        finally:
            await store.service.set_service_properties(delete_retention_policy=RetentionPolicy(enabled=False))
    assert plan.recoverable_days == 9 and json.loads(plan.to_json())["recoverable_days"] == 9
    again = DeletePlan.from_json(plan.to_json())
    assert again.recoverable_days == 9 and again.checksum() == plan.checksum()


def test_recoverable_text():
    assert recoverable_text(7) == "Soft delete is on: deleted blobs stay recoverable for 7 days."
    assert recoverable_text(1).endswith("for 1 day.")
    assert "cannot be recovered" in recoverable_text(0) and "unknown" in recoverable_text(None)


async def test_unreadable_service_properties_are_unknown_not_an_error(server):
    server.refuse_properties = True
    async with BlobStore(server_profile(server)) as store:
        plan = await plan_delete(store, "logs", names=["keep.txt"])
    assert plan.recoverable_days is None and plan.count == 1


async def test_deleted_blobs_are_listed_only_when_asked(server):
    async with BlobStore(server_profile(server)) as store:
        plain = await store.list_page("logs", "old/", recursive=True)
        with_deleted = await store.list_page("logs", "old/", recursive=True, include_deleted=True)
    assert [b.name for b in plain.items] == ["old/a.log", "old/b.log", "old/deep/c.log"]
    gone = [b for b in with_deleted.items if b.deleted]
    assert [(b.name, b.remaining_days) for b in gone] == [("old/gone.log", 5)]
    assert gone[0].deleted_on is not None and gone[0].size == len(b"deleted two days ago")
    assert ("GET", f"/{ACCOUNT}/logs", {"restype": "container", "comp": "list", "prefix": "old/",
                                        "maxresults": "500", "include": "metadata,deleted"}) in server.requests


async def test_delete_then_undelete_exactly_the_plan(server, tmp_path):
    async with BlobStore(server_profile(server)) as store:
        deleted = await execute_delete(store, await plan_delete(store, "logs", prefixes=["old"]),
                                       journal=tmp_path / "rm.jsonl")
        assert len(deleted.deleted) == 3 and server.live("logs") == ["keep.txt"]
        server.put("logs", "old/other.log", b"deleted later, not in the plan", deleted_days_ago=0)
        plan = await plan_undelete(store, "logs", prefixes=["old"], names=["old/gone.log"])
        server.put("logs", "old/late.log", b"deleted after the plan", deleted_days_ago=0)
        report = await execute_undelete(store, plan, journal=tmp_path / "undelete.jsonl")
    assert [i.name for i in plan.items] == ["old/a.log", "old/b.log", "old/deep/c.log", "old/gone.log",
                                            "old/other.log"]
    assert len(report.undeleted) == 5 and not report.failed
    assert server.live("logs") == ["keep.txt", "old/a.log", "old/b.log", "old/deep/c.log", "old/gone.log",
                                   "old/other.log"]
    assert server.soft_deleted("logs") == ["old/late.log"]  # not planned: not touched
    puts = [path for method, path, query in server.requests if method == "PUT"]
    assert sorted(puts) == sorted(f"/{ACCOUNT}/logs/{i.name}" for i in plan.items)
    lines = [json.loads(line) for line in (tmp_path / "undelete.jsonl").read_text().splitlines()]
    assert lines[0]["journal"] == "aztui-undelete" and {x["status"] for x in lines[1:]} == {"undeleted"}


async def test_undelete_of_a_name_that_is_not_deleted_names_it(server):
    async with BlobStore(server_profile(server)) as store:
        with pytest.raises(NotFoundError, match="'keep.txt'"):
            await plan_undelete(store, "logs", names=["keep.txt"])


async def test_read_only_profile_undeletes_nothing(server):
    async with BlobStore(server_profile(server)) as store:
        plan = await plan_undelete(store, "logs", prefixes=["old"])
    async with BlobStore(server_profile(server, read_only=True)) as store:
        with pytest.raises(ReadOnlyError):
            await execute_undelete(store, plan)
        with pytest.raises(ReadOnlyError):
            await store.undelete_blob("logs", "old/gone.log")
    assert not [r for r in server.requests if r[0] == "PUT"] and server.soft_deleted("logs") == ["old/gone.log"]


async def test_cli_plans_say_recoverable_days_and_undelete_restores(server, write_profiles, tmp_path):
    config = config_for(write_profiles, server)
    run = run_blobs

    dry = await asyncio.to_thread(run, config, "rm", "soft:logs/old", "--prefix", "--json", state_dir=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["recoverable_days"] == 7
    text = await asyncio.to_thread(run, config, "rm", "soft:logs/keep.txt", state_dir=tmp_path)
    assert "Soft delete is on: deleted blobs stay recoverable for 7 days." in text.stdout
    done = await asyncio.to_thread(run, config, "rm", "soft:logs/old", "--prefix", "--execute", "--json",
                                   state_dir=tmp_path)
    assert json.loads(done.stdout)["recoverable_days"] == 7 and server.live("logs") == ["keep.txt"]

    plan = await asyncio.to_thread(run, config, "undelete", "soft:logs/old", "--prefix", "--json", state_dir=tmp_path)
    data = json.loads(plan.stdout)
    assert data["executed"] is False and data["count"] == 4
    assert {i["name"]: i["remaining_days"] for i in data["items"]}["old/gone.log"] == 5
    assert server.soft_deleted("logs") == ["old/a.log", "old/b.log", "old/deep/c.log", "old/gone.log"]  # dry run
    table = await asyncio.to_thread(run, config, "undelete", "soft:logs/old/gone.log", state_dir=tmp_path)
    assert "Plan: undelete 1 blobs" in table.stdout and "5 days left" in table.stdout
    read_only = config_for(write_profiles, server, read_only=True)
    refused = await asyncio.to_thread(run, read_only, "undelete", "soft:logs/old", "--prefix", "--execute",
                                      state_dir=tmp_path)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "profile 'soft' is read-only, so aztui undeletes nothing with it" in refused.stderr
    restored = await asyncio.to_thread(run, config, "undelete", "soft:logs/old", "--prefix", "--execute", "--json",
                                       state_dir=tmp_path)
    assert restored.returncode == 0, restored.stderr
    result = json.loads(restored.stdout)
    assert restored.returncode == 0 and result["undeleted"] == 4 and result["journal"]
    assert server.live("logs") == ["keep.txt", "old/a.log", "old/b.log", "old/deep/c.log", "old/gone.log"]


def test_cache_gc_plan_and_report_say_recoverable_days(azurite, gc_config, gc_layout, capsys):
    from azure.storage.blob import BlobServiceClient, RetentionPolicy

    from aztui.cli import main

    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    service.set_service_properties(delete_retention_policy=RetentionPolicy(enabled=True, days=5))
    try:
        code = main(["--config", str(gc_config), "cache", "gc", "cache", "--grace", "0s", "--json"])
        data = json.loads(capsys.readouterr().out)
        main(["--config", str(gc_config), "cache", "gc", "cache", "--grace", "0s"])
        text = capsys.readouterr().out
        executed_code = main(["--config", str(gc_config), "cache", "gc", "cache", "--grace", "0s", "--execute",
                              "--json"])
        executed = json.loads(capsys.readouterr().out)
        service.set_service_properties(delete_retention_policy=RetentionPolicy(enabled=True, days=1))
        main(["--config", str(gc_config), "cache", "gc", "cache", "--grace", "0s", "--execute"])
        executed_text = capsys.readouterr().out
    finally:
        service.set_service_properties(delete_retention_policy=RetentionPolicy(enabled=False))
        service.close()
    assert code == 0 and data["dry_run"] is True and data["recoverable_days"] == 5
    assert "Soft delete is on: deleted blobs stay recoverable for 5 days." in text
    assert executed_code == 0 and executed["dry_run"] is False and executed["deleted"] == len(data["delete"]) > 0
    assert executed["recoverable_days"] == 5
    assert executed_text.startswith("Deleted 0 of 0 planned blobs and 0 of 0 manifests")  # the first run took them all
    assert "Soft delete is on: deleted blobs stay recoverable for 1 day." in executed_text
