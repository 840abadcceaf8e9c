"""Read-only means read-only: counted at the wire, not taken on trust.

Read-only profiles point at `tests/support/faultproxy.py` in front of Azurite. Every mutating command
(blobs rm, cache gc, registry gc / purge / rm / lock, profiles test --write), as a user runs it,
and every write method of the blob layer called directly, must send zero PUT/POST/PATCH/DELETE
requests through the proxy (while the reads did go through it), and leave the data unchanged.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from aztui.azure.blobs import BlobStore
from aztui.errors import ReadOnlyError
from aztui.profiles.model import Profile
from tests.support.buildcache import CacheWriter
from tests.support.faultproxy import FaultProxy
from tests.support.profiles import azurite_profile
from tests.support.registry_layout import write_registry


def owner(azurite) -> Profile:
    return azurite_profile(azurite, name="owner")


async def snapshot(azurite, *containers: str) -> dict:
    async with BlobStore(owner(azurite)) as store:
        return {c: sorted([(b.name, b.etag) async for b in store.iter_blobs(c)]) for c in containers}


@pytest.fixture
def setup(azurite, write_profiles, tmp_path):
    data, cache = "ro" + os.urandom(6).hex(), "rc" + os.urandom(6).hex()

    async def seed():
        async with BlobStore(owner(azurite)) as store:
            await store.create_container(data)
            await asyncio.gather(*(store.upload_blob(data, f"data/{i}", b"x" * i) for i in range(5)))
            await write_registry(store, data)
            await store.create_container(cache)
            w = CacheWriter(store, cache)
            await w.export("old", await w.layers(10, seed="ro"))
            await w.layers(5, 6, seed="ro-orphan")

    asyncio.run(seed())
    with FaultProxy(azurite.port) as proxy:
        url = proxy.url(azurite.account)
        config = write_profiles(f"""
            [profiles.ro]
            accountname = "{azurite.account}"
            accountkey = "{azurite.key}"
            serviceurl = "{url}"
            container = "{data}"
            read_only = true

            [profiles.rocache]
            account_url = "{url}"
            account_name = "{azurite.account}"
            secret_access_key = "{azurite.key}"
            container = "{cache}"
            read_only = true
            """)
        yield proxy, config, data, cache


def aztui(config, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_STATE_HOME": str(config.parent / "state"),
           "AZTUI_LOG_FILE": str(config.parent / "aztui.log")}
    return subprocess.run([sys.executable, "-m", "aztui", "--config", str(config), *args], capture_output=True,
                          text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)


@pytest.mark.slow
def test_every_mutating_command_sends_no_write(azurite, setup, tmp_path):
    proxy, config, data, cache = setup
    before = asyncio.run(snapshot(azurite, data, cache))
    # plans made with the read-only profiles themselves (a dry run only reads)
    assert aztui(config, "blobs", "rm", f"ro:{data}/data", "--prefix", "--plan-file", str(tmp_path / "rm.json")
                 ).returncode == 0
    assert aztui(config, "cache", "gc", "rocache", "--grace", "0s", "--plan-file", str(tmp_path / "gc.json")
                 ).returncode == 0
    mutating = [
        ("blobs", "rm", f"ro:{data}/data", "--prefix", "--execute"),
        ("blobs", "rm", f"ro:{data}/data/1", "--execute", "--json"),
        ("blobs", "rm", "--execute", "--plan-file", str(tmp_path / "rm.json")),
        ("cache", "gc", "rocache", "--grace", "0s", "--execute"),
        ("cache", "gc", "rocache", "--max-age", "0s", "--include", ".", "--grace", "0s", "--execute", "--json"),
        ("cache", "gc", "rocache", "--execute", "--plan-file", str(tmp_path / "gc.json")),
        ("registry", "gc", "ro", "--execute", "--yes"),
        ("registry", "gc", "ro", "--execute", "--yes", "--delete-untagged", "--upload-age", "0s"),
        ("registry", "purge", "ro", "--filter", "app:.*", "--untagged", "--execute"),
        ("registry", "rm", "ro", "app:latest", "--execute"),
        ("registry", "rm", "ro", "app", "--execute", "--json"),
        ("registry", "lock", "ro", "app"),
        ("registry", "unlock", "ro", "app:latest"),
        ("profiles", "test", "ro", "--write", "--json"),
        ("profiles", "test", "rocache", "--write"),
    ]
    for args in mutating:
        result = aztui(config, *args)
        assert "Traceback" not in result.stderr, (args, result.stderr)
        assert result.returncode != 0 or "--write" in args, (args, result.stdout)
        assert not proxy.mutating(), (args, proxy.mutating())
    assert proxy.methods["GET"] > 10, proxy.methods  # the reads did go through the proxy
    assert set(proxy.methods) <= {"GET", "HEAD", "OPTIONS"}
    assert asyncio.run(snapshot(azurite, data, cache)) == before


async def test_write_methods_of_the_blob_layer_are_stopped_before_the_wire(azurite, setup):
    proxy, _, data, _ = setup
    profile = azurite_profile(azurite, name="ro", account_url=proxy.url(azurite.account), read_only=True)
    async with BlobStore(profile) as store:
        [blob] = [b async for b in store.iter_blobs(data, "data/1")]
        attempts = [
            store.upload_blob(data, "new", b"x"), store.upload_blob(data, "data/1", b"y", overwrite=True),
            store.delete_blob(data, "data/1"), store.delete_if_unchanged(data, "data/1", blob.etag),
            store.create_container("ro" + os.urandom(6).hex()),
            store.service.get_container_client(data).delete_blobs("data/2", "data/3"),
            store.service.get_container_client(data).get_blob_client("data/4").set_blob_metadata({"a": "b"}),
            store.service.get_container_client(data).set_standard_blob_tier_blobs("Cool", "data/2"),
        ]
        for attempt in attempts:
            with pytest.raises((ReadOnlyError, Exception)) as caught:
                await attempt
            assert "read-only" in str(caught.value) or isinstance(caught.value, ReadOnlyError), caught.value
    assert proxy.methods["GET"] >= 1 and not proxy.mutating(), proxy.seen
