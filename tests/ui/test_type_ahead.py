"""Cursor keys typed before a listing's rows arrive are made once the cursor is back in place: up
(Backspace) then `j j` lands two rows below the folder left, as a fast typist expects, instead of
the `j`s moving nothing while the table was empty and the cursor then jumping back to the folder.

The folder is tests/support/list_server.py's container `big` (d0000/e00/… , 100 sub-folders a
folder); the server holds the pane's listing (`hold`) while the keys are pressed, so no timing."""

from __future__ import annotations

import pytest

from tests.support.list_server import CONTAINER, ListServer
from tests.support.pilot import cursor_to, settle, start


@pytest.fixture
def server():
    with ListServer(30_000) as running:
        yield running


@pytest.fixture
def profiles(server, write_profiles):
    return write_profiles(f"""
        [profiles.big]
        connection_string = "{server.connection_string}"
        container = "{CONTAINER}"
        max_retries = 0
        """)


def folder_listing(target: str) -> bool:
    return "delimiter" in target


async def wait_for_rows(pilot, table) -> None:
    for _ in range(500):
        if table.row_count and not pilot.app.containers.fetching:
            return
        await pilot.pause(0.02)
    raise AssertionError("the listing never arrived")


@pytest.mark.parametrize("keys, expected", [(("j", "j"), "p:d0001/e07/"), (("k",), "p:d0001/e04/"),
                                            (("G", "k"), "p:d0001/e98/"), (("j", "g"), "p:d0001/e00/")])
async def test_keys_typed_while_the_rows_load_move_from_the_row_left(server, profiles, keys, expected):
    app, running = start(profiles, "big")
    async with running as pilot:
        await settle(pilot)
        await cursor_to(pilot, "p:d0001/")
        await pilot.press("enter")
        await settle(pilot)
        await cursor_to(pilot, "p:d0001/e05/")
        await pilot.press("enter")
        await settle(pilot)
        table = app.containers.table
        server.hold(after=0, when=folder_listing)  # the next folder listing waits for release()
        await pilot.press("backspace", *keys)
        assert table.row_count == 0  # typed ahead of the rows
        server.release()
        await wait_for_rows(pilot, table)
        await pilot.pause()
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == expected


async def test_keys_typed_ahead_of_a_failed_listing_do_not_linger(server, profiles):
    app, running = start(profiles, "big")
    async with running as pilot:
        await settle(pilot)
        table = app.containers.table
        server.fail(after=0, when=folder_listing)
        await pilot.press("r", "j", "j")
        await settle(pilot)
        assert table.row_count == 0 and table._held_keys is None
        server.fail(after=10**6, when=folder_listing)  # answered again
        await pilot.press("r")
        await wait_for_rows(pilot, table)
        await pilot.pause()
        assert table.cursor_row == 0  # the two j's of the failed listing were not kept
