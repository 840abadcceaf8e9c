"""How sizes and times are written for people and for JSON, the same everywhere."""

from __future__ import annotations

from datetime import datetime


def human_size(size: int | None) -> str:
    """`512 B`, `1.5 KiB`, `3.2 GiB`; empty for an unknown size."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def iso(when: datetime | None) -> str | None:
    """ISO 8601 for JSON output, or None."""
    return when.isoformat() if when else None
