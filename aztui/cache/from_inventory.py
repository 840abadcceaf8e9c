"""Plan a BuildKit cache GC from a Blob Inventory report instead of a listing, then check each
planned blob live before anything is deleted.

    plan, snapshot = await plan_from_inventory(store, "inventory", "daily", policy)

Why: past millions of cache blobs the listing is the slow part of a GC, and the service's own
inventory (aztui.blobs.inventory) already holds every blob's name, size, Last-Modified and ETag.
But a report is up to a day old, so:

1. The blobs come from the newest successful run's rows under the cache's blobs prefix (the rule
   must write `Etag` and `Last-Modified`). A blob uploaded after the report is not in it, so it is
   never planned.
2. The manifests (which say what is still needed) are read live, as `read_cache` reads them:
   marking keeps whatever a manifest references now, manifests written after the report included.
   A digest a manifest references that the report lacks is looked up live (Get Blob Properties) and
   is missing only if it is really gone, so `--drop-broken` never drops a manifest for a blob that
   is merely newer than the report.
3. The pure planner (`plan_cache_gc`) plans as it does from a listing.
4. Verify: every planned blob is read live (Get Blob Properties). One gone since the report, one
   whose ETag is not the report's (rewritten since), and an orphan younger than the grace by its
   live Last-Modified are taken out of the plan (`GcPlan.verify_dropped`, each with its reason).
   The others keep the ETag just read: it guards their delete as a listing's ETag would.

From there on it is the ordinary executor (aztui.cache.executor): manifests first, the re-read,
ETag-guarded batches, the journal, --resume, the post-sweep re-read. No Textual here.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from aztui.blobs.inventory import (
    PROGRESS_ROWS,
    InventoryError,
    InventoryRun,
    check_readable,
    iter_rows,
    newest_run,
    parse_report_time,
)
from aztui.blobs.usage import Usage
from aztui.cache.buildkit import (
    READ_CONCURRENCY,
    Anomaly,
    CacheBlob,
    CacheSnapshot,
    cache_layout,
    missing_blob_anomalies,
    not_a_digest_anomaly,
    read_manifests,
)
from aztui.cache.planner import GcItem, GcPlan, GcPolicy, PlanSource, VerifyDrop, format_duration, plan_cache_gc, plural
from aztui.errors import NotFoundError

if TYPE_CHECKING:
    from aztui.azure.blobs import BlobStore

NEEDED_COLUMNS = ("Last-Modified", "Etag")   # besides Name and Content-Length
VERIFY_CONCURRENCY = 32                       # Get Blob Properties in flight while verifying
INSTEAD = "collect with a live `aztui cache gc` (no --inventory)"


class Progress:
    """What `plan_from_inventory` tells as it goes (the CLI shows it on stderr); silent here."""

    def run_found(self, run: InventoryRun) -> None:
        """The run the blobs come from (its `object_count` gives an ETA for the rows)."""

    def rows_read(self, usage: Usage, rows: int) -> None:
        """Every PROGRESS_ROWS report rows: the cache's blobs (count, bytes) found so far."""

    def checked(self, done: int, total: int) -> None:
        """The live check: `done` of the `total` planned blobs looked up so far."""


def bare_etag(etag: str) -> str:
    """An ETag without its quotes: the report writes `0x8D...`, HTTP headers `"0x8D..."`."""
    return etag.strip().removeprefix("W/").strip('"')


async def plan_from_inventory(store: "BlobStore", inventory_container: str, rule: str | None, policy: GcPolicy,
                              now: datetime | None = None, *,
                              progress: Progress | None = None) -> tuple[GcPlan, CacheSnapshot]:
    """The verified plan (see the module docstring) and the snapshot it was made from."""
    progress = progress or Progress()
    run = await newest_run(store, inventory_container, rule)
    progress.run_found(run)
    snapshot = await read_cache_from_inventory(store, run, progress=progress)
    plan = plan_cache_gc(snapshot, policy, now or datetime.now(timezone.utc))
    plan = await verify_plan(store, plan, snapshot, policy.grace, progress=progress)
    return replace(plan, source=PlanSource("inventory", run.completed, run.rule,
                                           f"{run.container}/{run.manifest}")), snapshot


async def read_cache_from_inventory(store: "BlobStore", run: InventoryRun, *, concurrency: int = READ_CONCURRENCY,
                                    progress: Progress | None = None) -> CacheSnapshot:
    """A `CacheSnapshot` whose blobs are the report's and whose manifests are read live."""
    progress = progress or Progress()
    profile = store.profile
    container, _, blobs_at = cache_layout(profile)
    check_readable(run, container, blobs_at, instead=INSTEAD)
    in_container = f"{container}/"
    blobs: dict[str, CacheBlob] = {}
    listed_here = False
    elsewhere: set[str] = set()
    rows = size = 0
    async for row in iter_rows(store, run, needed=NEEDED_COLUMNS):
        rows += 1
        if rows % PROGRESS_ROWS == 0:
            progress.rows_read(Usage(container, blobs_at, len(blobs), size, complete=False), rows)
        if not row.name.startswith(in_container):
            if len(elsewhere) < 4:
                elsewhere.add(row.name.partition("/")[0])
            continue
        listed_here = True
        name = row.name[len(in_container):]
        if row.directory or not name.startswith(blobs_at):
            continue
        etag = bare_etag(row.etag)
        size += row.size
        blobs[name] = CacheBlob(name[len(blobs_at):], name, row.size, parse_report_time(row.last_modified),
                                f'"{etag}"' if etag else "")  # quoted, as a listing gives it
    if not listed_here:
        seen = f"it lists {', '.join(sorted(elsewhere))}" if elsewhere else "it lists no blob at all"
        raise InventoryError(f"inventory run {run.container}/{run.manifest} lists no blob of container "
                             f"{container!r} ({seen})",
                             hint=f"name the inventory of the account and container the cache profile "
                                  f"{profile.name!r} uses, or {INSTEAD}")

    anomalies: list[Anomaly] = []
    manifests = await read_manifests(store, anomalies, concurrency=concurrency)
    listed = sorted(blobs.values(), key=lambda b: b.blob_name)
    anomalies += [not_a_digest_anomaly(b) for b in listed if not b.is_digest]
    in_report = {b.digest for b in listed}
    unknown = sorted({blobs_at + d for m in manifests for d in m.layers or () if d not in in_report})
    newer = frozenset(name[len(blobs_at):] for name in await _existing(store, container, unknown, concurrency))
    anomalies += missing_blob_anomalies(manifests, in_report | newer)
    return CacheSnapshot(profile.name, container, profile.prefix or "", profile.blobs_prefix,
                         profile.manifests_prefix, tuple(manifests), tuple(listed),
                         tuple(sorted(anomalies, key=lambda a: (a.kind, a.subject, a.detail))),
                         datetime.now(timezone.utc), unlisted=newer)


async def _existing(store: "BlobStore", container: str, names: list[str], concurrency: int) -> list[str]:
    """Those of `names` that exist now (one Get Blob Properties each)."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def exists(name: str) -> bool:
        async with gate:
            try:
                await store.get_blob(container, name)
            except NotFoundError:
                return False
        return True

    found = await asyncio.gather(*(exists(n) for n in names))
    return [n for n, ok in zip(names, found, strict=True) if ok]


async def verify_plan(store: "BlobStore", plan: GcPlan, snapshot: CacheSnapshot, grace: timedelta, *,
                      concurrency: int = VERIFY_CONCURRENCY, progress: Progress | None = None) -> GcPlan:
    """`plan` without the blobs that changed, went or are too young by a live look (step 4 above)."""
    progress = progress or Progress()
    total, done = sum(item.kind == "blob" for item in plan.delete), 0
    referenced = snapshot.referenced_by()
    blobs_at = {b.blob_name: b.digest for b in snapshot.blobs}
    gate = asyncio.Semaphore(max(1, concurrency))
    since = "since the inventory report"

    async def check(item: GcItem) -> GcItem | VerifyDrop:
        nonlocal done
        if item.kind != "blob":
            return item
        try:
            return await look(item)
        finally:
            done += 1
            progress.checked(done, total)

    async def look(item: GcItem) -> GcItem | VerifyDrop:
        async with gate:
            try:
                live = await store.get_blob(plan.container, item.name)
            except NotFoundError:
                return VerifyDrop(item.name, item.size, f"gone {since}")
        if bare_etag(live.etag) != bare_etag(item.etag):
            return VerifyDrop(item.name, item.size, f"rewritten {since} (ETag {bare_etag(item.etag) or 'none'} "
                                                    f"in the report, {bare_etag(live.etag)} now)")
        orphan = blobs_at.get(item.name) not in referenced
        now = datetime.now(timezone.utc)
        if orphan and (live.last_modified is None or now - live.last_modified <= grace):
            modified = f"{live.last_modified:%Y-%m-%d %H:%M:%S} UTC" if live.last_modified else "an unknown time"
            return VerifyDrop(item.name, item.size, f"orphan younger than {format_duration(grace)} when checked "
                                                    f"(last modified {modified})")
        return replace(item, etag=live.etag, size=live.size)

    checked = await asyncio.gather(*(check(i) for i in plan.delete))
    dropped = tuple(sorted((c for c in checked if isinstance(c, VerifyDrop)), key=lambda d: d.name))
    if not dropped:
        return replace(plan, delete=tuple(c for c in checked if isinstance(c, GcItem)))
    said = (f"{plural(len(dropped), 'planned blob')} dropped by the live check "
            "(changed, gone or too young since the inventory report)")
    return replace(plan, delete=tuple(c for c in checked if isinstance(c, GcItem)), verify_dropped=dropped,
                   kept_summary=(*plan.kept_summary, said))
