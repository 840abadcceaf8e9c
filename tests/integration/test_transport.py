"""Retries, timeouts, TLS and the read-only gate, observed at real local servers."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from aztui.azure import BlobStore
from aztui.azure.clients import copy_poll_delays, retry_delays
from aztui.demo.azurite import free_port
from aztui.errors import ReadOnlyError, ServiceError, TlsError, UnreachableError
from aztui.profiles.model import Profile, Secret
from tests.support.http_fakes import LoopbackHttp
from tests.support.profiles import azurite_profile


def anon(url: str, **kwargs) -> Profile:
    return Profile(name="t", kind="storage", auth="anonymous", account_url=url, **kwargs)


async def list_containers(profile: Profile) -> list[str]:
    async with BlobStore(profile) as store:
        return [c.name async for c in store.iter_containers()]


def test_retry_delays_follow_the_distribution_driver():
    assert retry_delays(5, 0.1) == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5])
    assert retry_delays(-1, 0.1) == []
    assert retry_delays(0, 0.1) == []


def test_copy_status_poll_settings_map_like_retries():
    from aztui.profiles.model import Profile

    polls = Profile(name="p", kind="distribution", auth="anonymous", copy_status_poll_max_retry=3,
                    copy_status_poll_delay=0.25)
    assert copy_poll_delays(polls) == pytest.approx([0.25, 0.5, 0.75])
    assert copy_poll_delays(Profile(name="q", kind="distribution", auth="anonymous",
                                    copy_status_poll_max_retry=-1)) == []


async def test_503_is_retried_with_linear_backoff():
    delay = 0.25
    async with LoopbackHttp(503) as server:
        with pytest.raises(ServiceError) as caught:
            await list_containers(anon(server.url, max_retries=3, retry_delay=delay))
    assert len(server.arrivals) == 4  # the first try and 3 retries
    gaps = [b - a for a, b in zip(server.arrivals, server.arrivals[1:])]
    for n, gap in enumerate(gaps, start=1):  # retry n waits n x retry_delay
        assert n * delay - 0.02 <= gap < n * delay + 0.3, gaps
    assert "503" in caught.value.message and "ServerBusy" in caught.value.message


@pytest.mark.parametrize("max_retries", [-1, 0])
async def test_retries_can_be_disabled(max_retries):
    async with LoopbackHttp(503) as server:
        with pytest.raises(ServiceError):
            await list_containers(anon(server.url, max_retries=max_retries, retry_delay=0.05))
    assert len(server.arrivals) == 1


async def test_closed_port_fails_fast_as_unreachable():
    url = f"http://127.0.0.1:{free_port()}/acct"
    started = time.monotonic()
    with pytest.raises(UnreachableError) as caught:
        await list_containers(anon(url))   # default profile: 5 retries, connect_timeout 5 s
    assert time.monotonic() - started < 10
    assert "firewall" in caught.value.hint and caught.value.step == "listing containers"


async def test_filtered_port_fails_after_connect_timeout():
    # a listener whose accept backlog is full: the kernel drops further SYNs, like a firewall
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    await asyncio.sleep(0.2)
    try:
        started = time.monotonic()
        with pytest.raises(UnreachableError) as caught:
            await list_containers(anon(f"http://127.0.0.1:{port}/acct", connect_timeout=1.0))
        elapsed = time.monotonic() - started
    finally:
        for sock in fillers + [listener]:
            sock.close()
    assert 1.0 <= elapsed < 10   # one connect retry at most, not the SDK's default chain
    assert caught.value.message == f"no connection to 127.0.0.1:{port} within the connect timeout"
    assert "connect_timeout" in caught.value.hint


async def test_stalled_server_fails_after_read_timeout():
    async with LoopbackHttp(None) as server:
        started = time.monotonic()
        with pytest.raises(UnreachableError, match="did not answer in time"):
            await list_containers(anon(server.url, max_retries=0, read_timeout=1.0))
        elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 5
    assert len(server.arrivals) == 1


async def test_stalled_server_is_retried_only_once():
    async with LoopbackHttp(None) as server:
        started = time.monotonic()
        with pytest.raises(UnreachableError):
            await list_containers(anon(server.url, max_retries=5, retry_delay=0.05, read_timeout=1.0))
        elapsed = time.monotonic() - started
    assert len(server.arrivals) == 2
    assert elapsed < 6


# --- TLS ------------------------------------------------------------------------------

def https_key_profile(server, **kwargs) -> Profile:
    return Profile(name="t", kind="storage", auth="shared_key", account_name=server.account,
                   account_url=server.blob_endpoint, account_key=Secret(server.key), max_retries=0, **kwargs)


async def test_tls_untrusted_certificate_is_a_tls_error(azurite_https):
    with pytest.raises(TlsError) as caught:
        await list_containers(https_key_profile(azurite_https))
    assert "ca_bundle" in caught.value.hint


async def test_tls_ca_bundle_and_skipverify(azurite_https, tls):
    assert isinstance(await list_containers(https_key_profile(azurite_https, ca_bundle=tls["ca"])), list)
    assert isinstance(await list_containers(https_key_profile(azurite_https, skipverify=True)), list)


# --- read-only ------------------------------------------------------------------------

key_profile = azurite_profile


async def test_read_only_profile_refuses_changes_before_sending(azurite, container_name):
    async with BlobStore(key_profile(azurite)) as store:
        await store.create_container(container_name)
        kept = await store.upload_blob(container_name, "keep.txt", b"keep")

    async with BlobStore(key_profile(azurite, read_only=True)) as store:
        # reads work
        assert [b.name async for b in store.iter_blobs(container_name)] == ["keep.txt"]
        assert await store.read_blob(container_name, "keep.txt") == b"keep"
        # every change is refused
        with pytest.raises(ReadOnlyError) as caught:
            await store.create_container(container_name + "x")
        assert caught.value.step == f"creating container {container_name}x"
        assert "read_only" in caught.value.hint
        with pytest.raises(ReadOnlyError):
            await store.upload_blob(container_name, "new.txt", b"new")
        with pytest.raises(ReadOnlyError):
            await store.delete_blob(container_name, "keep.txt", etag=kept.etag)

    # and the server saw none of it
    async with BlobStore(key_profile(azurite)) as store:
        assert container_name + "x" not in [c.name async for c in store.iter_containers()]
        blobs = [b async for b in store.iter_blobs(container_name)]
        assert [b.name for b in blobs] == ["keep.txt"] and blobs[0].etag == kept.etag


async def test_read_only_gate_sends_nothing_to_the_server():
    async with LoopbackHttp(503) as server:
        profile = anon(server.url, read_only=True)
        async with BlobStore(profile) as store:
            with pytest.raises(ReadOnlyError):
                await store.create_container("c")
            with pytest.raises(ReadOnlyError):
                await store.delete_blob("c", "b")
    assert server.arrivals == []
