"""Changing the access tier of blobs: a plan, then an executor that changes exactly the plan.

    plan = await plan_tier(store, "backups", "Cool", prefixes=["2024/"])  # reads tiers and ETags now
    ... show plan.count, plan.bytes; confirm ...
    report = await execute_tier(store, plan)

Set Blob Tier takes no If-Match (only a lease and x-ms-if-tags), so each blob's ETag is read
again right before its tier is set: a blob rewritten since the plan is skipped and reported.
Blobs already in the target tier are left out of the plan (and listed as such). Moving an
Archive blob to an online tier starts a rehydration (hours; `rehydrate_priority` Standard or
High), reported as "rehydrating". Every execution writes a journal (JSON lines, owner-only).
No Textual here: the TUI and the headless `aztui blobs tier` both drive these functions.
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
from aztui.exit_codes import EXIT_BAD_INPUT

if TYPE_CHECKING:
    from aztui.azure.blobs import BlobStore

TIERS = ("Hot", "Cool", "Cold", "Archive")
PRIORITIES = ("Standard", "High")
ARCHIVE = "Archive"
PLAN_FORMAT = "aztui-tier-plan/1"


class TierInputError(AztuiError):
    title = "Invalid tier"
    exit_code = EXIT_BAD_INPUT


def tier_name(text: str) -> str:
    """"cool" → "Cool"; anything else than the four tiers is refused."""
    for tier in TIERS:
        if tier.lower() == text.strip().lower():
            return tier
    raise TierInputError(f"unknown access tier {text!r}", hint="one of " + ", ".join(TIERS))


def priority_name(text: str | None, tier: str) -> str | None:
    """"high" → "High"; a priority only goes with an online target tier (it is for rehydration)."""
    if text is None:
        return None
    for priority in PRIORITIES:
        if priority.lower() == text.strip().lower():
            if tier == ARCHIVE:
                raise TierInputError("a rehydrate priority goes with an online tier, not Archive",
                                     hint="give --tier Hot, Cool or Cold, or drop --rehydrate-priority")
            return priority
    raise TierInputError(f"unknown rehydrate priority {text!r}", title="Invalid priority",
                         hint="one of " + ", ".join(PRIORITIES))


def archive_note(tier: str | None, archive_status: str | None, rehydrate_priority: str | None) -> str | None:
    """Why a blob's content cannot be read now (None: it can): archived, or rehydrating."""
    if archive_status and archive_status.startswith("rehydrate-pending-to-"):
        to = archive_status.removeprefix("rehydrate-pending-to-").capitalize()
        priority = f", {rehydrate_priority} priority" if rehydrate_priority else ""
        return (f"Rehydrating from Archive to {to} ({archive_status}{priority}): the content can be read "
                "once the rehydration is done (Standard: up to 15 hours, High: usually under one).")
    if tier == ARCHIVE:
        return ("Archived: the blob is offline, so its content cannot be read or previewed. "
                "Rehydrate it to an online tier first (T: Hot, Cool or Cold).")
    return None


@dataclass(frozen=True)
class PlannedTier:
    name: str
    size: int
    etag: str                 # as read when planning; the tier is set only while the blob still has it
    tier: str | None          # the tier it has now


@dataclass(frozen=True)
class TierPlan(PlanTotals):
    profile: str
    container: str
    tier: str
    rehydrate_priority: str | None
    items: tuple[PlannedTier, ...]
    already: tuple[str, ...]  # names already in `tier`: nothing to do
    created_at: datetime

    @property
    def rehydrations(self) -> int:
        """How many planned blobs leave Archive (each a rehydration of hours)."""
        return sum(1 for item in self.items if item.tier == ARCHIVE)

    def checksum(self) -> str:
        body = json.dumps([self.profile, self.container, self.tier, self.rehydrate_priority,
                           [[i.name, i.size, i.etag, i.tier] for i in self.items]],
                          separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(body.encode()).hexdigest()

    def to_dict(self) -> dict:
        return {"format": PLAN_FORMAT, "profile": self.profile, "container": self.container,
                "tier": self.tier, "rehydrate_priority": self.rehydrate_priority,
                "created_at": self.created_at.isoformat(), "count": self.count, "bytes": self.bytes,
                "checksum": self.checksum(),
                "items": [{"name": i.name, "size": i.size, "etag": i.etag, "tier": i.tier} for i in self.items],
                "already_in_tier": list(self.already)}


def _folder(prefix: str) -> str:
    return prefix if prefix.endswith("/") else prefix + "/"


async def plan_tier(store: "BlobStore", container: str, tier: str, *, rehydrate_priority: str | None = None,
                    names: Iterable[str] = (), prefixes: Iterable[str] = ()) -> TierPlan:
    """The blobs whose tier to change to `tier`, with the size, ETag and tier each has now.

    `names` are exact blob names (a missing one is a `NotFoundError` naming it); `prefixes` are
    virtual folders ("raw" means "raw/"), every blob under them listed now.
    """
    tier = tier_name(tier)
    rehydrate_priority = priority_name(rehydrate_priority, tier)
    found: dict[str, PlannedTier] = {}
    for prefix in prefixes:
        if not prefix.strip("/"):
            raise AztuiError("an empty folder would plan every blob of the container",
                             title="Refused", hint="name the virtual folder")
        continuation = None
        while True:
            page = await store.list_page(container, _folder(prefix), recursive=True, page_size=5000,
                                         continuation=continuation)
            for blob in page.items:
                found[blob.name] = PlannedTier(blob.name, blob.size, blob.etag, blob.tier)
            if (continuation := page.continuation) is None:
                break
    for name in dict.fromkeys(names):
        if name in found:
            continue
        try:
            blob = await store.get_blob(container, name)
        except NotFoundError:
            raise NotFoundError(f"there is no blob {name!r} in container {container!r}",
                                hint="check the name; plan folders with --prefix") from None
        found[name] = PlannedTier(blob.name, blob.size, blob.etag, blob.tier)
    ordered = sorted(found.values(), key=lambda item: item.name)
    items = tuple(item for item in ordered if item.tier != tier)
    already = tuple(item.name for item in ordered if item.tier == tier)
    return TierPlan(store.profile.name, container, tier, rehydrate_priority, items, already,
                    datetime.now(timezone.utc))


TierStatus = Literal["set", "rehydrating", "skipped_changed", "missing", "failed"]


@dataclass
class TierOutcome:
    name: str
    status: TierStatus
    detail: str = ""


@dataclass
class TierReport:
    plan: TierPlan
    outcomes: list[TierOutcome] = field(default_factory=list)
    journal: Path | None = None

    def with_status(self, *statuses: str) -> list[TierOutcome]:
        return [o for o in self.outcomes if o.status in statuses]

    @property
    def done(self) -> list[TierOutcome]:
        """Set, or (Archive → online) accepted and rehydrating."""
        return self.with_status("set", "rehydrating")

    @property
    def skipped(self) -> list[TierOutcome]:
        return self.with_status("skipped_changed")

    @property
    def missing(self) -> list[TierOutcome]:
        return self.with_status("missing")

    @property
    def failed(self) -> list[TierOutcome]:
        return self.with_status("failed")

    @property
    def ok(self) -> bool:
        return not self.skipped and not self.failed


def default_journal_path(plan: TierPlan) -> Path:
    """<user state dir>/aztui/journals/<time>-tier-<profile>-<container>-<checksum>.jsonl"""
    from aztui.locations import file_safe, plan_journal

    return plan_journal("tier", file_safe(plan.profile), plan.container, checksum=plan.checksum())


async def execute_tier(store: "BlobStore", plan: TierPlan, *, journal: Path | None = None,
                       concurrency: int = 8,
                       progress: Callable[[TierOutcome], None] | None = None) -> TierReport:
    """Set the tier of exactly the planned blobs, each only while its ETag is the planned one.

    A plan made for another profile, or a read-only profile, is refused before any request.
    """
    refuse_unless_executable(plan, store, "changes no tier with it")
    report = TierReport(plan)
    if plan.items:
        header = journal_header("aztui-tier", plan, tier=plan.tier, rehydrate_priority=plan.rehydrate_priority)
        await run_plan(plan.items, partial(_set_one, store, plan), report=report,
                       journal=Path(journal) if journal else default_journal_path(plan), header=header,
                       concurrency=concurrency, progress=progress, line=partial(_journal_line, to=plan.tier))
    return report


def _journal_line(item: PlannedTier, outcome: TierOutcome, *, to: str) -> dict:
    return {"name": outcome.name, "status": outcome.status, "from": item.tier, "to": to, "detail": outcome.detail}


async def _set_one(store: "BlobStore", plan: TierPlan, item: PlannedTier) -> TierOutcome:
    try:
        result = await store.set_tier_if_unchanged(plan.container, item.name, item.etag, plan.tier,
                                                   rehydrate_priority=plan.rehydrate_priority)
    except ReadOnlyError:
        raise
    except AztuiError as error:
        return TierOutcome(item.name, "failed", error.render())
    if result == "changed":
        return TierOutcome(item.name, "skipped_changed", "the blob changed after the plan was made")
    if result == "missing":
        return TierOutcome(item.name, "missing", "the blob was already gone")
    if result == "rehydrating":
        return TierOutcome(item.name, "rehydrating", f"rehydrating from Archive to {plan.tier}")
    return TierOutcome(item.name, "set")
