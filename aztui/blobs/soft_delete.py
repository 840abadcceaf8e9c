"""Blob soft delete: how long deleted blobs stay recoverable, and undeleting them.

    days = await store.delete_retention_days()        # 7, 0 (soft delete off), None (unknown)
    recoverable_text(days)                             # what every delete plan says about it
    plan = await plan_undelete(store, "backups", prefixes=["2024/"])  # the soft-deleted blobs now
    report = await execute_undelete(store, plan)       # exactly those, journalled

Undeleting is a change like any other: planned (the soft-deleted blobs listed with
include=deleted), reviewed, confirmed, executed blob by blob with a journal (JSON lines,
owner-only), and refused for read-only profiles before any request. No Textual here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Literal

from aztui.blobs.executor import PlanTotals, journal_header, refuse_unless_executable, run_plan
from aztui.errors import AztuiError, NotFoundError, ReadOnlyError

if TYPE_CHECKING:
    from aztui.azure.blobs import BlobStore


def recoverable_text(days: int | None) -> str:
    """One line for a delete plan: for how long what it deletes can be undeleted."""
    if days is None:
        return "Soft delete: unknown (the profile may not read the account's service properties)."
    if days == 0:
        return "Soft delete is off: deleted blobs cannot be recovered."
    return f"Soft delete is on: deleted blobs stay recoverable for {days} day{'s' if days != 1 else ''}."


@dataclass(frozen=True)
class PlannedUndelete:
    name: str
    size: int
    deleted_on: datetime | None
    remaining_days: int | None


@dataclass(frozen=True)
class UndeletePlan(PlanTotals):
    profile: str
    container: str
    items: tuple[PlannedUndelete, ...]
    created_at: datetime

    def checksum(self) -> str:
        body = json.dumps([self.profile, self.container, [[i.name, i.size] for i in self.items]],
                          separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(body.encode()).hexdigest()

    def as_json(self) -> dict:
        return {"format": "aztui-undelete-plan/1", "profile": self.profile, "container": self.container,
                "created_at": self.created_at.isoformat(), "count": self.count, "bytes": self.bytes,
                "checksum": self.checksum(),
                "items": [{"name": i.name, "size": i.size,
                           "deleted_on": i.deleted_on.isoformat() if i.deleted_on else None,
                           "remaining_days": i.remaining_days} for i in self.items]}


def _folder(prefix: str) -> str:
    return prefix if prefix.endswith("/") else prefix + "/"


async def _deleted_under(store: "BlobStore", container: str, prefix: str) -> list:
    found, continuation = [], None
    while True:
        page = await store.list_page(container, prefix, recursive=True, page_size=5000,
                                     continuation=continuation, include_deleted=True)
        found += [blob for blob in page.items if blob.deleted]
        if (continuation := page.continuation) is None:
            return found


async def plan_undelete(store: "BlobStore", container: str, *, names: Iterable[str] = (),
                        prefixes: Iterable[str] = ()) -> UndeletePlan:
    """The soft-deleted blobs to restore: `names` exactly (one that is not soft-deleted is a
    `NotFoundError` naming it), every soft-deleted blob under each of `prefixes` (folders)."""
    planned: dict[str, PlannedUndelete] = {}

    def add(blob) -> None:
        planned[blob.name] = PlannedUndelete(blob.name, blob.size, blob.deleted_on, blob.remaining_days)

    for prefix in prefixes:
        if not prefix.strip("/"):
            raise AztuiError("an empty folder would plan every deleted blob of the container",
                             title="Refused", hint="name the virtual folder to undelete")
        for blob in await _deleted_under(store, container, _folder(prefix)):
            add(blob)
    for name in dict.fromkeys(names):
        if name in planned:
            continue
        match = [blob for blob in await _deleted_under(store, container, name) if blob.name == name]
        if not match:
            raise NotFoundError(f"there is no soft-deleted blob {name!r} in container {container!r}",
                                hint="its retention may have run out, or it was never deleted; "
                                     "list deleted blobs with D in the Containers pane")
        add(match[0])
    items = tuple(sorted(planned.values(), key=lambda item: item.name))
    return UndeletePlan(store.profile.name, container, items, datetime.now(timezone.utc))


UndeleteStatus = Literal["undeleted", "missing", "failed"]


@dataclass
class UndeleteOutcome:
    name: str
    status: UndeleteStatus
    detail: str = ""


@dataclass
class UndeleteReport:
    plan: UndeletePlan
    outcomes: list[UndeleteOutcome] = field(default_factory=list)
    journal: Path | None = None

    def _with(self, status: str) -> list[UndeleteOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def undeleted(self) -> list[UndeleteOutcome]:
        return self._with("undeleted")

    @property
    def missing(self) -> list[UndeleteOutcome]:
        return self._with("missing")

    @property
    def failed(self) -> list[UndeleteOutcome]:
        return self._with("failed")


def default_journal_path(plan: UndeletePlan) -> Path:
    """<user state dir>/aztui/journals/<time>-<profile>-<container>-undelete-<checksum>.jsonl"""
    from aztui.locations import file_safe, plan_journal

    return plan_journal(file_safe(plan.profile), plan.container, "undelete", checksum=plan.checksum())


async def execute_undelete(store: "BlobStore", plan: UndeletePlan, *, journal: Path | None = None,
                           concurrency: int = 16,
                           progress: Callable[[UndeleteOutcome], None] | None = None) -> UndeleteReport:
    """Undelete exactly the planned blobs: undeleted; missing (nothing left to restore); failed.

    A plan made for another profile, or a read-only profile, is refused before any request."""
    refuse_unless_executable(plan, store, "undeletes nothing with it")
    report = UndeleteReport(plan)
    if plan.items:
        await run_plan(plan.items, partial(_undelete_one, store, plan.container), report=report,
                       journal=Path(journal) if journal else default_journal_path(plan),
                       header=journal_header("aztui-undelete", plan), concurrency=concurrency, progress=progress)
    return report


async def _undelete_one(store: "BlobStore", container: str, item: PlannedUndelete) -> UndeleteOutcome:
    try:
        status = await store.undelete_blob(container, item.name)
    except ReadOnlyError:
        raise
    except AztuiError as error:
        return UndeleteOutcome(item.name, "failed", error.render())
    return UndeleteOutcome(item.name, status, "" if status == "undeleted" else "nothing to restore")
