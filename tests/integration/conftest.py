"""Fixtures the integration tests share.

- `setup`: a container with LAYOUT (tests/support/blobs_cli.py) and profiles `local`, `reg`, `ro` for the blobs CLI.
- `gc_layout`, `gc_config`: a BuildKit cache and its profiles file for `aztui cache ls | gc`.
"""

from __future__ import annotations

import asyncio

import pytest

from aztui.azure.blobs import BlobStore
from tests.support.blobs_cli import LAYOUT
from tests.support.buildcache import CacheWriter, cache_profile
from tests.support.profiles import seed_profile


@pytest.fixture
def setup(azurite, container_name, write_profiles):
    """A container with LAYOUT and profiles: `local` (account), `reg` (container + rootdirectory), `ro`."""
    profile = seed_profile(azurite)

    async def seed():
        async with BlobStore(profile) as store:
            await store.create_container(container_name)
            for name, data in LAYOUT.items():
                await store.upload_blob(container_name, name, data, tier="cool" if name == "raw/b.bin" else None)

    asyncio.run(seed())
    config = write_profiles(f"""
        [profiles.local]
        connection_string = "{azurite.connection_string}"

        [profiles.reg]
        accountname = "{azurite.account}"
        accountkey = "{azurite.key}"
        serviceurl = "{azurite.blob_endpoint}"
        container = "{container_name}"
        rootdirectory = "/raw"

        [profiles.ro]
        connection_string = "{azurite.connection_string}"
        read_only = true
        """)
    return config, container_name, azurite.key, profile


@pytest.fixture
def gc_layout(azurite, container_name):
    """A BuildKit cache for `cache ls | gc`: app and ci/main share `base`; ci/pr-1 is the same export as ci/main; `other` is outside the
    profile's name list; one fresh orphan."""
    async def build():
        async with BlobStore(cache_profile(azurite, container_name)) as store:
            await store.create_container(container_name)
            w = CacheWriter(store, container_name)
            base, app, ci, other, orphan = await w.layers(100, 10, 20, 30, 5, seed="cli")
            await w.export("app", [base, app])
            await w.export("ci/main;ci/pr-1", [base, ci])
            await w.export("other", [other])
            return {"base": base, "app": app, "ci": ci, "other": other, "orphan": orphan}
    return asyncio.run(build())


@pytest.fixture
def gc_config(azurite, container_name, write_profiles):
    """Profiles `cache`, `frozen` (read-only) and `twin` on gc_layout's container; the file's path."""
    def profile(name: str, extra: str = "") -> str:
        return f"""
        [profiles.{name}]
        account_url = "{azurite.blob_endpoint}"
        account_name = "{azurite.account}"
        container = "{container_name}"
        name = "app;ci/main;ci/pr-1"
        secret_access_key = "{azurite.key}"
        {extra}
        """
    return str(write_profiles(profile("cache") + profile("frozen", "read_only = true")
                              + profile("twin")))
