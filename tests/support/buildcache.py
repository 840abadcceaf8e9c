"""A BuildKit azblob cache written the way BuildKit writes it (formats.md §1): layer blobs at
`<prefix>/blobs/<digest>`, a bare CacheConfig JSON at `<prefix>/manifests/<name>` for each name, the
same JSON at every name of one `name=a;b` export; and the GC layout and plan the GC tests share."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from datetime import datetime, timedelta, timezone
from typing import Callable

from aztui.azure.blobs import BlobStore
from aztui.cache.buildkit import read_cache
from aztui.cache.planner import GcPolicy, plan_cache_gc
from aztui.profiles.model import Profile
from tests.support.faultproxy import Fault
from tests.support.profiles import azurite_profile


def cache_profile(azurite, container: str, name: str = "cache", **changes) -> Profile:
    return azurite_profile(azurite, name=name, kind="buildkit-cache", secret_key="secret_access_key",
                           container=container, **changes)


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def cache_config(digests: list[str]) -> bytes:
    """A CacheConfig as BuildKit exports it: a chain of layers and one record per layer."""
    layers = [{"blob": d, "parent": i - 1, "annotations": {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                                            "diffID": "sha256:" + "0" * 64, "size": 1}}
              for i, d in enumerate(digests)]
    records = [{"digest": "sha256:" + hashlib.sha256(d.encode()).hexdigest(), "layers": [{"layer": i}]}
               for i, d in enumerate(digests)]
    return json.dumps({"layers": layers, "records": records}).encode()


class CacheWriter:
    """Writes blobs and manifests into a cache the way BuildKit does."""

    def __init__(self, store: BlobStore, container: str, prefix: str = "") -> None:
        self.store, self.container, self.prefix = store, container, prefix

    def key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    async def layer(self, data: bytes) -> str:
        digest = digest_of(data)
        await self.store.upload_blob(self.container, self.key("blobs", digest), data, overwrite=True)
        return digest

    async def layers(self, *sizes: int, seed: str = "") -> list[str]:
        return list(await asyncio.gather(*(self.layer(random.Random(f"{seed}{i}").randbytes(size))
                                           for i, size in enumerate(sizes))))

    async def export(self, names: str, digests: list[str]):
        """`name=a;b`: the same manifest JSON at every name; returns the BlobInfo of the last."""
        info = None
        for name in names.split(";"):
            info = await self.store.upload_blob(self.container, self.key("manifests", name),
                                                cache_config(digests), overwrite=True)
        return info


LATER = timedelta(days=3)  # "now" for planning: every blob is 3 days old, past the 24h grace


async def seed(w: CacheWriter, orphans: int = 2) -> dict[str, list[str]]:
    """`keep` (fresh) and `old` (to expire) share `base`; `old` has two layers of its own."""
    base, keep1, old1, old2 = await w.layers(50, 10, 20, 30, seed="x")
    loose = await w.layers(*([5] * orphans), seed="orphan")
    await w.export("keep", [base, keep1])
    await w.export("old/one", [base, old1, old2])
    return {"base": [base], "keep": [keep1], "old": [old1, old2], "orphans": loose}


async def make_plan(store, **policy):
    snap = await read_cache(store)
    now = datetime.now(timezone.utc) + LATER
    return plan_cache_gc(snap, GcPolicy(**({"max_age": timedelta(days=2), "include": "^old/"} | policy)), now)


def export_now(azurite, container: str, names: str, digests: list[str]) -> Callable[[], None]:
    """A blocking export straight to Azurite, for a `FaultProxy` "hook" (which runs it in a thread):
    the manifest of an export that found its layers present, written while a GC request is in flight."""
    def export() -> None:
        async def write() -> None:
            async with BlobStore(cache_profile(azurite, container)) as store:
                await CacheWriter(store, container).export(names, digests)

        asyncio.run(write())

    return export


def raced_export(azurite, container: str, names: str, digests: list[str], *, skip: int = 0) -> Fault:
    """A proxy fault: just before the (`skip`+1)-th Blob Batch request reaches Azurite, `names` is
    exported naming `digests` (which that batch is about to delete)."""
    return Fault("hook", match="comp=batch", skip=skip, action=export_now(azurite, container, names, digests))
