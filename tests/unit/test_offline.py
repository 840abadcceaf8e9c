"""The suite is offline (see conftest): and an unresolvable host is a clear error, not a hang."""

from __future__ import annotations

import socket

import pytest

from aztui.azure.blobs import BlobStore
from aztui.errors import AztuiError
from aztui.profiles.model import Profile


def test_lookups_beyond_loopback_fail_like_an_offline_machine():
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("acct.blob.core.windows.net", 443)
    assert socket.getaddrinfo("127.0.0.1", 80)


async def test_an_unresolvable_account_is_a_clear_error():
    profile = Profile(name="far", kind="storage", auth="anonymous",
                      account_url="https://acct.blob.core.windows.net", max_retries=0)
    with pytest.raises(AztuiError) as failed:
        async with BlobStore(profile) as store:
            await store.list_page("c1")
    rendered = failed.value.render()
    assert failed.value.title == "Host not found"
    assert "acct.blob.core.windows.net could not be resolved" in rendered
    assert "listing blobs" in rendered and "private DNS" in rendered
