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
           "VersionId", "IsCurrentVersion", "Deleted", "hdi_isfolder"]


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

    def cells(self) -> list[str]:
        when = "2026-12-01T10:00:00.0000000Z"
        return [self.name, when, when, str(self.size), "BlockBlob", self.tier, self.snapshot, self.version,
                self.current, self.deleted, self.folder]


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
        writer.writerow(COLUMNS)
        for row in run.rows[index * per_chunk:(index + 1) * per_chunk]:
            writer.writerow(row.cells())
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
                           "format": run.format, "objectType": "blob", "schedule": "daily", "schemaFields": COLUMNS},
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
