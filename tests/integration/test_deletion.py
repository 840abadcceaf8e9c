"""Delete plans and their execution against Azurite: exactly the plan, guarded by ETags."""

from __future__ import annotations

import asyncio
import json
import stat
from dataclasses import replace
from datetime import datetime, timezone
from functools import partial

import pytest

from aztui.azure.blobs import BlobStore
from aztui.blobs.deletion import DeletePlan, PlannedDelete, default_journal_path, execute_delete, plan_delete
from aztui.errors import AztuiError, NotFoundError, ReadOnlyError
from tests.support.profiles import azurite_profile

NAMES = ["old/a.log", "old/b.log", "old/deep/c.log", "older.txt", "keep/d.log"]


make_profile = partial(azurite_profile, name="writer", secret_key="account_key")


@pytest.fixture
async def store(azurite, container_name):
    async with BlobStore(make_profile(azurite)) as store:
        await store.create_container(container_name)
        await asyncio.gather(*(store.upload_blob(container_name, n, n.encode()) for n in NAMES))
        yield store


async def names_in(store, container) -> list[str]:
    return sorted([b.name async for b in store.iter_blobs(container)])


async def test_plan_exact_names_and_folders(store, container_name):
    plan = await plan_delete(store, container_name, names=["older.txt"], prefixes=["old"])
    assert [i.name for i in plan.items] == ["old/a.log", "old/b.log", "old/deep/c.log", "older.txt"]
    assert plan.count == 4 and plan.bytes == sum(len(i.name) for i in plan.items)  # content is the name
    current = await store.get_blob(container_name, "old/a.log")
    assert plan.items[0] == PlannedDelete("old/a.log", current.size, current.etag)
    assert plan.profile == "writer" and plan.container == container_name
    assert await names_in(store, container_name) == sorted(NAMES)  # planning deletes nothing


async def test_plan_refuses_a_missing_name_naming_it(store, container_name):
    with pytest.raises(NotFoundError, match="'old/nope.log'"):
        await plan_delete(store, container_name, names=["old/a.log", "old/nope.log"])


async def test_plan_refuses_an_empty_folder_prefix(store, container_name):
    with pytest.raises(AztuiError, match="every blob of the container"):
        await plan_delete(store, container_name, prefixes=["/"])


async def test_execute_deletes_exactly_the_plan_and_guards_each_blob(store, container_name, tmp_path):
    plan = await plan_delete(store, container_name, names=["older.txt"], prefixes=["old/"])
    rewritten = await store.upload_blob(container_name, "old/b.log", b"rewritten after the plan", overwrite=True)
    await store.upload_blob(container_name, "old/new.log", b"added after the plan")
    await store.delete_blob(container_name, "older.txt")
    seen = []
    journal = tmp_path / "journal.jsonl"
    report = await execute_delete(store, plan, journal=journal, progress=seen.append)

    assert sorted(o.name for o in report.deleted) == ["old/a.log", "old/deep/c.log"]
    assert [o.name for o in report.skipped] == ["old/b.log"]
    assert [o.name for o in report.missing] == ["older.txt"]
    assert report.failed == [] and len(seen) == 4
    assert report.bytes_deleted == len("old/a.log") + len("old/deep/c.log")
    assert await names_in(store, container_name) == ["keep/d.log", "old/b.log", "old/new.log"]
    assert await store.read_blob(container_name, "old/b.log") == b"rewritten after the plan"
    assert (await store.get_blob(container_name, "old/b.log")).etag == rewritten.etag

    assert stat.S_IMODE(journal.stat().st_mode) == 0o600 and report.journal == journal
    header, *lines = [json.loads(line) for line in journal.read_text().splitlines()]
    assert header["plan_checksum"] == plan.checksum() and header["count"] == 4
    assert (header["profile"], header["container"]) == ("writer", container_name)
    assert sorted((r["name"], r["status"]) for r in lines) == [
        ("old/a.log", "deleted"), ("old/b.log", "skipped_changed"), ("old/deep/c.log", "deleted"),
        ("older.txt", "missing")]


async def test_read_only_profile_is_refused_and_deletes_nothing(azurite, store, container_name, tmp_path):
    plan = await plan_delete(store, container_name, prefixes=["old/"])
    async with BlobStore(make_profile(azurite, read_only=True)) as reader:
        with pytest.raises(ReadOnlyError):
            await execute_delete(reader, plan, journal=tmp_path / "j.jsonl")
        # even past the executor's own check, the client layer refuses: reported as ReadOnlyError
        with pytest.raises(ReadOnlyError):
            await reader.delete_if_unchanged(container_name, "old/a.log", plan.items[0].etag)
    assert await names_in(store, container_name) == sorted(NAMES)
    assert not (tmp_path / "j.jsonl").exists()


async def test_plan_for_another_profile_is_refused(azurite, store, container_name, tmp_path):
    plan = await plan_delete(store, container_name, names=["older.txt"])
    async with BlobStore(make_profile(azurite, name="other")) as other:
        with pytest.raises(AztuiError, match="made for profile 'writer'"):
            await execute_delete(other, plan, journal=tmp_path / "j.jsonl")
    assert await names_in(store, container_name) == sorted(NAMES)


async def test_concurrent_execution_of_tens_of_blobs(store, container_name, tmp_path):
    names = [f"bulk/{i:03}" for i in range(40)]
    await asyncio.gather(*(store.upload_blob(container_name, n, b"x") for n in names))
    plan = await plan_delete(store, container_name, prefixes=["bulk"])
    report = await execute_delete(store, plan, journal=tmp_path / "j.jsonl", concurrency=8)
    assert sorted(o.name for o in report.deleted) == names and len(report.outcomes) == 40
    assert await names_in(store, container_name) == sorted(NAMES)


async def test_default_journal_lives_in_the_user_state_dir(store, container_name, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    plan = await plan_delete(store, container_name, names=["older.txt"])
    path = default_journal_path(plan)
    assert path.parent == tmp_path / "state" / "aztui" / "journals" and path.suffix == ".jsonl"
    report = await execute_delete(store, plan)
    assert report.journal.parent == path.parent
    assert stat.S_IMODE(report.journal.stat().st_mode) == 0o600
    assert len(report.journal.read_text().splitlines()) == 2


def sample_plan() -> DeletePlan:
    return DeletePlan("prod", "backups", (PlannedDelete("a/ü.bin", 10, '"0x1"'), PlannedDelete("b", 0, '"0x2"')),
                      datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc))


def test_plan_json_round_trip():
    plan = sample_plan()
    assert DeletePlan.from_json(plan.to_json()) == plan
    data = json.loads(plan.to_json())
    assert (data["count"], data["bytes"], data["checksum"]) == (2, 10, plan.checksum())


@pytest.mark.parametrize("edit", [
    lambda d: d["items"].append({"name": "c", "size": 1, "etag": '"0x3"'}),
    lambda d: d["items"][0].update(etag='"0x9"'),
    lambda d: d.update(container="other"),
    lambda d: d.update(profile="staging"),
])
def test_edited_plan_is_refused(edit):
    data = json.loads(sample_plan().to_json())
    edit(data)
    with pytest.raises(AztuiError, match="checksum mismatch"):
        DeletePlan.from_json(json.dumps(data))


@pytest.mark.parametrize("text", ["", "[]", "{}", "not json", '{"format": "aztui-delete-plan/1"}',
                                  json.dumps({**json.loads(sample_plan().to_json()), "items": [{"name": 1}]})])
def test_malformed_plan_is_a_clear_error(text):
    with pytest.raises(AztuiError, match="the plan file cannot be read"):
        DeletePlan.from_json(text)


def test_checksum_covers_profile_container_and_items():
    plan = sample_plan()
    assert len({plan.checksum(), replace(plan, profile="x").checksum(), replace(plan, container="x").checksum(),
                replace(plan, items=plan.items[:1]).checksum()}) == 4
    assert replace(plan, created_at=datetime.now(timezone.utc)).checksum() == plan.checksum()
