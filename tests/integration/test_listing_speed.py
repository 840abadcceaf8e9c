"""What makes registry listing fast (issue #13, point 7), as observable behaviour, never timed.

The figures are printed by bench/registry_listing.py. Here: connections are reused with a
`ca_bundle` (azure-core built a new SSL context per request, so aiohttp never pooled), an
anonymous listing costs two requests per repository (the token is fetched for the scope the read
will need, instead of after a challenge), repositories stream in order across pages, and the
proxy from the environment still applies now that aiohttp no longer re-reads it per request.
"""

from __future__ import annotations

import pytest

from aztui.azure.acr import AcrRegistry, read_scope
from aztui.azure.blobs import BlobStore
from tests.support.acr_server import AcrServer, acr_profile
from tests.support.forward_proxy import ForwardProxy
from tests.support.profiles import azurite_profile

SYNTHETIC = {f"team{i % 3}/service-{i:03d}": ["v1", "v2"] for i in range(60)}


@pytest.fixture
def synthetic_acr(tls):
    with AcrServer(tls["cert"], tls["key"], synthetic=SYNTHETIC, default_page=7) as server:
        yield server


async def test_an_anonymous_listing_reuses_connections_and_needs_two_requests_per_repository(synthetic_acr,
                                                                                          tls):
    acr = synthetic_acr
    async with AcrRegistry(acr_profile(acr, tls), {}, concurrency=4) as registry:
        repos = [r async for r in registry.iter_repositories()]
        tags = await registry.list_tags(repos[0].name)          # same scope as its properties: no token
    assert [r.name for r in repos] == sorted(SYNTHETIC)          # every page, in the registry's order
    assert all(r.tag_count == 2 for r in repos) and len(tags) == 2
    pages = -(-len(SYNTHETIC) // 7)
    tokens = [p for m, p, _ in acr.requests if m == "POST"]
    reads = [p for m, p, _ in acr.requests if m == "GET" and not p.startswith("/acr/v1/_catalog")]
    challenged = [p for m, p, token in acr.requests if m == "GET" and not token]
    assert len(reads) == len(SYNTHETIC) + 1                      # each repository once, one tag list
    assert len(tokens) == len(SYNTHETIC) + 1                     # one per repository scope + the catalog's
    assert challenged == ["/acr/v1/_catalog"]                    # only the very first request
    assert len(acr.requests) == 1 + len(tokens) + pages + len(reads)
    assert acr.connections <= 4 + 2                              # pooled: the readers and the lister


def test_read_scopes_follow_the_documented_table():
    assert read_scope("GET", "/acr/v1/_catalog") == "registry:catalog:*"
    assert read_scope("GET", "/acr/v1/team%2Fapi") == "repository:team/api:metadata_read"
    assert read_scope("GET", "/acr/v1/team%2Fapi/_tags") == "repository:team/api:metadata_read"
    assert read_scope("HEAD", "/v2/team/api/manifests/v1") == "repository:team/api:pull"
    assert read_scope("DELETE", "/acr/v1/team%2Fapi") is None and read_scope("GET", "/v2/") is None


async def test_the_environment_proxy_applies_once_per_host_and_no_proxy_bypasses_it(azurite, container_name,
                                                                                  monkeypatch):
    profile = azurite_profile(azurite)
    with ForwardProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        async with BlobStore(profile) as store:
            await store.create_container(container_name)
            await store.upload_blob(container_name, "a.txt", b"a")
            page = await store.list_page(container_name)
        assert [b.name for b in page.items] == ["a.txt"]
        through = len(proxy.requests)
        assert through >= 3 and all(url.startswith(azurite.blob_endpoint) for _, url in proxy.requests)

        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with BlobStore(profile) as store:
            assert [b.name for b in (await store.list_page(container_name)).items] == ["a.txt"]
        assert len(proxy.requests) == through


async def test_a_credential_listing_exchanges_once_and_needs_two_requests_per_repository(synthetic_acr, tls,
                                                                                       token_server):
    from tests.support.acr_server import credential_profile

    acr = synthetic_acr
    async with AcrRegistry(credential_profile(acr, tls, token_server), {}, concurrency=4) as registry:
        repos = [r async for r in registry.iter_repositories()]
    assert [r.name for r in repos] == sorted(SYNTHETIC)
    tokens = [p for m, p, _ in acr.requests if m == "POST" and p.startswith("/oauth2/token")]
    reads = [p for m, p, _ in acr.requests if m == "GET" and not p.startswith("/acr/v1/_catalog")]
    challenged = [p for m, p, token in acr.requests if m == "GET" and not token]
    assert len(reads) == len(SYNTHETIC) and challenged == ["/acr/v1/_catalog"]
    assert len(tokens) == len(SYNTHETIC) + 2         # one per repository scope + the catalog's (SDK's, ours)
    assert acr.exchanges == 2          # the SDK's for the first challenge, then aztui's refresh token, kept


def test_registry_ls_prints_each_repository_as_it_is_read_in_the_registrys_order(tls, write_profiles):
    """`aztui registry ls` (text) prints the first repositories while the tags of a later one are
    still being read, and keeps the registry's order although tags are read ahead."""
    import subprocess
    import sys
    import threading

    from tests.support.acr_server import env_without_azure

    names = sorted(SYNTHETIC)
    held = names[40]
    release, answered = threading.Event(), threading.Event()

    class HeldServer(AcrServer):
        def acr(self, method, segments, query, body):
            if segments[:2] != [held, "_tags"]:
                return super().acr(method, segments, query, body)
            release.wait(20)
            try:
                return super().acr(method, segments, query, body)
            finally:
                answered.set()

    with HeldServer(tls["cert"], tls["key"], synthetic=SYNTHETIC, default_page=7) as server:
        path = write_profiles(f'[profiles.reg]\nuri = "{server.url}"\nca_bundle = "{tls["ca"]}"\n'
                              f'auth = "anonymous"\n')
        errors = path.parent / "stderr.txt"
        with errors.open("w") as stderr:
            process = subprocess.Popen([sys.executable, "-m", "aztui", "--config", str(path), "registry", "ls",
                                        "reg"], stdout=subprocess.PIPE, stderr=stderr, text=True,
                                       env=env_without_azure())
        try:
            first = process.stdout.readline()
            assert first.split("\t")[0] == names[0] and not answered.is_set()  # printed while one is held
            release.set()
            rest = process.stdout.read()        # the same reader: nothing it already buffered is lost
            process.wait(timeout=60)
        finally:
            release.set()
            process.kill()
    lines = (first + rest).splitlines()
    assert process.returncode == 0, errors.read_text()
    assert [line.split("\t")[0] for line in lines[:-1]] == names
    assert lines[-1] == f"{len(names)} repositories" and all("\t2 tags\t" in line for line in lines[:-1])
