"""Modal dialogs: delete review and report, du result, yes/no confirmations, a path prompt.

`DestructiveConfirm` and `ReportScreen` are the confirmation and the report of every delete
(blobs here; cache GC and registry reuse them). Every value from storage is shown as plain
`Text`, never parsed as markup.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from aztui.profiles.model import Profile
from aztui.ui.widgets.text import count, human_size, plain

REVIEW_NAMES = 10  # how many planned names the review lists


class DestructiveConfirm(ModalScreen[bool]):
    """The last question before something is deleted: dismisses True only on an explicit Delete.

    Subclasses say what goes in `compose_body`; protected profiles also require typing the
    profile's name before Delete is enabled.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="close")]
    DIALOG_ID = "review"
    CONFIRM_LABEL, CONFIRM_VARIANT = "Delete", "error"

    def __init__(self, plan, profile: Profile) -> None:
        super().__init__()
        self.plan = plan
        self.profile = profile

    def compose_body(self) -> ComposeResult:
        raise NotImplementedError

    @property
    def confirm_label(self) -> str:
        return self.CONFIRM_LABEL

    def review_where(self, label: str, place: str) -> Static:
        """`container: NAME · profile: NAME`: where the plan acts."""
        return Static(Text.assemble(f"{label}: ", plain(place, "bold"), " · profile: ",
                                    plain(self.profile.name, "bold")), id="review-where")

    @staticmethod
    def review_names(rows, total: int, shown: int = REVIEW_NAMES) -> Static:
        """The first `shown` of `rows` (name, dim detail), then how many more of `total`."""
        names = Text()
        for name, detail in rows[:shown]:
            names.append(f"  {name}", "")
            names.append(f"  {detail}\n", "dim")
        if total > shown:
            names.append(f"  … and {total - shown:,} more\n", "italic")
        return Static(names, id="review-names")

    def compose(self) -> ComposeResult:
        with Vertical(id=self.DIALOG_ID, classes="dialog" + (" -protected" if self.profile.protected else "")):
            yield from self.compose_body()
            if self.profile.protected:
                yield Label(Text(f"Protected profile: type {self.profile.name} to confirm.", style="bold red"))
                yield Input(placeholder=self.profile.name, id="confirm-name")
            with Horizontal(classes="buttons"):
                yield Button(self.confirm_label, variant=self.CONFIRM_VARIANT, id="confirm",
                             disabled=self.profile.protected)
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        if self.profile.protected:
            self.query_one("#confirm-name", Input).focus()
        else:
            self.query_one("#cancel", Button).focus()

    @on(Input.Changed, "#confirm-name")
    def _name_typed(self, event: Input.Changed) -> None:
        self.query_one("#confirm", Button).disabled = event.value != self.profile.name

    @on(Input.Submitted, "#confirm-name")
    def _name_submitted(self, event: Input.Submitted) -> None:
        if event.value == self.profile.name:
            self.dismiss(True)

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class DeleteReview(DestructiveConfirm):
    """Shows a blob delete plan (count, bytes, the first names)."""

    def compose_body(self) -> ComposeResult:
        plan = self.plan
        directories = f" and {plan.directories:,} director{'y' if plan.directories == 1 else 'ies'}" \
            if plan.directories else ""
        yield Label(Text(f"Delete {count(plan.count, 'blob')}{directories} ({human_size(plan.bytes)})?",
                         style="bold"), id="review-title")
        yield self.review_where("container", plan.container)
        yield self.review_names([(item.name, human_size(item.size)) for item in plan.items[:REVIEW_NAMES]],
                                len(plan.items))
        yield Static(Text("Each blob is deleted only if unchanged since this plan (ETag); "
                          "changed ones are skipped and reported.", style="dim"))
        days = getattr(plan, "recoverable_days", None)
        if hasattr(plan, "recoverable_days"):
            from aztui.blobs.soft_delete import recoverable_text

            yield Static(Text(recoverable_text(days), style="bold" if days else "dim"), id="review-recoverable")


class UndeleteReview(DestructiveConfirm):
    """Shows an undelete plan (soft-deleted blobs to restore): count, bytes, the first names."""

    CONFIRM_LABEL, CONFIRM_VARIANT = "Undelete", "warning"

    def compose_body(self) -> ComposeResult:
        plan = self.plan
        yield Label(Text(f"Undelete {count(plan.count, 'blob')} ({human_size(plan.bytes)})?", style="bold"),
                    id="review-title")
        yield self.review_where("container", plan.container)
        yield self.review_names([(item.name, human_size(item.size) + (f"  {item.remaining_days} d left"
                                                                      if item.remaining_days is not None else ""))
                                 for item in plan.items[:REVIEW_NAMES]], plan.count)
        yield Static(Text("Undelete restores each soft-deleted blob with its content and metadata.", style="dim"))


class ReportScreen(ModalScreen[None]):
    """What a delete did; closed with Close, Esc or Enter. Subclasses say what goes in `compose_body`."""

    BINDINGS = [Binding("escape,enter", "close", "Close", id="close")]
    DIALOG_ID = "report"

    def __init__(self, report) -> None:
        super().__init__()
        self.report = report

    def compose_body(self) -> ComposeResult:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Vertical(id=self.DIALOG_ID, classes="dialog"):
            yield from self.compose_body()
            with Horizontal(classes="buttons"):
                yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)


class DeleteReportScreen(ReportScreen):
    """What a blob delete did: deleted, skipped because changed since the plan, missing, failed."""

    DIALOG_ID = "delete-report"

    def compose_body(self) -> ComposeResult:
        report = self.report
        yield Label(Text(f"Deleted {len(report.deleted):,} of {count(report.plan.count, 'blob')} "
                         f"({human_size(report.bytes_deleted)})", style="bold"))
        summary = Text()
        for label, outcomes, style in (("skipped, changed since the plan", report.skipped, "yellow"),
                                       ("missing, already gone", report.missing, "dim"),
                                       ("failed", report.failed, "red"),
                                       ("directories left in place", getattr(report, "directories_left", []),
                                        "yellow")):
            if label.startswith("directories") and not outcomes:
                continue
            summary.append(f"{len(outcomes):,} {label}\n", style if outcomes else "")
            for outcome in outcomes[:REVIEW_NAMES]:
                summary.append(f"  {outcome.name}", style)
                if outcome.status in ("failed", "directory_left") and outcome.detail:
                    summary.append(f"  {outcome.detail}", "dim")
                summary.append("\n")
        yield Static(summary, id="report-summary")
        if report.journal:
            yield Static(Text(f"journal: {report.journal}", style="dim"))


class UndeleteReportScreen(ReportScreen):
    """What an undelete did: restored, nothing left to restore, failed."""

    DIALOG_ID = "delete-report"

    def compose_body(self) -> ComposeResult:
        report = self.report
        yield Label(Text(f"Undeleted {len(report.undeleted):,} of {count(report.plan.count, 'blob')}",
                         style="bold"))
        summary = Text()
        for label, outcomes, style in (("nothing left to restore", report.missing, "dim"),
                                       ("failed", report.failed, "red")):
            summary.append(f"{len(outcomes):,} {label}\n", style if outcomes else "")
            for outcome in outcomes[:REVIEW_NAMES]:
                summary.append(f"  {outcome.name}", style)
                if outcome.detail:
                    summary.append(f"  {outcome.detail}", "dim")
                summary.append("\n")
        yield Static(summary, id="report-summary")
        if report.journal:
            yield Static(Text(f"journal: {report.journal}", style="dim"))


class UsageReport(ModalScreen[None]):
    """The result of a du scan: blobs, bytes and bytes per access tier."""

    BINDINGS = [Binding("escape,enter", "close", "Close", id="close")]

    def __init__(self, usage) -> None:
        super().__init__()
        self.usage = usage

    def compose(self) -> ComposeResult:
        usage = self.usage
        with Vertical(id="usage-report", classes="dialog"):
            yield Label(Text.assemble(("Size of ", "bold"),
                                      plain(f"{usage.container}/{usage.prefix}", "bold cyan")))
            yield DataTable(id="usage-table", cursor_type="none", show_cursor=False)
            with Horizontal(classes="buttons"):
                yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("", "Blobs", "Bytes", "Size")
        table.add_row(Text("total", style="bold"), Text(f"{self.usage.blobs:,}", justify="right"),
                      Text(f"{self.usage.bytes:,}", justify="right"),
                      Text(human_size(self.usage.bytes), justify="right"))
        for tier, size in sorted(self.usage.bytes_by_tier.items()):
            table.add_row(plain(tier), Text(""), Text(f"{size:,}", justify="right"),
                          Text(human_size(size), justify="right"), key=tier)
        if getattr(self.usage, "directories", 0):  # hierarchical namespace: not counted as blobs
            table.add_row(plain("directories"), Text(f"{self.usage.directories:,}", justify="right"),
                          Text(""), Text(""), key="directories")
        self.query_one("#close", Button).focus()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)


class Confirm(ModalScreen[bool]):
    """A yes/no question; True only on Yes."""

    BINDINGS = [Binding("escape", "no", "No", id="close")]

    def __init__(self, question: str, yes: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.question))
            with Horizontal(classes="buttons"):
                yield Button(self.yes, id="yes", variant="warning")
                yield Button("No", id="no")

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_no(self) -> None:
        self.dismiss(False)


class PathPrompt(ModalScreen[str | None]):
    """Asks for a file path; dismisses with it, or None on Escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="close")]

    def __init__(self, question: str, value: str) -> None:
        super().__init__()
        self.question = question
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.question))
            yield Input(value=self.value, id="path")

    @on(Input.Submitted, "#path")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
