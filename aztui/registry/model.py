"""One interface over two kinds of registry: Azure Container Registry and Distribution on Blob.

`open_registry(profile)` returns the backend for the profile's kind; both yield the same
dataclasses, so the Registry pane and `aztui registry ...` never ask which one they have.
No Textual here; the SDKs are imported by the backends, lazily.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import AsyncIterator, Literal, Mapping, Protocol

from aztui.profiles.model import Profile


@dataclass(frozen=True)
class RepositoryInfo:
    name: str                              # may contain '/'
    tag_count: int | None = None
    manifest_count: int | None = None
    last_updated: datetime | None = None
    can_delete: bool | None = None         # ACR locks; None where the backend has none
    can_write: bool | None = None
    can_read: bool | None = None
    can_list: bool | None = None


@dataclass(frozen=True)
class TagInfo:
    repository: str
    name: str
    digest: str                            # sha256:<hex> of the manifest the tag points at
    created: datetime | None = None
    last_updated: datetime | None = None
    can_delete: bool | None = None
    can_write: bool | None = None
    can_read: bool | None = None
    can_list: bool | None = None


@dataclass(frozen=True)
class ManifestInfo:
    repository: str
    digest: str
    size: int | None = None
    tags: tuple[str, ...] = ()
    media_type: str | None = None
    architecture: str | None = None
    os: str | None = None
    created: datetime | None = None
    last_updated: datetime | None = None
    can_delete: bool | None = None
    can_write: bool | None = None
    can_read: bool | None = None
    can_list: bool | None = None
    references: tuple[str, ...] = ()       # child manifest digests of an index / manifest list
    subject: str | None = None             # OCI referrers: the digest this artifact refers to


class Registry(Protocol):
    """What both backends offer; used as `async with open_registry(profile) as registry:`."""

    kind: Literal["acr", "distribution"]

    async def __aenter__(self) -> "Registry": ...

    async def __aexit__(self, *exc_info) -> None: ...

    def iter_repositories(self) -> AsyncIterator[RepositoryInfo]: ...

    async def list_tags(self, repository: str) -> list[TagInfo]: ...

    async def list_manifests(self, repository: str) -> list[ManifestInfo]: ...


def open_registry(profile: Profile, environ: Mapping[str, str] = os.environ) -> Registry:
    """The registry backend for `profile`: ACR for `uri` profiles, else Distribution on Blob."""
    if profile.kind == "acr":
        from aztui.azure.acr import AcrRegistry

        return AcrRegistry(profile, environ)
    from aztui.registry.distribution import DistributionRegistry

    return DistributionRegistry(profile, environ)
