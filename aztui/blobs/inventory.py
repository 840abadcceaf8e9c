"""Folder sizes from an Azure Blob Inventory report instead of a listing: 10^8 blobs in the time of a download.

    run = await newest_run(store, "inventory", rule="daily")        # the newest *successful* run
    usage = await usage_from_inventory(store, run, "backups", "2026/")

What Azure writes (https://learn.microsoft.com/azure/storage/blobs/blob-inventory, "Inventory
output"; docs/formats/blob-inventory.md): for each run of each rule, in the rule's destination
container, `YYYY/MM/DD/HH-MM-SS/<rule>/` (the run's start time) holds `<rule>-manifest.json`,
`<rule>-manifest.checksum` (written last) and the report files the manifest lists under
`files[].blob` (several for a big account). The manifest has `status` (`Pending` until the run
ends, then `Succeeded`, `PartiallySucceeded` or `Failed`), `ruleName`, `inventoryStartTime`,
`inventoryCompletionTime`, `ruleDefinition` (`format` csv|parquet, `objectType` blob|container,
`filters.prefixMatch`, `schemaFields`) and `summary`. A CSV report's first row names its columns
(`Name` is `<container>/<blob path>`, `Content-Length`, `AccessTier`, ...); names with commas,
quotes or line breaks are quoted the RFC 4180 way. Rows of snapshots, old versions, deleted blobs
and directories (`hdi_isfolder`) are left out, so the totals are those of a live `du`.
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, AsyncIterator, Iterable

from aztui.blobs.usage import NO_TIER, Usage
from aztui.errors import AztuiError, NotFoundError
from aztui.exit_codes import EXIT_BAD_INPUT

if TYPE_CHECKING:
    from aztui.azure.blobs import BlobStore

# YYYY/MM/DD/HH-MM-SS/<rule>/<rule>-manifest.json, as the service names it
MANIFEST = re.compile(r"^(\d{4})/(\d\d)/(\d\d)/(\d\d)-(\d\d)-(\d\d)/([^/]+)/([^/]+)-manifest\.json$")
SUCCEEDED = "Succeeded"


class InventoryError(AztuiError):
    title = "Inventory not usable"


def parse_inventory_arg(text: str) -> tuple[str, str | None]:
    """`--inventory INVENTORY_CONTAINER[/RULE]` -> (container, rule or None)."""
    container, _, rule = text.strip("/").partition("/")
    if not container or "/" in rule:
        error = InventoryError(f"--inventory {text!r} is not INVENTORY_CONTAINER or INVENTORY_CONTAINER/RULE",
                               hint="e.g. --inventory inventory/daily-blobs")
        error.exit_code = EXIT_BAD_INPUT
        raise error
    return container, rule or None


@dataclass(frozen=True)
class InventoryRun:
    container: str                 # the destination container
    manifest: str                  # path of <rule>-manifest.json in it
    rule: str
    started: str                   # inventoryStartTime (UTC text, as written)
    completed: str                 # inventoryCompletionTime
    files: tuple[str, ...]         # report files, in the manifest's order
    format: str                    # "csv" or "parquet"
    object_type: str               # "blob" or "container"
    prefix_match: tuple[str, ...]  # the rule's filters.prefixMatch ("" entries: everything)
    object_count: int | None       # summary.objectCount


def _run(container: str, manifest: str, data: dict) -> InventoryRun:
    rule_def = data.get("ruleDefinition") or {}
    filters = rule_def.get("filters") or {}
    summary = data.get("summary") or {}
    return InventoryRun(
        container=container, manifest=manifest, rule=str(data.get("ruleName") or ""),
        started=str(data.get("inventoryStartTime") or ""), completed=str(data.get("inventoryCompletionTime") or ""),
        files=tuple(str(f["blob"]) for f in data.get("files") or () if isinstance(f, dict) and f.get("blob")),
        format=str(rule_def.get("format") or "csv").lower(), object_type=str(rule_def.get("objectType") or "blob"),
        prefix_match=tuple(str(p) for p in filters.get("prefixMatch") or ()),
        object_count=summary.get("objectCount") if isinstance(summary.get("objectCount"), int) else None)


async def newest_run(store: "BlobStore", container: str, rule: str | None = None) -> InventoryRun:
    """The newest run (of `rule`, when given) whose manifest says `Succeeded`.

    Runs are ordered by the start time in their folder name; pending, failed and partly succeeded
    runs are passed over. Raises `InventoryError` when there is none, saying what was found.
    """
    candidates = []
    continuation = None
    while True:
        page = await store.list_page(container, "", recursive=True, page_size=5000, continuation=continuation)
        for item in page.items:
            match = MANIFEST.match(getattr(item, "name", ""))
            if match and match[7] == match[8] and (rule is None or match[7] == rule):
                candidates.append((match.groups()[:6], item.name))
        if (continuation := page.continuation) is None:
            break
    if not candidates:
        where = f"rule {rule!r} in " if rule else ""
        raise InventoryError(f"no inventory run of {where}container {container!r}",
                             hint="name the container an inventory rule writes to (its destination), "
                                  "and the rule as CONTAINER/RULE if it has several")
    seen = []
    for _, name in sorted(candidates, reverse=True):
        data, _info = await store.read_blob_as_is(container, name)
        try:
            manifest = json.loads(data)
        except ValueError:
            seen.append(f"{name}: not JSON")
            continue
        status = manifest.get("status") if isinstance(manifest, dict) else None
        if status == SUCCEEDED:
            return _run(container, name, manifest)
        seen.append(f"{name}: {status}")
    raise InventoryError(f"no successful inventory run in {container!r} "
                         f"({len(seen)} runs: " + "; ".join(seen[:3]) + ("; ..." if len(seen) > 3 else "") + ")",
                         hint="wait for a run to succeed, or measure with a live `aztui blobs du` (no --inventory)")


def covers(run: InventoryRun, container: str, prefix: str) -> bool:
    """Whether the rule's prefix filter takes in every blob of container/prefix."""
    where = f"{container}/{prefix}"
    return not run.prefix_match or any(where.startswith(p) for p in run.prefix_match)


def check_readable(run: InventoryRun, container: str, prefix: str, *,
                   instead: str = "measure with a live `aztui blobs du`") -> None:
    """Refuse (InventoryError) a run aztui cannot read for container/prefix: a container-level rule,
    Parquet reports, or a rule whose prefixMatch leaves out part of the folder. `instead`: the hint."""
    if run.object_type != "blob":
        raise InventoryError(f"rule {run.rule!r} inventories {run.object_type}s, not blobs",
                             hint="use a rule whose objectType is blob")
    if run.format != "csv":
        raise InventoryError(f"rule {run.rule!r} writes {run.format} reports; aztui reads CSV ones",
                             hint=f"add a rule with format csv, or {instead}")
    if not covers(run, container, prefix):
        raise InventoryError(f"rule {run.rule!r} covers only {', '.join(run.prefix_match)}, "
                             f"not all of {container}/{prefix}",
                             hint=f"use a rule whose prefixMatch takes in this folder, or {instead}")


async def iter_rows(store: "BlobStore", run: InventoryRun, *,
                    needed: tuple[str, ...] = ()) -> AsyncIterator["InventoryRow"]:
    """Every row of a current, live blob or directory in `run`'s report files, streamed, in report
    order (duplicates included). `needed`: columns beyond Name and Content-Length the caller relies on."""
    for path in run.files:
        async for row in _rows(store, run.container, path, needed):
            yield row


def parse_report_time(text: str) -> datetime | None:
    """A report's time field (`2026-12-01T10:00:00.1234567Z`, or an RFC 1123 date) in UTC; None if blank
    or unreadable (seven fractional digits are cut to Python's six)."""
    text = text.strip()
    if not text:
        return None
    iso = re.sub(r"(\.\d{6})\d+", r"\1", text).replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        try:
            moment = datetime.strptime(text, "%a, %d %b %Y %H:%M:%S GMT")
        except ValueError:
            return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


PROGRESS_ROWS = 10_000  # usage_from_inventory reports progress after every this many rows
# report files read at once: one file's download overlaps another's parsing (bench/inventory_rows.py:
# 1.24x over 1,000,000 rows in 4 files behind a 20 ms proxy). Each download in flight holds the SDK's
# first GET (up to 32 MiB): peak RSS 170 MB one at a time, 205 MB two, ~264 MB four.
FILE_CONCURRENCY = 2


async def usage_from_inventory(store: "BlobStore", run: InventoryRun, container: str, prefix: str = "", *,
                               progress=None, folders=None, concurrency: int = FILE_CONCURRENCY) -> Usage:
    """The same totals as `measure_usage(store, container, prefix)`, read from `run`'s reports
    (and, with `folders`, the same `FolderTree` breakdown), up to `concurrency` files at once.

    `progress(usage, rows)`, if given, is called every PROGRESS_ROWS report rows read (of any
    container or folder) and after each report file, with the totals so far (`complete=False`)."""
    check_readable(run, container, prefix)
    wanted = f"{container}/{prefix}"
    blobs = total = directories = rows = 0
    by_tier: dict[str, int] = {}

    def report() -> None:
        progress(Usage(container, prefix, blobs, total, dict(by_tier), complete=False,
                       directories=directories), rows)

    async def read(path: str) -> None:
        nonlocal blobs, total, directories, rows
        async with gate:
            async for row in _rows(store, run.container, path):
                rows += 1
                if progress and rows % PROGRESS_ROWS == 0:
                    report()
                if row.name.startswith(wanted) and row.directory:
                    directories += 1
                elif row.name.startswith(wanted):
                    blobs += 1
                    total += row.size
                    by_tier[row.tier] = by_tier.get(row.tier, 0) + row.size
                    if folders is not None:
                        folders.add(row.name[len(container) + 1:], row.size, row.tier)
            if progress:
                report()

    gate = asyncio.Semaphore(max(1, concurrency))
    try:
        async with asyncio.TaskGroup() as group:
            for path in run.files:
                group.create_task(read(path))
    except BaseExceptionGroup as failures:
        raise failures.exceptions[0] from None  # InventoryError, Azure errors: the first that failed
    return Usage(container, prefix, blobs, total, by_tier, directories=directories)


@dataclass(frozen=True)
class InventoryRow:
    name: str                # <container>/<blob path>
    size: int
    tier: str
    directory: bool = False  # an ADLS Gen2 directory (hdi_isfolder): counted apart, as live du does
    last_modified: str = ""  # the Last-Modified column as written ("" when the rule leaves it out)
    etag: str = ""           # the Etag column as written (Azure writes it without quotes)


_Row = InventoryRow  # the name bench/inventory_rows.py knows
_COLUMN_HINT = "add Name, Content-Length{more} to the rule's schemaFields"


async def _rows(store: "BlobStore", container: str, path: str,
                needed: tuple[str, ...] = ()) -> AsyncIterator[InventoryRow]:
    """The live blobs of one CSV report, streamed: the file is never held whole."""
    columns: dict[str, int] | None = None
    try:
        async for records in _csv_records(store.iter_chunks(container, path)):
            for record in records:
                if columns is None:
                    columns = {name.strip(): i for i, name in enumerate(record)}
                    for column in ("Name", "Content-Length", *needed):
                        if column not in columns:
                            more = "".join(f", {c}" for c in needed)
                            raise InventoryError(f"report {container}/{path} has no {column!r} column "
                                                 f"(its columns: {', '.join(columns)})",
                                                 hint=_COLUMN_HINT.format(more=more))
                    continue
                if not record:
                    continue
                row = _live_row(record, columns)
                if row is not None:
                    yield row
    except NotFoundError:
        raise InventoryError(f"report file {container}/{path} listed in the manifest is gone",
                             hint="the run was cleaned up; use a newer one") from None
    except (csv.Error, ValueError, IndexError) as exc:
        raise InventoryError(f"report {container}/{path} is not a CSV aztui can read: {exc}",
                             hint="check the rule's format, or measure with a live `aztui blobs du`") from None


_FALSE = ("", "false", "False", "FALSE")


def _live_row(record: list[str], columns: dict[str, int]) -> InventoryRow | None:
    """A row of a current, live blob or directory; None for a snapshot, old version or deleted blob."""
    def get(name: str) -> str:
        index = columns.get(name)
        return record[index] if index is not None and index < len(record) else ""

    if get("Snapshot") or get("Deleted") not in _FALSE:
        return None
    if "IsCurrentVersion" in columns and get("VersionId") and get("IsCurrentVersion") in _FALSE:
        return None
    size = get("Content-Length")
    return InventoryRow(record[columns["Name"]], int(size) if size else 0, get("AccessTier") or NO_TIER,
                        directory=get("hdi_isfolder") not in _FALSE, last_modified=get("Last-Modified"),
                        etag=get("Etag"))


PARSE_SLICE = 4 << 20  # bytes decoded and split at a time (a 27 MiB chunk at once: 111 MiB allocated, sliced: 16)


async def _csv_records(chunks: AsyncIterator[bytes]) -> AsyncIterator[Iterable[list[str]]]:
    """CSV records from byte chunks, a batch per chunk: a record that spans chunks (even one whose
    quoted field holds a line break) is handed over whole, once its end has arrived."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    async for chunk in chunks:
        for start in range(0, len(chunk), PARSE_SLICE):  # the SDK's first chunk can be 32 MiB
            pending += decoder.decode(chunk[start:start + PARSE_SLICE])
            cut = _last_record_end(pending)
            if cut:
                text, pending = pending[:cut], pending[cut:]
                yield csv.reader(_lines(text), strict=True)
    pending += decoder.decode(b"", final=True)
    if pending:
        yield csv.reader(_lines(pending), strict=True)


def _last_record_end(text: str) -> int:
    """Where the last complete record ends (after its '\\n'), 0 when none has: a '\\n' ends a
    record when the quotes before it pair up (RFC 4180 doubles a quote inside a quoted field)."""
    end = text.rfind("\n")
    while end >= 0:
        if text.count('"', 0, end) % 2 == 0:
            return end + 1
        end = text.rfind("\n", 0, end)
    return 0


def _lines(text: str) -> list[str]:
    """Lines ending at '\\n' only (str.splitlines would also cut at other line breaks in a name)."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
