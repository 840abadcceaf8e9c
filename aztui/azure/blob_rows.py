"""The rows of a blob listing, shared by `aztui.azure.blobs` (from the SDK's models) and
`aztui.azure.listing_xml` (from the raw XML): no SDK import, no import of either module.
`aztui.azure.blobs` re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


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


def quoted_etag(etag: str | None) -> str:
    """ETags in HTTP form (quoted): listings give them bare, properties quoted."""
    etag = etag or ""
    return etag if etag.startswith(('"', 'W/"')) or not etag else f'"{etag}"'
