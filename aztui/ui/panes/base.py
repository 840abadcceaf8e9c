"""`Pane`: what the three panes do the same way.

A pane shows one profile (`load`), reads it in one exclusive read worker (`start_read`), lazily
when the pane is `stale`, shows a failure in its status line (`show_failure`), covers its tables
with a spinner while they load (`show_loading`), and runs the destructive flow: plan (worker) →
review screen → confirm → execute (worker, progress on the work bar, Esc cancels) → report → reload.

A pane supplies its widgets and rows, how to open its store (`opened`), the hooks of `load`,
its planner (the argument of `plan`) and `delete_flow`: its review and report screens and executor.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import Worker

from aztui.errors import AztuiError
from aztui.profiles.model import Profile
from aztui.ui.messages import PaneFailed, PlanExecuted, PlanProgressed, PlanReady
from aztui.ui.widgets.list_table import ListTable
from aztui.ui.widgets.text import count, shown
from aztui.ui.widgets.work_bar import WorkBar
from aztui.ui.workers import worker_failure

NOT_READ_YET = "Not read yet: it is read when this pane is shown."
CANCELLED = "Cancelled — r reloads"


class DeleteFlow(NamedTuple):
    """What a pane's destructive flow shows and runs (see `Pane.delete_flow`)."""

    review: Callable[..., Screen]   # review(plan, profile): dismisses True to run the plan
    report: Callable[..., Screen]   # report(report)
    execute: Callable[..., Awaitable[object]]  # execute(store, plan[, progress=]) → the report


def sort_binding(key: str, by: str, description: str, what: str, *, id: str | None = None) -> Binding:
    """A hidden key sorting by `by` (`action_sort`); again: reverse."""
    return Binding(key, f"sort('{by}')", description, id=id or f"sort-{by}",
                   tooltip=f"Sort by {what} (again: reverse)", show=False)


@contextmanager
def failure_posted(view, *, reload: bool = False) -> Iterator[None]:
    """Turn an `AztuiError` in the block into `PaneFailed` (the work bar closes) and end the block.

    `reload`, for executors: a failure or a cancel reloads `view`, as part of the plan may be done.
    """
    try:
        yield
    except asyncio.CancelledError:
        if reload:
            view.call_later(view.reload)
        raise
    except AztuiError as error:
        view.work_bar.finish()
        view.post_message(PaneFailed(error))
        if reload:
            view.call_later(view.reload)


def cursor_key(table: DataTable) -> str | None:
    """The key of the row under `table`'s cursor; None on an empty table."""
    if table.row_count == 0:
        return None
    try:
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    except Exception:  # the cursor is outside the rows
        return None


class Pane(Vertical):
    """One profile's pane; attributes down (`load`), messages up. Subclasses fill in the hooks."""

    @dataclass
    class Read(Message):
        """What a read of `profile` brought; a pane drops it once it shows another profile."""

        profile: Profile

    READ_GROUP = "read"     # the worker group of the pane's read
    WRITE_GROUP = "write"   # the worker group of its plans, executions and other changes
    STATUS = ""             # the selector of its status line
    READ_FAILED = "Could not read"  # the status line's words before a failed read's title
    PLAN_NOUN = "blob"      # what a plan's `count` counts: "Deleting 3 blobs…"
    PROGRESS = "Deleting: {done:,} of {total:,}"  # the work bar as a plan's items are through
    EMPTY_PLAN: str | None = None  # said instead of reviewing a plan with nothing in it; None: reviewed
    MUTATING: frozenset[str] = frozenset()  # actions that change data: hidden on read-only profiles
    READ_ONLY = "Read-only profile: {what} is not possible through it."

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.profile: Profile | None = None
        self.stale = False       # a profile was given but not read yet
        self.sort_key: str | None = None  # None: the pane's default order (the server's, for blobs)
        self.sort_descending = False

    # --- what a pane supplies -------------------------------------------------------------

    @property
    def table(self) -> DataTable:
        """The table that has (or gets) the focus."""
        raise NotImplementedError

    def forget(self, profile: Profile) -> None:
        """`load`: drop what was read of the previous profile (still `self.profile`)."""

    def can_read(self, profile: Profile) -> bool:
        """Whether this pane has anything to read for `profile`."""
        return True

    def show_unreadable(self) -> None:
        """`load` of a profile the pane cannot read: say what it shows instead."""

    def reads_at_once(self, profile: Profile) -> bool:
        """Whether `load` reads at once; else `ensure_loaded` does, when the pane is shown."""
        return True

    def show_unread(self) -> None:
        """`load` of a profile read later: the title before the status line says "Not read yet"."""

    def read(self) -> None:
        """Start reading what the pane shows (the profile is set and readable)."""
        raise NotImplementedError

    def update_status(self) -> None:
        """The status line from what is read."""

    def show_cancelled(self, reading: bool) -> None:
        """Esc cancelled work (`reading`: a read among it): the status line says what is left."""
        self.update_status()

    def opened(self, profile: Profile):
        """An async context manager: `profile`'s store, opened inside a worker."""
        raise NotImplementedError

    def delete_flow(self) -> DeleteFlow:
        """The review and report screens and the executor (imported when first needed)."""
        raise NotImplementedError

    def executing(self, plan) -> tuple[str, int | None]:
        """The work bar while `plan` runs: its label, and the total of its progress bar (None: no
        bar, and the executor gets no `progress`)."""
        return f"Deleting {count(plan.count, self.PLAN_NOUN)}…", plan.count

    def executed(self, report) -> None:
        """What a report changes in the pane before it reloads."""

    # --- widgets ----------------------------------------------------------------------------

    @property
    def work_bar(self) -> WorkBar:
        return self.query_one(WorkBar)

    def set_status(self, text: str | Text) -> None:
        self.query_one(self.STATUS, Static).update(text if isinstance(text, Text) else Text(text))

    def current_key(self) -> str | None:
        return cursor_key(self.table)

    def show_loading(self, loading: bool, *tables: DataTable) -> None:
        """Cover `tables` with a spinner, or uncover them, keeping the pane's keys working.

        Textual gives a loading widget no keys (`App.focused` is None), so Esc could not cancel: while
        a table of the pane is covered the pane itself can hold the focus (it takes it from a covered
        table), and once none is, it gives the focus back to the pane's `table`.
        """
        focused = self.screen.focused  # a table of this pane, or the one it is about to show
        had_focus = focused in tables or (self.table in tables and focused in list(self.query(DataTable)))
        for table in tables:
            table.loading = loading
            if isinstance(table, ListTable) and loading:
                table.hold_cursor_keys()  # typed ahead of the rows (see `_typed_ahead`)
            elif isinstance(table, ListTable):
                self.call_later(self.rows_arrived, table)  # once the rows and the cursor are in place
        covered = any(table.loading for table in self.query(DataTable))
        self.can_focus = covered and shown(self)  # a hidden pane never takes the focus (nor its tab)
        if covered and had_focus and shown(self):
            self.focus(scroll_visible=False)
        elif not covered and self.screen.focused is self and shown(self):
            self.table.focus()

    def uncover(self) -> None:
        """Take the spinner off every table of the pane."""
        self.show_loading(False, *self.query(DataTable))

    def focus_pane(self) -> None:
        """Focus the table, or the pane itself while that table is covered (see `show_loading`)."""
        if self.table.loading:
            self.can_focus = True
            self.focus()
        else:
            self.table.focus()

    def toggle_sort(self, key: str) -> None:
        """Sort by `key`, or reverse the sort by `key`: names start ascending, the rest descending."""
        if self.sort_key == key:
            self.sort_descending = not self.sort_descending
        else:
            self.sort_key, self.sort_descending = key, key != "name"

    async def on_key(self, event) -> None:
        """A cursor key typed while the table is covered (its rows on their way) is kept for it; a
        key of a hidden destructive action on a read-only profile says so instead of nothing.

        The key bubbles here before the app runs bindings; `check_action` keeps the binding inert."""
        action = self._typed_ahead(event.key)
        if action is not None:
            event.stop()
            event.prevent_default()
            await self.table.run_action(action)
            return
        if self.profile is None or not self.profile.read_only:
            return
        bindings = next((b for node, b in self.screen._binding_chain if node is self), None)
        for binding in bindings.key_to_bindings.get(event.key, ()) if bindings else ():
            if binding.action.partition("(")[0] in self.MUTATING:
                event.stop()
                self.notify(self.READ_ONLY.format(what=binding.description.lower() or binding.action),
                            severity="warning")
                return

    def rows_arrived(self, table: ListTable) -> None:
        """`table` was uncovered and its rows shown: make the cursor keys typed ahead of them."""
        table.replay_cursor_keys()

    def _typed_ahead(self, key: str) -> str | None:
        """The table's action for `key` while the pane holds the focus for a covered table that
        keeps cursor keys (`ListTable.hold_cursor_keys`), else None."""
        table = self.table
        if self.screen.focused is not self or getattr(table, "_held_keys", None) is None:
            return None
        bindings = table._bindings.copy()
        if self.app._keymap:
            bindings.apply_keymap(self.app._keymap)
        found = bindings.key_to_bindings.get(key)
        return found[0].action if found else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        """Enter on a row."""

    # --- loading ----------------------------------------------------------------------------

    def load(self, profile: Profile) -> None:
        """Show `profile`: read it now, or mark the pane stale and read it when it is shown."""
        self.cancel_work()
        self.forget(profile)
        self.profile = profile
        self.refresh_bindings()
        if not self.can_read(profile):
            self.stale = False
            self.show_unreadable()
            return
        self.stale = True
        if self.reads_at_once(profile):
            self.reload()
        else:
            self.show_unread()
            self.set_status(NOT_READ_YET)

    def ensure_loaded(self) -> None:
        """The pane is shown: read it if it is stale."""
        if self.stale:
            self.reload()

    def reload(self) -> None:
        """Read what the pane shows again."""
        if self.profile is None or not self.can_read(self.profile):
            return
        self.stale = False
        self.read()

    def start_read(self, work: Coroutine) -> Worker:
        """Run `work` as the pane's one read: a new read cancels the one running."""
        return self.run_worker(work, group=self.READ_GROUP, exclusive=True, exit_on_error=False)

    @contextmanager
    def read_failures(self, is_current: Callable[[], bool]) -> Iterator[None]:
        """Around a read: an `AztuiError` is notified (`PaneFailed`) and, if `is_current()`, shown."""
        try:
            yield
        except AztuiError as error:
            self.post_message(PaneFailed(error))
            if is_current():
                self.show_failure(error)

    def show_failure(self, error: AztuiError) -> None:
        """The read failed: uncover the tables, close the work bar, say why in the status line."""
        self.uncover()
        self.work_bar.finish()
        self.set_status(f"{self.READ_FAILED}: {error.title}")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker died of an exception: notify it, close the work bar, show it if it was the read."""
        error = worker_failure(self, event)
        if error is None:
            return
        self.work_bar.finish()
        if event.worker.group == self.READ_GROUP:
            self.show_failure(error)

    # --- cancelling -------------------------------------------------------------------------

    def running_workers(self, *groups: str) -> list[Worker]:
        """The pane's running workers (of `groups`, if given)."""
        return [w for w in self.workers if w.node is self and w.is_running and (not groups or w.group in groups)]

    def cancel_work(self) -> bool:
        """Cancel every worker of the pane (reads, plans, executions); True if any was running."""
        running = self.running_workers()
        for worker in running:
            worker.cancel()
        self.uncover()
        self.work_bar.finish()
        return bool(running)

    def cancel_and_say(self) -> bool:
        """Esc: cancel running work and say so; True if anything was running."""
        reading = bool(self.running_workers(self.READ_GROUP))
        if not self.cancel_work():
            return False
        self.notify("Cancelled.")
        self.show_cancelled(reading)
        return True

    def action_cancel(self) -> None:
        self.cancel_and_say()

    # --- plan → review → confirm → execute → report → reload --------------------------------

    def run_work(self, label: str, profile: Profile, step: Callable[[object], Awaitable[Message]], *,
                 group: str | None = None) -> None:
        """`step(store)` on `profile`'s store in a worker (of `group`, default `WRITE_GROUP`), `label`
        on the work bar; posts the message `step` returns. A failure is notified (`failure_posted`)."""
        self.work_bar.start(label)
        self.run_worker(self._working(profile, step), group=group or self.WRITE_GROUP, exclusive=True,
                        exit_on_error=False)

    async def _working(self, profile: Profile, step) -> None:
        with failure_posted(self):
            async with self.opened(profile) as store:
                message = await step(store)
            self.post_message(message)

    def plan(self, label: str, profile: Profile, planner: Callable[[object], Awaitable[object]]) -> None:
        """Plan in a worker: `planner(store)` on `profile`'s store; `PlanReady` opens the review."""
        async def planned(store) -> PlanReady:
            return PlanReady(profile, await planner(store))

        self.run_work(label, profile, planned)

    def on_plan_ready(self, event: PlanReady) -> None:
        self.work_bar.finish()
        plan, profile = event.plan, event.profile
        if self.EMPTY_PLAN and not plan.count:
            self.notify(self.EMPTY_PLAN)
            return

        def reviewed(confirmed: bool | None) -> None:
            if confirmed and profile is self.profile:  # not if the profile changed under the review
                label, total = self.executing(plan)
                self.work_bar.start(label, total=total)
                self.execute(profile, plan)

        self.app.push_screen(self.delete_flow().review(plan, profile), reviewed)

    def execute(self, profile: Profile, plan) -> None:
        """Run the confirmed `plan` in a worker; `PlanExecuted` shows the report and reloads."""
        self.run_worker(self._executing(profile, plan), group=self.WRITE_GROUP, exclusive=True,
                        exit_on_error=False)

    async def _executing(self, profile: Profile, plan) -> None:
        _, total = self.executing(plan)
        progress = {} if total is None else {"progress": self.count_outcomes(total)}
        with failure_posted(self, reload=True):
            async with self.opened(profile) as store:
                report = await self.delete_flow().execute(store, plan, **progress)
            self.post_message(PlanExecuted(report))

    def count_outcomes(self, total: int) -> Callable[[object], None]:
        """An executor's `progress` callback: posts `PlanProgressed(done, total)` per outcome."""
        done = 0

        def progressed(_outcome) -> None:
            nonlocal done
            done += 1
            self.post_message(PlanProgressed(done, total))

        return progressed

    def on_plan_progressed(self, event: PlanProgressed) -> None:
        if self.work_bar.display:
            self.work_bar.show_progress(self.PROGRESS.format(done=event.done, total=event.total),
                                        progress=event.done)

    def on_plan_executed(self, event: PlanExecuted) -> None:
        self.work_bar.finish()
        self.app.push_screen(self.delete_flow().report(event.report))
        self.executed(event.report)
        self.reload()

