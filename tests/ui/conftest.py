"""Fixtures the Pilot tests of the Containers pane share: a filled container and its profiles file.

    @pytest.fixture
    async def layout(fill_container):
        return await fill_container({"a/one.txt": b"1", "a/two.bin": (b"22", {"tier": "Cool"})})

    @pytest.fixture
    def profiles(azurite, write_profiles, layout):
        return write_profiles(account_profiles(azurite, rw=layout, ro=layout))

(`account_profiles`: tests/support/profiles_toml.py.) `journals_in_tmp` keeps the user state dir
(journals, habits) in the test's folder; a module opts in with
`pytestmark = pytest.mark.usefixtures("journals_in_tmp")`.
"""

from __future__ import annotations

import pytest

from aztui.azure.blobs import BlobStore
from tests.support.pilot import setup_profile


@pytest.fixture
def journals_in_tmp(tmp_path, monkeypatch):
    """Delete journals go to the user state dir: keep them in the test's folder."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
def fill_container(azurite, container_name):
    """`await fill_container(blobs, **create_options)`: the test's container on Azurite, created with
    `create_options` and holding `blobs` ({name: data, or (data, upload options)}); returns its name."""

    async def fill(blobs: dict, **create_options) -> str:
        async with BlobStore(setup_profile(azurite)) as store:
            await store.create_container(container_name, **create_options)
            for name, blob in blobs.items():
                data, options = blob if isinstance(blob, tuple) else (blob, {})
                await store.upload_blob(container_name, name, data, **options)
        return container_name

    return fill
