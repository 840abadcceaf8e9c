"""Generated profiles files through the app's start path (issue #7, bad input).

Hypothesis generates the files (the same strategies as tests/unit/test_profiles_fuzz.py, secrets
marked); two worker processes (one per core) each open half of them in one live app, the way
the app opens a file at start (`AztuiApp.open_profile_set`), drawing the screen each time.
A fresh process per file costs ~0.4 s (tests/ui/test_tui_safety.py starts 80 that way); in a live
app ~0.2 s of CPU, all Textual styling and rendering: 2,000 files by default (~4 minutes on
2 cores), AZTUI_APP_START_FILES=10000 for the issue's full count (~17-21 minutes; passed).
Found so far: the picker crashed on duplicate option ids; the footer kept every old key alive.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aztui.profiles.file import document_to_toml
from tests.support.profile_strategies import MARKER, documents, mark_secrets, toml_fragments

FILES = int(os.environ.get("AZTUI_APP_START_FILES", "2000"))
WORKERS = 2


def generate(folder: Path) -> int:
    written = 0

    @settings(max_examples=FILES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(document=st.one_of(documents.map(mark_secrets), toml_fragments))
    def write(document) -> None:
        nonlocal written
        text = document_to_toml(document) if isinstance(document, dict) else document
        path = folder / str(written % WORKERS) / f"{written:05}.toml"
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)
        written += 1

    for worker in range(WORKERS):
        (folder / str(worker)).mkdir()
    write()
    return written


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_generated_files_through_app_start(tmp_path):
    written = generate(tmp_path)
    assert written >= FILES
    workers = [subprocess.Popen([sys.executable, str(Path(__file__).resolve().parents[1] / "support" / "app_start_worker.py"), MARKER,
                                 str(tmp_path / str(n))], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for n in range(WORKERS)]
    ran, failures = 0, []
    try:
        for worker in workers:
            out, err = worker.communicate(timeout=3000)
            assert worker.returncode == 0, err[-3000:]
            report = json.loads(out.strip().splitlines()[-1])
            ran += report["ran"]
            failures += report["failures"]
    finally:
        for worker in workers:
            worker.kill()
    assert not failures, failures[:3]
    assert ran == written
