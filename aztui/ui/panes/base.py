"""What the panes' workers share: posting a failure (expected or not), counting an executor's
progress, and a loading spinner that leaves the pane's keys working."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from textual.widgets import DataTable
from textual.worker import WorkerState

from aztui.errors import AztuiError
from aztui.ui.messages import PaneFailed, PlanProgressed


@contextmanager
def failure_posted(view, *, reload: bool = False) -> Iterator[None]:
    """Turn an `AztuiError` in the block into `PaneFailed` (the work bar closes) and end the block.

    `reload`, for executors: a failure or a cancel reloads `view`, as part of the plan may be done.
    """
    try:
        yield
    except asyncio.CancelledError:
        if reload:
            view.call_later(view.reload)
        raise
    except AztuiError as error:
        view.work_bar.finish()
        view.post_message(PaneFailed(error))
        if reload:
            view.call_later(view.reload)


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



def pane_worker_failed(view, event, read_group: str) -> None:
    """A pane's `on_worker_state_changed`: report a worker that died (`worker_failure`), close
    the work bar, and show the failure where the pane's read (worker group `read_group`) died."""
    error = worker_failure(view, event)
    if error is None:
        return
    view.work_bar.finish()
    if event.worker.group == read_group:
        view._show_failure(error)

def show_loading(view, loading: bool, *tables: DataTable) -> None:
    """Cover `tables` of `view` with a spinner, or uncover them, keeping the view's keys working.

    Textual gives a loading widget no keys (`App.focused` is None), so Esc could not cancel: while
    a table of the view is covered the view itself can hold the focus (it takes it from a covered
    table), and once none is, it gives the focus back to the view's `table`.
    """
    had_focus = view.screen.focused in tables
    for table in tables:
        table.loading = loading
    covered = any(table.loading for table in view.query(DataTable))
    view.can_focus = covered
    if covered and had_focus and shown(view):
        view.focus(scroll_visible=False)
    elif not covered and view.screen.focused is view and shown(view):
        view.table.focus()


def shown(view) -> bool:
    """Whether `view`'s pane is the one shown: focusing a widget of a hidden pane switches to it."""
    return all(node.display for node in view.ancestors_with_self)


def focus_pane(view) -> None:
    """Focus the view's table, or the view itself while that table is covered (see `show_loading`)."""
    (view if view.table.loading else view.table).focus()


def count_outcomes(view, total: int) -> Callable[[object], None]:
    """An executor's `progress` callback: posts `PlanProgressed(done, total)` to `view` per outcome."""
    done = 0

    def progressed(_outcome) -> None:
        nonlocal done
        done += 1
        view.post_message(PlanProgressed(done, total))

    return progressed
