"""Delete tags, manifests and repositories by name: plan (a fresh read, locks checked), then execute.

One planner for `aztui registry rm` and the Registry pane's `x`:

    plan = await plan_registry_delete(registry, [Target.parse("app:v1")], where="acme.azurecr.io")
    report = await execute_registry_delete(registry, plan)      # exactly the plan; journalled

The plan reads every target afresh: a target that does not exist is an error, a locked one
(`can_delete` or `can_write` off, which the registry would refuse) is kept out of the deletes and
listed in `plan.locked` — the pane refuses it before the review (`refuse_locked`), the CLI reports
it as failed without sending the request. Tags and manifests go through `execute_purge` (one
journal line each); repositories after them. Only backends whose `capabilities.delete` is set.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from aztui.errors import AztuiError, NotFoundError
from aztui.registry.model import Registry, is_locked, media_label, platform_label, short_digest
from aztui.registry.purge import PurgeItem, PurgeOutcome, PurgePlan, PurgeReport, execute_purge
from aztui.units import count, human_size


@dataclass(frozen=True)
class Target:
    """A repository, a tag in it (`tag`) or a manifest in it (`digest`)."""

    repository: str
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, text: str) -> Target:
        """REPO, REPO:TAG or REPO@sha256:... (the CLI's TARGET)."""
        if "@" in text:
            repo, _, digest = text.partition("@")
            if repo and digest.startswith("sha256:"):
                return cls(repo, digest=digest)
        elif ":" in text:
            repo, _, tag = text.rpartition(":")
            if repo and tag:
                return cls(repo, tag=tag)
        elif text:
            return cls(text)
        raise AztuiError(f"{text!r} is not REPO, REPO:TAG or REPO@sha256:...", title="Invalid target")

    @property
    def what(self) -> str:
        return "tag" if self.tag else "manifest" if self.digest else "repository"

    @property
    def label(self) -> str:
        if self.tag:
            return f"{self.repository}:{self.tag}"
        if self.digest:
            return f"{self.repository}@{self.digest}"
        return self.repository


@dataclass(frozen=True)
class LockedTarget:
    target: Target
    flags_off: tuple[str, ...]                # "can_delete", "can_write"
    item: PurgeItem                           # as it would have gone

    def error(self) -> AztuiError:
        return AztuiError(f"{self.target.label} is locked ({', '.join(f'{n} = false' for n in self.flags_off)}), "
                          "so the registry refuses to delete it",
                          title="Locked", hint="unlock it first: l in the Registry pane, or "
                                               f"`aztui registry unlock PROFILE {self.target.label}`")


@dataclass(frozen=True)
class RegistryDeletePlan:
    """What a delete removes, read just before the review; executed exactly as planned."""

    targets: tuple[Target, ...]
    registry: str                             # where, for the review: the registry's host or account
    purge: PurgePlan | None                   # the tags and manifests; None when there are none
    repositories: tuple[str, ...] = ()        # whole repositories, deleted after the purge
    lines: tuple[str, ...] = ()               # what goes, one line each, for the review
    warnings: tuple[str, ...] = ()
    locked: tuple[LockedTarget, ...] = ()     # named but locked: never sent
    reason: str = ""                          # why, in the journal: where the targets were chosen

    @property
    def target(self) -> Target:
        return self.targets[0]

    @property
    def what(self) -> str:
        return self.target.what if len(self.targets) == 1 else "items"

    def refuse_locked(self) -> None:
        """Raise the first locked target's refusal (the pane shows it instead of a review)."""
        if self.locked:
            raise self.locked[0].error()


@dataclass
class RegistryDeleteReport:
    """The purge's outcomes (tags and manifests, journalled), then each repository's."""

    purge: PurgeReport | None
    repositories: list[PurgeOutcome] = field(default_factory=list)
    refused: list[PurgeOutcome] = field(default_factory=list)    # locked: never sent

    @property
    def outcomes(self) -> list[PurgeOutcome]:
        return (self.purge.outcomes if self.purge else []) + self.refused + self.repositories

    @property
    def journal(self) -> Path | None:
        return self.purge.journal if self.purge else None

    def with_status(self, status: str) -> list[PurgeOutcome]:
        return [o for o in self.outcomes if o.status == status]


def require(registry: Registry, capability: str, what: str) -> None:
    """Refuse `what` unless the backend has `capability` ("delete", "lock"): only ACR has them; a
    Distribution registry is read from storage and cleaned by `aztui registry gc`."""
    if not getattr(registry.capabilities, capability):
        raise AztuiError(f"{what} is not available for Distribution registries; use `aztui registry gc`",
                         title="Not available",
                         hint="the Registry pane deletes and locks on Azure Container Registry profiles only")


def _flags_off(item) -> tuple[str, ...]:
    return tuple(name for name in ("can_delete", "can_write") if getattr(item, name, None) is False)


@dataclass
class _Planned:
    """One target as read: what would go, the item it was read from, and the review's words."""

    item: PurgeItem | None                    # None for a repository
    read: object                              # TagInfo, ManifestInfo or RepositoryInfo (its locks)
    lines: list[str]
    warnings: list[str] = field(default_factory=list)


async def plan_registry_delete(registry: Registry, targets: Iterable[Target], *, where: str,
                               reason: str) -> RegistryDeletePlan:
    """Read each target afresh; list what goes with it; keep locked ones out (see the module doc)."""
    targets = tuple(targets)
    require(registry, "delete", f"Deleting {targets[0].label}" if len(targets) == 1 else "Deleting")
    items, repositories, lines, warnings, locked = [], [], [], [], []
    for target in targets:
        planned = await (_plan_tag(registry, target, reason) if target.tag
                         else _plan_manifest(registry, target, reason) if target.digest
                         else _plan_repository(registry, target))
        item = planned.item or PurgeItem(target.repository, "", None, reason)
        flags_off = _flags_off(planned.read)
        if flags_off:
            locked.append(LockedTarget(target, flags_off, item))
            continue
        if planned.item is None:
            repositories.append(target.repository)
        else:
            items.append(item)
        lines += planned.lines
        warnings += planned.warnings
    items.sort(key=lambda i: i.tag is None)  # tags first, as a purge deletes them
    locked_items = tuple(lt.item for lt in locked if lt.target.what != "repository")
    purge = (PurgePlan({"targets": [t.label for t in targets]}, datetime.now(timezone.utc), tuple(items),
                       locked_items, ()) if items or locked_items else None)
    return RegistryDeletePlan(targets, where, purge, tuple(repositories), tuple(lines), tuple(warnings),
                              tuple(locked), reason)


def _missing(target: Target) -> NotFoundError:
    return NotFoundError(f"{target.label} does not exist any more",
                         hint="reload to see the registry as it is (r in the Registry pane)")


async def _plan_tag(registry: Registry, target: Target, reason: str) -> _Planned:
    tags = {t.name: t for t in await registry.list_tags(target.repository)}
    tag = tags.get(target.tag)
    if tag is None:
        raise _missing(target)
    others = sorted(t.name for t in tags.values() if t.digest == tag.digest and t.name != tag.name)
    note = (f"the manifest stays, still tagged {', '.join(others)}" if others
            else "the manifest stays, untagged (delete it too, or let a purge with --untagged take it)")
    return _Planned(PurgeItem(target.repository, tag.digest, tag.name, reason), tag,
                    [f"tag {tag.name} → {tag.digest}", note])


async def _plan_manifest(registry: Registry, target: Target, reason: str) -> _Planned:
    manifests = await registry.list_manifests(target.repository)
    manifest = next((m for m in manifests if m.digest == target.digest), None)
    if manifest is None:
        raise _missing(target)
    lines = [f"manifest {manifest.digest}",
             f"{media_label(manifest) or 'unknown type'}  {platform_label(manifest)}  "
             f"{human_size(manifest.size) if manifest.size is not None else ''}".rstrip()]
    lines += [f"and its tag {t}" for t in manifest.tags] or ["untagged"]
    warnings = []
    parents = [m for m in manifests if manifest.digest in m.references]
    if parents:
        warnings.append("Referenced by index " + ", ".join(short_digest(p.digest) for p in parents)
                        + ": that index will point at a missing manifest.")
    if manifest.references:
        warnings.append(f"An index: its {count(len(manifest.references), 'child manifest')} stay, untagged.")
    return _Planned(PurgeItem(target.repository, manifest.digest, None, reason), manifest, lines, warnings)


async def _plan_repository(registry: Registry, target: Target) -> _Planned:
    repo = target.repository
    properties = await registry.repository(repo) if registry.capabilities.repository_properties else None
    if properties is not None and _flags_off(properties):
        return _Planned(None, properties, [])
    tags, manifests = await asyncio.gather(registry.list_tags(repo), registry.list_manifests(repo))
    inner_locks = [m for m in manifests if is_locked(m)] + [t for t in tags if is_locked(t)]
    lines = [f"repository {repo}: {count(len(tags), 'tag')}, {count(len(manifests), 'manifest')}"]
    lines += [f"tag {t.name}" for t in sorted(tags, key=lambda t: t.name)]
    warnings = []
    if inner_locks:
        warnings.append(f"{count(len(inner_locks), 'locked item')} in it: the registry may refuse the delete.")
    return _Planned(None, properties, lines, warnings)


async def execute_registry_delete(registry: Registry, plan: RegistryDeletePlan, *,
                                  journal: Path | None = None) -> RegistryDeleteReport:
    """Delete exactly `plan`: tags and manifests through `execute_purge` (journalled), then repositories."""
    require(registry, "delete", f"Deleting {plan.target.label}")
    purge = None
    if plan.purge is not None and plan.purge.delete:
        purge = await execute_purge(registry, plan.purge, journal=journal)
    report = RegistryDeleteReport(purge)
    report.refused = [PurgeOutcome(lt.item, "failed", lt.error().render()) for lt in plan.locked]
    for repo in plan.repositories:
        item = PurgeItem(repo, "", None, plan.reason)
        try:
            await registry.delete_repository(repo)
            outcome = PurgeOutcome(item, "deleted")
        except NotFoundError as error:
            outcome = PurgeOutcome(item, "missing", error.message)
        except AztuiError as error:
            outcome = PurgeOutcome(item, "failed", error.render())
        report.repositories.append(outcome)
    return report
