"""Blob names with dot segments (`a/../b`, `a/./b`, `../x`, `a/..`) address exactly that blob.

Such names exist on Azure (it turns `\\` into `/`, so `a\\..\\b` becomes `a/../b`). aiohttp (yarl)
would resolve the dot segments, sending a request for `c/a/../b` to `c/b`: under shared key the
signature then fails, but under a SAS or a token the request reaches the other blob. aztui's
transport sends every URL as the SDK built and signed it; reads given the listing's ETag send
If-Match, so a request answered for another blob (or a blob changed since it was listed) fails.
Everything runs against Azurite, under shared key, an account SAS and a token (--oauth basic).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from aztui.azure import clients
from aztui.azure.blobs import BlobInfo, BlobStore, ChangedSinceListedError
from aztui.errors import AuthenticationError, NotFoundError
from aztui.profiles.model import Profile, Secret
from tests.support.faultproxy import FaultProxy
from tests.support.profiles import azurite_profile
from tests.support.tokenserver import TokenServer

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
CLIENT_SECRET = "s3cr3t-value-for-dot-segments~Q8"

# (name, the blob its normalized URL would address; None: not a blob of this container)
PAIRS = [
    ("a/../b", "b"),
    ("a/./b", "a/b"),
    ("./c", "c"),
    ("x/.", "x/"),
    ("m:n/../o=p", "o=p"),  # sub-delims, which yarl requotes, as the SDK signs them
    ("a/b/..", "a/"),
    ("../x", None),        # /acct/x: container x
    ("a/..", None),        # /acct/c/: the container itself
    ("..", None),          # /acct/: the account
    (".", None),
    ("d./e.", None),       # dots that are not whole segments stay as they are
    ("f/...", None),
]
NAMES = sorted({n for pair in PAIRS for n in pair if n})


def content(name: str) -> bytes:
    return f"content of {name!r}".encode()


def key_profile(server, url: str | None = None) -> Profile:
    return azurite_profile(server, name="key", account_url=url or server.blob_endpoint, max_retries=0)


def sas_profile(server, url: str | None = None, *, write: bool = True) -> Profile:
    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    sas = generate_account_sas(server.account, server.key,
                               ResourceTypes(service=True, container=True, object=True),
                               AccountSasPermissions(read=True, list=True, write=write, create=write,
                                                     delete=write, tag=True),
                               expiry=datetime.now(timezone.utc) + timedelta(hours=1))
    return Profile(name="sas", kind="storage", auth="sas", account_url=url or server.blob_endpoint,
                   sas_token=Secret(sas), max_retries=0)


@pytest.fixture(scope="module")
def proxy(azurite):
    with FaultProxy(azurite.port) as running:
        yield running


@pytest.fixture
def token_server(tls):
    server = TokenServer(tls["cert"], tls["key"]).start()
    server.register(TENANT, CLIENT_ID, CLIENT_SECRET)
    yield server
    server.stop()


@pytest.fixture(params=["shared_key", "sas", "token"])
def auth_profile(request, azurite, proxy):
    """A profile of each auth kind; the plain-HTTP ones go through the proxy, which records paths."""
    proxy.clear()
    if request.param == "shared_key":
        return key_profile(azurite, proxy.url(azurite.account))
    if request.param == "sas":
        return sas_profile(azurite, proxy.url(azurite.account))
    server, tls = request.getfixturevalue("azurite_https"), request.getfixturevalue("tls")
    token_server = request.getfixturevalue("token_server")
    return Profile(name="token", kind="storage", auth="client_secret", account_name=server.account,
                   account_url=server.blob_endpoint, authority_host=token_server.authority,
                   ca_bundle=tls["ca"], tenant_id=TENANT, client_id=CLIENT_ID,
                   client_secret=Secret(CLIENT_SECRET), max_retries=0)


async def listing(store: BlobStore, container: str) -> dict[str, BlobInfo]:
    return {b.name: b async for b in store.iter_blobs(container) if isinstance(b, BlobInfo)}


@pytest.mark.slow
async def test_every_operation_addresses_exactly_the_named_blob(auth_profile, proxy, container_name, tmp_path):
    async with BlobStore(auth_profile) as store:
        await store.create_container(container_name)
        for name in NAMES:
            await store.upload_blob(container_name, name, content(name))
        listed = await listing(store, container_name)
        assert sorted(listed) == NAMES
        for name in NAMES:
            assert listed[name].size == len(content(name))
            info = await store.get_blob(container_name, name)
            assert (info.name, info.etag, info.size) == (name, listed[name].etag, len(content(name)))
            details = await store.get_details(container_name, name, etag=listed[name].etag)
            assert (details.info.etag, details.info.size) == (listed[name].etag, len(content(name)))
            assert await store.read_blob(container_name, name) == content(name)
            assert await store.read_blob(container_name, name, etag=listed[name].etag) == content(name)
            assert await store.read_blob(container_name, name, length=12, etag=listed[name].etag) \
                == content(name)[:12]
            target = tmp_path / f"{NAMES.index(name)}.bin"
            assert await store.download_to(container_name, name, target, etag=listed[name].etag) \
                == len(content(name))
            assert target.read_bytes() == content(name)
        for name, neighbour in PAIRS:  # delete the dotted one: its neighbour stays
            assert await store.delete_if_unchanged(container_name, name, listed[name].etag) == "deleted"
            with pytest.raises(NotFoundError):
                await store.get_blob(container_name, name)
            if neighbour:
                assert await store.read_blob(container_name, neighbour) == content(neighbour)
        assert sorted(await listing(store, container_name)) == sorted({n for _, n in PAIRS if n})
    if auth_profile.auth != "client_secret":  # on the wire, as named (the proxy records request lines)
        paths = {s.target.split("?")[0] for s in proxy.requests()}
        for name in NAMES:
            assert any(path.endswith(f"/{container_name}/{name}") for path in paths), name


async def test_read_only_profile_sends_exact_urls_too(azurite, proxy, container_name):
    async with BlobStore(key_profile(azurite)) as store:
        await store.create_container(container_name)
        for name in ("a/../b", "b"):
            await store.upload_blob(container_name, name, content(name))
    proxy.clear()
    read_only = replace(key_profile(azurite, proxy.url(azurite.account)), read_only=True)
    async with BlobStore(read_only) as store:
        assert await store.read_blob(container_name, "a/../b") == content("a/../b")
        assert await store.read_blob(container_name, "b") == content("b")
    assert f"/{azurite.account}/{container_name}/a/../b" in [s.target.split("?")[0] for s in proxy.requests()]


# --- the ETag guard, and what happens without the exact-URL transport ---------------------------

async def test_read_with_the_listed_etag_is_refused_after_the_blob_changed(azurite, container_name, tmp_path):
    async with BlobStore(key_profile(azurite)) as store:
        await store.create_container(container_name)
        await store.upload_blob(container_name, "dir/f.txt", b"as listed")
        await store.upload_blob(container_name, "dir/tagged", b"t")
        old = (await listing(store, container_name))["dir/f.txt"].etag
        await store.upload_blob(container_name, "dir/f.txt", b"changed after the listing", overwrite=True)
        reads = {
            "details": lambda: store.get_details(container_name, "dir/f.txt", etag=old),
            "preview": lambda: store.read_blob(container_name, "dir/f.txt", length=4096, etag=old),
            "whole": lambda: store.read_blob(container_name, "dir/f.txt", etag=old),
            "empty range": lambda: store.read_blob(container_name, "dir/f.txt", length=0, etag=old),
            "download": lambda: store.download_to(container_name, "dir/f.txt", tmp_path / "f.txt", etag=old),
        }
        for what, read in reads.items():
            with pytest.raises(ChangedSinceListedError) as caught:
                await read()
            error = caught.value
            assert "changed since it was listed" in error.message and "reload" in error.message, what
            assert error.title == "Changed since listed" and "reload" in error.hint
            assert error.step and "dir/f.txt" in error.step
            assert "Traceback" not in error.render()
        assert list(tmp_path.iterdir()) == []  # no file, no temporary part left behind
        new = (await store.get_blob(container_name, "dir/f.txt")).etag
        assert await store.read_blob(container_name, "dir/f.txt", etag=new) == b"changed after the listing"
        bare = new.strip('"')  # listings may give ETags unquoted
        assert (await store.get_details(container_name, "dir/f.txt", etag=bare)).info.etag == new
        for read in (lambda: store.read_blob(container_name, "dir/missing", etag=old),  # 412 from the service
                     lambda: store.read_blob(container_name, "dir/missing", length=0, etag=old),
                     lambda: store.get_details(container_name, "dir/missing", etag=old),
                     lambda: store.download_to(container_name, "dir/missing", tmp_path / "m", etag=old)):
            with pytest.raises(NotFoundError, match="does not exist"):  # gone: still "not found"
                await read()


def use_normalizing_transport(monkeypatch) -> None:
    """The transport before the fix: azure-core's AioHttpTransport, whose aiohttp resolves dot segments."""
    from azure.core.pipeline.transport import AioHttpTransport

    monkeypatch.setattr(clients, "transport_for", lambda profile: AioHttpTransport())


async def seed_pair(azurite, container: str) -> dict[str, BlobInfo]:
    async with BlobStore(key_profile(azurite)) as store:
        await store.create_container(container)
        for name in ("a/../b", "b"):
            await store.upload_blob(container, name, content(name))
        return await listing(store, container)


async def test_etag_guard_refuses_another_blobs_data_under_sas(azurite, container_name, tmp_path, monkeypatch):
    listed = await seed_pair(azurite, container_name)
    use_normalizing_transport(monkeypatch)
    etag = listed["a/../b"].etag
    async with BlobStore(sas_profile(azurite)) as store:
        # the hazard: without a guard, a normalizing transport reads b for a/../b
        assert await store.read_blob(container_name, "a/../b") == content("b")
        with pytest.raises(ChangedSinceListedError):
            await store.read_blob(container_name, "a/../b", length=4096, etag=etag)
        with pytest.raises(ChangedSinceListedError):
            await store.get_details(container_name, "a/../b", etag=etag)
        with pytest.raises(ChangedSinceListedError):
            await store.download_to(container_name, "a/../b", tmp_path / "x", etag=etag)
        # deletes are If-Match guarded: the wrong blob is not deleted
        assert await store.delete_if_unchanged(container_name, "a/../b", etag) == "changed"
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    async with BlobStore(key_profile(azurite)) as store:  # the exact-URL transport again
        after = await listing(store, container_name)
    assert {name: info.etag for name, info in after.items()} == {n: i.etag for n, i in listed.items()}


async def test_normalized_url_under_shared_key_is_refused(azurite, container_name, monkeypatch):
    await seed_pair(azurite, container_name)
    use_normalizing_transport(monkeypatch)
    async with BlobStore(key_profile(azurite)) as store:
        with pytest.raises(AuthenticationError):  # signed for a/../b, sent to b
            await store.read_blob(container_name, "a/../b")
