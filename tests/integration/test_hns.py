"""ADLS Gen2 accounts (hierarchical namespace): directory markers are folders everywhere.

On such an account every directory is also a zero-length blob with metadata `hdi_isfolder=true`,
and an empty directory exists only as that blob. The markers are written into Azurite as plain
blobs; the answers Azurite cannot give (a Blob Batch refused with 400, Delete Blob on a
directory refused with 400 `OperationNotSupportedOnDirectory`, the Data Lake endpoint's Path -
Delete) come from `tests/support/hns_server.py`, a proxy in front of Azurite.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from aztui.azure.blob_rows import is_directory_marker
from aztui.azure.blobs import BatchRefusedError, BlobInfo, BlobStore, PrefixInfo, dfs_url
from aztui.blobs.deletion import DeletePlan, execute_delete, plan_delete
from aztui.blobs.usage import measure_usage
from aztui.cache.executor import execute_cache_gc
from tests.support.blobs_cli import run_blobs
from tests.support.buildcache import CacheWriter, cache_profile, make_plan, seed
from tests.support.hns_server import DIRECTORIES, FILES, HnsProxy, write_layout
from tests.support.profiles import azurite_profile


@pytest.fixture
async def store(azurite, container_name):
    async with BlobStore(azurite_profile(azurite, name="hns")) as store:
        await write_layout(store, container_name)
        yield store


async def all_items(store, container, prefix="", *, recursive, page_size=5000) -> list:
    items, continuation = [], None
    while True:
        page = await store.list_page(container, prefix, recursive=recursive, page_size=page_size,
                                     continuation=continuation)
        items += page.items
        if (continuation := page.continuation) is None:
            return items


async def names_in(store, container) -> list[str]:
    """Every blob as Azurite keeps it, markers included (a listing without metadata)."""
    client = store.service.get_container_client(container)
    return sorted([b.name async for b in client.list_blobs()])


def test_marker_metadata_is_read_without_case():
    assert is_directory_marker({"hdi_isfolder": "true"}) and is_directory_marker({"Hdi_IsFolder": "TRUE"})
    assert not is_directory_marker({"hdi_isfolder": "false"}) and not is_directory_marker({"other": "true"})
    assert not BlobInfo("f", 0, None, '"e"', None, None, {}).is_directory


def test_dfs_endpoint_of_a_blob_endpoint():
    assert dfs_url("https://acct.blob.core.windows.net/") == "https://acct.dfs.core.windows.net"
    assert dfs_url("https://acct.blob.core.chinacloudapi.cn") == "https://acct.dfs.core.chinacloudapi.cn"
    assert dfs_url("https://acct.privatelink.blob.core.windows.net") == \
        "https://acct.privatelink.dfs.core.windows.net"
    assert dfs_url("http://127.0.0.1:10000/devstoreaccount1/") == "http://127.0.0.1:10000/devstoreaccount1"


# --- listings ---------------------------------------------------------------------------------

async def test_a_folder_listing_shows_each_directory_once_as_a_folder(store, container_name):
    for page_size in (5000, 1, 2):  # a marker and its prefix on one page, or on neighbouring ones
        items = await all_items(store, container_name, recursive=False, page_size=page_size)
        folders = [i.prefix for i in items if isinstance(i, PrefixInfo)]
        blobs = [i.name for i in items if isinstance(i, BlobInfo)]
        assert blobs == ["top.txt"], page_size  # neither `raw` nor `empty` as a 0-byte blob
        assert set(folders) == {"raw/", "empty/"}
        if page_size == 5000:
            assert folders == ["empty/", "raw/"]
    inside = await all_items(store, container_name, "raw/", recursive=False)
    assert [getattr(i, "prefix", None) or i.name for i in inside] == ["raw/sub/", "raw/a.bin", "raw/b.bin"]


async def test_recursive_listings_and_du_count_files_only(store, container_name):
    items = await all_items(store, container_name, recursive=True)
    assert sorted(i.name for i in items if not i.is_directory) == sorted(FILES)
    assert sorted(i.name for i in items if i.is_directory) == sorted(DIRECTORIES)  # flagged, for du and rm
    assert sorted([b.name async for b in store.iter_blobs(container_name)]) == sorted(FILES)
    walked = [i async for i in store.iter_blobs(container_name, recursive=False)]
    assert sorted(getattr(i, "prefix", None) or i.name for i in walked) == ["empty/", "raw/", "top.txt"]
    usage = await measure_usage(store, container_name, page_size=2)
    assert (usage.blobs, usage.directories, usage.bytes) == (4, 3, sum(map(len, FILES.values())))
    below = await measure_usage(store, container_name, "raw/")
    assert (below.blobs, below.directories) == (3, 1)


def cli_profiles(write_profiles, azurite, account_url=None):
    return write_profiles(f"""
        [profiles.hns]
        account_name = "{azurite.account}"
        account_url = "{account_url or azurite.blob_endpoint}"
        account_key = "{azurite.key}"
        """)


async def test_cli_ls_and_du(store, container_name, azurite, write_profiles):
    config = cli_profiles(write_profiles, azurite)
    listed = await asyncio.to_thread(run_blobs, config, "ls", f"hns:{container_name}", "--json", "--page-size", "1")
    assert listed.returncode == 0, listed.stderr
    assert [i.get("prefix") or i["name"] for i in json.loads(listed.stdout)] == ["empty/", "raw/", "top.txt"]
    recursive = await asyncio.to_thread(run_blobs, config, "ls", f"hns:{container_name}", "-r", "--json")
    assert sorted(i["name"] for i in json.loads(recursive.stdout)) == sorted(FILES)
    du = await asyncio.to_thread(run_blobs, config, "du", f"hns:{container_name}", "--json")
    data = json.loads(du.stdout)
    assert (data["blobs"], data["directories"], data["bytes"]) == (4, 3, 19)
    text = await asyncio.to_thread(run_blobs, config, "du", f"hns:{container_name}")
    assert ": 4 blobs, 3 directories, 19 B" in text.stdout


# --- deleting ---------------------------------------------------------------------------------

async def test_plan_of_a_folder_holds_its_directories_and_saves_them(store, container_name):
    plan = await plan_delete(store, container_name, prefixes=["raw"])
    assert [(i.name, i.directory) for i in plan.items] == [
        ("raw", True), ("raw/a.bin", False), ("raw/b.bin", False), ("raw/sub", True), ("raw/sub/c.bin", False)]
    assert (plan.count, plan.directories, plan.bytes) == (3, 2, 16)
    again = DeletePlan.from_json(plan.to_json())
    assert again == plan and again.checksum() == plan.checksum()
    data = json.loads(plan.to_json())
    assert data["directories"] == 2 and data["items"][0] == {"name": "raw", "size": 0, "etag": plan.items[0].etag,
                                                              "directory": True}
    assert "directory" not in data["items"][1]


async def test_flat_account_markers_go_as_blobs_after_the_files(store, container_name, tmp_path):
    plan = await plan_delete(store, container_name, prefixes=["raw"])
    report = await execute_delete(store, plan, journal=tmp_path / "j.jsonl")
    assert await names_in(store, container_name) == ["empty", "top.txt"]
    assert not report.failed and not report.skipped and not report.directories_left
    order = [json.loads(line)["name"] for line in (tmp_path / "j.jsonl").read_text().splitlines()[1:]]
    assert order[-2:] == ["raw/sub", "raw"]  # deepest directory first, after every file


async def test_hns_directories_go_through_the_data_lake_endpoint(store, azurite, container_name, tmp_path):
    with HnsProxy(azurite) as proxy:
        async with BlobStore(azurite_profile(azurite, name="hns", account_url=proxy.account_url)) as hns:
            plan = await plan_delete(hns, container_name, prefixes=["raw"])
            report = await execute_delete(hns, plan, journal=tmp_path / "j.jsonl")
    assert await names_in(store, container_name) == ["empty", "top.txt"]
    assert {o.name for o in report.deleted} == {i.name for i in plan.items}
    assert proxy.blob_deletes_refused == [f"{container_name}/raw/sub", f"{container_name}/raw"]
    assert [(d.path, d.query, d.status, d.signed) for d in proxy.dfs_deletes] == [
        (f"{container_name}/raw/sub", {"recursive": ["false"]}, 200, True),
        (f"{container_name}/raw", {"recursive": ["false"]}, 200, True)]


async def test_a_directory_that_is_not_empty_is_left_and_reported_not_failed(
        store, azurite, container_name, write_profiles, tmp_path):
    config = cli_profiles(write_profiles, azurite)
    with HnsProxy(azurite) as proxy:
        async with BlobStore(azurite_profile(azurite, name="hns", account_url=proxy.account_url)) as hns:
            plan = await plan_delete(hns, container_name, prefixes=["raw/sub"])
            await store.upload_blob(container_name, "raw/sub/new.bin", b"added after the plan")
            report = await execute_delete(hns, plan, journal=tmp_path / "j.jsonl")
        assert [d.status for d in proxy.dfs_deletes] == [409]
        assert [(o.name, o.status) for o in report.outcomes] == [("raw/sub/c.bin", "deleted"),
                                                                 ("raw/sub", "directory_left")]
        assert "not empty" in report.directories_left[0].detail
        # the same through the CLI, a saved plan executed after a file was added: exit 0, each
        # directory named with why it stays
        config = cli_profiles(write_profiles, azurite, proxy.account_url)
        saved = tmp_path / "plan.json"
        planned = await asyncio.to_thread(run_blobs, config, "rm", f"hns:{container_name}/raw", "--prefix",
                                          "--plan-file", str(saved), state_dir=tmp_path)
        assert "Plan: delete 3 blobs and 2 directories" in planned.stdout
        await store.upload_blob(container_name, "raw/sub/late.bin", b"added after the plan")
        result = await asyncio.to_thread(run_blobs, config, "rm", "--execute", "--plan-file", str(saved), "--json",
                                         state_dir=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert (data["planned"], data["deleted"], data["directories_planned"], data["directories_deleted"]) == (3, 3, 2, 0)
    assert {d["name"]: d["detail"] for d in data["directories_left"]} == {
        "raw/sub": "left in place: it is not empty (added since the plan)",
        "raw": "left in place: 1 planned item(s) in it were not deleted"}
    assert not data["failed"] and not data["skipped_changed"]
    assert await names_in(store, container_name) == ["empty", "raw", "raw/sub", "raw/sub/late.bin", "top.txt"]


@pytest.mark.parametrize("mode", ["whole", "each"])
async def test_cache_gc_falls_back_to_single_deletes_when_batches_are_refused(azurite, container_name, tmp_path,
                                                                               mode):
    async with BlobStore(cache_profile(azurite, container_name)) as direct:
        await direct.create_container(container_name)
        layers = await seed(CacheWriter(direct, container_name))
        with HnsProxy(azurite, batch=mode) as proxy:
            async with BlobStore(cache_profile(azurite, container_name, account_url=proxy.account_url)) as store:
                if mode == "each":
                    with pytest.raises(BatchRefusedError, match="HTTP 400 FeatureNotSupportedForAccount"):
                        await store.delete_batch_if_unchanged(container_name, [("blobs/x", '"0x1"')])
                plan = await make_plan(store)
                report = await execute_cache_gc(store, plan, journal=tmp_path / "j.jsonl", batch_size=2)
        expected = {"manifests/old/one"} | {f"blobs/{d}" for d in layers["old"] + layers["orphans"]}
        assert {o.name for o in report.deleted} == expected and not report.failed
        assert proxy.batches and proxy.methods["DELETE"] == len(expected)  # one single delete each
        left = {b.name async for b in direct.iter_blobs(container_name)}
        assert not left & expected
