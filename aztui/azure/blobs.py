"""Containers and blobs of one profile's storage account, on the async Blob client.

    async with BlobStore(profile) as store:
        async for container in store.iter_containers():
            ...

Every Azure failure leaves these methods as an `AztuiError` (see `aztui.azure.errors`).
"""

from __future__ import annotations

import os
import tempfile
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Literal, Mapping, Sequence

from aztui.azure.batch import BatchAnswer
from aztui.azure.blob_rows import BlobInfo, PrefixInfo, directories_as_folders, quoted_etag
from aztui.azure.clients import blob_service
from aztui.azure.errors import azure_errors
from aztui.errors import AztuiError, ServiceError
from aztui.profiles.model import Profile

__all__ = ["BatchAnswer", "BatchRefusedError", "BlobDetails", "BlobInfo", "BlobPage", "BlobStore",
           "ChangedSinceListedError", "ContainerInfo", "PrefixInfo", "TierResult", "blob_url"]


@dataclass(frozen=True)
class ContainerInfo:
    name: str
    last_modified: datetime | None
    public_access: str | None        # None (private), "container" or "blob"
    lease_state: str | None
    metadata: dict = field(default_factory=dict)
    # read by `get_container_details` only (listings leave them None)
    etag: str | None = None
    lease_status: str | None = None
    lease_duration: str | None = None
    immutable_storage_with_versioning: bool | None = None
    has_immutability_policy: bool | None = None
    has_legal_hold: bool | None = None
    default_encryption_scope: str | None = None


@dataclass(frozen=True)
class BlobPage:
    """One page of a listing; `continuation` fetches the next one (None: this was the last)."""

    items: tuple[BlobInfo | PrefixInfo, ...]
    continuation: str | None


@dataclass(frozen=True)
class BlobDetails:
    """Everything the details view shows about one blob: properties and index tags."""

    info: BlobInfo                   # name, size, last modified, etag, tier, content type, metadata
    blob_type: str                   # "BlockBlob", "AppendBlob" or "PageBlob"
    created: datetime | None
    tags: dict[str, str]             # blob index tags; {} where the account does not support them
    lease_state: str | None          # "available", "leased", "expired", "breaking", "broken"
    lease_status: str | None         # "locked" or "unlocked"
    lease_duration: str | None       # "infinite" or "fixed" while leased
    content_encoding: str | None
    content_language: str | None
    content_disposition: str | None
    cache_control: str | None
    content_md5: str | None          # hex text
    access_tier_inferred: bool | None
    archive_status: str | None       # rehydration in progress, e.g. "rehydrate-pending-to-hot"
    version_id: str | None
    server_encrypted: bool | None
    rehydrate_priority: str | None = None  # "Standard" or "High" while rehydrating from Archive


DeleteResult = Literal["deleted", "changed", "missing"]
# a directory of a hierarchical-namespace account: also "not_empty" (something is in it now)
DirectoryDeleteResult = Literal["deleted", "changed", "missing", "not_empty"]
TierResult = Literal["set", "rehydrating", "changed", "missing"]



# sub-responses of a Blob Batch that, when every one of them says the same, mean the account
# refused the batch itself (on ADLS Gen2 accounts: 400, azure-sdk-for-js#9578)
BATCH_REFUSALS = frozenset({400, 405, 501})
# Delete Blob on a directory of a hierarchical-namespace account (azure-sdk-for-go#20665)
NOT_ON_DIRECTORY = "OperationNotSupportedOnDirectory"
# the answers of a non-empty directory: Delete Blob (az cli #23062) and the Data Lake endpoint
DIRECTORY_NOT_EMPTY = frozenset({"DirectoryIsNotEmpty", "DirectoryNotEmpty"})


class BatchRefusedError(ServiceError):
    """Every delete of a Blob Batch was refused the same way: the account does not take batches."""

    title = "Batch refused"


def dfs_url(blob_url: str) -> str:
    """The Data Lake (dfs) endpoint of the account of a blob endpoint, without a trailing '/'.

    `https://acct.blob.core.windows.net` -> `https://acct.dfs.core.windows.net` (any realm, and
    private endpoints `acct.privatelink.blob...`); emulator-style and custom URLs are kept as they are.
    """
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(blob_url)
    labels = parts.netloc.split(".")
    if "blob" in labels[1:]:
        labels[labels.index("blob", 1)] = "dfs"
    return urlunsplit((parts.scheme, ".".join(labels), parts.path.rstrip("/"), "", ""))


# answers to a tags request where the account has no index tags (HNS, premium, emulators)
# or the credential may not read them (a SAS without 't'): the details show no tags
TAGS_UNAVAILABLE = frozenset({400, 403, 404, 405, 409, 501})


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


def _blob_info(props: Any) -> BlobInfo:
    settings = getattr(props, "content_settings", None)
    return BlobInfo(
        name=props.name,
        size=props.size or 0,
        last_modified=props.last_modified,
        etag=quoted_etag(props.etag),
        tier=_text(props.blob_tier),
        content_type=getattr(settings, "content_type", None),
        metadata=dict(props.metadata or {}),
        deleted=bool(getattr(props, "deleted", False)),
        deleted_on=getattr(props, "deleted_time", None),
        remaining_days=getattr(props, "remaining_retention_days", None),
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


def blob_url(profile: Profile, container: str | None = None, name: str = "",
             environ: Mapping[str, str] = os.environ) -> str:
    """The plain URL of the account, a container or a blob: never a SAS or any other query."""
    from urllib.parse import quote, urlsplit, urlunsplit

    from aztui.azure.credentials import plan_auth

    account_url = plan_auth(profile, environ).account_url or ""
    parts = urlsplit(account_url)
    path = parts.path.rstrip("/")
    if container:
        path += "/" + quote(container, safe="$")
        if name:
            path += "/" + quote(name, safe="/~")
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class ChangedSinceListedError(ServiceError):
    """A read guarded by the listing's ETag found another version (or another blob) there."""

    title = "Changed since listed"


def _if_unchanged(etag: str | None) -> dict[str, Any]:
    """SDK keywords that send If-Match `etag`; none without an etag."""
    if not etag:
        return {}
    from azure.core import MatchConditions

    return {"etag": quoted_etag(etag), "match_condition": MatchConditions.IfNotModified}


@asynccontextmanager
async def _unchanged_since_listed(client: Any, etag: str | None) -> AsyncIterator[None]:
    """The service's 412 to an If-Match read of blob `client` as a `ChangedSinceListedError`.

    412 also answers If-Match on a blob that is gone: that stays "not found"."""
    from azure.core.exceptions import HttpResponseError

    try:
        yield
    except HttpResponseError as exc:
        if not etag or exc.status_code != 412:
            raise
        await client.get_blob_properties()  # a missing blob raises "not found" here
        raise ChangedSinceListedError(
            f"{client.container_name}/{client.blob_name} changed since it was listed (its ETag is "
            f"no longer {quoted_etag(etag)}) — reload",
            hint="reload the listing to see the blob as it is now, then try again") from None


class BlobStore:
    """The blob operations aztui needs, scoped to one open client."""

    def __init__(self, profile: Profile, environ: Mapping[str, str] = os.environ) -> None:
        self.profile = profile
        self._environ = environ
        self._stack: AsyncExitStack | None = None
        self._service: Any = None
        self._retention: int | None | bool = False  # False: not read yet (see delete_retention_days)

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
        """The open `azure.storage.blob.aio.BlobServiceClient`, for this layer only: code above
        aztui.azure asks `BlobStore` (nothing there calls the SDK)."""
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
        """Blobs under `prefix`; non-recursive listings stop at '/' and yield `PrefixInfo` folders.

        Directory markers of a hierarchical-namespace account are folders: skipped in a
        recursive listing (files only), yielded once as their folder in a non-recursive one."""
        client = self._container(container)
        async with azure_errors(f"listing blobs in {container}/{prefix}"):
            if recursive:
                pages = client.list_blobs(name_starts_with=prefix or None, include=["metadata"],
                                          results_per_page=page_size)
            else:
                pages = client.walk_blobs(name_starts_with=prefix or None, include=["metadata"],
                                          delimiter="/", results_per_page=page_size)
            folders: set[str] = set()  # a directory marker and its BlobPrefix are one folder
            async for item in pages:
                if hasattr(item, "size"):
                    info = _blob_info(item)
                    if not info.is_directory:
                        yield info
                    elif not recursive and info.folder.prefix not in folders:
                        folders.add(info.folder.prefix)
                        yield info.folder
                elif item.name not in folders:  # BlobPrefix
                    folders.add(item.name)
                    yield PrefixInfo(item.name)

    async def get_blob(self, container: str, name: str) -> BlobInfo:
        async with azure_errors(f"reading the properties of {container}/{name}"):
            props = await self._container(container).get_blob_client(name).get_blob_properties()
        return _blob_info(props)

    async def read_blob(self, container: str, name: str, *, length: int | None = None,
                        etag: str | None = None) -> bytes:
        """The blob's content, or its first `length` bytes; with `etag`, only if it still has it."""
        guard, client = _if_unchanged(etag), self._container(container).get_blob_client(name)
        async with azure_errors(f"reading {container}/{name}"), _unchanged_since_listed(client, etag):
            if length == 0:  # an empty range is not a valid download; still fail on a missing blob
                await client.get_blob_properties(**guard)
                return b""
            kwargs = {"offset": 0, "length": length} if length is not None else {}
            stream = await client.download_blob(**kwargs, **guard)
            return await stream.readall()

    async def read_blob_as_is(self, container: str, name: str) -> tuple[bytes, BlobInfo]:
        """The whole content and the properties of the version actually read (its ETag, Last-Modified)."""
        async with azure_errors(f"reading {container}/{name}"):
            stream = await self._container(container).download_blob(name)
            data = await stream.readall()
        return data, _blob_info(stream.properties)

    async def iter_chunks(self, container: str, name: str) -> AsyncIterator[bytes]:
        """The content in the SDK's download chunks (for hashing big blobs without holding them)."""
        async with azure_errors(f"reading {container}/{name}"):
            stream = await self._container(container).download_blob(name)
            async for chunk in stream.chunks():
                yield chunk

    async def check_container(self, name: str) -> None:
        """Raise `NotFoundError` (or the mapped refusal) unless container `name` can be read."""
        async with azure_errors(f"reading the properties of container {name}"):
            await self._container(name).get_container_properties()

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
                        etag=quoted_etag(result.get("etag")), tier=_tier(tier).value if tier else None,
                        content_type=content_type or DEFAULT_CONTENT_TYPE, metadata=dict(metadata or {}))

    async def delete_blob(self, container: str, name: str, *, etag: str | None = None) -> None:
        """Delete a blob; with `etag`, only if it is unchanged since it was read."""
        kwargs: dict[str, Any] = {}
        if etag:
            from azure.core import MatchConditions

            kwargs = {"etag": etag, "match_condition": MatchConditions.IfNotModified}
        async with azure_errors(f"deleting {container}/{name}"):
            await self._container(container).delete_blob(name, **kwargs)

    async def delete_if_unchanged(self, container: str, name: str, etag: str) -> DeleteResult:
        """Delete a blob only if its ETag is still `etag`: "deleted", "changed" or "missing".

        Any other failure is raised as a mapped `AztuiError` (a read-only profile's `ReadOnlyError` too).
        """
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError

        client = self._container(container)
        async with azure_errors(f"deleting {container}/{name}"):
            try:
                await client.delete_blob(name, etag=etag, match_condition=MatchConditions.IfNotModified)
                return "deleted"
            except ResourceNotFoundError:
                return "missing"
            except ResourceModifiedError:
                pass
            try:  # 412 also answers If-Match on a blob that is gone: tell the two apart
                await client.get_blob_client(name).get_blob_properties()
            except ResourceNotFoundError:
                return "missing"
            return "changed"

    async def set_tier_if_unchanged(self, container: str, name: str, etag: str, tier: str, *,
                                    rehydrate_priority: str | None = None) -> TierResult:
        """Set the access tier of a blob only if its ETag is still `etag`.

        Set Blob Tier takes no If-Match (only a lease and x-ms-if-tags; it does not change the
        ETag either), so the ETag is read just before: "changed" or "missing" sends nothing.
        "set" (200: done) or "rehydrating" (202: an Archive blob is on its way to an online tier).
        Other failures raise a mapped `AztuiError` (a read-only profile's `ReadOnlyError` too).
        """
        from azure.core.exceptions import ResourceNotFoundError

        client = self._container(container).get_blob_client(name)
        async with azure_errors(f"setting the tier of {container}/{name}"):
            try:
                props = await client.get_blob_properties()
            except ResourceNotFoundError:
                return "missing"
            if quoted_etag(props.etag) != quoted_etag(etag):
                return "changed"
            priority = {"rehydrate_priority": rehydrate_priority} if rehydrate_priority else {}
            statuses: list[int] = []  # the SDK returns None: the status comes from the response hook
            await client.set_standard_blob_tier(
                _tier(tier), **priority,
                raw_response_hook=lambda response: statuses.append(response.http_response.status_code))
        return "rehydrating" if statuses[-1:] == [202] else "set"

    async def get_container_details(self, name: str) -> ContainerInfo:
        """One container's properties: public access, lease, metadata, ETag, last modified."""
        async with azure_errors(f"reading the properties of container {name}"):
            props = await self._container(name).get_container_properties()
        info = _container_info(props)
        return ContainerInfo(name=name, last_modified=info.last_modified, public_access=info.public_access,
                             lease_state=info.lease_state, metadata=info.metadata,
                             etag=quoted_etag(getattr(props, "etag", None)) or None,
                             lease_status=_text(getattr(props.lease, "status", None)),
                             lease_duration=_text(getattr(props.lease, "duration", None)),
                             immutable_storage_with_versioning=getattr(
                                 props, "immutable_storage_with_versioning_enabled", None),
                             has_immutability_policy=getattr(props, "has_immutability_policy", None),
                             has_legal_hold=getattr(props, "has_legal_hold", None),
                             default_encryption_scope=getattr(getattr(props, "encryption_scope", None),
                                                              "default_encryption_scope", None))

    async def delete_batch_if_unchanged(self, container: str,
                                        blobs: Sequence[tuple[str, str]]) -> list[BatchAnswer]:
        """One Blob Batch request deleting each `(name, etag)` only while it still has that ETag.

        Built and read by `aztui.azure.batch` (the SDK's `delete_blobs` cost ~1 ms of CPU per
        delete), sent through the client's own pipeline. The answers come in order; fewer than
        asked when the batch response is short. A failure of the batch request itself is raised
        as a mapped `AztuiError` (a read-only profile's `ReadOnlyError` too); the caller may
        fall back to `delete_if_unchanged` one by one.
        """
        from aztui.azure.batch import send_delete_batch

        async with azure_errors(f"deleting a batch of {len(blobs)} blobs in {container}"):
            answers = await send_delete_batch(self._container(container), blobs)
        if len(answers) == len(blobs) and answers[0].status in BATCH_REFUSALS and len(set(answers)) == 1:
            raise BatchRefusedError(
                f"every delete of a batch of {len(blobs)} in {container} was refused with HTTP "
                f"{answers[0].status} {answers[0].error_code}".rstrip(),
                hint="the account takes no Blob Batch requests (ADLS Gen2 accounts answer 400): "
                     "delete one by one")
        return answers

    async def delete_directory_if_unchanged(self, container: str, name: str,
                                            etag: str) -> DirectoryDeleteResult:
        """Delete an empty directory of a hierarchical-namespace account (a `hdi_isfolder` marker).

        First as a blob, guarded by `etag` (on accounts without a hierarchical namespace the
        marker is a plain blob). Where Delete Blob answers 400 `OperationNotSupportedOnDirectory`,
        the directory is deleted through the account's Data Lake endpoint with `recursive=false`:
        only an empty directory goes, so nothing that was not planned is ever removed with it.
        "not_empty": something is in it. Other failures raise a mapped `AztuiError`.
        """
        from azure.core import MatchConditions
        from azure.core.exceptions import HttpResponseError, ResourceModifiedError, ResourceNotFoundError

        client = self._container(container)
        async with azure_errors(f"deleting directory {container}/{name}"):
            try:
                await client.delete_blob(name, etag=etag, match_condition=MatchConditions.IfNotModified)
                return "deleted"
            except ResourceNotFoundError:
                return "missing"
            except ResourceModifiedError:
                try:  # 412 also answers If-Match on a blob that is gone
                    await client.get_blob_client(name).get_blob_properties()
                except ResourceNotFoundError:
                    return "missing"
                return "changed"
            except HttpResponseError as exc:
                code = getattr(exc, "error_code", None) or ""
                if code in DIRECTORY_NOT_EMPTY:
                    return "not_empty"
                if exc.status_code != 400 or code != NOT_ON_DIRECTORY:
                    raise
        return await self._delete_dfs_directory(container, name)

    async def _delete_dfs_directory(self, container: str, name: str) -> DirectoryDeleteResult:
        """Data Lake Path - Delete (`DELETE {dfs}/{filesystem}/{path}?recursive=false`), sent through
        the client's own pipeline (auth, retries, timeouts, TLS, the read-only transport): the
        Data Lake SDK is not a dependency."""
        from urllib.parse import quote

        from azure.core.rest import HttpRequest

        from aztui.azure.listing_xml import raise_storage_error

        url = f"{dfs_url(self.service.url)}/{quote(container, safe='')}/{quote(name, safe='/')}"
        request = HttpRequest("DELETE", url, params={"recursive": "false"},
                              headers={"x-ms-version": self.service.api_version})
        async with azure_errors(f"deleting directory {container}/{name} (Data Lake endpoint)"):
            response = (await self.service._pipeline.run(request)).http_response
            code = response.headers.get("x-ms-error-code") or ""
            if response.status_code in (200, 202, 204):
                return "deleted"
            if response.status_code == 404:
                return "missing"
            if response.status_code == 409 and code in DIRECTORY_NOT_EMPTY:
                return "not_empty"
            raise_storage_error(response)
        raise AssertionError("unreachable")  # pragma: no cover

    async def list_page(self, container: str, prefix: str = "", *, recursive: bool = False,
                        page_size: int = 500, continuation: str | None = None,
                        include_deleted: bool = False) -> BlobPage:
        """One page of blobs under `prefix`: exactly one service call.

        Non-recursive pages stop at '/' and hold `PrefixInfo` folders (a page's folders come
        before its blobs, as the service returns them). Listings ask for metadata: on an ADLS
        Gen2 account (hierarchical namespace) every directory is also a zero-length blob marked
        `hdi_isfolder=true`. In a non-recursive page such a marker is shown as its folder (once,
        also for an empty directory, which exists only as that blob); in a recursive page it
        stays a `BlobInfo` whose `is_directory` is true, for the caller to count or skip.
        With `include_deleted`, soft-deleted blobs come too (`deleted` set).

        The request runs through the client's own pipeline, but the XML is parsed by
        `aztui.azure.listing_xml` straight into our items: the SDK's model layer was half
        the time of a big listing.
        """
        from xml.etree.ElementTree import ParseError

        from aztui.azure.listing_xml import fetch_list_blobs, list_blobs_params, parse_list_blobs

        params = list_blobs_params(prefix, delimiter=None if recursive else "/", max_results=page_size,
                                   marker=continuation,
                                   include=("metadata", "deleted") if include_deleted else ("metadata",))
        async with azure_errors(f"listing blobs in {container}/{prefix}"):
            body, response = await fetch_list_blobs(self._container(container), params)
            try:
                items, next_marker = parse_list_blobs(body)
            except (ParseError, ValueError) as exc:  # the SDK raises DecodeError too (mapped the same)
                from azure.core.exceptions import DecodeError

                raise DecodeError(f"the listing could not be read: {exc}", response=response) from None
            return BlobPage(tuple(items if recursive else directories_as_folders(items)), next_marker)

    async def delete_retention_days(self) -> int | None:
        """How many days deleted blobs stay recoverable (blob soft delete), read from the service
        properties (Get Blob Service Properties, `DeleteRetentionPolicy`): 0 when soft delete is
        off; None when the credential may not read them (a container SAS, a data-only role).
        Read once per store."""
        if self._retention is False:
            from aztui.errors import AuthenticationError, NotFoundError, PermissionDeniedError

            try:
                async with azure_errors("reading the blob service properties"):
                    policy = (await self.service.get_service_properties()).get("delete_retention_policy")
            except (AuthenticationError, PermissionDeniedError, NotFoundError, ServiceError):
                self._retention = None
            else:
                self._retention = int(policy.days or 0) if policy is not None and policy.enabled else 0
        return self._retention

    async def undelete_blob(self, container: str, name: str) -> Literal["undeleted", "missing"]:
        """Undelete Blob: restore a soft-deleted blob (and its soft-deleted snapshots).

        "missing": there is nothing to restore any more (its retention ran out). Other failures
        raise a mapped `AztuiError` (a read-only profile's `ReadOnlyError` too)."""
        from azure.core.exceptions import ResourceNotFoundError

        async with azure_errors(f"undeleting {container}/{name}"):
            try:
                await self._container(container).get_blob_client(name).undelete_blob()
            except ResourceNotFoundError:
                return "missing"
        return "undeleted"

    async def get_details(self, container: str, name: str, *, etag: str | None = None) -> BlobDetails:
        """Properties, metadata and index tags of one blob (tags are {} where unsupported).

        With `etag` (the listing's), both requests are sent with If-Match: a blob that changed
        since it was listed is refused as `ChangedSinceListedError`.
        """
        client = self._container(container).get_blob_client(name)
        guard = _if_unchanged(etag)
        async with azure_errors(f"reading the properties of {container}/{name}"), \
                _unchanged_since_listed(client, etag):
            props = await client.get_blob_properties(**guard)
        from azure.core.exceptions import HttpResponseError

        tags: dict[str, str] = {}
        async with azure_errors(f"reading the index tags of {container}/{name}"), \
                _unchanged_since_listed(client, etag):
            try:
                tags = dict(await client.get_blob_tags(**guard) or {})
            except HttpResponseError as exc:
                if exc.status_code not in TAGS_UNAVAILABLE:
                    raise
        settings = props.content_settings
        lease = props.lease
        md5 = settings.content_md5
        return BlobDetails(
            info=_blob_info(props),
            blob_type=_text(props.blob_type) or "BlockBlob",
            created=props.creation_time,
            tags=tags,
            lease_state=_text(lease.state), lease_status=_text(lease.status),
            lease_duration=_text(lease.duration),
            content_encoding=settings.content_encoding, content_language=settings.content_language,
            content_disposition=settings.content_disposition, cache_control=settings.cache_control,
            content_md5=bytes(md5).hex() if md5 else None,
            access_tier_inferred=props.blob_tier_inferred,
            archive_status=_text(props.archive_status),
            version_id=props.version_id,
            server_encrypted=props.server_encrypted,
            rehydrate_priority=_text(getattr(props, "rehydrate_priority", None)),
        )

    async def download_to(self, container: str, name: str, path: Path, *, overwrite: bool = False,
                          progress: Callable[[int, int], None] | None = None,
                          etag: str | None = None) -> int:
        """Download a blob into `path` (via a temporary file in the same folder, then a rename).

        Refuses to replace an existing file unless `overwrite`; returns the bytes written;
        `progress(done, total)` after each chunk. Nothing is left behind on failure.
        With `etag` (the listing's), every request is sent with If-Match.
        """
        path = Path(path).expanduser()
        if path.is_dir():
            raise AztuiError(f"{path} is a folder", title="Download refused",
                             hint="give a file path, e.g. " + str(path / Path(name).name))
        if path.exists() and not overwrite:
            raise AztuiError(f"{path} already exists", title="Download refused",
                             hint="choose another path, or allow overwriting")
        if not path.parent.is_dir():
            raise AztuiError(f"folder {path.parent} does not exist", title="Download refused",
                             hint="create the folder first")
        fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        written = 0
        try:
            with os.fdopen(fd, "wb") as out:
                client = self._container(container).get_blob_client(name)
                async with azure_errors(f"downloading {container}/{name}"), _unchanged_since_listed(client, etag):
                    stream = await client.download_blob(**_if_unchanged(etag))
                    total = stream.size
                    async for chunk in stream.chunks():
                        out.write(chunk)
                        written += len(chunk)
                        if progress:
                            progress(written, total)
            if not overwrite and path.exists():
                raise AztuiError(f"{path} appeared while downloading", title="Download refused",
                                 hint="choose another path, or allow overwriting")
            os.replace(temp_name, path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        return written
