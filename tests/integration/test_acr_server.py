"""aztui's ACR layer against the local ACR-compatible server (tests/support/acr_server.py) over HTTPS,
with a real Debian docker-registry behind it and the local Entra token server for credentials."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest

from aztui.azure.acr import AcrRegistry
from aztui.errors import AuthenticationError, ReadOnlyError, ServiceError
from aztui.profiles.model import Profile, Secret
from aztui.registry.purge import PurgeOptions, collect, execute_purge, parse_ago, parse_filter, plan_purge
from tests.support.acr_server import AcrServer
from tests.support.acr_server import acr_profile as profile
from tests.support.acr_server import credential_profile as _credential_profile
from tests.support.registry_server import registry_binary
from tests.support.tokenserver import CLIENT_ID, CLIENT_SECRET, TENANT

pytestmark = pytest.mark.skipif(registry_binary() is None, reason="docker-registry is not installed")


async def listing(p: Profile, environ=None, **kwargs) -> dict:
    async with AcrRegistry(p, environ if environ is not None else {}, **kwargs) as registry:
        repos = [r async for r in registry.iter_repositories()]
        return {r.name: (r, await registry.list_tags(r.name)) for r in repos}


async def test_anonymous_listing_through_the_token_flow(acr, tls, registry):
    found = await listing(profile(acr, tls))
    assert sorted(found) == sorted(registry.catalog()) == ["app", "multi", "tools/lint"]
    repo, tags = found["app"]
    assert {t.name for t in tags} == set(registry.tags("app")) == {"latest", "v1", "v2"}
    assert repo.tag_count == 3 and repo.manifest_count == 3       # the untagged image counts
    by_name = {t.name: t for t in tags}
    assert by_name["latest"].digest == by_name["v2"].digest == registry.digests["app:v2"]
    token_posts = [r for r in acr.requests if r[0] == "POST" and r[1].startswith("/oauth2/token")]
    assert token_posts and not any(r[1].startswith("/oauth2/exchange") for r in acr.requests)


async def test_manifests_with_platform_index_children_and_untagged(acr, tls, registry):
    async with AcrRegistry(profile(acr, tls), {}) as reg:
        multi = {m.digest: m for m in await reg.list_manifests("multi")}
        app = await reg.list_manifests("app")
    index = next(m for m in multi.values() if m.tags == ("1.0",))
    assert index.media_type == "application/vnd.oci.image.index.v1+json"
    assert set(index.references) == {registry.digests["multi:amd"], registry.digests["multi:arm"]}
    assert multi[registry.digests["multi:arm"]].architecture == "arm64"
    assert multi[registry.digests["multi:arm"]].os == "linux"
    assert sum(1 for m in app if not m.tags) == 1 and all(m.size for m in app)


async def test_paging_follows_link_headers(acr, tls):
    acr.default_page = 1
    found = await listing(profile(acr, tls), page_size=1)
    assert sorted(found) == ["app", "multi", "tools/lint"]
    assert any("last=" in path for _, path, _ in acr.requests if path.startswith("/acr/v1/_catalog"))
    assert any("last=" in path for _, path, _ in acr.requests if "/_tags" in path)


async def test_client_secret_through_exchange(acr, tls, token_server):  # noqa: F811
    token_server.register(TENANT, CLIENT_ID, CLIENT_SECRET)
    p = profile(acr, tls, auth="client_secret", tenant_id=TENANT, client_id=CLIENT_ID,
                client_secret=Secret(CLIENT_SECRET), authority_host=token_server.authority)
    found = await listing(p)
    assert "app" in found and acr.exchanges >= 1
    assert token_server.token_requests()[0].form["scope"] == "https://containerregistry.azure.net/.default"


async def test_wrong_client_secret_is_a_token_error(acr, tls, token_server):  # noqa: F811
    token_server.register(TENANT, CLIENT_ID, CLIENT_SECRET)
    p = profile(acr, tls, auth="client_secret", tenant_id=TENANT, client_id=CLIENT_ID,
                client_secret=Secret("wrong-secret-value"), authority_host=token_server.authority)
    with pytest.raises(AuthenticationError) as caught:
        await listing(p)
    assert "AADSTS7000215" in caught.value.render() and "wrong-secret-value" not in caught.value.render()
    assert acr.exchanges == 0


async def test_default_credentials_from_the_environment(acr, tls, token_server):  # noqa: F811
    token_server.register(TENANT, CLIENT_ID, CLIENT_SECRET)
    env = {"AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": CLIENT_ID, "AZURE_CLIENT_SECRET": CLIENT_SECRET,
           "AZURE_AUTHORITY_HOST": token_server.authority}
    # DefaultAzureCredential reads os.environ itself (EnvironmentCredential)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        found = await listing(profile(acr, tls, auth="default_credentials"), dict(os.environ))
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    assert "app" in found and acr.exchanges >= 1


async def test_private_registry_refuses_anonymous_with_a_clear_error(tls, registry):
    with AcrServer(tls["cert"], tls["key"], registry=registry, private=True) as acr:
        with pytest.raises(AuthenticationError) as caught:
            await listing(profile(acr, tls))
    err = caught.value
    assert err.title == "Anonymous access refused" and "anonymous" in err.message
    assert "client_secret" in err.hint


async def test_untrusted_certificate_is_a_tls_error(acr, tls):
    from aztui.errors import TlsError

    p = Profile(name="acr", kind="acr", auth="anonymous", registry_url=acr.url, max_retries=0)
    with pytest.raises(TlsError):
        await listing(p)


@pytest.mark.slow
async def test_delete_tag_manifest_repository(acr, tls, token_server, registry):  # noqa: F811
    p = _credential_profile(acr, tls, token_server)
    async with AcrRegistry(p, {}) as reg:
        await reg.delete_tag("app", "latest")
        assert {t.name for t in await reg.list_tags("app")} == {"v1", "v2"}
        await reg.delete_manifest("app", registry.digests["app:v1"])
        assert {t.name for t in await reg.list_tags("app")} == {"v2"}
        await reg.delete_repository("tools/lint")
        assert await reg.list_repository_names() == ["app", "multi"]
    # the manifest delete reached the real registry
    assert "v1" not in registry.tags("app")


@pytest.mark.slow
async def test_locks_block_deletes_and_unlock_allows_them(acr, tls, token_server):  # noqa: F811
    p = _credential_profile(acr, tls, token_server)
    async with AcrRegistry(p, {}) as reg:
        await reg.set_locks("app", tag="v1", can_delete=False, can_write=False)
        tags = {t.name: t for t in await reg.list_tags("app")}
        assert (tags["v1"].can_delete, tags["v1"].can_write) == (False, False)
        with pytest.raises(ServiceError) as caught:
            await reg.delete_tag("app", "v1")
        assert "405" in caught.value.message
        await reg.set_locks("app", tag="v1", can_delete=True, can_write=True)
        await reg.delete_tag("app", "v1")
        assert "v1" not in {t.name for t in await reg.list_tags("app")}


async def test_anonymous_delete_is_refused(acr, tls):
    from aztui.errors import PermissionDeniedError

    async with AcrRegistry(profile(acr, tls), {}) as reg:
        with pytest.raises(PermissionDeniedError) as caught:
            await reg.delete_tag("app", "v1")
    assert "repository:app:delete" in caught.value.message


async def test_read_only_profile_sends_no_write(acr, tls, token_server):  # noqa: F811
    p = _credential_profile(acr, tls, token_server, read_only=True)
    async with AcrRegistry(p, {}) as reg:
        assert "app" in await reg.list_repository_names()      # token exchange POSTs still pass
        with pytest.raises(ReadOnlyError):
            await reg.delete_repository("app")
    assert not any(method in ("DELETE", "PATCH") for method, _, _ in acr.requests)


@pytest.mark.slow
async def test_purge_end_to_end_keeps_locked_and_index_children(acr, tls, token_server, registry):  # noqa: F811
    old = datetime.now(timezone.utc) - timedelta(days=40)
    for tag in ("v1", "v2", "latest"):
        acr.set_time("app", old, tag=tag)
    acr.set_time("multi", old, tag="1.0")
    acr.set_flags("app", tag="v1", can_delete=False)             # locked: kept and reported
    p = _credential_profile(acr, tls, token_server)
    options = PurgeOptions((parse_filter("app:.*"), parse_filter("multi:.*")), (parse_filter("app:^latest$"),),
                           parse_ago("30d"), 0, True)
    async with AcrRegistry(p, {}) as reg:
        plan = plan_purge(await collect(reg, options), options)
        deleted = {(i.repository, i.tag or i.digest) for i in plan.delete}
        # v2 goes, latest is excluded (so v2's image stays), v1 locked; multi:1.0 goes with its children
        assert ("app", "v2") in deleted and ("app", "latest") not in deleted and ("app", "v1") not in deleted
        assert ("multi", "1.0") in deleted
        assert ("multi", registry.digests["multi:amd"]) in deleted
        assert {i.tag for i in plan.locked if i.tag} == {"v1"}
        untagged_app = [i for i in plan.manifests if i.repository == "app"]
        assert len(untagged_app) == 1                             # only the never-tagged image
        report = await execute_purge(reg, plan, journal=tls_journal(tls))
        assert len(report.with_status("deleted")) == len(plan.delete)
        assert {t.name for t in await reg.list_tags("app")} == {"v1", "latest"}
        assert [m for m in await reg.list_manifests("app") if not m.tags] == []
        assert "multi" not in await reg.list_repository_names()


def tls_journal(tls):
    from pathlib import Path

    return Path(tls["ca"]).parent / f"journal-{os.getpid()}-{datetime.now().timestamp()}.jsonl"
