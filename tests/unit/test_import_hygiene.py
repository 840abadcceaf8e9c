"""The Azure layer never imports Textual, and `import aztui.azure` leaves the SDKs unloaded."""

from __future__ import annotations

import json
import subprocess
import sys


def loaded_modules(code: str) -> list[str]:
    """Module names in sys.modules after running `code` in a fresh interpreter."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def non_ui_modules() -> list[str]:
    """Every aztui module outside aztui.ui (the Azure layer, planners, commands, doctor...)."""
    import pkgutil

    import aztui

    names = [m.name for m in pkgutil.walk_packages(aztui.__path__, "aztui.")]
    return [n for n in names if not n.startswith("aztui.ui") and n != "aztui.__main__"]


def test_nothing_outside_the_ui_imports_textual():
    names = non_ui_modules()
    assert {"aztui.azure.blobs", "aztui.blobs.deletion", "aztui.doctor.checks"} <= set(names)
    modules = loaded_modules("\n".join(f"import {name}" for name in names))
    assert [m for m in modules if m == "textual" or m.startswith("textual.")] == []
    assert set(names) <= set(modules)  # the imports really ran


def test_importing_the_azure_layer_does_not_load_the_sdks():
    modules = loaded_modules("import aztui.azure")
    heavy = [m for m in modules if m.startswith(("azure.storage", "azure.identity", "aiohttp"))]
    assert heavy == []
    assert "aztui.azure" in modules
