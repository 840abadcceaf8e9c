"""Every `Profile.auth` type, end to end against Azurite (and a local Entra token endpoint)."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from functools import partial

import pytest

from aztui.azure import BlobStore, describe_auth, plan_auth
from aztui.errors import AuthenticationError, NotFoundError, PermissionDeniedError, ProfileError
from aztui.profiles.model import Profile, Secret
from tests.support.profiles import azurite_profile
from tests.support.tokenserver import CLIENT_ID, CLIENT_SECRET, TENANT


def profile(**kwargs) -> Profile:
    kwargs.setdefault("name", "t")
    kwargs.setdefault("kind", "storage")
    kwargs.setdefault("max_retries", 0)
    return Profile(**kwargs)


key_profile = partial(azurite_profile, max_retries=0)


async def seed(server, container: str, *, public_access: str | None = None) -> None:
    async with BlobStore(key_profile(server)) as store:
        await store.create_container(container, public_access=public_access)
        await store.upload_blob(container, "dir/hello.txt", b"hello world", metadata={"k": "v"})


async def container_names(store: BlobStore) -> list[str]:
    return [c.name async for c in store.iter_containers()]


def now() -> datetime:
    return datetime.now(timezone.utc)


def account_sas(server, *, write: bool = False, expiry: timedelta = timedelta(hours=1),
                start: datetime | None = None) -> str:
    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    return generate_account_sas(
        server.account, server.key, ResourceTypes(service=True, container=True, object=True),
        AccountSasPermissions(read=True, list=True, write=write, create=write),
        expiry=now() + expiry, start=start)


def container_sas(server, container: str, **perms) -> str:
    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    return generate_container_sas(server.account, container, server.key,
                                  permission=ContainerSasPermissions(**perms),
                                  expiry=now() + timedelta(hours=1))


# --- shared key -------------------------------------------------------------------

@pytest.mark.slow
async def test_shared_key_lists_and_reads(azurite, container_name):
    await seed(azurite, container_name)
    async with BlobStore(key_profile(azurite)) as store:
        assert container_name in await container_names(store)
        assert await store.read_blob(container_name, "dir/hello.txt") == b"hello world"
        assert await store.read_blob(container_name, "dir/hello.txt", length=5) == b"hello"
    assert describe_auth(key_profile(azurite)) == "shared key"
    assert azurite.key not in repr(plan_auth(key_profile(azurite)))


async def test_shared_key_round_trip_of_every_blob_operation(azurite, container_name):
    from aztui.azure import BlobInfo, PrefixInfo

    async with BlobStore(key_profile(azurite)) as store:
        await store.create_container(container_name, public_access="blob")
        cool = await store.upload_blob(container_name, "a/b/c.txt", b"x", tier="cool", metadata={"m": "1"})
        assert (cool.name, cool.size, cool.tier, cool.metadata) == ("a/b/c.txt", 1, "Cool", {"m": "1"})
        assert cool.etag.startswith('"') and cool.content_type == "application/octet-stream"
        await store.upload_blob(container_name, "a/d.txt", b"yy")
        await store.upload_blob(container_name, "top.txt", b"zzz")

        containers = [c async for c in store.iter_containers(name_prefix=container_name)]
        assert [(c.name, c.public_access, c.lease_state) for c in containers] == [
            (container_name, "blob", "available")]
        everything = [b async for b in store.iter_blobs(container_name, page_size=2)]
        assert [b.name for b in everything] == ["a/b/c.txt", "a/d.txt", "top.txt"]
        assert all(isinstance(b, BlobInfo) for b in everything)
        assert everything[0].etag == cool.etag and everything[0].metadata == {"m": "1"}
        top = [b async for b in store.iter_blobs(container_name, recursive=False)]
        assert top[0] == PrefixInfo("a/") and top[1].name == "top.txt"
        under_a = [b async for b in store.iter_blobs(container_name, "a/", recursive=False)]
        assert under_a[0] == PrefixInfo("a/b/") and under_a[1].name == "a/d.txt"

        assert (await store.get_blob(container_name, "top.txt")).size == 3
        await store.delete_blob(container_name, "top.txt")
        assert [b.name async for b in store.iter_blobs(container_name, "top")] == []


async def test_wrong_account_key_is_an_authentication_error(azurite):
    wrong = base64.b64encode(b"not the key" * 6).decode()
    bad = key_profile(azurite, account_key=Secret(wrong))
    async with BlobStore(bad) as store:
        with pytest.raises(AuthenticationError) as caught:
            await container_names(store)
    assert "account key" in caught.value.hint
    assert caught.value.step == "listing containers"
    assert wrong not in caught.value.render()


async def test_account_key_that_is_not_base64_is_refused_before_any_request(azurite):
    bad = key_profile(azurite, account_key=Secret("this is not-base64!"))
    with pytest.raises(AuthenticationError, match="not valid base64") as caught:
        async with BlobStore(bad):
            pass
    assert caught.value.hint and "==" in caught.value.hint
    assert "this is not-base64!" not in caught.value.render()


async def test_shared_key_from_an_unset_env_reference_is_a_profile_error(azurite, monkeypatch):
    monkeypatch.delenv("AZTUI_TEST_UNSET_KEY", raising=False)
    p = key_profile(azurite, account_key=Secret(env_name="AZTUI_TEST_UNSET_KEY", key="account_key"))
    with pytest.raises(ProfileError, match="AZTUI_TEST_UNSET_KEY"):
        async with BlobStore(p):
            pass


# --- SAS --------------------------------------------------------------------------

async def test_account_sas_reads_with_or_without_leading_question_mark(azurite, container_name):
    await seed(azurite, container_name)
    sas = account_sas(azurite)
    for token in (sas, "?" + sas):
        p = profile(auth="sas", account_url=azurite.blob_endpoint, sas_token=Secret(token))
        async with BlobStore(p) as store:
            assert container_name in await container_names(store)
            assert await store.read_blob(container_name, "dir/hello.txt") == b"hello world"
    assert describe_auth(p) == "SAS token"


async def test_container_sas_lists_its_container(azurite, container_name):
    await seed(azurite, container_name)
    p = profile(auth="sas", account_url=azurite.blob_endpoint,
                sas_token=Secret(container_sas(azurite, container_name, read=True, list=True)))
    async with BlobStore(p) as store:
        names = [b.name async for b in store.iter_blobs(container_name)]
        assert names == ["dir/hello.txt"]


async def test_read_only_sas_can_list_but_upload_is_permission_denied(azurite, container_name):
    await seed(azurite, container_name)
    p = profile(auth="sas", account_url=azurite.blob_endpoint, sas_token=Secret(account_sas(azurite)))
    async with BlobStore(p) as store:
        assert container_name in await container_names(store)
        with pytest.raises(PermissionDeniedError) as caught:
            await store.upload_blob(container_name, "new.txt", b"x")
    assert "'w'" in caught.value.hint and "write" in caught.value.hint
    async with BlobStore(key_profile(azurite)) as store:   # nothing was written
        assert [b.name async for b in store.iter_blobs(container_name)] == ["dir/hello.txt"]


async def test_container_sas_without_list_permission_names_it(azurite, container_name):
    await seed(azurite, container_name)
    p = profile(auth="sas", account_url=azurite.blob_endpoint,
                sas_token=Secret(container_sas(azurite, container_name, read=True)))
    async with BlobStore(p) as store:
        with pytest.raises(PermissionDeniedError) as caught:
            [b async for b in store.iter_blobs(container_name)]
    assert "'l'" in caught.value.hint and "list" in caught.value.hint


async def test_expired_sas_is_an_authentication_error_with_expiry_hint(azurite, container_name):
    await seed(azurite, container_name)
    sas = account_sas(azurite, expiry=-timedelta(hours=1), start=now() - timedelta(hours=2))
    p = profile(auth="sas", account_url=azurite.blob_endpoint, sas_token=Secret(sas))
    async with BlobStore(p) as store:
        with pytest.raises(AuthenticationError) as caught:
            await container_names(store)
    assert "expir" in caught.value.hint
    assert "outside its validity window" in caught.value.message
    signature = sas.split("sig=")[1].split("&")[0]
    assert signature not in caught.value.render()


# --- connection string --------------------------------------------------------------

async def test_connection_string(azurite, container_name):
    await seed(azurite, container_name)
    p = key_profile(azurite, connection_string=True)
    async with BlobStore(p) as store:
        assert container_name in await container_names(store)
    assert describe_auth(p) == "connection string (shared key)"
    assert azurite.key not in describe_auth(p)


async def test_connection_string_is_parsed_robustly(azurite, container_name):
    await seed(azurite, container_name)
    messy = (f"  accountname={azurite.account} ; AccountKey={azurite.key};;"
             f"blobendpoint={azurite.blob_endpoint}/ ;DefaultEndpointsProtocol=http  ")
    async with BlobStore(profile(auth="connection_string", connection_string=Secret(messy))) as store:
        assert container_name in await container_names(store)


async def test_connection_string_with_sas(azurite, container_name):
    await seed(azurite, container_name)
    text = f"BlobEndpoint={azurite.blob_endpoint};SharedAccessSignature={account_sas(azurite)}"
    p = profile(auth="connection_string", connection_string=Secret(text))
    async with BlobStore(p) as store:
        assert await store.read_blob(container_name, "dir/hello.txt") == b"hello world"
    assert describe_auth(p) == "connection string (SAS)"


async def test_malformed_connection_string_does_not_echo_it(azurite):
    text = "AccountName=x;this-is-garbage-with-secret"
    with pytest.raises(AuthenticationError, match="malformed") as caught:
        async with BlobStore(profile(auth="connection_string", connection_string=Secret(text))):
            pass
    assert "garbage-with-secret" not in caught.value.render()


# --- anonymous ---------------------------------------------------------------------

async def test_anonymous_reads_a_public_container(azurite, container_name):
    await seed(azurite, container_name, public_access="container")
    p = profile(auth="anonymous", account_url=azurite.blob_endpoint)
    async with BlobStore(p) as store:
        names = [b.name async for b in store.iter_blobs(container_name)]
        assert names == ["dir/hello.txt"]
        assert await store.read_blob(container_name, "dir/hello.txt") == b"hello world"


async def test_anonymous_on_a_private_container_fails_clearly(azurite, container_name):
    await seed(azurite, container_name)
    p = profile(auth="anonymous", account_url=azurite.blob_endpoint)
    async with BlobStore(p) as store:
        with pytest.raises((AuthenticationError, NotFoundError)) as caught:
            [b async for b in store.iter_blobs(container_name)]
    assert "anonymous" in caught.value.render().lower()
    assert "public access" in caught.value.hint


# --- environment (ZenML implicit auth / BuildKit) --------------------------------------

async def test_environment_connection_string(azurite, container_name):
    await seed(azurite, container_name)
    env = {"AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string}
    p = profile(auth="environment")
    async with BlobStore(p, environ=env) as store:
        assert container_name in await container_names(store)
    assert describe_auth(p, env) == "environment: AZURE_STORAGE_CONNECTION_STRING (shared key)"


async def test_environment_account_name_and_key(azurite, container_name):
    await seed(azurite, container_name)
    env = {"AZURE_STORAGE_ACCOUNT_NAME": azurite.account, "AZURE_STORAGE_ACCOUNT_KEY": azurite.key}
    p = profile(auth="environment", account_url=azurite.blob_endpoint)
    async with BlobStore(p, environ=env) as store:
        assert container_name in await container_names(store)
    assert describe_auth(p, env) == "environment: AZURE_STORAGE_ACCOUNT_NAME + AZURE_STORAGE_ACCOUNT_KEY"
    assert azurite.key not in describe_auth(p, env)


async def test_environment_account_name_and_sas(azurite, container_name):
    await seed(azurite, container_name)
    env = {"AZURE_STORAGE_ACCOUNT_NAME": azurite.account, "AZURE_STORAGE_SAS_TOKEN": account_sas(azurite)}
    p = profile(auth="environment", account_url=azurite.blob_endpoint)
    async with BlobStore(p, environ=env) as store:
        assert container_name in await container_names(store)
    assert describe_auth(p, env).endswith("AZURE_STORAGE_SAS_TOKEN")


def test_environment_precedence_is_described_without_secrets():
    p = profile(auth="environment", account_url="https://acct.blob.core.windows.net")
    sp = {"AZURE_STORAGE_CLIENT_ID": "app", "AZURE_STORAGE_CLIENT_SECRET": "hush",
          "AZURE_STORAGE_TENANT_ID": "tenant"}
    assert describe_auth(p, sp) == "environment: AZURE_STORAGE_CLIENT_ID (app)"
    assert describe_auth(p, {}) == "environment: DefaultAzureCredential"
    both = {**sp, "AZURE_STORAGE_ACCOUNT_KEY": base64.b64encode(b"k" * 64).decode()}
    assert "ACCOUNT_KEY" in describe_auth(p, both)


# --- tokens: client secret and DefaultAzureCredential, via a local Entra endpoint --------

def token_profile(server, tls, token_server, **kwargs) -> Profile:
    return profile(account_name=server.account, account_url=server.blob_endpoint,
                   authority_host=token_server.authority, ca_bundle=tls["ca"], **kwargs)


@pytest.mark.slow
async def test_client_secret_gets_a_token_and_lists(azurite_https, tls, token_server, container_name):
    token_server.register(TENANT, CLIENT_ID, CLIENT_SECRET)
    p = token_profile(azurite_https, tls, token_server, auth="client_secret", tenant_id=TENANT,
                      client_id=CLIENT_ID, client_secret=Secret(CLIENT_SECRET))
    async with BlobStore(p) as store:
        await store.create_container(container_name)
        await store.upload_blob(container_name, "a.txt", b"token auth")
        assert container_name in await container_names(store)
        assert await store.read_blob(container_name, "a.txt") == b"token auth"
    token_calls = token_server.token_requests()
    assert token_calls and token_calls[0].form["client_id"] == CLIENT_ID
    assert token_server.tokens_issued >= 1
    assert describe_auth(p) == f"service principal {CLIENT_ID}"


async def test_wrong_client_secret_names_aadsts_code_not_the_secret(azurite_https, tls, token_server):
    token_server.register(TENANT, CLIENT_ID, CLIENT_SECRET)
    wrong = "wrong-secret-should-never-be-printed"
    p = token_profile(azurite_https, tls, token_server, auth="client_secret", tenant_id=TENANT,
                      client_id=CLIENT_ID, client_secret=Secret(wrong), max_retries=5)
    async with BlobStore(p) as store:
        with pytest.raises(AuthenticationError) as caught:
            await container_names(store)
    text = caught.value.render()
    assert "AADSTS7000215" in text and "token request" in text
    assert wrong not in text and wrong not in repr(caught.value)
    assert len(token_server.token_requests()) == 1  # asked once: a refused secret is not retried
    assert token_server.tokens_issued == 0


async def test_default_credentials_with_nothing_configured(azurite_https, tls, monkeypatch):
    # restrict DefaultAzureCredential to its environment source, so the host's az login cannot leak in
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "EnvironmentCredential")
    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_USERNAME",
                 "AZURE_CLIENT_CERTIFICATE_PATH"):
        monkeypatch.delenv(name, raising=False)
    p = profile(auth="default_credentials", account_url=azurite_https.blob_endpoint, ca_bundle=tls["ca"])
    async with BlobStore(p) as store:
        with pytest.raises(AuthenticationError) as caught:
            await container_names(store)
    assert caught.value.title == "No Azure credential found"
    assert "AZURE_CLIENT_SECRET" in caught.value.hint and "az login" in caught.value.hint


async def test_environment_service_principal(azurite_https, tls, token_server, container_name):
    token_server.register(TENANT, CLIENT_ID, CLIENT_SECRET)
    env = {"AZURE_STORAGE_CLIENT_ID": CLIENT_ID, "AZURE_STORAGE_CLIENT_SECRET": CLIENT_SECRET,
           "AZURE_STORAGE_TENANT_ID": TENANT}
    p = token_profile(azurite_https, tls, token_server, auth="environment")
    async with BlobStore(p, environ=env) as store:
        await store.create_container(container_name)
        assert container_name in await container_names(store)
    assert token_server.tokens_issued >= 1


async def test_default_credentials_through_env_vars(azurite_https, tls, token_server, container_name,
                                                    monkeypatch):
    token_server.register(TENANT, CLIENT_ID, CLIENT_SECRET)
    # EnvironmentCredential comes first in DefaultAzureCredential's chain, so these decide it
    monkeypatch.setenv("AZURE_TENANT_ID", TENANT)
    monkeypatch.setenv("AZURE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", token_server.authority)
    p = profile(auth="default_credentials", account_name=azurite_https.account,
                account_url=azurite_https.blob_endpoint, ca_bundle=tls["ca"])
    async with BlobStore(p) as store:
        await store.create_container(container_name)
        assert container_name in await container_names(store)
    assert token_server.tokens_issued >= 1
    assert describe_auth(p) == "DefaultAzureCredential"


async def test_token_endpoint_with_untrusted_certificate_is_a_tls_error(azurite_https, tls, token_server):
    from aztui.errors import TlsError

    token_server.register(TENANT, CLIENT_ID, CLIENT_SECRET)
    p = profile(auth="client_secret", account_name=azurite_https.account,
                account_url=azurite_https.blob_endpoint, authority_host=token_server.authority,
                tenant_id=TENANT, client_id=CLIENT_ID, client_secret=Secret(CLIENT_SECRET))
    # no ca_bundle: neither Azurite's nor the token endpoint's certificate is trusted
    async with BlobStore(p) as store:
        with pytest.raises(TlsError) as caught:
            await container_names(store)
    assert "ca_bundle" in caught.value.hint
