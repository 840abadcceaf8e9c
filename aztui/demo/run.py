"""`aztui demo`: start a local Azurite, seed the sample data, write the demo profiles, open the TUI.

The profiles are written in the vocabulary of the tools they imitate (a connection string, BuildKit
`--cache-to` attributes, the Distribution azure driver); Azurite stops when the TUI closes.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import signal
import sys
import threading
from pathlib import Path
from typing import Callable

from aztui.demo.sample_data import CACHE_NAMES, seed_demo_data
from aztui.errors import AztuiError
from aztui.exit_codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from aztui.units import human_size

# --- profiles ----------------------------------------------------------------------------

def demo_profile_tables(server) -> dict[str, dict]:
    """The demo profiles, each in the vocabulary of the tool it imitates."""
    return {
        "demo": {"description": "the whole demo account", "connection_string": server.connection_string},
        "demo-cache": {  # BuildKit `--cache-to type=azblob,...` attributes
            "description": "BuildKit azblob cache",
            "account_url": server.blob_endpoint,
            "account_name": server.account,
            "container": "buildkit-cache",
            "name": ";".join(CACHE_NAMES),
            "secret_access_key": server.key,
        },
        "demo-registry": {  # Distribution v3 azure driver parameters
            "description": "Distribution registry storage",
            "accountname": server.account,
            "accountkey": server.key,
            "container": "registry",
            "serviceurl": server.blob_endpoint,
        },
        "demo-readonly": {"description": "the demo account, nothing can be changed",
                          "connection_string": server.connection_string, "read_only": True},
    }


def demo_profiles_toml(server) -> str:
    """The text of the demo profiles file (Azurite's public development key, not a secret)."""
    from aztui.profiles.file import profile_to_toml

    header = ("# aztui demo profiles: a local Azurite with sample data.\n"
              "# The key is Azurite's public development key, documented in its README.\n"
              'default_profile = "demo"\n\n')
    return header + "\n".join(profile_to_toml(name, table) for name, table in demo_profile_tables(server).items())


def default_config_out() -> Path:
    from aztui.locations import demo_profiles_file

    return demo_profiles_file()


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` readable by the owner only (0600), creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


# --- the command -------------------------------------------------------------------------

def run_demo(*, config_out: Path | None = None, blobs: int = 3000, headless: bool = False,
             serve: bool = False, say: Callable[[str], None] = print) -> int:
    """Start Azurite, seed it, write the demo profiles, open the TUI; always stop Azurite.

    `headless=True` opens no TUI: with `serve` (`aztui demo --no-tui`) Azurite keeps serving,
    and commands to try are printed, until Ctrl-C or SIGTERM (exit 130) or until Azurite
    dies (exit 1); without it, it stops after printing the profiles file path and a summary.
    Returns a process exit code.
    """
    from aztui.demo.azurite import start_azurite

    config_out = Path(config_out) if config_out else default_config_out()
    server = None
    previous_sigterm = _raise_on_sigterm()
    try:
        say("Starting Azurite...")
        server = start_azurite(say=say)
        say(f"Azurite listening at {server.blob_endpoint} (pid {server.pid})")
        write_private(config_out, demo_profiles_toml(server))
        profile_set = _load_demo_profiles(config_out)
        summary = asyncio.run(seed_demo_data(profile_set.get("demo"), blobs=blobs, say=say))
        say(f"Seeded {summary.total_blobs} blobs ({human_size(summary.total_bytes)}):\n{summary.render()}")
        say(f"Profiles file: {config_out}")
        if headless:
            return serve_until_interrupted(server, config_out, say) if serve else EXIT_OK
        from aztui.ui.app import create_app

        app = create_app(profile_set, profile_name="demo")
        app.run()
        return app.return_code or EXIT_OK
    except AztuiError as err:
        say(err.render())
        return err.exit_code
    except KeyboardInterrupt:
        say("Interrupted.")
        return EXIT_INTERRUPTED
    finally:
        if server is not None:
            say("Stopping Azurite...")
            server.stop()
        if previous_sigterm is not None:
            signal.signal(signal.SIGTERM, previous_sigterm)


def commands_to_try(config_out: Path) -> list[str]:
    """Headless commands that work on the demo data when pasted into a shell."""
    config = shlex.quote(str(config_out))
    return [f"aztui --config {config} blobs ls demo",
            f"aztui --config {config} blobs ls demo:backups --recursive",
            f"aztui --config {config} blobs du demo:datasets/raw --json",
            f"aztui --config {config} blobs tier demo:backups/postgres --prefix --tier Cool   # a dry run",
            f"aztui --config {config} cache ls demo-cache",
            f"aztui --config {config} registry ls demo-registry",
            f"aztui --config {config}                 # the TUI on this demo"]


def serve_until_interrupted(server, config_out: Path, say: Callable[[str], None]) -> int:
    """Keep Azurite serving until Ctrl-C (or SIGTERM): the caller's `finally` stops it."""
    say("Azurite keeps serving the demo until Ctrl-C. Try, in another terminal:")
    for command in commands_to_try(config_out):
        say(f"  {command}")
    say(f"(or: export AZTUI_CONFIG={shlex.quote(str(config_out))})")
    sys.stdout.flush()  # the lines above must reach a pipe before the wait
    code = server.process.wait()  # Ctrl-C raises KeyboardInterrupt here
    say(f"Azurite exited on its own (exit code {code}):\n{server.log().strip()[-500:]}")
    return EXIT_FAILED


def _raise_on_sigterm():
    """Turn SIGTERM into KeyboardInterrupt so `kill` also stops Azurite; returns the old handler."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)


def _load_demo_profiles(path: Path):
    from aztui.profiles.file import load_profiles

    profile_set = load_profiles(path, environ={})
    if profile_set.errors:
        raise AztuiError("the demo profiles file is invalid:\n" + "\n".join(p.render() for p in profile_set.errors),
                         title="Demo failed")
    return profile_set
