"""Retention for container registries the way `acr purge` (Azure/acr-cli) does it: plan, then execute.

    snapshots = await collect(registry, filters, untagged=True)     # reads tags and manifests
    plan = plan_purge(snapshots, PurgeOptions(filters=..., ago=parse_ago("7d"), keep=3, untagged=True))
    report = await execute_purge(registry, plan)                    # deletes exactly the plan

Rules, as acr-cli's `purge` applies them:
- `--filter '<repo-regex>:<tag-regex>'`: the repository regex must match the whole name
  (acr-cli wraps it in `^...$`), the tag regex may match anywhere in the tag (not anchored);
  exactly one ':' separates them. `--exclude` (aztui's, acr-cli#59) uses the same form: a tag
  it matches is never deleted.
- `--ago 2d3h6m`: a tag is eligible when its last update is older than now - ago.
- `--keep N`: the newest N eligible tags of each repository are kept.
- Tags or manifests with `can_delete` or `can_write` off are locked: kept and reported.
- `--untagged`: manifests without tags once the planned tags are gone are deleted too, except
  locked ones, manifests with an OCI `subject` (signatures, SBOMs...) and the children of any
  index (or manifest list) that stays.
The planner is pure; the plan is immutable and carries a checksum over what it deletes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable

from aztui.errors import AztuiError
from aztui.exit_codes import EXIT_BAD_INPUT
from aztui.patterns import UserPattern, compile_pattern
from aztui.registry.images import parse_content
from aztui.registry.model import ManifestInfo, TagInfo

INDEX_MEDIA_TYPES = frozenset({"application/vnd.oci.image.index.v1+json",
                               "application/vnd.docker.distribution.manifest.list.v2+json"})
_AGO_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|d|h|m|s)")
_AGO_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


class PurgeInputError(AztuiError):
    title = "Invalid purge option"
    exit_code = EXIT_BAD_INPUT


# --- options ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filter:
    """`<repo-regex>:<tag-regex>`: the repository regex anchored, the tag regex not (acr-cli)."""

    text: str
    repository: UserPattern     # matched whole (fullmatch)
    tag: UserPattern            # searched anywhere; both time out with a PurgeInputError (aztui.patterns)

    def matches_repository(self, name: str) -> bool:
        return self.repository.fullmatch(name)

    def matches(self, repository: str, tag: str) -> bool:
        return self.matches_repository(repository) and self.tag.search(tag)


def parse_filter(text: str, *, option: str = "--filter") -> Filter:
    parts = text.split(":")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise PurgeInputError(f"{option} {text!r} is not '<repository-regex>:<tag-regex>'",
                              hint=f"e.g. {option} 'app/.*:^v1\\.' (exactly one ':' between the two regexes)")

    def compiled(source: str) -> UserPattern:
        return compile_pattern(source, option=option, text=text, error=PurgeInputError,
                               hint=f"Python `re` syntax, e.g. {option} 'app/.*:^v1\\.'")
    return Filter(text, compiled(f"(?:{parts[0]})"), compiled(parts[1]))


def parse_ago(text: str) -> timedelta:
    """`2d3h6m` (acr-cli's form: days, then Go-style h/m/s/ms) as a timedelta."""
    cleaned = text.strip()
    if cleaned in ("0", ""):
        return timedelta(0)
    pos, seconds = 0, 0.0
    for match in _AGO_PART.finditer(cleaned):
        if match.start() != pos:
            break
        seconds += float(match.group(1)) * _AGO_UNITS[match.group(2)]
        pos = match.end()
    if pos != len(cleaned):
        raise PurgeInputError(f"--ago {text!r} is not a duration", hint="e.g. 30d, 2d3h6m, 12h, 90m")
    try:
        return timedelta(seconds=seconds)
    except (OverflowError, ValueError):  # beyond timedelta's 999999999 days, or inf
        raise PurgeInputError(f"--ago {text!r} is too long a duration", hint="at most 999999999 days") from None


@dataclass(frozen=True)
class PurgeOptions:
    filters: tuple[Filter, ...]
    excludes: tuple[Filter, ...] = ()
    ago: timedelta = timedelta(0)
    keep: int = 0
    untagged: bool = False

    def describe(self) -> dict[str, Any]:
        return {"filters": [f.text for f in self.filters], "excludes": [f.text for f in self.excludes],
                "ago_seconds": self.ago.total_seconds(), "keep": self.keep, "untagged": self.untagged}


# --- the plan -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RepositorySnapshot:
    """What the planner reads of one repository; manifests carry `references` and `subject`."""

    name: str
    tags: tuple[TagInfo, ...]
    manifests: tuple[ManifestInfo, ...]


@dataclass(frozen=True)
class PurgeItem:
    repository: str
    digest: str
    tag: str | None = None          # None: the manifest itself
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        item = {"repository": self.repository, "digest": self.digest, "reason": self.reason}
        if self.tag is not None:
            item["tag"] = self.tag
        return item


@dataclass(frozen=True)
class PurgePlan:
    options: dict[str, Any]
    now: datetime
    delete: tuple[PurgeItem, ...]            # tags first, then manifests
    locked: tuple[PurgeItem, ...]            # matched, would go, but locked: kept
    kept: tuple[PurgeItem, ...]              # matched and kept: --keep, --exclude, newer than --ago,
                                             # index children, subjects

    @property
    def tags(self) -> tuple[PurgeItem, ...]:
        return tuple(i for i in self.delete if i.tag is not None)

    @property
    def manifests(self) -> tuple[PurgeItem, ...]:
        return tuple(i for i in self.delete if i.tag is None)

    def checksum(self) -> str:
        body = json.dumps([[i.repository, i.tag, i.digest] for i in self.delete], separators=(",", ":"))
        return hashlib.sha256(body.encode()).hexdigest()

    def to_dict(self, *, dry_run: bool = True) -> dict[str, Any]:
        return {"dry_run": dry_run, **self.options, "now": self.now.isoformat(),
                "delete": [i.to_dict() for i in self.delete],
                "delete_tags": len(self.tags), "delete_manifests": len(self.manifests),
                "keep": len(self.kept), "kept": [i.to_dict() for i in self.kept],
                "locked": [i.to_dict() for i in self.locked], "checksum": self.checksum()}


def _locked(item: TagInfo | ManifestInfo) -> bool:
    return item.can_delete is False or item.can_write is False


def _newest_first(tags: Iterable[TagInfo]) -> list[TagInfo]:
    oldest = datetime.min.replace(tzinfo=timezone.utc)
    return sorted(tags, key=lambda t: (t.last_updated or oldest, t.name), reverse=True)


def plan_purge(snapshots: Iterable[RepositorySnapshot], options: PurgeOptions, *,
               now: datetime | None = None) -> PurgePlan:
    """What to delete; pure: the same snapshots and options give the same plan."""
    now = now or datetime.now(timezone.utc)
    cutoff = now - options.ago
    delete: list[PurgeItem] = []
    manifest_deletes: list[PurgeItem] = []
    locked: list[PurgeItem] = []
    kept: list[PurgeItem] = []
    for repo in sorted(snapshots, key=lambda s: s.name):
        filters = [f for f in options.filters if f.matches_repository(repo.name)]
        if not filters:
            continue
        eligible: list[TagInfo] = []
        for tag in _newest_first(repo.tags):
            if not any(f.matches(repo.name, tag.name) for f in filters):
                continue
            item = PurgeItem(repo.name, tag.digest, tag.name)
            if any(x.matches(repo.name, tag.name) for x in options.excludes):
                kept.append(_why(item, "excluded by --exclude"))
            elif tag.last_updated is not None and tag.last_updated >= cutoff:
                kept.append(_why(item, "updated after the --ago cut-off"))
            elif _locked(tag):
                locked.append(_why(item, "tag is locked (can_delete or can_write off)"))
            else:
                eligible.append(tag)
        for index, tag in enumerate(eligible):
            item = PurgeItem(repo.name, tag.digest, tag.name)
            if index < options.keep:
                kept.append(_why(item, f"one of the newest {options.keep} (--keep)"))
            else:
                delete.append(_why(item, "tag matches the filter" + (" and is older than --ago"
                                                                     if options.ago else "")))
        if options.untagged:
            gone = {i.tag for i in delete if i.repository == repo.name}
            manifest_deletes += _untagged(repo, gone, locked, kept)
    return PurgePlan(options.describe(), now, tuple(delete + manifest_deletes), tuple(locked), tuple(kept))


def _why(item: PurgeItem, reason: str) -> PurgeItem:
    return PurgeItem(item.repository, item.digest, item.tag, reason)


def _untagged(repo: RepositorySnapshot, deleted_tags: set[str | None], locked: list[PurgeItem],
              kept: list[PurgeItem]) -> list[PurgeItem]:
    """Manifests left without tags, minus locked ones, subjects and children of indexes that stay."""
    tags_left: dict[str, int] = {}
    for tag in repo.tags:
        if tag.name not in deleted_tags:
            tags_left[tag.digest] = tags_left.get(tag.digest, 0) + 1
    by_digest = {m.digest: m for m in repo.manifests}
    staying: set[str] = set()
    reasons: dict[str, tuple[str, bool]] = {}      # digest -> (why it stays, is it a lock)
    for m in repo.manifests:
        if tags_left.get(m.digest):
            staying.add(m.digest)
        elif _locked(m):
            staying.add(m.digest)
            reasons[m.digest] = ("manifest is locked (can_delete or can_write off)", True)
        elif m.subject:
            staying.add(m.digest)
            reasons[m.digest] = (f"refers to {m.subject} (OCI subject)", False)
    # children of every index that stays, transitively (an index inside an index)
    todo = [d for d in staying]
    while todo:
        parent = by_digest.get(todo.pop())
        for child in parent.references if parent else ():
            if child not in staying:
                staying.add(child)
                reasons[child] = (f"child of index {parent.digest} that stays", False)
                todo.append(child)
    out: list[PurgeItem] = []
    for m in sorted(repo.manifests, key=lambda m: m.digest):
        if m.digest in reasons:
            why, is_lock = reasons[m.digest]
            (locked if is_lock else kept).append(PurgeItem(repo.name, m.digest, None, why))
        elif m.digest not in staying:
            was = "untagged" if not m.tags else "left without tags by this purge"
            out.append(PurgeItem(repo.name, m.digest, None, f"manifest {was} (--untagged)"))
    return out


# --- reading what the planner needs -----------------------------------------------------------------

async def collect(registry: Any, options: PurgeOptions, *, concurrency: int = 8) -> list[RepositorySnapshot]:
    """Tags and manifests of every repository a filter matches; with --untagged, the manifest
    documents too (index children, `subject`) where the listing does not carry them."""
    names = [n for n in await _repository_names(registry)
             if any(f.matches_repository(n) for f in options.filters)]
    gate = asyncio.Semaphore(concurrency)

    async def one(name: str) -> RepositorySnapshot:
        async with gate:
            tags = await registry.list_tags(name)
            manifests = await registry.list_manifests(name) if options.untagged else []
        if options.untagged and hasattr(registry, "manifest_content"):
            manifests = list(await asyncio.gather(*(_with_content(registry, gate, m) for m in manifests)))
        return RepositorySnapshot(name, tuple(tags), tuple(manifests))

    return list(await asyncio.gather(*(one(n) for n in names)))


async def _repository_names(registry: Any) -> list[str]:
    if hasattr(registry, "list_repository_names"):
        return await registry.list_repository_names()
    return [r.name async for r in registry.iter_repositories()]


async def _with_content(registry: Any, gate: asyncio.Semaphore, m: ManifestInfo) -> ManifestInfo:
    if m.references or m.subject or m.content is not None:
        return m
    async with gate:
        document = await registry.manifest_content(m.repository, m.digest)
    try:
        content = parse_content(document)
    except ValueError:
        return m
    return replace(m, references=tuple(c.digest for c in content.children), subject=content.subject,
                   media_type=m.media_type or content.media_type, content=content)


# --- executing ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PurgeOutcome:
    item: PurgeItem
    status: str          # deleted | missing | failed | skipped (Distribution: changed since the plan)
    detail: str = ""


@dataclass
class PurgeReport:
    outcomes: list[PurgeOutcome] = field(default_factory=list)
    journal: Path | None = None

    def with_status(self, status: str) -> list[PurgeOutcome]:
        return [o for o in self.outcomes if o.status == status]

    def to_dict(self) -> dict[str, Any]:
        return {"deleted": len(self.with_status("deleted")), "missing": len(self.with_status("missing")),
                "failed": [{**o.item.to_dict(), "error": o.detail} for o in self.with_status("failed")],
                "skipped": [{**o.item.to_dict(), "why": o.detail} for o in self.with_status("skipped")],
                "journal": str(self.journal) if self.journal else None}


def default_journal_path() -> Path:
    """<user state dir>/aztui/journals/registry-purge-<time>.jsonl"""
    from aztui.locations import journals_dir, timestamp

    return journals_dir() / f"registry-purge-{timestamp()}.jsonl"


async def execute_purge(registry: Any, plan: PurgePlan, *, journal: Path | None = None,
                        concurrency: int = 8) -> PurgeReport:
    """Delete exactly `plan.delete`: all tags first, then the manifests; one journal line each.

    A `journal` path that exists already is appended to."""
    from aztui.errors import NotFoundError
    from aztui.journal import Journal, utc_now

    journal = journal or default_journal_path()
    report = PurgeReport(journal=journal)
    header = {"plan": plan.checksum(), "count": len(plan.delete), "at": utc_now()}
    with Journal(journal, header, may_exist=True, stamp=False) as out:
        gate = asyncio.Semaphore(concurrency)

        async def one(item: PurgeItem) -> PurgeOutcome:
            async with gate:
                try:
                    if item.tag is not None:
                        await registry.delete_tag(item.repository, item.tag)
                    else:
                        await registry.delete_manifest(item.repository, item.digest)
                    outcome = PurgeOutcome(item, "deleted")
                except NotFoundError as err:
                    outcome = PurgeOutcome(item, "missing", err.message)
                except AztuiError as err:
                    outcome = PurgeOutcome(item, "failed", err.render())
            out.record({**item.to_dict(), "status": outcome.status, "detail": outcome.detail})
            return outcome

        for batch in (plan.tags, plan.manifests):
            report.outcomes += await asyncio.gather(*(one(i) for i in batch))
    return report
