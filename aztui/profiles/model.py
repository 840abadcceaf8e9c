"""The resolved connection profile: what every layer of aztui works from.

`aztui.profiles.file` turns a TOML table written in any seed vocabulary
(Distribution azure driver, BuildKit azblob cache, ZenML artifact store or
container registry) into one `Profile`. Nothing here does I/O.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from aztui.errors import ProfileError

AuthType = Literal[
    "shared_key",          # account name + account key
    "sas",                 # SAS token (account or container)
    "connection_string",   # a storage connection string
    "client_secret",       # service principal: tenant, client id, secret
    "default_credentials", # DefaultAzureCredential: env, workload/managed identity, Azure CLI
    "anonymous",           # no credential: public containers, ACR anonymous pull
    "environment",         # AZURE_STORAGE_* as ZenML documents, then DefaultAzureCredential
]
AUTH_TYPES: tuple[str, ...] = AuthType.__args__  # type: ignore[attr-defined]

ProfileKind = Literal["storage", "buildkit-cache", "distribution", "artifact-store", "acr"]
PROFILE_KINDS: tuple[str, ...] = ProfileKind.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Secret:
    """A secret literal or an `env:NAME` reference; printing it never shows the value."""

    literal: str | None = None
    env_name: str | None = None
    key: str = ""  # the profile key it came from, for messages

    def reveal(self) -> str:
        """The secret value; an unset environment variable is a `ProfileError`."""
        if self.env_name is None:
            return self.literal or ""
        value = os.environ.get(self.env_name)
        if value is None:
            raise ProfileError(
                f"`{self.key}` refers to environment variable {self.env_name}, which is not set",
                hint=f"export {self.env_name}=... or write the value into the profile",
            )
        return value

    @property
    def is_literal(self) -> bool:
        return self.env_name is None

    def masked(self) -> str:
        return f"env:{self.env_name}" if self.env_name else "********"

    def __repr__(self) -> str:
        return f"Secret({self.masked()})"

    __str__ = masked


@dataclass(frozen=True)
class Profile:
    """One connection profile, normalised from whichever vocabulary it was written in."""

    name: str
    kind: ProfileKind
    auth: AuthType
    source: Path | None = None            # the profiles file it came from

    # where: the blob service endpoint and the place inside it
    account_name: str | None = None
    account_url: str | None = None        # e.g. https://acct.blob.core.windows.net or http://127.0.0.1:10000/devstoreaccount1
    container: str | None = None
    prefix: str = ""  # rootdirectory / BuildKit prefix / ZenML path prefix, no leading or trailing '/'
    realm: str = "core.windows.net"

    # credentials
    account_key: Secret | None = None
    sas_token: Secret | None = None
    connection_string: Secret | None = None
    client_id: str | None = None
    tenant_id: str | None = None
    client_secret: Secret | None = None
    authority_host: str | None = None     # sign-in authority for sovereign clouds or a local token endpoint

    # BuildKit azblob cache
    cache_names: tuple[str, ...] = ()
    blobs_prefix: str = "blobs"
    manifests_prefix: str = "manifests"

    # Azure Container Registry
    registry_url: str | None = None       # https://<name>.azurecr.io

    # transport: meanings as the Distribution driver documents them
    max_retries: int = 5                  # retry n waits n x retry_delay; -1 disables retries
    retry_delay: float = 0.1              # seconds
    copy_status_poll_max_retry: int = 5
    copy_status_poll_delay: float = 0.1   # seconds
    skipverify: bool = False
    ca_bundle: str | None = None          # PEM file of extra CAs (corporate proxies, local test endpoints)
    connect_timeout: float = 5.0          # seconds
    read_timeout: float = 60.0            # seconds

    # safety
    read_only: bool = False
    protected: bool = False

    # the keys as written (secrets masked), for `profiles show`
    written: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def secrets(self) -> tuple[Secret, ...]:
        return tuple(s for s in (self.account_key, self.sas_token, self.connection_string,
                                 self.client_secret) if s is not None)
