"""The Containers pane on an account with blob soft delete (`tests/support/soft_delete_server.py`):
D lists soft-deleted blobs, U undeletes them (plan → review → confirm → report), the delete review
says how long deleted blobs stay recoverable, and read-only profiles get neither key."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from aztui.ui.screens.dialogs import DeleteReview, UndeleteReportScreen, UndeleteReview
from tests.support.pilot import cursor_to, settle, start, text_of
from tests.support.soft_delete_server import ACCOUNT, SoftDeleteServer


@pytest.fixture(autouse=True)
def journals_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
def server():
    with SoftDeleteServer(retention_days=7) as server:
        server.put("logs", "a.log", b"alive")
        server.put("logs", "gone.log", b"deleted a day ago", deleted_days_ago=1)
        server.put("logs", "also-gone.log", b"deleted today", deleted_days_ago=0)
        yield server


@pytest.fixture
def profiles(server, write_profiles):
    common = f"""kind = "storage"
        account_name = "{ACCOUNT}"
        account_url = "{server.account_url}"
        account_key = "a2V5"
        container = "logs"
        max_retries = 0"""
    return write_profiles(f"""
        [profiles.soft]
        {common}

        [profiles.ro]
        {common}
        read_only = true
        """)


def keys(app) -> list[str]:
    return sorted(row.key.value for row in app.query_one("#listing", DataTable).ordered_rows)


async def test_d_shows_deleted_blobs_and_u_undeletes_them(server, profiles):
    app, running = start(profiles, "soft")
    async with running as pilot:
        await settle(pilot)
        assert keys(app) == ["b:a.log"]
        await pilot.press("D")
        await settle(pilot)
        assert keys(app) == ["b:a.log", "d:also-gone.log", "d:gone.log"]
        assert "soft-deleted blobs shown" in text_of(app, "#listing-status")
        row = app.query_one("#listing", DataTable).get_row("d:gone.log")
        assert row[3].plain == "deleted, 6 d left"
        await cursor_to(pilot, "d:gone.log")
        await pilot.press("space")
        await cursor_to(pilot, "d:also-gone.log")
        await pilot.press("space")
        await pilot.press("U")
        await settle(pilot)
        assert isinstance(app.screen, UndeleteReview)
        assert "Undelete 2 blobs" in text_of(app, "#review-title")
        assert "gone.log" in text_of(app, "#review-names") and "6 d left" in text_of(app, "#review-names")
        assert not [r for r in server.requests if r[0] == "PUT"]  # nothing before the confirmation
        await pilot.click("#confirm")
        await settle(pilot)
        assert isinstance(app.screen, UndeleteReportScreen) and len(app.screen.report.undeleted) == 2
        await pilot.press("escape")
        await settle(pilot)
        assert keys(app) == ["b:a.log", "b:also-gone.log", "b:gone.log"]  # reloaded: alive again
    assert server.live("logs") == ["a.log", "also-gone.log", "gone.log"]


async def test_the_delete_review_says_how_long_deleted_blobs_stay_recoverable(server, profiles):
    app, running = start(profiles, "soft")
    async with running as pilot:
        await settle(pilot)
        await cursor_to(pilot, "b:a.log")
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, DeleteReview)
        assert text_of(app, "#review-recoverable") == "Soft delete is on: deleted blobs stay recoverable for 7 days."
        await pilot.press("escape")
        await settle(pilot)
    assert server.live("logs") == ["a.log"]


async def test_read_only_profile_has_no_undelete(server, profiles):
    app, running = start(profiles, "ro")
    async with running as pilot:
        await settle(pilot)
        await pilot.press("D")
        await settle(pilot)
        await cursor_to(pilot, "d:gone.log")
        await pilot.press("U")
        await settle(pilot)
        assert not isinstance(app.screen, UndeleteReview)
        view = app.query_one("#containers")
        assert view.check_action("undelete", ()) is False
    assert not [r for r in server.requests if r[0] in ("PUT", "DELETE")]
