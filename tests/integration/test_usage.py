"""du-style usage scans against Azurite: exact counts, bytes and bytes per tier."""

from __future__ import annotations

import asyncio

import pytest

from aztui.azure.blobs import BlobStore
from aztui.blobs.usage import Usage, measure_usage
from tests.support.profiles import azurite_profile

LAYOUT = {  # name: (size, tier)
    "logs/a.log": (10, None), "logs/b.log": (20, "cool"), "logs/2026/c.log": (30, "archive"),
    "logs/2026/d.log": (40, "cold"), "data/e.bin": (1000, "hot"), "logsbook.txt": (7, None),
}


@pytest.fixture
async def store(azurite, container_name):
    profile = azurite_profile(azurite, secret_key="account_key")
    async with BlobStore(profile) as store:
        await store.create_container(container_name)
        await asyncio.gather(*(store.upload_blob(container_name, name, b"x" * size, tier=tier)
                               for name, (size, tier) in LAYOUT.items()))
        yield store


async def test_whole_container_counts_bytes_and_tiers_exactly(store, container_name):
    usage = await measure_usage(store, container_name)
    assert usage == Usage(container_name, "", blobs=6, bytes=1107, complete=True,
                          bytes_by_tier={"Hot": 10 + 1000 + 7, "Cool": 20, "Archive": 30, "Cold": 40})


async def test_prefix_scopes_the_scan(store, container_name):
    usage = await measure_usage(store, container_name, "logs/")
    assert (usage.blobs, usage.bytes) == (4, 100)
    assert usage.bytes_by_tier == {"Hot": 10, "Cool": 20, "Archive": 30, "Cold": 40}
    assert usage.prefix == "logs/" and usage.container == container_name


async def test_progress_after_every_page_with_running_totals(store, container_name):
    seen: list[Usage] = []
    usage = await measure_usage(store, container_name, progress=seen.append, page_size=4)
    assert [(u.blobs, u.complete) for u in seen] == [(4, False), (6, True)]
    assert seen[-1] == usage


async def test_empty_folder_is_zero(store, container_name):
    usage = await measure_usage(store, container_name, "nothing/")
    assert (usage.blobs, usage.bytes, usage.bytes_by_tier, usage.complete) == (0, 0, {}, True)


async def test_cancellation_stops_the_scan(store, container_name):
    pages: list[Usage] = []

    def progress(usage: Usage) -> None:
        pages.append(usage)
        task.cancel()  # the user moved on after the first page

    task = asyncio.create_task(measure_usage(store, container_name, progress=progress, page_size=2))
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(pages) == 1
