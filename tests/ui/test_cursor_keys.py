"""A cursor key in a `LazyTable`: keys typed in one burst act in the order typed, whatever level
binds them, and the rows a held `j` (or a half page) needs next are drawn while the app waits."""

from __future__ import annotations

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.containers import Vertical

from aztui.azure.blob_rows import BlobInfo
from aztui.ui.widgets.lazy_table import LazyTable
from aztui.ui.widgets.listing import BLOB_COLUMNS, Location, entry_key, entry_row

HERE = Location("c", "logs/")


def blobs(count: int) -> list:
    return [BlobInfo(f"logs/{i:04d}.json", i * 37, None, '"0x1"', "Hot", "text/plain") for i in range(count)]


class Box(Vertical):
    """The table's parent: notes the keys that bubble up to it; binds `x` (and `j` if asked)."""

    BINDINGS = [Binding("x", "note('x')")]

    def __init__(self, bind_j: bool) -> None:
        super().__init__()
        self.seen: list[str] = []
        if bind_j:
            self._bindings.bind("j", "note('j')")

    def on_key(self, event) -> None:
        self.seen.append(event.key)

    def action_note(self, key: str) -> None:
        self.seen.append(f"action {key} at row {self.query_one(LazyTable).cursor_row}")


class Listing(App):
    def __init__(self, bind_j: bool = False) -> None:
        super().__init__()
        self.bind_j = bind_j

    def compose(self):
        with Box(self.bind_j):
            yield LazyTable(key_of=entry_key, cells_of=lambda entry: entry_row(entry, HERE, False))

    def on_mount(self) -> None:
        table = self.query_one(LazyTable)
        for column in BLOB_COLUMNS:
            table.add_column(column, key=column)
        table.add_items(blobs(200))
        table.focus()


async def test_keys_in_one_burst_act_in_the_order_typed():
    """`x` (bound above the table, like the pane's space or Backspace) then `j`, queued together as
    a terminal delivers a burst: `x` acts on the row it was typed on. A table that ran its own
    keys where they landed, ahead of the bubbling `x`, made `x` act one row down (a mark on the
    wrong blob)."""
    app = Listing()
    async with app.run_test(size=(100, 20)) as pilot:
        table, box = app.query_one(LazyTable), app.query_one(Box)
        for key in ("j", "x", "j", "j", "x"):
            app.post_message(events.Key(key, key))
        await pilot.pause()
        assert table.cursor_row == 3
        assert [s for s in box.seen if s.startswith("action")] == ["action x at row 1", "action x at row 3"]


def count_drawing(app, table) -> tuple[list, list]:
    """(cells: one item per cell the table draws, at_frames: how many cells were drawn when each
    frame was handed to the terminal)."""
    cells: list[int] = []
    draw_cell = table._render_cell
    table._render_cell = lambda *args, **options: cells.append(1) or draw_cell(*args, **options)
    at_frames: list[int] = []
    app._display = lambda screen, update: update is not None and at_frames.append(len(cells))
    return cells, at_frames


async def test_a_held_j_finds_the_rows_it_changes_drawn_ahead():
    app = Listing()
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(LazyTable)
        cells, at_frames = count_drawing(app, table)

        drawn_for_key = []
        for _ in range(40):  # down past the window: most presses scroll a new row in
            before, at_frames[:] = len(cells), []
            await pilot.press("j")
            await pilot.pause(0.05)
            drawn_for_key.append(at_frames[0] - before)
        assert table.cursor_row == 40
        assert drawn_for_key[0] > 0 and drawn_for_key[1:] == [0] * 39, drawn_for_key
        assert len(cells) > 0


async def test_ctrl_d_ctrl_u_and_pagedown_find_the_rows_they_bring_into_view_drawn_ahead():
    app = Listing()
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(LazyTable)
        cells, at_frames = count_drawing(app, table)

        async def cells_drawn_for(key: str) -> int:
            before, at_frames[:] = len(cells), []
            await pilot.press(key)
            await pilot.pause(0.3)  # the next move's rows are drawn meanwhile
            return at_frames[0] - before

        assert [await cells_drawn_for("ctrl+d") for _ in range(6)][1:] == [0] * 5
        down = table.cursor_row
        assert down > 40 and table.scroll_offset.y > 30  # half pages of rows never shown before
        await pilot.press("G")
        await pilot.pause(0.1)
        assert [await cells_drawn_for("ctrl+u") for _ in range(6)][1:] == [0] * 5
        assert table.cursor_row < 160
        table.move_cursor(row=60)
        await pilot.pause(0.1)
        assert [await cells_drawn_for("pagedown") for _ in range(4)][1:] == [0] * 3
        assert table.cursor_row > 100
