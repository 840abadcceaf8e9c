"""Pilot helpers the UI tests share: start the app, let it settle, move a cursor, read the screen and the
notifications."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from rich.text import Text
from textual.notifications import Notify
from textual.widgets import DataTable

from aztui.profiles.file import load_profiles
from aztui.ui.app import create_app
from tests.support.profiles import azurite_profile

SIZE = (120, 40)


# A connection-string profile on an Azurite, for seeding containers.
setup_profile = partial(azurite_profile, connection_string=True, name="setup")


def write_profiles_file(path: Path, text: str) -> Path:
    """Write a profiles file as aztui wants it (owner-only), return its path."""
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def recording(notes: list | None):
    """A `message_hook` that appends each notification (`Notify`) to `notes`; None when there is no list."""
    if notes is None:
        return None
    return lambda m: notes.append(m) if isinstance(m, Notify) else None


def start(profiles, name: str | None = None, notes: list | None = None, *, size: tuple[int, int] = SIZE,
          **options):
    """The app on `profiles` (a profiles file or a loaded set) opened on `name`, and its `run_test`."""
    profile_set = load_profiles(profiles) if isinstance(profiles, (str, Path)) else profiles
    app = create_app(profile_set, profile_name=name, **options)
    return app, app.run_test(size=size, message_hook=recording(notes))


def messages(notes: list, severity: str | None = None) -> list[str]:
    """The text of the recorded notifications, only those of `severity` if given."""
    return [str(n.notification.message) for n in notes if severity in (None, n.notification.severity)]


def errors(notes: list) -> list[str]:
    return messages(notes, "error")


async def settle(pilot, rounds: int = 3) -> None:
    """Let the workers finish and their messages be handled."""
    for _ in range(rounds):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def cursor_to(pilot, key: str, selector: str = "#listing") -> None:
    """Focus the table `selector` and put its cursor on the row `key`."""
    table = pilot.app.screen.query_one(selector, DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(key))
    await pilot.pause()


async def open_rows(pilot, *keys: str) -> None:
    """Open the listing's rows `keys` one after another (cursor, Enter, settle)."""
    for key in keys:
        await cursor_to(pilot, key)
        await pilot.press("enter")
        await settle(pilot)


def text_of(app, selector: str) -> str:
    """What the widget `selector` of the current screen shows, as plain text."""
    rendered = app.screen.query_one(selector).render()
    return rendered.plain if isinstance(rendered, Text) else str(rendered)
