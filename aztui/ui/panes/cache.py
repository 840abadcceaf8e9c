"""The Cache pane: a BuildKit azblob cache's names, their layers, orphan blobs, anomalies; and GC.

`read_cache` runs in a worker (the `BlobStore` is opened inside it) and comes back as
`CacheRead`. The pane reads lazily: `load` only remembers the profile, `ensure_loaded` (the
app calls it when the pane is shown) reads it.

GC: `g` → policy form → plan (worker, on a fresh read) → plan screen → confirm → execute
(worker, progress bar, Esc cancels) → report → reload. Read-only profiles hide GC.
"""

from __future__ import annotations

from datetime import datetime, timezone

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Static

from aztui.errors import AztuiError
from aztui.profiles.model import Profile
from aztui.ui.lazy import opened_blob_store
from aztui.ui.messages import PaneFailed, PlanExecuted, PlanProgressed
from aztui.ui.panes.base import count_outcomes, failure_posted, pane_worker_failed, show_loading
from aztui.ui.widgets.cache_rows import (
    NOT_A_CACHE,
    SORT_LABELS,
    VIEW_COLUMNS,
    anomaly_rows,
    is_cache_like,
    layer_rows,
    name_rows,
    orphan_rows,
    sort_rows,
    summary,
    where,
)
from aztui.ui.widgets.text import count, plain, shown
from aztui.ui.widgets.work_bar import WorkBar

MUTATING_ACTIONS = frozenset({"gc"})
VIEW_TITLES = {"names": "cache names", "orphans": "orphan blobs (no manifest references them)",
               "anomalies": "anomalies"}


class CacheView(Vertical):
    """One cache profile's BuildKit cache; attributes down (`load`), messages up."""

    BINDINGS = [
        Binding("enter", "open", "Layers", id="open", tooltip="Show the layers of the cache name"),
        Binding("backspace", "back", "Names", id="up", tooltip="Back to the cache names"),
        Binding("o", "toggle_view('orphans')", "Orphans", id="cache-orphans",
                tooltip="Orphan blobs, with their age (again: back to the names)"),
        Binding("a", "toggle_view('anomalies')", "Anomalies", id="cache-anomalies",
                tooltip="Unreadable manifests, missing blobs, odd names (again: back)"),
        Binding("n", "sort('name')", "Name", id="sort-name", tooltip="Sort by name (again: reverse)", show=False),
        Binding("z", "sort('size')", "Size", id="sort-size", tooltip="Sort by size (again: reverse)", show=False),
        Binding("u", "sort('unique')", "Unique", id="sort-unique",
                tooltip="Sort by unique bytes (again: reverse)", show=False),
        Binding("m", "sort('modified')", "Modified", id="sort-modified",
                tooltip="Sort by last export or upload (again: reverse)", show=False),
        Binding("g", "gc", "GC", id="cache-gc",
                tooltip="Garbage-collect stale cache blobs: policy, plan, review, confirm"),
        Binding("escape", "cancel", "Cancel", id="cancel", tooltip="Cancel running work", show=False),
    ]

    # --- messages: what happened ----------------------------------------------------------

    class CacheRead(Message):
        def __init__(self, profile: Profile, snapshot) -> None:
            super().__init__()
            self.profile = profile
            self.snapshot = snapshot

    class GcPlanned(Message):
        def __init__(self, plan) -> None:
            super().__init__()
            self.plan = plan

    # --- state ----------------------------------------------------------------------------

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.profile: Profile | None = None
        self.snapshot = None
        self.stale = False                 # a profile was given but not read yet
        self.view = "names"                # names | layers | orphans | anomalies
        self.layers_of: str | None = None  # the cache name whose layers are shown
        self.sort_key: str | None = None
        self.sort_descending = False
        self.policy = None                 # the last GC policy chosen, offered again

    def compose(self) -> ComposeResult:
        yield Label(id="cache-title", markup=False)
        yield Static(id="cache-status", markup=False)
        yield DataTable(id="cache-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="cache-help", markup=False, classes="placeholder")
        yield WorkBar(id="cache-work")

    def on_mount(self) -> None:
        self.show_text(NOT_A_CACHE)

    @property
    def table(self) -> DataTable:
        return self.query_one("#cache-table", DataTable)

    @property
    def work_bar(self) -> WorkBar:
        return self.query_one(WorkBar)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Read-only profiles (and panes with no cache) hide GC: footer, palette and help."""
        if action in MUTATING_ACTIONS and (self.profile is None or self.profile.read_only
                                           or not is_cache_like(self.profile)):
            return False
        return True

    # --- loading --------------------------------------------------------------------------

    def load(self, profile: Profile) -> None:
        """Remember `profile`; the cache is read by `ensure_loaded` (when the pane is shown)."""
        self.cancel_work()
        self.profile, self.snapshot = profile, None
        self.view, self.layers_of = "names", None
        self.refresh_bindings()
        if not is_cache_like(profile):
            self.stale = False
            self.show_text(NOT_A_CACHE)
            return
        self.stale = True
        self.query_one("#cache-title", Label).update(Text(f"Cache {where(profile)}", style="bold"))
        self.set_status("Not read yet: it is read when this pane is shown.")

    def ensure_loaded(self) -> None:
        if self.stale:
            self.reload()

    def reload(self) -> None:
        if self.profile is None or not is_cache_like(self.profile):
            return
        self.stale = False
        self.show_table()
        show_loading(self, True, self.table)
        self.set_status("Reading every manifest and the blob listing…")
        self.work_bar.start(f"Reading the cache {where(self.profile)}…")
        self._read(self.profile)

    @work(exclusive=True, exit_on_error=False, group="cache")
    async def _read(self, profile: Profile) -> None:
        from aztui.cache.buildkit import read_cache

        try:
            async with opened_blob_store(profile) as store:
                snapshot = await read_cache(store)
        except AztuiError as error:
            self.post_message(PaneFailed(error))
            if profile is self.profile:
                self._show_failure(error)
            return
        self.post_message(self.CacheRead(profile, snapshot))

    def on_cache_view_cache_read(self, event: CacheRead) -> None:
        if event.profile is not self.profile:
            return  # a read of a profile the user already left
        self.work_bar.finish()
        show_loading(self, False, self.table)
        self.snapshot = event.snapshot
        if self.view == "layers" and self.layers_of not in {m.cache_name for m in self.snapshot.manifests}:
            self.view, self.layers_of = "names", None
        self.render_rows()
        if shown(self) and not isinstance(self.screen.focused, Input):
            self.table.focus()

    def _show_failure(self, error: AztuiError) -> None:
        self.work_bar.finish()
        show_loading(self, False, self.table)
        self.set_status(f"Could not read the cache: {error.title}")

    def on_worker_state_changed(self, event) -> None:
        pane_worker_failed(self, event, read_group="cache")

    # --- rows -----------------------------------------------------------------------------

    def show_text(self, text: str) -> None:
        self.table.display = False
        self.query_one("#cache-title", Label).update("")
        self.set_status("")
        help_text = self.query_one("#cache-help", Static)
        help_text.update(Text(text))
        help_text.display = True

    def show_table(self) -> None:
        self.query_one("#cache-help").display = False
        self.table.display = True

    def rows(self) -> list:
        snapshot = self.snapshot
        if snapshot is None:
            return []
        if self.view == "layers":
            rows = layer_rows(snapshot, self.layers_of or "")
        elif self.view == "orphans":
            rows = orphan_rows(snapshot, datetime.now(timezone.utc))
        elif self.view == "anomalies":
            rows = anomaly_rows(snapshot)
        else:
            rows = name_rows(snapshot)
        return sort_rows(rows, self.sort_key, self.sort_descending)

    def render_rows(self) -> None:
        table = self.table
        current = self.current_key()
        table.clear(columns=True)
        for column in VIEW_COLUMNS[self.view]:
            table.add_column(column, key=column)
        for row in self.rows():
            table.add_row(*row.cells, key=row.key)
        if current is not None and current in table.rows:
            table.move_cursor(row=table.get_row_index(current))
        self.update_title()
        self.update_status()

    def update_title(self) -> None:
        if self.profile is None:
            return
        title = Text(f"Cache {where(self.profile)} › ", style="bold")
        if self.view == "layers":
            title.append("layers of ")
            title.append(plain(self.layers_of, "bold cyan"))
        else:
            title.append(VIEW_TITLES[self.view])
        self.query_one("#cache-title", Label).update(title)

    def set_status(self, text: str | Text) -> None:
        self.query_one("#cache-status", Static).update(text if isinstance(text, Text) else Text(text))

    def update_status(self) -> None:
        if self.snapshot is None:
            return
        text = summary(self.snapshot)
        if self.sort_key is not None:
            text.append(f" · sorted by {SORT_LABELS[self.sort_key]} {'↓' if self.sort_descending else '↑'}")
        hints = {"names": "Enter: layers · o: orphans · a: anomalies", "layers": "Backspace: names",
                 "orphans": "o: back to names", "anomalies": "a: back to names"}
        text.append(f" · {hints[self.view]}", "dim")
        self.set_status(text)

    def current_key(self) -> str | None:
        table = self.table
        if table.row_count == 0:
            return None
        try:
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:  # the cursor is outside the rows
            return None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    # --- views ----------------------------------------------------------------------------

    def show_view(self, view: str, layers_of: str | None = None) -> None:
        self.view, self.layers_of = view, layers_of
        self.table.clear()  # the cursor should not follow a key into another view
        self.render_rows()
        if self.table.row_count:
            self.table.move_cursor(row=0)

    def action_open(self) -> None:
        key = self.current_key()
        if self.view == "names" and key and key.startswith("n:"):
            self.show_view("layers", key[2:])

    def action_back(self) -> None:
        if self.view != "names" and self.snapshot is not None:
            back_to = f"n:{self.layers_of}" if self.view == "layers" else None
            self.show_view("names")
            if back_to in self.table.rows:
                self.table.move_cursor(row=self.table.get_row_index(back_to))

    def action_toggle_view(self, view: str) -> None:
        if self.snapshot is None:
            return
        self.show_view("names" if self.view == view else view)

    def action_sort(self, key: str) -> None:
        if self.sort_key == key:
            self.sort_descending = not self.sort_descending
        else:
            self.sort_key, self.sort_descending = key, key != "name"
        self.render_rows()

    def action_cancel(self) -> None:
        if self.cancel_work():
            self.notify("Cancelled.")
            if self.snapshot is None:  # nothing read: not "Reading…" any more
                self.set_status("Cancelled — r reloads")
            self.update_status()

    def cancel_work(self) -> bool:
        """Cancel the read, the plan and the GC run; True if anything was running."""
        running = [w for w in self.workers if w.node is self and w.is_running and w.group in ("cache", "gc")]
        for worker in running:
            worker.cancel()
        show_loading(self, False, self.table)
        self.work_bar.finish()
        return bool(running)

    # --- garbage collection ---------------------------------------------------------------

    def action_gc(self) -> None:
        if self.profile is None or self.profile.read_only or not is_cache_like(self.profile):
            return  # hidden by check_action; and the executor refuses anyway
        from aztui.ui.screens.gc_plan import GcPolicyForm

        self.app.push_screen(GcPolicyForm(self.profile, self.policy), self._policy_chosen)

    def _policy_chosen(self, policy) -> None:
        if policy is None or self.profile is None:
            return
        self.policy = policy
        self.work_bar.start("Planning the GC: reading every manifest and blob…")
        self._plan(self.profile, policy)

    @work(exclusive=True, exit_on_error=False, group="gc")
    async def _plan(self, profile: Profile, policy) -> None:
        from aztui.cache.buildkit import read_cache
        from aztui.cache.planner import plan_cache_gc

        with failure_posted(self):
            async with opened_blob_store(profile) as store:
                snapshot = await read_cache(store)  # fresh: the plan's ETags must be current
            self.post_message(self.CacheRead(profile, snapshot))
            self.post_message(self.GcPlanned(plan_cache_gc(snapshot, policy, datetime.now(timezone.utc))))

    def on_cache_view_gc_planned(self, event: GcPlanned) -> None:
        from aztui.ui.screens.gc_plan import GcPlanScreen

        self.work_bar.finish()
        plan, profile = event.plan, self.profile

        def reviewed(confirmed: bool | None) -> None:
            if confirmed and profile is self.profile:
                self.work_bar.start(f"Deleting {count(plan.count, 'cache blob')}…", total=plan.count)
                self._execute(profile, plan)

        self.app.push_screen(GcPlanScreen(plan, profile), reviewed)

    @work(exclusive=True, exit_on_error=False, group="gc")
    async def _execute(self, profile: Profile, plan) -> None:
        from aztui.cache.executor import execute_cache_gc

        with failure_posted(self, reload=True):
            async with opened_blob_store(profile) as store:
                report = await execute_cache_gc(store, plan, progress=count_outcomes(self, plan.count))
            self.post_message(PlanExecuted(report))

    def on_plan_progressed(self, event: PlanProgressed) -> None:
        if self.work_bar.display:
            self.work_bar.show_progress(f"GC: {event.done:,} of {event.total:,} done", progress=event.done)

    def on_plan_executed(self, event: PlanExecuted) -> None:
        from aztui.ui.screens.gc_plan import GcReportScreen

        self.work_bar.finish()
        self.app.push_screen(GcReportScreen(event.report))
        self.reload()
