"""Blob Inventory runs written the way Azure writes them (see aztui/blobs/inventory.py and
docs/formats/blob-inventory.md): `YYYY/MM/DD/HH-MM-SS/<rule>/` with the CSV report files,
`<rule>-manifest.json` and `<rule>-manifest.checksum`."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

COLUMNS = ["Name", "Creation-Time", "Last-Modified", "Content-Length", "BlobType", "AccessTier", "Snapshot",
           "VersionId", "IsCurrentVersion", "Deleted", "hdi_isfolder", "Etag"]


@dataclass
class Row:
    name: str                 # <container>/<blob path>
    size: int
    tier: str = "Hot"
    snapshot: str = ""
    version: str = ""
    current: str = ""
    deleted: str = ""
    folder: str = ""          # "true": an ADLS Gen2 directory (hierarchical namespace accounts)
    last_modified: str = "2026-12-01T10:00:00.0000000Z"
    etag: str = ""            # as Azure writes it: 0x8D..., no quotes

    def cells(self) -> list[str]:
        return [self.name, self.last_modified, self.last_modified, str(self.size), "BlockBlob", self.tier,
                self.snapshot, self.version, self.current, self.deleted, self.folder, self.etag]


def report_time(moment) -> str:
    """A time as the report writes it: ISO 8601 UTC with seven fractional digits."""
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond:06d}0Z"


def row_of(container: str, blob) -> Row:
    """The report row of a listed blob (`BlobInfo`), as a run taken now would write it."""
    return Row(f"{container}/{blob.name}", blob.size, blob.tier or "Hot",
               last_modified=report_time(blob.last_modified), etag=blob.etag.strip('"'))


@dataclass
class Run:
    rule: str
    start: datetime
    rows: list[Row]
    status: str = "Succeeded"
    chunks: int = 1
    line_end: str = "\r\n"
    format: str = "csv"
    prefix_match: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=lambda: list(COLUMNS))   # schemaFields: a subset of COLUMNS

    @property
    def folder(self) -> str:
        return f"{self.start:%Y/%m/%d/%H-%M-%S}/{self.rule}"

    @property
    def completed(self) -> str:
        return f"{self.start + timedelta(minutes=10):%Y-%m-%dT%H:%M:%SZ}"


def report_files(run: Run) -> dict[str, bytes]:
    """Every file of `run`: CSV chunks (each with its header row), the manifest, its checksum."""
    files: dict[str, bytes] = {}
    per_chunk = -(-len(run.rows) // run.chunks) if run.rows else 0
    names = []
    for index in range(run.chunks):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator=run.line_end)
        keep = [COLUMNS.index(c) for c in run.columns]
        writer.writerow(run.columns)
        for row in run.rows[index * per_chunk:(index + 1) * per_chunk]:
            cells = row.cells()
            writer.writerow([cells[i] for i in keep])
        name = f"{run.folder}/{run.rule}" + (f"_{index + 1}" if run.chunks > 1 else "") + ".csv"
        files[name] = out.getvalue().encode()
        names.append(name)
    manifest = {
        "destinationContainer": "inventory", "endpoint": "https://testaccount.blob.core.windows.net",
        "files": [{"blob": n, "size": len(files[n])} for n in names],
        "inventoryCompletionTime": run.completed,
        "inventoryStartTime": f"{run.start:%Y-%m-%dT%H:%M:%SZ}",
        "ruleDefinition": {"filters": {"blobTypes": ["blockBlob"], "includeBlobVersions": True,
                                       "includeSnapshots": True, "prefixMatch": run.prefix_match},
                           "format": run.format, "objectType": "blob", "schedule": "daily",
                           "schemaFields": run.columns},
        "ruleName": run.rule, "status": run.status,
        "summary": {"objectCount": len(run.rows), "totalObjectSize": sum(r.size for r in run.rows)},
        "version": "1.0",
    }
    text = json.dumps(manifest, indent=2).encode()
    files[f"{run.folder}/{run.rule}-manifest.json"] = text
    if run.status != "Pending":
        files[f"{run.folder}/{run.rule}-manifest.checksum"] = hashlib.md5(text).hexdigest().encode()
    return files


async def write_run(store, container: str, run: Run) -> None:
    for name, data in report_files(run).items():
        await store.upload_blob(container, name, data, overwrite=True)
