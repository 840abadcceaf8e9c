"""Messages the three panes share: a failure (the app notifies it), a plan, an executor's progress and report."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from aztui.errors import AztuiError
from aztui.profiles.model import Profile


@dataclass
class PaneFailed(Message):
    """A pane's work failed; the app shows the error as a notification."""

    error: AztuiError


@dataclass
class PlanReady(Message):
    """A plan of `profile` is made; the pane shows its review."""

    profile: Profile
    plan: object


@dataclass
class PlanProgressed(Message):
    """`done` of `total` items of a confirmed plan are through."""

    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PlanProgressed)


@dataclass
class PlanExecuted(Message):
    """A confirmed plan ran; `report` says what happened to each item."""

    report: object
