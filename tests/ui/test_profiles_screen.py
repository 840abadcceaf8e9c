"""The profile test screen driven by Pilot: real Azurite, a closed port, live steps, the write probe."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList

from aztui.azure.blobs import BlobStore
from aztui.demo.azurite import free_port
from aztui.doctor.checks import STEPS
from aztui.ui.commands import ActionsProvider
from aztui.ui.screens.profile_doctor import ProfileDoctorScreen
from aztui.ui.screens.profile_picker import ProfilePicker
from tests.support.pilot import settle, setup_profile, start, text_of


@pytest.fixture
async def container(azurite, container_name):
    async with BlobStore(setup_profile(azurite)) as store:
        await store.create_container(container_name)
        await store.upload_blob(container_name, "dir/hello.txt", b"hello")
    return container_name


@pytest.fixture
def profiles(azurite, write_profiles, container):
    keys = f"""
        account_url = "{azurite.blob_endpoint}"
        account_name = "{azurite.account}"
        account_key = "{azurite.key}"
        kind = "storage"
        container = "{container}"
        max_retries = 0"""
    return write_profiles(f"""
        [profiles.healthy]{keys}

        [profiles.ro]{keys}
        read_only = true

        [profiles.closed]
        kind = "storage"
        account_url = "http://127.0.0.1:{free_port()}/acct"
        auth = "anonymous"
        container = "box"
        """)


def steps(app) -> dict[str, tuple[str, str]]:
    """step -> (head, body) as shown."""
    return {name: (text_of(app, f"#head-{name}"), text_of(app, f"#body-{name}")) for name in STEPS}


async def open_test(pilot) -> ProfileDoctorScreen:
    await pilot.press("t")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ProfileDoctorScreen)
    return pilot.app.screen


@pytest.mark.slow
async def test_a_healthy_profile_shows_every_step_ok(azurite, profiles):
    app, running = start(profiles, "healthy")
    async with running as pilot:
        await settle(pilot)
        await open_test(pilot)
        shown = steps(app)
        for name in STEPS[:STEPS.index("write")]:
            head, _ = shown[name]
            assert head.startswith(f"✓ {name}") and head.endswith(" ms"), (name, head)
        assert shown["write"][0].startswith("- write") and "not requested" in shown["write"][1]
        assert shown["content"][0].startswith("- content") and "expects no particular" in shown["content"][1]
        assert "Every step passed" in text_of(app, "#doctor-verdict")
        assert "hint:" not in "".join(body for _, body in shown.values())
        assert azurite.key[:16] not in app.export_screenshot()  # never a secret
        await pilot.press("w")  # again, with the write probe
        await settle(pilot)
        head, body = steps(app)["write"]
        assert head.startswith("✓ write"), body
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ProfileDoctorScreen)


async def test_a_closed_port_fails_the_endpoint_with_its_hint_and_skips_the_rest(profiles):
    app, running = start(profiles, "closed")
    async with running as pilot:
        await settle(pilot)
        await open_test(pilot)
        shown = steps(app)
        assert shown["profile"][0].startswith("✓ profile")
        head, body = shown["endpoint"]
        assert head.startswith("✗ endpoint")
        assert "refused the connection" in body and "hint: " in body and "nothing listens on that port" in body
        for name in ("clock", "credential", "authorization", "write", "content"):
            assert shown[name][0].startswith(f"- {name}"), shown[name]
        assert "skipped because the endpoint step did not pass" in shown["clock"][1]
        assert "Failed: endpoint" in text_of(app, "#doctor-verdict")


async def test_a_read_only_profile_offers_no_write_test(azurite, profiles, container):
    app, running = start(profiles, "ro")
    async with running as pilot:
        await settle(pilot)
        screen = await open_test(pilot)
        assert screen.check_action("run_test", (True,)) is False
        assert "doctor-write" not in {b.binding.id for b in screen.active_bindings.values()}
        titles = [title for title, _, _ in ActionsProvider(screen)._actions()]
        assert not any(title.startswith("Write test") for title in titles)
        assert any(title.startswith("Run again") for title in titles)
        await pilot.press("w")
        await settle(pilot)
        assert "not requested" in steps(app)["write"][1]
        assert "w: also test" not in text_of(app, "#doctor-verdict")
    async with BlobStore(setup_profile(azurite)) as store:
        assert [b.name async for b in store.iter_blobs(container)] == ["dir/hello.txt"]


@pytest.mark.slow
async def test_the_picker_tests_the_highlighted_profile(profiles):
    app, running = start(profiles, "healthy")
    async with running as pilot:
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, ProfilePicker)
        options = app.screen.query_one(OptionList)
        options.highlighted = options.get_option_index("closed")
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, ProfileDoctorScreen)
        assert "Testing profile closed" in text_of(app, "#doctor-title")
        assert steps(app)["endpoint"][0].startswith("✗ endpoint")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ProfilePicker)


async def test_the_palette_offers_the_profile_test(profiles):
    app, running = start(profiles, "healthy")
    async with running as pilot:
        await settle(pilot)
        titles = [title for title, _, _ in ActionsProvider(app.screen)._actions()]
        assert "Test (t)" in titles
