"""The Azure SDK, imported off the event loop: the first import takes a while and must not stall the UI.

The app module imports no `azure.*` at all (it paints fast); workers get the blob layer with
`await blob_store_class()` or `async with opened_blob_store(profile)`, which import it in a thread
the first time (`aztui.azure.clients.preload_sdk`).
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from contextlib import asynccontextmanager


async def _imported(name: str):
    """Module `name`, imported in a thread if it is not loaded yet."""
    module = sys.modules.get(name)
    if module is None:
        module = await asyncio.to_thread(importlib.import_module, name)
    return module


async def blob_store_class():
    """`aztui.azure.blobs.BlobStore`, with the SDK it opens its client with imported in a thread."""
    clients = await _imported("aztui.azure.clients")
    if not clients.sdk_loaded():
        await asyncio.to_thread(clients.preload_sdk)
    return (await _imported("aztui.azure.blobs")).BlobStore


@asynccontextmanager
async def opened_blob_store(profile):
    """`async with BlobStore(profile)`, the class imported as `blob_store_class` does."""
    BlobStore = await blob_store_class()
    async with BlobStore(profile) as store:
        yield store
