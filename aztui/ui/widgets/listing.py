"""What the Containers pane lists, as plain data: where it is, its entries, their rows.

No Textual and no Azure SDK here: the pane keeps a list of `ContainerInfo`, `PrefixInfo` and
`BlobInfo` and uses these functions to key, filter, sort and render them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone

from rich.cells import cell_len
from rich.text import Text

from aztui.ui.widgets.text import human_size, plain, terminal_safe, when

CONTAINER_COLUMNS = ("Container", "Public access", "Lease", "Last modified")
BLOB_COLUMNS = ("✓", "Name", "Size", "Tier", "Last modified")
MARK = "●"

SORT_KEYS = {"name": "name", "size": "size", "modified": "last modified"}
_OLDEST = datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Location:
    """A place in the account: the container list (container None) or a folder of a container."""

    container: str | None = None
    prefix: str = ""      # the virtual folder, "" or ending with "/"
    search: str = ""      # server-side search: names under `prefix` that start with this

    @property
    def listing_prefix(self) -> str:
        return self.prefix + self.search

    def into(self, folder: str) -> "Location":
        return Location(self.container, folder)

    def up(self) -> "Location":
        if self.search:
            return replace(self, search="")
        if self.prefix:
            parent = self.prefix.rstrip("/").rpartition("/")[0]
            return Location(self.container, f"{parent}/" if parent else "")
        return Location()


def breadcrumbs(account: str, location: Location) -> Text:
    """`account › container › a/ › b/`, plain text, plus the active search."""
    parts = [account or "account"]
    if location.container is not None:
        parts.append(location.container)
        parts.extend(f"{part}/" for part in location.prefix.split("/") if part)
    text = Text(" › ".join(parts))
    if location.search:
        text.append(f"   search: {location.search}*", "italic")
    return text


def entry_key(entry) -> str:
    """A unique row key: kind and full name."""
    if hasattr(entry, "prefix"):
        return f"p:{entry.prefix}"
    if hasattr(entry, "size"):
        return f"d:{entry.name}" if getattr(entry, "deleted", False) else f"b:{entry.name}"
    return f"c:{entry.name}"


def entry_name(entry) -> str:
    return getattr(entry, "prefix", None) or entry.name


def is_folder(entry) -> bool:
    return hasattr(entry, "prefix")


def is_blob(entry) -> bool:
    return hasattr(entry, "size")


def is_deleted(entry) -> bool:
    """A soft-deleted blob (listed when the pane shows deleted blobs)."""
    return getattr(entry, "deleted", False)


def matches(entry, location: Location, needle: str) -> bool:
    """The `/` filter: a case-insensitive substring of the name as shown."""
    return not needle or needle.lower() in shown_name(entry, location).lower()


def shown_name(entry, location: Location) -> str:
    """Names inside a folder are shown relative to it."""
    name = entry_name(entry)
    if location.container is not None and name.startswith(location.prefix):
        return name[len(location.prefix):]
    return name


def sort_entries(entries: list, key: str, descending: bool) -> list:
    if key == "size":
        return sorted(entries, key=lambda e: getattr(e, "size", -1), reverse=descending)
    if key == "modified":
        return sorted(entries, key=lambda e: getattr(e, "last_modified", None) or _OLDEST,
                      reverse=descending)
    return sorted(entries, key=entry_name, reverse=descending)


def entry_row(entry, location: Location, marked: bool) -> tuple[Text, ...]:
    """The table cells of one entry, every value from storage as plain text."""
    if location.container is None:
        return (plain(entry.name, "bold"), plain(entry.public_access or "private"),
                plain(entry.lease_state or ""), plain(when(entry.last_modified)))
    mark = Text(MARK if marked else "", style="bold yellow")
    name = shown_name(entry, location)
    if is_folder(entry):
        return (mark, plain(name, "bold cyan"), Text("folder", style="dim", justify="right"),
                Text(""), Text(""))
    if is_deleted(entry):  # soft-deleted: dim and struck, with the days it stays recoverable
        left = f"deleted, {entry.remaining_days} d left" if entry.remaining_days is not None else "deleted"
        return (mark, plain(name, "dim strike"), Text(human_size(entry.size), style="dim", justify="right"),
                plain(left, "red"), plain(when(entry.deleted_on or entry.last_modified), "dim"))
    return (mark, plain(name), Text(human_size(entry.size), justify="right"), plain(entry.tier or ""),
            plain(when(entry.last_modified)))


_WHEN_WIDTH = len("2026-01-01 00:00")


def _safe_width(text: str | None) -> int:
    """The cells `plain(text)` takes, without making the Text (most names are printable ASCII)."""
    if not text:
        return 0
    if text.isascii() and text.isprintable() and "\\" not in text:
        return len(text)
    return cell_len(terminal_safe(text))


def entry_widths(entry, location: Location) -> tuple[int, ...]:
    """The widths of `entry_row`'s cells (the mark column counted as marked), cheaper to get than
    the cells: the listing measures every loaded row for its column widths."""
    if location.container is None:
        return (_safe_width(entry.name), _safe_width(entry.public_access or "private"),
                _safe_width(entry.lease_state), _WHEN_WIDTH if entry.last_modified else 0)
    name = _safe_width(shown_name(entry, location))
    if is_folder(entry):
        return (1, name, len("folder"), 0, 0)
    if is_deleted(entry):
        left = f"deleted, {entry.remaining_days} d left" if entry.remaining_days is not None else "deleted"
        return (1, name, len(human_size(entry.size)), len(left),
                _WHEN_WIDTH if entry.deleted_on or entry.last_modified else 0)
    return (1, name, len(human_size(entry.size)), _safe_width(entry.tier),
            _WHEN_WIDTH if entry.last_modified else 0)
