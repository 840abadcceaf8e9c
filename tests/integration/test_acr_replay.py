"""aztui's ACR layer against real recorded ACR sessions, through the real SDK pipeline.

`ReplayTransport` (tests/support/acr_replay.py) answers from the recordings in
tests/data/acr-recordings; everything above it is azure-containerregistry's own client.
Anonymous recordings: the Bearer challenge is answered by `POST /oauth2/token`
(grant_type=password). Client-credential recordings: the Entra sign-in goes to the local token
server (tests/support/tokenserver.py) instead of login.microsoftonline.com, the ACR token exchange
(`/oauth2/exchange`, `/oauth2/token`) is replayed.
"""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import parse_qs

import pytest

from aztui.azure.acr import AcrRegistry
from aztui.errors import AuthenticationError, PermissionDeniedError, ReadOnlyError
from aztui.profiles.model import Profile, Secret
from tests.support.acr_replay import RECORDED_ENDPOINT, ReplayTransport, UnrecordedRequest
from tests.support.tokenserver import CLIENT_ID, CLIENT_SECRET, TENANT

ANON = "test_anon_access.pyTestContainerRegistryClient"
CLIENT = "test_container_registry_client.pyTestContainerRegistryClient"
HELLO = "library/hello-world"
INDEX_DIGEST = "sha256:13e367d31ae85359f42d637adf6da428f76d75dc9afeb3c21faea0d976f5c651"


def anonymous(**kwargs) -> Profile:
    return Profile(name="acr", kind="acr", auth="anonymous", registry_url=RECORDED_ENDPOINT, max_retries=0,
                   **kwargs)


def replay(recording: str, profile: Profile | None = None, **kwargs) -> tuple[AcrRegistry, ReplayTransport]:
    transport = ReplayTransport(recording)
    return AcrRegistry(profile or anonymous(), {}, transport=transport, **kwargs), transport


def token_forms(transport: ReplayTransport) -> list[str]:
    return [path for method, path in transport.requests if path.startswith("/oauth2/")]


async def test_repository_names_all_pages_through_link_headers():
    registry, transport = replay(ANON + "test_list_repository_names_by_page", page_size=2)
    async with registry:
        names = await registry.list_repository_names()
    assert names[:3] == ["library/alpine", "library/busybox", "library/hello-world"]
    assert names[-1] == "to_be_deleted" and len(names) == 33
    assert len(names) == len(set(names))
    # 17 pages, each: challenge, anonymous token, the page again with the token
    assert transport.unused() == []
    assert transport.requests.count(("POST", "/oauth2/token?api-version=2021-07-01")) == 17
    assert ("GET", "/acr/v1/_catalog?last=library%2Fbusybox&n=2&orderby=") in transport.requests


async def test_anonymous_token_request_carries_the_challenge_service_and_scope():
    registry, transport = replay(ANON + "test_list_repository_names")
    async with registry:
        names = await registry.list_repository_names()
    assert "library/hello-world" in names and transport.unused() == []
    retried = transport.headers_sent[-1]
    assert retried["Authorization"] == "Bearer access_token"   # the recording's token literal
    assert "Authorization" not in transport.headers_sent[0]    # the first try goes out bare


async def test_tag_properties():
    registry, transport = replay(ANON + "test_list_tag_properties")
    async with registry:
        tags = await registry.list_tags(HELLO)
    assert [t.name for t in tags] == ["latest", "v1", "v2", "v3", "v4"]
    latest = tags[0]
    assert latest.repository == HELLO and latest.digest == INDEX_DIGEST
    assert latest.last_updated == datetime(2022, 7, 8, 21, 52, 31, 306613, tzinfo=timezone.utc)
    assert (latest.can_delete, latest.can_write, latest.can_read, latest.can_list) == (True, True, True, True)


async def test_manifest_properties_with_media_type_platform_and_untagged():
    registry, transport = replay(ANON + "test_list_manifest_properties")
    async with registry:
        manifests = await registry.list_manifests(HELLO)
    assert len(manifests) == 12
    index = manifests[0]
    assert index.digest == INDEX_DIGEST and index.tags == ("latest", "v1", "v2", "v3", "v4")
    assert index.media_type == "application/vnd.docker.distribution.manifest.list.v2+json"
    assert index.size == 61676 and index.architecture is None
    children = manifests[1:]
    assert all(m.tags == () for m in children)               # untagged manifests are listed too
    assert {m.architecture for m in children} >= {"arm64", "amd64", "s390x", "riscv64"}
    assert {m.os for m in children} == {"linux", "windows"}
    assert all(m.media_type == "application/vnd.docker.distribution.manifest.v2+json" for m in children)


async def test_repository_properties_through_iter_repositories_shape():
    registry, transport = replay(ANON + "test_get_repository_properties")
    async with registry:
        info = await registry.repository(HELLO)
    assert (info.name, info.tag_count, info.manifest_count) == (HELLO, 5, 12)
    assert info.last_updated.year == 2022 and info.can_delete is True


@pytest.mark.parametrize("recording, action", [
    ("test_delete_tag", lambda r: r.delete_tag(HELLO, "latest")),
    ("test_delete_repository", lambda r: r.delete_repository(HELLO)),
    ("test_update_repository_properties", lambda r: r.set_locks(HELLO, can_delete=False)),
    ("test_update_tag_properties", lambda r: r.set_locks(HELLO, tag="latest", can_write=False)),
])
async def test_anonymous_writes_are_refused_with_a_hint(recording, action):
    registry, transport = replay(ANON + recording)
    async with registry:
        with pytest.raises(PermissionDeniedError) as caught:
            await action(registry)
    err = caught.value
    assert err.title == "Anonymous access refused"
    assert "client_secret" in err.hint and "repository:library/hello-world" in err.message
    # every recorded write was sent (bare, then with the anonymous token); what is left unused is
    # the read the SDK's own test did first
    writes = [key for key in transport.requests if key[0] in ("DELETE", "PATCH")]
    assert len(writes) == 2 and all(method in ("GET", "POST") for method, _ in transport.unused())


async def test_read_only_profile_refuses_writes_before_any_request():
    registry, transport = replay(ANON + "test_delete_tag", anonymous(read_only=True))
    async with registry:
        with pytest.raises(ReadOnlyError):
            await registry.delete_tag(HELLO, "latest")
    assert transport.requests == []


async def test_a_request_the_recording_lacks_fails_loudly():
    registry, transport = replay(ANON + "test_list_tag_properties")
    async with registry:
        with pytest.raises(UnrecordedRequest):
            await registry.list_manifests(HELLO)


def client_profile(token_server, tls) -> Profile:  # noqa: F811
    token_server.register(TENANT, CLIENT_ID, CLIENT_SECRET)
    return Profile(name="acr", kind="acr", auth="client_secret", registry_url=RECORDED_ENDPOINT,
                   tenant_id=TENANT, client_id=CLIENT_ID, client_secret=Secret(CLIENT_SECRET),
                   authority_host=token_server.authority, ca_bundle=tls["ca"], max_retries=0)


async def test_client_secret_exchange_replayed(token_server, tls):  # noqa: F811
    transport = ReplayTransport(CLIENT + "test_list_registry_artifacts")
    # the recording's sign-in requests went to login.microsoftonline.com; ours go to the token server
    transport.entries = [e for e in transport.entries if "login.microsoftonline.com" not in e["RequestUri"]]
    transport.used = [False] * len(transport.entries)
    async with AcrRegistry(client_profile(token_server, tls), {}, transport=transport) as registry:
        manifests = await registry.list_manifests("library/busybox")
    assert manifests and all(m.digest.startswith("sha256:") for m in manifests)
    assert token_forms(transport) == ["/oauth2/exchange?api-version=2021-07-01",
                                      "/oauth2/token?api-version=2021-07-01"]
    assert transport.unused() == []
    assert token_server.tokens_issued == 1
    scope = token_server.token_requests()[0].form["scope"]
    assert scope == "https://containerregistry.azure.net/.default"


async def test_exchange_refused_maps_to_an_authentication_error(token_server, tls):  # noqa: F811
    # the recorded registry answered /oauth2/exchange with 401 (the SDK test of a wrong audience)
    transport = ReplayTransport(CLIENT + "test_construct_container_registry_client")
    transport.entries = [e for e in transport.entries if "login.microsoftonline.com" not in e["RequestUri"]]
    transport.used = [False] * len(transport.entries)
    async with AcrRegistry(client_profile(token_server, tls), {}, transport=transport) as registry:
        with pytest.raises((AuthenticationError, PermissionDeniedError)) as caught:
            await registry.repository(HELLO)
    assert caught.value.hint
    assert CLIENT_SECRET not in caught.value.render()
    assert transport.unused() == []


def test_recorded_token_form_is_what_we_send():
    # the anonymous token request body aztui sends equals the recorded one (same fields and values)
    from tests.support.acr_replay import load_entries

    recorded = load_entries(ANON + "test_list_repository_names")[1]["RequestBody"]
    assert parse_qs(recorded) == {"service": ["yallacrtestsanon.azurecr.io"], "scope": ["registry:catalog:*"],
                                  "grant_type": ["password"]}
