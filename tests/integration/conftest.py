"""Fixtures the integration tests share.

- `setup`: a container with LAYOUT (tests/support/blobs_cli.py) and profiles `local`, `reg`, `ro` for the blobs CLI.
"""

from __future__ import annotations

import asyncio

import pytest

from aztui.azure.blobs import BlobStore
from tests.support.blobs_cli import LAYOUT
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
