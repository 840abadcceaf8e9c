"""BlobStore operations against Azurite: what is written is what is read back."""

from __future__ import annotations

import pytest

from aztui.azure.blobs import BlobInfo, BlobStore, PrefixInfo
from aztui.errors import AztuiError, NotFoundError
from aztui.profiles.model import Profile
from tests.support.profiles import azurite_profile


@pytest.fixture
def profile(azurite) -> Profile:
    return azurite_profile(azurite, secret_key="account_key")


async def test_upload_with_tier_and_content_type_reads_back(profile, container_name):
    async with BlobStore(profile) as store:
        await store.create_container(container_name)
        written = await store.upload_blob(container_name, "a/b.json", b"{}", tier="cool",
                                          content_type="application/json", metadata={"team": "infra"})
        read = await store.get_blob(container_name, "a/b.json")
    assert read.tier == written.tier == "Cool"
    assert read.content_type == written.content_type == "application/json"
    assert read.metadata == written.metadata == {"team": "infra"}
    assert read.etag == written.etag and read.size == written.size == 2


async def test_unknown_tier_is_a_clear_error(profile, container_name):
    async with BlobStore(profile) as store:
        await store.create_container(container_name)
        with pytest.raises(AztuiError, match="unknown access tier 'Lukewarm'"):
            await store.upload_blob(container_name, "x", b"x", tier="Lukewarm")


async def test_walk_yields_folders_then_recursive_yields_every_blob(profile, container_name):
    names = ["top.txt", "raw/2026/a.bin", "raw/2026/b.bin", "raw/readme.md"]
    async with BlobStore(profile) as store:
        await store.create_container(container_name)
        for name in names:
            await store.upload_blob(container_name, name, name.encode())
        shallow = [item async for item in store.iter_blobs(container_name, recursive=False)]
        deep = [item async for item in store.iter_blobs(container_name, "raw/", page_size=2)]
    assert {i.prefix for i in shallow if isinstance(i, PrefixInfo)} == {"raw/"}
    assert [i.name for i in shallow if isinstance(i, BlobInfo)] == ["top.txt"]
    assert sorted(i.name for i in deep) == sorted(n for n in names if n.startswith("raw/"))


async def test_delete_guarded_by_etag_refuses_a_rewritten_blob(profile, container_name):
    async with BlobStore(profile) as store:
        await store.create_container(container_name)
        first = await store.upload_blob(container_name, "k", b"v1")
        await store.upload_blob(container_name, "k", b"v2-newer", overwrite=True)
        with pytest.raises(AztuiError):
            await store.delete_blob(container_name, "k", etag=first.etag)
        assert (await store.read_blob(container_name, "k")) == b"v2-newer"
        current = await store.get_blob(container_name, "k")
        await store.delete_blob(container_name, "k", etag=current.etag)
        with pytest.raises(NotFoundError):
            await store.get_blob(container_name, "k")
