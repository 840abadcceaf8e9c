"""The Containers pane: containers, virtual folders and blobs, loaded page by page in workers.

Every network call runs in a worker on the async `BlobStore` (opened inside the worker), one
exclusive worker per purpose (listing, usage, delete), so moving on cancels the stale one.
Workers report with messages named for what happened; failures become `PaneFailed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Static

from aztui.errors import AztuiError
from aztui.profiles.model import Profile
from aztui.ui.lazy import opened_blob_store
from aztui.ui.panes.base import CANCELLED, DeleteFlow, Pane, sort_binding
from aztui.ui.widgets.lazy_table import LazyTable
from aztui.ui.widgets.listing import (
    BLOB_COLUMNS,
    CONTAINER_COLUMNS,
    SORT_KEYS,
    Location,
    breadcrumbs,
    entry_key,
    entry_row,
    entry_widths,
    is_blob,
    is_deleted,
    is_folder,
)
from aztui.ui.widgets.listing_store import ListingStore, OrderedRows
from aztui.ui.widgets.text import account_label, human_size, shown
from aztui.ui.widgets.work_bar import WorkBar
from aztui.ui.workers import as_aztui_error
from aztui.units import terminal_safe

DEFAULT_PAGE_SIZE = 500
FIRST_PAGE_SIZE = 100  # rows of the first page of a folder: about a screenful
DEFAULT_MAX_ROWS = 1_000_000  # ~155 MB RSS in all (bench/tui_scale.py: the rows are columns); keys as in a small folder
AUTOLOAD_MARGIN = 10       # rows from the end of the table at which the next page is fetched
MUTATING_ACTIONS = frozenset({"delete", "mark", "mark_all", "clear_marks", "invert_marks", "undelete", "tier"})


class ContainersView(Pane):
    """Browse one profile's account; attributes down (`load`), messages up."""

    MUTATING = MUTATING_ACTIONS
    READ_GROUP, WRITE_GROUP = "listing", "delete"
    STATUS = "#listing-status"
    EMPTY_PLAN = "Nothing to delete: the planned blobs are gone already."

    BINDINGS = [
        Binding("enter,l,right", "open", "Open", id="open", tooltip="Open the container, folder or blob"),
        Binding("backspace,h,left", "up", "Up", id="up",
                tooltip="Go up one folder (back to the search results a folder was opened from)"),
        Binding("slash", "filter", "Filter", id="filter", tooltip="Filter the loaded rows"),
        Binding("s", "search", "Search", id="search", tooltip="List names starting with a prefix (server-side)"),
        sort_binding("n", "name", "Name", "name"),
        sort_binding("z", "size", "Size", "size"),
        sort_binding("m", "modified", "Modified", "last modified"),
        Binding("L", "load_all", "Load all", id="load-all", tooltip="Load every remaining page", show=False),
        Binding("i", "details", "Details", id="details",
                tooltip="Properties of the blob (and a preview) or container; blobs and bytes of a folder",
                show=False),  # Enter on a blob opens them too; the footer keeps room for the rest
        Binding("u", "usage", "Size", id="usage", tooltip="Count blobs and bytes (du) of the folder or container"),
        Binding("space", "mark", "Mark", id="mark", tooltip="Mark the row for deletion"),
        Binding("x,delete", "delete", "Delete", id="delete", tooltip="Delete the marked rows or the current one"),
        Binding("plus", "mark_all", "Mark all", id="mark-all", tooltip="Mark every row shown", show=False),
        Binding("minus", "clear_marks", "Clear marks", id="clear-marks",
                tooltip="Unmark every row of this container", show=False),
        Binding("asterisk", "invert_marks", "Invert marks", id="invert-marks",
                tooltip="Mark the unmarked rows shown, unmark the marked ones", show=False),
        Binding("escape", "cancel", "Cancel", id="cancel",
                tooltip="Cancel running work, close the search or filter, leave search results, else go up",
                show=False),
        Binding("D", "toggle_deleted", "Show deleted", id="show-deleted", show=False,
                tooltip="Show or hide soft-deleted blobs (blob soft delete) in the listing"),
        Binding("U", "undelete", "Undelete", id="undelete", show=False,
                tooltip="Undelete the marked soft-deleted blobs or the current one"),
        Binding("T", "tier", "Tier", id="tier", show=False,
                tooltip="Change the access tier of the marked blobs or the current one (plan, review, confirm)"),
        Binding("y", "copy('name')", "Copy name", id="copy-name", show=False,
                tooltip="Copy the name of the blob, folder or container to the clipboard"),
        Binding("Y", "copy('url')", "Copy URL", id="copy-url", show=False,
                tooltip="Copy the URL of the blob, folder or container (never a SAS) to the clipboard"),
        Binding("v", "view", "View", id="view", show=False,
                tooltip="Open the blob in $PAGER (up to --view-max, default 10 MiB)"),
    ]

    # --- messages: what happened ----------------------------------------------------------

    @dataclass
    class PageLoaded(Message):
        location: Location
        items: tuple
        continuation: str | None
        first: bool

    @dataclass
    class UsageProgressed(Message):
        usage: object

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, ContainersView.UsageProgressed)

    @dataclass
    class UsageStarted(Message):
        usage: object    # the scan's start: no blob counted yet
        folders: object  # the FolderTree the scan fills (the breakdown shows it as it grows)

    @dataclass
    class UsageFailed(Message):
        step: str         # which listing call failed
        error: AztuiError

    @dataclass
    class UsageMeasured(Message):
        usage: object
        folders: object = None  # the FolderTree the same scan filled (the breakdown)

    # --- state ----------------------------------------------------------------------------

    def __init__(self, *, page_size: int = DEFAULT_PAGE_SIZE, max_rows: int = DEFAULT_MAX_ROWS,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.page_size = page_size
        self.max_rows = max_rows
        self.root = Location()
        self.location = Location()
        self.entries = ListingStore()  # every loaded row, as columns (a million rows fit in ~50 MB)
        self.continuation: str | None = None
        self.capped = False
        self.fetching = False
        self.loading_all = False
        self.incomplete: str | None = None   # why the rows are not all there is: a failure, a cancel
        self.marks: dict[str | None, set[str]] = {}  # container -> the marked rows' keys
        self.filter_text = ""
        self.show_deleted = False   # D: soft-deleted blobs listed too (include=deleted)
        self.flow = "delete"   # the plan flow under way: "delete", "undelete" or "tier" (see `use_flow`)
        self.trail: list[tuple[Location, str | None]] = []  # where each open came from, and its row
        self.select_after: str | None = None  # the row to put the cursor on once it is loaded
        self.sorts: dict[Location, tuple[str, bool]] = {}  # the sort chosen per folder

    def compose(self) -> ComposeResult:
        yield Label(id="breadcrumbs", markup=False)
        yield Static(id="listing-status", markup=False)
        yield LazyTable(id="listing", key_of=entry_key, cells_of=self._cells,  # draws only the rows shown
                        widths_of=lambda entry: entry_widths(entry, self.location))
        yield Input(placeholder="filter loaded rows (Esc clears)", id="filter")
        yield Input(placeholder="names starting with… (Enter lists them from the server)", id="search")
        yield WorkBar(id="work")

    def on_mount(self) -> None:
        for input_id in ("#filter", "#search"):
            self.query_one(input_id).display = False
        self.watch(self.table, "scroll_y", self._scrolled, init=False)

    @property
    def table(self) -> DataTable:
        return self.query_one("#listing", DataTable)

    @property
    def marked(self) -> set[str]:
        """The keys of the marked rows of the container shown (marks survive folder changes). A key
        says what a delete, undelete or tier change needs: the kind of row and its full name."""
        return self.marks.setdefault(self.location.container, set())

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Read-only profiles: every mutating action is hidden (footer, palette, help) and inert."""
        if action in MUTATING_ACTIONS and (self.profile is None or self.profile.read_only):
            return False
        return True

    # --- loading --------------------------------------------------------------------------

    def forget(self, profile: Profile) -> None:
        """`load` shows `profile`'s account, or straight its container and prefix when it names one;
        the same profile again (refresh) reloads the folder shown."""
        here = self.location if self.profile == profile else None
        self.show_deleted = self.show_deleted and here is not None
        if here is None:
            self.marks, self.trail, self.sorts = {}, [], {}
        prefix = f"{profile.prefix.strip('/')}/" if profile.prefix.strip("/") else ""
        self.root = Location(profile.container, prefix) if profile.container else Location()
        self.location = here or self.root

    def read(self) -> None:
        self.go(self.location)

    def opened(self, profile: Profile):
        return opened_blob_store(profile)

    def go(self, location: Location) -> None:
        """Move to `location`: forget what was loaded, fetch its first page."""
        self.location = location
        self.entries = ListingStore()
        self.sort_key, self.sort_descending = self.sorts.get(location, (None, False))
        self.continuation, self.capped, self.filter_text, self.incomplete = None, False, "", None
        self.query_one("#filter", Input).value = ""
        self.query_one("#filter").display = False
        self.query_one("#breadcrumbs", Label).update(
            breadcrumbs(account_label(self.profile) if self.profile else "", location))
        table = self.table
        table.clear(columns=True)
        columns = CONTAINER_COLUMNS if location.container is None else BLOB_COLUMNS
        for column in columns:
            table.add_column(column, key=column)
        table.drop_order = ("Lease", "Public access") if location.container is None else ("Tier", "Size")
        self.show_sort_in_header()
        self.show_loading(True, table)
        self.fetching, self.loading_all = True, False
        self.update_status()
        # after the next frame: the SDK import and the request never hold up a paint
        self.call_after_refresh(self._fetch_first_page, self.profile, location)

    def _fetch_first_page(self, profile: Profile, location: Location) -> None:
        if profile is self.profile and location == self.location and self.fetching:  # still wanted
            self.start_read(self._fetch(profile, location, None, all_pages=False))

    def show_nothing(self, reason: str) -> None:
        """Cancel any work and show an empty pane with `reason`."""
        self.cancel_work()
        self.profile, self.incomplete = None, None
        self.refresh_bindings()
        self.table.clear(columns=True)
        self.show_loading(False, self.table)
        self.query_one("#breadcrumbs", Label).update("")
        self.set_status(reason)

    async def _fetch(self, profile: Profile, location: Location, continuation: str | None, *,
                     all_pages: bool) -> None:
        first = continuation is None
        rows = 0 if first else len(self.entries)
        with self.read_failures(lambda: location == self.location):
            async with opened_blob_store(profile) as store:  # lazy, in a thread: keeps the UI responsive
                if location.container is None:
                    items = []
                    async for info in store.iter_containers():
                        items.append(info)
                        if len(items) >= self.max_rows:
                            break
                    self.post_message(self.PageLoaded(location, tuple(items), None, first))
                    return
                while True:
                    # a screenful first: the first rows paint sooner, the table measures fewer rows
                    size = min(self.page_size, FIRST_PAGE_SIZE) if first else self.page_size
                    page = await store.list_page(location.container, location.listing_prefix,
                                                 page_size=size, continuation=continuation,
                                                 include_deleted=self.show_deleted)
                    self.post_message(self.PageLoaded(location, page.items, page.continuation, first))
                    rows += len(page.items)
                    continuation, first = page.continuation, False
                    if not all_pages or continuation is None or rows >= self.max_rows:
                        return

    def on_containers_view_page_loaded(self, event: PageLoaded) -> None:
        if event.location != self.location:
            return  # a page of a place the user already left
        table = self.table
        self.show_loading(False, table)
        self.continuation, self.incomplete = event.continuation, None
        if event.first:  # a listing afresh: the room is max_rows again
            self.entries, self.capped = ListingStore(), False
        items = self.entries.new(event.items)  # each row once: a directory marker's folder may come again (HNS)
        room = self.max_rows - len(self.entries)
        if len(items) > room:
            items, self.capped = items[:room], True
        if self.capped:
            self.continuation = None
            self.notify(f"Keeping the first {self.max_rows:,} rows; use s (search) to narrow the listing.",
                        severity="warning")
        self.entries.extend(items)
        if self.sort_key is None and not self.filter_text and table.items is self.entries:
            table.rows_appended()  # new rows only
        else:
            self.render_rows()
        if self.continuation is None:
            self.loading_all = False
        self.fetching = self.loading_all
        self.restore_cursor()
        self.rows_arrived(table)
        self.update_status()
        if event.first and not isinstance(self.screen.focused, Input) and shown(self):
            table.focus()  # not when the user is on another pane

    def rows_arrived(self, table) -> None:
        """The keys typed ahead are made once the cursor is back on the row left (`select_after`)."""
        if self.select_after is None:
            table.replay_cursor_keys()

    def show_failure(self, error: AztuiError) -> None:
        self.uncover()
        self.table.replay_cursor_keys()  # nothing to move: stop holding
        self.fetching = self.loading_all = False
        self.incomplete = f"Could not load: {error.title}"
        self.set_status(self.incomplete)  # the error alone; `update_status` adds the rest later

    # --- rows -----------------------------------------------------------------------------

    def visible_entries(self):
        """The loaded entries shown, filtered and sorted (as `listing.matches` and `sort_entries`
        would), as a sequence whose entries are made when asked for."""
        if self.sort_key is None and not self.filter_text:
            return self.entries
        rows = self.entries.matching(self.location, self.filter_text)
        if self.sort_key is not None:
            rows = self.entries.sorted_rows(rows, self.sort_key, self.sort_descending)
        return OrderedRows(self.entries, rows)

    def render_rows(self) -> None:
        """Rebuild the rows from the loaded entries, keeping the cursor on the same entry."""
        table = self.table
        current = self.current_key()
        shown = table.items  # every loaded row, measured: the columns fit any order or part of them
        measured = table.fully_measured and len(shown) == len(self.entries) and (
            shown is self.entries or isinstance(shown, OrderedRows) and shown.store is self.entries)
        table.clear()
        table.show_items(self.visible_entries(), measured=measured)
        row = table.index_of(current) if current else None
        if row is not None:
            table.move_cursor(row=row)

    def _cells(self, entry) -> tuple:
        """The cells of a row, made when the row is drawn (so a mark shows at once)."""
        return entry_row(entry, self.location, entry_key(entry) in self.marked)

    def current_entry(self):
        table = self.table
        row = table.cursor_row
        return table.item_at(row) if 0 <= row < table.row_count else None

    def set_status(self, text: str | Text) -> None:
        """The status line is one line high: a new text needs no layout of the screen (which
        would draw every widget again, per page of a streaming listing)."""
        self.query_one(self.STATUS, Static).update(text if isinstance(text, Text) else Text(text), layout=False)

    def update_status(self) -> None:
        """The status line: what is loaded (or why not), how it is shown, what is on its way."""
        what = "container" if self.location.container is None else "row"
        what += "s" if len(self.entries) != 1 else ""
        shown = self.table.row_count
        parts = [f"{len(self.entries):,} {what} loaded"]
        if self.filter_text:
            parts[0] = f"{shown:,} of {len(self.entries):,} {what} match {self.filter_text!r}"
        if self.incomplete:  # never "0 rows loaded" as if the folder were empty
            parts = [self.incomplete] + parts * bool(self.entries)
        elif self.fetching and not self.entries:
            parts = [f"Loading {'containers' if self.location.container is None else 'blobs'}…"]
        if self.sort_key is not None:
            arrow = "↓" if self.sort_descending else "↑"
            parts.append(f"sorted by {SORT_KEYS[self.sort_key]} {arrow}")
        if self.fetching and self.entries:
            parts.append("loading every page… (Esc stops)" if self.loading_all else "loading more…")
        elif self.continuation is not None and self.sort_key is not None:
            parts.append(f"only the {len(self.entries):,} loaded rows are sorted, more on the server: L loads all")
        elif self.continuation is not None:
            parts.append("more on the server (scroll or L loads them)")
        if self.show_deleted:
            parts.append("soft-deleted blobs shown (D hides them, U undeletes)")
        if self.marked:
            parts.append(f"{len(self.marked):,} marked in this container")
        if self.capped:
            parts.append(f"capped at {self.max_rows:,} rows")
        self.set_status(" · ".join(parts))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Moving the cursor near the end of the loaded rows fetches the next page."""
        margin = min(AUTOLOAD_MARGIN, self.page_size // 2 + 1)
        if event.cursor_row >= self.table.row_count - margin:
            self.load_next_page()

    def _scrolled(self, scroll_y: float) -> None:
        """Scrolling (wheel, scroll bar) near the end of the loaded rows does the same."""
        table = self.table
        if table.row_count and scroll_y >= table.max_scroll_y - AUTOLOAD_MARGIN and table.max_scroll_y > 0:
            self.load_next_page()

    def load_next_page(self) -> None:
        """Fetch the next page, in the server's order only: a sorted or filtered view says "L loads all"."""
        if (self.continuation is None or self.fetching or self.profile is None
                or self.sort_key is not None or self.filter_text):
            return
        self.fetching, self.incomplete = True, None
        self.update_status()
        self.start_read(self._fetch(self.profile, self.location, self.continuation, all_pages=False))

    # --- navigation -----------------------------------------------------------------------

    def action_open(self) -> None:
        entry = self.current_entry()
        if entry is None:
            return
        if self.location.container is None:
            self.go_into(Location(entry.name))
        elif is_folder(entry):
            self.go_into(self.location.into(entry.prefix))
        else:
            self.action_details()

    def go_into(self, location: Location) -> None:
        """Open `location` from here: up comes back here, to the row the cursor is on."""
        self.trail.append((self.location, self.current_key()))
        self.go(location)

    def action_up(self) -> None:
        """Back where the folder was opened from (search results too), the cursor on the row left;
        without a trail (a profile opened in a folder), the parent, the cursor on this folder."""
        if self.profile is None or self.location == self.root:
            return
        if self.trail:
            parent, row = self.trail.pop()
        else:
            parent = self.location.up()
            here = self.location
            row = (f"p:{here.prefix}" if here.prefix and not here.search
                   else f"c:{here.container}" if not here.search else None)
        if self.root.container is not None and not parent.listing_prefix.startswith(self.root.prefix):
            parent, row = self.root, None  # a profile scoped to a container and prefix stays inside them
        self.go(parent)
        self.select_after = row

    def restore_cursor(self) -> None:
        """Put the cursor on `select_after` once its row is loaded (or every page is)."""
        key = self.select_after
        if key is None:
            return
        table = self.table
        row = table.index_of(key)
        if row is not None:
            table.move_cursor(row=row)
            self.select_after = None
        elif self.continuation is None:
            self.select_after = None

    def action_details(self) -> None:
        entry = self.current_entry()
        if entry is None or self.profile is None:
            return
        if self.location.container is None or is_folder(entry):
            self.show_place_details(entry)
            return
        if is_deleted(entry):
            self.notify("A soft-deleted blob: U undeletes it.")
            return
        from aztui.ui.screens.blob_details import BlobDetailsScreen

        self.app.push_screen(BlobDetailsScreen(self.profile, self.location.container, entry))

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.display = True
        field.focus()

    def action_search(self) -> None:
        if self.location.container is None:
            self.notify("Open a container first: search lists blob names under the current folder.")
            return
        field = self.query_one("#search", Input)
        field.value = self.location.search
        field.display = True
        field.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self.render_rows()
        self.update_status()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.input.display = False
        self.table.focus()
        here = self.location
        if here.search:  # a new search replaces the results: up goes back where the first came from
            self.go(Location(here.container, here.prefix, event.value))
        else:
            self.go_into(Location(here.container, here.prefix, event.value))

    def action_sort(self, key: str) -> None:
        if key == "size" and self.location.container is None:
            self.notify("Containers have no size in a listing: u measures the one under the cursor.")
            return
        self.toggle_sort(key)
        self.sorts[self.location] = (self.sort_key, self.sort_descending)
        self.show_sort_in_header()
        self.render_rows()
        self.update_status()

    def show_sort_in_header(self) -> None:
        names = {"name": "Container" if self.location.container is None else "Name", "size": "Size",
                 "modified": "Last modified"}
        self.table.show_sort(names.get(self.sort_key or ""), self.sort_descending)

    def action_load_all(self) -> None:
        if self.profile is None or self.continuation is None:
            self.notify("Every row is loaded.")
            return
        self.fetching = self.loading_all = True
        self.incomplete = None
        self.update_status()
        self.start_read(self._fetch(self.profile, self.location, self.continuation, all_pages=True))

    def action_mark(self) -> None:
        entry = self.current_entry()
        if entry is None or self.location.container is None:
            return
        key = entry_key(entry)
        self.set_marks({key}, key not in self.marked)
        table = self.table
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)
        self.update_status()

    def set_marks(self, keys: set[str], marked: bool) -> None:
        """Mark (or unmark) the rows of `keys`, updating their rows shown."""
        if marked:
            self.marked.update(keys)
        else:
            self.marked.difference_update(keys)
        self.table.redraw()

    def _shown(self) -> set[str]:
        """The keys of the rows shown (filtered); none in the container list. No entry is made:
        a million rows marked hold a key each."""
        if self.location.container is None:
            return set()
        items = self.table.items
        if hasattr(items, "key_at"):
            return {items.key_at(row) for row in range(len(items))}
        return {entry_key(entry) for entry in items}

    def _marked_here(self) -> set[str]:
        """The marked keys among the loaded rows (marks of other folders of the container stay out)."""
        return self.entries.present(self.marked)

    def _targets(self, marked: set[str]) -> set[str]:
        """The keys of what an action works on: the marked rows, else the row under the cursor."""
        entry = self.current_entry()
        return marked or ({entry_key(entry)} if entry is not None else set())

    def action_mark_all(self) -> None:
        self.set_marks(self._shown(), True)
        self.update_status()

    def action_clear_marks(self) -> None:
        self.set_marks(set(self.marked), False)
        self.update_status()

    def action_invert_marks(self) -> None:
        shown = self._shown()
        marked = shown & self.marked
        self.set_marks(shown - marked, True)
        self.set_marks(marked, False)
        self.update_status()

    def action_cancel(self) -> None:
        """Esc: cancel running work first, then close the search field, clear the filter, leave
        search results, and else go up."""
        if self.cancel_and_say():
            return
        search = self.query_one("#search", Input)
        if search.display:
            search.display = False
            self.table.focus()
            return
        field = self.query_one("#filter", Input)
        if field.display or self.filter_text:
            field.value = ""
            field.display = False
            self.filter_text = ""
            self.render_rows()
            self.update_status()
            self.table.focus()
            return
        self.action_up()

    def cancel_work(self) -> bool:
        """Also a first page not sent yet counts as running work."""
        listing = self.fetching  # a page was on its way: what is shown is not all there is
        if listing:
            self.incomplete = CANCELLED
        self.fetching = self.loading_all = False
        return super().cancel_work() or listing

    # --- du ---------------------------------------------------------------------------------

    def action_usage(self) -> None:
        if self.profile is None:
            return
        entry = self.current_entry()
        if self.location.container is None:
            if entry is None:
                return
            container, prefix = entry.name, ""
        elif entry is not None and is_folder(entry):
            container, prefix = self.location.container, entry.prefix
        else:
            container, prefix = self.location.container, self.location.listing_prefix
        self._measure(self.profile, container, prefix)

    def _measure(self, profile: Profile, container: str, prefix: str) -> None:
        """The du scan in a worker; the breakdown opens once the store is open and fills in page by page."""
        async def measured(store) -> ContainersView.UsageMeasured:
            from aztui.blobs.usage import FolderTree, Usage, measure_usage

            folders = self._usage_tree = FolderTree(prefix)
            self.post_message(self.UsageStarted(Usage(container, prefix, 0, 0, complete=False), folders))
            pages = 0

            def progressed(usage) -> None:
                nonlocal pages
                pages += 1
                self.post_message(self.UsageProgressed(usage))

            try:
                usage = await measure_usage(store, container, prefix, folders=folders, progress=progressed)
            except Exception as error:  # not a cancel: that is the user's Esc
                self.post_message(self.UsageFailed(f"Listing page {pages + 1} of {container}/{prefix}",
                                                   as_aztui_error(error)))
                raise  # and reported as every worker failure is
            return self.UsageMeasured(usage, folders)

        self.run_work(f"Measuring {container}/{prefix}…", profile, measured, group="usage")

    def _breakdown(self):
        """The breakdown of the scan still running, if its screen is open."""
        screen = getattr(self, "_live_breakdown", None)
        return screen if screen is not None and screen.scanning else None

    def on_containers_view_usage_started(self, event: UsageStarted) -> None:
        from aztui.ui.screens.breakdown import BreakdownScreen

        self._live_breakdown = BreakdownScreen(event.usage, event.folders, scanning=True,
                                               cancel=self.cancel_measure)
        self.app.push_screen(self._live_breakdown)

    def cancel_measure(self) -> None:
        """Esc on the breakdown while it fills: stop the scan (and nothing else the pane is doing)."""
        for worker in self.running_workers("usage"):
            worker.cancel()
        self.work_bar.finish()
        self.notify("Cancelled.")  # also if the last page was in: its figures were never shown

    def on_containers_view_usage_progressed(self, event: UsageProgressed) -> None:
        usage = event.usage
        if (screen := self._breakdown()) is not None:
            screen.progressed(usage)
        if self.work_bar.display:
            tree = getattr(self, "_usage_tree", None)  # filled as the listing streams
            whole = tree.total(usage.prefix) if tree is not None and tree.root == usage.prefix else None
            top = tree.children(usage.prefix)[:1] if whole else []
            biggest = (f"; biggest so far: {terminal_safe(top[0].prefix[len(usage.prefix):])} "
                       f"{top[0].bytes * 100 // max(whole.bytes, 1)}%") if top and not top[0].direct else ""
            self.work_bar.show_progress(
                f"{usage.container}/{usage.prefix}: {usage.blobs:,} blobs, {human_size(usage.bytes)}{biggest}")

    def on_containers_view_usage_failed(self, event: UsageFailed) -> None:
        if (screen := self._breakdown()) is not None:
            error = event.error
            screen.failed(event.step, f"{error.title}: {error.message}" + (f" ({error.hint})" if error.hint else ""))

    def on_containers_view_usage_measured(self, event: UsageMeasured) -> None:
        self.work_bar.finish()
        if (screen := self._breakdown()) is not None:
            screen.finished(event.usage)

    # --- delete -----------------------------------------------------------------------------

    def action_delete(self) -> None:
        if self.profile is None or self.profile.read_only:
            return  # hidden by check_action; and the client layer refuses anyway
        if self.location.container is None:
            self.notify("Open a container to delete blobs in it.")
            return
        targets = self._targets(set(self.marked))
        names = _names(targets, "b:")  # blobs, not soft-deleted ones
        prefixes = _names(targets, "p:")
        if not names and not prefixes:
            self.notify("Nothing to delete: mark rows with space, or put the cursor on a blob or folder.")
            return
        self._plan(self.profile, self.location.container, names, prefixes)

    def _plan(self, profile: Profile, container: str, names: tuple, prefixes: tuple) -> None:
        from aztui.blobs.deletion import plan_delete

        self.use_flow("delete")
        self.plan("Planning the delete…", profile,
                  partial(plan_delete, container=container, names=names, prefixes=prefixes))

    def executed(self, report) -> None:
        self.marked.clear()  # what they marked is deleted (or reported as not)

    def delete_flow(self) -> DeleteFlow:
        if self.flow == "tier":
            return self.tier_flow()
        if self.flow == "undelete":
            from aztui.blobs.soft_delete import execute_undelete
            from aztui.ui.screens.dialogs import UndeleteReportScreen, UndeleteReview

            return DeleteFlow(UndeleteReview, UndeleteReportScreen, execute_undelete)
        from aztui.blobs.deletion import execute_delete
        from aztui.ui.screens.dialogs import DeleteReportScreen, DeleteReview

        return DeleteFlow(DeleteReview, DeleteReportScreen, execute_delete)

    # --- soft delete: show deleted blobs, undelete them ---------------------------------------

    def action_toggle_deleted(self) -> None:
        if self.profile is None or self.location.container is None:
            self.notify("Open a container first: D lists its soft-deleted blobs too.")
            return
        self.show_deleted = not self.show_deleted
        self.go(self.location)

    def action_undelete(self) -> None:
        if self.profile is None or self.profile.read_only:
            return  # hidden by check_action; and the client layer refuses anyway
        names = _names(self._targets(self._marked_here()), "d:")  # soft-deleted blobs
        if not names:
            hint = "" if self.show_deleted else " (D shows them)"
            self.notify(f"Nothing to undelete: mark or put the cursor on a soft-deleted blob{hint}.")
            return
        from aztui.blobs.soft_delete import plan_undelete

        self.use_flow("undelete")
        self.plan("Planning the undelete…", self.profile,
                  partial(plan_undelete, container=self.location.container, names=names))

    # --- i on a container or folder -----------------------------------------------------------

    def show_place_details(self, entry) -> None:
        """`i` on a container: its properties; on a folder: its blobs and bytes, counted now."""
        from aztui.ui.screens.place_details import ContainerDetailsScreen, FolderDetailsScreen

        if self.location.container is None:
            self.app.push_screen(ContainerDetailsScreen(self.profile, entry.name))
        else:
            self.app.push_screen(FolderDetailsScreen(self.profile, self.location.container, entry.prefix))

    # --- access tiers (T) ---------------------------------------------------------------------

    def use_flow(self, kind: str) -> None:
        """The plan → review → execute → report flow the next plan runs: "delete", "undelete" or "tier"."""
        self.flow = kind
        cls = type(self)
        self.EMPTY_PLAN = "Nothing to change: every blob is in that tier." if kind == "tier" else cls.EMPTY_PLAN
        self.PROGRESS = {"tier": "Setting tiers: {done:,} of {total:,}",
                         "undelete": "Undeleting: {done:,} of {total:,}"}.get(kind, cls.PROGRESS)

    def tier_flow(self) -> DeleteFlow:
        from aztui.blobs.tiering import execute_tier
        from aztui.ui.screens.tiering import TierReportScreen, TierReview

        return DeleteFlow(TierReview, TierReportScreen, execute_tier)

    def executing(self, plan) -> tuple[str, int | None]:
        if self.flow == "tier":
            return f"Setting the tier of {plan.count:,} blob{'s' * (plan.count != 1)} to {plan.tier}…", plan.count
        if self.flow == "undelete":
            return f"Undeleting {plan.count:,} blob{'s' * (plan.count != 1)}…", plan.count
        return super().executing(plan)

    def action_tier(self) -> None:
        if self.profile is None or self.profile.read_only:
            return  # hidden by check_action; and the executor refuses anyway
        if self.location.container is None:
            self.notify("Open a container to change the tier of blobs in it.")
            return
        targets = self._targets(self._marked_here())
        names = _names(targets, "b:", "d:")  # blobs, soft-deleted ones too
        prefixes = _names(targets, "p:")
        if not names and not prefixes:
            self.notify("Nothing to change: mark rows with space, or put the cursor on a blob or folder.")
            return
        from aztui.ui.screens.tiering import TierPrompt

        what = (names + prefixes)[0] if len(names) + len(prefixes) == 1 else f"{len(names) + len(prefixes)} rows"
        profile, container = self.profile, self.location.container

        def picked(choice) -> None:
            if choice and profile is self.profile:
                tier, priority = choice
                self._plan_tier(profile, container, names, prefixes, tier, priority)

        self.app.push_screen(TierPrompt(what), picked)

    def _plan_tier(self, profile: Profile, container: str, names: tuple, prefixes: tuple, tier: str,
                   priority: str | None) -> None:
        from aztui.blobs.tiering import plan_tier

        self.use_flow("tier")
        self.plan("Planning the tier change…", profile,
                  partial(plan_tier, container=container, tier=tier, rehydrate_priority=priority,
                          names=names, prefixes=prefixes))

    # --- y / Y: copy; v: view in $PAGER -------------------------------------------------------

    def action_copy(self, what: str) -> None:
        """Copy the current row's name or plain URL (OSC 52) and say so in the status line."""
        entry = self.current_entry()
        if entry is None or self.profile is None:
            return
        container = self.location.container or entry.name
        name = "" if self.location.container is None else (entry.prefix if is_folder(entry) else entry.name)
        if what == "url":
            from aztui.azure.blobs import blob_url

            try:
                text = blob_url(self.profile, container, name)
            except AztuiError as error:
                self.app.notify_error(error)
                return
        else:
            text = name or container
        self.app.copy_to_clipboard(text)
        self.set_status(f"Copied the {'URL' if what == 'url' else 'name'}: {text}")

    def action_view(self) -> None:
        """Download the blob (up to the view limit) to a private temp file and open it in $PAGER."""
        entry = self.current_entry()
        if entry is None or self.profile is None or not is_blob(entry) or self.location.container is None:
            self.notify("v opens a blob: put the cursor on one.")
            return
        from aztui.ui.widgets.pager import download_for_pager, pager_for

        pager = pager_for(self.app, entry)
        if pager is None:
            return
        container, profile = self.location.container, self.profile

        async def downloaded(store) -> ContainersView.ViewReady:
            return self.ViewReady(await download_for_pager(store, container, entry), pager)

        self.run_work(f"Downloading {entry.name} to view it… (Esc cancels)", profile, downloaded, group="view")

    @dataclass
    class ViewReady(Message):
        path: object
        pager: list

    def on_containers_view_view_ready(self, event: ViewReady) -> None:
        """Hand the terminal to the pager; the temp folder goes once the pager exits."""
        from aztui.ui.widgets.pager import show_in_pager

        self.work_bar.finish()
        show_in_pager(self.app, event.path, event.pager)


def _names(keys: set[str], *kinds: str) -> tuple[str, ...]:
    """The names in row keys of these kinds (`entry_key`: "b:" blob, "d:" soft-deleted, "p:" folder), sorted."""
    return tuple(sorted(key[2:] for key in keys if key[:2] in kinds))
