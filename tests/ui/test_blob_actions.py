"""`i` on containers and folders, archived blobs, `T` (access tier), `y`/`Y` (copy) and `v` (pager),
driven by Pilot in the real app against Azurite."""

from __future__ import annotations

import os
import stat
import sys

import pytest
from textual.widgets import Button, DataTable, OptionList, Static

from aztui.azure.blobs import BlobStore
from aztui.ui.screens.blob_details import BlobDetailsScreen
from aztui.ui.screens.place_details import ContainerDetailsScreen, FolderDetailsScreen
from aztui.ui.screens.tiering import TierPrompt, TierReportScreen, TierReview
from tests.support.pilot import cursor_to, messages, open_rows, settle, setup_profile, start, text_of
from tests.support.profiles_toml import account_profiles

ONE_TEXT = "hello from one.txt\n"


pytestmark = pytest.mark.usefixtures("journals_in_tmp")


@pytest.fixture
async def layout(azurite, fill_container):
    """a/b/one.txt (Hot), a/two.bin (Cool), old.tar (Archive), big.bin (3 KiB); metadata on the container."""
    container = await fill_container({
        "a/b/one.txt": (ONE_TEXT.encode(), {"content_type": "text/plain"}),
        "a/two.bin": (b"\0" * 1024, {"tier": "Cool"}),
        "old.tar": (b"t" * 100, {"tier": "Archive", "metadata": {"kept": "yes"}}),
        "big.bin": b"b" * 3072}, public_access="blob")
    async with BlobStore(setup_profile(azurite)) as store:
        await store.service.get_container_client(container).set_container_metadata({"team": "platform"})
    return container


def account_sas(server) -> str:
    from datetime import datetime, timedelta, timezone

    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    return generate_account_sas(server.account, server.key, ResourceTypes(service=True, container=True, object=True),
                                AccountSasPermissions(read=True, list=True),
                                expiry=datetime.now(timezone.utc) + timedelta(hours=1))


@pytest.fixture
def profiles(azurite, write_profiles, layout):
    sas = account_sas(azurite)
    return write_profiles(account_profiles(azurite, rw=layout, ro=layout) + f"""
        [profiles.sas]
        account_url = "{azurite.blob_endpoint}"
        sas_token = "{sas}"
        container = "{layout}"
        """)


def properties(screen) -> dict[str, str]:
    table = screen.query_one("#properties", DataTable)
    return {table.get_row_at(i)[0].plain: table.get_row_at(i)[1].plain for i in range(table.row_count)}


async def tiers(azurite, container: str) -> dict[str, str]:
    async with BlobStore(setup_profile(azurite)) as store:
        return {b.name: b.tier async for b in store.iter_blobs(container)}


# --- i -----------------------------------------------------------------------------------------

async def test_i_on_a_container_shows_its_properties(profiles, layout):
    app, running = start(profiles, "account")
    async with running as pilot:
        await settle(pilot)
        await cursor_to(pilot, f"c:{layout}")
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, ContainerDetailsScreen)
        props = properties(app.screen)
        assert props["Name"] == layout and props["Public access"] == "blob"
        assert props["metadata: team"] == "platform"
        assert props["ETag"].startswith('"') and props["Last modified"]
        assert props["Lease"].startswith("available")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ContainerDetailsScreen)


async def test_i_on_a_folder_counts_its_blobs_and_bytes(profiles, layout):
    app, running = start(profiles, "rw")
    async with running as pilot:
        await settle(pilot)
        await cursor_to(pilot, "p:a/")
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, FolderDetailsScreen)
        props = properties(app.screen)
        assert props["Folder"] == "a/" and props["Blobs"] == "2"
        assert f"({len(ONE_TEXT) + 1024:,} bytes)" in props["Size"]
        assert props["tier: Cool"].endswith("(1,024 bytes)")


async def test_an_archived_blob_shows_every_property_and_why_there_is_no_preview(profiles, layout):
    notes: list = []
    app, running = start(profiles, "rw", notes)
    async with running as pilot:
        await settle(pilot)
        await open_rows(pilot, "b:old.tar")
        assert isinstance(app.screen, BlobDetailsScreen)
        props = properties(app.screen)
        assert props["Tier"] == "Archive" and props["metadata: kept"] == "yes" and props["ETag"]
        preview = app.screen.query_one("#preview", Static).render().plain
        assert preview.startswith("Archived: the blob is offline") and "Rehydrate" in preview
        assert not messages(notes, "error")


# --- T -----------------------------------------------------------------------------------------

async def pick_tier(pilot, tier: str, *, high: bool = False) -> None:
    assert isinstance(pilot.app.screen, TierPrompt)
    if high:
        pilot.app.screen.query_one("#tier-high").value = True
    options = pilot.app.screen.query_one("#tier-options", OptionList)
    options.highlighted = ("Hot", "Cool", "Cold", "Archive").index(tier)
    await pilot.press("enter")
    await settle(pilot)


async def test_t_changes_the_tier_of_the_current_blob_after_review(azurite, profiles, layout):
    app, running = start(profiles, "rw")
    async with running as pilot:
        await settle(pilot)
        await cursor_to(pilot, "b:big.bin")
        await pilot.press("T")
        await pick_tier(pilot, "Cool")
        assert isinstance(app.screen, TierReview)
        assert "Set 1 blob (3.0 KiB) to Cool?" in text_of(app, "#review-title")
        assert "Hot → Cool" in text_of(app, "#review-names")
        assert str(app.screen.query_one("#confirm", Button).label) == "Set Cool"
        assert (await tiers(azurite, layout))["big.bin"] == "Hot"  # nothing before the confirm
        await pilot.click("#confirm")
        await settle(pilot)
        assert isinstance(app.screen, TierReportScreen)
        assert "Set 1 of 1 blob to Cool" in text_of(app, "#tier-report-title")
        await pilot.press("escape")
        await settle(pilot)
    assert (await tiers(azurite, layout))["big.bin"] == "Cool"


async def test_t_on_marked_rows_rehydrates_and_skips_a_blob_changed_after_the_plan(azurite, profiles, layout):
    app, running = start(profiles, "rw")
    async with running as pilot:
        await settle(pilot)
        await cursor_to(pilot, "b:old.tar")
        await pilot.press("space")
        await cursor_to(pilot, "b:big.bin")
        await pilot.press("space")
        await pilot.press("T")
        await pick_tier(pilot, "Cool", high=True)
        assert isinstance(app.screen, TierReview)
        title = text_of(app, "#review-title")
        assert "Set 2 blobs" in title and "to Cool (rehydrate priority High)" in title
        assert "1 blob leaves Archive" in app.screen.query_one("#tier-review").query(Static)[-1].render().plain
        async with BlobStore(setup_profile(azurite)) as store:  # big.bin rewritten after the plan
            await store.upload_blob(layout, "big.bin", b"new", overwrite=True)
        await pilot.click("#confirm")
        await settle(pilot)
        report = app.screen.report
        assert sorted((o.name, o.status) for o in report.outcomes) == [
            ("big.bin", "skipped_changed"), ("old.tar", "rehydrating")]
        summary = text_of(app, "#report-summary")
        assert "1 skipped, changed since the plan" in summary and "1 rehydrating from Archive" in summary
    after = await tiers(azurite, layout)
    assert (after["big.bin"], after["old.tar"]) == ("Hot", "Cool")  # Azurite rehydrates at once


async def test_t_is_hidden_and_inert_on_a_read_only_profile(azurite, profiles, layout):
    app, running = start(profiles, "ro")
    async with running as pilot:
        await settle(pilot)
        assert "tier" not in {b.binding.id for b in app.screen.active_bindings.values()}
        await cursor_to(pilot, "b:big.bin")
        await pilot.press("T")
        await settle(pilot)
        assert not isinstance(app.screen, TierPrompt)
        app.containers.action_tier()  # past the UI's gate: still refused before any prompt
        await settle(pilot)
        assert not isinstance(app.screen, TierPrompt)
    assert (await tiers(azurite, layout))["big.bin"] == "Hot"


# --- y / Y -------------------------------------------------------------------------------------

async def test_y_copies_the_name_and_Y_the_url_without_the_sas(azurite, profiles, layout):
    signature = account_sas(azurite).split("sig=")[1].split("&")[0]
    app, running = start(profiles, "sas")
    async with running as pilot:
        await settle(pilot)
        await open_rows(pilot, "p:a/")
        await cursor_to(pilot, "p:a/b/")
        await pilot.press("y")
        assert app.clipboard == "a/b/"
        assert "Copied the name: a/b/" in text_of(app, "#listing-status")
        await cursor_to(pilot, "b:a/two.bin")
        await pilot.press("Y")
        assert app.clipboard == f"{azurite.blob_endpoint}/{layout}/a/two.bin"
        assert "sig=" not in app.clipboard and signature not in app.clipboard and "?" not in app.clipboard
        assert "Copied the URL" in text_of(app, "#listing-status")


# --- v -----------------------------------------------------------------------------------------

@pytest.fixture
def pager(tmp_path, monkeypatch):
    """A $PAGER that writes the path and the content it was given to files."""
    seen = tmp_path / "seen"
    script = tmp_path / "pager.py"
    script.write_text("import shutil, stat, os, sys\n"
                      f"open({str(seen)!r} + '.path', 'w').write(sys.argv[1] + ' ' + "
                      "oct(stat.S_IMODE(os.stat(os.path.dirname(sys.argv[1])).st_mode)))\n"
                      f"shutil.copy(sys.argv[1], {str(seen)!r})\n")
    monkeypatch.setenv("PAGER", f"{sys.executable} {script}")
    return seen


async def test_v_opens_the_blob_in_the_pager_and_deletes_the_temp_file(profiles, layout, pager):
    app, running = start(profiles, "rw")
    async with running as pilot:
        await settle(pilot)
        await open_rows(pilot, "p:a/", "p:a/b/")
        await cursor_to(pilot, "b:a/b/one.txt")
        await pilot.press("v")
        await settle(pilot)
    assert pager.read_text() == ONE_TEXT
    path, mode = (pager.parent / "seen.path").read_text().rsplit(" ", 1)
    assert mode == oct(stat.S_IRWXU) and path.endswith("one.txt")
    assert not os.path.exists(path) and not os.path.exists(os.path.dirname(path))


async def test_v_refuses_a_blob_above_the_limit_and_an_archived_one(profiles, layout, pager, monkeypatch):
    monkeypatch.setenv("AZTUI_VIEW_MAX", "2KiB")
    notes: list = []
    app, running = start(profiles, "rw", notes)
    async with running as pilot:
        await settle(pilot)
        await cursor_to(pilot, "b:big.bin")
        await pilot.press("v")
        await settle(pilot)
        await cursor_to(pilot, "b:old.tar")
        await pilot.press("v")
        await settle(pilot)
    assert not pager.exists()
    said = messages(notes, "warning")
    assert any("more than the 2.0 KiB v opens" in m for m in said)
    assert any(m.startswith("Archived") for m in said)


# --- y / Y / v in the blob details screen ------------------------------------------------------

async def test_y_Y_and_v_work_in_the_blob_details_too(azurite, profiles, layout, pager):
    signature = account_sas(azurite).split("sig=")[1].split("&")[0]
    notes: list = []
    app, running = start(profiles, "sas", notes)
    async with running as pilot:
        await settle(pilot)
        await open_rows(pilot, "p:a/", "p:a/b/")
        await cursor_to(pilot, "b:a/b/one.txt")
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, BlobDetailsScreen)
        await pilot.press("y")
        assert app.clipboard == "a/b/one.txt"
        await pilot.press("Y")
        assert app.clipboard == f"{azurite.blob_endpoint}/{layout}/a/b/one.txt"
        assert "sig=" not in app.clipboard and signature not in app.clipboard and "?" not in app.clipboard
        assert any(m.startswith("Copied the URL") for m in messages(notes))
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, BlobDetailsScreen)  # still there after the pager
    assert pager.read_text() == ONE_TEXT
    path, mode = (pager.parent / "seen.path").read_text().rsplit(" ", 1)
    assert mode == oct(stat.S_IRWXU) and path.endswith("one.txt")
    assert not os.path.exists(os.path.dirname(path))
