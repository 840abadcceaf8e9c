"""The Containers pane driven by Pilot against a real Azurite: every action, end to end."""

from __future__ import annotations

import pytest
from textual.widgets import Button, DataTable, Input, Static

from aztui.azure.blobs import BlobStore
from aztui.ui.commands import ActionsProvider
from aztui.ui.screens.blob_details import BlobDetailsScreen
from aztui.ui.screens.dialogs import Confirm, DeleteReportScreen, DeleteReview, PathPrompt, UsageReport
from aztui.ui.screens.help import HelpScreen
from tests.support.pilot import cursor_to, messages, open_rows, settle, setup_profile, start, text_of
from tests.support.profiles_toml import account_profiles

TOP = [f"top-{i:02d}.txt" for i in range(12)]  # 12 blobs at the top level, sizes 1..12 bytes
ONE_TEXT = "hello from one.txt\nsecond line [bold]not markup[/bold]\n"


pytestmark = pytest.mark.usefixtures("journals_in_tmp")


@pytest.fixture
async def layout(azurite, fill_container):
    """a/b/one.txt (text, metadata, tag), a/two.bin (binary, Cool), top-00..11.txt, [x]/y.txt."""
    container = await fill_container({
        "a/b/one.txt": (ONE_TEXT.encode(), {"content_type": "text/plain",
                                           "metadata": {"owner": "[red]data-eng[/red]"}, "tier": "Hot"}),
        "a/two.bin": (bytes(range(256)) * 4, {"tier": "Cool"}),
        **{name: (b"x" * size, {"tier": "Hot"}) for size, name in enumerate(TOP, 1)},
        "[x]/y.txt": b"y"})
    async with BlobStore(setup_profile(azurite)) as store:
        blob = store.service.get_container_client(container).get_blob_client("a/b/one.txt")
        await blob.set_blob_tags({"team": "platform"})
    return container


@pytest.fixture
def profiles(azurite, write_profiles, layout):
    return write_profiles(account_profiles(azurite, rw=layout, ro=layout,
                                           prod={"container": layout, "protected": True},
                                           scoped={"container": layout, "prefix": "a"}))


def names(app) -> list[str]:
    """The Name (or Container) column of the listing, as shown."""
    table = app.query_one("#listing", DataTable)
    labels = [key.value for key in table.columns]  # the labels may carry the sort's ▲/▼
    column = labels.index("Container") if "Container" in labels else labels.index("Name")
    return [table.get_row_at(i)[column].plain for i in range(table.row_count)]


def status(app) -> str:
    return text_of(app, "#listing-status")


def crumbs(app) -> str:
    return text_of(app, "#breadcrumbs")


async def blob_names(azurite, container: str) -> set[str]:
    async with BlobStore(setup_profile(azurite)) as store:
        return {b.name async for b in store.iter_blobs(container)}


# --- navigation ------------------------------------------------------------------------------


@pytest.mark.slow
async def test_enter_and_backspace_walk_folders_with_breadcrumbs(profiles, layout):
    app, running = start(profiles, "account")
    async with running as pilot:
        await settle(pilot)
        assert layout in names(app)
        assert crumbs(app) == "devstoreaccount1"
        await open_rows(pilot, f"c:{layout}")
        assert crumbs(app) == f"devstoreaccount1 › {layout}"
        assert {"a/", "[x]/", "top-00.txt"} <= set(names(app))
        await open_rows(pilot, "p:a/")
        assert crumbs(app) == f"devstoreaccount1 › {layout} › a/"
        assert names(app) == ["b/", "two.bin"]  # shown relative to the folder
        await open_rows(pilot, "p:a/b/")
        assert crumbs(app) == f"devstoreaccount1 › {layout} › a/ › b/"
        assert names(app) == ["one.txt"]
        await pilot.press("backspace")
        await settle(pilot)
        assert names(app) == ["b/", "two.bin"]
        await pilot.press("backspace", "backspace")
        await settle(pilot)
        assert crumbs(app) == "devstoreaccount1"
        assert layout in names(app)


@pytest.mark.slow
async def test_markup_in_folder_names_is_shown_literally(profiles, layout):
    app, running = start(profiles, "rw")
    async with running as pilot:
        await settle(pilot)
        assert "[x]/" in names(app)
        await open_rows(pilot, "p:[x]/")
        assert crumbs(app).endswith("› [x]/")
        assert names(app) == ["y.txt"]


async def test_a_profile_with_a_prefix_opens_there_and_stays_inside(profiles, layout):
    app, running = start(profiles, "scoped")
    async with running as pilot:
        await settle(pilot)
        assert crumbs(app) == f"devstoreaccount1 › {layout} › a/"
        assert names(app) == ["b/", "two.bin"]
        await pilot.press("backspace")
        await settle(pilot)
        assert crumbs(app) == f"devstoreaccount1 › {layout} › a/"


@pytest.mark.slow
async def test_s_searches_names_by_prefix_on_the_server(profiles, layout):
    app, running = start(profiles, "rw")
    async with running as pilot:
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        assert app.focused.id == "search"
        await pilot.press(*"top-1", "enter")
        await settle(pilot)
        assert names(app) == ["top-10.txt", "top-11.txt"]
        assert "search: top-1*" in crumbs(app)
        await pilot.press("escape")  # leaves the search
        await settle(pilot)
        assert "a/" in names(app) and len(names(app)) == 14


@pytest.mark.slow
async def test_slash_filters_loaded_rows_and_escape_clears(profiles, layout):
    app, running = start(profiles, "rw")
    async with running as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"p-0")
        await pilot.pause()
        assert names(app) == [f"top-0{i}.txt" for i in range(10)]
        assert "10 of 14 rows match 'p-0'" in status(app)
        await pilot.press("escape")
        await pilot.pause()
        assert len(names(app)) == 14
        assert not app.query_one("#filter").display


async def test_sort_by_size_and_modified_and_toggle(profiles, layout):
    app, running = start(profiles, "rw")
    async with running as pilot:
        await settle(pilot)
        await pilot.press("z")
        await pilot.pause()
        shown = names(app)
        assert shown[:3] == ["top-11.txt", "top-10.txt", "top-09.txt"]  # largest first
        assert "sorted by size ↓" in status(app)
        await pilot.press("z")
        await pilot.pause()
        assert names(app)[-1] == "top-11.txt"
        await pilot.press("n")
        await pilot.pause()
        assert names(app) == sorted(names(app))
        await pilot.press("m")
        await pilot.pause()
        assert names(app)[0] == "[x]/" or "sorted by last modified" in status(app)
        assert "sorted by last modified ↓" in status(app)


# --- pages -----------------------------------------------------------------------------------


async def test_pages_load_lazily_and_sort_says_when_rows_are_missing(profiles, layout):
    app, running = start(profiles, "rw", page_size=5)
    async with running as pilot:
        await settle(pilot)
        assert len(names(app)) == 5
        assert "more on the server" in status(app)
        await pilot.press("z")
        await pilot.pause()
        assert "only the 5 loaded rows are sorted" in status(app) and "L loads all" in status(app)
        await pilot.press("L")
        await settle(pilot)
        assert len(names(app)) == 14
        assert "more on the server" not in status(app)
        assert names(app)[0] == "top-11.txt"  # the sort holds over every page


async def test_scrolling_to_the_end_fetches_the_next_page(profiles, layout):
    app, running = start(profiles, "rw", page_size=5)
    async with running as pilot:
        await settle(pilot)
        assert len(names(app)) == 5
        await pilot.press("ctrl+end")  # the cursor to the last loaded row
        await settle(pilot)
        assert len(names(app)) == 10
        assert "more on the server" in status(app)
        for _ in range(3):
            await pilot.press("ctrl+end")
            await settle(pilot)
        assert len(names(app)) == 14
        assert "more on the server" not in status(app)


async def test_rows_kept_are_capped_with_a_notice(profiles, layout):
    notes: list = []
    app, running = start(profiles, "rw", notes, page_size=5, max_rows=7)
    async with running as pilot:
        await settle(pilot)
        await pilot.press("L")
        await settle(pilot)
        assert len(names(app)) == 7
        assert "capped at 7 rows" in status(app)
        assert any("first 7 rows" in n.notification.message for n in notes)


# --- details, preview, download --------------------------------------------------------------


async def open_one_txt(pilot) -> BlobDetailsScreen:
    await open_rows(pilot, "p:a/", "p:a/b/", "b:a/b/one.txt")
    assert isinstance(pilot.app.screen, BlobDetailsScreen)
    return pilot.app.screen


def properties(screen) -> dict[str, str]:
    table = screen.query_one("#properties", DataTable)
    return {table.get_row_at(i)[0].plain: table.get_row_at(i)[1].plain for i in range(table.row_count)}


@pytest.mark.slow
async def test_details_show_properties_metadata_tags_and_a_text_preview(profiles, layout):
    app, running = start(profiles, "rw")
    async with running as pilot:
        await settle(pilot)
        screen = await open_one_txt(pilot)
        props = properties(screen)
        assert props["Name"] == "a/b/one.txt"
        assert props["Tier"].startswith("Hot")
        assert props["Content type"] == "text/plain"
        assert props["metadata: owner"] == "[red]data-eng[/red]"
        assert props["tag: team"] == "platform"
        assert props["Blob type"] == "BlockBlob"
        assert "Lease" in props
        preview = screen.query_one("#preview", Static).render()
        assert preview.plain == ONE_TEXT  # plain text: the markup-like line stays literal
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, BlobDetailsScreen)


@pytest.mark.slow
async def test_binary_blobs_preview_as_hex(profiles, layout):
    app, running = start(profiles, "rw")
    async with running as pilot:
        await settle(pilot)
        await open_rows(pilot, "p:a/")
        await cursor_to(pilot, "b:a/two.bin")
        await pilot.press("i")
        await settle(pilot)
        preview = app.screen.query_one("#preview", Static).render().plain
        assert preview.startswith("binary, 1,024 bytes")
        assert "00000000  00 01 02 03" in preview
        assert properties(app.screen)["Tier"].startswith("Cool")


@pytest.mark.slow
async def test_download_writes_the_file_and_asks_before_overwriting(profiles, layout, tmp_path):
    app, running = start(profiles, "rw")
    async with running as pilot:
        await settle(pilot)
        await open_one_txt(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, PathPrompt)
        field = app.screen.query_one("#path", Input)
        assert field.value == "./one.txt"
        target = tmp_path / "out.txt"
        field.value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert target.read_text() == ONE_TEXT
        target.write_text("old")
        await pilot.press("d")
        await pilot.pause()
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        assert target.read_text() == "old"  # nothing written before the answer
        await pilot.click("#yes")
        await settle(pilot)
        assert target.read_text() == ONE_TEXT


@pytest.mark.slow
async def test_a_blob_changed_since_it_was_listed_is_not_shown_or_downloaded(azurite, profiles, layout,
                                                                            tmp_path):
    """Details, preview and download read the blob the row shows (its listed ETag), nothing newer."""
    notes: list = []
    app, running = start(profiles, "rw", notes)
    async with running as pilot:
        await settle(pilot)
        await open_rows(pilot, "p:a/", "p:a/b/")
        async with BlobStore(setup_profile(azurite)) as store:
            await store.upload_blob(layout, "a/b/one.txt", b"rewritten after the listing", overwrite=True)
        await open_rows(pilot, "b:a/b/one.txt")
        assert any("Changed since listed" in n for n in messages(notes))
        assert "rewritten" not in app.screen.query_one("#preview", Static).render().plain
        await pilot.press("d")
        await pilot.pause()
        target = tmp_path / "out.txt"
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert not target.exists() and not list(tmp_path.glob(".out.txt.*"))
        await pilot.press("escape", "r")
        await settle(pilot)
        await open_rows(pilot, "b:a/b/one.txt")  # reloaded: the new ETag, the new content
        assert app.screen.query_one("#preview", Static).render().plain == "rewritten after the listing"


# --- delete ----------------------------------------------------------------------------------


async def confirm_review(pilot) -> None:
    assert isinstance(pilot.app.screen, DeleteReview)
    await pilot.click("#confirm")
    await settle(pilot)


@pytest.mark.slow
async def test_delete_the_current_blob(azurite, profiles, layout):
    app, running = start(profiles, "rw")
    async with running as pilot:
        await settle(pilot)
        await cursor_to(pilot, "b:top-03.txt")
        await pilot.press("x")
        await settle(pilot)
        review = app.screen
        assert isinstance(review, DeleteReview)
        assert "Delete 1 blob (4 B)?" in text_of(app, "#review-title")
        assert "top-03.txt" in text_of(app, "#review-names")
        await confirm_review(pilot)
        assert isinstance(app.screen, DeleteReportScreen)
        assert len(app.screen.report.deleted) == 1
        await pilot.press("escape")
        await settle(pilot)
        assert "top-03.txt" not in names(app)
    assert "top-03.txt" not in await blob_names(azurite, layout)


@pytest.mark.slow
async def test_bulk_delete_skips_a_blob_changed_after_the_plan(azurite, profiles, layout):
    app, running = start(profiles, "rw")
    async with running as pilot:
        await settle(pilot)
        await cursor_to(pilot, "b:top-00.txt")
        await pilot.press("space", "space", "space")  # marks top-00, top-01, top-02
        await pilot.pause()
        assert "3 marked" in status(app)
        assert [app.query_one("#listing", DataTable).get_cell(f"b:top-0{i}.txt", "✓").plain
                for i in range(4)] == ["●", "●", "●", ""]
        await pilot.press("x")
        await settle(pilot)
        assert "Delete 3 blobs" in text_of(app, "#review-title")
        async with BlobStore(setup_profile(azurite)) as store:  # someone rewrites one meanwhile
            await store.upload_blob(layout, "top-01.txt", b"rewritten", overwrite=True)
        await confirm_review(pilot)
        report = app.screen.report
        assert sorted(o.name for o in report.deleted) == ["top-00.txt", "top-02.txt"]
        assert [o.name for o in report.skipped] == ["top-01.txt"]
        summary = text_of(app, "#report-summary")
        assert "1 skipped, changed since the plan" in summary and "top-01.txt" in summary
    async with BlobStore(setup_profile(azurite)) as store:
        assert await store.read_blob(layout, "top-01.txt") == b"rewritten"
    left = await blob_names(azurite, layout)
    assert "top-00.txt" not in left and "top-02.txt" not in left


@pytest.mark.slow
async def test_delete_a_virtual_folder(azurite, profiles, layout):
    app, running = start(profiles, "rw")
    async with running as pilot:
        await settle(pilot)
        await cursor_to(pilot, "p:a/")
        await pilot.press("delete")
        await settle(pilot)
        assert "Delete 2 blobs" in text_of(app, "#review-title")
        await confirm_review(pilot)
        assert len(app.screen.report.deleted) == 2
        await pilot.press("escape")
        await settle(pilot)
        assert "a/" not in names(app)
    assert not {n for n in await blob_names(azurite, layout) if n.startswith("a/")}


@pytest.mark.slow
async def test_cancelling_the_review_deletes_nothing(azurite, profiles, layout):
    before = await blob_names(azurite, layout)
    app, running = start(profiles, "rw")
    async with running as pilot:
        await settle(pilot)
        await cursor_to(pilot, "p:a/")
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, DeleteReview)
    assert await blob_names(azurite, layout) == before


@pytest.mark.slow
async def test_protected_profile_requires_typing_its_name(azurite, profiles, layout):
    app, running = start(profiles, "prod")
    async with running as pilot:
        await settle(pilot)
        assert app.query_one("#protected-badge").display
        assert app.has_class("-protected")
        await cursor_to(pilot, "b:top-05.txt")
        await pilot.press("x")
        await settle(pilot)
        confirm = app.screen.query_one("#confirm", Button)
        assert confirm.disabled
        await pilot.press(*"pro")
        await pilot.pause()
        assert confirm.disabled
        await pilot.press("d")
        await pilot.pause()
        assert not confirm.disabled
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DeleteReportScreen)
    assert "top-05.txt" not in await blob_names(azurite, layout)


async def test_read_only_profile_hides_and_refuses_delete(azurite, profiles, layout, monkeypatch):
    before = await blob_names(azurite, layout)
    app, running = start(profiles, "ro")
    async with running as pilot:
        await settle(pilot)
        bindings = {b.binding.id for b in app.screen.active_bindings.values()}
        assert "delete" not in bindings and "mark" not in bindings
        assert "usage" in bindings  # reading is still allowed
        footer = " ".join(str(w.render()) for w in app.query("FooterKey"))
        assert "Delete" not in footer and "Size" in footer
        titles = [title for title, _, _ in ActionsProvider(app.screen)._actions()]
        assert not [t for t in titles if t.startswith("Delete")]
        await cursor_to(pilot, "b:top-00.txt")
        await pilot.press("space", "x", "delete")
        await settle(pilot)
        assert not isinstance(app.screen, DeleteReview)
        # the action method itself (run_action would stop at check_action): refuses before planning
        planned: list = []
        monkeypatch.setattr(app.containers, "_plan", lambda *args: planned.append(args))
        app.containers.action_delete()
        await settle(pilot)
        assert not planned and not app.containers.work_bar.display
        assert not isinstance(app.screen, DeleteReview)
    assert await blob_names(azurite, layout) == before


# --- du ----------------------------------------------------------------------------------------


@pytest.mark.slow
async def test_u_measures_a_folder_with_bytes_per_tier(profiles, layout):
    app, running = start(profiles, "rw")
    async with running as pilot:
        await settle(pilot)
        await cursor_to(pilot, "p:a/")
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, UsageReport)
        usage = app.screen.usage
        assert (usage.blobs, usage.bytes) == (2, len(ONE_TEXT) + 1024)
        assert usage.bytes_by_tier == {"Hot": len(ONE_TEXT), "Cool": 1024}
        table = app.screen.query_one("#usage-table", DataTable)
        assert table.get_row("Cool")[2].plain == "1,024"
        await pilot.press("escape")
        await pilot.pause()
        await cursor_to(pilot, "b:top-00.txt")  # on a blob: the current folder, the whole container
        await pilot.press("u")
        await settle(pilot)
        assert app.screen.usage.blobs == 15


@pytest.mark.slow
async def test_u_on_the_container_list_measures_that_container(profiles, layout):
    app, running = start(profiles, "account")
    async with running as pilot:
        await settle(pilot)
        await cursor_to(pilot, f"c:{layout}")
        await pilot.press("u")
        await settle(pilot)
        assert app.screen.usage.container == layout and app.screen.usage.blobs == 15


# --- shell -------------------------------------------------------------------------------------


@pytest.mark.slow
async def test_panes_switch_by_key(profiles):
    app, running = start(profiles, "rw")
    async with running as pilot:
        await settle(pilot)
        await pilot.press("2")
        await pilot.pause()
        assert app.query_one("#panes").active == "registry-pane"
        await pilot.press("3")
        await pilot.pause()
        assert app.query_one("#panes").active == "cache-pane"
        await pilot.press("1")
        await pilot.pause()
        assert app.query_one("#panes").active == "containers-pane"


@pytest.mark.slow
async def test_help_lists_every_binding_with_the_keymap_applied(azurite, write_profiles, layout):
    path = write_profiles(f"""
        [keymap]
        usage = "U"

        [profiles.rw]
        connection_string = "{azurite.connection_string}"
        container = "{layout}"
        """)
    app, running = start(path, "rw")
    async with running as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table", DataTable)
        rows = [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]
        ids = {row[2] for row in rows}
        assert {"open", "up", "filter", "search", "sort-size", "load-all", "details", "usage", "mark",
                "delete", "cancel", "profiles", "help", "pane-registry", "download"} <= ids
        assert ["U", "Size", "usage"] == [row for row in rows if row[2] == "usage"][0][:3]
        await pilot.press("escape")
        await pilot.pause()
        await cursor_to(pilot, "p:a/")
        await pilot.press("U")
        await settle(pilot)
        assert isinstance(app.screen, UsageReport)


@pytest.mark.slow
async def test_the_palette_offers_the_actions_with_their_descriptions(profiles, layout):
    app, running = start(profiles, "rw")
    async with running as pilot:
        await settle(pilot)
        actions = {title: help_text for title, help_text, _ in ActionsProvider(app.screen)._actions()}
        assert "Delete (x)" in actions and "Size (u)" in actions
        assert actions["Filter (/)"] == "Filter the loaded rows"
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"load all")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert not app.screen.is_modal


async def test_escape_cancels_a_running_size_scan(profiles, layout, monkeypatch):
    import asyncio

    import aztui.blobs.usage as usage_module

    real = usage_module.measure_usage

    async def slow(*args, **kwargs):  # the folder is one page: the scan must still run when Esc comes
        await asyncio.sleep(30)
        return await real(*args, **kwargs)

    monkeypatch.setattr(usage_module, "measure_usage", slow)
    notes: list = []
    app, running = start(profiles, "rw", notes)
    async with running as pilot:
        await settle(pilot)
        app.containers.action_usage()
        assert app.query_one("#work").display
        await pilot.press("escape")
        await settle(pilot)
        assert not app.query_one("#work").display
        assert any(n.notification.message == "Cancelled." for n in notes)
        assert not isinstance(app.screen, UsageReport)
