"""A Docker Distribution registry whose storage is an Azure Blob container, read from storage only.

    async with DistributionRegistry(profile) as registry:
        registry.layout                      # "v2.8", "v3" or None (no registry data found)
        async for repo in registry.iter_repositories(): ...
        await registry.list_tags("team/api"); await registry.list_manifests("team/api")

Everything is read through `BlobStore` (listings, link files, manifest blobs), never through the
registry's HTTP API, so it works while the registry runs or is down.
Layout (docs/formats/distribution-on-azure-blob.md §Layout, §Blob names):
v2.8's azure driver writes blob names with a leading '/' (`/docker/registry/v2/...`, with a
root directory `/<root>/docker/registry/v2/...`); v3 writes `<rootdirectory>/docker/registry/v2/...`.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Iterable, Literal, Mapping

from aztui.azure.blobs import BlobInfo, BlobStore
from aztui.errors import AztuiError, NotFoundError
from aztui.profiles.model import Profile
from aztui.registry.images import ManifestContent, parse_content
from aztui.registry.locate import Finding, Layout, layout_candidates, locate
from aztui.registry.model import DISTRIBUTION_CAPABILITIES, ManifestInfo, RepositoryInfo, TagInfo, parse_rfc3339

MAX_MANIFEST_BYTES = 4 * 1024 * 1024   # the registry's own limit for a manifest
MAX_CONFIG_BYTES = 1024 * 1024          # enough for architecture/os of any sane image config
READ_CONCURRENCY = 16

_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_HEX = re.compile(r"[0-9a-f]{64}")


# --- what one listing says: paths, sizes and ETags, no contents ------------------------------

@dataclass
class Upload:
    repository: str
    uuid: str
    blobs: list[BlobInfo] = field(default_factory=list)   # everything under _uploads/<uuid>/
    started_at: datetime | None = None                    # from `startedat`, once read

    @property
    def size(self) -> int:
        return sum(b.size for b in self.blobs)

    @property
    def startedat_blob(self) -> BlobInfo | None:
        return next((b for b in self.blobs if b.name.endswith("/startedat")), None)


@dataclass
class RepositoryTree:
    """One repository's files: tag links, revision links, layer links and uploads."""

    name: str
    tag_links: dict[str, BlobInfo] = field(default_factory=dict)               # tag -> current/link
    tag_index: dict[str, dict[str, BlobInfo]] = field(default_factory=dict)    # tag -> digest -> index link
    revisions: dict[str, BlobInfo] = field(default_factory=dict)               # digest -> revision link
    layers: dict[str, BlobInfo] = field(default_factory=dict)                  # digest -> layer link
    uploads: dict[str, Upload] = field(default_factory=dict)                   # uuid -> upload
    last_modified: datetime | None = None

    def add(self, section: str, rest: list[str], blob: BlobInfo) -> None:
        if blob.last_modified and (self.last_modified is None or blob.last_modified > self.last_modified):
            self.last_modified = blob.last_modified
        if section == "_manifests":
            if len(rest) == 4 and rest[0] == "tags" and rest[2:] == ["current", "link"]:
                self.tag_links[rest[1]] = blob
            elif (len(rest) == 6 and rest[0] == "tags" and rest[2:4] == ["index", "sha256"]
                  and rest[5] == "link" and _HEX.fullmatch(rest[4])):
                self.tag_index.setdefault(rest[1], {})["sha256:" + rest[4]] = blob
            elif len(rest) == 4 and rest[:2] == ["revisions", "sha256"] and rest[3] == "link" \
                    and _HEX.fullmatch(rest[2]):
                self.revisions["sha256:" + rest[2]] = blob
        elif section == "_layers":
            if len(rest) == 3 and rest[0] == "sha256" and rest[2] == "link" and _HEX.fullmatch(rest[1]):
                self.layers["sha256:" + rest[1]] = blob
        elif section == "_uploads" and len(rest) >= 2:
            self.uploads.setdefault(rest[0], Upload(self.name, rest[0])).blobs.append(blob)


def split_repository_path(relative: str) -> tuple[str, str, list[str]] | None:
    """`team/api/_manifests/tags/v1/current/link` -> ("team/api", "_manifests", [...]).

    Repository name components never start with '_', so the first one that does is the section.
    """
    parts = relative.split("/")
    for i, part in enumerate(parts):
        if part.startswith("_"):
            if i == 0 or part not in ("_manifests", "_layers", "_uploads"):
                return None
            return "/".join(parts[:i]), part, parts[i + 1:]
    return None


def blob_digest(relative: str) -> str | None:
    """`blobs/sha256/ab/ab12.../data` -> "sha256:ab12..." (None for anything else)."""
    parts = relative.split("/")
    if (len(parts) == 5 and parts[0] == "blobs" and parts[1] == "sha256" and parts[4] == "data"
            and _HEX.fullmatch(parts[3]) and parts[3][:2] == parts[2]):
        return "sha256:" + parts[3]
    return None


def blob_path(digest: str) -> str:
    """The path of a digest's content under the registry root."""
    hex_ = digest.split(":", 1)[1]
    return f"blobs/sha256/{hex_[:2]}/{hex_}/data"


# --- manifest content ---------------------------------------------------------------------

@dataclass(frozen=True)
class ParsedManifest:
    media_type: str | None
    config: str | None                 # config blob digest (image manifests)
    layers: tuple[str, ...]            # layer (and artifact blob) digests
    children: tuple[str, ...]          # child manifests of an index / manifest list
    subject: str | None

    @property
    def references(self) -> tuple[str, ...]:
        """What garbage collection marks through this manifest (upstream `References()`)."""
        return ((self.config,) if self.config else ()) + self.layers + self.children


def parse_manifest(data: bytes) -> ParsedManifest:
    """Parse an image manifest, an index / manifest list, or a schema 1 manifest; ValueError if not one."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")

    def digests(items: Any, key: str = "digest") -> tuple[str, ...]:
        if not isinstance(items, list):
            return ()
        return tuple(i[key] for i in items if isinstance(i, dict) and isinstance(i.get(key), str))

    def one(item: Any) -> str | None:
        return item["digest"] if isinstance(item, dict) and isinstance(item.get("digest"), str) else None

    if doc.get("schemaVersion") == 1:
        return ParsedManifest(doc.get("mediaType"), None, digests(doc.get("fsLayers"), "blobSum"), (), None)
    if "manifests" in doc:
        media = doc.get("mediaType") or "application/vnd.oci.image.index.v1+json"
        return ParsedManifest(media, None, (), digests(doc["manifests"]), one(doc.get("subject")))
    if "config" in doc or "layers" in doc or "blobs" in doc:
        media = doc.get("mediaType") or "application/vnd.oci.image.manifest.v1+json"
        layers = digests(doc.get("layers")) + digests(doc.get("blobs"))
        return ParsedManifest(media, one(doc.get("config")), layers, (), one(doc.get("subject")))
    raise ValueError("neither an image manifest nor an index")


def link_target(data: bytes) -> str | None:
    """The digest a link file holds, or None when it holds anything else."""
    text = data.decode("utf-8", "replace").strip()
    return text if _DIGEST.fullmatch(text) else None


# --- the registry ------------------------------------------------------------------------

@dataclass
class StorageListing:
    layout: Layout
    base: str                                   # blob name prefix ending in docker/registry/v2/
    repositories: dict[str, RepositoryTree]
    blobs: dict[str, BlobInfo]                  # digest -> blobs/sha256/.../data


class DistributionRegistry:
    """The `Registry` protocol over a Distribution registry's blob storage."""

    kind: Literal["distribution"] = "distribution"
    capabilities = DISTRIBUTION_CAPABILITIES

    def __init__(self, profile: Profile, environ: Mapping[str, str] = os.environ) -> None:
        if not profile.container:
            raise AztuiError(f"profile {profile.name!r} names no container", title="Not a registry profile",
                             hint="set `container` (and `rootdirectory`, if the registry uses one)")
        self.profile = profile
        self.container: str = profile.container
        self.store = BlobStore(profile, environ)
        self.layout: Layout | None = None
        self.base: str | None = None
        self.finding: Finding | None = None     # where the data is instead, once nothing was found
        self._limit = asyncio.Semaphore(READ_CONCURRENCY)

    async def __aenter__(self) -> "DistributionRegistry":
        await self.store.__aenter__()
        try:
            await self.detect_layout()
        except BaseException:
            await self.store.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.store.__aexit__(*exc_info)

    # --- layout --------------------------------------------------------------------------

    async def detect_layout(self) -> Layout | None:
        """Probe both naming styles with one one-item listing each; sets `layout` and `base`."""
        candidates = layout_candidates(self.profile)
        pages = await asyncio.gather(*(self.store.list_page(self.container, base, recursive=True, page_size=1)
                                       for _, base in candidates))
        self.layout, self.base = None, None
        for (layout, base), page in zip(candidates, pages):
            if page.items:
                self.layout, self.base = layout, base
                break
        self.finding = None
        if self.layout is None:

            self.finding = await locate(self.store, self.profile)
        return self.layout

    def no_data_reason(self) -> str | None:
        if self.layout is not None:
            return None
        if self.finding is not None:
            return f"No registry data: {self.finding.message()}.\nHint: {self.finding.hint()}."
        prefix = self.profile.prefix
        return f"No registry data in container {self.container!r}" + (f" under {prefix!r}" if prefix else "") + "."

    def require_layout(self) -> str:
        if self.base is None and self.finding is not None:
            raise NotFoundError(self.finding.message(), title="No registry data", hint=self.finding.hint())
        if self.base is None:
            where = " or ".join(repr(base) for _, base in layout_candidates(self.profile))
            raise NotFoundError(f"no registry data under {where} in container {self.container!r}",
                                title="No registry data",
                                hint="check container and rootdirectory in the profile")
        return self.base

    # --- listings ------------------------------------------------------------------------

    async def _list(self, relative_prefix: str) -> AsyncIterator[tuple[str, BlobInfo]]:
        base = self.require_layout()
        async for blob in self.store.iter_blobs(self.container, base + relative_prefix):
            if isinstance(blob, BlobInfo):
                yield blob.name[len(base):], blob

    async def list_repository_trees(self, repository: str | None = None) -> dict[str, RepositoryTree]:
        """Every repository (one recursive listing of `repositories/`), or one repository's files."""
        prefix = f"repositories/{repository}/_" if repository else "repositories/"
        trees: dict[str, RepositoryTree] = {}
        async for relative, blob in self._list(prefix):
            split = split_repository_path(relative[len("repositories/"):])
            if split is None:
                continue
            name, section, rest = split
            trees.setdefault(name, RepositoryTree(name)).add(section, rest, blob)
        return trees

    async def list_blobs(self) -> dict[str, BlobInfo]:
        """digest -> content blob, for every `blobs/sha256/<2>/<hex>/data`."""
        return {digest: blob async for relative, blob in self._list("blobs/")
                if (digest := blob_digest(relative))}

    async def listing(self) -> StorageListing:
        repositories, blobs = await asyncio.gather(self.list_repository_trees(), self.list_blobs())
        assert self.layout is not None and self.base is not None
        return StorageListing(self.layout, self.base, repositories, blobs)

    async def _tree(self, repository: str) -> RepositoryTree:
        tree = (await self.list_repository_trees(repository)).get(repository)
        if tree is None:
            raise NotFoundError(f"there is no repository {repository!r} in this registry",
                                hint="list the repositories with `aztui registry ls PROFILE`")
        return tree

    # --- contents --------------------------------------------------------------------------

    async def read(self, name: str, *, limit: int | None = None) -> bytes:
        """A blob by full name (at most `limit` bytes), at most READ_CONCURRENCY at a time."""
        async with self._limit:
            return await self.store.read_blob(self.container, name, length=limit)

    async def read_content(self, digest: str, *, limit: int | None = None) -> bytes:
        return await self.read(self.require_layout() + blob_path(digest), limit=limit)

    async def read_links(self, blobs: Mapping[str, BlobInfo]) -> dict[str, str | None]:
        """key -> digest in each link file (None where it holds no digest or is gone)."""
        async def one(blob: BlobInfo) -> str | None:
            try:
                return link_target(await self.read(blob.name, limit=256))
            except NotFoundError:
                return None

        keys = list(blobs)
        targets = await asyncio.gather(*(one(blobs[k]) for k in keys))
        return dict(zip(keys, targets))

    async def read_started_at(self, uploads: Iterable[Upload]) -> None:
        """Fill `started_at` of each upload from its `startedat` file (RFC 3339); None if unreadable."""
        async def one(upload: Upload) -> None:
            blob = upload.startedat_blob
            if blob is None:
                return
            try:
                text = (await self.read(blob.name, limit=256)).decode("utf-8", "replace").strip()
                upload.started_at = parse_rfc3339(text)
            except (NotFoundError, ValueError):
                upload.started_at = None

        await asyncio.gather(*(one(u) for u in uploads))

    async def read_manifest(self, digest: str) -> ParsedManifest | None:
        """The parsed manifest stored under `digest`; None when missing, too large or not a manifest."""
        try:
            data = await self.read_content(digest, limit=MAX_MANIFEST_BYTES + 1)
        except NotFoundError:
            return None
        if len(data) > MAX_MANIFEST_BYTES:
            return None
        try:
            return parse_manifest(data)
        except ValueError:
            return None

    async def read_platform(self, config_digest: str) -> tuple[str | None, str | None]:
        """(architecture, os) from an image config blob; (None, None) when unreadable."""
        try:
            doc = json.loads(await self.read_content(config_digest, limit=MAX_CONFIG_BYTES))
        except (NotFoundError, ValueError, UnicodeDecodeError):
            return None, None
        if not isinstance(doc, dict):
            return None, None
        arch, os_ = doc.get("architecture"), doc.get("os")
        return (arch if isinstance(arch, str) else None), (os_ if isinstance(os_, str) else None)

    async def manifest_content(self, repository: str, digest: str) -> bytes:
        """The manifest document stored under `digest` (as `GET /v2/<name>/manifests/<digest>` serves it)."""
        data = await self.read_content(digest, limit=MAX_MANIFEST_BYTES + 1)
        if len(data) > MAX_MANIFEST_BYTES:
            raise AztuiError(f"manifest {digest} is larger than the registry's 4 MiB limit", title="Manifest too large")
        return data

    async def read_blob(self, repository: str, digest: str, *, limit: int) -> bytes:
        """A content blob (an image config) by digest, at most `limit` bytes."""
        if not _DIGEST.fullmatch(digest):
            raise NotFoundError(f"{digest!r} is not a sha256 digest")
        return await self.read_content(digest, limit=limit)

    # --- the Registry protocol ------------------------------------------------------------

    async def iter_repositories(self) -> AsyncIterator[RepositoryInfo]:
        trees = await self.list_repository_trees()
        for name in sorted(trees):
            tree = trees[name]
            yield RepositoryInfo(name=name, tag_count=len(tree.tag_links), manifest_count=len(tree.revisions),
                                 last_updated=tree.last_modified)

    async def list_tags(self, repository: str) -> list[TagInfo]:
        tree = await self._tree(repository)
        targets = await self.read_links(tree.tag_links)
        tags = []
        for name in sorted(tree.tag_links):
            digest = targets[name]
            if digest is None:
                continue  # a broken tag link: the registry cannot resolve it either
            history = [b.last_modified for b in tree.tag_index.get(name, {}).values() if b.last_modified]
            tags.append(TagInfo(repository, name, digest, created=min(history) if history else None,
                                last_updated=tree.tag_links[name].last_modified))
        return tags

    async def list_manifests(self, repository: str) -> list[ManifestInfo]:
        """Every manifest revision, newest first, with its tags, media type, platform and references."""
        tree = await self._tree(repository)
        tags = await self.list_tags(repository)
        base = self.require_layout()
        blobs = {d: blob_path(d) for d in tree.revisions}

        async def one(digest: str) -> ManifestInfo:
            size: int | None = None
            parsed: ParsedManifest | None = None
            content: ManifestContent | None = None
            try:
                data = await self.read(base + blobs[digest], limit=MAX_MANIFEST_BYTES + 1)
                size = len(data)
                if size <= MAX_MANIFEST_BYTES:
                    parsed = parse_manifest(data)
                    content = parse_content(data)
            except (NotFoundError, ValueError):
                pass
            arch = os_ = None
            if parsed and parsed.config:
                arch, os_ = await self.read_platform(parsed.config)
            link = tree.revisions[digest]
            return ManifestInfo(
                repository=repository, digest=digest, size=size,
                tags=tuple(sorted(t.name for t in tags if t.digest == digest)),
                media_type=parsed.media_type if parsed else None, architecture=arch, os=os_,
                created=link.last_modified, last_updated=link.last_modified,
                references=parsed.children if parsed else (), subject=parsed.subject if parsed else None,
                content=content)

        manifests = await asyncio.gather(*(one(d) for d in tree.revisions))
        oldest = datetime.min.replace(tzinfo=timezone.utc)
        return sorted(manifests, key=lambda m: m.last_updated or oldest, reverse=True)
