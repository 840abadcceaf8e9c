"""The Azure SDK, imported off the event loop: the first import takes a while and must not stall the UI.

The app module imports no `azure.*` at all (it paints fast); workers get the blob layer with
`await blob_store_class()` or `async with opened_blob_store(profile)`, which import it in a thread
the first time.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from contextlib import asynccontextmanager


async def blob_store_class():
    """`aztui.azure.blobs.BlobStore`, importing the module in a thread if it is not loaded yet."""
    if "azure.storage.blob.aio" not in sys.modules:  # what `BlobStore` opens its client with
        await asyncio.to_thread(importlib.import_module, "azure.storage.blob.aio")
    module = sys.modules.get("aztui.azure.blobs")
    if module is None:
        module = await asyncio.to_thread(importlib.import_module, "aztui.azure.blobs")
    return module.BlobStore


@asynccontextmanager
async def opened_blob_store(profile):
    """`async with BlobStore(profile)`, the class imported as `blob_store_class` does."""
    BlobStore = await blob_store_class()
    async with BlobStore(profile) as store:
        yield store
