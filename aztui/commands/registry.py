"""`aztui registry ls | purge | rm | lock | unlock [| gc]`: the Registry pane's work, headless.

`ls` and `purge` work for both kinds of registry profile (ACR and Distribution on Blob; a
Distribution purge works on storage, aztui.registry.distribution_purge); `rm`, `lock` and
`unlock` are ACR operations. Deleting is a dry run
unless `--execute`. `gc` (Distribution on Blob) comes from aztui.commands.registry_gc when
installed. Exit codes: 0 ok, 1 failed or partly done, 2 bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import deque
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from aztui.errors import AztuiError
from aztui.exit_codes import EXIT_FAILED, EXIT_OK

PURGE_EPILOG = """\
rules (as `acr purge`): --filter '<repo-regex>:<tag-regex>', the repository regex matches the
whole name, the tag regex anywhere in the tag; --ago 2d3h6m: only tags last updated before
now - ago; --keep N: the newest N of those stay; --untagged: manifests left without tags go
too, except locked ones, manifests with an OCI subject and children of indexes that stay.
Locked tags and manifests (can_delete or can_write off) are kept and reported.

Distribution on Blob: the same plan is done on storage as the registry's API does it (untag:
the tag's _manifests/tags/<tag>/ folder; a manifest: its revision link and the folders of the
tags pointing at it), each file ETag-guarded and journaled; --json lists each item's files
under "storage". An interrupted run finishes with --resume JOURNAL. Blobs stay until
`aztui registry gc PROFILE --execute` sweeps them.

examples:
  aztui registry purge prod --filter 'app/.*:^dev-' --ago 30d --keep 5
  aztui registry purge prod --filter 'app:.*' --exclude 'app:^release-' --untagged --execute
  aztui registry purge dist --resume ~/.local/state/aztui/journals/registry-purge-....jsonl
"""


def _gc_module():
    try:
        from aztui.commands import registry_gc
    except ImportError:
        return None
    return registry_gc if hasattr(registry_gc, "add_gc_parser") and hasattr(registry_gc, "run_gc") else None


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add `registry` and its actions to the `aztui` subcommands."""
    registry = subparsers.add_parser("registry", help="container registries: list, purge, delete, lock",
                                     description="Azure Container Registry and Distribution registries "
                                                 "stored in Azure Blob.")
    actions = registry.add_subparsers(dest="registry_command", metavar="ACTION", required=True)
    raw = argparse.RawDescriptionHelpFormatter

    ls = actions.add_parser("ls", help="repositories with their tags; with REPO, its manifests",
                            description="Without REPO: every repository with its tags. With REPO: its "
                                        "manifests (digest, size, tags, platform, media type, locks).")
    ls.add_argument("profile", metavar="PROFILE")
    ls.add_argument("repository", metavar="REPO", nargs="?")
    ls.add_argument("--json", action="store_true", help="print JSON")

    purge = actions.add_parser("purge", help="delete old tags (and untagged manifests) like `acr purge`",
                               description="Plan (and with --execute, run) a purge of an ACR, or of a "
                                           "Distribution registry on Blob (on its storage, as its API "
                                           "untags and deletes manifests; then `registry gc` frees the space).",
                               epilog=PURGE_EPILOG, formatter_class=raw)
    purge.add_argument("profile", metavar="PROFILE")
    purge.add_argument("--filter", action="append", default=[], dest="filters", metavar="REPO:TAG",
                       help="'<repo-regex>:<tag-regex>' (repeatable)")
    purge.add_argument("--exclude", action="append", default=[], dest="excludes", metavar="REPO:TAG",
                       help="tags it matches are never deleted (repeatable)")
    purge.add_argument("--ago", default="0", help="only tags last updated longer ago (2d3h6m form)")
    purge.add_argument("--keep", type=_not_negative, default=0, help="keep the newest N eligible tags")
    purge.add_argument("--untagged", action="store_true", help="also delete manifests left without tags")
    _add_write_options(purge)
    purge.add_argument("--resume", metavar="JOURNAL",
                       help="Distribution on Blob: finish an interrupted purge from its journal")

    rm = actions.add_parser("rm", help="delete tags, manifests or repositories (dry run unless --execute)",
                            description="TARGET is REPO:TAG (untag), REPO@DIGEST (the manifest and its tags) "
                                        "or REPO (the whole repository).")
    rm.add_argument("profile", metavar="PROFILE")
    rm.add_argument("targets", metavar="TARGET", nargs="+")
    _add_write_options(rm)

    for name, verb in (("lock", "lock"), ("unlock", "unlock")):
        lock = actions.add_parser(name, help=f"{verb} a repository, tag or manifest against delete and write",
                                  description="TARGET is REPO, REPO:TAG or REPO@DIGEST.")
        lock.add_argument("profile", metavar="PROFILE")
        lock.add_argument("target", metavar="TARGET")
        lock.add_argument("--delete-only", action="store_true", help="only can_delete (default: both)")
        lock.add_argument("--json", action="store_true", help="print JSON")

    if gc := _gc_module():
        gc.add_gc_parser(actions)
    return registry


def _add_write_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--execute", action="store_true", help="really delete (default: dry run)")
    parser.add_argument("--journal", metavar="PATH", help="where to write the journal (JSON lines)")


def _not_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def run(args: argparse.Namespace) -> int:
    """Run `aztui registry ...`; AztuiErrors propagate to the caller, which renders them."""
    if args.registry_command == "gc":
        gc = _gc_module()
        if gc is None:
            raise AztuiError("registry gc is not available in this build")
        return gc.run_gc(args)
    command = {"ls": run_ls, "purge": run_purge, "rm": run_rm, "lock": run_lock, "unlock": run_lock}
    return asyncio.run(command[args.registry_command](args))


def load_profile(args: argparse.Namespace, name: str):
    from aztui.profiles.file import find_profiles_file, load_profiles

    return load_profiles(find_profiles_file(getattr(args, "config", None))).get(name)


def _acr_profile(args: argparse.Namespace):
    profile = load_profile(args, args.profile)
    if profile.kind != "acr":
        raise AztuiError(f"`registry {args.registry_command}` works on Azure Container Registry profiles; "
                         f"{profile.name!r} is a {profile.kind} profile", title="Not an ACR profile",
                         hint="for a Distribution registry on Blob use `aztui registry gc`")
    return profile


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _locks(item: Any) -> dict[str, Any]:
    return {k: getattr(item, k) for k in ("can_delete", "can_write", "can_read", "can_list")}


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


# --- ls ------------------------------------------------------------------------------------------

async def run_ls(args: argparse.Namespace) -> int:
    from aztui.registry.backends import open_registry

    profile = load_profile(args, args.profile)
    async with open_registry(profile) as registry:
        if args.repository:
            from aztui.registry.images import read_images, summarize

            manifests, images = await read_images(registry, args.repository)
            summary = summarize(images)
            data = {"repository": args.repository,
                    "manifests": [_manifest_json(m, images) for m in manifests],
                    "summary": {"images": summary.images, "manifests": summary.manifests,
                                "untagged": summary.untagged, "platform_manifests": summary.children,
                                "referrers": summary.referrers}}
        elif not args.json:
            count = 0
            async for item in _repositories_json(registry):
                _print_repository(item)
                count += 1
            print(f"{count} repositories")
            return EXIT_OK
        else:
            data = [item async for item in _repositories_json(registry)]
    if args.json:
        _print_json(data)
    else:
        _print_manifests(data["manifests"], data["summary"])
    return EXIT_OK


TAG_READS_AHEAD = 8


async def _repositories_json(registry: Any) -> AsyncIterator[dict[str, Any]]:
    """Every repository with its tags, in listing order; the tags of the next few repositories
    are read while earlier ones are printed, so a long listing starts at once and is not one
    round trip per repository."""
    pending: deque[asyncio.Task] = deque()
    try:
        async for repo in registry.iter_repositories():
            pending.append(asyncio.ensure_future(_repository_json(registry, repo)))
            if len(pending) > TAG_READS_AHEAD:
                yield await pending.popleft()
        while pending:
            yield await pending.popleft()
    finally:
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


async def _repository_json(registry: Any, repo: Any) -> dict[str, Any]:
    tags = await registry.list_tags(repo.name)
    return {"repository": repo.name, "tag_count": repo.tag_count if repo.tag_count is not None else len(tags),
            "manifest_count": repo.manifest_count, "last_updated": _when(repo.last_updated),
            "locks": _locks(repo),
            "tags": [{"name": t.name, "digest": t.digest, "last_updated": _when(t.last_updated), **_locks(t)}
                     for t in tags]}


def _manifest_json(m: Any, images: dict | None = None) -> dict[str, Any]:
    """One manifest; with `images` (aztui.registry.images) also what it means as an image:
    `image_size` (config + layers; an index: its children's blobs, shared ones once), `platform`,
    `parents` (indexes that list it), `untagged` (no tag, no index, no subject), `children`
    (an index's platforms with their sizes), `referrers`, `layer_count`."""
    data = {"digest": m.digest, "size": m.size, "tags": list(m.tags), "last_updated": _when(m.last_updated),
            "created": _when(m.created), "media_type": m.media_type, "architecture": m.architecture,
            "os": m.os, "references": list(m.references), "subject": m.subject, **_locks(m)}
    image = (images or {}).get(m.digest)
    if image is not None:
        data.update(image_size=image.size, platform=image.platform, parents=list(image.parents),
                    untagged=image.untagged, referrers=list(image.referrers),
                    layer_count=len(image.content.layers) if image.content and not image.is_index else None,
                    children=[{"digest": d, "platform": p, "image_size": size}
                              for d, p, size in image.platforms(images)] if image.is_index else [])
    return data


def _print_repository(item: dict) -> None:
    tags = ", ".join(t["name"] for t in item["tags"][:8]) + (" ..." if len(item["tags"]) > 8 else "")
    print(f"{item['repository']}\t{item['tag_count']} tags\t{item['manifest_count'] or '-'} manifests\t"
          f"{item['last_updated'] or '-'}\t{tags}", flush=True)


def _print_manifests(items: list[dict], summary: dict) -> None:
    """One line per manifest: an index's platforms indented under it, sizes of whole images."""
    from aztui.registry.images import display_order
    from aztui.units import human_size

    by_digest = {m["digest"]: m for m in items}
    order = display_order({d: _LineImage(m) for d, m in by_digest.items()}, list(by_digest))  # type: ignore[arg-type]
    for line, depth in order:
        m = line.data
        platform = m.get("platform") or (f"{m['os']}/{m['architecture']}" if m["architecture"] else "-")
        lock = " locked" if m["can_delete"] is False or m["can_write"] is False else ""
        tags = (",".join(m["tags"]) or ("<untagged>" if m.get("untagged", not m["tags"]) else
                                        "<in index>" if m.get("parents") else "<referrer>"))
        size = human_size(m["image_size"]) if m.get("image_size") is not None else "-"
        print(f"{'  ' * depth}{m['digest'][:19]}\t{size}\t{platform}\t{m['last_updated'] or '-'}\t{tags}{lock}")
    print(f"{summary['images']} images, {summary['manifests']} manifests ({summary['untagged']} untagged)")


class _LineImage:
    """A manifest's JSON as `display_order` sees an image: its children and referrers under it."""

    def __init__(self, data: dict) -> None:
        self.data = data
        self.children = tuple(c["digest"] for c in data.get("children") or ())
        self.referrers = tuple(data.get("referrers") or ())
        self.top_level = not data.get("parents") and not data.get("subject")


# --- purge ---------------------------------------------------------------------------------------

async def run_purge(args: argparse.Namespace) -> int:
    from aztui.registry.purge import PurgeInputError, PurgeOptions, parse_ago, parse_filter

    profile = load_profile(args, args.profile)
    if getattr(args, "resume", None):
        if profile.kind == "acr":
            raise AztuiError("--resume finishes an interrupted purge of a Distribution registry on Blob",
                             title="Not available", hint="on ACR, run the same purge again")
        return await _resume_distribution_purge(args, profile)
    if not args.filters:
        raise PurgeInputError("registry purge needs --filter '<repository-regex>:<tag-regex>' (or --resume "
                              "JOURNAL)", hint="e.g. --filter 'app/.*:^dev-' --ago 30d")
    options = PurgeOptions(tuple(parse_filter(f) for f in args.filters),
                           tuple(parse_filter(x, option="--exclude") for x in args.excludes),
                           parse_ago(args.ago), args.keep, args.untagged)
    if profile.kind != "acr":
        return await _distribution_purge(args, profile, options)
    from aztui.azure.acr import AcrRegistry
    from aztui.registry.purge import collect, execute_purge, plan_purge

    async with AcrRegistry(_acr_profile(args)) as registry:
        plan = plan_purge(await collect(registry, options), options)
        report = None
        if args.execute and plan.delete:
            report = await execute_purge(registry, plan, journal=Path(args.journal) if args.journal else None)
    data = plan.to_dict(dry_run=not args.execute)
    if report is not None:
        data["result"] = report.to_dict()
    if args.json:
        _print_json(data)
    else:
        _print_purge(data)
    return EXIT_FAILED if report is not None and report.with_status("failed") else EXIT_OK


async def _distribution_purge(args: argparse.Namespace, profile: Any, options: Any) -> int:
    """The same plan on a Distribution registry's storage: untag and delete manifests as its API does
    (aztui.registry.distribution_purge); `registry gc` frees the blobs afterwards."""
    from aztui.errors import ReadOnlyError
    from aztui.registry.distribution import DistributionRegistry
    from aztui.registry.distribution_purge import execute_storage_purge, plan_storage
    from aztui.registry.purge import collect, plan_purge

    if args.execute and profile.read_only:
        raise ReadOnlyError.refusing(profile=profile.name)
    async with DistributionRegistry(profile) as registry:
        registry.require_layout()
        plan = await plan_storage(registry, plan_purge(await collect(registry, options), options))
        report = None
        if args.execute and plan.steps:
            report = await execute_storage_purge(registry, plan,
                                                 journal=Path(args.journal) if args.journal else None)
    return _report_distribution_purge(args, plan, report)


async def _resume_distribution_purge(args: argparse.Namespace, profile: Any) -> int:
    from aztui.registry.distribution import DistributionRegistry
    from aztui.registry.distribution_purge import read_journal, resume_storage_purge

    plan, _ = read_journal(Path(args.resume))
    async with DistributionRegistry(profile) as registry:
        registry.require_layout()
        report = await resume_storage_purge(registry, Path(args.resume))
    args.execute = True
    return _report_distribution_purge(args, plan, report)


def _report_distribution_purge(args: argparse.Namespace, plan: Any, report: Any) -> int:
    data = plan.purge.to_dict(dry_run=not args.execute)
    data["storage"] = plan.storage_json()
    if report is not None:
        data["result"] = report.purge_report().to_dict()
    if args.json:
        _print_json(data)
    else:
        _print_purge(data)
        if report is not None:
            print(f"space is freed by garbage collection: aztui registry gc {args.profile} --execute "
                  "(with the registry read-only)")
    failed = report is not None and any(o.status == "failed" for o in report.item_outcomes())
    return EXIT_FAILED if failed else EXIT_OK


def _print_purge(data: dict) -> None:
    for item in data["delete"]:
        what = f"{item['repository']}:{item['tag']}" if "tag" in item else f"{item['repository']}@{item['digest']}"
        print(f"{'delete' if not data['dry_run'] else 'would delete'}\t{what}\t{item['reason']}")
    for item in data["locked"]:
        what = f"{item['repository']}:{item['tag']}" if "tag" in item else f"{item['repository']}@{item['digest']}"
        print(f"locked (kept)\t{what}")
    print(f"{data['delete_tags']} tags and {data['delete_manifests']} manifests "
          f"{'to delete (dry run; add --execute)' if data['dry_run'] else 'deleted'}; "
          f"{data['keep']} kept, {len(data['locked'])} locked")
    if result := data.get("result"):
        print(f"deleted {result['deleted']}, already gone {result['missing']}, failed {len(result['failed'])}; "
              f"journal: {result['journal']}")
        for failed in result["failed"]:
            print(failed["error"], file=sys.stderr)


# --- rm, lock, unlock ------------------------------------------------------------------------------

async def run_rm(args: argparse.Namespace) -> int:
    """Plan with the Registry pane's planner (targets read afresh, locks checked), then execute."""
    from aztui.azure.acr import AcrRegistry
    from aztui.registry.delete import Target, execute_registry_delete, plan_registry_delete

    targets = [Target.parse(t) for t in args.targets]
    profile = _acr_profile(args)
    async with AcrRegistry(profile) as registry:
        plan = await plan_registry_delete(registry, targets, where=registry.endpoint,
                                          reason="named on the command line")
        report = None
        if args.execute:
            report = await execute_registry_delete(registry, plan,
                                                   journal=Path(args.journal) if args.journal else None)
    data = {**_purge_dict(plan, dry_run=not args.execute), "delete_repositories": list(plan.repositories)}
    if report is not None and (report.purge or report.refused):
        data["result"] = _result_dict(report)
    if args.json:
        _print_json(data)
    else:
        _print_rm(plan, report, execute=args.execute)
    failed = report is not None and (bool(report.with_status("failed"))
                                      or any(o.status == "missing" for o in report.repositories))
    return EXIT_FAILED if failed else EXIT_OK


def _purge_dict(plan, *, dry_run: bool) -> dict[str, Any]:
    """The purge-shaped part of `rm --json` (also for a plan of repositories only)."""
    from aztui.registry.purge import PurgePlan

    purge = plan.purge or PurgePlan({"targets": [t.label for t in plan.targets]},
                                    datetime.now(timezone.utc), (), (), ())
    return purge.to_dict(dry_run=dry_run)


def _result_dict(report) -> dict[str, Any]:
    """`result` of `rm --json`: the purge's counts, with locked targets among the failed."""
    from aztui.registry.purge import PurgeReport

    purged = report.purge.outcomes if report.purge else []
    return PurgeReport(purged + report.refused, report.journal).to_dict()


def _print_rm(plan, report, *, execute: bool) -> None:
    if report is None:
        for item in plan.purge.delete if plan.purge else ():
            print(f"would delete\t{item.repository}:{item.tag}" if item.tag
                  else f"would delete\t{item.repository}@{item.digest}")
        for repo in plan.repositories:
            print(f"would delete\trepository {repo}")
        for locked in plan.locked:
            print(f"locked (kept)\t{locked.target.label}")
        print("dry run; add --execute")
        return
    for outcome in report.outcomes:
        item = outcome.item
        what = (f"{item.repository}:{item.tag}" if item.tag is not None
                else f"{item.repository}@{item.digest}" if item.digest else f"repository {item.repository}")
        print(f"{'already gone' if outcome.status == 'missing' else outcome.status}\t{what}")
        if outcome.status == "failed":
            print(outcome.detail, file=sys.stderr)


async def run_lock(args: argparse.Namespace) -> int:
    from aztui.azure.acr import AcrRegistry
    from aztui.registry.delete import Target

    target = Target.parse(args.target)
    repo, tag, digest = target.repository, target.tag, target.digest
    value = args.registry_command == "unlock"
    flags = {"can_delete": value} if args.delete_only else {"can_delete": value, "can_write": value}
    async with AcrRegistry(_acr_profile(args)) as registry:
        await registry.set_locks(repo, tag=tag, digest=digest, **flags)
    if args.json:
        _print_json({"target": args.target, **flags})
    else:
        print(f"{args.target}: " + ", ".join(f"{k} = {str(v).lower()}" for k, v in flags.items()))
    return EXIT_OK
