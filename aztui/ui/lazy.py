"""The Azure SDK, imported off the event loop: the first import takes a while and must not stall the UI.

The app module imports no `azure.*` at all (it paints fast); workers get the blob layer with
`await blob_store_class()`, which imports it in a thread the first time.
"""

from __future__ import annotations

import asyncio
import importlib
import sys


async def blob_store_class():
    """`aztui.azure.blobs.BlobStore`, importing the module in a thread if it is not loaded yet."""
    module = sys.modules.get("aztui.azure.blobs")
    if module is None:
        module = await asyncio.to_thread(importlib.import_module, "aztui.azure.blobs")
    return module.BlobStore
