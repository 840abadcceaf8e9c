"""The Containers pane on an ADLS Gen2 layout (directory markers `hdi_isfolder=true` in Azurite):
directories are folder rows, once each, sized and deleted as folders."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from aztui.azure.blobs import BlobStore
from aztui.ui.screens.dialogs import DeleteReview, UsageReport
from tests.support.hns_server import write_layout
from tests.support.pilot import cursor_to, settle, setup_profile, start, text_of


@pytest.fixture(autouse=True)
def journals_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
async def profiles(azurite, container_name, write_profiles):
    async with BlobStore(setup_profile(azurite)) as store:
        await write_layout(store, container_name)
    return write_profiles(f"""
        [profiles.hns]
        connection_string = "{azurite.connection_string}"
        container = "{container_name}"
        """)


def keys(app) -> list[str]:
    table = app.query_one("#listing", DataTable)
    return [row.key.value for row in table.ordered_rows]


async def test_directories_are_folder_rows_sized_and_deleted_as_folders(azurite, profiles, container_name):
    app, running = start(profiles, "hns", page_size=1)  # a marker and its prefix on different pages
    async with running as pilot:
        await settle(pilot)
        await pilot.press("L")  # every page
        await settle(pilot)
        assert sorted(keys(app)) == ["b:top.txt", "p:empty/", "p:raw/"]  # no 0-byte `raw` or `empty` blob
        await cursor_to(pilot, "p:raw/")
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, UsageReport)
        assert (app.screen.usage.blobs, app.screen.usage.directories) == (3, 1)
        assert app.screen.query_one("#usage-table", DataTable).get_row("directories")[1].plain == "1"
        await pilot.press("escape")
        await settle(pilot)
        await cursor_to(pilot, "p:empty/")
        await pilot.press("space")  # marks, moves down
        await cursor_to(pilot, "p:raw/")
        await pilot.press("space")
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, DeleteReview)
        assert "Delete 3 blobs and 3 directories" in text_of(app, "#review-title")
        await pilot.click("#confirm")
        await settle(pilot)
        report = app.screen.report
        assert len(report.deleted) == 6 and not report.failed and not report.directories_left
    async with BlobStore(setup_profile(azurite)) as store:
        client = store.service.get_container_client(container_name)
        assert [b.name async for b in client.list_blobs()] == ["top.txt"]
