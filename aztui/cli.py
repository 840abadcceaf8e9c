"""Command line: `aztui` opens the TUI; subcommands do the same work headless.

Imports stay lazy so that `aztui --help` and the TUI start fast.
Exit codes: 0 ok, 1 a check or operation failed, 2 the profiles file is broken
or the command line is wrong, 130 interrupted (all in `aztui.exit_codes`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from aztui import __version__
from aztui.errors import AztuiError
from aztui.exit_codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK

COMMANDS = ("profiles", "blobs", "cache", "registry", "demo")
OPTIONS_WITH_VALUE = ("--config", "--profile", "--log-file", "--view-max")


def command_in(argv: list[str]) -> str | None:
    """The subcommand `argv` names (the first word that is not an option or an option's value)."""
    words = iter(argv)
    for word in words:
        if word == "--":
            return next(words, None)
        if word in OPTIONS_WITH_VALUE:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The `aztui` parser; given `argv`, only the subcommand it names is built in full.

    Each subcommand's module is imported only when that subcommand runs (or for `--help`): the
    TUI (no subcommand) starts without importing any of them. The others get a bare parser of
    the same name, enough to parse this `argv`.
    """
    wanted = set(COMMANDS)
    if argv is not None:
        command = command_in(argv)
        if command in COMMANDS:
            wanted = {command}
        elif command is None and not {"-h", "--help"} & set(argv):
            wanted = set()
    parser = argparse.ArgumentParser(
        prog="aztui",
        description="Terminal admin tool for Azure Blob Storage, container registries and BuildKit caches.",
        epilog="Without a command, aztui opens the TUI. Profiles file: --config, else $AZTUI_CONFIG, "
               "else the user config dir (see `aztui profiles path`).",
    )
    parser.add_argument("--version", action="version", version=f"aztui {__version__}")
    parser.add_argument("--config", metavar="PATH", help="profiles file (TOML)")
    parser.add_argument("--profile", metavar="NAME", help="profile to open in the TUI")
    parser.add_argument("--log-file", metavar="PATH",
                        help="log file (default: $AZTUI_LOG_FILE, else the user log dir); never the terminal")
    parser.add_argument("--verbose", action="store_true", help="log debug records, SDK requests included")
    parser.add_argument("--view-max", metavar="SIZE",
                        help="largest blob the TUI's v opens in $PAGER (default: $AZTUI_VIEW_MAX, else 10MiB)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:  # in this order in `--help`
        if name not in wanted:
            commands.add_parser(name, add_help=False)
        elif name == "profiles":
            add_profiles_parser(commands)
        elif name == "blobs":
            from aztui.commands import blobs as blobs_cmd

            blobs_cmd.add_parser(commands)
        elif name == "cache":
            from aztui.commands import cache as cache_cmd

            cache_cmd.add_parser(commands)
        elif name == "registry":
            from aztui.commands import registry as registry_cmd

            registry_cmd.add_parser(commands)
        else:
            add_demo_parser(commands)
    return parser


def add_demo_parser(commands) -> None:
    demo = commands.add_parser("demo", help="start a local Azurite with sample data and open the TUI on it")
    demo.add_argument("--blobs", type=int, default=3000, help="how many sample blobs to seed (default 3000)")
    demo.add_argument("--no-tui", action="store_true",
                      help="no TUI: seed, write the demo profiles file, print its path and commands to "
                           "try, and keep Azurite serving until Ctrl-C (then exit 130)")
    demo.add_argument("--config-out", metavar="PATH", help="where to write the demo profiles file")


def add_profiles_parser(commands) -> None:
    profiles = commands.add_parser("profiles", help="list, validate and show connection profiles")
    profile_commands = profiles.add_subparsers(dest="profiles_command", metavar="ACTION", required=True)
    listing = profile_commands.add_parser("list", help="list the profiles")
    listing.add_argument("--json", action="store_true", help="print JSON")
    validate = profile_commands.add_parser("validate", help="check the profiles file (exit 1 on any error)")
    validate.add_argument("--strict", action="store_true", help="fail on warnings too")
    validate.add_argument("--json", action="store_true", help="print JSON")
    show = profile_commands.add_parser("show", help="show one profile, secrets masked")
    show.add_argument("name")
    show.add_argument("--json", action="store_true", help="print JSON")
    profile_commands.add_parser("path", help="print which profiles file aztui reads")
    from aztui.commands import doctor as doctor_cmd

    doctor_cmd.add_arguments(profile_commands.add_parser(
        "test", help="test a profile step by step: endpoint, clock, credential, access"))


def main(argv: list[str] | None = None) -> int:
    args = build_parser(sys.argv[1:] if argv is None else argv).parse_args(argv)
    from aztui.logs import setup_logging

    setup_logging(Path(args.log_file) if args.log_file else None, verbose=args.verbose)
    try:
        return dispatch(args)
    except AztuiError as error:
        print(error.render(), file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "demo":
        from aztui.demo.run import run_demo

        config_out = Path(args.config_out) if args.config_out else None
        return run_demo(config_out=config_out, blobs=args.blobs, headless=args.no_tui, serve=args.no_tui)
    if args.command == "profiles":
        return run_profiles_command(args)
    if args.command == "blobs":
        from aztui.commands import blobs as blobs_cmd

        return blobs_cmd.run(args)
    if args.command == "cache":
        from aztui.commands import cache as cache_cmd

        return cache_cmd.run(args)
    if args.command == "registry":
        from aztui.commands import registry as registry_cmd

        return registry_cmd.run(args)
    return open_tui(args)


def load_profile_set(args: argparse.Namespace):
    from aztui.profiles.file import find_profiles_file, load_profiles

    return load_profiles(find_profiles_file(args.config))


def open_tui(args: argparse.Namespace) -> int:
    profile_set = load_profile_set(args)
    if args.profile:
        profile_set.get(args.profile)  # an unknown or invalid name fails here, with "did you mean"
    from aztui.blobs.viewing import parse_size, view_max
    from aztui.ui.app import create_app

    app = create_app(profile_set, profile_name=args.profile)
    app.view_max = parse_size(args.view_max) if args.view_max else view_max()  # bad sizes: exit 2 here
    app.run()
    return EXIT_OK


def run_profiles_command(args: argparse.Namespace) -> int:
    if args.profiles_command == "path":
        from aztui.profiles.file import find_profiles_file

        print(find_profiles_file(args.config))
        return EXIT_OK
    if args.profiles_command == "test":
        from aztui.commands import doctor as doctor_cmd

        return doctor_cmd.run(args)
    profile_set = load_profile_set(args)
    if args.profiles_command == "list":
        return list_profiles(profile_set, as_json=args.json)
    if args.profiles_command == "validate":
        return validate_profiles(profile_set, strict=args.strict, as_json=args.json)
    return show_profile(profile_set, args.name, as_json=args.json)


def profile_summary(profile) -> dict:
    return {
        "name": profile.name,
        "kind": profile.kind,
        "auth": profile.auth,
        "account": profile.account_name,
        "endpoint": profile.registry_url if profile.kind == "acr" else profile.account_url,
        "container": profile.container,
        "prefix": profile.prefix,
        "read_only": profile.read_only,
        "protected": profile.protected,
    }


def problem_json(problem) -> dict:
    return {"file": str(problem.file), "line": problem.line, "profile": problem.profile,
            "key": problem.key, "severity": problem.severity, "message": problem.message,
            "hint": problem.hint}


def list_profiles(profile_set, *, as_json: bool) -> int:
    invalid = sorted({p.profile for p in profile_set.errors if p.profile and p.profile not in profile_set.profiles})
    if as_json:
        items = [dict(profile_summary(p), valid=True) for p in profile_set.profiles.values()]
        items += [{"name": name, "valid": False,
                   "problems": [problem_json(p) for p in profile_set.errors if p.profile == name]}
                  for name in invalid]
        print(json.dumps(items, indent=2))
        return EXIT_OK
    if not profile_set.profiles and not invalid:
        print(f"No profiles in {profile_set.path}. Try `aztui demo`, or see README.md for the format.")
    rows = [(p.name, p.kind, p.auth, p.account_name or p.registry_url or "",
             "/".join(x for x in (p.container, p.prefix) if x),
             "read-only" if p.read_only else "") for p in profile_set.profiles.values()]
    rows += [(name, "-", "-", "", "", "INVALID (aztui profiles validate)") for name in invalid]
    print_table(("NAME", "KIND", "AUTH", "ACCOUNT", "CONTAINER/PREFIX", ""), rows)
    print_problems([p for p in profile_set.problems if not p.profile])
    return EXIT_OK


def validate_profiles(profile_set, *, strict: bool, as_json: bool) -> int:
    failed = bool(profile_set.errors) or (strict and bool(profile_set.warnings))
    if as_json:
        print(json.dumps({"file": str(profile_set.path), "ok": not failed,
                          "profiles": sorted(profile_set.profiles),
                          "problems": [problem_json(p) for p in profile_set.problems]}, indent=2))
    else:
        print_problems(profile_set.problems)
        errors, warnings = len(profile_set.errors), len(profile_set.warnings)
        verdict = "invalid" if failed else "ok"
        print(f"{profile_set.path}: {verdict}: {len(profile_set.profiles)} valid profile(s), "
              f"{errors} error(s), {warnings} warning(s)")
    return EXIT_FAILED if failed else EXIT_OK


def show_profile(profile_set, name: str, *, as_json: bool) -> int:
    profile = profile_set.get(name)
    resolved = profile_summary(profile)
    resolved.update({
        "source": str(profile.source) if profile.source else None,
        "client_id": profile.client_id,
        "tenant_id": profile.tenant_id,
        "authority_host": profile.authority_host,
        "secrets": {s.key: s.masked() for s in profile.secrets},
        "cache_names": list(profile.cache_names),
        "blobs_prefix": profile.blobs_prefix,
        "manifests_prefix": profile.manifests_prefix,
        "max_retries": profile.max_retries,
        "retry_delay_s": profile.retry_delay,
        "skipverify": profile.skipverify,
    })
    if as_json:
        print(json.dumps({"resolved": resolved, "written": profile.written}, indent=2, default=str))
        return EXIT_OK
    print(f"[profiles.{profile.name}]  ({profile.source})")
    for key, value in resolved.items():
        if value not in (None, "", [], {}):
            print(f"  {key:<18} {value}")
    print("as written:")
    for key, value in profile.written.items():
        print(f"  {key} = {json.dumps(value, default=str)}")
    return EXIT_OK


def print_problems(problems) -> None:
    for problem in problems:
        print(problem.render(), file=sys.stderr)


def print_table(header: tuple[str, ...], rows: list[tuple]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    for row in (header, *rows):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
