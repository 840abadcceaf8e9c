"""Changing access tiers in the TUI: pick the tier, review the plan, read the report.

`TierPrompt` asks for the tier (and whether Archive blobs come back at High priority);
`TierReview` is the last question before anything changes (protected profiles: type the name);
`TierReportScreen` says what happened to each planned blob.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Label, OptionList, Static

from aztui.ui.screens.dialogs import REVIEW_NAMES, DestructiveConfirm, ReportScreen
from aztui.ui.widgets.list_table import ListOptions
from aztui.ui.widgets.text import count, human_size, plain

TIERS = ("Hot", "Cool", "Cold", "Archive")  # as aztui.blobs.tiering.TIERS (no import: it stays lazy)


class TierPrompt(ModalScreen["tuple[str, str | None] | None"]):
    """Which tier: dismisses (tier, rehydrate priority or None), or None on Esc."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="close")]

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical(id="tier-prompt", classes="dialog"):
            yield Label(Text.assemble("Change the access tier of ", plain(self.what, "bold"), " to:"))
            yield ListOptions(*TIERS, id="tier-options")
            yield Checkbox("High priority rehydration (blobs leaving Archive; costs more)", id="tier-high")
            yield Static(Text("Enter plans the change; nothing changes before the review.", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#tier-options", OptionList).focus()

    @on(OptionList.OptionSelected, "#tier-options")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        tier = TIERS[event.option_index]
        high = self.query_one("#tier-high", Checkbox).value
        self.dismiss((tier, "High" if high and tier != "Archive" else None))

    def action_cancel(self) -> None:
        self.dismiss(None)


class TierReview(DestructiveConfirm):
    """Shows a tier plan (count, bytes, each name with its tier now): Set tier or Cancel."""

    DIALOG_ID = "tier-review"

    @property
    def confirm_label(self) -> str:
        return f"Set {self.plan.tier}"

    def compose_body(self) -> ComposeResult:
        plan = self.plan
        priority = f" (rehydrate priority {plan.rehydrate_priority})" if plan.rehydrate_priority else ""
        yield Label(Text(f"Set {count(plan.count, 'blob')} ({human_size(plan.bytes)}) to {plan.tier}{priority}?",
                         style="bold"), id="review-title")
        yield self.review_where("container", plan.container)
        yield self.review_names([(item.name, f"{item.tier or '?'} → {plan.tier}  {human_size(item.size)}")
                                 for item in plan.items[:REVIEW_NAMES]], plan.count)
        notes = []
        if plan.already:
            notes.append(f"{count(len(plan.already), 'blob')} already {plan.tier}: left alone.")
        if plan.rehydrations:
            verb = "leaves" if plan.rehydrations == 1 else "leave"
            notes.append(f"{count(plan.rehydrations, 'blob')} {verb} Archive: rehydration takes hours "
                         "(High priority: usually under one).")
        if plan.tier == "Archive":
            notes.append("Archived blobs cannot be read until rehydrated, which takes hours.")
        notes.append("Set Blob Tier takes no ETag condition: each blob's ETag is read again just before, "
                     "and blobs changed since this plan are skipped and reported.")
        yield Static(Text("\n".join(notes), style="dim"))


class TierReportScreen(ReportScreen):
    """What a tier change did: set, rehydrating, skipped (changed since the plan), missing, failed."""

    DIALOG_ID = "tier-report"

    def compose_body(self) -> ComposeResult:
        report = self.report
        plan = report.plan
        yield Label(Text(f"Set {len(report.done):,} of {count(plan.count, 'blob')} to {plan.tier}",
                         style="bold"), id="tier-report-title")
        summary = Text()
        for label, outcomes, style in (("rehydrating from Archive (hours)", report.with_status("rehydrating"), "cyan"),
                                       ("skipped, changed since the plan", report.skipped, "yellow"),
                                       ("missing, already gone", report.missing, "dim"),
                                       ("failed", report.failed, "red")):
            summary.append(f"{len(outcomes):,} {label}\n", style if outcomes else "")
            for outcome in outcomes[:REVIEW_NAMES]:
                summary.append(f"  {outcome.name}", style)
                if outcome.status == "failed" and outcome.detail:
                    summary.append(f"  {outcome.detail}", "dim")
                summary.append("\n")
        yield Static(summary, id="report-summary")
        if report.journal:
            yield Static(Text(f"journal: {report.journal}", style="dim"))
