"""`u` opens the breakdown at once and fills it in as the listing streams (like ncdu): walkable while the
scan runs, marked as partial until it ends, Esc cancels the scan, and a failure midway says what failed
and leaves no partial figure standing as the folder's size.

The folder is `tests/support/list_server.py`'s container `big` (30,000 generated blobs in d0000/..d0002/,
10,000 each); the server holds du's listing midway (`hold`) or refuses it midway (`fail`), so the
test sees the scan in progress without any timing."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from aztui.ui.screens.breakdown import BreakdownScreen
from aztui.ui.screens.dialogs import UsageReport
from tests.support.list_server import CONTAINER, ListServer, blob_size
from tests.support.pilot import cursor_to, errors, messages, settle, start, text_of

BLOBS = 30_000
PAGE = 5000  # du's page


def du_request(target: str) -> bool:
    """du's recursive listing (the pane's own listing of a folder level has a delimiter)."""
    return "delimiter" not in target


def folder_bytes(first: int, last: int) -> int:
    return sum(blob_size(i) for i in range(first, last))


@pytest.fixture
def server():
    with ListServer(BLOBS) as running:
        yield running


@pytest.fixture
def profiles(server, write_profiles):
    return write_profiles(f"""
        [profiles.big]
        connection_string = "{server.connection_string}"
        max_retries = 0
        """)


def rows(app) -> list[tuple[str, str]]:
    """The breakdown's (folder, blobs) rows, as shown."""
    table = app.screen.query_one("#breakdown-table", DataTable)
    return [(r[0].plain, r[1].plain) for r in (table.get_row_at(i) for i in range(table.row_count))]


def total_row(app) -> tuple[str, str] | None:
    """The first row of the totals table (label, blobs): "total" only once the scan is complete."""
    table = app.screen.query_one("#usage-table", DataTable)
    return (table.get_row_at(0)[0].plain, table.get_row_at(0)[1].plain) if table.row_count else None


async def wait_until(pilot, condition, what: str, rounds: int = 500) -> None:
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def press_u_on_the_container(pilot) -> None:
    await settle(pilot)
    await cursor_to(pilot, f"c:{CONTAINER}")
    await pilot.press("u")


async def test_rows_appear_before_the_scan_ends_and_can_be_walked_while_it_runs(server, profiles):
    server.hold(after=3, when=du_request)  # 15,000 blobs counted, then the listing waits
    app, running = start(profiles, "big")
    async with running as pilot:
        await press_u_on_the_container(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, BreakdownScreen) and rows(app) == [
            ("d0000/", "10,000"), ("d0001/", "5,000")], "the first three pages in the breakdown")
        screen = app.screen
        assert screen.scanning and not screen.usage.complete
        state = text_of(app, "#scan-state")
        assert "scanning… 15,000 blobs so far" in state and "blobs/s" in state and "Esc cancels" in state
        assert total_row(app) == ("so far", "15,000")  # never "total" while the scan runs

        table = app.screen.query_one("#breakdown-table", DataTable)
        table.move_cursor(row=1)
        await pilot.press("enter")  # into d0001/ while the scan still runs
        await pilot.pause()
        assert screen.folder == "d0001/" and len(rows(app)) == 50 and rows(app)[0][1] == "100"
        assert screen.scanning

        server.release()
        await wait_until(pilot, lambda: not screen.scanning, "the scan to end")
        await settle(pilot)
        assert app.screen is screen and screen.folder == "d0001/"  # still where the user walked
        assert len(rows(app)) == 100 and not app.screen.query_one("#scan-state").display
        assert total_row(app) == ("total", "10,000")
        await pilot.press("backspace")
        await pilot.pause()
        tops = {f"d{i:04}/": folder_bytes(i * 10_000, (i + 1) * 10_000) for i in range(3)}
        biggest_first = sorted(tops, key=lambda f: -tops[f])
        assert rows(app) == [(folder, "10,000") for folder in biggest_first]
        assert total_row(app) == ("total", "30,000")
        assert screen.usage.complete and screen.usage.bytes == sum(tops.values())


async def test_esc_while_scanning_cancels_the_scan(server, profiles):
    server.hold(after=1, when=du_request)
    notes: list = []
    app, running = start(profiles, "big", notes)
    async with running as pilot:
        await press_u_on_the_container(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, BreakdownScreen) and app.screen.usage.blobs == PAGE,
                         "the first page in the breakdown")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, UsageReport)
        assert not app.containers.running_workers("usage") and not app.containers.work_bar.display
        asked = server.matched["held"]  # the first page, and the second one, held
        server.release()
        await settle(pilot)
        await pilot.pause(0.3)
        assert asked == 2 and server.matched["held"] == asked  # the scan asked for no page after the cancel
        assert "Cancelled." in messages(notes) and not errors(notes)


async def test_a_failure_midway_says_what_failed_and_shows_no_partial_figures(server, profiles):
    server.fail(after=2, when=du_request)
    notes: list = []
    app, running = start(profiles, "big", notes)
    async with running as pilot:
        await press_u_on_the_container(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, BreakdownScreen) and app.screen.state == "failed",
                         "the breakdown to say the scan failed")
        await settle(pilot)
        assert server.requests["refused"] == 1
        state = text_of(app, "#scan-state")
        assert "Scan failed" in state and f"Listing page 3 of {CONTAINER}/" in state and "Permission denied" in state
        assert "size is not known" in state
        # the 10,000 blobs counted before the failure are not shown as if they were the container's size
        for table in ("#usage-table", "#breakdown-table"):
            assert not app.screen.query_one(table).display and not app.screen.query_one(table, DataTable).row_count
        assert "10,000" not in state and not app.containers.work_bar.display
        assert any("Permission denied" in e or "not authorized" in e for e in errors(notes)), errors(notes)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, UsageReport)
