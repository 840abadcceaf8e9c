"""Deleting blobs safely: a pure plan, then an executor that deletes exactly the plan.

    plan = await plan_delete(store, "backups", prefixes=["2024/"])   # reads sizes and ETags now
    ... show plan.count, plan.bytes; confirm ...
    report = await execute_delete(store, plan)

Every delete is guarded by the ETag read at planning time (If-Match): a blob rewritten since
is skipped and reported, a blob added under a planned folder since is never touched. Files go in
Blob Batch requests of up to 256 deletes (one at a time where the account takes no batches). Plans
save to JSON with a checksum, so a reviewed plan file cannot be edited and then executed.
Each execution writes a journal (JSON lines, owner-only) of what happened to every blob.

ADLS Gen2 accounts (hierarchical namespace) keep each directory as a zero-length marker blob
(`hdi_isfolder=true`). A planned folder's directories are planned too (`directory=True`) and
deleted after every file, deepest first, each only while empty (see
`BlobStore.delete_directory_if_unchanged`); one that cannot go is left in place and reported
(`directory_left`), which does not fail the run: the files, what was asked for, are gone.
No Textual here: the TUI and the headless `aztui blobs rm` both drive these functions.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Literal

from aztui.blobs.executor import each, refuse_unless_executable
from aztui.errors import AztuiError, NotFoundError, ReadOnlyError
from aztui.exit_codes import EXIT_BAD_INPUT
from aztui.journal import Journal, utc_now

if TYPE_CHECKING:
    from aztui.azure.blobs import BlobStore

PLAN_FORMAT = "aztui-delete-plan/1"


class PlanFileError(AztuiError):
    title = "Invalid plan file"
    exit_code = EXIT_BAD_INPUT


@dataclass(frozen=True)
class PlannedDelete:
    name: str
    size: int
    etag: str  # as read when planning; the delete only happens while the blob still has it
    directory: bool = False  # a directory marker (hierarchical namespace): deleted after the files

    def checksum_row(self) -> list:
        return [self.name, self.size, self.etag] + ([True] if self.directory else [])


@dataclass(frozen=True)
class DeletePlan:
    profile: str
    container: str
    items: tuple[PlannedDelete, ...]
    created_at: datetime
    # days deleted blobs stay recoverable (soft delete): 0 off, None unknown; not in the checksum
    recoverable_days: int | None = None

    @property
    def files(self) -> tuple[PlannedDelete, ...]:
        return tuple(item for item in self.items if not item.directory)

    @property
    def count(self) -> int:
        """Blobs to delete, directories not counted (as `du` counts)."""
        return sum(not item.directory for item in self.items)

    @property
    def directories(self) -> int:
        return sum(item.directory for item in self.items)

    @property
    def bytes(self) -> int:
        return sum(item.size for item in self.items)

    def checksum(self) -> str:
        """sha256 over profile, container and every item: what a saved plan must still match."""
        body = json.dumps([self.profile, self.container, [i.checksum_row() for i in self.items]],
                          separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(body.encode()).hexdigest()

    def to_json(self) -> str:
        return json.dumps({
            "format": PLAN_FORMAT, "profile": self.profile, "container": self.container,
            "created_at": self.created_at.isoformat(), "count": self.count, "bytes": self.bytes,
            "directories": self.directories, "recoverable_days": self.recoverable_days,
            "checksum": self.checksum(),
            "items": [{"name": i.name, "size": i.size, "etag": i.etag} | ({"directory": True} if i.directory else {})
                      for i in self.items],
        }, indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "DeletePlan":
        """A saved plan; a malformed file or one edited since it was saved is refused."""
        hint = "make a new plan with `aztui blobs rm ... --plan-file F`"
        try:
            data = json.loads(text)
            if data.get("format") != PLAN_FORMAT:
                raise ValueError(f"format is {data.get('format')!r}, expected {PLAN_FORMAT!r}")
            plan = cls(
                profile=_string(data["profile"]), container=_string(data["container"]),
                items=tuple(PlannedDelete(_string(i["name"]), _count(i["size"]), _string(i["etag"]),
                                          _flag(i.get("directory", False)))
                            for i in data["items"]),
                created_at=datetime.fromisoformat(data["created_at"]),
                recoverable_days=data.get("recoverable_days"),
            )
            if plan.recoverable_days is not None:
                _count(plan.recoverable_days)
            expected = data["checksum"]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise PlanFileError(f"the plan file cannot be read: {_reason(exc)}", hint=hint) from None
        if plan.checksum() != expected:
            raise PlanFileError("the plan file was changed after it was made (checksum mismatch)",
                                hint=hint)
        return plan


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {value!r}")
    return value


def _count(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError(f"expected a size in bytes, got {value!r}")
    return value


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def _reason(exc: Exception) -> str:
    return f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)


def _folder(prefix: str) -> str:
    return prefix if prefix.endswith("/") else prefix + "/"


async def plan_delete(store: "BlobStore", container: str, *, names: Iterable[str] = (),
                      prefixes: Iterable[str] = ()) -> DeletePlan:
    """The blobs to delete, with the size and ETag each has now.

    `names` are exact blob names (a missing one is a `NotFoundError` naming it); `prefixes` are
    virtual folders ("raw" means "raw/"), every blob under them listed now. On a
    hierarchical-namespace account the folders' directories are planned too, the folder's own
    included (`raw` itself), as `directory=True` items.
    """
    planned: dict[str, PlannedDelete] = {}
    for prefix in prefixes:
        if not prefix.strip("/"):
            raise AztuiError("an empty folder would plan every blob of the container",
                             title="Refused", hint="name the virtual folder to delete")
        continuation = None
        while True:
            page = await store.list_page(container, _folder(prefix), recursive=True, page_size=5000,
                                         continuation=continuation)
            for blob in page.items:
                planned[blob.name] = _planned(blob)
            if (continuation := page.continuation) is None:
                break
        own = await _directory_marker(store, container, _folder(prefix).rstrip("/"))
        if own is not None:
            planned[own.name] = own
    for name in dict.fromkeys(names):
        if name in planned:
            continue
        try:
            blob = await store.get_blob(container, name)
        except NotFoundError:
            raise NotFoundError(f"there is no blob {name!r} in container {container!r}",
                                hint="check the name; plan folders with prefixes") from None
        planned[name] = _planned(blob)
    items = tuple(sorted(planned.values(), key=lambda item: item.name))
    return DeletePlan(store.profile.name, container, items, datetime.now(timezone.utc),
                      recoverable_days=await store.delete_retention_days())


def _planned(blob) -> PlannedDelete:
    return PlannedDelete(blob.name, blob.size, blob.etag, directory=blob.is_directory)


async def _directory_marker(store: "BlobStore", container: str, name: str) -> PlannedDelete | None:
    """The directory `name` itself, where it is a directory marker (hierarchical namespace)."""
    try:
        blob = await store.get_blob(container, name)
    except NotFoundError:
        return None
    return _planned(blob) if blob.is_directory else None


DeleteStatus = Literal["deleted", "skipped_changed", "missing", "failed", "directory_left"]


@dataclass
class DeleteOutcome:
    name: str
    status: DeleteStatus
    detail: str = ""


@dataclass
class DeleteReport:
    plan: DeletePlan
    outcomes: list[DeleteOutcome] = field(default_factory=list)
    journal: Path | None = None

    def _with(self, status: str) -> list[DeleteOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def deleted(self) -> list[DeleteOutcome]:
        return self._with("deleted")

    @property
    def skipped(self) -> list[DeleteOutcome]:
        return self._with("skipped_changed")

    @property
    def missing(self) -> list[DeleteOutcome]:
        return self._with("missing")

    @property
    def failed(self) -> list[DeleteOutcome]:
        return self._with("failed")

    @property
    def directories_left(self) -> list[DeleteOutcome]:
        """Directories (hierarchical namespace) left in place: not a failure, the files are gone."""
        return self._with("directory_left")

    def files_with(self, status: str) -> list[DeleteOutcome]:
        directories = {item.name for item in self.plan.items if item.directory}
        return [o for o in self._with(status) if o.name not in directories]

    @property
    def bytes_deleted(self) -> int:
        sizes = {item.name: item.size for item in self.plan.items}
        return sum(sizes[o.name] for o in self.deleted)


def default_journal_path(plan: DeletePlan) -> Path:
    """<user state dir>/aztui/journals/<time>-<profile>-<container>-<checksum>.jsonl"""
    from aztui.locations import file_safe, plan_journal

    return plan_journal(file_safe(plan.profile), plan.container, checksum=plan.checksum())




async def execute_delete(store: "BlobStore", plan: DeletePlan, *, journal: Path | None = None,
                         concurrency: int = 16,
                         progress: Callable[[DeleteOutcome], None] | None = None) -> DeleteReport:
    """Delete exactly the planned blobs, each only while its ETag is the planned one.

    Outcomes: deleted; skipped_changed (rewritten since the plan); missing (already gone);
    failed (any other error, with its mapped message). Files are deleted in batches (see
    `_delete_files`); `concurrency` bounds the single deletes and look-ups. `journal` defaults to
    `default_journal_path(plan)`. A plan made for another profile, or a read-only profile,
    is refused before any request.
    """
    refuse_unless_executable(plan, store, "deletes nothing with it")
    report = DeleteReport(plan)
    if not plan.items:
        return report
    header = {"journal": "aztui-delete", "plan_checksum": plan.checksum(), "profile": plan.profile,
              "container": plan.container, "count": plan.count, "bytes": plan.bytes, "started_at": utc_now()}
    if plan.directories:
        header["directories"] = plan.directories
    log = Journal(Path(journal) if journal else default_journal_path(plan), header)
    report.journal = log.path

    def record_all(outcomes: list[DeleteOutcome]) -> None:
        report.outcomes.extend(outcomes)
        log.record_many([{"name": o.name, "status": o.status, "detail": o.detail} for o in outcomes])
        if progress:
            for outcome in outcomes:
                progress(outcome)

    async def directory(item: PlannedDelete) -> None:
        record_all([await _delete_directory(store, plan.container, item, report)])

    try:
        await _delete_files(store, plan.container, plan.files, record_all, concurrency)
        # then the directories, deepest first: a directory goes only once it is empty
        for depth in sorted({_depth(i) for i in plan.items if i.directory}, reverse=True):
            await each([i for i in plan.items if i.directory and _depth(i) == depth], directory, concurrency)
    finally:
        log.close()
    return report


BATCH_SIZE = 256        # deletes per Blob Batch request (the service's limit)
BATCHES_IN_FLIGHT = 4


async def _delete_files(store: "BlobStore", container: str, files: tuple[PlannedDelete, ...],
                        record_all: Callable[[list[DeleteOutcome]], None], concurrency: int) -> None:
    """The planned files in Blob Batch requests of up to BATCH_SIZE guarded deletes, a few in flight;
    each batch's outcomes recorded together.

    A batch request that fails as a whole (an account without batch support, such as ADLS Gen2; an
    endpoint that refuses it) is done one delete at a time, `concurrency` at once, and so is every
    later batch; so is a sub-request answered with anything but deleted, gone or changed, or not
    answered at all, so its outcome and message are those of a single delete. Every delete, in a
    batch or alone, is guarded by the planned ETag.
    """
    batches_work = True

    async def singly(items: list[PlannedDelete]) -> dict[str, DeleteOutcome]:
        done: dict[str, DeleteOutcome] = {}

        async def one(item: PlannedDelete) -> None:
            done[item.name] = await _delete_one(store, container, item)

        await each(items, one, concurrency)
        return done

    async def batch(items: list[PlannedDelete]) -> None:
        nonlocal batches_work
        answers = []
        if batches_work:
            try:
                answers = await store.delete_batch_if_unchanged(container, [(i.name, i.etag) for i in items])
            except ReadOnlyError:
                raise
            except AztuiError:
                batches_work = False
        outcomes: dict[str, DeleteOutcome] = {}
        changed_or_gone = []
        for item, answer in zip(items, answers, strict=False):
            if answer.status in (200, 202):
                outcomes[item.name] = DeleteOutcome(item.name, "deleted")
            elif answer.status == 404:
                outcomes[item.name] = DeleteOutcome(item.name, "missing", "the blob was already gone")
            elif answer.status == 412:  # If-Match also fails on a blob that is gone: tell the two apart
                changed_or_gone.append(item)
        for name, outcome in (await _changed_or_gone(store, container, changed_or_gone, concurrency)).items():
            outcomes[name] = outcome
        outcomes |= await singly([i for i in items if i.name not in outcomes])
        record_all([outcomes[i.name] for i in items])

    gate = asyncio.Semaphore(BATCHES_IN_FLIGHT)

    async def gated(items: list[PlannedDelete]) -> None:
        async with gate:
            await batch(items)

    try:
        async with asyncio.TaskGroup() as group:
            for start in range(0, len(files), BATCH_SIZE):
                group.create_task(gated(list(files[start:start + BATCH_SIZE])))
    except BaseExceptionGroup as group_error:
        raise group_error.exceptions[0] from None  # ReadOnlyError from the transport, cancellation, bugs


async def _changed_or_gone(store: "BlobStore", container: str, items: list[PlannedDelete],
                           concurrency: int) -> dict[str, DeleteOutcome]:
    """Outcomes of batch deletes answered 412: the blob is there with another ETag, or gone."""
    found: dict[str, DeleteOutcome] = {}

    async def look(item: PlannedDelete) -> None:
        try:
            await store.get_blob(container, item.name)
        except NotFoundError:
            found[item.name] = DeleteOutcome(item.name, "missing", "the blob was already gone")
        except ReadOnlyError:
            raise
        except AztuiError as error:
            found[item.name] = DeleteOutcome(item.name, "failed", error.render())
        else:
            found[item.name] = DeleteOutcome(item.name, "skipped_changed", "the blob changed after the plan was made")

    await each(items, look, concurrency)
    return found


def _depth(item: PlannedDelete) -> int:
    return item.name.rstrip("/").count("/")


async def _delete_directory(store: "BlobStore", container: str, item: PlannedDelete,
                            report: DeleteReport) -> DeleteOutcome:
    """A planned directory: deleted once empty, else left in place and reported (never "failed")."""
    inside = item.name.rstrip("/") + "/"
    kept = [o for o in report.outcomes
            if o.name.startswith(inside) and o.status in ("skipped_changed", "failed", "directory_left")]
    if kept:
        return DeleteOutcome(item.name, "directory_left",
                             f"left in place: {len(kept)} planned item(s) in it were not deleted")
    try:
        result = await store.delete_directory_if_unchanged(container, item.name, item.etag)
    except ReadOnlyError:
        raise
    except AztuiError as error:
        return DeleteOutcome(item.name, "directory_left", f"left in place: {error.render()}")
    if result == "not_empty":
        return DeleteOutcome(item.name, "directory_left", "left in place: it is not empty (added since the plan)")
    if result == "changed":
        return DeleteOutcome(item.name, "directory_left", "left in place: it changed after the plan was made")
    if result == "missing":
        return DeleteOutcome(item.name, "missing", "the directory was already gone")
    return DeleteOutcome(item.name, "deleted")


async def _delete_one(store: "BlobStore", container: str, item: PlannedDelete) -> DeleteOutcome:
    try:
        result = await store.delete_if_unchanged(container, item.name, item.etag)
    except ReadOnlyError:
        raise
    except AztuiError as error:
        return DeleteOutcome(item.name, "failed", error.render())
    if result == "changed":
        return DeleteOutcome(item.name, "skipped_changed", "the blob changed after the plan was made")
    if result == "missing":
        return DeleteOutcome(item.name, "missing", "the blob was already gone")
    return DeleteOutcome(item.name, "deleted")
