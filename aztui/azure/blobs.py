"""Containers and blobs of one profile's storage account, on the async Blob client.

    async with BlobStore(profile) as store:
        async for container in store.iter_containers():
            ...

Every Azure failure leaves these methods as an `AztuiError` (see `aztui.azure.errors`).
"""

from __future__ import annotations

import os
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, AsyncIterator, Mapping

from aztui.azure.clients import blob_service
from aztui.azure.errors import azure_errors
from aztui.errors import AztuiError
from aztui.model import Profile


@dataclass(frozen=True)
class ContainerInfo:
    name: str
    last_modified: datetime | None
    public_access: str | None        # None (private), "container" or "blob"
    lease_state: str | None
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class BlobInfo:
    name: str
    size: int
    last_modified: datetime | None
    etag: str                        # quoted, as in HTTP headers
    tier: str | None                 # "Hot", "Cool", "Cold", "Archive" or None
    content_type: str | None
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PrefixInfo:
    """A virtual folder in a non-recursive listing; ends with '/'."""

    prefix: str


def _text(value: Any) -> str | None:
    """Enum or string from the SDK as plain text."""
    if value is None:
        return None
    return str(getattr(value, "value", value))


def _container_info(props: Any) -> ContainerInfo:
    lease = getattr(props, "lease", None)
    return ContainerInfo(
        name=props.name,
        last_modified=props.last_modified,
        public_access=_text(props.public_access),
        lease_state=_text(getattr(lease, "state", None)),
        metadata=dict(props.metadata or {}),
    )


def _quoted_etag(etag: str | None) -> str:
    """ETags in HTTP form (quoted): listings give them bare, properties quoted."""
    etag = etag or ""
    return etag if etag.startswith(('"', 'W/"')) or not etag else f'"{etag}"'


def _blob_info(props: Any) -> BlobInfo:
    settings = getattr(props, "content_settings", None)
    return BlobInfo(
        name=props.name,
        size=props.size or 0,
        last_modified=props.last_modified,
        etag=_quoted_etag(props.etag),
        tier=_text(props.blob_tier),
        content_type=getattr(settings, "content_type", None),
        metadata=dict(props.metadata or {}),
    )


def _tier(name: str | None) -> Any:
    """"hot"/"Cool"/... as the SDK's StandardBlobTier."""
    if name is None:
        return None
    from azure.storage.blob import StandardBlobTier

    for tier in StandardBlobTier:
        if tier.value.lower() == name.lower():
            return tier
    raise AztuiError(f"unknown access tier {name!r}", title="Invalid tier",
                     hint="one of " + ", ".join(t.value for t in StandardBlobTier))


DEFAULT_CONTENT_TYPE = "application/octet-stream"  # what the SDK uploads without content settings


class BlobStore:
    """The blob operations aztui needs, scoped to one open client."""

    def __init__(self, profile: Profile, environ: Mapping[str, str] = os.environ) -> None:
        self.profile = profile
        self._environ = environ
        self._stack: AsyncExitStack | None = None
        self._service: Any = None

    async def __aenter__(self) -> "BlobStore":
        stack = AsyncExitStack()
        async with azure_errors(f"connecting with profile {self.profile.name!r}"):
            try:
                self._service = await stack.enter_async_context(blob_service(self.profile, self._environ))
            except BaseException:
                await stack.aclose()
                raise
        self._stack = stack
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        stack, self._stack, self._service = self._stack, None, None
        if stack is not None:
            async with azure_errors("closing the connection"):
                await stack.aclose()

    @property
    def service(self) -> Any:
        """The open `azure.storage.blob.aio.BlobServiceClient` (for extensions of this layer)."""
        if self._service is None:
            raise RuntimeError("BlobStore is not open; use `async with BlobStore(profile) as store`")
        return self._service

    def _container(self, name: str) -> Any:
        return self.service.get_container_client(name)

    async def iter_containers(self, name_prefix: str | None = None) -> AsyncIterator[ContainerInfo]:
        async with azure_errors("listing containers"):
            async for props in self.service.list_containers(name_starts_with=name_prefix,
                                                            include_metadata=True):
                yield _container_info(props)

    async def iter_blobs(self, container: str, prefix: str = "", *, recursive: bool = True,
                         page_size: int = 5000) -> AsyncIterator[BlobInfo | PrefixInfo]:
        """Blobs under `prefix`; non-recursive listings stop at '/' and yield `PrefixInfo` folders."""
        client = self._container(container)
        async with azure_errors(f"listing blobs in {container}/{prefix}"):
            if recursive:
                pages = client.list_blobs(name_starts_with=prefix or None, include=["metadata"],
                                          results_per_page=page_size)
            else:
                pages = client.walk_blobs(name_starts_with=prefix or None, include=["metadata"],
                                          delimiter="/", results_per_page=page_size)
            async for item in pages:
                if hasattr(item, "size"):
                    yield _blob_info(item)
                else:  # BlobPrefix
                    yield PrefixInfo(item.name)

    async def get_blob(self, container: str, name: str) -> BlobInfo:
        async with azure_errors(f"reading the properties of {container}/{name}"):
            props = await self._container(container).get_blob_client(name).get_blob_properties()
        return _blob_info(props)

    async def read_blob(self, container: str, name: str, *, length: int | None = None) -> bytes:
        """The blob's content, or its first `length` bytes."""
        async with azure_errors(f"reading {container}/{name}"):
            if length == 0:  # an empty range is not a valid download; still fail on a missing blob
                await self._container(container).get_blob_client(name).get_blob_properties()
                return b""
            kwargs = {"offset": 0, "length": length} if length is not None else {}
            stream = await self._container(container).download_blob(name, **kwargs)
            return await stream.readall()

    async def create_container(self, name: str, *, public_access: str | None = None) -> None:
        async with azure_errors(f"creating container {name}"):
            await self.service.create_container(name, public_access=public_access)

    async def upload_blob(self, container: str, name: str, data: bytes, *, metadata: dict | None = None,
                          tier: str | None = None, content_type: str | None = None,
                          overwrite: bool = False) -> BlobInfo:
        """Upload in one request; the result is built from the response, not read back."""
        settings = None
        if content_type:
            from azure.storage.blob import ContentSettings

            settings = ContentSettings(content_type=content_type)
        async with azure_errors(f"uploading {container}/{name}"):
            result = await self._container(container).get_blob_client(name).upload_blob(
                data, overwrite=overwrite, metadata=metadata, standard_blob_tier=_tier(tier),
                content_settings=settings)
        return BlobInfo(name=name, size=len(data), last_modified=result.get("last_modified"),
                        etag=_quoted_etag(result.get("etag")), tier=_tier(tier).value if tier else None,
                        content_type=content_type or DEFAULT_CONTENT_TYPE, metadata=dict(metadata or {}))

    async def delete_blob(self, container: str, name: str, *, etag: str | None = None) -> None:
        """Delete a blob; with `etag`, only if it is unchanged since it was read."""
        kwargs: dict[str, Any] = {}
        if etag:
            from azure.core import MatchConditions

            kwargs = {"etag": etag, "match_condition": MatchConditions.IfNotModified}
        async with azure_errors(f"deleting {container}/{name}"):
            await self._container(container).delete_blob(name, **kwargs)
