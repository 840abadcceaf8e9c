"""GC and purge of a Distribution registry on Blob, as the cache's GC: policy → plan → confirm → report.

The forms validate with the CLI's own parsers (`parse_filter`, `parse_ago`, `parse_duration`) and show a
problem inline; the plan screen lists every item with its reason (aztui.registry.review), what goes
and what stays. Every name is plain `Text`, never markup.
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
from aztui.registry.review import GcPolicy, RegistryWork, WorkReport, short
from aztui.ui.screens.dialogs import DestructiveConfirm, ReportScreen
from aztui.ui.screens.plan_review import Cells, PlanReviewScreen, review_bindings, show_policy_problem
from aztui.ui.widgets.text import human_size, plain

REPORT_NAMES = 8


class _PolicyForm(ModalScreen[object]):
    """A form of labelled inputs and checkboxes; dismisses with what `parse(values)` returns, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="close")]
    TITLE = ""
    NOTE = ""
    INPUTS: tuple[tuple[str, str, str, str], ...] = ()     # id, label, placeholder, initial value
    CHECKS: tuple[tuple[str, str, bool], ...] = ()         # id, label, initial value

    def __init__(self, profile: Profile, values: dict | None = None) -> None:
        super().__init__()
        self.profile = profile
        self.initial = values or {}

    def parse(self, values: dict):
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="registry-policy"):
            yield Label(Text.assemble((self.TITLE, "bold"), " · profile ", plain(self.profile.name, "bold")))
            yield Static(Text(self.NOTE, style="dim"))
            for field, label, placeholder, value in self.INPUTS:
                with Horizontal(classes="form-row"):
                    yield Label(label, classes="form-label")
                    yield Input(value=self.initial.get(field, value), placeholder=placeholder,
                                id=f"policy-{field}", compact=True)
            for field, label, value in self.CHECKS:
                yield Checkbox(label, value=self.initial.get(field, value), id=f"policy-{field}", compact=True)
            yield Static(id="policy-error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Plan", variant="primary", id="plan")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#policy-error").display = False
        self.query(Input).first().focus() if self.INPUTS else self.query(Checkbox).first().focus()

    def values(self) -> dict:
        values: dict = {field: self.query_one(f"#policy-{field}", Input).value for field, *_ in self.INPUTS}
        values.update({field: self.query_one(f"#policy-{field}", Checkbox).value for field, *_ in self.CHECKS})
        return values

    @on(Input.Submitted)
    @on(Button.Pressed, "#plan")
    def _submit(self) -> None:
        values = self.values()
        try:
            parsed = self.parse(values)
        except AztuiError as error:
            show_policy_problem(self, error)
            return
        self.dismiss((parsed, values))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class RegistryGcForm(_PolicyForm):
    """`registry gc`'s policy; dismisses with (GcPolicy, the form's values)."""

    TITLE = "Garbage-collect the registry"
    NOTE = ("Like `registry garbage-collect`: blobs no manifest references go; with delete untagged, "
            "manifests no tag points at too (platforms of a tagged index stay). The registry must be "
            "read-only or stopped while the sweep runs.")
    INPUTS = (("upload-age", "Uploads older than", "168h, as the registry's uploadpurging", "168h"),)
    CHECKS = (("delete-untagged", "Delete untagged manifests", False),)

    def parse(self, values: dict) -> GcPolicy:
        from aztui.cache.planner import PolicyError, parse_duration

        try:
            age = parse_duration(values["upload-age"].strip() or "168h")
        except PolicyError as error:
            raise PolicyError(f"Upload age: {error.message}", hint=error.hint) from None
        return GcPolicy(delete_untagged=values["delete-untagged"], upload_age=age)


class RegistryPurgeForm(_PolicyForm):
    """`registry purge`'s options; dismisses with (PurgeOptions, the form's values)."""

    TITLE = "Purge old tags and manifests"
    NOTE = ("As `acr purge`: the repository regex matches the whole name, the tag regex anywhere in "
            "the tag. Untagging and manifest deletes happen on storage as the registry's API does them; "
            "a GC frees the space afterwards.")
    INPUTS = (("filter", "Filter REPO:TAG (regexes)", "e.g. app/.*:^dev-", ""),
              ("exclude", "Exclude REPO:TAG", "tags it matches stay; blank: none", ""),
              ("ago", "Older than", "e.g. 30d or 2d3h6m; blank: any age", ""),
              ("keep", "Keep newest N", "per repository; blank: 0", ""))
    CHECKS = (("untagged", "Also delete manifests left without tags", False),)

    def parse(self, values: dict):
        from aztui.registry.purge import PurgeInputError, PurgeOptions, parse_ago, parse_filter

        if not values["filter"].strip():
            raise PurgeInputError("Filter: write '<repository-regex>:<tag-regex>'", hint="e.g. app/.*:^dev-")
        keep = values["keep"].strip()
        if keep and not keep.isdigit():
            raise PurgeInputError(f"Keep: {keep!r} is not a whole number", hint="write 0 or more, or leave it blank")
        exclude = values["exclude"].strip()
        return PurgeOptions((parse_filter(values["filter"].strip()),),
                            (parse_filter(exclude, option="--exclude"),) if exclude else (),
                            parse_ago(values["ago"].strip() or "0"), int(keep or 0), values["untagged"])


class RegistryWorkConfirm(DestructiveConfirm):
    """The last question before a registry GC or purge runs."""

    DIALOG_ID = "gc-confirm"

    def compose_body(self) -> ComposeResult:
        work = self.plan
        what = "Sweep the registry" if work.kind == "gc" else "Purge the registry"
        yield Label(Text(f"{what}: delete {work.files:,} files for {work.count:,} items?", style="bold"))
        yield Static(Text.assemble("registry: ", plain(work.where, "bold"), " · profile: ",
                                   plain(self.profile.name, "bold")))
        yield Static(Text(work.rules, style="dim"), id="registry-work-rules")


class RegistryWorkPlanScreen(PlanReviewScreen):
    """The plan, to inspect: every item that goes and every item that stays, each with its reason.

    Dismisses True only after the confirmation modal said yes."""

    CONFIRM = RegistryWorkConfirm
    BINDINGS = review_bindings("registry-work", execute_tip="Confirm and run exactly this plan",
                               switch_tip="Move between the lists")

    @property
    def work(self) -> RegistryWork:
        return self.plan

    def heading(self) -> Text:
        what = "GC plan" if self.work.kind == "gc" else "Purge plan"
        return Text.assemble((f"{what} · ", "bold"), plain(self.work.where, "bold"), " · profile ",
                             plain(self.profile.name, "bold"))

    def summary_line(self) -> Text:
        return Text.assemble((self.work.headline, "bold"), "  policy: ", plain(self.work.policy, "dim"))

    def delete_row(self, number: int, item) -> tuple[Cells, str]:
        size = "" if item.size is None else human_size(item.size)
        return (plain(item.kind), Text(size, justify="right"), plain(item.reason), plain(short(item.name))), \
            f"{number}"

    def keep_row(self, number: int, item) -> tuple[Cells, str]:
        return (plain(item.kind), plain(item.reason), plain(short(item.name))), f"{number}"


class RegistryWorkReport(ReportScreen):
    """What a registry GC or purge did, with the journals."""

    DIALOG_ID = "gc-report"

    def compose_body(self) -> ComposeResult:
        report: WorkReport = self.report
        what = "GC" if report.work.kind == "gc" else "Purge"
        yield Label(Text(f"{what}: {report.done:,} done, {report.failed:,} failed", style="bold"))
        text = Text()
        for n, label, names in report.lines:
            style = "bold red" if "failed" in label else "green" if ("deleted" in label) else "yellow"
            text.append(f"{n:,} {label}\n", style)
            for name in names[:REPORT_NAMES]:
                text.append(f"    {name}\n", "")
            if len(names) > REPORT_NAMES:
                text.append(f"    … and {len(names) - REPORT_NAMES:,} more (see the journal)\n", "italic")
        if report.work.kind == "purge":
            text.append("Space is freed by a GC (g).\n", "dim")
        yield Static(text, id="gc-report-summary")
        for journal in report.journals:
            yield Static(Text.assemble(("Journal: ", "dim"), plain(str(journal))), classes="registry-work-journal")
