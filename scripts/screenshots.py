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

from aztui.azurite import start_azurite
from aztui.demo import demo_profiles_toml, seed_demo_data, write_private
from aztui.profiles import load_profiles
from aztui.ui.app import create_app

OUT = Path(__file__).resolve().parent.parent / "screenshots"
SIZE = (110, 30)


async def shoot(profiles_file: Path) -> list[Path]:
    profile_set = load_profiles(profiles_file)
    app = create_app(profile_set, profile_name="demo")
    saved = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        saved.append(Path(app.save_screenshot("containers.svg", str(OUT))))
        await pilot.press("p")
        await pilot.pause()
        saved.append(Path(app.save_screenshot("profile-picker.svg", str(OUT))))
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
