"""`aztui profiles test NAME [--all] [--write] [--strict] [--json]`: the profile doctor, headless.

Human output is one line per step as it completes (✓ ok, ! warn, ✗ fail, - skipped),
with the hint indented below, then the verdict: `ok`, `FAILED`, or `WARNING` followed by each
warning again (what was expected, what was found, the hint); `--all` tests every profile
concurrently and prints a summary table. Exit 0 when nothing failed (warnings pass, unless
`--strict`), 1 when a step failed (or warned, with `--strict`), 2 when the profiles file is
broken or NAME is unknown.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from aztui.errors import ProfileError
from aztui.exit_codes import EXIT_FAILED, EXIT_OK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", help="profile to test")
    parser.add_argument("--all", action="store_true", help="test every profile, concurrently")
    parser.add_argument("--write", action="store_true",
                        help="also upload, read back and delete a probe blob (never on read-only profiles)")
    parser.add_argument("--strict", action="store_true", help="exit 1 on warnings too (e.g. no registry data)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    """Run the doctor for `args.name` (or every profile with `args.all`); the exit code."""
    from aztui.profiles.file import find_profiles_file, load_profiles

    if bool(args.name) == bool(args.all):
        raise ProfileError("name one profile, or pass --all", hint="aztui profiles test NAME  |  --all")
    profile_set = load_profiles(find_profiles_file(getattr(args, "config", None)))
    strict = getattr(args, "strict", False)
    if args.all:
        return asyncio.run(_test_all(profile_set, write=args.write, as_json=args.json, strict=strict))
    return asyncio.run(_test_one(profile_set, args.name, write=args.write, as_json=args.json, strict=strict))


def exit_code(report, *, strict: bool) -> int:
    """EXIT_FAILED when a step failed, or warned under --strict; else EXIT_OK."""
    return EXIT_OK if report.verdict == "ok" or (report.verdict == "warning" and not strict) else EXIT_FAILED


async def _test_one(profile_set, name: str, *, write: bool, as_json: bool, strict: bool = False) -> int:
    from aztui.doctor.checks import test_profile

    if not as_json:
        print(f"Testing profile {name} ({profile_set.path})", flush=True)
    report = await test_profile(profile_set, name, write=write,
                                progress=None if as_json else _print_step)
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(format_verdict(report), flush=True)
    return exit_code(report, strict=strict)


def format_verdict(report) -> str:
    """`ok`, `FAILED`, or `WARNING (content): ...` with each warning's detail and hint again."""
    if report.verdict != "warning":
        return "ok" if report.verdict == "ok" else "FAILED"
    names = ", ".join(step.name for step in report.warnings)
    lines = [f"WARNING ({names}): passed, with warnings (--strict fails on them)"]
    for step in report.warnings:
        detail = step.detail.splitlines() or [""]
        lines.append(f"  {step.name}: {detail[0]}")
        lines += [f"  {'':>{len(step.name)}}  {line}" for line in detail[1:]]
        if step.hint:
            lines.append(f"  {'':>{len(step.name)}}  hint: {step.hint}")
    return "\n".join(lines)


async def _test_all(profile_set, *, write: bool, as_json: bool, strict: bool = False) -> int:
    from aztui.doctor.checks import test_profile

    names = list(profile_set.profiles)
    names += sorted({p.profile for p in profile_set.errors if p.profile and p.profile not in names})
    if not names:
        file_errors = [p for p in profile_set.errors if p.profile is None]
        raise ProfileError(f"no profiles to test in {profile_set.path}",
                           hint=file_errors[0].render() if file_errors else
                           "add a [profiles.<name>] table to the file")
    reports = await asyncio.gather(*(test_profile(profile_set, n, write=write) for n in names))
    if as_json:
        print(json.dumps([r.to_dict() for r in reports], indent=2))
    else:
        _print_summary(reports)
    return max(exit_code(r, strict=strict) for r in reports)


def format_step(step) -> str:
    """`✓ endpoint     12 ms  detail`, continuation lines and the hint indented."""
    from aztui.doctor.checks import SYMBOLS

    lines = step.detail.splitlines() or [""]
    text = f"{SYMBOLS[step.status]} {step.name:<13} {step.duration_ms:>6} ms  {lines[0]}"
    text += "".join(f"\n{'':>26}{line}" for line in lines[1:])
    if step.hint:
        text += f"\n{'':>26}hint: {step.hint}"
    return text


def _print_step(step) -> None:
    print(format_step(step), flush=True)


def _print_summary(reports) -> None:
    from aztui.doctor.checks import SYMBOLS

    rows = []
    for report in reports:
        counts = {s: sum(1 for step in report.steps if step.status == s) for s in SYMBOLS}
        worst = next((s for s in report.steps if s.status == "fail"), None) or \
            next((s for s in report.steps if s.status == "warn"), None)
        rows.append((report.profile, {"ok": "ok", "warning": "WARNING", "failed": "FAILED"}[report.verdict],
                     " ".join(f"{SYMBOLS[s]}{n}" for s, n in counts.items() if n),
                     f"{worst.name}: {worst.detail.splitlines()[0]}" if worst else ""))
    header = ("PROFILE", "RESULT", "STEPS", "FIRST PROBLEM")
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    for row in (header, *rows):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
    for report in reports:
        failed = [s for s in report.steps if s.status == "fail" or (report.verdict == "warning" and s.status == "warn")]
        if failed:
            print(f"\n{report.profile}:")
            for step in failed:
                print(format_step(step))
