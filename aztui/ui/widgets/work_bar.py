"""A one-line strip for long work: what is running, a progress bar and how to cancel it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar


class WorkBar(Horizontal):
    """Hidden until `start`; `show_progress` updates it; `finish` hides it again."""

    def compose(self) -> ComposeResult:
        yield Label(id="work-label", markup=False)
        yield ProgressBar(id="work-progress", show_eta=False)
        yield Label(Text("Esc: cancel", style="dim"), id="work-hint")

    def on_mount(self) -> None:
        self.display = False

    def start(self, label: str, total: float | None = None) -> None:
        self.display = True
        self.query_one(ProgressBar).update(total=total, progress=0)
        self.query_one("#work-label", Label).update(Text(label))

    def show_progress(self, label: str, progress: float | None = None, total: float | None = None) -> None:
        bar = self.query_one(ProgressBar)
        if total is not None:
            bar.update(total=total)
        if progress is not None:
            bar.update(progress=progress)
        self.query_one("#work-label", Label).update(Text(label))

    def finish(self) -> None:
        self.display = False
