"""Start-path fuzzing worker: one live app opens each profiles file in turn, as at start.

    python tests/support/app_start_worker.py MARKER FOLDER   # prints {"ran": N, "failures": [...]} as JSON

`AztuiApp.open_profile_set` is what the app runs on start (keymap, warnings, then the default
profile or the picker); each file is opened the same way, and the screen is drawn before the
next one. A failure is an exception, a notification with a traceback or a secret marker, or a
start that shows neither the picker nor a profile. Run by tests/ui/test_app_start_fuzz.py.
"""

from __future__ import annotations

import asyncio
import json
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from textual.notifications import Notify  # noqa: E402

from aztui.profiles.file import load_profiles  # noqa: E402
from aztui.ui.app import create_app  # noqa: E402
from aztui.ui.screens.profile_picker import ProfilePicker  # noqa: E402
from tests.support.offline import go_offline  # noqa: E402

MARKER = sys.argv[1]


async def open_each(paths: list[Path]) -> dict:
    failures: list[dict] = []
    notes: list[str] = []

    def hook(message) -> None:
        if isinstance(message, Notify):
            notes.append(f"{message.notification.title} {message.notification.message}")

    app = create_app(load_profiles(paths[0], environ={}))
    ran = 0
    try:
        await open_in(app, paths, hook, notes, failures)
        ran = len(paths)
    except Exception:  # the app itself died (run_test re-raises): name the file it was opening
        failures.append({"file": str(getattr(app, "opening", paths[0])), "problem": traceback.format_exc()})
    return {"ran": ran, "failures": failures}


async def open_in(app, paths: list[Path], hook, notes: list[str], failures: list[dict]) -> None:
    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        await pilot.pause()
        for path in paths:
            app.opening = path
            notes.clear()
            app.clear_notifications()
            try:
                while len(app.screen_stack) > 1:
                    app.pop_screen()
                app.open_profile_set(load_profiles(path, environ={}))
                await pilot.pause()
                problem = None
                if not (isinstance(app.screen, ProfilePicker) or app.profile is not None):
                    problem = "neither the picker nor a profile is shown"
                elif bad := [n for n in notes if MARKER in n or "Traceback" in n]:
                    problem = f"notification: {bad[0]}"
            except Exception:
                problem = traceback.format_exc()
            if problem:
                failures.append({"file": str(path), "problem": problem})


if __name__ == "__main__":
    go_offline()
    print(json.dumps(asyncio.run(open_each(sorted(Path(sys.argv[2]).glob("*.toml"))))))
