"""Worker failures as the app shows them; for panes and screens alike (imports no pane or screen)."""

from __future__ import annotations

from textual.worker import WorkerState

from aztui.errors import AztuiError
from aztui.ui.messages import PaneFailed


def as_aztui_error(error: BaseException) -> AztuiError:
    """`error` as the app shows it: an AztuiError as it is, anything else as a bug to report."""
    if isinstance(error, AztuiError):
        return error
    return AztuiError(f"{type(error).__name__}: {error}", title="Unexpected error",
                      hint="this is a bug in aztui; please report it")


def worker_failure(node, event) -> AztuiError | None:
    """For `node`'s `on_worker_state_changed`: if one of its workers died of an exception, post it
    as `PaneFailed` (the app notifies it; `Worker.StateChanged` itself never reaches the app)
    and return it, so that the node can leave its busy state. None for any other change."""
    if event.state != WorkerState.ERROR or event.worker.node is not node:
        return None
    error = as_aztui_error(event.worker.error)
    node.post_message(PaneFailed(error))
    return error
