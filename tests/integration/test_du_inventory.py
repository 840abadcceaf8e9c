"""`blobs du --inventory`: the same totals as a live du, read from Blob Inventory reports in Azurite.

Reports are written in the format Azure writes (tests/support/inventory.py); the live du runs over
the same container, so every comparison is against what the listing says.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from aztui.azure.blobs import BlobStore
from aztui.blobs.inventory import _csv_records, newest_run, usage_from_inventory
from aztui.blobs.usage import FolderTree
from tests.support.blobs_cli import run_blobs
from tests.support.inventory import Row, Run, write_run
from tests.support.profiles import seed_profile

T0 = datetime(2026, 12, 1, 10, 0, 0, tzinfo=timezone.utc)
NAMES = ["top.txt", "raw/a.bin", "raw/b,comma.bin", 'raw/q"uote".bin', "raw/line\nbreak.bin", "raw/deep/ü ファイル.bin",
         "raw/deep/c.bin", "other/x.bin"]


@pytest.fixture
def world(azurite, container_name, write_profiles):
    """A container with NAMES (two tiers), an empty inventory container, a profile `local`."""
    inventory = container_name[:50] + "-inv"

    async def seed():
        async with BlobStore(seed_profile(azurite)) as store:
            await store.create_container(container_name)
            await store.create_container(inventory)
            for i, name in enumerate(NAMES):
                await store.upload_blob(container_name, name, b"x" * (100 * i + 7), tier="cool" if i % 3 == 0 else None)
            return [Row(f"{container_name}/{b.name}", b.size, b.tier or "Hot")
                    async for b in store.iter_blobs(container_name)]

    rows = asyncio.run(seed())
    config = write_profiles(f"""
        [profiles.local]
        connection_string = "{azurite.connection_string}"
        """)
    return config, container_name, inventory, rows, azurite


def write(azurite, inventory: str, *runs: Run) -> None:
    async def go():
        async with BlobStore(seed_profile(azurite)) as store:
            for run in runs:
                await write_run(store, inventory, run)
    asyncio.run(go())


def du_json(config, *args) -> dict:
    result = run_blobs(config, "du", *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def stale(rows: list[Row]) -> list[Row]:
    """Wrong numbers: what an older, failed or pending run might say."""
    return [Row(r.name, r.size + 1000, "Archive") for r in rows[:3]]


def test_adls_gen2_directories_are_counted_apart_as_a_live_du_counts_them(world):
    config, container, inventory, rows, azurite = world

    async def marker():  # the directory raw/ of a hierarchical-namespace account: a 0-byte blob
        async with BlobStore(seed_profile(azurite)) as store:
            await store.upload_blob(container, "raw", b"", metadata={"hdi_isfolder": "true"})
    asyncio.run(marker())
    write(azurite, inventory, Run("daily", T0, rows + [Row(f"{container}/raw", 0, "Hot", folder="true")]))
    live = du_json(config, f"local:{container}")
    got = du_json(config, f"local:{container}", "--inventory", inventory)
    assert live["directories"] == 1 and live["blobs"] == len(NAMES)
    assert {k: got[k] for k in live} == live


def test_newest_successful_run_gives_the_live_totals(world):
    config, container, inventory, rows, azurite = world
    extra = [Row(rows[0].name, 5000, "Hot", snapshot="2026-11-30T10:00:00.0000000Z"),
             Row(rows[1].name, 6000, "Cool", version="2026-11-01T00:00:00.0000000Z", current="false"),
             Row(rows[2].name, 7000, "Hot", deleted="true")]
    good = Run("daily", T0, rows + extra, chunks=3)
    write(azurite, inventory,
          Run("daily", T0 - timedelta(days=1), stale(rows)),                       # older success
          good,
          Run("daily", T0 + timedelta(days=1), stale(rows), status="Failed"),      # newer, failed
          Run("daily", T0 + timedelta(days=2), stale(rows), status="PartiallySucceeded"),
          Run("daily", T0 + timedelta(days=3), stale(rows), status="Pending"))    # running now
    live = du_json(config, f"local:{container}")
    from_inventory = du_json(config, f"local:{container}", "--inventory", inventory)
    assert from_inventory.pop("source") == "inventory"
    assert from_inventory.pop("inventory_time") == good.completed
    assert from_inventory.pop("inventory_rule") == "daily"
    assert from_inventory.pop("inventory_manifest") == f"{inventory}/{good.folder}/daily-manifest.json"
    assert from_inventory == live
    assert set(live["bytes_by_tier"]) == {"Hot", "Cool"}


def test_a_folder_and_lf_line_ends(world):
    config, container, inventory, rows, azurite = world
    write(azurite, inventory, Run("daily", T0, rows, line_end="\n", chunks=2))
    for target in (f"local:{container}/raw", f"local:{container}/raw/deep/", f"local:{container}/other"):
        live = du_json(config, target)
        got = du_json(config, target, "--inventory", inventory)
        assert {k: got[k] for k in live} == live, target


def test_rule_selection(world):
    config, container, inventory, rows, azurite = world
    weekly = Run("weekly", T0, rows)
    write(azurite, inventory, weekly, Run("daily", T0 + timedelta(days=1), stale(rows)))
    live = du_json(config, f"local:{container}")
    chosen = du_json(config, f"local:{container}", "--inventory", f"{inventory}/weekly")
    assert chosen["inventory_rule"] == "weekly" and chosen["inventory_time"] == weekly.completed
    assert {k: chosen[k] for k in live} == live
    newest = du_json(config, f"local:{container}", "--inventory", inventory)
    assert newest["inventory_rule"] == "daily" and newest["blobs"] == 3


@pytest.mark.parametrize("runs, inventory_arg, message", [
    ([], "{inv}", "no inventory run"),
    ([Run("daily", T0, [], status="Failed")], "{inv}", "no successful inventory run"),
    ([Run("daily", T0, [])], "{inv}/weekly", "no inventory run of rule 'weekly'"),
    ([Run("daily", T0, [], format="parquet")], "{inv}", "parquet reports"),
    ([Run("daily", T0, [], prefix_match=["elsewhere/"])], "{inv}", "covers only elsewhere/"),
    ([], "{inv}/a/b", "is not INVENTORY_CONTAINER"),
])
def test_unusable_inventories_are_clear_errors(world, runs, inventory_arg, message):
    config, container, inventory, _, azurite = world
    write(azurite, inventory, *runs)
    result = run_blobs(config, "du", f"local:{container}", "--json", "--inventory", inventory_arg.format(inv=inventory))
    assert result.returncode in (1, 2) and message in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_report_files_read_at_once_give_the_totals_of_one_at_a_time(world):
    config, container, inventory, rows, azurite = world
    run = Run("daily", T0, rows + [Row(f"{container}/raw/n{i}.bin", i, ("Hot", "Cool")[i % 2]) for i in range(40)],
              chunks=5)
    write(azurite, inventory, run)

    async def usage(concurrency: int):
        async with BlobStore(seed_profile(azurite)) as store:
            found = await newest_run(store, inventory)
            tree = FolderTree("", 2)
            got = await usage_from_inventory(store, found, container, "", folders=tree, concurrency=concurrency)
            return got, tree.groups(2)
    assert asyncio.run(usage(1)) == asyncio.run(usage(5))


def test_csv_records_whole_across_any_chunk_boundary():
    text = 'Name,Content-Length\r\n"c/a,b",1\r\n"c/q""x""",2\r\n"c/line\nbreak",3\r\nc/plain,4\r\n'.encode()
    expected = [["Name", "Content-Length"], ["c/a,b", "1"], ['c/q"x"', "2"], ["c/line\nbreak", "3"], ["c/plain", "4"]]

    async def records(size: int):
        async def chunks():
            for i in range(0, len(text), size):
                yield text[i:i + size]
        return [r async for batch in _csv_records(chunks()) for r in batch]

    for size in (1, 2, 3, 5, 7, 11, len(text)):
        assert asyncio.run(records(size)) == expected, size


def test_a_big_chunk_is_parsed_in_slices_with_the_same_records(monkeypatch):
    from aztui.blobs import inventory

    text = 'Name,Content-Length\r\n"c/a,b",1\r\n"c/q""x""",2\r\n"c/line\nbreak",3\r\nc/ü,4\r\n'.encode()

    async def records():
        async def one_chunk():
            yield text
        return [r async for batch in _csv_records(one_chunk()) for r in batch]

    whole = asyncio.run(records())
    for size in (1, 2, 3, 7):  # slices cut records, quoted fields and the two bytes of ü
        monkeypatch.setattr(inventory, "PARSE_SLICE", size)
        assert asyncio.run(records()) == whole, size
    assert whole[-1] == ["c/ü", "4"]


def test_progress_shows_rows_per_second_and_an_eta_from_the_reports_object_count(world):
    config, container, inventory, rows, azurite = world
    many = rows + [Row(f"{container}/bulk/{i:05}.bin", 3) for i in range(12_000)]
    write(azurite, inventory, Run("daily", T0, many, chunks=2))
    result = run_blobs(config, "du", f"local:{container}", "--inventory", inventory, "--progress")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("reading inventory:")]
    assert lines and re.match(r"reading inventory: [\d,]+ rows, [\d,]+ rows/s, [\d,]+ blobs \(", lines[0])
    assert f"(report: {len(many):,} objects)" in lines[0]
    assert f"{len(many)} blobs" in result.stdout
    quiet = run_blobs(config, "du", f"local:{container}", "--inventory", inventory)  # not a terminal
    assert quiet.returncode == 0 and "reading inventory" not in quiet.stderr
