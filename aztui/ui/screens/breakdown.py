"""Where the space goes: the size report of a folder (`u`) with its sub-folders, biggest first.

The scan that sized the folder also filled a `FolderTree` (every folder below, blob by blob), so
walking into a sub-folder (Enter) or back up (Backspace) needs no new listing. Each row: blobs,
bytes, the share of the folder shown as a bar, and bytes per access tier. It is a `UsageReport`
(the total and per-tier table stay where they were), with the breakdown below.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Label

from aztui.blobs.usage import FolderTree, share_bar
from aztui.ui.screens.dialogs import UsageReport
from aztui.ui.widgets.text import human_size, plain

TIERS = ("Hot", "Cool", "Cold", "Archive")
HERE = "(blobs right here)"


class BreakdownScreen(UsageReport):
    """A folder's size, per tier and per sub-folder; Enter opens a sub-folder, Backspace goes up."""

    BINDINGS = [Binding("escape", "close", "Close", id="close"),
                Binding("enter", "open_folder", "Open", id="open", show=True),
                Binding("backspace", "up", "Up", id="up", show=True)]

    def __init__(self, usage, folders: FolderTree) -> None:
        super().__init__(usage)
        self.folders = folders
        self.folder = usage.prefix

    def compose(self) -> ComposeResult:
        with Vertical(id="usage-report", classes="dialog"):
            yield Label(id="usage-title")
            yield DataTable(id="usage-table", cursor_type="none", show_cursor=False)
            yield Label(Text("Where the space goes (Enter opens a folder, Backspace goes up)", style="bold"))
            yield DataTable(id="breakdown-table", cursor_type="row")
            with Horizontal(classes="buttons"):
                yield Button("Close", id="close", variant="primary")

    def on_mount(self, event) -> None:
        event.prevent_default()  # UsageReport's own on_mount fills the tables its way
        self.query_one("#usage-table", DataTable).add_columns("", "Blobs", "Bytes", "Size")
        tiers = sorted({t for row in self.folders.children(self.usage.prefix) for t in row.bytes_by_tier},
                       key=lambda t: (TIERS.index(t) if t in TIERS else len(TIERS), t))
        self.tiers = tiers
        self.query_one("#breakdown-table", DataTable).add_columns("Folder", "Blobs", "Size", "Share", *tiers)
        self.show(self.folder)

    def show(self, folder: str) -> None:
        """Fill both tables for `folder` (the scanned one or any folder below it)."""
        self.folder = folder
        total = self.folders.total(folder)
        blobs, size = (total.blobs, total.bytes) if total else (0, 0)
        by_tier = total.bytes_by_tier if total else {}
        self.query_one("#usage-title", Label).update(
            Text.assemble(("Size of ", "bold"), plain(f"{self.usage.container}/{folder}", "bold cyan")))
        table = self.query_one("#usage-table", DataTable)
        table.clear()
        table.add_row(Text("total", style="bold"), Text(f"{blobs:,}", justify="right"),
                      Text(f"{size:,}", justify="right"), Text(human_size(size), justify="right"))
        for tier, tier_bytes in sorted(by_tier.items()):
            table.add_row(plain(tier), Text(""), Text(f"{tier_bytes:,}", justify="right"),
                          Text(human_size(tier_bytes), justify="right"), key=tier)
        if folder == self.usage.prefix and self.usage.directories:  # hierarchical namespace: not blobs
            table.add_row(plain("directories"), Text(f"{self.usage.directories:,}", justify="right"),
                          Text(""), Text(""), key="directories")
        rows = self.query_one("#breakdown-table", DataTable)
        rows.clear()
        for row in self.folders.children(folder):
            label = HERE if row.direct else row.prefix[len(folder):]
            rows.add_row(plain(label, "" if row.direct else "bold"), Text(f"{row.blobs:,}", justify="right"),
                         Text(human_size(row.bytes), justify="right"), Text(share_bar(row.bytes, size, 10)),
                         *(Text(human_size(row.bytes_by_tier[t]) if row.bytes_by_tier.get(t) else "",
                                justify="right") for t in self.tiers),
                         key=("" if row.direct else row.prefix))
        rows.focus()

    def action_open_folder(self) -> None:
        rows = self.query_one("#breakdown-table", DataTable)
        if rows.row_count:
            self.open_row(rows.coordinate_to_cell_key(rows.cursor_coordinate).row_key.value)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "breakdown-table":
            self.open_row(event.row_key.value)

    def open_row(self, key: str | None) -> None:
        if key:  # a sub-folder, not the blobs right here
            self.show(key)

    def action_up(self) -> None:
        if self.folder != self.usage.prefix:
            parent = self.folder[:-1].rsplit("/", 1)[0] + "/" if "/" in self.folder[:-1] else ""
            came_from = self.folder
            self.show(parent if parent.startswith(self.usage.prefix) else self.usage.prefix)
            rows = self.query_one("#breakdown-table", DataTable)
            try:
                rows.move_cursor(row=rows.get_row_index(came_from))
            except Exception:  # noqa: BLE001 - the cursor simply stays on the first row
                pass
