"""Keyboard habits, driven by Pilot on the real app over the demo data in a private Azurite:
vi and arrow keys in every list, the cursor back on the row left, Esc, Tab, marks, sorting,
remapping by binding id, and the footer and help at 80×24.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from textual.widgets import DataTable

from aztui.azure.blobs import BlobStore
from aztui.demo.azurite import start_azurite
from aztui.demo.run import demo_profiles_toml, seed_demo_data
from aztui.profiles.file import load_profiles
from tests.support.pilot import cursor_to, messages, settle, start, text_of, write_profiles_file

SMALL = (80, 24)


@pytest.fixture(autouse=True)
def journals_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    """The demo's profiles file over its own Azurite seeded with the demo data (150 blobs), and a
    container `many` of 60 blobs."""
    server = start_azurite()
    path = write_profiles_file(tmp_path_factory.mktemp("habits") / "profiles.toml", demo_profiles_toml(server))
    demo = load_profiles(path, environ={}).get("demo")
    asyncio.run(seed_demo_data(demo, blobs=150, say=lambda _: None))

    async def many_rows() -> None:
        async with BlobStore(demo) as store:
            await store.create_container("many")
            for i in range(60):
                await store.upload_blob("many", f"row-{i:02d}.txt", b"x" * (i % 7))

    asyncio.run(many_rows())
    yield path
    server.stop()


def with_keymap(path, tmp_path, keymap: str):
    text = path.read_text().replace('default_profile = "demo"\n', f'default_profile = "demo"\n\n[keymap]\n{keymap}\n')
    return write_profiles_file(tmp_path / "keymap.toml", text)


def listing(app) -> DataTable:
    return app.query_one("#listing", DataTable)


def row_key(table: DataTable) -> str:
    return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value


def crumbs(app) -> str:
    return text_of(app, "#breadcrumbs")


async def open_container(pilot, name: str) -> None:
    await cursor_to(pilot, f"c:{name}")
    await pilot.press("l")
    await settle(pilot)


# --- moving ----------------------------------------------------------------------------------


async def test_vi_keys_home_end_and_half_pages_move_the_cursor(demo_file):
    app, running = start(demo_file, "demo", size=SMALL)
    async with running as pilot:
        await settle(pilot)
        await open_container(pilot, "many")
        table = listing(app)
        assert table.row_count > 20
        for keys, row in ((("j", "j"), 2), (("k",), 1), (("G",), table.row_count - 1), (("g",), 0),
                          (("end",), table.row_count - 1), (("home",), 0), (("down",), 1), (("up",), 0)):
            await pilot.press(*keys)
            await pilot.pause()
            assert table.cursor_row == row, keys
        await pilot.press("ctrl+d")
        await pilot.pause()
        half = table.cursor_row
        assert 3 <= half < table.row_count - 1  # half of the ~16 visible rows
        await pilot.press("ctrl+d", "ctrl+u")
        await pilot.pause()
        assert table.cursor_row == half
        await pilot.press("ctrl+u")
        await pilot.pause()
        assert table.cursor_row == 0


async def test_the_profile_picker_answers_to_the_vi_keys_too(demo_file):
    from textual.widgets import OptionList

    app, running = start(demo_file, "demo", size=SMALL)
    async with running as pilot:
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        names = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert options.highlighted == names.index("demo")
        for key, index in (("j", names.index("demo") + 1), ("k", names.index("demo")),
                           ("G", options.option_count - 1), ("g", 0)):
            await pilot.press(key)
            await pilot.pause()
            assert options.highlighted == index, key
        await pilot.press("j", "enter")  # j then Enter opens the profile j reached
        await settle(pilot)
        assert app.profile.name == names[1]


@pytest.mark.parametrize(("open_key", "up_key"), [("l", "h"), ("right", "left"), ("enter", "backspace")])
async def test_open_and_up_keys_come_back_to_the_row_left(demo_file, open_key, up_key):
    app, running = start(demo_file, "demo", size=SMALL)
    async with running as pilot:
        await settle(pilot)
        await cursor_to(pilot, "c:registry")
        await pilot.press(open_key)
        await settle(pilot)
        assert crumbs(app) == "devstoreaccount1 › registry"
        await cursor_to(pilot, "p:docker/")
        await pilot.press(open_key)
        await settle(pilot)
        assert crumbs(app).endswith("› docker/")
        await pilot.press(up_key)
        await settle(pilot)
        assert crumbs(app) == "devstoreaccount1 › registry"
        assert row_key(listing(app)) == "p:docker/"
        await pilot.press(up_key)
        await settle(pilot)
        assert crumbs(app) == "devstoreaccount1"
        assert row_key(listing(app)) == "c:registry"


async def test_up_from_a_folder_opened_out_of_search_results_goes_back_to_the_results(demo_file):
    app, running = start(demo_file, "demo", size=SMALL)
    async with running as pilot:
        await settle(pilot)
        await open_container(pilot, "registry")
        await cursor_to(pilot, "p:docker/")
        await open_rows_by(pilot, "p:docker/")
        await open_rows_by(pilot, "p:docker/registry/")
        await open_rows_by(pilot, "p:docker/registry/v2/")
        await pilot.press("s", *"rep", "enter")
        await settle(pilot)
        assert "search: rep*" in crumbs(app)
        assert row_key(listing(app)) == "p:docker/registry/v2/repositories/"
        await pilot.press("l")
        await settle(pilot)
        assert crumbs(app).endswith("› repositories/")
        await pilot.press("h")
        await settle(pilot)
        assert "search: rep*" in crumbs(app)  # the results, not their parent
        assert row_key(listing(app)) == "p:docker/registry/v2/repositories/"
        await pilot.press("escape")  # leaves the results: the folder they were searched in
        await settle(pilot)
        assert crumbs(app).endswith("› v2/") and "search" not in crumbs(app)


async def open_rows_by(pilot, key: str) -> None:
    await cursor_to(pilot, key)
    await pilot.press("enter")
    await settle(pilot)


async def test_esc_clears_the_filter_first_then_goes_up(demo_file):
    app, running = start(demo_file, "demo", size=SMALL)
    async with running as pilot:
        await settle(pilot)
        await open_container(pilot, "web-assets")
        table = listing(app)
        everything = table.row_count
        await pilot.press("slash", *"css", "enter")
        await pilot.pause()
        assert table.row_count < everything
        await pilot.press("escape")
        await pilot.pause()
        assert table.row_count == everything and crumbs(app).endswith("› web-assets")
        await pilot.press("escape")
        await settle(pilot)
        assert crumbs(app) == "devstoreaccount1"
        assert row_key(listing(app)) == "c:web-assets"


async def test_registry_and_cache_panes_keep_the_row_left(demo_file):
    app, running = start(demo_file, "demo-registry", size=SMALL)
    async with running as pilot:
        await settle(pilot)
        assert app.query_one("#panes").active == "registry-pane"  # the pane of the profile's kind
        repositories = app.query_one("#registry-repositories", DataTable)
        await pilot.press("G")
        await pilot.pause()
        last = row_key(repositories)
        await pilot.press("l")
        await settle(pilot)
        assert app.registry.repository == last
        await pilot.press("escape")
        await settle(pilot)
        assert app.registry.repository is None and row_key(repositories) == last

        app.activate("demo-cache")  # as the picker does
        await settle(pilot)
        assert app.query_one("#panes").active == "cache-pane"
        table = app.query_one("#cache-table", DataTable)
        await pilot.press("j")
        await pilot.pause()
        name = row_key(table)
        await pilot.press("right")
        await pilot.pause()
        assert app.cache.view == "layers"
        await pilot.press("left")
        await pilot.pause()
        assert app.cache.view == "names" and row_key(table) == name


async def test_tab_in_a_repository_cycles_tags_and_manifests_and_keeps_the_pane_keys(demo_file):
    app, running = start(demo_file, "demo-registry", size=SMALL)
    async with running as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        tags, manifests = app.registry.tags_table, app.registry.manifests_table
        assert app.focused is manifests
        seen = []
        for _ in range(4):
            await pilot.press("tab")
            await pilot.pause()
            seen.append(app.focused)
            assert "Repositories" in bottom_line(app)  # the pane's keys stay in the footer
        assert seen == [tags, manifests, tags, manifests]


# --- remapping -------------------------------------------------------------------------------


async def test_cursor_open_and_up_keys_are_remapped_by_id(demo_file, tmp_path):
    path = with_keymap(demo_file, tmp_path, 'cursor-down = "ctrl+n"\nopen = "o"\nup = "b"')
    app, running = start(path, "demo", size=SMALL)
    async with running as pilot:
        await settle(pilot)
        table = listing(app)
        await pilot.press("j")
        await pilot.pause()
        assert table.cursor_row == 0  # j is no longer cursor-down
        await pilot.press("ctrl+n", "ctrl+n")
        await pilot.pause()
        assert table.cursor_row == 2
        key = row_key(table)
        await pilot.press("o")
        await settle(pilot)
        assert crumbs(app) == f"devstoreaccount1 › {key[2:]}"
        await pilot.press("b")
        await settle(pilot)
        assert row_key(listing(app)) == key


async def test_help_lists_the_list_keys_by_id(demo_file):
    from aztui.ui.screens.help import HelpScreen

    app, running = start(demo_file, "demo", size=(120, 40))
    async with running as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table", DataTable)
        rows = {row[2]: row for row in ([c.plain for c in table.get_row_at(i)] for i in range(table.row_count))}
        for binding_id, keys in (("cursor-down", "↓, j"), ("cursor-top", "home, g, ^home"),
                                 ("half-page-down", "^d")):
            assert rows[binding_id][0].lower() == keys.lower(), rows[binding_id]
        assert "l" in rows["open"][0] and "h" in rows["up"][0]


# --- 80×24 -----------------------------------------------------------------------------------


def assert_whole_keys(app) -> None:
    """The footer shows whole keys from the left, none cut mid-word, and some are left out."""
    from textual.widgets._footer import FooterKey

    keys = list(app.screen.query("#footer-keys").first().query(FooterKey))
    shown = [str(key.render()).strip() for key in keys if key.display]
    left = bottom_line(app).split("? Help")[0].strip()
    assert left == " ".join(shown) and 0 < len(shown) < len(keys), (left, shown)


def bottom_line(app) -> str:
    """The last line of the screen, as text."""
    return screen_lines(app)[-1]


def screen_lines(app) -> list[str]:
    """The screen as the terminal shows it, one string per line."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


# --- marks and read-only --------------------------------------------------------------------


def status(app) -> str:
    return text_of(app, "#listing-status")


async def test_marks_survive_folder_changes_and_mark_all_clear_invert(demo_file):
    app, running = start(demo_file, "demo", size=SMALL)
    async with running as pilot:
        await settle(pilot)
        await open_container(pilot, "web-assets")
        await cursor_to(pilot, "b:about.html")
        await pilot.press("space")
        await open_rows_by(pilot, "p:css/")
        assert "1 marked in this container" in status(app)
        await pilot.press("plus")  # mark all in css/
        await pilot.pause()
        in_css = listing(app).row_count
        assert f"{1 + in_css} marked in this container" in status(app)
        await pilot.press("h")
        await settle(pilot)
        assert f"{1 + in_css} marked" in status(app)
        assert listing(app).get_row("b:about.html")[0].plain == "●"  # the mark is shown again
        await pilot.press("asterisk")  # invert here: about.html unmarked, the others marked
        await pilot.pause()
        rows = listing(app).row_count
        assert f"{rows - 1 + in_css} marked" in status(app)
        assert listing(app).get_row("b:about.html")[0].plain == ""
        await pilot.press("minus")
        await pilot.pause()
        assert "marked" not in status(app)


async def test_destructive_keys_on_a_read_only_profile_say_so(demo_file):
    notes: list = []
    app, running = start(demo_file, "demo-readonly", notes, size=SMALL)
    async with running as pilot:
        await settle(pilot)
        await open_container(pilot, "web-assets")
        for key in ("space", "x", "plus"):
            await pilot.press(key)
            await pilot.pause()
        said = [m for m in messages(notes, "warning") if m.startswith("Read-only profile")]
        assert len(said) == 3, messages(notes)
        assert "marked" not in status(app)
        assert "Delete" not in bottom_line(app)  # still hidden


# --- sorting -------------------------------------------------------------------------------


def header(table: DataTable) -> list[str]:
    return [c.label.plain for c in table.columns.values()]


async def test_sort_is_per_folder_and_marked_in_the_header(demo_file):
    app, running = start(demo_file, "demo", size=(120, 36))
    async with running as pilot:
        await settle(pilot)
        await open_container(pilot, "many")
        await pilot.press("z")
        await pilot.pause()
        assert "Size ▼" in header(listing(app))
        await pilot.press("z")
        await pilot.pause()
        assert "Size ▲" in header(listing(app))
        sizes = [listing(app).get_row_at(i)[2].plain for i in range(3)]
        assert sizes == ["0 B", "0 B", "0 B"]
        await pilot.press("h")
        await settle(pilot)
        assert header(listing(app))[0] == "Container"  # no sort carried over to the containers
        await open_container(pilot, "web-assets")
        assert not [label for label in header(listing(app)) if label[-1] in "▲▼"]
        await pilot.press("h")
        await settle(pilot)
        await open_container(pilot, "many")
        assert "Size ▲" in header(listing(app))  # the folder's own sort comes back


# --- 80×24 ------------------------------------------------------------------------------------


async def test_at_80x24_the_footers_keep_help_and_quit_and_help_wraps(demo_file):
    app, running = start(demo_file, "demo", size=SMALL)
    async with running as pilot:
        await settle(pilot)
        await open_container(pilot, "web-assets")
        line = bottom_line(app)
        assert "? Help" in line and "q Quit" in line, line
        assert "Delete" in line and "Open" in line, line
        assert_whole_keys(app)
        app.activate("demo-cache")
        await settle(pilot)
        line = bottom_line(app)
        assert "? Help" in line and "q Quit" in line and "GC" in line, line
        assert_whole_keys(app)

        await pilot.press("question_mark")
        await settle(pilot)
        table = app.screen.query_one("#help-table", DataTable)
        text = "\n".join(screen_lines(app))
        assert "What it does" in text
        tall = [row for row in table.ordered_rows if row.height > 1]
        assert tall  # long descriptions wrap instead of being cut
        assert max(col.get_render_width(table) for col in table.columns.values()) < 80


def test_the_keymap_catalog_of_profiles_validate_is_the_apps_bindings():
    """`aztui.profiles.keymap.PLACES` (no Textual there) must list every binding id the app has."""
    from aztui.profiles.keymap import PLACES
    from aztui.ui.app import AztuiApp
    from aztui.ui.screens.help import HelpScreen

    app = AztuiApp.__new__(AztuiApp)  # binding_lists reads classes only
    actual = {}
    for place, bindings in [*AztuiApp.binding_lists(app), ("Help", HelpScreen.BINDINGS)]:
        ids: dict[str, list[str]] = {}
        for binding in bindings:
            if binding.id:
                ids.setdefault(binding.id, []).append(binding.key)
        actual[place] = {binding_id: ",".join(keys) for binding_id, keys in ids.items()}
    assert actual == PLACES


def on_screen(app, widget) -> bool:
    """The whole widget is inside the terminal (and its dialog)."""
    region = widget.region
    return region.height > 0 and region.y >= 0 and region.bottom <= app.size.height and region.right <= app.size.width


async def test_at_80x24_tables_give_up_low_priority_columns_and_dialogs_keep_their_buttons(demo_file):
    from textual.widgets import Button, Input

    app, running = start(demo_file, "demo-cache", size=SMALL)
    async with running as pilot:
        await settle(pilot)
        table = app.query_one("#cache-table", DataTable)
        await pilot.press("enter")  # the layers of the first name: a 71-character digest per row
        await settle(pilot)
        assert set(table.hidden_columns) == {"Also used by", "Size", "Uploaded"}
        assert "sha256:" in screen_lines(app)[7] and len(screen_lines(app)[7].rstrip()) <= 80
        await pilot.press("escape")
        await settle(pilot)
        assert "Last export" in header(table) and "Last export" not in table.hidden_columns

        await pilot.press("x")
        await settle(pilot)
        app.screen.query_one("#policy-max-age", Input).value = "not a duration"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one("#policy-error").display
        for button in app.screen.query(Button):
            assert on_screen(app, button), button

        await pilot.press("escape")
        app.activate("demo-registry")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        manifests = app.registry.manifests_table
        assert "Tags" not in manifests.hidden_columns and "Media type" in manifests.hidden_columns
        assert any("untagged" in line for line in screen_lines(app))
    app, running = start(demo_file, "demo-cache", size=(140, 36))
    async with running as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.query_one("#cache-table", DataTable).hidden_columns == ["Also used by"]
        assert any(re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d\s*$", line.rstrip("▌ ")) for line in screen_lines(app))


async def test_the_doctor_lines_up_durations_and_details(demo_file):
    app, running = start(demo_file, "demo", size=SMALL)
    async with running as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        steps = [line for line in screen_lines(app) if re.search(r"\d ms", line)]
        assert len(steps) >= 4
        columns = {line.index(" ms") for line in steps}
        assert len(columns) == 1  # the durations end in one column
        for line in steps:
            after = line[line.index(" ms") + 3:]
            assert after.startswith("  ") or not after.strip(), line  # never "435 ms127.0.0.1"
