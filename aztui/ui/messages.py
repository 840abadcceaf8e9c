"""Messages the three panes share: a failure (the app notifies it), an executor's progress and report."""

from __future__ import annotations

from textual.message import Message

from aztui.errors import AztuiError


class PaneFailed(Message):
    """A pane's work failed; the app shows the error as a notification."""

    def __init__(self, error: AztuiError) -> None:
        super().__init__()
        self.error = error


class PlanProgressed(Message):
    """`done` of `total` items of a confirmed plan are through."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PlanProgressed)


class PlanExecuted(Message):
    """A confirmed plan ran; `report` says what happened to each item."""

    def __init__(self, report) -> None:
        super().__init__()
        self.report = report
