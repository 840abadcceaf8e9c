"""Azure failures become aztui errors with a title and a hint: real Azurite answers where
Azurite can produce them, a tiny loopback server where only Azure can (clock skew,
Azure's own AuthenticationFailed wording)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import partial

import pytest

from aztui.azure import BlobStore, map_azure_error
from aztui.azure.errors import scrub
from aztui.errors import (
    AuthenticationError,
    ClockSkewError,
    NotFoundError,
    PermissionDeniedError,
    ServiceError,
)
from aztui.profiles.model import Profile, Secret
from tests.support.http_fakes import CannedHttp
from tests.support.profiles import azurite_profile

key_profile = partial(azurite_profile, max_retries=0)


# --- real Azurite answers -------------------------------------------------------------

async def test_missing_container(azurite, container_name):
    async with BlobStore(key_profile(azurite)) as store:
        with pytest.raises(NotFoundError) as caught:
            [b async for b in store.iter_blobs(container_name)]
    assert caught.value.message == "the container does not exist"
    assert container_name in caught.value.step
    assert caught.value.render().startswith("Not found while listing blobs in")


async def test_missing_blob(azurite, container_name):
    async with BlobStore(key_profile(azurite)) as store:
        await store.create_container(container_name)
        with pytest.raises(NotFoundError, match="blob does not exist"):
            await store.get_blob(container_name, "nope")
        with pytest.raises(NotFoundError, match="blob does not exist"):
            await store.read_blob(container_name, "nope")
        with pytest.raises(NotFoundError):
            await store.delete_blob(container_name, "nope")


async def test_bad_key_is_authentication_error(azurite):
    import base64

    profile = key_profile(azurite)
    bad = Profile(**{**profile.__dict__, "account_key": Secret(base64.b64encode(b"0" * 64).decode())})
    async with BlobStore(bad) as store:
        with pytest.raises(AuthenticationError) as caught:
            [c async for c in store.iter_containers()]
    assert caught.value.title == "Authentication failed"
    assert "AuthorizationFailure" in caught.value.message
    assert "belongs to this account" in caught.value.hint


async def test_sas_without_permission_is_permission_denied(azurite, container_name):
    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    async with BlobStore(key_profile(azurite)) as store:
        await store.create_container(container_name)
        await store.upload_blob(container_name, "a.txt", b"a")
    sas = generate_container_sas(azurite.account, container_name, azurite.key,
                                 permission=ContainerSasPermissions(read=True, list=True),
                                 expiry=datetime.now(timezone.utc) + timedelta(hours=1))
    profile = Profile(name="t", kind="storage", auth="sas", account_url=azurite.blob_endpoint,
                      sas_token=Secret(sas), max_retries=0)
    async with BlobStore(profile) as store:
        with pytest.raises(PermissionDeniedError) as caught:
            await store.delete_blob(container_name, "a.txt")
    assert "AuthorizationPermissionMismatch" in caught.value.message
    assert "'d' (delete)" in caught.value.hint and "'rl'" in caught.value.hint


async def test_account_sas_without_resource_type(azurite, container_name):
    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    async with BlobStore(key_profile(azurite)) as store:
        await store.create_container(container_name)
    sas = generate_account_sas(azurite.account, azurite.key, ResourceTypes(service=True),
                               AccountSasPermissions(read=True, list=True),
                               expiry=datetime.now(timezone.utc) + timedelta(hours=1))
    profile = Profile(name="t", kind="storage", auth="sas", account_url=azurite.blob_endpoint,
                      sas_token=Secret(sas), max_retries=0)
    async with BlobStore(profile) as store:
        with pytest.raises(PermissionDeniedError) as caught:
            [b async for b in store.iter_blobs(container_name)]
    assert "resource type" in caught.value.hint


async def test_stale_etag_on_delete_is_refused_and_keeps_the_blob(azurite, container_name):
    async with BlobStore(key_profile(azurite)) as store:
        await store.create_container(container_name)
        first = await store.upload_blob(container_name, "a.txt", b"one")
        await store.upload_blob(container_name, "a.txt", b"two", overwrite=True)
        with pytest.raises(ServiceError) as caught:
            await store.delete_blob(container_name, "a.txt", etag=first.etag)
        assert caught.value.title == "Changed meanwhile"
        assert await store.read_blob(container_name, "a.txt") == b"two"
        current = await store.get_blob(container_name, "a.txt")
        await store.delete_blob(container_name, "a.txt", etag=current.etag)
        assert [b async for b in store.iter_blobs(container_name)] == []


async def test_existing_blob_without_overwrite(azurite, container_name):
    async with BlobStore(key_profile(azurite)) as store:
        await store.create_container(container_name)
        await store.upload_blob(container_name, "a.txt", b"one")
        with pytest.raises(ServiceError, match="BlobAlreadyExists"):
            await store.upload_blob(container_name, "a.txt", b"two")
        with pytest.raises(ServiceError, match="ContainerAlreadyExists"):
            await store.create_container(container_name)


# --- answers only Azure gives, from a loopback server ------------------------------------

KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def canned_profile(url: str, **kwargs) -> Profile:
    kwargs.setdefault("auth", "shared_key")
    if kwargs["auth"] == "shared_key":
        kwargs.setdefault("account_key", Secret(KEY))
    return Profile(name="t", kind="storage", account_name="acct", account_url=url, max_retries=0, **kwargs)


async def listing_error(profile: Profile):
    async with BlobStore(profile) as store:
        with pytest.raises(Exception) as caught:
            [c async for c in store.iter_containers()]
    return caught.value


async def test_clock_skew_from_the_server_date_header():
    skewed = datetime.now(timezone.utc) + timedelta(hours=2)
    async with CannedHttp(403, "AuthenticationFailed", "Server failed to authenticate the request.",
                          date=skewed) as server:
        error = await listing_error(canned_profile(server.url))
    assert isinstance(error, ClockSkewError)
    assert "120 minutes behind" in error.message
    assert "clock" in error.hint


async def test_clock_skew_from_request_date_too_old():
    async with CannedHttp(403, "AuthenticationFailed", "Server failed to authenticate the request.",
                          detail="Request date header too old: 'Fri, 01 Jan 2021 00:00:00 GMT'") as server:
        error = await listing_error(canned_profile(server.url))
    assert isinstance(error, ClockSkewError)


async def test_azure_authentication_failed_signature_mismatch():
    async with CannedHttp(403, "AuthenticationFailed", "Server failed to authenticate the request.",
                          detail="The MAC signature found in the HTTP request is not the same as "
                                 "any computed signature.") as server:
        error = await listing_error(canned_profile(server.url))
    assert isinstance(error, AuthenticationError)
    assert "AuthenticationFailed" in error.message and "account key" in error.hint


async def test_azure_sas_time_frame_wording():
    detail = "Signature not valid in the specified time frame: Start [..] - Expiry [..] - Current [..]"
    async with CannedHttp(403, "AuthenticationFailed", "Server failed to authenticate the request.",
                          detail=detail) as server:
        sas = "sv=2024-08-04&ss=b&srt=sco&sp=rl&se=2030-01-01T00:00:00Z&sig=c2VjcmV0c2lnbmF0dXJl"
        error = await listing_error(canned_profile(server.url, auth="sas", sas_token=Secret(sas)))
    assert isinstance(error, AuthenticationError)
    assert "expiry" in error.hint
    assert "c2VjcmV0c2lnbmF0dXJl" not in error.render()


async def test_azure_permission_mismatch_for_a_token_names_a_role():
    async with CannedHttp(403, "AuthorizationPermissionMismatch",
                          "This request is not authorized to perform this operation using this "
                          "permission.") as server:
        error = await listing_error(canned_profile(server.url))
    assert isinstance(error, PermissionDeniedError)
    assert "Storage Blob Data" in error.hint


async def test_other_status_is_service_error_with_code():
    async with CannedHttp(400, "InvalidQueryParameterValue", "Value for one of the query parameters "
                          "specified in the request URI is invalid.") as server:
        error = await listing_error(canned_profile(server.url))
    assert type(error) is ServiceError
    assert "400" in error.message and "InvalidQueryParameterValue" in error.message


# --- identity errors -----------------------------------------------------------------------

async def test_credential_unavailable_names_env_vars_and_az_login(monkeypatch):
    from azure.identity.aio import EnvironmentCredential

    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_USERNAME",
                 "AZURE_CLIENT_CERTIFICATE_PATH"):
        monkeypatch.delenv(name, raising=False)
    async with EnvironmentCredential() as credential:
        with pytest.raises(Exception) as caught:
            await credential.get_token("https://storage.azure.com/.default")
    error = map_azure_error(caught.value, step="getting a token")
    assert isinstance(error, AuthenticationError)
    assert "az login" in error.hint and "AZURE_CLIENT_ID" in error.hint
    assert error.step == "getting a token"


def test_mapping_is_idempotent_and_keeps_the_first_step():
    first = NotFoundError("gone", step="reading")
    assert map_azure_error(first, step="other") is first and first.step == "reading"


def test_scrub_removes_signatures_keys_and_client_secrets():
    text = ("GET https://a.blob.core.windows.net/c?sv=1&sig=abc%2Fdef&se=x "
            "AccountKey=Zm9vYmFy==;BlobEndpoint=x client_secret=hush&scope=y")
    clean = scrub(text)
    assert "abc%2Fdef" not in clean and "Zm9vYmFy" not in clean and "hush" not in clean
    assert "sig=***" in clean and "se=x" in clean and "scope=y" in clean


async def test_anonymous_404_hints_that_private_containers_look_missing():
    async with CannedHttp(404, "ResourceNotFound", "The specified resource does not exist.") as server:
        error = await listing_error(canned_profile(server.url, auth="anonymous"))
    assert isinstance(error, NotFoundError)
    assert "anonymous" in error.hint


async def test_https_to_a_plain_http_port_says_so(azurite):
    url = azurite.blob_endpoint.replace("http://", "https://")
    from aztui.errors import TlsError

    with pytest.raises(TlsError) as caught:
        async with BlobStore(Profile(name="t", kind="storage", auth="anonymous", account_url=url,
                                     max_retries=0)) as store:
            [c async for c in store.iter_containers()]
    assert "https:// versus http://" in caught.value.hint


@pytest.mark.parametrize("url", ["not a url", "ftp://host/acct", "https://"])
async def test_account_url_that_is_not_http_is_a_profile_error(url):
    from aztui.errors import ProfileError

    with pytest.raises(ProfileError, match="not an http"):
        async with BlobStore(Profile(name="t", kind="storage", auth="anonymous", account_url=url)):
            pass
