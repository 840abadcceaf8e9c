"""Images as users think of them: an index with its platforms, sizes that count layers, referrers.

    contents = await read_contents(registry, manifests)      # digest -> ManifestContent (both backends)
    images = group_images(manifests, contents)              # digest -> Image, with parents and sizes
    ordered = display_order(images, top_level_order)        # an index, then its children, ...

A manifest's own size (`ManifestInfo.size`) is a few hundred bytes; what a user calls the size
of an image is its config plus its layers, read from the descriptors the manifest lists. For an
index (or Docker manifest list) each child is one platform with its own size, and the index's
size counts every blob of its children once (a base layer shared by two platforms counts once).

A child of an index is not "untagged" in the user's sense: a purge with `--untagged`, and
`registry gc --delete-untagged` (v3), keep it while its index stays. A manifest with an OCI
`subject` (a signature, an SBOM) is a referrer of that manifest, shown with it.
Pure data and parsing here; reading goes through the backends' `manifest_content`.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping

from aztui.registry.model import INDEX_MEDIA_TYPES, Descriptor, ManifestContent, ManifestInfo, parse_rfc3339

READ_CONCURRENCY = 16


# --- one manifest's content ---------------------------------------------------------------------

def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _size(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _annotations(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        return ()
    return tuple(sorted((k, v) for k, v in value.items() if isinstance(k, str) and isinstance(v, str)))


def platform_text(platform: Any) -> str | None:
    """`{"os": "linux", "architecture": "arm64", "variant": "v8"}` -> "linux/arm64/v8"."""
    if not isinstance(platform, dict):
        return None
    parts = [_text(platform.get("os")) or "?", _text(platform.get("architecture")) or "?"]
    if variant := _text(platform.get("variant")):
        parts.append(variant)
    return "/".join(parts)


def _descriptor(item: Any, *, digest_key: str = "digest") -> Descriptor | None:
    if not isinstance(item, dict) or not isinstance(item.get(digest_key), str):
        return None
    return Descriptor(item[digest_key], _size(item.get("size")), _text(item.get("mediaType")),
                      platform_text(item.get("platform")), _annotations(item.get("annotations")))


def _descriptors(items: Any, **keys: str) -> tuple[Descriptor, ...]:
    if not isinstance(items, list):
        return ()
    return tuple(d for d in (_descriptor(i, **keys) for i in items) if d is not None)


def parse_content(document: bytes | Mapping[str, Any]) -> ManifestContent:
    """An image manifest, an index / manifest list or a schema 1 manifest; ValueError if not one."""
    if isinstance(document, (bytes, bytearray)):
        try:
            document = json.loads(document)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(document, Mapping):
        raise ValueError("not a JSON object")
    doc = document
    subject = _descriptor(doc.get("subject"))
    common = {"subject": subject.digest if subject else None, "artifact_type": _text(doc.get("artifactType")),
              "annotations": _annotations(doc.get("annotations"))}
    if doc.get("schemaVersion") == 1:   # sizes unknown: schema 1 lists blobSums only
        return ManifestContent(_text(doc.get("mediaType")),
                               layers=_descriptors(doc.get("fsLayers"), digest_key="blobSum"), **common)
    if "manifests" in doc:
        return ManifestContent(_text(doc.get("mediaType")) or "application/vnd.oci.image.index.v1+json",
                               children=_descriptors(doc.get("manifests")), **common)
    if "config" in doc or "layers" in doc or "blobs" in doc:
        return ManifestContent(_text(doc.get("mediaType")) or "application/vnd.oci.image.manifest.v1+json",
                               config=_descriptor(doc.get("config")),
                               layers=_descriptors(doc.get("layers")) + _descriptors(doc.get("blobs")), **common)
    raise ValueError("neither an image manifest nor an index")


# --- an image config ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ImageConfig:
    """What the detail screen shows of an image config blob."""

    created: datetime | None = None
    os: str | None = None
    architecture: str | None = None
    variant: str | None = None
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    working_dir: str | None = None
    user: str | None = None
    env: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    history: int = 0                            # number of build steps recorded

    @property
    def platform(self) -> str | None:
        if not (self.os or self.architecture):
            return None
        return "/".join([self.os or "?", self.architecture or "?"] + ([self.variant] if self.variant else []))


def _strings(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return None


def parse_config(data: bytes) -> ImageConfig:
    """An OCI / Docker image config; ValueError if it is not a JSON object."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    config = doc.get("config") if isinstance(doc.get("config"), dict) else {}
    created = None
    if isinstance(doc.get("created"), str):
        try:
            created = parse_rfc3339(doc["created"])
        except ValueError:
            created = None
    history = doc.get("history")
    return ImageConfig(
        created=created, os=_text(doc.get("os")), architecture=_text(doc.get("architecture")),
        variant=_text(doc.get("variant")), entrypoint=_strings(config.get("Entrypoint")),
        cmd=_strings(config.get("Cmd")), working_dir=_text(config.get("WorkingDir")) or None,
        user=_text(config.get("User")) or None, env=_strings(config.get("Env")) or (),
        labels=_annotations(config.get("Labels")), history=len(history) if isinstance(history, list) else 0)


# --- images: manifests grouped the way users think of them ----------------------------------------

@dataclass
class Image:
    """One manifest with what it means to a user: size, platform, its index, its referrers."""

    manifest: ManifestInfo
    content: ManifestContent | None = None
    size: int | None = None                      # config + layers; an index: every child's blobs once
    platform: str = ""                           # "linux/amd64", "multi-platform", or ""
    parents: tuple[str, ...] = ()                # indexes of this repository that list it
    children: tuple[str, ...] = ()               # an index's children, in its order
    referrers: tuple[str, ...] = ()              # manifests whose `subject` is this one

    @property
    def digest(self) -> str:
        return self.manifest.digest

    @property
    def is_index(self) -> bool:
        if self.content is not None:
            return self.content.is_index
        return bool(self.manifest.references) or self.manifest.media_type in INDEX_MEDIA_TYPES

    @property
    def subject(self) -> str | None:
        return self.manifest.subject or (self.content.subject if self.content else None)

    @property
    def untagged(self) -> bool:
        """No tag, no index that lists it, no subject: what `--untagged` / `--delete-untagged` would take."""
        return not self.manifest.tags and not self.parents and not self.subject

    @property
    def top_level(self) -> bool:
        """Shown on its own row (not under an index or under the manifest it refers to)."""
        return not self.parents and not self.subject

    def platforms(self, images: Mapping[str, "Image"]) -> list[tuple[str, str, int | None]]:
        """An index's (child digest, platform, size), in the index's order."""
        return [(d, images[d].platform if d in images else _child_platform(self, d),
                 images[d].size if d in images else None) for d in self.children]


def _child_platform(index: Image, digest: str) -> str:
    for child in index.content.children if index.content else ():
        if child.digest == digest and child.platform:
            return child.platform
    return ""


def group_images(manifests: Iterable[ManifestInfo],
                 contents: Mapping[str, ManifestContent | None]) -> dict[str, Image]:
    """Every manifest of one repository as an `Image`, with parents, children, sizes and referrers."""
    images = {m.digest: Image(m, contents.get(m.digest)) for m in manifests}
    for image in images.values():
        children = (tuple(c.digest for c in image.content.children) if image.content
                    else image.manifest.references)
        image.children = children
    parents: dict[str, list[str]] = {}
    index_platform: dict[str, str] = {}
    for image in images.values():
        for child in image.content.children if image.content else ():
            if child.platform:
                index_platform.setdefault(child.digest, child.platform)
        for child in image.children:
            if child in images and image.digest not in parents.setdefault(child, []):
                parents[child].append(image.digest)
    referrers: dict[str, list[str]] = {}
    for image in images.values():
        image.parents = tuple(parents.get(image.digest, ()))
        if image.subject:
            referrers.setdefault(image.subject, []).append(image.digest)
    for image in images.values():
        image.referrers = tuple(sorted(referrers.get(image.digest, ())))
        image.platform = _platform(image, index_platform)
        if not image.is_index:
            image.size = image.content.blobs_size if image.content else None
    for image in images.values():
        if image.is_index:
            image.size = _index_size(image, images)
    return images


def _platform(image: Image, from_index: Mapping[str, str]) -> str:
    m = image.manifest
    if m.os or m.architecture:
        return f"{m.os or '?'}/{m.architecture or '?'}"
    if image.digest in from_index:
        return from_index[image.digest]
    if image.is_index:
        return "multi-platform"
    return ""


def _index_size(index: Image, images: Mapping[str, Image], seen: frozenset[str] = frozenset()) -> int | None:
    """Every blob under the index once (children, and indexes inside it); None if one is unknown."""
    blobs: dict[str, int] = {}

    def collect(image: Image, path: frozenset[str]) -> bool:
        if image.content is None:
            return False
        if not image.is_index:
            for d in image.content.blobs:
                if d.size is None:
                    return False
                blobs[d.digest] = d.size
            return True
        for child in image.children:
            if child in path or child not in images:
                return False
            if not collect(images[child], path | {child}):
                return False
        return True

    return sum(blobs.values()) if collect(index, seen | {index.digest}) else None


def display_order(images: Mapping[str, Image], top_level: Iterable[str]) -> list[tuple[Image, int]]:
    """(image, depth): each top-level image in the given order, its children and referrers under it.

    A manifest listed by two indexes appears under the first one shown; nothing appears twice and
    nothing is left out (a cycle or an orphaned child is shown at the top level)."""
    out: list[tuple[Image, int]] = []
    placed: set[str] = set()

    def place(digest: str, depth: int) -> None:
        if digest in placed or digest not in images:
            return
        placed.add(digest)
        image = images[digest]
        out.append((image, depth))
        for child in image.children:
            place(child, depth + 1)
        for referrer in image.referrers:
            place(referrer, depth + 1)

    order = list(top_level)
    for digest in order:
        if digest in images and images[digest].top_level:
            place(digest, 0)
    for digest in order:          # whatever a cycle or a missing parent left out
        place(digest, 0)
    return out


@dataclass(frozen=True)
class RepositorySummary:
    """The pane's status line for one repository."""

    images: int                 # top-level rows: tagged or untagged images and indexes
    manifests: int
    untagged: int               # what a --untagged purge would take
    children: int               # platform manifests under an index
    referrers: int


def summarize(images: Mapping[str, Image]) -> RepositorySummary:
    values = list(images.values())
    return RepositorySummary(images=sum(1 for i in values if i.top_level), manifests=len(values),
                             untagged=sum(1 for i in values if i.untagged),
                             children=sum(1 for i in values if i.parents),
                             referrers=sum(1 for i in values if i.subject and not i.parents))


# --- reading contents through either backend -----------------------------------------------------

@dataclass
class ContentRead:
    contents: dict[str, ManifestContent | None] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)     # digest -> why it could not be read


async def read_contents(registry: Any, manifests: Iterable[ManifestInfo], *,
                        concurrency: int = READ_CONCURRENCY) -> dict[str, ManifestContent | None]:
    """digest -> parsed content of each manifest (None where unreadable), read through the backend.

    A backend that already parsed the content while listing (`ManifestInfo.content`) is not asked again."""
    from aztui.errors import AztuiError

    manifests = list(manifests)
    gate = asyncio.Semaphore(concurrency)

    async def one(m: ManifestInfo) -> ManifestContent | None:
        if m.content is not None:
            return m.content
        async with gate:
            try:
                return parse_content(await registry.manifest_content(m.repository, m.digest))
            except (AztuiError, ValueError):
                return None

    results = await asyncio.gather(*(one(m) for m in manifests))
    return {m.digest: c for m, c in zip(manifests, results)}


async def read_images(registry: Any, repository: str) -> tuple[list[ManifestInfo], dict[str, Image]]:
    """One repository's manifests and their images (what the pane and `registry ls REPO` show)."""
    manifests = await registry.list_manifests(repository)
    return manifests, group_images(manifests, await read_contents(registry, manifests))


# --- one manifest in detail (the Registry pane's Enter) -------------------------------------------

MAX_CONFIG_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ManifestDetail:
    """What the detail screen shows, in its order; plain values (the screen only renders them)."""

    properties: tuple[tuple[str, str], ...]
    layers: tuple[tuple[str, int | None, str], ...]             # digest, size, media type
    platforms: tuple[tuple[str, str, int | None, str], ...]     # an index's: digest, platform, size, tags
    referrers: tuple[tuple[str, str, str], ...]                 # digest, artifact type, tags


async def read_config(registry: Any, image: Image) -> ImageConfig | None:
    """The image's config blob, parsed; None for an index, a config-less artifact or an unreadable one."""
    from aztui.errors import AztuiError

    config = image.content.config if image.content else None
    if config is None or image.is_index:
        return None
    try:
        return parse_config(await registry.read_blob(image.manifest.repository, config.digest,
                                                     limit=MAX_CONFIG_BYTES))
    except (AztuiError, ValueError):
        return None


def _command(words: tuple[str, ...] | None) -> str:
    return "" if words is None else json.dumps(list(words), ensure_ascii=False)


def manifest_detail(image: Image, images: Mapping[str, Image], config: ImageConfig | None) -> ManifestDetail:
    """Properties, layers, an index's platforms and the referrers of `image`."""
    from aztui.registry.model import MEDIA_TYPES
    from aztui.units import human_size

    m, content = image.manifest, image.content

    def size(value: int | None) -> str:
        return "" if value is None else f"{human_size(value)} ({value:,} bytes)"

    rows: list[tuple[str, str]] = [
        ("Digest", m.digest), ("Repository", m.repository),
        ("Tags", ", ".join(m.tags) or ("in index" if image.parents else "referrer" if image.subject
                                       else "untagged")),
        ("Media type", m.media_type or (content.media_type if content else "") or ""),
        ("Artifact type", content.artifact_type if content and content.artifact_type else ""),
        ("Platform", image.platform),
        ("Image size", size(image.size) + ("  (every platform, shared layers once)" if image.is_index else "")),
        ("Manifest size", size(m.size)),
        ("In index", ", ".join(image.parents)), ("Refers to", image.subject or ""),
        ("Pushed", m.created.isoformat() if m.created else ""),
        ("Updated", m.last_updated.isoformat() if m.last_updated and m.last_updated != m.created else ""),
    ]
    if content is not None and not content.is_index:
        rows.append(("Config", content.config.digest if content.config else "none (an artifact without config)"))
    if config is not None:
        rows += [("Created", config.created.isoformat() if config.created else ""),
                 ("OS/arch", config.platform or ""), ("Entrypoint", _command(config.entrypoint)),
                 ("Cmd", _command(config.cmd)), ("Working dir", config.working_dir or ""),
                 ("User", config.user or ""), ("History", f"{config.history} steps" if config.history else "")]
        rows += [(f"label: {k}", v) for k, v in config.labels]
    rows += [(f"annotation: {k}", v) for k, v in (content.annotations if content else ())]
    layers = tuple((d.digest, d.size, MEDIA_TYPES.get(d.media_type or "", d.media_type or ""))
                   for d in (content.layers if content and not content.is_index else ()))
    platforms = tuple((digest, platform, child_size, ", ".join(images[digest].manifest.tags) if digest in images
                       else "not in this repository")
                      for digest, platform, child_size in (image.platforms(images) if image.is_index else []))
    referrers = tuple((d, (images[d].content.artifact_type if images[d].content else None)
                       or images[d].manifest.media_type or "", ", ".join(images[d].manifest.tags))
                      for d in image.referrers if d in images)
    return ManifestDetail(tuple((k, v) for k, v in rows if v), layers, platforms, referrers)
