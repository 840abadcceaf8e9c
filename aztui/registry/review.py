"""GC and purge of a Distribution registry on Blob as the Registry pane reviews them: every item with its reason.

    work = await plan_gc_work(registry, GcPolicy(delete_untagged=True))      # or plan_purge_work(registry, options)
    work.delete, work.keep                # ReviewItem rows: kind, name, reason, size
    report = await execute_work(registry, work, progress=...)                 # exactly the plan

The plans are those of `aztui registry gc` (aztui.registry.distribution_gc) and `aztui registry purge`
(aztui.registry.purge + distribution_purge); this module only names each item and its reason, and
runs the plan with the same executors (ETag-guarded, journaled). No Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Literal

from aztui.errors import ReadOnlyError
from aztui.registry.model import short_digest
from aztui.units import count, human_size


@dataclass(frozen=True)
class ReviewItem:
    kind: str                    # "tag", "manifest", "blob", "upload"
    name: str
    reason: str
    size: int | None = None


@dataclass(frozen=True)
class GcPolicy:
    delete_untagged: bool = False
    upload_age: timedelta = timedelta(hours=168)

    def describe(self) -> str:
        from aztui.cache.planner import format_duration

        return (f"delete untagged {'yes' if self.delete_untagged else 'no'}, "
                f"uploads older than {format_duration(self.upload_age)}")


@dataclass(frozen=True)
class RegistryWork:
    """A GC or purge plan, reviewable: what goes and why, what stays and why."""

    kind: Literal["gc", "purge"]
    where: str
    plan: Any                         # RegistryGcPlan | StoragePurgePlan
    delete: tuple[ReviewItem, ...]
    keep: tuple[ReviewItem, ...]
    headline: str
    policy: str
    files: int                        # blobs the executor deletes (its progress total)
    recoverable_days: int | None = None  # soft delete, for the plan screen: 0 off, None unknown or not read

    @property
    def count(self) -> int:
        return len(self.delete)

    @property
    def rules(self) -> str:
        if self.kind == "gc":
            from aztui.registry.distribution_gc import READ_ONLY_WARNING

            return ("Manifest links go first, then unreferenced blobs, then stale uploads; each delete is "
                    f"guarded by its ETag and journaled. Warning: {READ_ONLY_WARNING}.")
        return ("Tags go first (current link, then index links), then manifests' revision links, as the "
                "registry's API deletes them; tags are read again before a manifest goes. Each delete is "
                "guarded by its ETag and journaled. Blobs stay until a GC sweeps them.")


# --- GC --------------------------------------------------------------------------------------------

async def plan_gc_work(registry: Any, policy: GcPolicy) -> RegistryWork:
    """`registry gc` planned now (fresh listings and ETags), with a reason for every item."""
    from aztui.registry.distribution_gc import load_snapshot, plan_registry_gc

    registry.require_layout()
    snapshot = await load_snapshot(registry)
    plan = plan_registry_gc(snapshot, delete_untagged=policy.delete_untagged, upload_age=policy.upload_age)
    delete = [ReviewItem("manifest", f"{m.repository}@{m.digest}",
                         f"no tag points at it (delete untagged); {count(len(m.links), 'link file')}")
              for m in plan.delete_manifests]
    delete += [ReviewItem("blob", digest, "referenced by no manifest that stays", blob.size)
               for digest, blob in plan.delete_blobs]
    delete += [ReviewItem("upload", f"{u.repository} {u.uuid}",
                          f"upload started {u.started_at:%Y-%m-%d %H:%M} UTC, older than the upload age"
                          if u.started_at else "stale upload", u.size) for u in plan.stale_uploads]
    going = {(m.repository, m.digest) for m in plan.delete_manifests}
    keep = []
    for name in sorted(snapshot.repositories):
        repo = snapshot.repositories[name]
        tags: dict[str, list[str]] = {}
        for tag, digest in repo.tags.items():
            if digest:
                tags.setdefault(digest, []).append(tag)
        for digest in sorted(repo.revisions):
            if (name, digest) in going:
                continue
            if digest in tags:
                why = "tagged " + ", ".join(sorted(tags[digest]))
            elif policy.delete_untagged:
                why = "untagged, but an index that stays lists it"
            else:
                why = "untagged, kept: delete untagged is off"
            keep.append(ReviewItem("manifest", f"{name}@{digest}", why))
    problems = "; ".join(plan.problems)
    headline = (f"Would delete {count(len(plan.delete_manifests), 'manifest')}, "
                f"{count(len(plan.delete_blobs), 'blob')} and {count(len(plan.stale_uploads), 'stale upload')}, "
                f"reclaiming {human_size(plan.bytes_reclaimed)}; {len(plan.marked):,} blobs stay referenced."
                if not plan.empty else "Nothing to collect.")
    if problems:
        headline = f"Refused: {problems}"
    files = (sum(len(m.links) for m in plan.delete_manifests) + len(plan.delete_blobs)
             + sum(len(u.blobs) for u in plan.stale_uploads))
    return RegistryWork("gc", where(registry), plan, tuple(delete) if not plan.problems else (), tuple(keep),
                        headline, policy.describe(), files)


# --- purge -----------------------------------------------------------------------------------------

async def plan_purge_work(registry: Any, options: Any) -> RegistryWork:
    """`registry purge` planned now on storage, every tag and manifest with its reason."""
    from aztui.registry.distribution_purge import plan_storage
    from aztui.registry.purge import collect, plan_purge

    registry.require_layout()
    plan = await plan_storage(registry, plan_purge(await collect(registry, options), options))
    delete = tuple(ReviewItem(step.item.tag and "tag" or "manifest", _label(step.item),
                              f"{step.item.reason}; {count(len(step.files), 'link file')}")
                   for step in plan.steps)
    keep = tuple(ReviewItem(item.tag and "tag" or "manifest", _label(item), item.reason)
                 for item in plan.purge.kept + plan.purge.locked)
    tags = sum(1 for s in plan.steps if s.item.tag is not None)
    headline = (f"Would untag {count(tags, 'tag')} and delete {count(len(plan.steps) - tags, 'manifest')} "
                f"({count(len(plan.files), 'link file')}); keeps {len(keep):,}. Blobs stay until a GC."
                if plan.steps else f"Nothing to purge under this policy; keeps {len(keep):,}.")
    described = plan.purge.options
    policy = ", ".join([f"filter {f}" for f in described.get("filters", [])]
                       + [f"exclude {x}" for x in described.get("excludes", [])]
                       + ([f"ago {timedelta(seconds=described['ago_seconds'])}"] if described.get("ago_seconds")
                          else []) + ([f"keep {described['keep']}"] if described.get("keep") else [])
                       + (["untagged"] if described.get("untagged") else []))
    return RegistryWork("purge", where(registry), plan, delete, keep, headline, policy, len(plan.files))


def _label(item: Any) -> str:
    return f"{item.repository}:{item.tag}" if item.tag is not None else f"{item.repository}@{item.digest}"


def where(registry: Any) -> str:
    return f"{registry.container}/{registry.base}".rstrip("/")


# --- executing ---------------------------------------------------------------------------------------

@dataclass
class WorkReport:
    """What a run did: lines of (count, what, examples) and the journals."""

    work: RegistryWork
    lines: list[tuple[int, str, list[str]]] = field(default_factory=list)
    journals: list[Path] = field(default_factory=list)
    failed: int = 0
    done: int = 0


async def execute_work(registry: Any, work: RegistryWork, *,
                       progress: Callable[[object], None] | None = None) -> WorkReport:
    """Run exactly `work.plan` with the CLI's executor; a read-only profile is refused first."""
    if registry.store.profile.read_only:
        raise ReadOnlyError.refusing(profile=registry.store.profile.name)
    report = WorkReport(work)
    if work.kind == "gc":
        from aztui.registry.distribution_gc import execute_registry_gc

        gc = await execute_registry_gc(registry.store, registry.container, work.plan,
                                       progress=progress)
        for step, counts in gc.to_dict()["steps"].items():
            for status, n in sorted(counts.items()):
                names = [o.name for o in gc.steps[step].outcomes if o.status == status and status != "deleted"]
                what = {"manifests": "manifest link files", "uploads": "upload files"}.get(step, step)
                report.lines.append((n, f"{what} {status.replace('_', ' ')}", names))
        report.journals = [r.journal for r in gc.steps.values() if r.journal]
        report.failed = sum(1 for o in gc.outcomes if o.status == "failed")
        report.done = sum(1 for o in gc.outcomes if o.status == "deleted")
        return report
    from aztui.registry.distribution_purge import execute_storage_purge

    purged = await execute_storage_purge(registry, work.plan,
                                         progress=(lambda name, status: progress(name)) if progress else None)
    outcomes = purged.item_outcomes()
    for status in ("deleted", "skipped", "missing", "failed"):
        chosen = [o for o in outcomes if o.status == status]
        if chosen:
            report.lines.append((len(chosen), status, [f"{_label(o.item)}  {o.detail}".rstrip()
                                                       for o in chosen if status != "deleted"]))
    report.journals = [purged.journal] if purged.journal else []
    report.failed = sum(1 for o in outcomes if o.status == "failed")
    report.done = sum(1 for o in outcomes if o.status == "deleted")
    return report


def short(name: str) -> str:
    """A review name with its digest shortened (the screen shows the full one below the table)."""
    if "@sha256:" in name:
        repository, _, digest = name.partition("@")
        return f"{repository}@{short_digest(digest)}"
    return short_digest(name) if name.startswith("sha256:") else name
