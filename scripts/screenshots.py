"""Regenerate screenshots/*.svg from the demo data: `python scripts/screenshots.py`.

Starts a private Azurite, seeds the demo data, drives the app headless with Pilot and
saves SVGs. Nothing here needs an Azure account; the demo key is Azurite's public one
and never appears on screen.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from textual.widgets import DataTable

from aztui.demo.azurite import start_azurite
from aztui.demo.run import demo_profiles_toml, write_private
from aztui.demo.sample_data import seed_demo_data
from aztui.profiles.file import load_profiles
from aztui.ui.app import create_app

OUT = Path(__file__).resolve().parent.parent / "screenshots"
SIZE = (110, 30)


async def settle(pilot) -> None:
    for _ in range(2):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def cursor_to_first(pilot, kind: str, name: str | None = None) -> str | None:
    """Move the cursor to the first folder ("p:") or blob ("b:") row (or the one named); its key."""
    table = pilot.app.query_one("#listing", DataTable)
    keys = [row.key.value for row in table.ordered_rows]
    wanted = [k for k in keys if k == f"{kind}{name}"] if name else [k for k in keys if k.startswith(kind)]
    if not wanted:
        return None
    table.move_cursor(row=table.get_row_index(wanted[0]))
    await pilot.pause()
    return wanted[0]


async def shoot(profiles_file: Path) -> list[Path]:
    profile_set = load_profiles(profiles_file)
    app = create_app(profile_set, profile_name="demo")
    saved = []

    def save(name: str) -> None:
        saved.append(Path(app.save_screenshot(name, str(OUT))))

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        save("containers.svg")
        await cursor_to_first(pilot, "c:", "backups")
        await pilot.press("enter")
        await settle(pilot)
        for _ in range(2):  # two folders deep, for the breadcrumbs
            if await cursor_to_first(pilot, "p:"):
                await pilot.press("enter")
                await settle(pilot)
        save("folder.svg")
        if await cursor_to_first(pilot, "b:"):
            await pilot.press("enter")
            await settle(pilot)
            save("blob-details.svg")
            await pilot.press("escape")
            await settle(pilot)
        await pilot.press("backspace")
        await settle(pilot)
        if await cursor_to_first(pilot, "p:"):
            await pilot.press("x")
            await settle(pilot)
            save("delete-review.svg")
            await pilot.press("escape")  # cancel: the demo data stays as it is
            await settle(pilot)
        app.containers.go(app.containers.root)  # the account: where the space of a container goes
        await settle(pilot)
        await cursor_to_first(pilot, "c:", "backups")
        await pilot.press("u")
        await settle(pilot)
        save("usage.svg")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        save("help.svg")
        await pilot.press("escape")
        await pilot.press("p")
        await pilot.pause()
        save("profile-picker.svg")
        await pilot.press("escape")
        await pilot.pause()
        saved += await shoot_cache(app, pilot)
        saved += await shoot_registry(app, pilot)
    return saved


async def shoot_registry(app, pilot) -> list[Path]:
    """The demo's Distribution registry, read from storage: repositories, one repository, an image's
    detail and a purge plan (closed: nothing is deleted)."""
    from textual.widgets import Input

    saved = []
    app.activate("demo-registry")
    await pilot.press("2")
    await settle(pilot)
    saved.append(Path(app.save_screenshot("registry.svg", str(OUT))))
    await pilot.press("enter")
    await settle(pilot)
    saved.append(Path(app.save_screenshot("registry-repository.svg", str(OUT))))
    app.registry.manifests_table.focus()  # Enter on a manifest: the image's layers, config, platforms
    await pilot.press("enter")
    await settle(pilot)
    saved.append(Path(app.save_screenshot("manifest-details.svg", str(OUT))))
    await pilot.press("escape")
    await pilot.press("backspace")
    await settle(pilot)
    await pilot.press("P")  # retention on Distribution: keep the newest tag of every repository
    await settle(pilot)
    app.screen.query_one("#policy-filter", Input).value = ".*:.*"
    app.screen.query_one("#policy-keep", Input).value = "1"
    await pilot.click("#plan")
    await settle(pilot)
    saved.append(Path(app.save_screenshot("registry-purge-plan.svg", str(OUT))))
    await pilot.press("escape")  # close the plan: nothing is deleted
    await settle(pilot)
    return saved


async def shoot_cache(app, pilot) -> list[Path]:
    """The demo's BuildKit cache: its names, a GC plan (grace 0s: the demo orphan is fresh), the doctor."""
    from textual.widgets import Input

    saved = []

    def save(name: str) -> None:
        saved.append(Path(app.save_screenshot(name, str(OUT))))

    app.activate("demo-cache")
    await settle(pilot)
    save("cache.svg")
    await pilot.press("x")  # garbage collection: the policy form
    await settle(pilot)
    app.screen.query_one("#policy-grace", Input).value = "0s"
    await pilot.press("enter")
    await settle(pilot)
    save("gc-plan.svg")
    await pilot.press("escape")  # close the plan: nothing is deleted
    await settle(pilot)
    await pilot.press("t")
    await settle(pilot)
    save("doctor.svg")
    await pilot.press("escape")
    return saved


def main() -> int:
    OUT.mkdir(exist_ok=True)
    with start_azurite(say=print) as server, tempfile.TemporaryDirectory() as tmp:
        profiles_file = Path(tmp) / "demo-profiles.toml"
        write_private(profiles_file, demo_profiles_toml(server))
        asyncio.run(seed_demo_data(load_profiles(profiles_file).get("demo"), say=print))
        for path in asyncio.run(shoot(profiles_file)):
            text = path.read_text()
            if server.key in text:  # a screenshot must never show a secret
                path.unlink()
                raise SystemExit(f"{path.name} showed the account key; not saved")
            print(f"wrote {path.relative_to(OUT.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
