"""`v`'s size limit and pager choice (aztui/blobs/viewing.py), and `aztui --view-max` bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest

from aztui.blobs.viewing import DEFAULT_VIEW_MAX, SizeError, pager_command, parse_size, view_max


@pytest.mark.parametrize("text, size", [("2048", 2048), ("10MiB", 10 * 1024**2), ("500 KB", 500_000),
                                        ("1.5kib", 1536), ("3g", 3 * 1000**3)])
def test_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "ten", "10 parsecs", "-5", "5 MiB extra"])
def test_bad_sizes_are_refused_with_an_example(text):
    with pytest.raises(SizeError, match="is not a size") as caught:
        parse_size(text)
    assert caught.value.exit_code == 2 and "10MiB" in caught.value.hint


def test_view_max_from_the_environment():
    assert view_max({}) == DEFAULT_VIEW_MAX == 10 * 1024**2
    assert view_max({"AZTUI_VIEW_MAX": "1KiB"}) == 1024


def test_pager_from_the_environment(tmp_path):
    assert pager_command({"PAGER": f"{sys.executable} -u", "PATH": ""}) == [sys.executable, "-u"]
    with pytest.raises(Exception, match="not found"):
        pager_command({"PAGER": "no-such-pager-here", "PATH": str(tmp_path)})
    with pytest.raises(Exception, match="no pager found"):
        pager_command({"PATH": str(tmp_path)})


def test_view_max_flag_refuses_a_bad_size(tmp_path):
    config = tmp_path / "profiles.toml"
    config.write_text("")
    config.chmod(0o600)
    result = subprocess.run([sys.executable, "-m", "aztui", "--config", str(config), "--view-max", "lots"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "'lots' is not a size" in result.stderr
    assert "Traceback" not in result.stderr
