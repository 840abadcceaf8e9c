"""`u` shows where the space goes: sub-folders biggest first, with share and tiers, walkable without a new
listing; `blobs du --by-folder --json` gives the same rows headless."""

from __future__ import annotations

import json

import pytest
from textual.widgets import DataTable

from aztui.ui.screens.breakdown import HERE, BreakdownScreen
from aztui.ui.screens.dialogs import UsageReport
from tests.support.blobs_cli import run_blobs
from tests.support.pilot import cursor_to, settle, start
from tests.support.profiles_toml import account_profiles

# bytes per folder: logs/ 3,000 (2 levels), media/ 5,000, tmp/ 10, and 7 bytes right in the root
LAYOUT = {"logs/2025/a.log": (1000, "Hot"), "logs/2026/b.log": (1500, "Cool"), "logs/c.log": (500, "Hot"),
          "media/x.mp4": (5000, "Cool"), "tmp/t": (10, "Hot"), "root.txt": (7, "Hot")}


@pytest.fixture
async def layout(fill_container):
    return await fill_container({name: (b"z" * size, {"tier": tier}) for name, (size, tier) in LAYOUT.items()})


@pytest.fixture
def profiles(azurite, write_profiles, layout):
    return write_profiles(account_profiles(azurite))


def rows(app) -> list[tuple[str, str, str]]:
    table = app.screen.query_one("#breakdown-table", DataTable)
    return [(r[0].plain, r[1].plain, r[3].plain.split()[-1]) for r in (table.get_row_at(i) for i in range(table.row_count))]


async def test_u_breaks_a_container_down_by_folder_and_walks(profiles, layout):
    app, running = start(profiles, "account")
    async with running as pilot:
        await settle(pilot)
        await cursor_to(pilot, f"c:{layout}")
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, BreakdownScreen) and isinstance(app.screen, UsageReport)
        assert app.screen.usage.blobs == 6  # the total stays what `u` always reported
        assert rows(app) == [("media/", "1", "62.4%"), ("logs/", "3", "37.4%"), ("tmp/", "1", "0.1%"),
                             (HERE, "1", "0.1%")]
        table = app.screen.query_one("#breakdown-table", DataTable)
        assert "Cool" in [c.label.plain for c in table.columns.values()]

        table.move_cursor(row=1)
        await pilot.press("enter")  # into logs/: no new listing, the scan's tree
        await settle(pilot)
        assert app.screen.folder == "logs/"
        assert rows(app) == [("2026/", "1", "50.0%"), ("2025/", "1", "33.3%"), (HERE, "1", "16.7%")]
        tiers = app.screen.query_one("#usage-table", DataTable)
        assert tiers.get_row("Cool")[2].plain == "1,500" and tiers.get_row("Hot")[2].plain == "1,500"

        await pilot.press("enter")  # into logs/2026/: one blob, right there
        await settle(pilot)
        assert rows(app) == [(HERE, "1", "100.0%")]
        await pilot.press("backspace", "backspace")
        await settle(pilot)
        assert app.screen.folder == "" and rows(app)[0][0] == "media/"
        await pilot.press("backspace")  # not above the folder measured
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, UsageReport)


def test_du_by_folder_json_gives_the_same_rows(profiles, layout):
    result = run_blobs(profiles, "du", f"account:{layout}", "--by-folder", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["blobs"] == 6 and data["bytes"] == sum(size for size, _ in LAYOUT.values())
    assert [(f["prefix"], f["direct"], f["blobs"], f["bytes"]) for f in data["folders"]] == [
        ("media/", False, 1, 5000), ("logs/", False, 3, 3000), ("tmp/", False, 1, 10), ("", True, 1, 7)]
    assert data["folders"][1]["bytes_by_tier"] == {"Hot": 1500, "Cool": 1500}

    deeper = json.loads(run_blobs(profiles, "du", f"account:{layout}/logs", "--by-folder", "--depth", "1",
                                  "--json").stdout)
    assert [(f["prefix"], f["direct"], f["bytes"]) for f in deeper["folders"]] == [
        ("logs/2026/", False, 1500), ("logs/2025/", False, 1000), ("logs/", True, 500)]
    two = json.loads(run_blobs(profiles, "du", f"account:{layout}", "--by-folder", "--depth", "2", "--json").stdout)
    assert [(f["prefix"], f["direct"]) for f in two["folders"]] == [
        ("media/", True), ("logs/2026/", False), ("logs/2025/", False), ("logs/", True), ("tmp/", True), ("", True)]

    text = run_blobs(profiles, "du", f"account:{layout}", "--by-folder")
    assert "62.4%" in text.stdout and "media/" in text.stdout and "(blobs right here)" in text.stdout
