"""Cache GC screens: the policy form, the plan (what goes, what stays and why), the confirmation, the report.

The form validates with `aztui.cache.planner` itself (`parse_duration`, `GcPolicy`) and shows a problem
inline, never a traceback. Every name and reason is plain `Text`, never markup.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from aztui.errors import AztuiError
from aztui.profiles.model import Profile
from aztui.ui.screens.dialogs import DestructiveConfirm, ReportScreen
from aztui.ui.screens.plan_review import Cells, PlanReviewScreen, review_bindings, show_policy_problem
from aztui.ui.widgets.cache_rows import where
from aztui.ui.widgets.text import human_size, plain

REPORT_NAMES = 8  # how many names per outcome the report lists

POLICY_FIELDS = (  # input id, label, placeholder
    ("grace", "Grace for orphans", "24h: younger orphans may belong to an export in progress"),
    ("max-age", "Max age of cache names", "e.g. 30d; blank: names never expire by age"),
    ("keep", "Keep newest N per group", "e.g. 3; blank: no limit (group: the name before its last /)"),
    ("include", "Include names (regex)", "e.g. ^ci/; blank: every name"),
    ("exclude", "Exclude names (regex)", "e.g. main$; blank: none"),
)


def policy_from_form(values: dict[str, str], *, drop_broken: bool = False):
    """A `GcPolicy` from the form's text; `AztuiError` (with the field named) when one is wrong."""
    from aztui.cache.planner import GcPolicy, PolicyError, parse_duration

    def duration(field: str, label: str):
        text = values.get(field, "").strip()
        if not text:
            return None
        try:
            return parse_duration(text)
        except PolicyError as error:
            raise PolicyError(f"{label}: {error.message}", hint=error.hint) from None

    keep_text = values.get("keep", "").strip()
    if keep_text and not (keep_text.isdigit()):
        raise PolicyError(f"Keep: {keep_text!r} is not a whole number", hint="write 0 or more, or leave it blank")
    grace = duration("grace", "Grace")
    return GcPolicy(grace=grace if grace is not None else parse_duration("24h"),
                    max_age=duration("max-age", "Max age"), keep=int(keep_text) if keep_text else None,
                    include=values.get("include", "").strip() or None,
                    exclude=values.get("exclude", "").strip() or None, drop_broken=drop_broken)


def policy_summary(policy: dict) -> str:
    parts = [f"grace {policy.get('grace') or '24h'}"]
    for key, label in (("max_age", "max-age"), ("keep", "keep"), ("include", "include"), ("exclude", "exclude")):
        if policy.get(key) is not None:
            parts.append(f"{label} {policy[key]}")
    if policy.get("drop_broken"):
        parts.append("drop broken")
    return ", ".join(parts)


class GcPolicyForm(ModalScreen[object]):
    """The GC policy; dismisses with a `GcPolicy`, or None on Escape.

    `drop_broken` ticks "Drop broken cache names" whatever `policy` says (the anomalies view asks so).
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="close")]

    def __init__(self, profile: Profile, policy=None, *, drop_broken: bool = False) -> None:
        super().__init__()
        self.profile = profile
        self.policy = policy
        self.drop_broken = drop_broken or bool(policy is not None and policy.drop_broken)

    def compose(self) -> ComposeResult:
        with Vertical(id="gc-policy", classes="dialog"):
            yield Label(Text.assemble(("Garbage-collect the cache ", "bold"), plain(where(self.profile), "bold"),
                                      " · profile ", plain(self.profile.name, "bold")))
            yield Static(Text("A blob is never planned while a kept manifest references it. "
                              "Blank max-age and keep: only orphans go.", style="dim"))
            values = self._initial_values()
            for field, label, placeholder in POLICY_FIELDS:
                with Horizontal(classes="form-row"):
                    yield Label(label, classes="form-label")
                    yield Input(value=values.get(field, ""), placeholder=placeholder,
                                id=f"policy-{field}", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Broken cache names", classes="form-label")
                yield Checkbox("drop manifests that name a missing blob",
                               self.drop_broken, id="policy-drop-broken", compact=True)
            yield Static(id="policy-error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Plan", variant="primary", id="plan")
                yield Button("Cancel", id="cancel")

    def _initial_values(self) -> dict[str, str]:
        if self.policy is None:
            return {"grace": "24h"}
        saved = self.policy.to_dict()
        return {"grace": saved["grace"], "max-age": saved["max_age"] or "",
                "keep": "" if saved["keep"] is None else str(saved["keep"]),
                "include": saved["include"] or "", "exclude": saved["exclude"] or ""}

    def on_mount(self) -> None:
        self.query_one("#policy-error").display = False
        self.query_one("#policy-grace", Input).focus()

    def values(self) -> dict[str, str]:
        return {field: self.query_one(f"#policy-{field}", Input).value for field, _, _ in POLICY_FIELDS}

    @on(Input.Submitted)
    @on(Button.Pressed, "#plan")
    def _submit(self) -> None:
        try:
            policy = policy_from_form(self.values(),
                                      drop_broken=self.query_one("#policy-drop-broken", Checkbox).value)
        except AztuiError as error:
            show_policy_problem(self, error)
            return
        self.dismiss(policy)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class GcConfirm(DestructiveConfirm):
    """The last question before a GC runs."""

    DIALOG_ID = "gc-confirm"

    def compose_body(self) -> ComposeResult:
        plan = self.plan
        yield Label(Text(f"Delete {plan.what()} ({human_size(plan.bytes_reclaimed)})?", style="bold"),
                    id="gc-confirm-title")
        yield Static(Text.assemble("cache: ", plain(where(plan), "bold"), " · profile: ",
                                   plain(self.profile.name, "bold")))
        yield Static(Text("Manifests go first; all manifests are read again just before the blobs go, "
                          "and a blob one of them references now is saved; once more after, and a "
                          "manifest written meanwhile that names a deleted blob is deleted too. Each "
                          "delete is guarded by its ETag: a blob changed since the plan is skipped. "
                          "A journal records each outcome.", style="dim"), id="gc-confirm-rules")


class GcPlanScreen(PlanReviewScreen):
    """The plan, to inspect: what would be deleted (with reason and size) and what is kept and why.

    Dismisses True only after the confirmation modal said yes.
    """

    CONFIRM = GcConfirm
    BINDINGS = review_bindings("gc", execute_tip="Confirm and delete exactly this plan",
                               switch_tip="Move between the two lists")

    def heading(self) -> Text:
        return Text.assemble(("GC plan · ", "bold"), plain(where(self.plan), "bold"), " · profile ",
                             plain(self.profile.name, "bold"))

    def summary_line(self) -> Text:
        plan = self.plan
        if plan.delete:
            headline = Text(f"Would delete {plan.what()}, reclaiming {human_size(plan.bytes_reclaimed)}; "
                            f"keeps {plan.keep_count:,}.", style="bold")
        else:
            headline = Text.assemble(("Nothing to delete: ", "bold"), plain(plan.empty_reason, "bold"),
                                     (f". Keeps {plan.keep_count:,}.", "bold"))
        return Text.assemble(headline, "  policy: ", plain(policy_summary(plan.policy), "dim"))

    def delete_row(self, number: int, item) -> tuple[Cells, str]:
        return (plain(item.kind), Text(human_size(item.size), justify="right"), plain(item.reason),
                plain(item.name)), item.name

    def keep_row(self, number: int, item) -> tuple[Cells, str]:
        return (plain(item.kind), plain(item.reason), plain(item.name)), item.name


class GcReportScreen(ReportScreen):
    """What a GC run did: deleted, skipped because changed, saved because referenced again, missing, failed,
    and the manifests dropped because an export wrote them during the sweep."""

    DIALOG_ID = "gc-report"

    def compose_body(self) -> ComposeResult:
        report = self.report
        yield Label(Text(f"GC: deleted {report.deleted_what()} ({human_size(report.bytes_deleted)} freed)",
                         style="bold"), id="gc-report-title")
        yield Static(self.summary(), id="gc-report-summary")
        if report.journal is not None:
            yield Static(Text.assemble(("Journal: ", "dim"), plain(report.journal)), id="gc-report-journal")

    def summary(self) -> Text:
        report = self.report
        text = Text()
        lines = [("deleted", report.deleted, "green"),
                 ("skipped: changed since the plan", report.skipped, "yellow"),
                 ("saved: referenced by a manifest again", report.saved, "cyan"),
                 ("missing: already gone", report.missing, "dim"),
                 ("failed", report.failed, "bold red")]
        if report.dropped:  # only when an export raced the sweep
            lines.insert(1, ("dropped: cache manifests written during the GC that named blobs it "
                             "deleted (builds see a cache miss, not a failure)", report.dropped, "bold yellow"))
        for label, outcomes, style in lines:
            text.append(f"{len(outcomes):,} {label}\n", style if outcomes else "")
            if label == "deleted":
                continue
            for outcome in outcomes[:REPORT_NAMES]:
                text.append(f"    {outcome.name}", "")
                if outcome.detail:
                    text.append(f"  {outcome.detail}", "dim")
                text.append("\n")
            if len(outcomes) > REPORT_NAMES:
                text.append(f"    … and {len(outcomes) - REPORT_NAMES:,} more (see the journal)\n", "italic")
        return text
