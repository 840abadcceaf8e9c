"""SVG snapshots of the main screens, compared with tests/snapshots/*.svg.

A private Azurite with fixed names and contents keeps them deterministic; what still varies
between runs (times, ETags, the SVG's content-hash ids) is masked before comparing.
A missing snapshot is written; `AZTUI_UPDATE_SNAPSHOTS=1` rewrites them all.
No snapshot may hold a secret.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import pytest

from aztui.azure.blobs import BlobStore
from aztui.demo.azurite import start_azurite
from tests.support.pilot import cursor_to, open_rows, settle, setup_profile, start, write_profiles_file

SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots"
SIZE = (110, 32)
UPDATE = os.environ.get("AZTUI_UPDATE_SNAPSHOTS") == "1"

BLOBS = {  # container -> (name, content, tier, metadata)
    "assets": [("css/site.css", b"body { margin: 0 }\n", "Hot", None),
               ("css/print.css", b"@media print {}\n", "Hot", None),
               ("img/logo.svg", b"<svg/>\n" * 40, "Hot", None),
               ("robots.txt", b"User-agent: *\nDisallow:\n", None, None)],
    "backups": [("2025/11/db.dump", b"\x00PGDMP" + b"\x01" * 4090, "Cool", {"source": "pg_dump"}),
                ("2025/12/db.dump", b"\x00PGDMP" + b"\x02" * 8186, "Cool", {"source": "pg_dump"}),
                ("2025/12/db.sha256", b"0" * 64 + b"\n", "Hot", None),
                ("README.txt", "Nightly database dumps.\nKeep 90 days. [bold]not markup[/bold]\n".encode(),
                 "Hot", {"owner": "platform"})],
    "logs": [("app/2025-12-01.log", b"started\n" * 100, "Cool", None)],
}

VOLATILE = [
    (re.compile(r"\d{4}-\d{2}-\d{2}(&#160;| )\d{2}:\d{2}"), "YYYY-MM-DD HH:MM"),
    (re.compile(r"0x[0-9A-F]{8,}"), "0xETAG"),
    (re.compile(r"terminal-\d+"), "terminal-ID"),
    (re.compile(r"/tmp/pytest-of-[^/]+/pytest-\d+/"), "/tmp/pytest/"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:PORT"),
    (re.compile(r"(&#160;|\s)*[\d,]+&#160;ms"), "&#160;N&#160;ms"),
    (re.compile(r"within&#160;\d+&#160;s"), "within&#160;N&#160;s"),
]


def normalize(svg: str) -> str:
    for pattern, replacement in VOLATILE:
        svg = pattern.sub(replacement, svg)
    return svg


@pytest.fixture(scope="module")
def snapshot_azurite():
    """Its own Azurite: only the fixed containers below, whatever other tests create."""
    server = start_azurite()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def profiles_file(snapshot_azurite, tmp_path_factory):
    import asyncio

    async def seed() -> None:
        async with BlobStore(setup_profile(snapshot_azurite)) as store:
            for container, blobs in BLOBS.items():
                await store.create_container(container, public_access="blob" if container == "assets" else None)
                for name, data, tier, metadata in blobs:
                    await store.upload_blob(container, name, data, tier=tier, metadata=metadata,
                                            content_type="text/plain" if name.endswith(".txt") else None)

    asyncio.run(seed())
    server = snapshot_azurite
    return write_profiles_file(tmp_path_factory.mktemp("snap") / "profiles.toml", f"""
[profiles.demo]
connection_string = "{server.connection_string}"
description = "local Azurite"

[profiles.prod]
accountname = "{server.account}"
accountkey = "{server.key}"
serviceurl = "{server.blob_endpoint}"
container = "backups"
protected = true
""")


def check(name: str, svg: str, secret: str) -> None:
    assert secret[:16] not in svg and "AccountKey" not in svg, f"{name} shows a secret"
    path = SNAPSHOTS / f"{name}.svg"
    actual = normalize(svg)
    if UPDATE or not path.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(actual)
        return
    expected = path.read_text()
    if actual != expected:
        diff = "\n".join(list(difflib.unified_diff(expected.splitlines(), actual.splitlines(), lineterm=""))[:40])
        pytest.fail(f"{name}.svg differs from the snapshot (AZTUI_UPDATE_SNAPSHOTS=1 rewrites it):\n{diff}")


@pytest.mark.slow
async def test_snapshots_of_the_main_screens(profiles_file, snapshot_azurite):
    secret = snapshot_azurite.key
    app, running = start(profiles_file, "demo", size=SIZE)
    async with running as pilot:
        await settle(pilot)
        check("containers", app.export_screenshot(), secret)

        await open_rows(pilot, "c:backups", "p:2025/", "p:2025/12/")
        check("folder", app.export_screenshot(), secret)

        await pilot.press("backspace", "backspace")
        await settle(pilot)
        await open_rows(pilot, "b:README.txt")
        check("blob-details", app.export_screenshot(), secret)
        await pilot.press("escape")
        await settle(pilot)

        await cursor_to(pilot, "p:2025/")
        await pilot.press("u")
        await settle(pilot)
        check("usage", app.export_screenshot(), secret)
        await pilot.press("escape")
        await pilot.press("question_mark")
        await settle(pilot)
        check("help", app.export_screenshot(), secret)


@pytest.mark.slow
async def test_snapshot_of_a_protected_delete_review(profiles_file, snapshot_azurite):
    app, running = start(profiles_file, "prod", size=SIZE)
    async with running as pilot:
        await settle(pilot)
        await cursor_to(pilot, "p:2025/")
        await pilot.press("x")
        await settle(pilot)
        check("delete-review", app.export_screenshot(), snapshot_azurite.key)


# --- the Cache pane, the GC plan and the profile test -----------------------------------------


@pytest.fixture(scope="module")
def cache_profiles_file(tmp_path_factory):
    """Its own Azurite holding only the demo's BuildKit cache; the demo's cache profile."""
    import asyncio

    from aztui.demo.run import demo_profile_tables
    from aztui.demo.sample_data import plan_demo_data
    from aztui.profiles.file import profile_to_toml

    server = start_azurite()

    async def seed() -> None:
        async with BlobStore(setup_profile(server)) as store:
            await store.create_container("buildkit-cache")
            for blob in plan_demo_data(blobs=0).blobs:
                if blob.container == "buildkit-cache":
                    await store.upload_blob(blob.container, blob.name, blob.data, content_type=blob.content_type)

    asyncio.run(seed())
    yield write_profiles_file(tmp_path_factory.mktemp("cache-snap") / "profiles.toml",
                              profile_to_toml("demo-cache", demo_profile_tables(server)["demo-cache"])), server
    server.stop()


@pytest.mark.slow
async def test_snapshots_of_the_cache_pane_gc_plan_and_profile_test(cache_profiles_file):
    from textual.widgets import Input

    path, server = cache_profiles_file
    app, running = start(path, "demo-cache", size=SIZE)
    async with running as pilot:
        await settle(pilot)
        check("cache", app.export_screenshot(), server.key)

        await pilot.press("x")
        await settle(pilot)
        app.screen.query_one("#policy-grace", Input).value = "0s"  # the demo's orphan is minutes old
        await pilot.press("enter")
        await settle(pilot)
        check("gc-plan", app.export_screenshot(), server.key)
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("t")
        await settle(pilot)
        check("doctor", app.export_screenshot(), server.key)


# --- small and large terminals ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("size", [(80, 24), (120, 36), (200, 50)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_snapshots_at_three_sizes(profiles_file, snapshot_azurite, cache_profiles_file, size):
    """The footer keeps ? and q, help wraps, tables give up columns instead of cutting them."""
    secret, suffix = snapshot_azurite.key, f"{size[0]}x{size[1]}"
    app, running = start(profiles_file, "demo", size=size)
    async with running as pilot:
        await settle(pilot)
        await open_rows(pilot, "c:backups", "p:2025/", "p:2025/12/")
        check(f"folder-{suffix}", app.export_screenshot(), secret)
        await pilot.press("question_mark")
        await settle(pilot)
        check(f"help-{suffix}", app.export_screenshot(), secret)

    path, server = cache_profiles_file
    app, running = start(path, "demo-cache", size=size)
    async with running as pilot:
        await settle(pilot)
        await pilot.press("enter")  # the layers of the first cache name
        await settle(pilot)
        check(f"cache-layers-{suffix}", app.export_screenshot(), server.key)
