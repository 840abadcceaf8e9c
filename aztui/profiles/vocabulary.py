"""The keys a profile may hold: the parameter tables of the four systems aztui reads.

The Distribution azure driver, the BuildKit azblob cache, the ZenML artifact store and
container registry, plus aztui's own keys. Data only; `aztui.profiles.reader` applies it.
"""

from __future__ import annotations

STR, INT, BOOL, DURATION, SECRET, TABLE = "string", "integer", "boolean", "duration", "secret", "table"

PROFILE_KEYS: dict[str, str] = {
    # Distribution azure driver (v2.8 and v3)
    "accountname": STR, "accountkey": SECRET, "container": STR, "realm": STR,
    "rootdirectory": STR, "serviceurl": STR, "max_retries": INT, "retry_delay": DURATION,
    "copy_status_poll_max_retry": INT, "copy_status_poll_delay": DURATION,
    "skipverify": BOOL, "connectionstring": SECRET, "credentials": TABLE,
    # BuildKit azblob cache
    "account_url": STR, "account_name": STR, "name": STR, "prefix": STR,
    "blobs_prefix": STR, "manifests_prefix": STR, "secret_access_key": SECRET, "cache_spec": STR,
    # ZenML artifact store and container registry
    "path": STR, "account_key": SECRET, "sas_token": SECRET, "connection_string": SECRET,
    "client_id": STR, "client_secret": SECRET, "tenant_id": STR, "uri": STR,
    # aztui's own
    "kind": STR, "auth": STR, "read_only": BOOL, "protected": BOOL, "description": STR,
    "authority_host": STR, "ca_bundle": STR, "connect_timeout": DURATION, "read_timeout": DURATION,
}
CREDENTIAL_KEYS: dict[str, str] = {"type": STR, "clientid": STR, "tenantid": STR, "secret": SECRET}
CREDENTIAL_TYPES = ("client_secret", "shared_key", "default_credentials")
TOP_LEVEL_KEYS = ("default_profile", "keymap", "profiles")

SECRET_KEYS: frozenset[str] = frozenset(
    [k for k, t in PROFILE_KEYS.items() if t == SECRET]
    + [k for k, t in CREDENTIAL_KEYS.items() if t == SECRET]
    + [f"credentials.{k}" for k, t in CREDENTIAL_KEYS.items() if t == SECRET])

CACHE_SPEC_ATTRS = ("account_url", "account_name", "container", "name", "prefix",
                    "blobs_prefix", "manifests_prefix", "secret_access_key")
CACHE_SPEC_IGNORED = ("mode", "ignore-error")  # generic cache-export attributes

# keys that may not be an empty string (flat names; credentials keys dotted)
NON_EMPTY = frozenset({
    "accountname", "account_name", "container", "realm", "serviceurl", "account_url", "uri",
    "path", "client_id", "tenant_id", "kind", "auth", "authority_host", "ca_bundle",
    "cache_spec", "name", "credentials.type", "credentials.clientid", "credentials.tenantid"})

BUILDKIT_MARKERS = frozenset({"name", "blobs_prefix", "manifests_prefix", "account_url",
                              "secret_access_key", "cache_spec"})
DISTRIBUTION_MARKERS = frozenset({"accountname", "accountkey", "rootdirectory", "serviceurl",
                                  "credentials", "realm", "skipverify",
                                  "copy_status_poll_max_retry", "copy_status_poll_delay"})

# auth material: which keys each auth reads
CONN_KEYS = ("connectionstring", "connection_string")
SHARED_KEYS = ("accountkey", "account_key", "secret_access_key")
CLIENT_ID_KEYS = ("client_id", "credentials.clientid")
CLIENT_SECRET_KEYS = ("client_secret", "credentials.secret")
TENANT_KEYS = ("tenant_id", "credentials.tenantid")
MATERIAL_KEYS = (*CONN_KEYS, *SHARED_KEYS, "sas_token", *CLIENT_ID_KEYS, *CLIENT_SECRET_KEYS,
                 *TENANT_KEYS)
_IDENTITY_HINTS = frozenset(CLIENT_ID_KEYS + TENANT_KEYS)  # may pick an identity or tenant
AUTH_USES: dict[str, frozenset[str]] = {
    "connection_string": frozenset(CONN_KEYS),
    "shared_key": frozenset(SHARED_KEYS),
    "sas": frozenset({"sas_token"}),
    "client_secret": frozenset(CLIENT_ID_KEYS + CLIENT_SECRET_KEYS + TENANT_KEYS),
    "default_credentials": _IDENTITY_HINTS,
    "environment": _IDENTITY_HINTS,
    "anonymous": frozenset(),
}
ACCOUNT_KEYS = ("accountname", "account_name", "serviceurl", "account_url", *CONN_KEYS)
ACR_AUTHS = ("client_secret", "default_credentials", "anonymous")

DEFAULT_REALM = "core.windows.net"
