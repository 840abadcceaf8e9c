"""Execute a BuildKit cache GC plan (`aztui.cache.planner.GcPlan`): exactly the plan, safely, resumably.

    report = await execute_cache_gc(store, plan)          # journal in the user state dir
    report = await resume(journal_path, store)            # after a crash: finish the same plan

Order of work, chosen so that no build can lose a blob it still needs:
1. Refuse a read-only profile, or a plan made for another profile, container or prefix, before
   any request.
2. Delete the planned manifests, each guarded by its planned ETag (If-Match): a cache name
   re-exported since the plan is skipped and keeps protecting its layers.
3. Re-read ALL manifests (just before the blob deletes). Any planned blob that a manifest present
   now references is dropped from the work ("saved: now referenced by <name>"); while a
   manifest is unreadable, every remaining blob is saved (unless the plan ignores unreadable ones).
4. Delete the remaining blobs with the Blob Batch API (up to 256 sub-requests per request, a few
   batches in flight), each guarded by its planned ETag: a blob rewritten since is skipped.
   Azurite supports batches; should an account refuse the batch request itself (e.g. an
   endpoint without batch support), that batch falls back to concurrent single deletes.
5. Re-read ALL manifests once more (after the sweep). BuildKit has no lock: an export that checked
   a layer blob exists (so skipped its upload) just before the batch deleted it can write a manifest
   naming it. Any manifest that references a blob this run deleted, and that is still missing, is
   deleted too, guarded by the ETag just read ("dropped_raced", with its cache name and the blobs):
   a build importing it then sees a plain cache miss and rebuilds, instead of failing on a 404
   (moby/buildkit#3223). An export that writes its manifest after this re-read is not caught:
   nothing closes that window, the grace period and a short run only narrow it.

Every outcome goes to a JSON-lines journal (owner-only): a header with the whole plan and its
checksum, then one line per item, and one per dropped manifest. `resume` reads it, skips every item
already recorded as done (deleted, missing, skipped_changed, saved; failed ones are retried), appends
to it, and does step 5 again against every blob the journal records as deleted.
No Textual here.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Literal

from aztui.blobs.deletion import PlanFileError, default_journal_path
from aztui.cache.buildkit import CacheManifest, cache_layout, join_key, read_manifests
from aztui.cache.planner import GcItem, GcPlan
from aztui.errors import (
    AuthenticationError,
    AztuiError,
    NotFoundError,
    PermissionDeniedError,
    ReadOnlyError,
)
from aztui.journal import Journal, utc_now

if TYPE_CHECKING:
    from aztui.azure.blobs import BlobStore

JOURNAL_KIND = "aztui-cache-gc"
MAX_BATCH = 256                 # the Blob Batch API limit of sub-requests per request
BATCH_CONCURRENCY = 4

RACE_ROUNDS = 3                 # step 5: attempts at a manifest that keeps changing while it is dropped

GcStatus = Literal["deleted", "skipped_changed", "missing", "saved", "failed", "dropped_raced"]
DONE_STATUSES = frozenset({"deleted", "skipped_changed", "missing", "saved"})
DROPPED_RACED = "dropped_raced"  # not a planned item: a manifest written during the sweep (step 5)


@dataclass(frozen=True)
class GcOutcome:
    kind: str
    name: str
    status: GcStatus
    detail: str = ""
    cache_name: str = ""            # dropped_raced: the cache name whose manifest was deleted
    blobs: tuple[str, ...] = ()     # dropped_raced: the blobs this run deleted that it referenced

    def to_dict(self) -> dict:
        """The JSON of an outcome (journal and `--json`); `cache_name` and `blobs` when dropped."""
        data = {"kind": self.kind, "name": self.name, "status": self.status, "detail": self.detail}
        if self.status == DROPPED_RACED:
            data |= {"cache_name": self.cache_name, "blobs": list(self.blobs)}
        return data


@dataclass
class GcReport:
    plan: GcPlan
    outcomes: list[GcOutcome] = field(default_factory=list)
    journal: Path | None = None

    def _with(self, status: str) -> list[GcOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def deleted(self) -> list[GcOutcome]:
        return self._with("deleted")

    @property
    def skipped(self) -> list[GcOutcome]:
        return self._with("skipped_changed")

    @property
    def missing(self) -> list[GcOutcome]:
        return self._with("missing")

    @property
    def saved(self) -> list[GcOutcome]:
        return self._with("saved")

    @property
    def failed(self) -> list[GcOutcome]:
        return self._with("failed")

    @property
    def dropped(self) -> list[GcOutcome]:
        """Manifests written during the sweep that referenced a deleted blob, deleted (step 5)."""
        return self._with(DROPPED_RACED)

    def deleted_what(self) -> str:
        """ "2 of 3 planned blobs and 1 of 2 manifests": the run against the plan's own counts."""
        planned = {i.name for i in self.plan.delete}
        done = [o for o in self.deleted if o.name in planned]
        blobs = sum(1 for o in done if o.kind == "blob")
        return (f"{blobs:,} of {self.plan.blob_count:,} planned blob{'' if self.plan.blob_count == 1 else 's'} "
                f"and {len(done) - blobs:,} of {self.plan.manifest_count:,} "
                f"manifest{'' if self.plan.manifest_count == 1 else 's'}")

    @property
    def bytes_deleted(self) -> int:
        sizes = {i.name: i.size for i in self.plan.delete}
        return sum(sizes.get(o.name, 0) for o in self.deleted)



def check_plan_applies(store: "BlobStore", plan: GcPlan) -> None:
    """Refuse (before any request) a read-only profile or a plan made for another cache."""
    profile = store.profile
    if plan.profile != profile.name:
        raise PlanFileError(f"the plan was made for profile {plan.profile!r}, not {profile.name!r}",
                            hint="execute it with the profile it was made for")
    container, manifests_at, blobs_at = cache_layout(profile)
    planned = (plan.container, join_key(plan.prefix, plan.manifests_prefix) + "/",
               join_key(plan.prefix, plan.blobs_prefix) + "/")
    if planned != (container, manifests_at, blobs_at):
        raise PlanFileError(f"the plan was made for {plan.container}/{plan.prefix or ''} "
                            f"but profile {profile.name!r} now points at {container}/{profile.prefix or ''}",
                            hint="make a new plan")
    if profile.read_only:
        raise ReadOnlyError.refusing(profile=profile.name)


async def execute_cache_gc(store: "BlobStore", plan: GcPlan, *, journal: Path | None = None,
                           batch_size: int = MAX_BATCH, concurrency: int = BATCH_CONCURRENCY,
                           progress: Callable[[GcOutcome], None] | None = None) -> GcReport:
    """Delete exactly the plan (see the module docstring); the journal defaults to the user state dir."""
    check_plan_applies(store, plan)
    report = GcReport(plan)
    if not plan.delete:
        return report
    log = Journal(Path(journal) if journal else default_journal_path(plan),
                  {"journal": JOURNAL_KIND, "plan_checksum": plan.checksum(), "profile": plan.profile,
                   "container": plan.container, "started_at": utc_now(), "plan": plan.to_dict()})
    report.journal = log.path
    try:
        await _run(store, plan, {}, log, report, batch_size=batch_size, concurrency=concurrency,
                   progress=progress)
    finally:
        log.close()
    return report


def read_journal(path: Path) -> tuple[GcPlan, dict[str, GcOutcome]]:
    """The plan of a journal and the last recorded outcome of each item (a torn last line is ignored)."""
    plan, outcomes, _ = _read_journal(path)
    return plan, outcomes


def _read_journal(path: Path) -> tuple[GcPlan, dict[str, GcOutcome], list[GcOutcome]]:
    """`read_journal`, and the manifests dropped because they raced the sweep (step 5)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise PlanFileError(f"cannot read the journal {path}: {exc.strerror}") from None
    if not lines:  # the process died between creating the journal and writing its header
        raise PlanFileError(f"the journal {path} is empty: that run stopped before deleting anything",
                            hint="execute the plan again (`--execute --plan-file F`)")
    try:
        header = json.loads(lines[0])
    except ValueError:
        header = {}
    if header.get("journal") != JOURNAL_KIND or not isinstance(header.get("plan"), dict):
        raise PlanFileError(f"{path} is not an aztui cache GC journal",
                            hint="pass the journal that `aztui cache gc --execute` printed")
    plan = GcPlan.from_dict(header["plan"])
    if plan.checksum() != header.get("plan_checksum"):
        raise PlanFileError("the journal's plan does not match its checksum")
    outcomes: dict[str, GcOutcome] = {}
    dropped: list[GcOutcome] = []
    planned = {i.name: i.kind for i in plan.delete}
    for number, line in enumerate(lines[1:], start=2):
        try:
            record = json.loads(line)
        except ValueError:
            if number == len(lines):
                break  # the process died while writing this line
            raise PlanFileError(f"line {number} of the journal {path} is not JSON") from None
        name, status = record.get("name"), record.get("status")
        if status == DROPPED_RACED and isinstance(name, str):
            dropped.append(GcOutcome("manifest", name, DROPPED_RACED, str(record.get("detail", "")),
                                     str(record.get("cache_name", "")),
                                     tuple(str(b) for b in record.get("blobs") or ())))
        elif name in planned and status in (*DONE_STATUSES, "failed"):
            outcomes[name] = GcOutcome(planned[name], name, status, str(record.get("detail", "")))
    return plan, outcomes, dropped


async def resume(journal: Path, store: "BlobStore", *, batch_size: int = MAX_BATCH,
                 concurrency: int = BATCH_CONCURRENCY,
                 progress: Callable[[GcOutcome], None] | None = None) -> GcReport:
    """Finish the plan of an interrupted run; items recorded as done are not redone.

    The report holds every item's outcome, those of the earlier run(s) included.
    """
    plan, recorded, dropped = _read_journal(Path(journal))
    check_plan_applies(store, plan)
    done = {name: o for name, o in recorded.items() if o.status in DONE_STATUSES}
    report = GcReport(plan, outcomes=[*done.values(), *dropped], journal=Path(journal))
    log = Journal(Path(journal), {"resumed_at": utc_now()}, append=True)
    try:
        await _run(store, plan, done, log, report, batch_size=batch_size, concurrency=concurrency,
                   progress=progress)
    finally:
        log.close()
    return report


async def _run(store: "BlobStore", plan: GcPlan, done: dict[str, GcOutcome], log: Journal,
               report: GcReport, *, batch_size: int, concurrency: int,
               progress: Callable[[GcOutcome], None] | None) -> None:
    def note(outcome: GcOutcome) -> None:
        report.outcomes.append(outcome)
        log.record(outcome.to_dict())

    def record(outcome: GcOutcome) -> None:  # a planned item: it also moves the progress
        note(outcome)
        if progress:
            progress(outcome)

    def record_batch(outcomes: list[GcOutcome]) -> None:  # a batch's answers: one journal write
        report.outcomes.extend(outcomes)
        log.record_many([o.to_dict() for o in outcomes])
        if progress:
            for outcome in outcomes:
                progress(outcome)

    todo = [i for i in plan.delete if i.name not in done]
    manifests = [i for i in todo if i.kind == "manifest"]
    blobs = [i for i in todo if i.kind == "blob"]
    await _delete_all(store, plan.container, manifests, record_batch, batch_size=batch_size,
                      concurrency=concurrency)
    if blobs:
        still_needed = await _saved_blobs(store, plan, blobs)
        for item in blobs:
            if item.name in still_needed:
                record(GcOutcome("blob", item.name, "saved", still_needed[item.name]))
        await _delete_all(store, plan.container, [i for i in blobs if i.name not in still_needed],
                          record_batch, batch_size=batch_size, concurrency=concurrency)
    deleted = {o.name for o in report.outcomes if o.kind == "blob" and o.status == "deleted"}
    if deleted:
        await _drop_raced(store, plan, deleted, note)


async def _saved_blobs(store: "BlobStore", plan: GcPlan, blobs: list[GcItem]) -> dict[str, str]:
    """Planned blobs that must not go after all, read from the manifests as they are now."""
    manifests = await read_manifests(store)
    unreadable = [m.cache_name for m in manifests if not m.readable]
    if unreadable and not plan.ignore_unreadable:
        why = f"saved: manifest {unreadable[0]!r} is unreadable now, its references are unknown"
        return {item.name: why for item in blobs}
    refs: dict[str, list[str]] = {}
    for m in manifests:
        for digest in m.layers or ():
            refs.setdefault(digest, []).append(m.cache_name)
    blobs_at = join_key(plan.prefix, plan.blobs_prefix) + "/"
    saved = {}
    for item in blobs:
        names = refs.get(item.name[len(blobs_at):]) if item.name.startswith(blobs_at) else None
        if names:
            saved[item.name] = "saved: now referenced by " + ", ".join(sorted(names)[:5])
    return saved


async def _drop_raced(store: "BlobStore", plan: GcPlan, deleted: set[str],
                      note: Callable[[GcOutcome], None]) -> None:
    """Step 5: delete every manifest that references a blob of `deleted` that is still missing.

    Each delete is guarded by the ETag just read; one changed meanwhile is read and judged again,
    up to RACE_ROUNDS times. A failure here is recorded (exit 4), never raised: the sweep is done
    and its report must reach the user; `--resume` runs this step again.
    """
    blobs_at = join_key(plan.prefix, plan.blobs_prefix) + "/"
    gone = {name[len(blobs_at):]: name for name in deleted if name.startswith(blobs_at)}
    try:
        for _ in range(RACE_ROUNDS):
            changed = []
            for manifest, names in await _raced_manifests(store, plan.container, gone):
                result = await store.delete_if_unchanged(plan.container, manifest.blob_name, manifest.etag)
                if result == "deleted":
                    digests = ", ".join(n[len(blobs_at):] for n in names[:3])
                    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
                    note(GcOutcome(
                        "manifest", manifest.blob_name, DROPPED_RACED,
                        f"written during the sweep; it references {len(names)} blob"
                        f"{'' if len(names) == 1 else 's'} this run deleted ({digests}{more}): "
                        "deleted, so builds see a cache miss instead of a 404",
                        manifest.cache_name, tuple(names)))
                elif result == "changed":
                    changed.append(manifest)
            if not changed:
                return
        for manifest in changed:
            note(GcOutcome("manifest", manifest.blob_name, "failed",
                           f"changed {RACE_ROUNDS} times while being dropped; it may still reference a "
                           "blob this run deleted: check it with `aztui cache ls`",
                           manifest.cache_name))
    except (ReadOnlyError, AuthenticationError, PermissionDeniedError):
        raise
    except AztuiError as error:
        note(GcOutcome("manifest", join_key(plan.prefix, plan.manifests_prefix) + "/", "failed",
                       "the manifests could not be read again after the sweep, so one written meanwhile "
                       f"may reference a deleted blob: {error.render()}; --resume the journal to check again"))


async def _raced_manifests(store: "BlobStore", container: str,
                           gone: dict[str, str]) -> list[tuple[CacheManifest, list[str]]]:
    """(manifest, the blob names it references that this run deleted and that are still missing)."""
    suspects = []
    for manifest in await read_manifests(store):
        names = [gone[d] for d in manifest.layers or () if d in gone]
        if names:
            suspects.append((manifest, names))
    wanted = sorted({name for _, names in suspects for name in names})
    missing = set()
    for name in wanted:
        try:
            await store.get_blob(container, name)
        except NotFoundError:
            missing.add(name)  # re-uploaded since (an export that found it missing) counts as present
    return [(m, [n for n in names if n in missing]) for m, names in suspects
            if any(n in missing for n in names)]


def _batches(items: list[GcItem], size: int) -> Iterable[list[GcItem]]:
    size = max(1, min(size, MAX_BATCH))
    for start in range(0, len(items), size):
        yield items[start:start + size]


async def _delete_all(store: "BlobStore", container: str, items: list[GcItem],
                      record: Callable[[list[GcOutcome]], None], *, batch_size: int, concurrency: int) -> None:
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one_batch(batch: list[GcItem]) -> None:
        async with gate:
            record(await _delete_batch(store, container, batch))

    try:
        async with asyncio.TaskGroup() as group:
            for batch in _batches(items, batch_size):
                group.create_task(one_batch(batch))
    except BaseExceptionGroup as group_error:
        raise group_error.exceptions[0] from None  # ReadOnlyError, auth failures, cancellation, bugs


async def _delete_batch(store: "BlobStore", container: str, items: list[GcItem]) -> list[GcOutcome]:
    """One Blob Batch request of ETag-guarded deletes; the outcome of each item, in order."""
    try:
        answers = await store.delete_batch_if_unchanged(container, [(i.name, i.etag) for i in items])
    except (ReadOnlyError, AuthenticationError, PermissionDeniedError):
        raise  # the same answer for every request: stop, do not fall back
    except AztuiError:
        # the batch request itself was refused: one ETag-guarded delete per blob instead
        return list(await asyncio.gather(*(_delete_single(store, container, i) for i in items)))
    outcomes = []
    for item, answer in zip(items, answers, strict=False):
        status = answer.status
        if status in (200, 202):
            outcomes.append(GcOutcome(item.kind, item.name, "deleted"))
        elif status == 404:
            outcomes.append(GcOutcome(item.kind, item.name, "missing", "already gone"))
        elif status == 412:  # If-Match also fails on a blob that is gone: tell the two apart
            outcomes.append(await _changed_or_missing(store, container, item))
        else:
            outcomes.append(GcOutcome(item.kind, item.name, "failed", f"HTTP {status} {answer.error_code}".strip()))
    for item in items[len(answers):]:  # a short batch answer: never count an unanswered item as done
        outcomes.append(GcOutcome(item.kind, item.name, "failed", "no answer in the batch response"))
    return outcomes


async def _changed_or_missing(store: "BlobStore", container: str, item: GcItem) -> GcOutcome:
    try:
        await store.get_blob(container, item.name)
    except NotFoundError:
        return GcOutcome(item.kind, item.name, "missing", "already gone")
    except AztuiError as error:
        return GcOutcome(item.kind, item.name, "failed", error.render())
    return GcOutcome(item.kind, item.name, "skipped_changed", "changed after the plan was made")


async def _delete_single(store: "BlobStore", container: str, item: GcItem) -> GcOutcome:
    try:
        result = await store.delete_if_unchanged(container, item.name, item.etag)
    except (ReadOnlyError, AuthenticationError, PermissionDeniedError):
        raise
    except AztuiError as error:
        return GcOutcome(item.kind, item.name, "failed", error.render())
    if result == "changed":
        return GcOutcome(item.kind, item.name, "skipped_changed", "changed after the plan was made")
    if result == "missing":
        return GcOutcome(item.kind, item.name, "missing", "already gone")
    return GcOutcome(item.kind, item.name, "deleted")
