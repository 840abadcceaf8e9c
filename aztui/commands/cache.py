"""`aztui cache ls | gc`: the BuildKit cache's names and its garbage collection, headless.

    aztui cache ls PROFILE [--json] [--all] [--verify] [--progress]
    aztui cache gc PROFILE [--grace 24h] [--max-age 30d] [--keep N] [--include RE] [--exclude RE]
                           [--drop-broken] [--inventory INVENTORY_CONTAINER[/RULE]] [--json]
                           [--plan-file F] [--execute] [--progress]
    aztui cache gc PROFILE --resume JOURNAL [--json]

See EXIT_CODES for what each command returns.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from aztui.commands.blobs import load_profile, save_plan
from aztui.errors import AztuiError, ReadOnlyError
from aztui.exit_codes import EXIT_BAD_INPUT, EXIT_NOTHING, EXIT_OK, EXIT_PARTLY
from aztui.units import human_size, iso, terminal_safe

EXIT_CODES = """\
exit codes:
  0  ok: listed; dry run with something to delete; every planned delete done (or saved/skipped
     for safety: a blob referenced again or rewritten since the plan is not a failure)
  1  failed (Azure error, refused profile)
  2  bad input: command line, duration, regex, profiles file, plan file (edited, or made for
     another profile/container)
  3  nothing to do: the plan is empty, or nothing was deleted and nothing failed
  4  partly failed: some deletes failed (see the journal); run again or --resume the journal
"""

GC_RULES = """\
rules (see aztui/cache/planner.py):
  - a blob referenced by any kept cache name is never deleted
  - an orphan blob (no manifest references it) is deleted only once older than --grace
  - a cache name expires when it matches --include and not --exclude (Python regex, searched
    anywhere in the name: anchor with ^ and $), its last export is older than --max-age, and it
    is not one of the --keep newest names of its group (the name up to its last '/');
    --keep alone expires every name beyond the N newest; neither: no name expires
  - blobs referenced only by expired names are deleted with them
  - while any manifest is unreadable no blob is deleted (--ignore-unreadable overrides)
  - --drop-broken: a cache name whose manifest references a missing blob (every build importing
    it fails) is deleted, among the names --include/--exclude select; never without the flag
  - --execute deletes the manifests first, re-reads every manifest, spares blobs referenced
    again, then deletes blobs in ETag-guarded batches, with a journal in the user state dir;
    then it reads the manifests once more and deletes any written during the sweep that
    references a blob it deleted (status dropped_raced: builds see a cache miss, not a 404)
  - --inventory: the blobs come from the newest successful Blob Inventory run (CSV, with Etag and
    Last-Modified) instead of a listing; the manifests are still read live. Blobs newer than the
    report are never planned, and every planned blob is checked live before the plan is shown:
    one rewritten (another ETag), gone, or (an orphan) younger than --grace is dropped from the
    plan and listed (verify_dropped)
"""


PROGRESS_HELP = ("show the blob listing's count, rate and ETA on stderr even when it is not a terminal "
                 "(on a terminal it is always shown); with --inventory, the report rows read and the live "
                 "check of each planned blob")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add `cache` and its actions to the `aztui` subcommands."""
    raw = argparse.RawDescriptionHelpFormatter
    cache = subparsers.add_parser("cache", help="BuildKit azblob caches: list names, collect garbage",
                                  description="BuildKit azblob remote caches.", epilog=EXIT_CODES,
                                  formatter_class=raw)
    actions = cache.add_subparsers(dest="cache_command", metavar="ACTION", required=True)

    ls = actions.add_parser("ls", help="cache names with layers and sizes, orphans, anomalies",
                            epilog=EXIT_CODES, formatter_class=raw,
                            description="List the cache names of a BuildKit cache profile (its `name` list, "
                                        "or all with --all): layers, bytes, bytes unique to the name, "
                                        "bytes shared with other names, last export; then the orphan "
                                        "blobs and the anomalies found.")
    ls.add_argument("profile", metavar="PROFILE")
    ls.add_argument("--json", action="store_true", help="print a JSON object")
    ls.add_argument("--all", action="store_true", help="every cache name, not only the profile's `name` list")
    ls.add_argument("--progress", action="store_true", help=PROGRESS_HELP)
    ls.add_argument("--verify", action="store_true",
                    help="also download every layer and check it against its digest (slow)")

    gc = actions.add_parser(
        "gc", help="delete stale cache blobs safely: a dry run unless --execute", formatter_class=raw,
        description="Plan which cache names and blobs to delete and print the plan. Nothing is deleted "
                    "without --execute.",
        epilog="examples:\n"
               "  aztui cache gc ci-cache                            orphans older than 24h (dry run)\n"
               "  aztui cache gc ci-cache --max-age 30d --keep 3 --plan-file plan.json\n"
               "  aztui cache gc ci-cache --drop-broken              also plan the broken cache names\n"
               "  aztui cache gc ci-cache --execute --plan-file plan.json   delete exactly that plan\n"
               "  aztui cache gc ci-cache --resume JOURNAL           finish an interrupted --execute\n"
               "  aztui cache gc ci-cache --inventory inventory/daily   plan from a Blob Inventory report\n\n"
               "durations: 30d, 24h, 2d3h6m, 90m, 45s\n\n" + GC_RULES + "\n" + EXIT_CODES)
    gc.add_argument("profile", metavar="PROFILE")
    gc.add_argument("--grace", type=_duration, default="24h", metavar="DURATION",
                    help="orphan blobs younger than this are kept (default 24h)")
    gc.add_argument("--max-age", type=_duration, metavar="DURATION",
                    help="expire cache names not exported for this long")
    gc.add_argument("--keep", type=_count, metavar="N", help="keep the N newest names of each group")
    gc.add_argument("--include", type=_regex, metavar="RE", help="only cache names matching RE can expire")
    gc.add_argument("--exclude", type=_regex, metavar="RE", help="cache names matching RE never expire")
    gc.add_argument("--ignore-unreadable", action="store_true",
                    help="collect blobs even while some manifest is unreadable (its references are lost)")
    gc.add_argument("--drop-broken", action="store_true",
                    help="also delete cache manifests that reference a missing blob (builds importing "
                         "them fail; without the manifest they miss the cache and rebuild)")
    gc.add_argument("--inventory", metavar="INVENTORY_CONTAINER[/RULE]",
                    help="plan from the newest successful Blob Inventory run in this container (of RULE) "
                         "instead of listing the blobs; each planned blob is checked live first")
    gc.add_argument("--json", action="store_true", help="print a JSON object")
    gc.add_argument("--progress", action="store_true", help=PROGRESS_HELP)
    gc.add_argument("--plan-file", metavar="F", type=Path,
                    help="without --execute: save the plan to F; with --execute: delete exactly the plan in F")
    gc.add_argument("--execute", action="store_true", help="really delete (default: dry run)")
    gc.add_argument("--resume", metavar="JOURNAL", type=Path, help="finish the run recorded in JOURNAL")
    gc.add_argument("--batch-size", type=_count, default=256, help=argparse.SUPPRESS)
    gc.add_argument("--concurrency", type=_count, default=4, help=argparse.SUPPRESS)
    return cache


def run(args: argparse.Namespace) -> int:
    """Run `aztui cache ...`; AztuiErrors propagate to the caller, which renders them."""
    command = {"ls": run_ls, "gc": run_gc}[args.cache_command]
    return asyncio.run(command(args))


# --- argument types ---------------------------------------------------------------------------

def _duration(text: str):
    from aztui.cache.planner import PolicyError, parse_duration

    try:
        return parse_duration(text)
    except PolicyError as error:
        raise argparse.ArgumentTypeError(f"{error.message} ({error.hint})") from None


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _regex(text: str) -> str:
    import re

    try:
        re.compile(text)
    except re.error as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a valid regular expression: {exc}") from None
    return text


def _open(profile):
    from aztui.azure.blobs import BlobStore

    return BlobStore(profile)


def _cache_profile(args: argparse.Namespace):
    from aztui.cache.buildkit import cache_layout

    profile = load_profile(args, args.profile)
    try:
        cache_layout(profile)
    except AztuiError as error:
        error.exit_code = EXIT_BAD_INPUT
        raise
    return profile


# --- ls ---------------------------------------------------------------------------------------

async def run_ls(args: argparse.Namespace) -> int:
    from aztui.cache.buildkit import read_cache

    profile = _cache_profile(args)
    async with _open(profile) as store:
        snap = await read_cache(store, verify_digests=args.verify, progress=_listing_meter(args, store))
    only = None if args.all or not profile.cache_names else profile.cache_names
    names = snap.names(only)
    orphans = snap.orphans()
    if args.json:
        print(json.dumps({
            "profile": profile.name, "container": snap.container, "prefix": snap.prefix,
            "names": [{"name": n.name, "layers": len(n.layers), "bytes": n.bytes, "unique_bytes": n.unique_bytes,
                       "shared_bytes": n.shared_bytes, "last_export": iso(n.last_export),
                       "readable": n.manifest.readable, "manifest": n.manifest.blob_name,
                       "etag": n.manifest.etag, "digests": list(n.layers), "missing": list(n.missing)}
                      for n in names],
            "hidden_names": len(snap.manifests) - len(names),
            "blobs": len(snap.blobs), "bytes": sum(b.size for b in snap.blobs),
            "orphans": [{"name": b.blob_name, "size": b.size, "last_modified": iso(b.last_modified)}
                        for b in orphans],
            "anomalies": [{"kind": a.kind, "subject": a.subject, "detail": a.detail} for a in snap.anomalies],
        }, indent=2, ensure_ascii=False))
        return EXIT_OK
    where = f"{profile.name}: {snap.container}/{snap.prefix}".rstrip("/")
    print(f"{where}: {len(snap.manifests)} cache names, {len(snap.blobs)} blobs, "
          f"{human_size(sum(b.size for b in snap.blobs))}")
    print(f"{'LAYERS':>6}  {'SIZE':>10}  {'UNIQUE':>10}  {'SHARED':>10}  {'LAST EXPORT':<25}  NAME")
    for n in names:
        layers = str(len(n.layers)) if n.manifest.readable else "?"
        print(f"{layers:>6}  {human_size(n.bytes):>10}  {human_size(n.unique_bytes):>10}  "
              f"{human_size(n.shared_bytes):>10}  {iso(n.last_export) or '':<25}  {terminal_safe(n.name)}")
    if len(names) < len(snap.manifests):
        print(f"({len(snap.manifests) - len(names)} more cache names outside the profile's list: --all)")
    if orphans:
        print(f"\nOrphan blobs (no manifest references them): {len(orphans)}, "
              f"{human_size(sum(b.size for b in orphans))}")
        for b in orphans:
            print(f"  {human_size(b.size):>10}  {iso(b.last_modified) or '':<25}  {terminal_safe(b.blob_name)}")
    if snap.anomalies:
        print(f"\nAnomalies: {len(snap.anomalies)}")
        for a in snap.anomalies:
            print(f"  {a.kind:<22} {terminal_safe(a.subject)}: {terminal_safe(a.detail)}")
    return EXIT_OK


# --- gc ---------------------------------------------------------------------------------------

async def run_gc(args: argparse.Namespace) -> int:
    from aztui.blobs.deletion import PlanFileError
    from aztui.cache.planner import GcPlan, GcPolicy

    profile = _cache_profile(args)
    if args.inventory is not None and (args.resume or (args.execute and args.plan_file)):
        raise PlanFileError("--inventory makes a new plan, but --resume and --execute --plan-file carry out "
                            "one already made", hint="drop --inventory")
    if args.execute and profile.read_only:  # before reading anything
        raise ReadOnlyError.refusing(profile=profile.name)
    if args.resume:
        if args.execute or args.plan_file:
            raise PlanFileError("--resume takes the plan from the journal; drop --execute and --plan-file")
        from aztui.cache.executor import resume

        async with _open(profile) as store:
            recoverable_days = await store.delete_retention_days()
            report = await resume(args.resume, store, batch_size=args.batch_size,
                                  concurrency=args.concurrency)
        return _print_report(report, as_json=args.json, recoverable_days=recoverable_days)

    if args.execute and args.plan_file:
        try:
            text = args.plan_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise PlanFileError(f"cannot read {args.plan_file}: {exc.strerror}") from None
        plan = GcPlan.from_json(text)
        async with _open(profile) as store:
            return await _execute(store, plan, args)

    policy = GcPolicy(grace=args.grace, max_age=args.max_age, keep=args.keep, include=args.include,
                      exclude=args.exclude, ignore_unreadable=args.ignore_unreadable,
                      drop_broken=args.drop_broken)
    async with _open(profile) as store:
        snap, plan = await _plan(store, policy, args)
        if args.execute:
            return await _execute(store, plan, args)
        recoverable_days = await store.delete_retention_days()  # soft delete: how long deletes can be undone
    if args.plan_file:
        save_plan(args.plan_file, plan.to_json())
    _print_plan(plan, snap, as_json=args.json, saved_to=args.plan_file, recoverable_days=recoverable_days)
    return EXIT_OK if plan.delete else EXIT_NOTHING


async def _plan(store, policy, args: argparse.Namespace):
    """(snapshot, plan): from a live listing, or with --inventory from a report, checked live."""
    if args.inventory is not None:
        from aztui.blobs.inventory import parse_inventory_arg
        from aztui.cache.from_inventory import plan_from_inventory

        inventory_container, rule = parse_inventory_arg(args.inventory)
        meter = _inventory_meter(args)
        try:
            plan, snap = await plan_from_inventory(store, inventory_container, rule, policy, progress=meter)
        finally:
            meter.clear()
        return snap, plan
    from aztui.cache.buildkit import read_cache
    from aztui.cache.planner import plan_cache_gc

    snap = await read_cache(store, progress=_listing_meter(args, store))
    return snap, plan_cache_gc(snap, policy, datetime.now(timezone.utc))


def _listing_meter(args: argparse.Namespace, store):
    """`read_cache`'s progress callback: `blobs du`'s meter on the cache's blob folder, whose ETA
    comes from the last complete listing of that folder (by du or by cache ls / gc)."""
    from aztui.blobs import checkpoints
    from aztui.blobs.usage import Usage
    from aztui.cache.buildkit import cache_layout
    from aztui.commands.blobs import DuProgress

    profile = store.profile.name
    container, _, blobs_at = cache_layout(store.profile)
    meter = DuProgress(sys.stderr, interactive=sys.stderr.isatty(), forced=args.progress,
                       expected=checkpoints.last_total(profile, container, blobs_at))

    def update(blobs: int, size: int, done: bool) -> None:
        usage = Usage(container, blobs_at, blobs, size, complete=done)
        meter.update(usage)
        if done:
            meter.clear()
            if blobs:
                checkpoints.remember_total(profile, usage)

    return update


def _inventory_meter(args: argparse.Namespace):
    """`plan_from_inventory`'s progress on stderr: the report rows read (as `du --inventory` shows
    them), then the live check of each planned blob, with rate and ETA."""
    import time

    from aztui.cache.from_inventory import Progress
    from aztui.commands.blobs import InventoryProgress, eta_text

    interactive = sys.stderr.isatty()

    class Meter(Progress):
        rows: InventoryProgress | None = None
        started = shown = 0.0

        def run_found(self, run) -> None:
            self.rows = InventoryProgress(sys.stderr, interactive=interactive, forced=args.progress,
                                          expected=run.object_count)

        def rows_read(self, usage, rows: int) -> None:
            if self.rows:
                self.rows.update(usage, rows)

        def checked(self, done: int, total: int) -> None:
            now = time.monotonic()
            if not self.started:
                self.clear()
                self.started = now
            if not (interactive or args.progress) or (now - self.shown < (0.5 if interactive else 1.0)
                                                      and done < total):
                return
            self.shown = now
            rate = done / (now - self.started) if now > self.started else 0.0
            eta = eta_text((total - done) / rate) if rate and done < total else "done"
            line = f"checking planned blobs live: {done:,} of {total:,}, {rate:,.0f} blobs/s, {eta}"
            sys.stderr.write(f"\r{line}\033[K" if interactive else line + "\n")
            sys.stderr.flush()

        def clear(self) -> None:
            if self.rows:
                self.rows.clear()
            if interactive and self.shown:
                sys.stderr.write("\r\033[K")
                sys.stderr.flush()
                self.shown = 0.0

    return Meter()


def _print_source(plan) -> None:
    """With --inventory: which run the blobs came from, and the blobs the live check dropped."""
    if plan.source.kind != "inventory":
        return
    print(f"Blobs from inventory rule {terminal_safe(plan.source.inventory_rule or '')}, run completed "
          f"{plan.source.inventory_time} ({terminal_safe(plan.source.inventory_manifest or '')}); "
          "each planned blob was checked live.")
    if plan.verify_dropped:
        from aztui.cache.planner import plural

        print(f"{plural(len(plan.verify_dropped), 'planned blob')} dropped by the live check:")
        for drop in plan.verify_dropped:
            print(f"  {human_size(drop.size):>10}  {terminal_safe(drop.name)}  ({terminal_safe(drop.reason)})")


def _print_plan(plan, snap, *, as_json: bool, saved_to: Path | None, recoverable_days: int | None = None) -> None:
    from aztui.blobs.soft_delete import recoverable_text

    if as_json:
        data = {"dry_run": True, **plan.to_dict(), "plan_file": str(saved_to) if saved_to else None,
                "anomalies": [{"kind": a.kind, "subject": a.subject, "detail": a.detail}
                              for a in snap.anomalies], "recoverable_days": recoverable_days}
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    where = f"{plan.profile}:{plan.container}/{plan.prefix}".rstrip("/")
    print(f"Plan for {where}: delete {plan.what()} ({human_size(plan.bytes_reclaimed)}), "
          f"keep {plan.keep_count}")
    for item in plan.delete:
        print(f"  {human_size(item.size):>10}  {terminal_safe(item.name)}  ({terminal_safe(item.reason)})")
    _print_source(plan)
    for a in snap.anomalies:
        print(f"anomaly: {a.kind} {terminal_safe(a.subject)}: {terminal_safe(a.detail)}", file=sys.stderr)
    if plan.empty_reason is not None:
        print(f"Nothing to delete: {terminal_safe(plan.empty_reason)}.")
    elif plan.kept_summary:
        print(f"Kept: {terminal_safe('; '.join(plan.kept_summary))}.")
    print(recoverable_text(recoverable_days))
    if saved_to:
        print(f"Saved the plan to {saved_to}. Nothing was deleted. Delete exactly this plan with: "
              f"aztui cache gc {plan.profile} --execute --plan-file {saved_to}")
    else:
        print("Dry run: nothing was deleted. Add --execute to delete, or --plan-file F to save the plan.")


async def _execute(store, plan, args: argparse.Namespace) -> int:
    from aztui.cache.executor import execute_cache_gc

    recoverable_days = await store.delete_retention_days()  # soft delete: for how long the deletes can be undone
    report = await execute_cache_gc(store, plan, batch_size=args.batch_size, concurrency=args.concurrency)
    return _print_report(report, as_json=args.json, recoverable_days=recoverable_days)


def _print_report(report, *, as_json: bool, recoverable_days: int | None = None) -> int:
    from aztui.blobs.soft_delete import recoverable_text

    plan = report.plan
    code = EXIT_PARTLY if report.failed else EXIT_OK if report.deleted else EXIT_NOTHING
    if as_json:
        print(json.dumps({
            "dry_run": False, **plan.to_dict(),
            "deleted": len(report.deleted), "bytes_deleted": report.bytes_deleted,
            "outcomes": [o.to_dict() for o in report.outcomes],
            "failed": len(report.failed), "journal": str(report.journal) if report.journal else None,
            "recoverable_days": recoverable_days,
        }, indent=2, ensure_ascii=False))
        return code
    print(f"Deleted {report.deleted_what()} ({human_size(report.bytes_deleted)}) "
          f"from {plan.profile}:{plan.container}")
    _print_source(plan)
    print(recoverable_text(recoverable_days))
    for status, label in (("dropped_raced", "cache manifests dropped (written during the sweep, they "
                                            "referenced blobs it deleted; builds see a cache miss)"),
                          ("saved", "saved (referenced again since the plan)"),
                          ("skipped_changed", "skipped (changed since the plan)"),
                          ("missing", "already gone"), ("failed", "failed")):
        outcomes = [o for o in report.outcomes if o.status == status]
        if outcomes:
            print(f"{len(outcomes)} {label}:")
            for o in outcomes:
                print(f"  {terminal_safe(o.name)}" + (f": {terminal_safe(o.detail)}" if o.detail else ""))
    if report.journal:
        print(f"Journal: {report.journal}")
    return code
