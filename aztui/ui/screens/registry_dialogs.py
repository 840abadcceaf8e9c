"""Registry pane modals: review a delete of a tag, a manifest or a repository; report what it did.

Every name and digest from the registry is shown as plain `Text`, never parsed as markup.
Protected profiles also require typing the profile's name before Delete is enabled.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Label, Static

from aztui.ui.screens.dialogs import DestructiveConfirm, ReportScreen
from aztui.ui.widgets.text import plain

REVIEW_LINES = 12


class RegistryDeleteReview(DestructiveConfirm):
    """Shows a registry delete plan (`RegistryDeletePlan`)."""

    DIALOG_ID = "registry-review"

    def compose_body(self) -> ComposeResult:
        plan = self.plan
        yield Label(Text.assemble((f"Delete {plan.what} ", "bold"), plain(plan.target.label, "bold cyan"),
                                  ("?", "bold")), id="review-title")
        yield self.review_where("registry", plan.registry)
        lines = Text()
        for line in plan.lines[:REVIEW_LINES]:
            lines.append(f"  {line}\n")
        if len(plan.lines) > REVIEW_LINES:
            lines.append(f"  … and {len(plan.lines) - REVIEW_LINES:,} more\n", "italic")
        yield Static(lines, id="review-names")
        for warning in plan.warnings:
            yield Static(Text(warning, style="yellow"), classes="review-warning")
        yield Static(Text("The registry deletes it for good: there is no undo. Locked items are refused "
                          "by the registry and reported.", style="dim"))


class RegistryDeleteReportScreen(ReportScreen):
    """What a registry delete did: each item deleted, missing (already gone) or failed, with why."""

    DIALOG_ID = "registry-report"

    def compose_body(self) -> ComposeResult:
        report = self.report
        deleted = report.with_status("deleted")
        yield Label(Text(f"Deleted {len(deleted):,} of {len(report.outcomes):,}", style="bold"), id="report-title")
        summary = Text()
        for outcome in report.outcomes[:REVIEW_LINES]:
            style = {"deleted": "green", "missing": "dim", "failed": "red"}.get(outcome.status, "")
            summary.append(f"{outcome.status:<8}", style)
            summary.append(f"  {outcome_label(outcome.item)}\n")
            if outcome.detail:
                summary.append(f"          {outcome.detail}\n", "dim")
        if len(report.outcomes) > REVIEW_LINES:
            summary.append(f"… and {len(report.outcomes) - REVIEW_LINES:,} more\n", "italic")
        yield Static(summary, id="report-summary")
        if report.journal:
            yield Static(Text(f"journal: {report.journal}", style="dim"))


def outcome_label(item) -> str:
    """A `PurgeItem` as `repo:tag`, `repo@digest` or `repository repo`."""
    if item.tag is not None:
        return f"{item.repository}:{item.tag}"
    if item.digest:
        return f"{item.repository}@{item.digest}"
    return f"repository {item.repository}"
