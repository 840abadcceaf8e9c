"""How much a container or virtual folder holds: a du-style scan over the listing.

    usage = await measure_usage(store, "backups", "2026/", progress=show)

One listing call per page of `page_size` blobs; `progress` gets the running totals after
each page (`complete=False` until the last page, whose totals are also the result).
Cancelling the task stops the scan between pages.

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
    directories: int = 0             # directory markers (hierarchical namespace), not in `blobs`


async def measure_usage(store: "BlobStore", container: str, prefix: str = "", *,
                        progress: Callable[[Usage], None] | None = None,
                        page_size: int = 5000) -> Usage:
    """Count the blobs under `prefix` and add up their sizes, in total and per access tier."""
    blobs = total = directories = 0
    by_tier: dict[str, int] = {}
    continuation: str | None = None
    while True:
        page = await store.list_page(container, prefix, recursive=True, page_size=page_size,
                                     continuation=continuation)
        for blob in page.items:
            if blob.is_directory:
                directories += 1
                continue
            blobs += 1
            total += blob.size
            tier = blob.tier or NO_TIER
            by_tier[tier] = by_tier.get(tier, 0) + blob.size
        continuation = page.continuation
        usage = Usage(container, prefix, blobs, total, dict(by_tier), complete=continuation is None,
                      directories=directories)
        if progress:
            progress(usage)
        if continuation is None:
            return usage
