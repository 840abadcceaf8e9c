"""Garbage collection of a Distribution registry on Azure Blob: a pure mark/sweep planner, then an executor.

    snapshot = await load_snapshot(registry)                      # listings + links + manifests, read now
    plan = plan_registry_gc(snapshot, delete_untagged=False, upload_age=timedelta(hours=168), now=now)
    report = await execute_registry_gc(registry.store, registry.container, plan)   # only on --execute

Mark semantics are those of `registry garbage-collect` (`registry/storage/garbagecollect.go`, v3;
docs/formats/distribution-on-azure-blob.md §Garbage collection):

1. Every manifest revision of every repository is marked, and recursively what it references:
   config, layers, and the child manifests of an index (a child is descended into when it is a
   manifest revision of the same repository).
2. With `delete_untagged`, a revision that no tag's `current/link` points at is not marked; it
   is planned for deletion unless a marked manifest references it (children of a tagged index
   are kept, as in v3; Debian's 2.8 wrongly deletes them). Deleting a manifest removes its
   revision link and its `_manifests/tags/*/index/sha256/<hex>/link` files, like upstream.
3. Every `blobs/sha256/<2>/<hex>/data` that is not marked is planned for deletion.
4. Where a marked manifest cannot be read (missing, too large, not a manifest), what it
   references is unknown: the plan carries a problem and is never executed. Same for an
   unreadable tag link with `delete_untagged`.
5. One deliberate difference: a manifest already marked from another repository is still
   descended into here (upstream skips it), which can only keep more.

Uploads under `_uploads/<uuid>/` whose `startedat` is older than `upload_age` are stale (the
registry's `uploadpurging` would remove them); they are reported and deleted with the sweep.
No Textual here; the sweep deletes with `aztui.blobs.deletion` (ETag-guarded, journaled).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from aztui.azure.blobs import BlobInfo
from aztui.errors import AztuiError, ReadOnlyError

if TYPE_CHECKING:
    from aztui.azure.blobs import BlobStore
    from aztui.blobs.deletion import DeleteOutcome, DeleteReport
    from aztui.registry.distribution import DistributionRegistry, Upload


@dataclass(frozen=True)
class RepositoryState:
    name: str
    revisions: dict[str, BlobInfo]                  # digest -> revision link
    tags: dict[str, str | None]                     # tag -> digest its current/link holds (None: unreadable)
    tag_index: dict[str, dict[str, BlobInfo]]       # tag -> digest -> index link
    uploads: tuple["Upload", ...] = ()


@dataclass(frozen=True)
class RegistrySnapshot:
    """Everything the planner needs, read from storage at `taken_at`."""

    layout: str
    base: str
    repositories: dict[str, RepositoryState]
    blobs: dict[str, BlobInfo]                               # digest -> content blob
    references: dict[str, tuple[str, ...] | None]            # manifest digest -> references (None: unreadable)
    taken_at: datetime


@dataclass(frozen=True)
class ManifestDeletion:
    repository: str
    digest: str
    links: tuple[BlobInfo, ...]      # the revision link and tag index links to remove


@dataclass(frozen=True)
class RegistryGcPlan:
    layout: str
    base: str
    delete_untagged: bool
    upload_age: timedelta
    marked: frozenset[str]
    delete_blobs: tuple[tuple[str, BlobInfo], ...]         # (digest, content blob)
    delete_manifests: tuple[ManifestDeletion, ...]
    stale_uploads: tuple["Upload", ...]
    problems: tuple[str, ...] = ()

    @property
    def blob_bytes(self) -> int:
        return sum(blob.size for _, blob in self.delete_blobs)

    @property
    def upload_bytes(self) -> int:
        return sum(upload.size for upload in self.stale_uploads)

    @property
    def bytes_reclaimed(self) -> int:
        return self.blob_bytes + self.upload_bytes

    @property
    def empty(self) -> bool:
        return not (self.delete_blobs or self.delete_manifests or self.stale_uploads)

    def to_dict(self) -> dict[str, Any]:
        return {
            "layout": self.layout,
            "delete_untagged": self.delete_untagged,
            "upload_age_s": int(self.upload_age.total_seconds()),
            "marked_count": len(self.marked),
            "delete_blobs": [digest for digest, _ in self.delete_blobs],
            "blob_sizes": {digest: blob.size for digest, blob in self.delete_blobs},
            "delete_manifests": [{"repository": m.repository, "digest": m.digest,
                                  "links": [link.name for link in m.links]} for m in self.delete_manifests],
            "stale_uploads": [{"repository": u.repository, "uuid": u.uuid,
                               "started_at": u.started_at.isoformat() if u.started_at else None,
                               "size": u.size} for u in self.stale_uploads],
            "blob_bytes": self.blob_bytes,
            "upload_bytes": self.upload_bytes,
            "bytes_reclaimed": self.bytes_reclaimed,
            "problems": list(self.problems),
        }


# --- reading ---------------------------------------------------------------------------------

async def load_snapshot(registry: "DistributionRegistry") -> RegistrySnapshot:
    """List the registry once, read every tag link, upload start time and manifest revision."""
    listing = await registry.listing()
    trees = listing.repositories
    tag_links = {(repo, tag): blob for repo, tree in trees.items() for tag, blob in tree.tag_links.items()}
    uploads = [upload for tree in trees.values() for upload in tree.uploads.values()]
    manifests = sorted({digest for tree in trees.values() for digest in tree.revisions})

    async def parsed(digest: str) -> tuple[str, ...] | None:
        manifest = await registry.read_manifest(digest)
        return manifest.references if manifest else None

    targets, _, references = await asyncio.gather(
        registry.read_links(tag_links), registry.read_started_at(uploads),
        asyncio.gather(*(parsed(d) for d in manifests)))
    repositories = {
        name: RepositoryState(name, dict(tree.revisions),
                              {tag: targets[(name, tag)] for tag in tree.tag_links},
                              {tag: dict(links) for tag, links in tree.tag_index.items()},
                              tuple(tree.uploads.values()))
        for name, tree in trees.items()}
    return RegistrySnapshot(listing.layout, listing.base, repositories, dict(listing.blobs),
                            dict(zip(manifests, references)), datetime.now(timezone.utc))


# --- planning (pure) ----------------------------------------------------------------------

def plan_registry_gc(snapshot: RegistrySnapshot, *, delete_untagged: bool = False,
                     upload_age: timedelta = timedelta(hours=168), now: datetime | None = None) -> RegistryGcPlan:
    """Mark, then sweep on paper: what `registry garbage-collect` would delete (see the module doc)."""
    now = now or snapshot.taken_at
    marked: set[str] = set()
    expanded: set[str] = set()
    problems: list[str] = []
    candidates: list[tuple[str, str]] = []
    for name in sorted(snapshot.repositories):
        repo = snapshot.repositories[name]
        tagged = {digest for digest in repo.tags.values() if digest}
        if delete_untagged:
            problems += [f"{name}: the link of tag {tag!r} holds no digest, so what it tags is unknown"
                         for tag, digest in sorted(repo.tags.items()) if digest is None]
        for digest in sorted(repo.revisions):
            if delete_untagged and digest not in tagged:
                candidates.append((name, digest))
                continue
            marked.add(digest)
            _mark_references(digest, repo, snapshot, marked, expanded, problems)
    delete_manifests = tuple(
        ManifestDeletion(name, digest, _manifest_links(snapshot.repositories[name], digest))
        for name, digest in candidates if digest not in marked)
    delete_blobs = tuple((digest, blob) for digest, blob in sorted(snapshot.blobs.items())
                         if digest not in marked)
    stale = tuple(upload for name in sorted(snapshot.repositories)
                  for upload in sorted(snapshot.repositories[name].uploads, key=lambda u: u.uuid)
                  if upload.started_at is not None and now - upload.started_at > upload_age)
    return RegistryGcPlan(snapshot.layout, snapshot.base, delete_untagged, upload_age, frozenset(marked),
                          delete_blobs, delete_manifests, stale, tuple(dict.fromkeys(problems)))


def _mark_references(digest: str, repo: RepositoryState, snapshot: RegistrySnapshot, marked: set[str],
                     expanded: set[str], problems: list[str]) -> None:
    """Mark everything `digest` references, descending into child manifests of this repository."""
    todo = [digest]
    while todo:
        current = todo.pop()
        if current in expanded:
            continue
        expanded.add(current)
        references = snapshot.references.get(current)
        if references is None:
            problems.append(f"{repo.name}: manifest {current} cannot be read, so what it references is unknown")
            continue
        for reference in references:
            marked.add(reference)
            if reference in repo.revisions:
                todo.append(reference)


def _manifest_links(repo: RepositoryState, digest: str) -> tuple[BlobInfo, ...]:
    index_links = [links[digest] for _, links in sorted(repo.tag_index.items()) if digest in links]
    return (repo.revisions[digest], *index_links)


# --- text report -----------------------------------------------------------------------------

def summary_lines(plan: RegistryGcPlan) -> list[str]:
    from aztui.units import human_size

    lines = [f"layout {plan.layout} under {plan.base!r}; {len(plan.marked)} blobs marked"]
    for manifest in plan.delete_manifests:
        lines.append(f"manifest eligible for deletion: {manifest.repository}@{manifest.digest}")
    for digest, blob in plan.delete_blobs:
        lines.append(f"blob eligible for deletion: {digest} ({human_size(blob.size)})")
    for upload in plan.stale_uploads:
        started = upload.started_at.isoformat() if upload.started_at else "?"
        lines.append(f"stale upload: {upload.repository} {upload.uuid} started {started} "
                     f"({human_size(upload.size)})")
    lines.append(f"{len(plan.delete_blobs)} blobs, {len(plan.delete_manifests)} manifests and "
                 f"{len(plan.stale_uploads)} stale uploads eligible for deletion, "
                 f"{human_size(plan.bytes_reclaimed)} to reclaim")
    return lines


# --- executing -------------------------------------------------------------------------------

READ_ONLY_WARNING = ("the registry must be read-only (or stopped) during a sweep: a push that links a "
                     "blob this plan deletes would leave a broken image")


@dataclass
class RegistryGcReport:
    plan: RegistryGcPlan
    steps: dict[str, "DeleteReport"] = field(default_factory=dict)   # "manifests", "blobs", "uploads"

    @property
    def outcomes(self) -> list["DeleteOutcome"]:
        return [o for report in self.steps.values() for o in report.outcomes]

    @property
    def failed(self) -> bool:
        return any(o.status == "failed" for o in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        counts: dict[str, dict[str, int]] = {}
        for step, report in self.steps.items():
            for outcome in report.outcomes:
                counts.setdefault(step, {}).setdefault(outcome.status, 0)
                counts[step][outcome.status] += 1
        return {"steps": counts,
                "journals": [str(r.journal) for r in self.steps.values() if r.journal],
                "failed": [{"name": o.name, "detail": o.detail} for o in self.outcomes if o.status == "failed"]}


async def execute_registry_gc(store: "BlobStore", container: str, plan: RegistryGcPlan, *,
                              journal_dir: Path | None = None,
                              progress: Callable[["DeleteOutcome"], None] | None = None) -> RegistryGcReport:
    """Sweep exactly `plan`: manifest links first, then content blobs, then stale uploads.

    Each delete is guarded by the ETag read when the snapshot was taken (a file rewritten since
    is skipped) and journaled. A plan with problems, or a read-only profile, is refused first.
    """
    from aztui.blobs.deletion import DeletePlan, PlannedDelete, execute_delete

    if plan.problems:
        raise AztuiError("the plan has problems, so aztui sweeps nothing: " + "; ".join(plan.problems[:3]),
                         title="Sweep refused", hint="repair or remove the unreadable files, then plan again")
    if store.profile.read_only:
        raise ReadOnlyError.refusing(profile=store.profile.name)
    steps = {
        "manifests": [link for m in plan.delete_manifests for link in m.links],
        "blobs": [blob for _, blob in plan.delete_blobs],
        "uploads": [blob for upload in plan.stale_uploads for blob in upload.blobs],
    }
    report = RegistryGcReport(plan)
    now = datetime.now(timezone.utc)
    for step, blobs in steps.items():
        if not blobs:
            continue
        delete_plan = DeletePlan(store.profile.name, container,
                                 tuple(PlannedDelete(b.name, b.size, b.etag) for b in blobs), now)
        journal = None
        if journal_dir is not None:
            journal = Path(journal_dir) / f"registry-gc-{now:%Y%m%dT%H%M%S%fZ}-{step}.jsonl"
        report.steps[step] = await execute_delete(store, delete_plan, journal=journal, progress=progress)
    return report


def plan_json(plan: RegistryGcPlan, **extra: Any) -> str:
    return json.dumps({**extra, **plan.to_dict()}, indent=2)
