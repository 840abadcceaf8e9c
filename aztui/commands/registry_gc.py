"""`aztui registry gc PROFILE`: garbage collection of a Distribution registry stored in Azure Blob.

The `registry` command group (aztui/commands/registry.py) adds this action with
`add_gc_parser(actions)` and runs it with `run_gc(args)`. A dry run unless `--execute`.
Exit codes: 0 ok (dry run, or every planned delete done), 1 failed or partly done (or the
plan has problems), 2 bad input (profile, duration, refused confirmation).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from aztui.errors import AztuiError
from aztui.exit_codes import EXIT_FAILED, EXIT_OK

GC_DESCRIPTION = """\
Report what `registry garbage-collect` would delete from a Distribution registry stored in
Azure Blob, reading the storage only (the registry may be running or down): unreferenced
blobs with their sizes, untagged manifests (--delete-untagged) and stale uploads.
Nothing is deleted without --execute."""

GC_EPILOG = """\
marking (as upstream, v3): every manifest revision of every repository is kept, with its
config, layers and, for an index, its child manifests. With --delete-untagged, a manifest no
tag points at is deleted unless a kept index references it (Debian's 2.8 deletes the children
of tagged indexes; aztui keeps them, like v3).

--execute deletes manifest links, then blobs, then stale uploads, each guarded by the ETag
read when planning, and writes journals (owner-only) to the user state dir, aztui/journals/.
The registry must be read-only or stopped while a sweep runs.

examples:
  aztui registry gc prod-registry                       dry run
  aztui registry gc prod-registry --delete-untagged --json
  aztui registry gc prod-registry --execute --yes       sweep (registry read-only!)
"""


def add_gc_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add `gc` to the `registry` actions."""
    gc = subparsers.add_parser("gc", help="garbage collection of a Distribution registry on Blob (dry run)",
                               description=GC_DESCRIPTION, epilog=GC_EPILOG,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
    gc.add_argument("profile_name", metavar="PROFILE", help="a profile with the registry's container and rootdirectory")
    gc.add_argument("--delete-untagged", action="store_true",
                    help="also delete manifests no tag points at (children of tagged indexes are kept)")
    gc.add_argument("--upload-age", default="168h", metavar="AGE",
                    help="uploads started longer ago are stale (default 168h, as uploadpurging; 2d3h6m form)")
    gc.add_argument("--json", action="store_true", help="print JSON")
    gc.add_argument("--execute", action="store_true", help="really delete (default: dry run)")
    gc.add_argument("--yes", action="store_true", help="confirm --execute without asking (needed on a terminal)")
    return gc


def run_gc(args: argparse.Namespace) -> int:
    """Run `aztui registry gc`; AztuiErrors propagate to the caller, which renders them."""
    from aztui.cache.planner import parse_duration

    upload_age = parse_duration(args.upload_age)
    if args.execute and sys.stdin.isatty() and not args.yes:
        raise AztuiError("--execute on a terminal needs --yes", title="Sweep not confirmed",
                         hint="the registry must be read-only or stopped; then add --yes") from None
    return asyncio.run(_run(args, upload_age))


def _load_profile(args: argparse.Namespace, name: str):
    from aztui.profiles.file import find_profiles_file, load_profiles

    return load_profiles(find_profiles_file(getattr(args, "config", None))).get(name)


async def _run(args: argparse.Namespace, upload_age) -> int:
    from aztui.errors import ReadOnlyError
    from aztui.registry.distribution import DistributionRegistry
    from aztui.registry.distribution_gc import (
        READ_ONLY_WARNING,
        execute_registry_gc,
        load_snapshot,
        plan_registry_gc,
        summary_lines,
    )

    profile = _load_profile(args, args.profile_name)
    if profile.kind == "acr":
        raise AztuiError(f"profile {profile.name!r} is an Azure Container Registry", title="Not supported",
                         hint="ACR collects its own blobs; use `aztui registry purge` for tags and manifests")
    if args.execute and profile.read_only:
        raise ReadOnlyError.refusing(profile=profile.name)
    async with DistributionRegistry(profile) as registry:
        registry.require_layout()
        snapshot = await load_snapshot(registry)
        plan = plan_registry_gc(snapshot, delete_untagged=args.delete_untagged, upload_age=upload_age)
        recoverable_days = await registry.store.delete_retention_days()  # soft delete
        result: dict[str, Any] = {"profile": profile.name, "container": registry.container,
                                  "dry_run": not args.execute, **plan.to_dict(),
                                  "recoverable_days": recoverable_days}
        code = EXIT_FAILED if plan.problems else EXIT_OK
        if not args.json:
            from aztui.blobs.soft_delete import recoverable_text

            for line in summary_lines(plan):
                print(line)
            print(recoverable_text(recoverable_days))
            for problem in plan.problems:
                print(f"problem: {problem}", file=sys.stderr)
        if args.execute and not plan.problems and not plan.empty:
            print(f"warning: {READ_ONLY_WARNING}", file=sys.stderr)
            report = await execute_registry_gc(registry.store, registry.container, plan)
            result["executed"] = report.to_dict()
            code = EXIT_FAILED if report.failed else EXIT_OK
            if not args.json:
                for step, counts in result["executed"]["steps"].items():
                    print(f"{step}: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
                for journal in result["executed"]["journals"]:
                    print(f"journal: {journal}")
        elif args.execute and plan.problems:
            print("nothing deleted: the plan has problems", file=sys.stderr)
        elif not args.json and not args.execute and not plan.empty:
            print("dry run: nothing deleted (add --execute to sweep, with the registry read-only)")
        if args.json:
            print(json.dumps(result, indent=2))
        return code
