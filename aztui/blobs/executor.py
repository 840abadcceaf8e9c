"""What the blob executors (tier, undelete) share: plan totals, the refusals before any request, the run.

    refuse_unless_executable(plan, store, "changes no tier with it")
    await run_plan(plan.items, set_one, report=report, concurrency=8, progress=progress,
                   journal=path, header=journal_header("aztui-tier", plan, tier=plan.tier))

`run_plan` takes each planned item exactly once, `concurrency` at a time, and records every
outcome three ways: in the report, as a journal line (`Journal`, JSON lines, owner-only) and to
`progress`. The first error the action raises (ReadOnlyError from the transport, cancellation, a
bug) stops the run and is raised; the journal is closed whatever happens. No Textual here.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Sequence

from aztui.errors import AztuiError, ReadOnlyError
from aztui.journal import Journal, utc_now

if TYPE_CHECKING:
    from aztui.azure.blobs import BlobStore


class PlanTotals:
    """`count` and `bytes` of a plan's `items` (each with a `size`): a mixin of the plan dataclasses."""

    items: tuple

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def bytes(self) -> int:
        return sum(item.size for item in self.items)


def refuse_unless_executable(plan: Any, store: "BlobStore", refusal: str) -> None:
    """A plan made for another profile, or a read-only profile (`refusal`: what aztui then does not do),
    is refused before any request."""
    if plan.profile != store.profile.name:
        raise AztuiError(f"the plan was made for profile {plan.profile!r}, not {store.profile.name!r}",
                         title="Plan refused", hint="execute it with the profile it was made for")
    if store.profile.read_only:
        raise ReadOnlyError.refusing(refusal, profile=store.profile.name)


def journal_header(kind: str, plan: Any, **extra: Any) -> dict:
    """The journal's first line: which plan (checksum), for which profile and container, how much."""
    return {"journal": kind, "plan_checksum": plan.checksum(), "profile": plan.profile,
            "container": plan.container, **extra, "count": plan.count, "bytes": plan.bytes,
            "started_at": utc_now()}


def outcome_line(item: Any, outcome: Any) -> dict:
    """The journal line of one outcome."""
    return {"name": outcome.name, "status": outcome.status, "detail": outcome.detail}


async def each(items: Sequence, action: Callable[[Any], Awaitable[None]], concurrency: int) -> None:
    """`await action(item)` for every item, `concurrency` at a time; the first error stops all."""
    todo = iter(items)

    async def worker() -> None:
        for item in todo:  # shared iterator: each item is taken by exactly one worker
            await action(item)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(max(1, min(concurrency, len(items)))):
                group.create_task(worker())
    except BaseExceptionGroup as group_error:
        raise group_error.exceptions[0] from None  # ReadOnlyError from the transport, cancellation, bugs


async def run_plan(items: Sequence, act: Callable[[Any], Awaitable[Any]], *, report: Any, journal: Path,
                   header: dict, concurrency: int, progress: Callable[[Any], None] | None = None,
                   line: Callable[[Any, Any], dict] = outcome_line) -> None:
    """`outcome = await act(item)` for each item, into `report.outcomes`, the journal and `progress`."""
    log = Journal(journal, header)
    report.journal = log.path

    async def one(item: Any) -> None:
        outcome = await act(item)
        report.outcomes.append(outcome)
        log.record(line(item, outcome))
        if progress:
            progress(outcome)

    try:
        await each(items, one, concurrency)
    finally:
        log.close()
