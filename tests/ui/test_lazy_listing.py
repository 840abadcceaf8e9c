"""The Containers listing's `LazyTable`: it draws exactly what a DataTable of the same cells draws,
answers the DataTable calls the panes and tests make, measures its columns from `entry_widths`,
and the pane keeps the newest listing when a first page comes into a full pane."""

from __future__ import annotations

import gc
from datetime import datetime, timezone

from textual.app import App
from textual.containers import Horizontal
from textual.widgets import DataTable

from aztui.azure.blob_rows import BlobInfo, PrefixInfo
from aztui.azure.blobs import ContainerInfo
from aztui.ui.app import create_app
from aztui.ui.panes.containers import ContainersView
from aztui.ui.widgets.lazy_table import LazyTable
from aztui.ui.widgets.list_table import ListTable
from aztui.ui.widgets.listing import BLOB_COLUMNS, Location, entry_key, entry_row, entry_widths
from tests.support.profiles_toml import closed_port_profiles

WHEN = datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc)
HERE = Location("c", "logs/")


def blob(name: str, size: int = 10, **extra) -> BlobInfo:
    return BlobInfo(name, size, extra.pop("last_modified", WHEN), '"0x1"', extra.pop("tier", "Hot"),
                    "text/plain", **extra)


ENTRIES = [PrefixInfo("logs/2026/"), blob("logs/a.json"), blob("logs/\x1b[31mred\u202e.txt", 123_456_789),
           blob("logs/日本語のファイル.txt", tier=None, last_modified=None), blob("logs/back\\slash"),
           blob("logs/gone.log", 5, deleted=True, deleted_on=WHEN, remaining_days=3),
           blob("logs/gone-too.log", 5, deleted=True), blob("logs/" + "x" * 90, 1 << 40)]


def test_entry_widths_are_the_widths_of_the_cells_a_marked_row_draws():
    for entry in ENTRIES:
        assert entry_widths(entry, HERE) == tuple(cell.cell_len for cell in entry_row(entry, HERE, True)), entry
    for entry in [ContainerInfo("web", WHEN, "blob", "leased"), ContainerInfo("\x07bell", None, None, None)]:
        assert entry_widths(entry, Location()) == tuple(cell.cell_len for cell in entry_row(entry, Location(), False))


class Both(App):
    """A LazyTable and a ListTable of the same rows, side by side."""

    def __init__(self) -> None:
        super().__init__()
        self.marked: set[str] = set()

    def compose(self):
        with Horizontal():
            yield LazyTable(id="lazy", key_of=entry_key, widths_of=lambda e: entry_widths(e, HERE),
                            cells_of=lambda e: entry_row(e, HERE, entry_key(e) in self.marked))
            yield ListTable(id="plain")

    def on_mount(self) -> None:
        for table in self.query(DataTable):
            table.styles.width = "50%"
            table.can_focus = False  # neither focused: both drawn alike
            for column in BLOB_COLUMNS:
                table.add_column(column, key=column)

    def fill(self, entries) -> None:
        self.query_one("#lazy", LazyTable).add_items(entries)
        plain = self.query_one("#plain", ListTable)
        for entry in entries:
            plain.add_row(*entry_row(entry, HERE, entry_key(entry) in self.marked), key=entry_key(entry))

    def drawn(self) -> tuple[list, list]:
        def lines(table):
            return [[(segment.text, segment.style) for segment in strip]
                    for strip in table.render_lines(table.region.reset_offset)]
        return lines(self.query_one("#lazy")), lines(self.query_one("#plain"))


async def test_a_lazy_table_draws_what_a_datatable_draws_and_answers_its_calls():
    app = Both()
    async with app.run_test(size=(200, 12)) as pilot:
        app.fill(ENTRIES[:4])
        await pilot.pause()
        app.fill(ENTRIES[4:] + [blob(f"logs/more-{i:03d}") for i in range(40)])
        await pilot.pause()
        lazy, plain = app.query_one("#lazy", LazyTable), app.query_one("#plain", ListTable)
        assert [c.content_width for c in lazy.columns.values()] == [c.content_width for c in plain.columns.values()]
        drawn_lazy, drawn_plain = app.drawn()
        assert drawn_lazy == drawn_plain
        assert "日本語のファイル.txt" in "".join(text for text, _ in drawn_lazy[4])

        for table in (lazy, plain):  # the cursor down past the screen, and a mark shown at once
            table.move_cursor(row=20)
        app.marked.add("b:logs/a.json")
        lazy.redraw()
        plain.update_cell("b:logs/a.json", "✓", entry_row(ENTRIES[1], HERE, True)[0])
        await pilot.pause()
        drawn_lazy, drawn_plain = app.drawn()
        assert drawn_lazy == drawn_plain

        drawn_rows = []  # lines the LazyTable draws from its cells (not put back from the last frame)
        draw_line = lazy.render_line
        lazy.render_line = lambda y: drawn_rows.append(y) or draw_line(y)
        for _ in range(3):  # one row down at a time, each a one-row scroll
            drawn_rows.clear()
            for table in (lazy, plain):
                table.action_cursor_down()
            await pilot.pause()
            drawn_lazy, drawn_plain = app.drawn()
            assert drawn_lazy == drawn_plain
            assert 1 <= len(drawn_rows) <= 4, drawn_rows  # header, the new row, the cursor's two: not all 12
        del lazy.render_line

        assert lazy.row_count == plain.row_count == len(ENTRIES) + 40
        assert "d:logs/gone.log" in lazy.rows and "b:nothing" not in lazy.rows
        assert lazy.get_row_index("b:logs/more-007") == plain.get_row_index("b:logs/more-007") == 15
        assert lazy.get_row_at(1) == plain.get_row_at(1)
        assert lazy.get_row("p:logs/2026/") == plain.get_row("p:logs/2026/")
        assert lazy.get_cell("b:logs/a.json", "✓").plain == "●"
        assert [row.key.value for row in lazy.ordered_rows] == [row.key.value for row in plain.ordered_rows]
        assert lazy.coordinate_to_cell_key(lazy.cursor_coordinate) == plain.coordinate_to_cell_key(
            plain.cursor_coordinate)
        lazy.clear()
        assert lazy.row_count == 0 and "b:logs/a.json" not in lazy.rows


async def test_a_first_page_into_a_full_pane_replaces_its_rows(tmp_path):
    """A listing's first page starts the rows afresh even when the pane held `max_rows` already:
    it used to be cut to the room left (none) and the pane said it was capped."""
    app = create_app(closed_port_profiles(tmp_path), profile_name="p", max_rows=3)
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.containers
        while view.fetching:
            await pilot.pause(0.05)
        here = view.location
        assert here.container == "bench", (here, view.profile)
        view.post_message(ContainersView.PageLoaded(here, tuple(blob(f"old-{i}") for i in range(3)), None, True))
        await pilot.pause()
        assert view.table.row_count == 3 and not view.capped
        view.post_message(ContainersView.PageLoaded(here, (blob("new-0"), blob("new-1")), "more", True))
        await pilot.pause()
        assert [row.key.value for row in view.table.ordered_rows] == ["b:new-0", "b:new-1"]
        assert not view.capped and view.continuation == "more"


def live_blob_infos() -> int:
    gc.collect()
    return sum(type(thing) is BlobInfo for thing in gc.get_objects())


async def test_the_pane_keeps_no_object_per_loaded_row(tmp_path):
    """50,000 plain blobs loaded through the pane's `PageLoaded`, scrolled, sorted and filtered:
    the rows stay columns (issue #14: a million rows in 200 MB), not a `BlobInfo` each."""
    app = create_app(closed_port_profiles(tmp_path), profile_name="p", max_rows=60_000)
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.containers
        while view.fetching:
            await pilot.pause(0.05)
        here, rows = view.location, 50_000
        for start in range(0, rows, 5_000):
            view.post_message(ContainersView.PageLoaded(here, tuple(
                BlobInfo(f"logs/{i:07d}.json", i % 9973, WHEN, f'"0x8DC{i:012X}"', "Hot", "application/json")
                for i in range(start, start + 5_000)), "more" if start + 5_000 < rows else None, start == 0))
            await pilot.pause()
        while view.table.row_count < rows:
            await pilot.pause(0.05)
        view.post_message(ContainersView.PageLoaded(here, (PrefixInfo("logs/sub/"),), None, False))
        await pilot.pause()
        table = view.table
        table.move_cursor(row=rows - 1)
        await pilot.pause()
        assert view.current_entry() == BlobInfo(f"logs/{rows - 1:07d}.json", (rows - 1) % 9973, WHEN,
                                                f'"0x8DC{rows - 1:012X}"', "Hot", "application/json")
        await pilot.press("ctrl+u", "k", "k")
        assert live_blob_infos() < 300
        await pilot.press("z")  # sorted by size
        await pilot.pause()
        assert view.sort_key == "size" and view.sort_descending  # the biggest first, the folder last
        assert table.item_at(0).size == 9972 and table.item_at(rows) == PrefixInfo("logs/sub/")
        assert live_blob_infos() < 300
        await pilot.press("plus")  # every row marked: a key each, no entry
        assert len(view.marked) == rows + 1 and "p:logs/sub/" in view.marked
        assert live_blob_infos() < 300
        view.filter_text = "00042"
        view.render_rows()
        await pilot.pause()
        names = (f"{i:07d}.json" for i in range(rows))
        assert sorted(entry.name for entry in table.items) == [f"logs/{n}" for n in names if "00042" in n]
        assert live_blob_infos() < 300
