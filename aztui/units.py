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


def count(n: int, noun: str) -> str:
    """`1 blob`, `2 blobs`, `1,024 blobs`."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def iso(when: datetime | None) -> str | None:
    """ISO 8601 for JSON output, or None."""
    return when.isoformat() if when else None


# C0 and C1 controls, DEL, and the bidi controls that reorder what a terminal shows
_BIDI = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
_UNSAFE = {*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *_BIDI}
_ESCAPES = {i: (f"\\x{i:02x}" if i < 0x100 else f"\\u{i:04x}") for i in _UNSAFE}
_ESCAPES[ord("\\")] = "\\\\"


def terminal_safe(text: str) -> str:
    """Storage text (blob names, ...) for a terminal line: control and bidi characters escaped
    (`\\x1b`, `\\n`-as-`\\x0a`, `\\u202e`; a backslash doubles), so nothing is interpreted."""
    if (text.isascii() and text.isprintable() and "\\" not in text) or not any(ord(c) in _ESCAPES for c in text):
        return text  # most names are plain printable ASCII: the first test alone, at C speed
    return text.translate(_ESCAPES)
