"""Opening a blob in the user's pager: how big a blob may be, and which pager runs.

The TUI downloads the blob (ETag-guarded) into a private temporary folder, hands the terminal to
`pager_command()` with the file's path, and deletes the folder afterwards. Blobs above the limit
are refused before anything is downloaded: `aztui --view-max 50MiB`, or `$AZTUI_VIEW_MAX`
(default 10 MiB).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from typing import Mapping

from aztui.errors import AztuiError
from aztui.exit_codes import EXIT_BAD_INPUT

DEFAULT_VIEW_MAX = 10 * 1024 * 1024
VIEW_MAX_ENV = "AZTUI_VIEW_MAX"
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2, "mib": 1024**2,
          "g": 1000**3, "gb": 1000**3, "gib": 1024**3}


class SizeError(AztuiError):
    title = "Invalid size"
    exit_code = EXIT_BAD_INPUT


def parse_size(text: str) -> int:
    """"10MiB", "500 KB", "2048" → bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    unit = match[2].lower() if match else ""
    if not match or unit not in _UNITS:
        raise SizeError(f"{text!r} is not a size", hint="e.g. 10MiB, 500KB or 2048 (bytes)")
    return int(float(match[1]) * _UNITS[unit])


def view_max(environ: Mapping[str, str] = os.environ) -> int:
    """The largest blob `v` opens: `$AZTUI_VIEW_MAX`, else 10 MiB."""
    text = environ.get(VIEW_MAX_ENV, "").strip()
    return parse_size(text) if text else DEFAULT_VIEW_MAX


def pager_command(environ: Mapping[str, str] = os.environ) -> list[str]:
    """`$PAGER` split as a shell would ("less -R" → ["less", "-R"]), else `less`, else `more`."""
    text = environ.get("PAGER", "").strip()
    if text:
        try:
            words = shlex.split(text)
        except ValueError as exc:
            raise AztuiError(f"$PAGER cannot be parsed: {exc}", title="No pager", hint="set PAGER=less") from None
        if words and shutil.which(words[0], path=environ.get("PATH")):
            return words
        raise AztuiError(f"the pager {words[0] if words else text!r} from $PAGER is not found",
                         title="No pager", hint="set PAGER to an installed pager, e.g. less")
    for fallback in ("less", "more"):
        if shutil.which(fallback, path=environ.get("PATH")):
            return [fallback]
    raise AztuiError("no pager found: $PAGER is not set and neither less nor more is installed",
                     title="No pager", hint="set PAGER, e.g. PAGER=less")
