"""Every path aztui reads or writes by default, and what moves it. Nothing here creates a folder.

    what                  default                                     moved by
    profiles file         <user config dir>/aztui/profiles.toml       --config, $AZTUI_CONFIG
    log file              <user log dir>/aztui/aztui.log              --log-file, $AZTUI_LOG_FILE
    journals              <user state dir>/aztui/journals/*.jsonl     $XDG_STATE_HOME; a --journal PATH
    du checkpoints        <user state dir>/aztui/checkpoints/*.json   $XDG_STATE_HOME
    demo profiles file    <user state dir>/aztui/demo-profiles.toml   `aztui demo --config-out PATH`
    Azurite (for demo)    <user cache dir>/aztui/azurite-<version>/   $AZTUI_AZURITE_DIR

The user dirs are platformdirs' (on Linux $XDG_CONFIG_HOME, $XDG_STATE_HOME, $XDG_CACHE_HOME or
their ~/.config, ~/.local/state, ~/.cache defaults); $XDG_STATE_HOME moves the state dir on
every platform. Plans are saved only where `--plan-file` says.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

APP = "aztui"
CONFIG_ENV = "AZTUI_CONFIG"
LOG_FILE_ENV = "AZTUI_LOG_FILE"
AZURITE_DIR_ENV = "AZTUI_AZURITE_DIR"


def profiles_file(config: str | os.PathLike | None = None, environ: Mapping[str, str] = os.environ) -> Path:
    """`--config PATH`, else $AZTUI_CONFIG, else <user config dir>/aztui/profiles.toml."""
    if config:
        return Path(config).expanduser()
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV]).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir(APP)) / "profiles.toml"


def log_file(environ: Mapping[str, str] = os.environ) -> Path:
    """$AZTUI_LOG_FILE, else <user log dir>/aztui/aztui.log (`--log-file` is passed in by the CLI)."""
    if env := environ.get(LOG_FILE_ENV):
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_log_dir(APP)) / "aztui.log"


def state_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """$XDG_STATE_HOME/aztui, else the platform's user state dir for aztui."""
    if env := environ.get("XDG_STATE_HOME", "").strip():
        return Path(env) / APP
    import platformdirs

    return Path(platformdirs.user_state_dir(APP))


def journals_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Where every destructive executor keeps its journal unless told otherwise."""
    return state_dir(environ) / "journals"


def plan_journal(*parts: str, checksum: str) -> Path:
    """A new journal for a plan: `<journals>/<time>-<parts joined by ->-<checksum[:12]>.jsonl`."""
    return journals_dir() / f"{timestamp()}-{'-'.join(parts)}-{checksum[:12]}.jsonl"


def file_safe(name: str) -> str:
    """A profile name as part of a file name: anything but letters, digits, `-_.` becomes `_`."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def checkpoints_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Where an interrupted `blobs du` leaves the point `--resume` continues from."""
    return state_dir(environ) / "checkpoints"


def timestamp(now: datetime | None = None) -> str:
    """UTC time as journal names carry it: 20261124T055402123456Z."""
    return (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%S%fZ")


def demo_profiles_file(environ: Mapping[str, str] = os.environ) -> Path:
    """Where `aztui demo` writes its profiles file unless `--config-out` says."""
    return state_dir(environ) / "demo-profiles.toml"


def azurite_dir(version: str, environ: Mapping[str, str] = os.environ) -> Path:
    """$AZTUI_AZURITE_DIR, else <user cache dir>/aztui/azurite-<version>."""
    if env := environ.get(AZURITE_DIR_ENV):
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP)) / f"azurite-{version}"
