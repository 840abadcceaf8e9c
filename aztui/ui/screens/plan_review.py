"""The review of a GC or purge plan: what goes and what stays, each with its reason, then the confirmation.

`PlanReviewScreen` is the screen; the cache GC (gc_plan) and the registry GC / purge (registry_work)
say only their title, summary, rows and confirmation. `show_policy_problem` is how their policy forms,
before the plan, show a bad value. Every name and reason is plain `Text`, never markup.
"""

from __future__ import annotations

from typing import Any, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Label, Static

from aztui.errors import AztuiError
from aztui.profiles.model import Profile
from aztui.ui.screens.dialogs import DestructiveConfirm
from aztui.ui.widgets.footer import Footer
from aztui.ui.widgets.text import plain

Cells = tuple[Any, ...]


def recoverable_line(days: int | None, *, id: str) -> Static:
    """The soft-delete line of a plan screen, as the Containers delete review says it."""
    from aztui.blobs.soft_delete import recoverable_text

    return Static(Text(recoverable_text(days), style="bold" if days else "dim"), id=id)


def show_policy_problem(form: Screen, error: AztuiError) -> None:
    """A policy form's bad value, in its `#policy-error` line (hidden until then): never a traceback."""
    message = Text(f"{error.title}: {error.message}", style="bold red")
    if error.hint:
        message.append(f"\nHint: {error.hint}", "red")
    problem = form.query_one("#policy-error", Static)
    problem.update(message)
    problem.display = True


def review_bindings(prefix: str, *, execute_tip: str, switch_tip: str) -> list[Binding]:
    """The plan screen's keys; each subclass declares them as its own, with its own ids."""
    return [
        Binding("x,delete", "execute", "Delete…", id=f"{prefix}-execute", tooltip=execute_tip),
        Binding("tab", "switch_table", "Deleted/kept", id=f"{prefix}-switch", tooltip=switch_tip),
        Binding("escape", "close", "Close", id="close", tooltip="Close the plan; nothing is deleted"),
    ]


class PlanReviewScreen(Screen[bool]):
    """The plan, to inspect: a "To delete" and a "Kept" table, the highlighted item in full below.

    Dismisses True only after the confirmation modal (`CONFIRM`) said yes; execute is inert when
    nothing is planned or the profile is read-only. Subclasses give the rows and the headings.
    """

    CONFIRM: type[DestructiveConfirm]
    DELETE_COLUMNS = ("Kind", "Size", "Reason", "Name")
    KEEP_COLUMNS = ("Kind", "Reason", "Name")

    def __init__(self, plan, profile: Profile) -> None:
        super().__init__()
        self.plan = plan
        self.profile = profile

    # what a subclass says
    def heading(self) -> Text:
        raise NotImplementedError

    def summary_line(self) -> Text:
        raise NotImplementedError

    def delete_items(self) -> Sequence:
        return self.plan.delete

    def keep_items(self) -> Sequence:
        return self.plan.keep

    def delete_row(self, number: int, item) -> tuple[Cells, str]:
        """The cells of a "To delete" row (DELETE_COLUMNS) and its key."""
        raise NotImplementedError

    def keep_row(self, number: int, item) -> tuple[Cells, str]:
        """The cells of a "Kept" row (KEEP_COLUMNS) and its key."""
        raise NotImplementedError

    # the screen
    def compose(self) -> ComposeResult:
        yield Label(self.heading(), id="plan-title")
        yield Static(self.summary_line(), id="plan-summary")
        yield recoverable_line(self.plan.recoverable_days, id="plan-recoverable")
        yield Label(Text(f"To delete ({self.plan.count:,})", style="bold underline"), classes="section")
        yield DataTable(id="plan-delete", cursor_type="row", zebra_stripes=True)
        yield Label(Text(f"Kept ({len(self.keep_items()):,})", style="bold underline"), classes="section")
        yield DataTable(id="plan-keep", cursor_type="row", zebra_stripes=True)
        yield Static(id="plan-detail", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        delete = self.query_one("#plan-delete", DataTable)
        delete.add_columns(*self.DELETE_COLUMNS)
        for number, item in enumerate(self.delete_items()):
            cells, key = self.delete_row(number, item)
            delete.add_row(*cells, key=key)
        keep = self.query_one("#plan-keep", DataTable)
        keep.add_columns(*self.KEEP_COLUMNS)
        for number, item in enumerate(self.keep_items()):
            cells, key = self.keep_row(number, item)
            keep.add_row(*cells, key=key)
        first = delete if self.delete_items() else keep
        first.focus()
        self.call_after_refresh(self.show_detail, first)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "execute" and (not self.delete_items() or self.profile.read_only):
            return False
        return True

    def show_detail(self, table: DataTable) -> None:
        """The highlighted item in full: names and digests are long, the table cuts them."""
        items = self.delete_items() if table.id == "plan-delete" else self.keep_items()
        detail = self.query_one("#plan-detail", Static)
        if table.row_count == 0 or table.cursor_row >= len(items):
            detail.update(Text(""))
            return
        item = items[table.cursor_row]
        detail.update(Text.assemble(plain(item.name, "bold"), "\n", plain(item.reason, "italic")))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is self.focused:
            self.show_detail(event.data_table)

    def action_switch_table(self) -> None:
        delete, keep = self.query_one("#plan-delete", DataTable), self.query_one("#plan-keep", DataTable)
        target = keep if self.focused is delete else delete
        target.focus()
        self.show_detail(target)

    def action_execute(self) -> None:
        def confirmed(yes: bool | None) -> None:
            if yes:
                self.dismiss(True)

        self.app.push_screen(self.CONFIRM(self.plan, self.profile), confirmed)

    def action_close(self) -> None:
        self.dismiss(False)
