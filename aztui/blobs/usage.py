"""How much a container or virtual folder holds: a du-style scan over the listing.

    usage = await measure_usage(store, "backups", "2026/", progress=show)

One listing call per page of `page_size` blobs; `progress` gets the running totals after
each page (`complete=False` until the last page, whose totals are also the result).
Cancelling the task stops the scan between pages. A partial `Usage` carries the listing marker
of the next page (`continuation`): `measure_usage(..., resume=partial)` continues from there
(`aztui.blobs.checkpoints` keeps one on disk).

On an ADLS Gen2 account (hierarchical namespace) directories are zero-length marker blobs
(`hdi_isfolder=true`): they are counted as `directories`, never as blobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from aztui.azure.blobs import BlobStore

NO_TIER = "Unknown"  # page and append blobs, and accounts that report no tier


@dataclass(frozen=True)
class Usage:
    container: str
    prefix: str
    blobs: int
    bytes: int
    bytes_by_tier: dict[str, int] = field(default_factory=dict)  # "Hot", "Cool", "Cold", "Archive", "Unknown"
    complete: bool = True
    continuation: str | None = None  # while incomplete: the marker of the next page to count
    directories: int = 0             # directory markers (hierarchical namespace), not in `blobs`


async def measure_usage(store: "BlobStore", container: str, prefix: str = "", *,
                        progress: Callable[[Usage], None] | None = None,
                        page_size: int = 5000, resume: Usage | None = None,
                        folders: "FolderTree | None" = None) -> Usage:
    """Count the blobs under `prefix` and add up their sizes, in total and per access tier;
    with `resume` (a partial `Usage` of the same container and prefix), from where it stopped;
    with `folders`, every blob is also added to that breakdown."""
    blobs = total = directories = 0
    by_tier: dict[str, int] = {}
    continuation: str | None = None
    if resume is not None:
        blobs, total, by_tier = resume.blobs, resume.bytes, dict(resume.bytes_by_tier)
        directories = resume.directories
        continuation = resume.continuation
    while True:
        page = await store.list_page(container, prefix, recursive=True, page_size=page_size,
                                     continuation=continuation)
        for blob in page.items:
            if blob.metadata and blob.is_directory:  # most blobs have no metadata: no property call
                directories += 1
                continue
            blobs += 1
            total += blob.size
            tier = blob.tier or NO_TIER
            by_tier[tier] = by_tier.get(tier, 0) + blob.size
            if folders is not None:
                folders.add(blob.name, blob.size, tier)
        continuation = page.continuation
        usage = Usage(container, prefix, blobs, total, dict(by_tier), complete=continuation is None,
                      continuation=continuation, directories=directories)
        if progress:
            progress(usage)
        if continuation is None:
            return usage


@dataclass(frozen=True)
class FolderRow:
    """One line of a breakdown: a sub-folder (prefix ends with '/'), or the blobs right in the folder
    (`direct=True`, prefix = the folder itself)."""

    prefix: str
    blobs: int
    bytes: int
    bytes_by_tier: dict[str, int]
    direct: bool = False


class FolderTree:
    """Totals of every folder below `root` (down to `depth` levels; None: all), filled blob by blob
    while a listing streams (`measure_usage(..., folders=tree)`): a breakdown, and a walk into any
    sub-folder, without listing again. Memory grows with the number of folders, not of blobs."""

    def __init__(self, root: str = "", depth: int | None = None) -> None:
        self.root, self.depth = root, depth
        self._totals: dict[str, list] = {}   # folder -> [blobs, bytes, {tier: bytes}] of everything below
        self._direct: dict[str, list] = {}   # folder -> the same, of the blobs right in it

    @staticmethod
    def _add(table: dict[str, list], folder: str, size: int, tier: str) -> None:
        entry = table.get(folder)
        if entry is None:
            entry = table[folder] = [0, 0, {}]
        entry[0] += 1
        entry[1] += size
        entry[2][tier] = entry[2].get(tier, 0) + size

    def add(self, name: str, size: int, tier: str | None) -> None:
        tier = tier or NO_TIER
        parts = name[len(self.root):].split("/")[:-1]
        kept = parts if self.depth is None else parts[:self.depth]
        folder = self.root
        self._add(self._totals, folder, size, tier)
        for part in kept:
            folder += part + "/"
            self._add(self._totals, folder, size, tier)
        if len(kept) == len(parts):
            self._add(self._direct, folder, size, tier)

    def children(self, folder: str) -> list[FolderRow]:
        """The sub-folders of `folder` and its own blobs, biggest first."""
        level = folder.count("/") + 1
        rows = [FolderRow(key, e[0], e[1], dict(e[2])) for key, e in self._totals.items()
                if key.startswith(folder) and key.count("/") == level and key != folder]
        if (own := self._direct.get(folder)) is not None:
            rows.append(FolderRow(folder, own[0], own[1], dict(own[2]), direct=True))
        return sorted(rows, key=lambda r: (-r.bytes, r.prefix))

    def groups(self, depth: int) -> list[FolderRow]:
        """Folders exactly `depth` levels below the root, and the blobs right in shallower ones,
        biggest first (what `du --by-folder --depth N` prints)."""
        level = self.root.count("/") + depth
        rows = [FolderRow(key, e[0], e[1], dict(e[2])) for key, e in self._totals.items() if key.count("/") == level]
        rows += [FolderRow(key, e[0], e[1], dict(e[2]), direct=True) for key, e in self._direct.items()
                 if key.count("/") < level]
        return sorted(rows, key=lambda r: (-r.bytes, r.prefix))

    def total(self, folder: str) -> FolderRow | None:
        entry = self._totals.get(folder)
        return FolderRow(folder, entry[0], entry[1], dict(entry[2])) if entry else None


def share_bar(part: int, whole: int, width: int = 20) -> str:
    """`part` of `whole` as a bar `width` cells wide (in eighths of a cell) and a percentage."""
    share = part / whole if whole else 0.0
    eighths = round(share * width * 8)
    bar = "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]
    return f"{bar:<{width}} {share * 100:5.1f}%"
