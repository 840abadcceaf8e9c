"""What every registry backend yields and can do: Azure Container Registry and Distribution on Blob.

`aztui.registry.backends.open_registry(profile)` returns the backend for the profile's kind;
both yield these dataclasses and declare their `Capabilities`, so the Registry pane and
`aztui registry ...` ask what a backend can do, never which one it is. Plain data: no Textual,
no SDK (the ACR client in aztui.azure.acr imports these types).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import AsyncIterator, Literal, Protocol

from aztui.profiles.model import Profile

INDEX_MEDIA_TYPES = frozenset({"application/vnd.oci.image.index.v1+json",
                               "application/vnd.docker.distribution.manifest.list.v2+json"})
MEDIA_TYPES = {
    "application/vnd.oci.image.index.v1+json": "OCI index",
    "application/vnd.oci.image.manifest.v1+json": "OCI image",
    "application/vnd.docker.distribution.manifest.list.v2+json": "Docker list",
    "application/vnd.docker.distribution.manifest.v2+json": "Docker v2",
    "application/vnd.docker.distribution.manifest.v1+prettyjws": "Docker v1",
    "application/vnd.docker.distribution.manifest.v1+json": "Docker v1",
}


# --- one manifest's content (aztui.registry.images reads it) ---------------------------------

@dataclass(frozen=True)
class Descriptor:
    """A blob or manifest a manifest points at (OCI descriptor / Docker v2 entry)."""

    digest: str
    size: int | None = None
    media_type: str | None = None
    platform: str | None = None                # an index entry's "os/arch[/variant]"
    annotations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ManifestContent:
    """What a manifest document lists: its config and layers, or (an index) its children."""

    media_type: str | None
    config: Descriptor | None = None
    layers: tuple[Descriptor, ...] = ()
    children: tuple[Descriptor, ...] = ()
    subject: str | None = None
    artifact_type: str | None = None
    annotations: tuple[tuple[str, str], ...] = ()

    @property
    def is_index(self) -> bool:
        return bool(self.children) or self.media_type in INDEX_MEDIA_TYPES

    @property
    def blobs(self) -> tuple[Descriptor, ...]:
        """Config and layers: what an image's size is made of."""
        return ((self.config,) if self.config else ()) + self.layers

    @property
    def blobs_size(self) -> int | None:
        """Config + layers, or None when a descriptor does not say its size."""
        sizes = [d.size for d in self.blobs]
        return None if any(s is None for s in sizes) else sum(sizes)  # type: ignore[misc]


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do beyond reading repositories, tags and manifests."""

    delete: bool = False                   # delete_tag, delete_manifest, delete_repository
    lock: bool = False                     # set_locks (can_delete, can_write)
    repository_properties: bool = False    # repository(name): its counts and locks
    storage_cleanup: bool = False          # GC and purge on storage (aztui.registry.review): Distribution on Blob


ACR_CAPABILITIES = Capabilities(delete=True, lock=True, repository_properties=True)
# a Distribution registry is read from its storage; `registry gc` and `registry purge` clean it up there
DISTRIBUTION_CAPABILITIES = Capabilities(storage_cleanup=True)


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
    # the parsed document, where the backend read it while listing (Distribution); else None and
    # aztui.registry.images.read_contents asks `manifest_content`
    content: ManifestContent | None = field(default=None, compare=False, repr=False)


class Registry(Protocol):
    """What both backends offer; used as `async with open_registry(profile) as registry:`.

    The methods after `list_manifests` exist where `capabilities` says so."""

    kind: Literal["acr", "distribution"]   # for labels only; ask `capabilities` what it can do
    capabilities: Capabilities
    layout: str | None                     # Distribution: the naming found in storage ("v2.8", "v3")

    def no_data_reason(self) -> str | None:
        """Why there is nothing to list here (no registry data where the profile points), or None."""

    async def __aenter__(self) -> "Registry": ...

    async def __aexit__(self, *exc_info) -> None: ...

    def iter_repositories(self) -> AsyncIterator[RepositoryInfo]: ...

    async def list_tags(self, repository: str) -> list[TagInfo]: ...

    async def list_manifests(self, repository: str) -> list[ManifestInfo]: ...

    async def manifest_content(self, repository: str, digest: str) -> bytes | dict: ...

    async def read_blob(self, repository: str, digest: str, *, limit: int) -> bytes: ...

    async def repository(self, name: str) -> RepositoryInfo: ...

    async def delete_tag(self, repository: str, tag: str) -> None: ...

    async def delete_manifest(self, repository: str, digest: str) -> None: ...

    async def delete_repository(self, repository: str) -> None: ...

    async def set_locks(self, repository: str, *, tag: str | None = None, digest: str | None = None,
                        can_delete: bool | None = None, can_write: bool | None = None) -> None: ...


def capabilities_for(profile: Profile) -> Capabilities:
    """What the backend for `profile` can do, known before it is opened."""
    return ACR_CAPABILITIES if profile.kind == "acr" else DISTRIBUTION_CAPABILITIES


# --- labels of what a registry holds (the pane, the CLI and the delete review share them) -----

def is_locked(item) -> bool:
    """ACR refuses to delete an item whose `can_delete` or `can_write` is off."""
    return item.can_delete is False or item.can_write is False


def short_digest(digest: str | None) -> str:
    if not digest:
        return ""
    algorithm, _, hex_ = digest.partition(":")
    return f"{algorithm}:{hex_[:12]}" if hex_ else digest[:19]


def media_label(manifest: ManifestInfo) -> str:
    label = MEDIA_TYPES.get(manifest.media_type or "", manifest.media_type or "")
    if manifest.references:
        label += f" ({len(manifest.references)})"
    return label


def platform_label(manifest: ManifestInfo) -> str:
    if manifest.os or manifest.architecture:
        return f"{manifest.os or '?'}/{manifest.architecture or '?'}"
    if manifest.media_type in INDEX_MEDIA_TYPES or manifest.references:
        return "multi-platform"
    return ""


def parse_rfc3339(text: str) -> datetime:
    """Go's RFC 3339 (`2024-05-01T10:00:00.123456789Z`) as an aware datetime; ValueError if not one."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", text.strip())
    if not match:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    fraction = (match[2] or "")[:7]  # Python takes at most microseconds
    zone = "+00:00" if match[3] == "Z" else match[3]
    return datetime.fromisoformat(match[1].replace(" ", "T") + fraction + zone)
