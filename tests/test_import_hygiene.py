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


def test_azure_layer_does_not_import_textual():
    modules = loaded_modules(
        "import aztui.azure, aztui.azure.blobs, aztui.azure.credentials, aztui.azure.clients, "
        "aztui.azure.errors, aztui.model, aztui.errors")
    assert [m for m in modules if m == "textual" or m.startswith("textual.")] == []
    assert "aztui.azure.blobs" in modules  # the imports really ran


def test_importing_the_azure_layer_does_not_load_the_sdks():
    modules = loaded_modules("import aztui.azure")
    heavy = [m for m in modules if m.startswith(("azure.storage", "azure.identity", "aiohttp"))]
    assert heavy == []
    assert "aztui.azure" in modules
