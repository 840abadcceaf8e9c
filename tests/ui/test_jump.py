"""The jump bar (`:`) and the palette's jump targets, driven by Pilot against Azurite."""

from __future__ import annotations

import pytest
from textual.widgets import Input, TabbedContent

from aztui.ui.screens.jump import JumpBar, JumpProvider
from tests.support.pilot import settle, start
from tests.support.profiles_toml import account_profiles


@pytest.fixture
async def layout(fill_container):
    return await fill_container({"logs/2026/app.log": b"x", "top.txt": b"y"})


@pytest.fixture
def profiles(azurite, write_profiles, layout):
    return write_profiles(account_profiles(azurite, other={"read_only": True}))


async def jump(pilot, text: str, *, complete: bool = False) -> None:
    await pilot.press("colon")
    await pilot.pause()
    assert isinstance(pilot.app.screen, JumpBar)
    pilot.app.screen.query_one("#jump-input", Input).value = text
    await pilot.pause()
    if complete:
        await settle(pilot)  # the containers read for completion
        await pilot.press("tab")
    await pilot.press("enter")
    await settle(pilot)


async def test_jump_to_a_container_a_folder_a_profile_and_a_pane(profiles, layout):
    app, running = start(profiles, "account")
    async with running as pilot:
        await settle(pilot)
        await jump(pilot, layout[:6], complete=True)  # completed from the loaded containers
        here = app.containers.location
        assert (here.container, here.prefix) == (layout, "")
        await jump(pilot, f"{layout}/logs/2026")
        here = app.containers.location
        assert (here.container, here.prefix) == (layout, "logs/2026/")
        assert "logs/2026/app.log" in [entry.name for entry in app.containers.entries]
        await jump(pilot, "other")
        assert app.profile.name == "other"
        await jump(pilot, "cache")
        assert app.query_one(TabbedContent).active == "cache-pane"


async def test_completion_reads_the_containers_from_inside_a_folder(profiles, layout):
    app, running = start(profiles, "account")
    async with running as pilot:
        await settle(pilot)
        await jump(pilot, f"{layout}/logs/")
        assert app.containers.location.prefix == "logs/"
        await jump(pilot, layout[:8], complete=True)  # the pane shows a folder: the bar read the containers
        here = app.containers.location
        assert (here.container, here.prefix) == (layout, "")


async def test_escape_closes_the_jump_bar_without_moving(profiles, layout):
    app, running = start(profiles, "account")
    async with running as pilot:
        await settle(pilot)
        await pilot.press("colon")
        await pilot.pause()
        await pilot.press("l", "o", "g", "escape")
        await settle(pilot)
        assert not isinstance(app.screen, JumpBar)
        assert app.containers.location.container is None


async def test_the_palette_offers_containers_profiles_and_panes(profiles, layout):
    app, running = start(profiles, "account")
    async with running as pilot:
        await settle(pilot)
        titles = [title for title, _ in JumpProvider(app.screen)._hits()]
        assert f"Go to container {layout}/" in titles
        assert {"Switch to profile account", "Switch to profile other", "Show pane registry"} <= set(titles)
        dict(JumpProvider(app.screen)._hits())[f"Go to container {layout}/"]()
        await settle(pilot)
        assert app.containers.location.container == layout
