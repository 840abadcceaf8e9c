"""Retention for a Distribution registry on Blob: a purge plan (aztui.registry.purge) done on storage.

    snapshots = await collect(registry, options)                 # the ACR purge's reading and planner
    purge = plan_purge(snapshots, options)
    plan = await plan_storage(registry, purge)                   # which link files each item removes
    report = await execute_storage_purge(registry, plan)          # exactly those, ETag-guarded, journaled
    report = await resume_storage_purge(registry, journal_path)   # after a crash: finish the same plan

What each item removes is what the registry's own API removes (distribution v2.8/v3
`registry/handlers/manifests.go`, `registry/storage/tagstore.go`; docs/formats/distribution-on-azure-blob.md):

- untag (`DELETE /v2/<name>/manifests/<tag>`, v3; `tagStore.Untag`): the tag's whole folder
  `_manifests/tags/<tag>/` — `current/link` and every `index/sha256/<hex>/link`;
- delete a manifest (`DELETE /v2/<name>/manifests/<digest>`): its revision link
  `_manifests/revisions/sha256/<hex>/link`, and the folder of every tag whose `current/link`
  points at it (`tagService.Lookup` + `Untag`). Index links of other tags that once pointed at it
  stay, as upstream leaves them.

Nothing under `blobs/` is touched: `aztui registry gc` (or `registry garbage-collect`) frees the
space afterwards. Safety, in the order of work:
1. A read-only profile, or a plan made for another profile or container, is refused first.
2. Tag folders go first, `current/link` before the index links, each delete guarded by the ETag
   read when planning: a tag pushed again since (its `current/link` rewritten) is skipped whole.
3. Just before the revision links go, the tags are read again: a manifest a tag points at now
   (one the plan does not remove) is saved, so no tag is ever left pointing at a deleted manifest.
   A manifest pushed again since (its revision link rewritten) is skipped by its ETag.
Every blob's outcome is a journal line (owner-only JSON lines; the header holds the whole plan
and its checksum); `resume_storage_purge` skips what the journal records as done.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from aztui.azure.blobs import BlobInfo
from aztui.blobs.deletion import PlanFileError
from aztui.errors import AztuiError, ReadOnlyError
from aztui.journal import Journal, utc_now
from aztui.registry.purge import PurgeItem, PurgeOutcome, PurgePlan, PurgeReport

if TYPE_CHECKING:
    from aztui.registry.distribution import DistributionRegistry

JOURNAL_KIND = "aztui-registry-purge-storage"
DONE_STATUSES = frozenset({"deleted", "missing", "skipped_changed", "saved"})
CONCURRENCY = 8


@dataclass(frozen=True)
class LinkFile:
    """One blob to delete, only while it still has `etag`."""

    name: str
    etag: str

    def to_list(self) -> list[str]:
        return [self.name, self.etag]


@dataclass(frozen=True)
class TagFolder:
    """`_manifests/tags/<tag>/`: `current` first (the tag is gone once it is), then the rest."""

    repository: str
    tag: str
    current: LinkFile | None            # None: the folder holds no current/link (a broken tag)
    rest: tuple[LinkFile, ...]          # index links and anything else under the folder

    @property
    def files(self) -> tuple[LinkFile, ...]:
        return ((self.current,) if self.current else ()) + self.rest


@dataclass(frozen=True)
class StorageStep:
    """One purge item on storage: the tag folders it removes and, for a manifest, its revision link."""

    item: PurgeItem
    tags: tuple[TagFolder, ...]
    revision: LinkFile | None = None

    @property
    def files(self) -> tuple[LinkFile, ...]:
        return tuple(f for folder in self.tags for f in folder.files) + ((self.revision,) if self.revision else ())

    def to_dict(self) -> dict[str, Any]:
        return {"item": {**self.item.to_dict(), "tag": self.item.tag},
                "tags": [{"repository": t.repository, "tag": t.tag,
                          "current": t.current.to_list() if t.current else None,
                          "rest": [f.to_list() for f in t.rest]} for t in self.tags],
                "revision": self.revision.to_list() if self.revision else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StorageStep":
        item = data["item"]
        return cls(PurgeItem(item["repository"], item["digest"], item.get("tag"), item.get("reason", "")),
                   tuple(TagFolder(t["repository"], t["tag"], LinkFile(*t["current"]) if t["current"] else None,
                                   tuple(LinkFile(*f) for f in t["rest"])) for t in data["tags"]),
                   LinkFile(*data["revision"]) if data.get("revision") else None)


@dataclass(frozen=True)
class StoragePurgePlan:
    """A purge plan with, for every item, the exact blobs (names and ETags) it removes."""

    purge: PurgePlan
    profile: str
    container: str
    base: str                            # blob name prefix ending in docker/registry/v2/
    steps: tuple[StorageStep, ...]       # tags first, then manifests, as `purge.delete`

    @property
    def files(self) -> tuple[LinkFile, ...]:
        return tuple(f for step in self.steps for f in step.files)

    def to_dict(self) -> dict[str, Any]:
        return {"profile": self.profile, "container": self.container, "base": self.base,
                "purge_checksum": self.purge.checksum(), "steps": [s.to_dict() for s in self.steps]}

    def checksum(self) -> str:
        body = json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(body.encode()).hexdigest()

    def storage_json(self) -> list[dict[str, Any]]:
        """What `registry purge --json` shows of each item on storage (relative to the registry root)."""
        def short(name: str) -> str:
            return name[len(self.base):] if name.startswith(self.base) else name
        return [{**step.item.to_dict(), "blobs": [short(f.name) for f in step.files]} for step in self.steps]


# --- planning: which files each item removes ---------------------------------------------------

async def plan_storage(registry: "DistributionRegistry", purge: PurgePlan) -> StoragePurgePlan:
    """List each affected tag folder and revision link now (names and ETags) for `purge.delete`."""
    base = registry.require_layout()
    repositories = sorted({i.repository for i in purge.delete})
    trees = {name: tree for name in repositories
             for tree in [(await registry.list_repository_trees(name)).get(name)] if tree is not None}
    targets = {name: await registry.read_links(tree.tag_links) for name, tree in trees.items()}
    folders: dict[tuple[str, str], TagFolder] = {}

    async def folder(repository: str, tag: str) -> TagFolder:
        key = (repository, tag)
        if key not in folders:
            prefix = f"{base}repositories/{repository}/_manifests/tags/{tag}/"
            files = [blob async for blob in registry.store.iter_blobs(registry.container, prefix)
                     if isinstance(blob, BlobInfo)]
            current = next((LinkFile(b.name, b.etag) for b in files if b.name == prefix + "current/link"), None)
            rest = tuple(LinkFile(b.name, b.etag) for b in sorted(files, key=lambda b: b.name)
                         if b.name != prefix + "current/link")
            folders[key] = TagFolder(repository, tag, current, rest)
        return folders[key]

    claimed: set[tuple[str, str]] = set()
    steps: list[StorageStep] = []
    for item in purge.delete:
        tree = trees.get(item.repository)
        if item.tag is not None:
            tags = (await folder(item.repository, item.tag),) if (item.repository, item.tag) not in claimed else ()
            claimed.add((item.repository, item.tag))
            steps.append(StorageStep(item, tags))
            continue
        pointing = sorted(tag for tag, digest in targets.get(item.repository, {}).items()
                          if digest == item.digest and (item.repository, tag) not in claimed)
        claimed.update((item.repository, tag) for tag in pointing)
        revision = tree.revisions.get(item.digest) if tree else None
        steps.append(StorageStep(item, tuple([await folder(item.repository, t) for t in pointing]),
                                 LinkFile(revision.name, revision.etag) if revision else None))
    return StoragePurgePlan(purge, registry.store.profile.name, registry.container, base, tuple(steps))


# --- executing -------------------------------------------------------------------------------------

@dataclass
class StoragePurgeReport:
    """Each blob's outcome, and each item's (what `registry purge` reports)."""

    plan: StoragePurgePlan
    files: dict[str, tuple[str, str]] = field(default_factory=dict)    # blob name -> (status, detail)
    journal: Path | None = None

    def item_outcomes(self) -> list[PurgeOutcome]:
        return [_item_outcome(step, self.files) for step in self.plan.steps]

    def purge_report(self) -> PurgeReport:
        return PurgeReport(self.item_outcomes(), self.journal)


def _item_outcome(step: StorageStep, files: dict[str, tuple[str, str]]) -> PurgeOutcome:
    """deleted (everything of it gone, some by this run), missing (all gone before), skipped, failed."""
    statuses = [files.get(f.name, ("not_done", "")) for f in step.files]
    if not statuses:
        return PurgeOutcome(step.item, "missing", "nothing of it was left when the plan was made")
    for status, detail in statuses:
        if status == "failed":
            return PurgeOutcome(step.item, "failed", detail)
    for status, detail in statuses:
        if status in ("skipped_changed", "saved"):
            return PurgeOutcome(step.item, "skipped", detail)
    if any(status == "not_done" for status, _ in statuses):
        return PurgeOutcome(step.item, "failed", "not done (interrupted)")
    if statuses and all(status == "missing" for status, _ in statuses):
        return PurgeOutcome(step.item, "missing", "already gone")
    return PurgeOutcome(step.item, "deleted")


def _check_applies(registry: "DistributionRegistry", plan: StoragePurgePlan) -> None:
    profile = registry.store.profile
    if profile.read_only:
        raise ReadOnlyError.refusing(profile=profile.name)
    if (plan.profile, plan.container, plan.base) != (profile.name, registry.container, registry.base):
        raise AztuiError(f"the plan was made for profile {plan.profile!r}, container {plan.container!r} "
                         f"under {plan.base!r}", title="Plan refused",
                         hint="resume it with the profile it was made for")


def default_journal_path() -> Path:
    from aztui.registry.purge import default_journal_path as purge_journal

    return purge_journal()


async def execute_storage_purge(registry: "DistributionRegistry", plan: StoragePurgePlan, *,
                                journal: Path | None = None,
                                progress: Callable[[str, str], None] | None = None) -> StoragePurgeReport:
    """Remove exactly the plan's files (see the module docstring); one journal line per file."""
    _check_applies(registry, plan)
    report = StoragePurgeReport(plan)
    if not plan.steps:
        return report
    log = Journal(Path(journal) if journal else default_journal_path(),
                  {"journal": JOURNAL_KIND, "plan_checksum": plan.checksum(), "profile": plan.profile,
                   "container": plan.container, "started_at": utc_now(), "plan": plan.to_dict(),
                   "purge": plan.purge.to_dict()}, may_exist=False)
    report.journal = log.path
    try:
        await _run(registry, plan, {}, log, report, progress)
    finally:
        log.close()
    return report


def read_journal(path: Path) -> tuple[StoragePurgePlan, dict[str, tuple[str, str]]]:
    """The plan of a journal and the last recorded outcome of each file (a torn last line is ignored)."""
    from datetime import datetime

    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise PlanFileError(f"cannot read the journal {path}: {exc.strerror}") from None
    try:
        header = json.loads(lines[0]) if lines else {}
    except ValueError:
        header = {}
    if header.get("journal") != JOURNAL_KIND or not isinstance(header.get("plan"), dict):
        raise PlanFileError(f"{path} is not an aztui registry purge journal",
                            hint="pass the journal that `aztui registry purge --execute` printed")
    try:
        data, purge = header["plan"], header["purge"]
        steps = tuple(StorageStep.from_dict(s) for s in data["steps"])
        purge_plan = PurgePlan({k: purge[k] for k in ("filters", "excludes", "ago_seconds", "keep", "untagged")
                                if k in purge}, datetime.fromisoformat(purge["now"]),
                               tuple(s.item for s in steps), (), ())
        plan = StoragePurgePlan(purge_plan, data["profile"], data["container"], data["base"], steps)
    except (KeyError, TypeError, ValueError):
        raise PlanFileError(f"the journal {path} holds no readable plan") from None
    if plan.checksum() != header.get("plan_checksum"):
        raise PlanFileError("the journal's plan does not match its checksum")
    files: dict[str, tuple[str, str]] = {}
    planned = {f.name for f in plan.files}
    for number, line in enumerate(lines[1:], start=2):
        try:
            record = json.loads(line)
        except ValueError:
            if number == len(lines):
                break  # the process died while writing this line
            raise PlanFileError(f"line {number} of the journal {path} is not JSON") from None
        if record.get("name") in planned and record.get("status") in (*DONE_STATUSES, "failed"):
            files[record["name"]] = (record["status"], str(record.get("detail", "")))
    return plan, files


async def resume_storage_purge(registry: "DistributionRegistry", journal: Path, *,
                               progress: Callable[[str, str], None] | None = None) -> StoragePurgeReport:
    """Finish the plan of an interrupted run; files recorded as done are not touched again."""
    plan, recorded = read_journal(Path(journal))
    _check_applies(registry, plan)
    done = {name: outcome for name, outcome in recorded.items() if outcome[0] in DONE_STATUSES}
    report = StoragePurgeReport(plan, dict(done), Path(journal))
    log = Journal(Path(journal), {"resumed_at": utc_now()}, append=True)
    try:
        await _run(registry, plan, done, log, report, progress)
    finally:
        log.close()
    return report


async def _run(registry: "DistributionRegistry", plan: StoragePurgePlan, done: dict[str, tuple[str, str]],
               log: Journal, report: StoragePurgeReport, progress: Callable[[str, str], None] | None) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)

    def record(link: LinkFile, status: str, detail: str = "") -> None:
        report.files[link.name] = (status, detail)
        log.record({"name": link.name, "status": status, "detail": detail})
        if progress:
            progress(link.name, status)

    async def delete(link: LinkFile) -> str:
        if link.name in done:
            return done[link.name][0]
        try:
            result = await registry.store.delete_if_unchanged(plan.container, link.name, link.etag)
        except ReadOnlyError:
            raise
        except AztuiError as error:
            record(link, "failed", error.render())
            return "failed"
        status = {"deleted": "deleted", "missing": "missing", "changed": "skipped_changed"}[result]
        record(link, status, "changed since the plan was made" if result == "changed" else "")
        return status

    async def untag(folder: TagFolder) -> None:
        async with gate:
            if folder.current is not None:
                status = await delete(folder.current)
                if status in ("skipped_changed", "failed", "saved"):
                    for link in folder.rest:   # the tag moved (or the delete failed): leave the folder alone
                        if link.name not in done:
                            record(link, "saved" if status != "failed" else "failed",
                                   f"tag {folder.tag}'s current link was {status.replace('_', ' ')}")
                    return
            for link in folder.rest:
                await delete(link)

    tags = [folder for step in plan.steps for folder in step.tags]
    await asyncio.gather(*(untag(folder) for folder in tags))
    revisions = [step for step in plan.steps if step.revision is not None and step.revision.name not in done]
    if not revisions:
        return
    tagged_now = await _tagged_now(registry, {s.item.repository for s in revisions})
    for step in revisions:
        assert step.revision is not None
        holders = tagged_now.get((step.item.repository, step.item.digest), [])
        if any(report.files.get(f.name, ("",))[0] in ("skipped_changed", "saved", "failed")
               for folder in step.tags for f in folder.files):
            record(step.revision, "saved", "a tag of this manifest was not removed")
        elif holders:
            record(step.revision, "saved", f"tagged now: {', '.join(holders[:5])}")

    async def revision(step: StorageStep) -> None:
        async with gate:
            assert step.revision is not None
            if step.revision.name not in report.files:
                await delete(step.revision)

    await asyncio.gather(*(revision(s) for s in revisions))


async def _tagged_now(registry: "DistributionRegistry",
                      repositories: Iterable[str]) -> dict[tuple[str, str], list[str]]:
    """(repository, digest) -> tags whose current/link points at it, read now."""
    out: dict[tuple[str, str], list[str]] = {}
    for name in sorted(repositories):
        tree = (await registry.list_repository_trees(name)).get(name)
        if tree is None:
            continue
        for tag, digest in sorted((await registry.read_links(tree.tag_links)).items()):
            if digest:
                out.setdefault((name, digest), []).append(tag)
    return out
