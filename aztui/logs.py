"""Where log records go: one owner-only file, never the terminal (it would tear the TUI).

The Azure SDKs log at WARNING on failures (e.g. "ClientSecretCredential.get_token failed");
aztui shows those failures itself, mapped, so the SDK records only go to the file.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from aztui.locations import log_file


def default_log_file() -> Path:
    """$AZTUI_LOG_FILE, else the user log dir (`aztui.locations.log_file`)."""
    return log_file()


def setup_logging(log_file: Path | None = None, *, verbose: bool = False) -> Path | None:
    """Send every record to `log_file` (created 0600); returns the path, or None if unwritable."""
    path = log_file or default_log_file()
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "aztui", False)]:
        root.removeHandler(old)  # a second call replaces ours, leaves others alone
        old.close()
    if not root.handlers:
        root.addHandler(_tagged(logging.NullHandler()))  # else lastResort prints to stderr
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # a new log folder: owner-only
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)
        handler = logging.StreamHandler(os.fdopen(fd, "a", encoding="utf-8"))
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(_tagged(handler))
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # the SDKs' INFO records are request/response dumps: keep only their warnings
    for noisy in ("azure", "msal", "urllib3", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)
    return path


def _tagged(handler: logging.Handler) -> logging.Handler:
    handler.aztui = True  # type: ignore[attr-defined]
    return handler
