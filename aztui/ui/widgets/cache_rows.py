"""What the Cache pane shows, as plain data: the rows of each view of a `CacheSnapshot`.

No Textual and no Azure SDK here (the snapshot is duck-typed): the pane asks for the rows of
its current view and sorts them by the values each row carries. Every value from storage is
plain `Text`, never markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from rich.text import Text

from aztui.profiles.model import Profile
from aztui.ui.widgets.text import count, human_size, plain, when

NAME_COLUMNS = ("Cache name", "Layers", "Size", "Unique", "Shared", "Last export")
LAYER_COLUMNS = ("Layer blob", "Size", "Also used by", "Uploaded")
ORPHAN_COLUMNS = ("Orphan blob", "Size", "Age", "Uploaded")
ANOMALY_COLUMNS = ("Anomaly", "Subject", "Detail")
VIEW_COLUMNS = {"names": NAME_COLUMNS, "layers": LAYER_COLUMNS, "orphans": ORPHAN_COLUMNS,
                "anomalies": ANOMALY_COLUMNS}

SORT_LABELS = {"name": "name", "size": "size", "unique": "unique bytes", "modified": "last export / upload"}
CACHE_KINDS = ("buildkit-cache", "storage", "artifact-store")
_OLDEST = datetime.min.replace(tzinfo=timezone.utc)

NOT_A_CACHE = (
    "This profile points at no BuildKit cache.\n\n"
    "The Cache pane reads a BuildKit azblob cache: manifests/<name> and blobs/<digest> in a container.\n"
    "Point a profile at one with the keys of your --cache-to flag, e.g.\n\n"
    "    [profiles.ci-cache]\n"
    "    account_url = \"https://acme.blob.core.windows.net\"\n"
    "    container = \"buildkit-cache\"     # and prefix = \"…\" if you export with one\n"
    "    secret_access_key = \"env:CACHE_KEY\"\n\n"
    "or paste the whole flag: cache_spec = \"type=azblob,account_url=…,name=app\".\n"
    "Any storage profile with a container works too; press p to switch profiles."
)


@dataclass(frozen=True)
class Row:
    key: str
    cells: tuple[Text, ...]
    sort: dict = field(default_factory=dict, compare=False)   # sort key -> value


def is_cache_like(profile: Profile | None) -> bool:
    """A BuildKit cache profile, or any blob storage profile that names a container."""
    return profile is not None and (profile.kind == "buildkit-cache"
                                    or (profile.kind in CACHE_KINDS and bool(profile.container)))


def where(snapshot_or_profile) -> str:
    """`container/prefix` of a cache, for titles."""
    prefix = (snapshot_or_profile.prefix or "").strip("/")
    return f"{snapshot_or_profile.container}/{prefix}" if prefix else str(snapshot_or_profile.container)


def age(now: datetime, moment: datetime | None) -> str:
    """`45s`, `12m`, `5h`, `3d` (the largest whole unit); '' when unknown."""
    if moment is None:
        return ""
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _size_cell(size: int | None) -> Text:
    return Text(human_size(size) if size is not None else "missing", justify="right",
                style="" if size is not None else "bold red")


def name_rows(snapshot) -> list[Row]:
    rows = []
    for summary in snapshot.names():
        unreadable = not summary.manifest.readable
        name = plain(summary.name, "bold")
        if unreadable:
            name.append("  unreadable", "bold red")
        elif summary.missing:
            name.append(f"  {len(summary.missing)} missing", "bold red")
        rows.append(Row(
            f"n:{summary.name}",
            (name, Text("?" if unreadable else f"{len(summary.layers):,}", justify="right"),
             _size_cell(summary.bytes), _size_cell(summary.unique_bytes), _size_cell(summary.shared_bytes),
             plain(when(summary.last_export))),
            {"name": summary.name, "size": summary.bytes, "unique": summary.unique_bytes,
             "modified": summary.last_export or _OLDEST},
        ))
    return rows


def layer_rows(snapshot, name: str) -> list[Row]:
    """The layers of cache name `name`, in manifest order, with the other names sharing each."""
    manifest = next((m for m in snapshot.manifests if m.cache_name == name), None)
    if manifest is None:
        return []
    refs = snapshot.referenced_by()
    blobs = snapshot.blob_by_digest()
    rows = []
    for digest in manifest.layers or ():
        blob = blobs.get(digest)
        others = [n for n in refs.get(digest, ()) if n != name]
        shared = plain(", ".join(others)) if others else Text("only this name", style="dim")
        rows.append(Row(
            f"l:{digest}",
            (plain(digest), _size_cell(blob.size if blob else None), shared,
             plain(when(blob.last_modified) if blob else "")),
            {"name": digest, "size": blob.size if blob else -1, "unique": 0 if others else 1,
             "modified": (blob.last_modified if blob else None) or _OLDEST},
        ))
    return rows


def orphan_rows(snapshot, now: datetime) -> list[Row]:
    rows = []
    for blob in snapshot.orphans():
        name = plain(blob.digest)
        if not blob.is_digest:
            name.append("  not a digest", "bold yellow")
        rows.append(Row(
            f"o:{blob.blob_name}",
            (name, _size_cell(blob.size), Text(age(now, blob.last_modified), justify="right"),
             plain(when(blob.last_modified))),
            {"name": blob.digest, "size": blob.size, "unique": blob.size,
             "modified": blob.last_modified or _OLDEST},
        ))
    return rows


def anomaly_rows(snapshot) -> list[Row]:
    return [Row(f"a:{index}", (plain(a.kind, "bold red"), plain(a.subject), plain(a.detail)),
                {"name": a.subject, "size": 0, "unique": 0, "modified": _OLDEST})
            for index, a in enumerate(snapshot.anomalies)]


def sort_rows(rows: list[Row], key: str | None, descending: bool) -> list[Row]:
    if key is None:
        return rows
    return sorted(rows, key=lambda row: row.sort.get(key, 0), reverse=descending)


def summary(snapshot) -> Text:
    """`5 cache names · 14 blobs (350 KiB) · 1 orphan (18 KiB) · 0 anomalies`."""
    orphans = snapshot.orphans()
    text = Text.assemble(
        count(len(snapshot.manifests), "cache name"), " · ",
        count(len(snapshot.blobs), "blob"), f" ({human_size(sum(b.size for b in snapshot.blobs))}) · ",
        (count(len(orphans), "orphan"), "yellow" if orphans else ""),
        f" ({human_size(sum(b.size for b in orphans))}) · ",
        (count(len(snapshot.anomalies), "anomaly").replace("anomalys", "anomalies"),
         "bold red" if snapshot.anomalies else ""),
    )
    return text
