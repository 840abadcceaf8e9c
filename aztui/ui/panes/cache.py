"""The Cache pane: a BuildKit azblob cache's names, their layers, orphan blobs, anomalies; and GC.

`read_cache` runs in a worker (the `BlobStore` is opened inside it) and comes back as
`CacheRead`. The pane reads lazily: `load` only remembers the profile, `ensure_loaded` (the
app calls it when the pane is shown) reads it.

GC: `g` → policy form → plan (worker, on a fresh read, with the soft-delete retention) → plan screen → confirm → execute
(worker, progress bar, Esc cancels) → report → reload. In the anomalies view, `b` opens the same
form with "drop broken cache names" ticked (manifests naming a missing blob). Read-only profiles
hide both.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import partial

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Label, Static

from aztui.profiles.model import Profile
from aztui.ui.lazy import opened_blob_store
from aztui.ui.panes.base import CANCELLED, DeleteFlow, Pane, sort_binding
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
from aztui.ui.widgets.list_table import ListTable
from aztui.ui.widgets.text import plain, shown
from aztui.ui.widgets.work_bar import WorkBar

MUTATING_ACTIONS = frozenset({"gc", "drop_broken"})
DROP_ORDER = {  # the columns a narrow terminal gives up first; never the name or blob
    "names": ("Shared", "Unique", "Layers", "Size"), "layers": ("Also used by", "Size", "Uploaded"),
    "orphans": ("Age", "Size", "Uploaded"), "anomalies": ("Detail",)}
VIEW_TITLES = {"names": "cache names", "orphans": "orphan blobs (no manifest references them)",
               "anomalies": "anomalies"}


class CacheView(Pane):
    """One cache profile's BuildKit cache; attributes down (`load`), messages up."""

    MUTATING = MUTATING_ACTIONS
    READ_GROUP, WRITE_GROUP = "cache", "gc"
    STATUS = "#cache-status"
    READ_FAILED = "Could not read the cache"
    PLAN_NOUN = "cache blob"
    PROGRESS = "GC: {done:,} of {total:,} done"

    BINDINGS = [
        Binding("enter,l,right", "open", "Layers", id="open", tooltip="Show the layers of the cache name"),
        Binding("backspace,h,left", "back", "Names", id="up", tooltip="Back to the cache names"),
        Binding("o", "toggle_view('orphans')", "Orphans", id="cache-orphans",
                tooltip="Orphan blobs, with their age (again: back to the names)"),
        Binding("a", "toggle_view('anomalies')", "Anomalies", id="cache-anomalies",
                tooltip="Unreadable manifests, missing blobs, odd names (again: back)"),
        sort_binding("n", "name", "Name", "name"),
        sort_binding("z", "size", "Size", "size"),
        sort_binding("u", "unique", "Unique", "unique bytes"),
        sort_binding("m", "modified", "Modified", "last export or upload"),
        Binding("x,delete", "gc", "GC", id="cache-gc",
                tooltip="Garbage-collect stale cache blobs: policy, plan, review, confirm"),
        Binding("b", "drop_broken", "Drop broken", id="cache-drop-broken",
                tooltip="Anomalies: plan deleting the cache names whose manifest names a missing blob"),
        Binding("escape", "cancel", "Cancel", id="cancel", tooltip="Cancel running work, else go back",
                show=False),
    ]

    # --- messages: what happened ----------------------------------------------------------

    @dataclass
    class CacheRead(Pane.Read):
        snapshot: object

    # --- state ----------------------------------------------------------------------------

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.snapshot = None
        self.view = "names"                # names | layers | orphans | anomalies
        self.layers_of: str | None = None  # the cache name whose layers are shown
        self.policy = None                 # the last GC policy chosen, offered again
        self.sorts: dict[str, tuple[str | None, bool]] = {}  # the sort chosen per view
        self.names_row: str | None = None  # the cache name the cursor was on in the names view

    def compose(self) -> ComposeResult:
        yield Label(id="cache-title", markup=False)
        yield Static(id="cache-status", markup=False)
        yield ListTable(id="cache-table")
        yield Static(id="cache-help", markup=False, classes="placeholder")
        yield WorkBar(id="cache-work")

    def on_mount(self) -> None:
        self.show_text(NOT_A_CACHE)

    @property
    def table(self) -> DataTable:
        return self.query_one("#cache-table", DataTable)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Read-only profiles (and panes with no cache) hide GC: footer, palette and help."""
        if action in MUTATING_ACTIONS and (self.profile is None or self.profile.read_only
                                           or not is_cache_like(self.profile)):
            return False
        if action == "drop_broken":  # offered where the broken names are listed
            return self.view == "anomalies" and bool(self.broken_names())
        return True

    def broken_names(self) -> dict:
        """cache name -> the missing digests, of the snapshot shown."""
        from aztui.cache.planner import missing_blobs

        return missing_blobs(self.snapshot) if self.snapshot is not None else {}

    # --- loading --------------------------------------------------------------------------

    # `load` remembers the profile; the cache is read by `ensure_loaded` (when the pane is shown)

    def forget(self, profile: Profile) -> None:
        self.snapshot = None
        self.view, self.layers_of = "names", None
        if profile != self.profile:
            self.sorts, self.names_row = {}, None
            self.sort_key, self.sort_descending = None, False

    def can_read(self, profile: Profile) -> bool:
        return is_cache_like(profile)

    def show_unreadable(self) -> None:
        self.show_text(NOT_A_CACHE)

    def reads_at_once(self, profile: Profile) -> bool:
        return False

    def show_unread(self) -> None:
        self.query_one("#cache-title", Label).update(Text(f"Cache {where(self.profile)}", style="bold"))

    def read(self) -> None:
        self.show_table()
        self.show_loading(True, self.table)
        self.set_status("Reading every manifest and the blob listing…")
        self.work_bar.start(f"Reading the cache {where(self.profile)}…")
        self.start_read(self._read(self.profile))

    def opened(self, profile: Profile):
        return opened_blob_store(profile)

    async def _read(self, profile: Profile) -> None:
        from aztui.cache.buildkit import read_cache

        with self.read_failures(lambda: profile is self.profile):
            async with opened_blob_store(profile) as store:
                snapshot = await read_cache(store)
            self.post_message(self.CacheRead(profile, snapshot))

    def on_cache_view_cache_read(self, event: CacheRead) -> None:
        if event.profile is not self.profile:
            return  # a read of a profile the user already left
        self.work_bar.finish()
        self.show_loading(False, self.table)
        self.snapshot = event.snapshot
        if self.view == "layers" and self.layers_of not in {m.cache_name for m in self.snapshot.manifests}:
            self.view, self.layers_of = "names", None
        self.render_rows()
        self.refresh_bindings()
        if shown(self) and not isinstance(self.screen.focused, Input):
            self.table.focus()

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
        table.drop_order = DROP_ORDER[self.view]
        for row in self.rows():
            table.add_row(*row.cells, key=row.key)
        columns = VIEW_COLUMNS[self.view]
        by = {"name": columns[0], "size": "Size", "unique": "Unique",
              "modified": "Last export" if self.view == "names" else "Uploaded"}
        table.show_sort(by.get(self.sort_key or ""), self.sort_descending)
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

    def update_status(self) -> None:
        if self.snapshot is None:
            return
        text = summary(self.snapshot)
        if self.sort_key is not None:
            text.append(f" · sorted by {SORT_LABELS[self.sort_key]} {'↓' if self.sort_descending else '↑'}")
        hints = {"names": "Enter: layers · o: orphans · a: anomalies", "layers": "Backspace: names",
                 "orphans": "o: back to names", "anomalies": "a: back to names"}
        broken = len(self.broken_names())
        if broken and self.view == "anomalies" and self.check_action("drop_broken", ()):
            hints["anomalies"] += (f" · b: plan deleting the {broken} broken cache name"
                                   f"{'' if broken == 1 else 's'} (builds importing them fail)")
        text.append(f" · {hints[self.view]}", "dim")
        self.set_status(text)

    # --- views ----------------------------------------------------------------------------

    def show_view(self, view: str, layers_of: str | None = None) -> None:
        """Show `view` with its own sort; back on the names, the cursor on the name it left."""
        if self.view == "names":
            self.names_row = self.current_key()
        self.view, self.layers_of = view, layers_of
        self.refresh_bindings()
        self.sort_key, self.sort_descending = self.sorts.get(view, (None, False))
        self.table.clear()  # the cursor should not follow a key into another view
        self.render_rows()
        table = self.table
        if view == "names" and self.names_row in table.rows:
            table.move_cursor(row=table.get_row_index(self.names_row))
        elif table.row_count:
            table.move_cursor(row=0)

    def action_open(self) -> None:
        key = self.current_key()
        if self.view == "names" and key and key.startswith("n:"):
            self.show_view("layers", key[2:])

    def action_back(self) -> None:
        if self.view != "names" and self.snapshot is not None:
            self.show_view("names")

    def action_cancel(self) -> None:
        """Esc: cancel running work, else back to the names."""
        if not self.cancel_and_say():
            self.action_back()

    def action_toggle_view(self, view: str) -> None:
        if self.snapshot is None:
            return
        self.show_view("names" if self.view == view else view)

    def action_sort(self, key: str) -> None:
        self.toggle_sort(key)
        self.sorts[self.view] = (self.sort_key, self.sort_descending)
        self.render_rows()

    def show_cancelled(self, reading: bool) -> None:
        if self.snapshot is None:  # nothing read: not "Reading…" any more
            self.set_status(CANCELLED)
        self.update_status()

    # --- garbage collection ---------------------------------------------------------------

    def action_gc(self, drop_broken: bool = False) -> None:
        if self.profile is None or self.profile.read_only or not is_cache_like(self.profile):
            return  # hidden by check_action; and the executor refuses anyway
        from aztui.ui.screens.gc_plan import GcPolicyForm

        self.app.push_screen(GcPolicyForm(self.profile, self.policy, drop_broken=drop_broken),
                             self._policy_chosen)

    def action_drop_broken(self) -> None:
        """The anomalies view's offer: the GC policy form with "drop broken cache names" ticked."""
        if self.check_action("drop_broken", ()):
            self.action_gc(drop_broken=True)

    def _policy_chosen(self, policy) -> None:
        if policy is None or self.profile is None:
            return
        self.policy = policy
        self.plan("Planning the GC: reading every manifest and blob…", self.profile,
                  partial(self._plan_gc, self.profile, policy))

    async def _plan_gc(self, profile: Profile, policy, store):
        from aztui.cache.buildkit import read_cache
        from aztui.cache.planner import plan_cache_gc

        snapshot = await read_cache(store)  # fresh: the plan's ETags must be current
        self.post_message(self.CacheRead(profile, snapshot))
        plan = plan_cache_gc(snapshot, policy, datetime.now(timezone.utc))
        # soft delete, for the plan screen: read here, in the planning worker, never on the UI thread
        return replace(plan, recoverable_days=await store.delete_retention_days())

    def delete_flow(self) -> DeleteFlow:
        from aztui.cache.executor import execute_cache_gc
        from aztui.ui.screens.gc_plan import GcPlanScreen, GcReportScreen

        return DeleteFlow(GcPlanScreen, GcReportScreen, execute_cache_gc)
