"""Read a BuildKit `azblob` remote cache into a model: cache names, their layers, orphans, anomalies.

Layout (docs/formats/buildkit-azblob-cache.md §Layout): the manifest of cache name N is the blob
`<prefix>/<manifests_prefix>/<N>`
(N may contain '/'; `name=a;b` uploads the same JSON to both names), a bare BuildKit `CacheConfig`
whose `layers[].blob` digests are the blobs it needs, each stored at `<prefix>/<blobs_prefix>/<digest>`.

    async with BlobStore(profile) as store:
        snapshot = await read_cache(store)            # every manifest, the whole blob listing
        for name in snapshot.names(): ...             # per name: layers, bytes, unique, shared

Anomalies are data, never exceptions: an unreadable manifest (invalid JSON, not a CacheConfig,
too large to read), a manifest naming a blob that is missing, a blob whose name is not a digest,
and, with `verify_digests=True` only (it downloads every layer), a blob whose content does not
match its digest. `{}` is a valid manifest with no layers (BuildKit omits empty arrays).
`CacheSnapshot` is immutable and is what the pure GC planner (`aztui.cache.planner`) reads.
No Textual here.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable, Iterable

from aztui.errors import AztuiError, NotFoundError

if TYPE_CHECKING:
    from aztui.azure.blobs import BlobStore
    from aztui.profiles.model import Profile

MAX_MANIFEST_BYTES = 64 * 1024 * 1024  # a CacheConfig larger than this is not read (anomaly)
READ_CONCURRENCY = 16
DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")  # OCI digest grammar
SHA256 = re.compile(r"^sha256:[a-f0-9]{64}$")
CACHE_CONFIG_KEYS = frozenset({"layers", "records"})  # the top level of a BuildKit CacheConfig

# anomaly kinds
INVALID_MANIFEST = "invalid-manifest"        # not JSON, or not a CacheConfig
MANIFEST_TOO_LARGE = "manifest-too-large"    # over MAX_MANIFEST_BYTES: not downloaded
MISSING_BLOB = "missing-blob"                # a manifest references a blob that does not exist
NOT_A_DIGEST = "blob-name-not-digest"        # a blob under the blobs prefix whose name is no digest
DIGEST_MISMATCH = "digest-mismatch"          # content does not hash to its name (verify only)


@dataclass(frozen=True)
class Anomaly:
    kind: str
    subject: str   # the cache name or blob name concerned
    detail: str


@dataclass(frozen=True)
class CacheManifest:
    """One cache name's manifest blob; `layers` is None when it could not be read."""

    cache_name: str
    blob_name: str                     # its name in the container
    size: int
    last_modified: datetime | None     # the last export of this cache name
    etag: str
    layers: tuple[str, ...] | None     # the digests of `layers[].blob`, first occurrence order

    @property
    def readable(self) -> bool:
        return self.layers is not None


@dataclass(frozen=True)
class CacheBlob:
    """One blob under the blobs prefix; `digest` is its name relative to that prefix."""

    digest: str
    blob_name: str
    size: int
    last_modified: datetime | None     # its FIRST upload: BuildKit never rewrites a layer
    etag: str

    @property
    def is_digest(self) -> bool:
        return bool(DIGEST.match(self.digest))


@dataclass(frozen=True)
class NameSummary:
    """What `cache ls` shows for one cache name."""

    name: str
    manifest: CacheManifest
    layers: tuple[str, ...]
    bytes: int              # sum of the sizes of its layers that exist
    shared_bytes: int       # of those, bytes also referenced by another cache name
    unique_bytes: int       # bytes referenced by no other name: what deleting this name alone frees
    missing: tuple[str, ...]

    @property
    def last_export(self) -> datetime | None:
        return self.manifest.last_modified


@dataclass(frozen=True)
class CacheSnapshot:
    """Everything read from one cache (container + prefix) at one moment."""

    profile: str
    container: str
    prefix: str
    blobs_prefix: str
    manifests_prefix: str
    manifests: tuple[CacheManifest, ...]
    blobs: tuple[CacheBlob, ...]
    anomalies: tuple[Anomaly, ...] = ()
    read_at: datetime | None = None
    # digests seen to exist that are not in `blobs`: uploaded after the inventory report the blobs
    # came from (aztui.cache.from_inventory). Never planned, never counted as missing.
    unlisted: frozenset[str] = frozenset()

    def referenced_by(self) -> dict[str, tuple[str, ...]]:
        """digest -> the cache names whose readable manifest references it (sorted)."""
        refs: dict[str, list[str]] = {}
        for m in sorted(self.manifests, key=lambda m: m.cache_name):
            for digest in m.layers or ():
                refs.setdefault(digest, []).append(m.cache_name)
        return {d: tuple(names) for d, names in refs.items()}

    def blob_by_digest(self) -> dict[str, CacheBlob]:
        return {b.digest: b for b in self.blobs}

    @property
    def unreadable(self) -> tuple[CacheManifest, ...]:
        return tuple(m for m in self.manifests if not m.readable)

    def orphans(self) -> tuple[CacheBlob, ...]:
        """Blobs no readable manifest references (with unreadable manifests around, maybe not orphans)."""
        refs = self.referenced_by()
        return tuple(b for b in self.blobs if b.digest not in refs)

    def names(self, only: Iterable[str] | None = None) -> list[NameSummary]:
        """Per cache name (all, or those in `only`): layers, bytes, shared and unique bytes."""
        wanted = set(only) if only is not None else None
        refs = self.referenced_by()
        blobs = self.blob_by_digest()
        out = []
        for m in sorted(self.manifests, key=lambda m: m.cache_name):
            if wanted is not None and m.cache_name not in wanted:
                continue
            layers = m.layers or ()
            present = [d for d in layers if d in blobs]
            shared = sum(blobs[d].size for d in present if len(refs.get(d, ())) > 1)
            total = sum(blobs[d].size for d in present)
            out.append(NameSummary(m.cache_name, m, layers, total, shared, total - shared,
                                   tuple(d for d in layers if d not in blobs)))
        return out


def join_key(*parts: str) -> str:
    """Join key parts with '/' and drop empty segments, like Go's path.Join on relative keys."""
    return "/".join(seg for part in parts for seg in part.split("/") if seg and seg != ".")


def cache_layout(profile: "Profile") -> tuple[str, str, str]:
    """(container, manifests folder, blobs folder) of a cache profile; folders end with '/'."""
    if not profile.container:
        raise AztuiError(f"profile {profile.name!r} names no container", title="Not a cache profile",
                         hint="a BuildKit cache profile needs `container` (default buildkit-cache)")
    base = profile.prefix or ""
    return (profile.container, join_key(base, profile.manifests_prefix) + "/",
            join_key(base, profile.blobs_prefix) + "/")


def parse_cache_config(data: bytes) -> tuple[str, ...]:
    """The digests of `layers[].blob`, in first-occurrence order; ValueError if not a CacheConfig.

    `{}` (and `{"records": [...]}`) is a valid empty manifest: both arrays are `omitempty` upstream
    (docs/formats/buildkit-azblob-cache.md §Manifest). Any other object without `layers` is refused.
    """
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ValueError("not a BuildKit CacheConfig (not a JSON object)")
    layers = doc.get("layers")
    if layers is None and not set(doc) - CACHE_CONFIG_KEYS:
        return ()  # `{}`: BuildKit omits empty arrays, so a cache with no layers needs no blob
    if not isinstance(layers, list):
        raise ValueError("not a BuildKit CacheConfig (no `layers` array)")
    digests: dict[str, None] = {}
    for index, layer in enumerate(layers):
        blob = layer.get("blob") if isinstance(layer, dict) else None
        if not isinstance(blob, str) or not blob:
            raise ValueError(f"layers[{index}] has no `blob` digest")
        digests[blob] = None
    return tuple(digests)


async def _pages(store: "BlobStore", container: str, prefix: str):
    """The blobs under `prefix`, a page at a time, through `list_page` (pages of 5,000, parsed by
    aztui: a listing of 20,000 cache blobs costs a fraction of the SDK models' CPU; no metadata)."""
    continuation = None
    while True:
        page = await store.list_page(container, prefix, recursive=True, page_size=5000, continuation=continuation)
        yield page.items
        if (continuation := page.continuation) is None:
            return


async def read_cache(store: "BlobStore", *, verify_digests: bool = False,
                     concurrency: int = READ_CONCURRENCY,
                     progress: Callable[[int, int, bool], None] | None = None) -> CacheSnapshot:
    """Read every manifest and list every blob of the profile's cache: one `CacheSnapshot`.
    `progress(blobs, bytes, done)` is called after each page of the blob listing."""
    profile = store.profile
    container, _, blobs_at = cache_layout(profile)
    anomalies: list[Anomaly] = []
    manifests = await read_manifests(store, anomalies, concurrency=concurrency)
    blobs: list[CacheBlob] = []
    listed_bytes = 0
    async for page in _pages(store, container, blobs_at):
        for info in page:
            blob = CacheBlob(info.name[len(blobs_at):], info.name, info.size, info.last_modified, info.etag)
            blobs.append(blob)
            listed_bytes += info.size
            if not blob.is_digest:
                anomalies.append(not_a_digest_anomaly(blob))
        if progress:
            progress(len(blobs), listed_bytes, False)
    if progress:
        progress(len(blobs), listed_bytes, True)
    anomalies += missing_blob_anomalies(manifests, {b.digest for b in blobs})
    if verify_digests:
        anomalies += await verify_blob_digests(store, container, blobs, concurrency=concurrency)
    return CacheSnapshot(profile.name, container, profile.prefix or "", profile.blobs_prefix,
                         profile.manifests_prefix, tuple(manifests), tuple(blobs),
                         tuple(sorted(anomalies, key=lambda a: (a.kind, a.subject, a.detail))),
                         datetime.now(timezone.utc))


def missing_blob_anomalies(manifests: Iterable[CacheManifest], present: set[str] | frozenset[str]) -> list[Anomaly]:
    """A MISSING_BLOB anomaly for every digest a manifest references that is not in `present`."""
    return [Anomaly(MISSING_BLOB, m.cache_name, f"references {digest}, which is not in the cache "
                                                "(builds importing this name will fail)")
            for m in manifests for digest in m.layers or () if digest not in present]


def not_a_digest_anomaly(blob: CacheBlob) -> Anomaly:
    return Anomaly(NOT_A_DIGEST, blob.blob_name, "the name under the blobs prefix is not a digest; GC never deletes it")


async def read_manifests(store: "BlobStore", anomalies: list[Anomaly] | None = None, *,
                         concurrency: int = READ_CONCURRENCY) -> list[CacheManifest]:
    """Every manifest under the manifests prefix, downloaded and parsed (sorted by cache name).

    The ETag and Last-Modified are those of the content actually read. A manifest deleted between
    the listing and its download is left out. Problems are appended to `anomalies`.
    """
    anomalies = anomalies if anomalies is not None else []
    container, manifests_at, _ = cache_layout(store.profile)
    listed = [info async for info in store.iter_blobs(container, manifests_at)]
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(info) -> CacheManifest | None:
        name = info.name[len(manifests_at):]
        if info.size > MAX_MANIFEST_BYTES:
            anomalies.append(Anomaly(MANIFEST_TOO_LARGE, name,
                                     f"{info.size} bytes, over the {MAX_MANIFEST_BYTES} byte limit; not read"))
            return CacheManifest(name, info.name, info.size, info.last_modified, info.etag, None)
        async with gate:
            try:
                data, read = await store.read_blob_as_is(container, info.name)
            except NotFoundError:
                return None  # deleted since the listing: no longer a cache name
        try:
            layers = parse_cache_config(data)
        except ValueError as exc:
            anomalies.append(Anomaly(INVALID_MANIFEST, name, f"{exc}; its references are unknown"))
            layers = None
        return CacheManifest(name, info.name, len(data), read.last_modified, read.etag, layers)

    found = await asyncio.gather(*(one(info) for info in listed))
    return sorted((m for m in found if m is not None), key=lambda m: m.cache_name)


async def verify_blob_digests(store: "BlobStore", container: str, blobs: Iterable[CacheBlob], *,
                              concurrency: int = READ_CONCURRENCY) -> list[Anomaly]:
    """Download every sha256 blob and compare its hash with its name (costs a full download)."""
    gate = asyncio.Semaphore(max(1, concurrency))
    found: list[Anomaly] = []

    async def one(blob: CacheBlob) -> None:
        async with gate:
            digest = hashlib.sha256()
            try:
                async for chunk in store.iter_chunks(container, blob.blob_name):
                    digest.update(chunk)
            except NotFoundError:
                return
        actual = "sha256:" + digest.hexdigest()
        if actual != blob.digest:
            found.append(Anomaly(DIGEST_MISMATCH, blob.blob_name, f"content hashes to {actual}"))

    await asyncio.gather(*(one(b) for b in blobs if SHA256.match(b.digest)))
    return sorted(found, key=lambda a: a.subject)
