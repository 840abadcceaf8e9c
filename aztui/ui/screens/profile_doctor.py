"""The profile test screen: `aztui profiles test` in the TUI, each step shown as it completes.

`test_profile` runs in a worker; its progress callback posts `StepFinished`, so the steps
appear live: symbol, name, duration, detail and, for anything not ok, the hint. `w` runs it
again with the write probe (upload, read back, delete under `.aztui-probe/`), never offered on
read-only profiles. The doctor never puts a secret in a detail or hint; this screen shows only those.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from aztui.errors import AztuiError
from aztui.ui.widgets.footer import Footer
from aztui.ui.widgets.text import account_label, plain
from aztui.ui.workers import worker_failure

STATUS_STYLES = {"ok": "bold green", "warn": "bold yellow", "fail": "bold red", "skipped": "dim"}
NAME_WIDTH = 14
DURATION_WIDTH = 10   # "99,999 ms": a slow step's duration keeps its column too
HEAD_WIDTH = 2 + NAME_WIDTH + DURATION_WIDTH  # symbol and space, name, duration (app.tcss `.step-head`)


def step_head(step) -> Text:
    """`✓ endpoint       12 ms`: symbol, name and duration of a finished step."""
    from aztui.doctor.checks import SYMBOLS

    style = STATUS_STYLES.get(step.status, "")
    return Text.assemble((SYMBOLS.get(step.status, "?"), style), " ", (step.name.ljust(NAME_WIDTH), "bold"),
                         (f"{step.duration_ms:,} ms".rjust(DURATION_WIDTH), "dim"))


def step_body(step) -> Text:
    """The detail and, unless the step passed, its hint. Plain, never markup."""
    text = Text(step.detail or "", style="dim" if step.status == "skipped" else "")
    if step.hint and step.status != "ok":
        text.append("\nhint: ", "italic")
        text.append(step.hint, "italic " + ("yellow" if step.status == "warn" else "red"))
    return text


def pending_head(name: str, running: bool) -> Text:
    return Text.assemble(("…" if running else "·", "dim"), " ", (name.ljust(NAME_WIDTH), "bold dim"))


def pending_body(running: bool) -> Text:
    return Text("running" if running else "waiting", style="dim italic")


class ProfileDoctorScreen(ModalScreen[None]):
    """Tests profile `name` of `profile_set` when shown; `r` runs again, `w` with the write probe."""

    BINDINGS = [
        Binding("r", "run_test(False)", "Run again", id="doctor-rerun", tooltip="Test the profile again"),
        Binding("w", "run_test(True)", "Write test", id="doctor-write",
                tooltip="Test again and also upload, read back and delete a probe blob (not on read-only profiles)"),
        Binding("escape", "close", "Close", id="close", tooltip="Close the test (a running one is cancelled)"),
    ]

    class StepFinished(Message):
        def __init__(self, run: int, step) -> None:
            super().__init__()
            self.run = run
            self.step = step

    class TestFinished(Message):
        def __init__(self, run: int, report) -> None:
            super().__init__()
            self.run = run
            self.report = report

    class TestFailed(Message):
        def __init__(self, run: int, error: AztuiError) -> None:
            super().__init__()
            self.run = run
            self.error = error

    def __init__(self, profile_set, name: str, *, write: bool = False) -> None:
        super().__init__()
        self.profile_set = profile_set
        self.profile_name = name
        self.profile = profile_set.profiles.get(name)
        self.write = write
        self.run_number = 0
        self.done: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="doctor", classes="dialog"):
            yield Label(self.title_text(), id="doctor-title")
            yield Static(id="doctor-verdict", markup=False)
            with VerticalScroll(id="doctor-steps"):
                from aztui.doctor.checks import STEPS

                for name in STEPS:
                    with Horizontal(id=f"step-{name}", classes="doctor-step"):
                        yield Static(pending_head(name, False), id=f"head-{name}", classes="step-head",
                                     markup=False)
                        yield Static(pending_body(False), id=f"body-{name}", classes="step-body", markup=False)
        yield Footer()

    def title_text(self) -> Text:
        text = Text.assemble(("Testing profile ", "bold"), plain(self.profile_name, "bold"))
        if self.profile is not None:
            text.append("  ")
            text.append(plain(self.profile.kind, "cyan"))
            text.append("  ")
            text.append(plain(self.profile.auth, "magenta"))
            account = account_label(self.profile)
            if account:
                text.append("  ")
                text.append(account + (f"/{self.profile.container}" if self.profile.container else ""), "dim")
            if self.profile.read_only:
                text.append("  read-only", "bold yellow")
        return text

    def on_mount(self) -> None:
        self.action_run_test(self.write)

    def show_step(self, step) -> None:
        self.query_one(f"#head-{step.name}", Static).update(step_head(step))
        self.query_one(f"#body-{step.name}", Static).update(step_body(step))

    def show_pending(self, name: str, *, running: bool) -> None:
        self.query_one(f"#head-{name}", Static).update(pending_head(name, running))
        self.query_one(f"#body-{name}", Static).update(pending_body(running))

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """The write probe is never offered on a read-only (or an invalid) profile."""
        if action == "run_test" and parameters and parameters[0]:
            return self.profile is not None and not self.profile.read_only
        return True

    def action_run_test(self, write: bool) -> None:
        from aztui.doctor.checks import STEPS

        if write and (self.profile is None or self.profile.read_only):
            return
        self.write = write
        self.run_number += 1
        self.done = []
        for index, name in enumerate(STEPS):
            self.show_pending(name, running=index == 0)
        mode = " with the write probe" if write else ""
        self.query_one("#doctor-verdict", Static).update(Text(f"Testing{mode}… (Esc closes and cancels)",
                                                              style="italic"))
        self._test(self.run_number, write)

    @work(exclusive=True, exit_on_error=False, group="doctor")
    async def _test(self, run: int, write: bool) -> None:
        from aztui.doctor.checks import test_profile

        try:
            report = await test_profile(self.profile_set, self.profile_name, write=write,
                                        progress=lambda step: self.post_message(self.StepFinished(run, step)))
        except AztuiError as error:
            self.post_message(self.TestFailed(run, error))
            return
        self.post_message(self.TestFinished(run, report))

    def on_profile_doctor_screen_step_finished(self, event: StepFinished) -> None:
        from aztui.doctor.checks import STEPS

        if event.run != self.run_number:
            return
        step = event.step
        self.done.append(step.name)
        self.show_step(step)
        following = [name for name in STEPS if name not in self.done]
        if following:
            self.show_pending(following[0], running=True)

    def on_profile_doctor_screen_test_finished(self, event: TestFinished) -> None:
        if event.run != self.run_number:
            return
        report = event.report
        for step in report.steps:  # every step, also any the progress callback did not see
            self.show_step(step)
        failed = [s.name for s in report.steps if s.status == "fail"]
        warned = [s.name for s in report.steps if s.status == "warn"]
        if failed:
            verdict = Text(f"✗ Failed: {', '.join(failed)}. The hints say what to change.", style="bold red")
        elif warned:
            verdict = Text(f"! Passed with warnings: {', '.join(warned)}.", style="bold yellow")
        else:
            verdict = Text("✓ Every step passed.", style="bold green")
        if not self.write and self.profile is not None and not self.profile.read_only:
            verdict.append("   w: also test writing and deleting", "dim")
        self.query_one("#doctor-verdict", Static).update(verdict)

    def on_profile_doctor_screen_test_failed(self, event: TestFailed) -> None:
        if event.run != self.run_number:
            return
        error = event.error
        text = Text(f"{error.title}: {error.message}", style="bold red")
        if error.hint:
            text.append(f"\nHint: {error.hint}", "red")
        self.query_one("#doctor-verdict", Static).update(text)

    def on_worker_state_changed(self, event) -> None:
        """An unexpected error: report it, and say so instead of 'Testing…' forever."""
        if worker_failure(self, event) is not None:
            self.query_one("#doctor-verdict", Static).update(
                Text("The test stopped on an unexpected error (see the notification).", style="bold red"))

    def action_close(self) -> None:
        for worker in self.workers:
            if worker.node is self and worker.is_running:
                worker.cancel()
        self.dismiss(None)
