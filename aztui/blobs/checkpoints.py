"""Where an interrupted `blobs du` stopped, so that `--resume` continues instead of starting over.

    save_checkpoint("prod", partial_usage)      # Ctrl-C: the next page's marker and the sums so far
    resume = load_checkpoint("prod", "backups", "2026/")   # a partial Usage, or None
    discard_checkpoint("prod", "backups", "2026/")          # once a scan completes

One owner-only JSON file per profile, container and prefix in `aztui.locations.checkpoints_dir()`,
replaced atomically. A completed scan also leaves its totals (`remember_total`), which the next
scan of the same folder uses for its ETA (a listing has no total of its own).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path

from aztui.blobs.usage import Usage
from aztui.errors import AztuiError
from aztui.locations import checkpoints_dir

VERSION = 1


def _stem(profile: str, container: str, prefix: str) -> str:
    where = f"{profile}:{container}/{prefix}"
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", where)[:60]
    return f"du-{readable}-{hashlib.sha256(where.encode()).hexdigest()[:12]}"


def checkpoint_path(profile: str, container: str, prefix: str) -> Path:
    return checkpoints_dir() / f"{_stem(profile, container, prefix)}.json"


def _total_path(profile: str, container: str, prefix: str) -> Path:
    return checkpoints_dir() / f"{_stem(profile, container, prefix)}.total.json"


def _write(path: Path, data: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = path.with_name(path.name + ".tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False)
        os.replace(temp, path)
    except OSError as exc:
        raise AztuiError(f"cannot write {path}: {exc.strerror}", title="Checkpoint not saved",
                         hint="check that the state folder is writable ($XDG_STATE_HOME)") from None


def _read(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise AztuiError(f"cannot read the checkpoint {path}: {exc}", title="Checkpoint unreadable",
                         hint=f"delete {path} to start the scan over") from None
    return data if isinstance(data, dict) and data.get("version") == VERSION else None


def save_checkpoint(profile: str, usage: Usage) -> Path:
    """Keep a partial scan (`usage.continuation` is the next page); returns the file written."""
    path = checkpoint_path(profile, usage.container, usage.prefix)
    _write(path, {"version": VERSION, "profile": profile, "container": usage.container,
                  "prefix": usage.prefix, "marker": usage.continuation, "blobs": usage.blobs,
                  "bytes": usage.bytes, "bytes_by_tier": usage.bytes_by_tier,
                  "directories": usage.directories, "saved_at": datetime.now(timezone.utc).isoformat()})
    return path


def load_checkpoint(profile: str, container: str, prefix: str) -> Usage | None:
    """The partial scan saved for this folder, or None."""
    path = checkpoint_path(profile, container, prefix)
    data = _read(path)
    if data is None:
        return None
    try:
        if (data["profile"], data["container"], data["prefix"]) != (profile, container, prefix) \
                or not isinstance(data["marker"], str) or not data["marker"]:
            raise ValueError("it is for another folder")
        return Usage(container, prefix, int(data["blobs"]), int(data["bytes"]),
                     {str(k): int(v) for k, v in data["bytes_by_tier"].items()}, complete=False,
                     continuation=data["marker"], directories=int(data.get("directories", 0)))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise AztuiError(f"the checkpoint {path} is not one aztui wrote ({exc})", title="Checkpoint unreadable",
                         hint=f"delete {path} to start the scan over") from None


def discard_checkpoint(profile: str, container: str, prefix: str) -> None:
    checkpoint_path(profile, container, prefix).unlink(missing_ok=True)


def remember_total(profile: str, usage: Usage) -> None:
    """A completed scan's count, for the ETA of the next scan of the same folder."""
    _write(_total_path(profile, usage.container, usage.prefix),
           {"version": VERSION, "blobs": usage.blobs, "bytes": usage.bytes,
            "at": datetime.now(timezone.utc).isoformat()})


def last_total(profile: str, container: str, prefix: str) -> int | None:
    """The blob count of the last completed scan of this folder, or None."""
    try:
        data = _read(_total_path(profile, container, prefix))
    except AztuiError:
        return None
    blobs = data.get("blobs") if data else None
    return blobs if isinstance(blobs, int) and blobs > 0 else None
