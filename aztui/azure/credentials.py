"""Profile -> credential: the only place in aztui that builds Azure credentials.

`plan_auth` decides, without I/O and without importing the SDKs, where to connect
and with which secret (one precedence chain, including the `environment` chain
that ZenML and BuildKit document). `credential_for` turns that plan into an SDK
credential for the length of an `async with` block and closes it afterwards.
"""

from __future__ import annotations

import base64
import binascii
import os
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any, AsyncIterator, Literal, Mapping
from urllib.parse import urlsplit

from aztui import endpoints
from aztui.endpoints import DEV_ACCOUNT, DEV_BLOB_URL, DEV_KEY, account_name_from_url
from aztui.errors import AuthenticationError, AztuiError, ProfileError
from aztui.profiles.model import Profile, Secret

Method = Literal["shared_key", "sas", "client_secret", "default_credentials", "anonymous"]

# Sign-in hosts of the Azure clouds; any other authority (Azure Stack, ADFS, a local
# test endpoint) gets instance discovery switched off.
KNOWN_AUTHORITY_HOSTS = frozenset({
    "login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn",
    "login.partner.microsoftonline.cn", "login.microsoftonline.de", "login.windows.net",
    "login.microsoft.com", "sts.windows.net",
})

@dataclass(frozen=True)
class AuthPlan:
    """Where to connect and with what; secrets stay wrapped in `Secret` (masked in repr)."""

    method: Method
    source: str                      # for humans: "shared key", "environment: AZURE_STORAGE_CONNECTION_STRING"
    account_url: str | None
    account_name: str | None = None
    account_key: Secret | None = None
    sas_token: Secret | None = None
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: Secret | None = None




def _default_url(account_name: str | None, realm: str, scheme: str = "https") -> str | None:
    return f"{scheme}://{account_name}.blob.{realm}" if account_name else None


def check_account_key(key: str, *, where: str = "account key") -> str:
    """The key itself when it is valid base64, else an `AuthenticationError`."""
    try:
        base64.b64decode(key.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise AuthenticationError(
            f"the {where} is not valid base64", title="Invalid account key",
            hint="copy key1 or key2 of the storage account (Access keys in the portal, or "
                 "`az storage account keys list`); it ends with '=='",
        ) from None
    return key.strip()


def parse_connection_string(text: str) -> dict[str, str]:
    """`Key=Value;...` with upper-case keys, or an `AuthenticationError` that does not echo it."""
    settings = endpoints.parse_connection_string(text)
    if settings is None:
        raise AuthenticationError(
            "the connection string is malformed (expected Key=Value pairs separated by ';')",
            title="Invalid connection string",
            hint="copy the connection string of the storage account again (Access keys in the portal)",
        )
    return {key.upper(): value for key, value in settings.items()}


def plan_from_connection_string(text: str, *, source: str, realm: str = "core.windows.net") -> AuthPlan:
    """What a storage connection string says: endpoint and key, SAS or nothing."""
    cs = parse_connection_string(text)
    if cs.get("USEDEVELOPMENTSTORAGE", "").lower() == "true":
        return AuthPlan("shared_key", f"{source} (development storage)", DEV_BLOB_URL,
                        DEV_ACCOUNT, Secret(DEV_KEY, key="AccountKey"))
    name = cs.get("ACCOUNTNAME")
    url = cs.get("BLOBENDPOINT")
    if not url and name:
        suffix = cs.get("ENDPOINTSUFFIX") or realm
        url = f"{cs.get('DEFAULTENDPOINTSPROTOCOL') or 'https'}://{name}.blob.{suffix}"
    if not url:
        raise AuthenticationError(
            "the connection string names neither BlobEndpoint nor AccountName",
            title="Invalid connection string", hint="it needs AccountName=... or BlobEndpoint=...")
    url = url.rstrip("/")
    name = name or account_name_from_url(url)
    if key := cs.get("ACCOUNTKEY"):
        check_account_key(key, where="AccountKey of the connection string")
        return AuthPlan("shared_key", f"{source} (shared key)", url, name, Secret(key, key="AccountKey"))
    if sas := cs.get("SHAREDACCESSSIGNATURE"):
        return AuthPlan("sas", f"{source} (SAS)", url, name,
                        sas_token=Secret(sas.lstrip("?"), key="SharedAccessSignature"))
    return AuthPlan("anonymous", f"{source} (no key: anonymous)", url, name)


def _require(secret: Secret | None, what: str, auth: str) -> str:
    value = secret.reveal() if secret is not None else ""
    if not value:
        raise ProfileError(f"auth = \"{auth}\" needs {what}", hint=f"add {what} to the profile")
    return value


def plan_auth(profile: Profile, environ: Mapping[str, str] = os.environ) -> AuthPlan:
    """Decide endpoint and credential for `profile` (reads secrets, does no I/O)."""
    url = profile.account_url or _default_url(profile.account_name, profile.realm)
    name = profile.account_name or account_name_from_url(url)
    auth = profile.auth
    if auth == "shared_key":
        key = check_account_key(_require(profile.account_key, "account_key", auth))
        if not name:
            raise ProfileError("shared key auth needs the account name", hint="set account_name")
        return AuthPlan("shared_key", "shared key", url, name, Secret(key, key="account_key"))
    if auth == "sas":
        sas = _require(profile.sas_token, "sas_token", auth).lstrip("?")
        return AuthPlan("sas", "SAS token", url, name, sas_token=Secret(sas, key="sas_token"))
    if auth == "connection_string":
        return plan_from_connection_string(_require(profile.connection_string, "connection_string", auth),
                                           source="connection string", realm=profile.realm)
    if auth == "client_secret":
        secret = _require(profile.client_secret, "client_secret", auth)
        if not (profile.tenant_id and profile.client_id):
            raise ProfileError("client_secret auth needs tenant_id and client_id",
                               hint="add tenant_id and client_id of the app registration")
        return AuthPlan("client_secret", f"service principal {profile.client_id}", url, name,
                        tenant_id=profile.tenant_id, client_id=profile.client_id,
                        client_secret=Secret(secret, key="client_secret"))
    if auth == "default_credentials":
        return AuthPlan("default_credentials", "DefaultAzureCredential", url, name)
    if auth == "anonymous":
        return AuthPlan("anonymous", "anonymous", url, name)
    if auth == "environment":
        return _plan_from_environment(profile, environ)
    raise ProfileError(f"unknown auth type {auth!r}")


def _plan_from_environment(profile: Profile, env: Mapping[str, str]) -> AuthPlan:
    """ZenML's implicit authentication (AZURE_STORAGE_*), then DefaultAzureCredential."""
    if cs := env.get("AZURE_STORAGE_CONNECTION_STRING"):
        plan = plan_from_connection_string(cs, source="environment: AZURE_STORAGE_CONNECTION_STRING",
                                           realm=profile.realm)
        if profile.account_url and not parse_connection_string(cs).get("BLOBENDPOINT"):
            plan = replace(plan, account_url=profile.account_url)
        return plan
    name = env.get("AZURE_STORAGE_ACCOUNT_NAME") or profile.account_name
    url = profile.account_url or _default_url(name, profile.realm)
    name = name or account_name_from_url(url)
    if key := env.get("AZURE_STORAGE_ACCOUNT_KEY"):
        check_account_key(key, where="AZURE_STORAGE_ACCOUNT_KEY")
        return AuthPlan("shared_key", "environment: AZURE_STORAGE_ACCOUNT_NAME + AZURE_STORAGE_ACCOUNT_KEY",
                        url, name, Secret(key.strip(), key="AZURE_STORAGE_ACCOUNT_KEY"))
    if sas := env.get("AZURE_STORAGE_SAS_TOKEN"):
        return AuthPlan("sas", "environment: AZURE_STORAGE_ACCOUNT_NAME + AZURE_STORAGE_SAS_TOKEN", url, name,
                        sas_token=Secret(sas.lstrip("?"), key="AZURE_STORAGE_SAS_TOKEN"))
    sp = [env.get(f"AZURE_STORAGE_{k}") for k in ("CLIENT_ID", "CLIENT_SECRET", "TENANT_ID")]
    if all(sp):
        return AuthPlan("client_secret", f"environment: AZURE_STORAGE_CLIENT_ID ({sp[0]})", url, name,
                        client_id=sp[0], tenant_id=sp[2],
                        client_secret=Secret(sp[1], key="AZURE_STORAGE_CLIENT_SECRET"))
    return AuthPlan("default_credentials", "environment: DefaultAzureCredential", url, name)


def describe_auth(profile: Profile, environ: Mapping[str, str] = os.environ) -> str:
    """Which credential source the profile uses, e.g. "environment: AZURE_STORAGE_CONNECTION_STRING"."""
    try:
        return plan_auth(profile, environ).source
    except AztuiError as err:
        return f"{profile.auth} (unusable: {err.message})"


def tls_verify(profile: Profile) -> bool | str:
    """`connection_verify` for azure-core transports: a CA bundle path, False (skipverify) or True."""
    if profile.ca_bundle:
        return profile.ca_bundle
    return not profile.skipverify


def normalize_authority(authority: str) -> str:
    return authority.rstrip("/") if "://" in authority else f"https://{authority.strip('/')}"


def identity_kwargs(profile: Profile) -> dict[str, Any]:
    """Keyword arguments shared by the azure.identity credentials aztui builds."""
    retries = max(profile.max_retries, 0)
    kwargs: dict[str, Any] = {
        "connection_verify": tls_verify(profile),
        "connection_timeout": profile.connect_timeout,
        "read_timeout": profile.read_timeout,
        "retry_total": retries, "retry_connect": min(retries, 1), "retry_read": min(retries, 1),
        "retry_backoff_factor": profile.retry_delay,
    }
    if profile.authority_host:
        authority = normalize_authority(profile.authority_host)
        kwargs["authority"] = authority
        if (urlsplit(authority).hostname or "") not in KNOWN_AUTHORITY_HOSTS:
            kwargs["disable_instance_discovery"] = True
    return kwargs


def build_credential(plan: AuthPlan, profile: Profile) -> Any:
    """The SDK credential for `plan`; token credentials must be closed (see `credential_for`)."""
    if plan.method == "shared_key":
        from azure.core.credentials import AzureNamedKeyCredential

        return AzureNamedKeyCredential(plan.account_name or "", plan.account_key.reveal())
    if plan.method == "sas":
        from azure.core.credentials import AzureSasCredential

        return AzureSasCredential(plan.sas_token.reveal())
    if plan.method == "client_secret":
        from azure.identity.aio import ClientSecretCredential

        return ClientSecretCredential(plan.tenant_id, plan.client_id, plan.client_secret.reveal(),
                                      **identity_kwargs(profile))
    if plan.method == "default_credentials":
        from azure.identity.aio import DefaultAzureCredential

        kwargs = identity_kwargs(profile)
        kwargs.pop("disable_instance_discovery", None)
        return DefaultAzureCredential(**kwargs)
    return None


def credential_that_answered(credential: Any) -> str | None:
    """For DefaultAzureCredential (a chain): the class name of the credential that gave the
    last token; None for any other credential, or before a token.

    azure-identity has no public accessor; it logs the name and keeps it in
    `_successful_credential`, read here defensively (the only use of that private name).
    """
    answered = getattr(credential, "_successful_credential", None)
    if answered is None:
        return None
    return type(answered).__name__


async def close_credential(credential: Any) -> None:
    close = getattr(credential, "close", None)
    if close is not None:
        await close()


@asynccontextmanager
async def credential_for(profile: Profile, environ: Mapping[str, str] = os.environ,
                         *, plan: AuthPlan | None = None) -> AsyncIterator[Any]:
    """The credential for `profile` (None for anonymous), closed when the block ends."""
    plan = plan or plan_auth(profile, environ)
    credential = build_credential(plan, profile)
    try:
        yield credential
    finally:
        await close_credential(credential)
