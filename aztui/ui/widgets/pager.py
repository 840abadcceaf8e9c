"""`v`: a blob in `$PAGER`, from the listing and from the blob details screen alike.

`pager_for` says whether the blob may be viewed (the size limit, an archived blob, a terminal to
hand over) and with which pager; the caller downloads it in a worker with `download_for_pager`
and hands the terminal over with `show_in_pager`, which deletes the private temp folder after.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from aztui.errors import AztuiError
from aztui.ui.widgets.text import human_size


def pager_for(app, blob) -> list[str] | None:
    """The pager command to view `blob` with; None (after saying why) when it cannot be viewed."""
    import os

    from aztui.blobs.tiering import archive_note
    from aztui.blobs.viewing import pager_command

    if app.is_headless and not os.environ.get("PAGER"):  # no terminal for less to take over
        app.notify("v needs a terminal for the pager (or $PAGER set).", severity="warning")
        return None
    limit = getattr(app, "view_max", None)
    try:
        if limit is None:
            from aztui.blobs.viewing import view_max

            limit = view_max()
        pager = pager_command()
    except AztuiError as error:
        app.notify_error(error)
        return None
    note = archive_note(blob.tier, None, None)
    if note:
        app.notify(note, severity="warning", markup=False)
        return None
    if blob.size > limit:
        app.notify(f"{blob.name} is {human_size(blob.size)}, more than the {human_size(limit)} v opens. "
                   "Download it with d (in i), or raise the limit: aztui --view-max SIZE "
                   "(or $AZTUI_VIEW_MAX).", severity="warning", markup=False)
        return None
    return pager


async def download_for_pager(store, container: str, blob) -> Path:
    """The blob in a new private (0700) temp folder, ETag-guarded; the file's path."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="aztui-view-"))
    path = folder / (blob.name.rsplit("/", 1)[-1] or "blob")
    try:
        await store.download_to(container, blob.name, path, etag=blob.etag)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return path


def show_in_pager(app, path: Path, pager: list[str]) -> None:
    """Hand the terminal to the pager on `path`; its temp folder goes once the pager exits."""
    try:
        if app.is_headless:  # no terminal to hand over (tests): just run it, without input
            subprocess.run([*pager, str(path)], check=False, stdin=subprocess.DEVNULL)
        else:
            with app.suspend():
                subprocess.run([*pager, str(path)], check=False)
    except Exception as exc:  # SuspendNotSupported, a pager that cannot start
        app.notify(f"Could not open the pager: {exc}", severity="error", markup=False)
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)
