"""The main screen's frames (`FrontFirstCompositor`): what the app writes to the terminal after each
key, applied to what the terminal showed, is the screen drawn whole; and a cursor move in the
listing asks only the table (and its scroll bar) for lines, not the header, footer and panes."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.cells import cell_len
from rich.segment import ControlType
from textual._compositor import Compositor
from textual.strip import Strip

from aztui.azure.blob_rows import BlobInfo
from aztui.ui.app import create_app
from aztui.ui.panes.containers import ContainersView
from tests.support.profiles_toml import closed_port_profiles

WHEN = datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc)


def blobs(count: int) -> tuple:
    return tuple(BlobInfo(f"logs/{i:05d}.json", i * 37, WHEN, '"0x1"', "Hot" if i % 3 else "Cool", "text/plain")
                 for i in range(count))


def write(terminal: list[list], update, console) -> None:
    """Apply a frame (the segments Textual writes) to `terminal`: rows of (character, style) cells."""
    x = y = 0
    for segment in update.__rich_console__(console, console.options):
        if segment.control:
            for control in segment.control:
                if control[0] == ControlType.CURSOR_MOVE_TO:
                    x, y = control[1], control[2]
            continue
        if segment.text == "\n":
            continue
        for character in segment.text:
            width = cell_len(character)
            if 0 <= y < len(terminal) and 0 <= x < len(terminal[y]):
                terminal[y][x] = (character, segment.style)
                if width == 2 and x + 1 < len(terminal[y]):
                    terminal[y][x + 1] = ("", segment.style)
            x += width


def whole(app) -> list[list]:
    """The screen drawn whole by Textual's own compositor, as cells."""
    compositor = app.screen._compositor
    chops = Compositor._render_chops(compositor, compositor.size.region, lambda y: True)
    terminal = [[(" ", None)] * app.size.width for _ in range(app.size.height)]
    for y, strip in enumerate(Strip.join(chop.values()) for chop in chops):
        x = 0
        for segment in strip:
            for character in segment.text:
                terminal[y][x] = (character, segment.style)
                if cell_len(character) == 2:
                    terminal[y][x + 1] = ("", segment.style)
                x += cell_len(character)
    return terminal


async def test_the_frames_of_cursor_keys_add_up_to_the_whole_screen_and_ask_only_the_table(tmp_path):
    app = create_app(closed_port_profiles(tmp_path), profile_name="p")
    async with app.run_test(size=(100, 24)) as pilot:
        view = app.containers
        while view.fetching:  # the real read fails: port 9
            await pilot.pause(0.05)
        view.post_message(ContainersView.PageLoaded(view.location, blobs(300), None, True))
        while view.table.row_count < 300:
            await pilot.pause(0.05)
        await pilot.pause(0.3)

        frames = []
        app._display = lambda screen, update: update is not None and frames.append(update)
        asked = []  # the widgets asked for lines while a key is drawn

        def noting(widget, draw):
            return lambda crop: asked.append(widget) or draw(crop)

        for widget in app.screen._compositor.visible_widgets:
            widget.render_lines = noting(widget, widget.render_lines)
        table, scroll_bar = view.table, view.table.vertical_scrollbar

        terminal = whole(app)
        for key in ["j"] * 25 + ["k"] * 3 + ["ctrl+d", "G", "k", "g"]:
            frames.clear()
            asked.clear()
            await pilot.press(key)
            await pilot.pause(0.05)
            for frame in frames:
                write(terminal, frame, app.console)
            assert frames, key
            assert set(asked) <= {table, scroll_bar}, (key, set(asked))
            assert terminal == whole(app), key
        assert table.cursor_row == 0
