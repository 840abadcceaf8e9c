"""Lazy listing pages, blob details and downloads against Azurite."""

from __future__ import annotations

import hashlib
import logging

import pytest

from aztui.azure.blobs import BlobDetails, BlobInfo, BlobPage, BlobStore, PrefixInfo
from aztui.errors import AztuiError, NotFoundError
from aztui.profiles.model import Profile
from tests.support.profiles import azurite_profile


@pytest.fixture
def profile(azurite) -> Profile:
    return azurite_profile(azurite, secret_key="account_key")


@pytest.fixture
async def store(profile, container_name):
    async with BlobStore(profile) as store:
        await store.create_container(container_name)
        yield store


def listing_requests(caplog, container: str) -> list[str]:
    """Container-level GETs (listings) sent, from the SDK's own request log (HttpLoggingPolicy)."""
    return [m for m in (r.getMessage() for r in caplog.records if r.name.startswith("azure.core.pipeline"))
            if f"/{container}?restype=" in m and "Request method: 'GET'" in m]


async def test_pages_one_request_each_in_order_until_continuation_is_none(store, container_name, caplog):
    names = [f"b{i}.txt" for i in range(5)]
    for name in names:
        await store.upload_blob(container_name, name, name.encode())
    caplog.set_level(logging.INFO, logger="azure.core.pipeline.policies.http_logging_policy")
    pages, continuation = [], None
    while True:
        page = await store.list_page(container_name, recursive=True, page_size=2, continuation=continuation)
        assert isinstance(page, BlobPage)
        pages.append(page)
        if (continuation := page.continuation) is None:
            break
    assert [len(p.items) for p in pages] == [2, 2, 1]
    assert [item.name for p in pages for item in p.items] == names
    assert len(listing_requests(caplog, container_name)) == 3
    first = pages[0].items[0]
    assert isinstance(first, BlobInfo) and first.size == len("b0.txt") and first.etag.startswith('"')
    assert first.last_modified is not None


async def test_non_recursive_page_holds_folders(store, container_name):
    for name in ("top.txt", "raw/a.bin", "raw/deep/b.bin", "web/index.html"):
        await store.upload_blob(container_name, name, b"x")
    page = await store.list_page(container_name)
    assert page.continuation is None
    assert [i.prefix for i in page.items if isinstance(i, PrefixInfo)] == ["raw/", "web/"]
    assert [i.name for i in page.items if isinstance(i, BlobInfo)] == ["top.txt"]
    inside = await store.list_page(container_name, "raw/")
    assert [getattr(i, "prefix", None) or i.name for i in inside.items] == ["raw/deep/", "raw/a.bin"]


async def test_empty_prefix_gives_an_empty_last_page(store, container_name):
    page = await store.list_page(container_name, "nothing-here/", recursive=True)
    assert page == BlobPage((), None)


async def test_missing_container_is_not_found(profile):
    async with BlobStore(profile) as store:
        with pytest.raises(NotFoundError):
            await store.list_page("no-such-container-here")


async def test_details_show_tags_metadata_and_content_settings(store, container_name):
    from azure.storage.blob import ContentSettings

    data = b'{"hello": "world"}'
    await store.upload_blob(container_name, "cfg/app.json", data, tier="cool", metadata={"team": "infra"})
    blob = store.service.get_blob_client(container_name, "cfg/app.json")
    await blob.set_blob_tags({"env": "prod", "owner": "platform"})
    await blob.set_http_headers(ContentSettings(
        content_type="application/json", content_encoding="identity", content_language="en",
        content_disposition="attachment", cache_control="max-age=60",
        content_md5=bytearray(hashlib.md5(data).digest())))

    details = await store.get_details(container_name, "cfg/app.json")
    assert isinstance(details, BlobDetails)
    assert details.info.name == "cfg/app.json" and details.info.size == len(data)
    assert details.info.tier == "Cool" and details.access_tier_inferred in (False, None)
    assert details.info.metadata == {"team": "infra"}
    assert details.info.content_type == "application/json"
    assert details.tags == {"env": "prod", "owner": "platform"}
    assert details.blob_type == "BlockBlob"
    assert details.created is not None
    assert details.lease_state == "available" and details.lease_status == "unlocked"
    assert details.lease_duration is None
    assert (details.content_encoding, details.content_language) == ("identity", "en")
    assert (details.content_disposition, details.cache_control) == ("attachment", "max-age=60")
    assert details.content_md5 == hashlib.md5(data).hexdigest()


async def test_details_of_a_leased_blob_without_tags(store, container_name):
    await store.upload_blob(container_name, "locked", b"x")
    lease = await store.service.get_blob_client(container_name, "locked").acquire_lease(lease_duration=-1)
    try:
        details = await store.get_details(container_name, "locked")
    finally:
        await lease.release()
    assert details.tags == {}
    assert (details.lease_state, details.lease_status, details.lease_duration) == ("leased", "locked", "infinite")


async def test_details_of_a_missing_blob_is_not_found(store, container_name):
    with pytest.raises(NotFoundError):
        await store.get_details(container_name, "nope")


async def test_download_writes_the_content_and_reports_progress(store, container_name, tmp_path):
    data = bytes(range(256)) * 4096  # 1 MiB
    await store.upload_blob(container_name, "big.bin", data)
    seen: list[tuple[int, int]] = []
    target = tmp_path / "big.bin"
    written = await store.download_to(container_name, "big.bin", target, progress=lambda d, t: seen.append((d, t)))
    assert written == len(data) and target.read_bytes() == data
    assert seen and seen[-1] == (len(data), len(data))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.bin"]


async def test_download_refuses_to_overwrite_unless_asked(store, container_name, tmp_path):
    await store.upload_blob(container_name, "a.txt", b"new")
    target = tmp_path / "a.txt"
    target.write_bytes(b"old")
    with pytest.raises(AztuiError, match="already exists"):
        await store.download_to(container_name, "a.txt", target)
    assert target.read_bytes() == b"old"
    assert await store.download_to(container_name, "a.txt", target, overwrite=True) == 3
    assert target.read_bytes() == b"new"


async def test_failed_download_leaves_no_temporary_file(store, container_name, tmp_path):
    with pytest.raises(NotFoundError):
        await store.download_to(container_name, "missing.bin", tmp_path / "out.bin")
    assert list(tmp_path.iterdir()) == []


async def test_download_into_a_missing_folder_is_a_clear_error(store, container_name, tmp_path):
    await store.upload_blob(container_name, "a.txt", b"x")
    with pytest.raises(AztuiError, match="does not exist"):
        await store.download_to(container_name, "a.txt", tmp_path / "no" / "a.txt")
    with pytest.raises(AztuiError, match="is a folder"):
        await store.download_to(container_name, "a.txt", tmp_path)
