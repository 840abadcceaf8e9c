"""The app shell driven by Pilot against a real Azurite, with a profiles file as the only input."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.widgets import DataTable, OptionList

from aztui.demo.azurite import free_port
from aztui.profiles.file import load_profiles
from aztui.ui.app import AztuiApp, create_app
from aztui.ui.panes.containers import ContainersView
from aztui.ui.screens.profile_picker import ProfilePicker
from tests.support.pilot import settle, setup_profile, start

MARKUP_NAME = "[bold red]x"  # no "/": it stays a blob at the top level, not a virtual folder
SIZE = (120, 36)


@pytest.fixture
def profiles_file(azurite, write_profiles, container_name):
    """Four profiles: account-wide, read-only, one container, a dead endpoint; and an invalid one."""
    return write_profiles(f"""
        [profiles.alpha]
        connection_string = "{azurite.connection_string}"

        [profiles.ro]
        connection_string = "{azurite.connection_string}"
        read_only = true

        [profiles.one-container]
        accountname = "{azurite.account}"
        accountkey = "{azurite.key}"
        serviceurl = "{azurite.blob_endpoint}"
        container = "{container_name}"

        [profiles.dead]
        accountname = "{azurite.account}"
        accountkey = "{azurite.key}"
        serviceurl = "http://127.0.0.1:{free_port()}/{azurite.account}"
        container = "nothing-here"
        max_retries = 0

        [profiles.broken]
        kind = "[red]nope[/red]"
        """)


@pytest.fixture
async def seeded_container(azurite, container_name):
    """The test's container, with a blob whose name looks like Rich markup."""
    from aztui.azure.blobs import BlobStore

    async with BlobStore(setup_profile(azurite)) as store:
        await store.create_container(container_name)
        await store.upload_blob(container_name, MARKUP_NAME, b"literal")
        await store.upload_blob(container_name, "folder/data.bin", b"\0" * 2048)
    return container_name


def table_cells(app: AztuiApp) -> list[str]:
    """The plain text of the name column of the Containers pane's table."""
    table = app.query_one("#listing", DataTable)
    labels = [key.value for key in table.columns]  # the labels may carry the sort's ▲/▼
    column = labels.index("Container") if "Container" in labels else labels.index("Name")
    cells = [table.get_row_at(i)[column] for i in range(table.row_count)]
    return [cell.plain if isinstance(cell, Text) else str(cell) for cell in cells]


async def test_picker_lists_profiles_and_problems(profiles_file):
    app, running = start(profiles_file, size=SIZE)
    async with running as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ProfilePicker)
        options = app.screen.query_one(OptionList)
        prompts = {options.get_option_at_index(i).id: options.get_option_at_index(i)
                   for i in range(options.option_count)}
        assert {"alpha", "ro", "one-container", "dead"} <= set(prompts)
        assert "connection_string" in prompts["alpha"].prompt.plain
        assert "distribution" in prompts["one-container"].prompt.plain
        broken = next(o for o in prompts.values() if o.prompt.plain.startswith("✗ broken"))
        assert broken.disabled and broken.id is None  # not selectable, and no id to collide with a name
        assert "[red]nope[/red]" in broken.prompt.plain  # the problem text, shown literally
        assert app.is_running


async def test_choosing_a_profile_loads_its_containers(profiles_file, seeded_container):
    notes: list = []
    app, running = start(profiles_file, notes=notes, size=SIZE)
    async with running as pilot:
        await pilot.pause()
        await pilot.press("enter")  # the first profile, alpha, is highlighted
        await settle(pilot)
        assert not isinstance(app.screen, ProfilePicker)
        assert app.profile.name == "alpha"
        assert "alpha" in app.sub_title and "devstoreaccount1" in app.sub_title
        table = app.query_one("#listing", DataTable)
        assert not table.loading
        assert seeded_container in table_cells(app)
        assert [c.label.plain for c in table.columns.values()][:2] == ["Container", "Public access"]
        assert not app.query_one("#read-only-badge").display
        assert not [n for n in notes if n.notification.severity == "error"]


@pytest.mark.slow
async def test_p_switches_profile_at_runtime(profiles_file, seeded_container):
    app, running = start(profiles_file, "alpha", size=SIZE)
    async with running as pilot:
        await settle(pilot)
        assert app.profile.name == "alpha"
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, ProfilePicker)
        options = app.screen.query_one(OptionList)
        options.highlighted = options.get_option_index("one-container")
        await pilot.press("enter")
        await settle(pilot)
        assert app.profile.name == "one-container"
        assert "folder/" in table_cells(app)  # the container's top level: a virtual folder


async def test_dead_endpoint_is_a_notification_not_a_crash(profiles_file):
    notes: list = []
    app, running = start(profiles_file, "dead", notes, size=SIZE)
    async with running as pilot:
        await settle(pilot)
        errors = [n.notification for n in notes if n.notification.severity == "error"]
        assert errors, "a failure must be reported"
        assert "Traceback" not in errors[0].message
        assert errors[0].message.split(":")[0] in {"Endpoint unreachable", "Service error"}
        assert app.is_running and app.return_code is None
        assert not app.query_one("#listing", DataTable).loading
        assert "Could not load" in str(app.query_one("#listing-status").render())
        await pilot.press("p")  # the app still responds
        await pilot.pause()
        assert isinstance(app.screen, ProfilePicker)


async def test_read_only_profile_shows_the_badge(profiles_file):
    app, running = start(profiles_file, "ro", size=SIZE)
    async with running as pilot:
        await settle(pilot)
        badge = app.query_one("#read-only-badge")
        assert badge.display and badge.region.width > 0
        assert app.sub_title.endswith("read-only")


async def test_blob_names_are_shown_literally(profiles_file, seeded_container):
    app, running = start(profiles_file, "one-container", size=SIZE)
    async with running as pilot:
        await settle(pilot)
        assert MARKUP_NAME in table_cells(app)
        await pilot.press("1")  # a Distribution profile opens on the Registry pane
        await settle(pilot)
        table = app.query_one("#listing", DataTable)
        lines = [table.render_line(y).text for y in range(table.size.height)]
        assert any(MARKUP_NAME in line for line in lines), lines
        assert any("7 B" in line for line in lines)  # the blob's size


async def test_unknown_profile_name_opens_the_picker(profiles_file):
    notes: list = []
    app, running = start(profiles_file, "broken", notes, size=SIZE)
    async with running as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ProfilePicker)
        assert any(n.notification.severity == "error" and "Invalid profile" in n.notification.message
                   for n in notes)


async def test_storage_view_reports_with_messages(profiles_file, seeded_container):
    """The pane posts `PageLoaded` when rows arrive (the app reacts to messages, not to internals)."""
    seen = []
    app = create_app(load_profiles(profiles_file), profile_name="one-container")
    async with app.run_test(size=SIZE, message_hook=lambda m: seen.append(m)) as pilot:
        await settle(pilot)
    loaded = [m for m in seen if isinstance(m, ContainersView.PageLoaded)]
    assert loaded and len(loaded[-1].items) == 2  # the blob and the virtual folder


@pytest.mark.slow
async def test_latest_load_wins_and_loading_indicator_clears(profiles_file, seeded_container):
    profile_set = load_profiles(profiles_file)
    app, running = start(profile_set, "alpha", size=SIZE)
    async with running as pilot:
        await settle(pilot)
        view = app.query_one(ContainersView)
        table = app.query_one("#listing", DataTable)
        view.load(profile_set.get("alpha"))
        assert table.loading  # the indicator shows while the worker runs
        view.load(profile_set.get("one-container"))  # replaces the load still running
        await settle(pilot)
        assert not table.loading
        assert [c.label.plain for c in table.columns.values()][1] == "Name"
        assert sorted(table_cells(app)) == sorted([MARKUP_NAME, "folder/"])


@pytest.mark.slow
async def test_no_secret_reaches_the_screen(azurite, profiles_file, seeded_container):
    app, running = start(profiles_file, "one-container", size=SIZE)
    async with running as pilot:
        await settle(pilot)
        screens = [app.export_screenshot()]
        await pilot.press("p")
        await pilot.pause()
        screens.append(app.export_screenshot())
    for svg in screens:
        assert "one-container" in svg  # the screenshot does hold the screen's text
        assert azurite.key[:16] not in svg
        assert "AccountKey" not in svg


async def test_a_broken_file_is_listed_not_raised(write_profiles):
    path = write_profiles("[profiles.x\nkey = [bold]\n")
    app, running = start(path, size=SIZE)
    async with running as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ProfilePicker)
        options = app.screen.query_one(OptionList)
        prompts = [options.get_option_at_index(i) for i in range(options.option_count)]
        assert all(option.disabled for option in prompts)
        assert any("profiles file" in option.prompt.plain for option in prompts)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ProfilePicker) and app.is_running


def test_the_app_imports_no_azure_sdk():
    """The Azure SDK is imported inside workers, so the app paints fast."""
    import subprocess
    import sys

    code = ("import sys, aztui.ui.app, aztui.demo.sample_data; "
            "print([m for m in sys.modules if m.split('.')[0] == 'azure'])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.slow
async def test_keymap_from_the_profiles_file_remaps_bindings(azurite, write_profiles):
    path = write_profiles(f"""
        [keymap]
        profiles = "o"

        [profiles.alpha]
        connection_string = "{azurite.connection_string}"
        """)
    app, running = start(path, "alpha", size=SIZE)
    async with running as pilot:
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()
        assert not isinstance(app.screen, ProfilePicker)
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, ProfilePicker)


async def test_an_acr_profile_opens_the_registry_pane(write_profiles):
    port = free_port()  # nothing listens: the registry read fails, and only the registry's
    path = write_profiles(f"""
        [profiles.acr]
        uri = "https://127.0.0.1:{port}"
        auth = "anonymous"
        connect_timeout = "1s"
        """)
    notes: list = []
    app, running = start(path, "acr", notes, size=SIZE)
    async with running as pilot:
        await settle(pilot)
        assert app.profile.kind == "acr"
        assert app.query_one("#panes").active == "registry-pane"
        assert "container registry" in str(app.query_one("#listing-status").render())
        errors = [str(n.notification.message) for n in notes if n.notification.severity == "error"]
        assert errors and all(f"127.0.0.1:{port}" in e for e in errors)  # no blob storage was tried


@pytest.mark.slow
async def test_r_reloads_the_pane(azurite, profiles_file, seeded_container):
    from aztui.azure.blobs import BlobStore

    app, running = start(profiles_file, "one-container", size=SIZE)
    async with running as pilot:
        await settle(pilot)
        assert "late.txt" not in table_cells(app)
        async with BlobStore(app.profile) as store:
            await store.upload_blob(seeded_container, "late.txt", b"new")
        await pilot.press("r")
        await settle(pilot)
        assert "late.txt" in table_cells(app)


async def test_the_picker_lists_profiles_whatever_their_names(tmp_path):
    """A file-level problem, an invalid profile named "None" and a valid one named like an id prefix:
    all listed (found by the app-start fuzzing: the picker crashed on duplicate option ids)."""
    path = tmp_path / "profiles.toml"
    path.write_text('bogus = 1\n\n[profiles.None]\nkind = "nope"\n\n'
                    '[profiles."invalid:None"]\nconnection_string = "UseDevelopmentStorage=true"\n')
    path.chmod(0o600)
    app, running = start(load_profiles(path, environ={}), size=SIZE)
    async with running as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ProfilePicker)
        options = app.screen.query_one(OptionList)
        prompts = [options.get_option_at_index(i).prompt.plain for i in range(options.option_count)]
        assert any(p.startswith("✗ profiles file") for p in prompts)
        assert any(p.startswith("✗ None") for p in prompts)
        options.highlighted = options.get_option_index("invalid:None")
        await pilot.press("enter")
        await settle(pilot)
        assert app.profile is not None and app.profile.name == "invalid:None"


@pytest.mark.slow
async def test_screen_changes_do_not_keep_old_footer_keys_alive(profiles_file):
    """An app kept open all day: opening and closing screens must not pile up dead widgets."""
    import gc

    from textual.widgets._footer import FooterKey

    app, running = start(profiles_file, "ro", size=SIZE)
    async with running as pilot:
        await settle(pilot)
        for _ in range(20):
            await pilot.press("question_mark")
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
        gc.collect()
        detached = [k for k in gc.get_objects() if isinstance(k, FooterKey) and not k.is_attached]
        assert len(detached) < 20, f"{len(detached)} footer keys of old footers are still alive"


@pytest.mark.slow
async def test_footer_rebuilds_only_when_its_keys_change_and_keeps_no_dead_keys(profiles_file):
    """Focus and binding refreshes that change nothing leave the footer's keys as they are; switching
    panes shows each pane's keys, and twenty switches leave no dead keys behind."""
    import gc

    from textual.widgets._footer import FooterKey

    def shown() -> str:
        return " ".join(str(key.render()) for key in app.screen.query(FooterKey))

    app, running = start(profiles_file, "ro", size=SIZE)
    async with running as pilot:
        await settle(pilot)
        keys = list(app.screen.query(FooterKey))
        assert "Filter" in shown()
        app.screen.refresh_bindings()   # as on every focus change: the footer is asked to recompose
        await settle(pilot)
        assert list(app.screen.query(FooterKey)) == keys  # the same widgets: nothing rebuilt
        for _ in range(20):  # 40 rebuilds: a leak would keep ~40 footers' keys
            await pilot.press("3")
            await settle(pilot)
            assert "Orphans" in shown() and "Filter" not in shown()
            await pilot.press("1")
            await settle(pilot)
            assert "Filter" in shown() and "Orphans" not in shown()
        gc.collect()
        detached = [k for k in gc.get_objects() if isinstance(k, FooterKey) and not k.is_attached]
        # the last footer or two may await collection; more would be a leak
        assert len(detached) < 4 * len(keys), f"{len(detached)} footer keys of old footers are still alive"
