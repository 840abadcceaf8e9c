"""Where the space goes: the size report of a folder (`u`) with its sub-folders, biggest first.

It opens as soon as `u` starts the scan and fills in as the listing streams (like ncdu): the scan
fills a `FolderTree` (every folder below, blob by blob) and the pane passes on each page's running
totals (`progressed`); a few times a second the rows are redrawn, re-sorted by size. While the scan
runs the screen says so ("scanning… N blobs so far", with the rate) and the total row reads "so far",
never "total"; Esc cancels the scan. `finished` makes the figures final; `failed` says which step
failed and why, and clears the partial figures, so a cut-off scan never looks like a folder's size.

Walking into a sub-folder (Enter) or back up (Backspace) needs no new listing, during the scan too.
Each row: blobs, bytes, the share of the folder shown as a bar, and bytes per access tier. It is a
`UsageReport` (the total and per-tier table stay where they were), with the breakdown below.
"""

from __future__ import annotations

import time
from typing import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Label

from aztui.blobs.usage import FolderTree, Usage, share_bar
from aztui.ui.screens.dialogs import UsageReport
from aztui.ui.widgets.text import human_size, plain

TIERS = ("Hot", "Cool", "Cold", "Archive")
HERE = "(blobs right here)"
REDRAW_EVERY = 0.25  # seconds: how often a running scan's new figures are drawn (at most)
SCANNING, DONE, FAILED = "scanning", "done", "failed"


def cursor_key(rows: DataTable) -> str | None:
    """The key of the row under the cursor (None: no rows)."""
    if not rows.row_count:
        return None
    return rows.coordinate_to_cell_key(rows.cursor_coordinate).row_key.value


def tier_order(tier: str) -> tuple[int, str]:
    return (TIERS.index(tier) if tier in TIERS else len(TIERS), tier)


class BreakdownScreen(UsageReport):
    """A folder's size, per tier and per sub-folder; Enter opens a sub-folder, Backspace goes up.

    `scanning=True`: `usage` is the scan's start (or last progress) and `folders` is being filled;
    `cancel` is called if the user closes the screen before `finished` or `failed`."""

    BINDINGS = [Binding("escape", "close", "Close", id="close"),
                Binding("enter", "open_folder", "Open", id="open", show=True),
                Binding("backspace", "up", "Up", id="up", show=True)]

    def __init__(self, usage, folders: FolderTree, *, scanning: bool = False,
                 cancel: Callable[[], None] | None = None) -> None:
        super().__init__(usage)
        self.folders = folders
        self.folder = usage.prefix
        self.state = SCANNING if scanning else DONE
        self.cancel = cancel
        self.failure: str | None = None
        self.tiers: list[str] = []
        self.started = time.monotonic()
        self.drawn: tuple | None = None  # what the tables show: (folder, blobs, directories, state)
        self.drawable = False
        self.quiet_until = 0.0  # while scanning, no redraw before this (monotonic) time
        self.drawn_rows: str | None = None  # the folder whose rows the breakdown table shows
        self.ticker = None  # the redraw timer while the scan runs

    def compose(self) -> ComposeResult:
        with Vertical(id="usage-report", classes="dialog"):
            yield Label(id="usage-title")
            yield Label(id="scan-state")
            yield DataTable(id="usage-table", cursor_type="none", show_cursor=False)
            yield Label(Text("Where the space goes (Enter opens a folder, Backspace goes up)", style="bold"),
                        id="breakdown-heading")
            yield DataTable(id="breakdown-table", cursor_type="row")
            with Horizontal(classes="buttons"):
                yield Button("Close", id="close", variant="primary")

    def on_mount(self, event) -> None:
        event.prevent_default()  # UsageReport's own on_mount fills the tables its way
        self.drawable = True  # from now on the tables can be drawn
        self.show(self.folder)
        if self.state == SCANNING:
            self.ticker = self.set_interval(REDRAW_EVERY, self.redraw)

    # --- the scan, as the pane reports it ------------------------------------------------------

    @property
    def scanning(self) -> bool:
        return self.state == SCANNING

    def progressed(self, usage: Usage) -> None:
        """A page more was counted (drawn at the next tick, so a fast scan costs a few redraws a second)."""
        if self.scanning:
            self.usage = usage

    def finished(self, usage: Usage) -> None:
        """The scan counted every blob: the figures are the folder's size."""
        if self.scanning:
            self.usage, self.state = usage, DONE
            self.redraw()

    def failed(self, step: str, cause: str) -> None:
        """The scan stopped at `step` because of `cause`: say so, and show no figure as if it were the size."""
        if self.scanning:
            self.state, self.failure = FAILED, f"{step} failed: {cause}"
            self.redraw()

    def redraw(self) -> None:
        """Draw what changed since the last time; while scanning, at most a fifth of the time goes to
        drawing (a folder with thousands of sub-folders is drawn less often, the scan keeps its pace)."""
        now = time.monotonic()
        if not self.drawable or (self.scanning and now < self.quiet_until):
            return
        if (self.folder, self.usage.blobs, self.usage.directories, self.state) != self.drawn:
            self.show(self.folder)
            self.quiet_until = time.monotonic() + 4 * (time.monotonic() - now)
        if not self.scanning and self.ticker is not None:
            self.ticker.stop()
            self.ticker = None

    # --- drawing --------------------------------------------------------------------------------

    def state_line(self) -> Text:
        usage = self.usage
        if self.state == FAILED:
            return Text.assemble(("Scan failed. ", "bold red"), plain(self.failure or ""),
                                 "\nThe figures counted before the failure are not shown: the size is not known.")
        elapsed = max(time.monotonic() - self.started, 1e-3)
        return Text.assemble(("scanning… ", "bold yellow"), f"{usage.blobs:,} blobs so far",
                             f" · {usage.blobs / elapsed:,.0f} blobs/s",
                             ("  (partial figures; Esc cancels the scan)", "dim"))

    def show(self, folder: str) -> None:
        """Fill both tables for `folder` (the scanned one or any folder below it)."""
        self.folder = folder
        self.drawn = (folder, self.usage.blobs, self.usage.directories, self.state)
        self.query_one("#usage-title", Label).update(
            Text.assemble(("Size of ", "bold"), plain(f"{self.usage.container}/{folder}", "bold cyan")))
        state = self.query_one("#scan-state", Label)
        state.display = self.state != DONE
        state.set_class(self.state == FAILED, "-failed")
        if self.state != DONE:
            state.update(self.state_line())
        self.query_one("#breakdown-heading").display = self.state != FAILED
        table = self.query_one("#usage-table", DataTable)
        rows = self.query_one("#breakdown-table", DataTable)
        table.display = rows.display = self.state != FAILED
        if self.state == FAILED:
            table.clear()
            rows.clear()
            self.query_one("#close", Button).focus()
            return
        self.fill_totals(table, folder)
        self.fill_rows(rows, folder)

    def fill_totals(self, table: DataTable, folder: str) -> None:
        total = self.folders.total(folder)
        blobs, size = (total.blobs, total.bytes) if total else (0, 0)
        by_tier = total.bytes_by_tier if total else {}
        table.clear(columns=True)  # the widths fit what is shown now ("so far" is wider than "total")
        table.add_columns("", "Blobs", "Bytes", "Size")
        table.add_row(Text("total" if self.state == DONE else "so far", style="bold"),
                      Text(f"{blobs:,}", justify="right"),
                      Text(f"{size:,}", justify="right"), Text(human_size(size), justify="right"))
        for tier, tier_bytes in sorted(by_tier.items()):
            table.add_row(plain(tier), Text(""), Text(f"{tier_bytes:,}", justify="right"),
                          Text(human_size(tier_bytes), justify="right"), key=tier)
        if folder == self.usage.prefix and self.usage.directories:  # hierarchical namespace: not blobs
            table.add_row(plain("directories"), Text(f"{self.usage.directories:,}", justify="right"),
                          Text(""), Text(""), key="directories")

    def fill_rows(self, rows: DataTable, folder: str) -> None:
        """The sub-folders, biggest first; the cursor stays on the row it was on, wherever it sorts now."""
        tiers = sorted(self.usage.bytes_by_tier, key=tier_order)
        if tiers != self.tiers or not rows.columns:
            self.tiers = tiers
            rows.clear(columns=True)
            rows.add_columns("Folder", "Blobs", "Size", "Share", *tiers)
        was_on = cursor_key(rows) if rows.columns and self.drawn_rows == folder else None
        self.drawn_rows = folder
        total = self.folders.total(folder)
        size = total.bytes if total else 0
        rows.clear()
        for row in self.folders.children(folder):
            label = HERE if row.direct else row.prefix[len(folder):]
            rows.add_row(plain(label, "" if row.direct else "bold"), Text(f"{row.blobs:,}", justify="right"),
                         Text(human_size(row.bytes), justify="right"), Text(share_bar(row.bytes, size, 10)),
                         *(Text(human_size(row.bytes_by_tier[t]) if row.bytes_by_tier.get(t) else "",
                                justify="right") for t in self.tiers),
                         key=("" if row.direct else row.prefix))
        if was_on is not None:
            self.move_to(rows, was_on)
        if not rows.has_focus:
            rows.focus()

    @staticmethod
    def move_to(rows: DataTable, key: str) -> None:
        try:
            rows.move_cursor(row=rows.get_row_index(key))
        except Exception:  # noqa: BLE001 - that row is gone: the cursor simply stays where it is
            pass

    # --- keys -----------------------------------------------------------------------------------

    def action_open_folder(self) -> None:
        rows = self.query_one("#breakdown-table", DataTable)
        self.open_row(cursor_key(rows))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "breakdown-table":
            self.open_row(event.row_key.value)

    def open_row(self, key: str | None) -> None:
        if key:  # a sub-folder, not the blobs right here
            self.show(key)
            self.query_one("#breakdown-table", DataTable).move_cursor(row=0)

    def action_up(self) -> None:
        if self.folder != self.usage.prefix and self.state != FAILED:
            parent = self.folder[:-1].rsplit("/", 1)[0] + "/" if "/" in self.folder[:-1] else ""
            came_from = self.folder
            self.show(parent if parent.startswith(self.usage.prefix) else self.usage.prefix)
            self.move_to(self.query_one("#breakdown-table", DataTable), came_from)

    @on(Button.Pressed, "#close")
    def close_pressed(self, event: Button.Pressed) -> None:
        event.prevent_default()  # not UsageReport's: closing here may also cancel the scan
        self.action_close()

    def action_close(self) -> None:
        """Close; a scan still running is cancelled (its partial figures go with the screen)."""
        if self.scanning and self.cancel is not None:
            self.state = DONE
            self.cancel()
        self.dismiss(None)
