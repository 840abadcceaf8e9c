"""The headless CLI, run as a user runs it: a subprocess with a profiles file."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

MARKER_KEY = "c2VjcmV0LW1hcmtlci1hY2NvdW50LWtleS0xMjM0NQ=="  # base64 of a unique marker
MARKER_SECRET = "marker-client-secret-98765"

GOOD = f"""
[profiles.registry-store]
accountname = "acme"
accountkey = "{MARKER_KEY}"
container = "registry"
rootdirectory = "/docker-root/"

[profiles.ci-cache]
account_url = "https://acmecache.blob.core.windows.net"
name = "app;base"

[profiles.sp-store]
path = "az://artifacts/zenml"
account_name = "acmeml"
client_id = "00000000-0000-0000-0000-000000000001"
tenant_id = "00000000-0000-0000-0000-000000000002"
client_secret = "{MARKER_SECRET}"
read_only = true
"""


def aztui(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("AZTUI_CONFIG", None) if env is None or "AZTUI_CONFIG" not in env else None
    return subprocess.run([sys.executable, "-m", "aztui", *args], capture_output=True, text=True,
                          env=full_env, timeout=120)


def assert_no_secret(result: subprocess.CompletedProcess) -> None:
    for marker in (MARKER_KEY, MARKER_SECRET):
        assert marker not in result.stdout and marker not in result.stderr


def test_list_json_resolves_every_vocabulary(write_profiles):
    path = write_profiles(GOOD)
    result = aztui("--config", str(path), "profiles", "list", "--json")
    assert result.returncode == 0, result.stderr
    items = {item["name"]: item for item in json.loads(result.stdout)}
    assert items["registry-store"]["kind"] == "distribution"
    assert items["registry-store"]["auth"] == "shared_key"
    assert items["registry-store"]["prefix"] == "docker-root"
    assert items["ci-cache"]["kind"] == "buildkit-cache"
    assert items["ci-cache"]["container"] == "buildkit-cache"
    assert items["ci-cache"]["account"] == "acmecache"
    assert items["sp-store"]["auth"] == "client_secret"
    assert items["sp-store"]["read_only"] is True
    assert_no_secret(result)


def test_config_found_through_environment_variable(write_profiles):
    path = write_profiles(GOOD)
    result = aztui("profiles", "list", env={"AZTUI_CONFIG": str(path)})
    assert result.returncode == 0, result.stderr
    assert "registry-store" in result.stdout and "ci-cache" in result.stdout
    assert aztui("profiles", "path", env={"AZTUI_CONFIG": str(path)}).stdout.strip() == str(path)


def test_show_masks_secrets(write_profiles):
    path = write_profiles(GOOD)
    for name in ("registry-store", "sp-store"):
        result = aztui("--config", str(path), "profiles", "show", name)
        assert result.returncode == 0, result.stderr
        assert "********" in result.stdout
        assert_no_secret(result)
    as_json = aztui("--config", str(path), "profiles", "show", "sp-store", "--json")
    data = json.loads(as_json.stdout)
    assert data["resolved"]["secrets"] == {"client_secret": "********"}
    assert_no_secret(as_json)


def test_show_unknown_profile_suggests_nearest(write_profiles):
    path = write_profiles(GOOD)
    result = aztui("--config", str(path), "profiles", "show", "ci-cach")
    assert result.returncode != 0
    assert "ci-cache" in result.stderr and "Traceback" not in result.stderr


def test_validate_ok_and_broken(write_profiles):
    good = write_profiles(GOOD)
    assert aztui("--config", str(good), "profiles", "validate").returncode == 0
    broken = write_profiles(
        '[profiles.reg]\naccountname = "acme"\nacountkey = "abc"\ncontainer = "registry"\n'
        '[profiles.reg.credentials]\ntype = "default"\n',
        name="broken.toml")
    result = aztui("--config", str(broken), "profiles", "validate")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert str(broken) in result.stderr
    assert "accountkey" in result.stderr          # did you mean `accountkey`?
    assert "default_credentials" in result.stderr  # nearest valid credentials type
    assert ":3:" in result.stderr                  # the line of the misspelled key


def test_validate_json_reports_all_problems(write_profiles):
    broken = write_profiles('[profiles.a]\ncontaner = "x"\n[profiles.b]\nmax_retries = "many"\n')
    result = aztui("--config", str(broken), "profiles", "validate", "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    keys = {(p["profile"], p["key"]) for p in report["problems"] if p["severity"] == "error"}
    assert ("a", "contaner") in keys and ("b", "max_retries") in keys


def test_toml_syntax_error_is_a_message_not_a_traceback(write_profiles):
    broken = write_profiles('[profiles.a\naccountname = "x"\n')
    result = aztui("--config", str(broken), "profiles", "list")
    assert "Traceback" not in result.stderr
    assert str(broken) in result.stderr


def test_missing_profiles_file_is_explained(tmp_path):
    missing = tmp_path / "nope.toml"
    result = aztui("--config", str(missing), "profiles", "validate")
    assert result.returncode != 0
    assert str(missing) in (result.stdout + result.stderr)
    assert "Traceback" not in result.stderr


def test_tui_refuses_unknown_profile_before_starting(write_profiles):
    path = write_profiles(GOOD)
    result = aztui("--config", str(path), "--profile", "nope")
    assert result.returncode == 2
    assert "nope" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["--help"], ["profiles", "--help"], ["--version"]])
def test_help_and_version(args):
    result = aztui(*args)
    assert result.returncode == 0
    assert "aztui" in result.stdout


def test_sdk_log_records_go_to_a_private_file_not_the_terminal(tmp_path):
    log_file = tmp_path / "logs" / "aztui.log"
    code = ("import logging, sys\n"
            "from aztui.logs import setup_logging\n"
            f"setup_logging(__import__('pathlib').Path({str(log_file)!r}))\n"
            "logging.getLogger('azure.identity').warning('ClientSecretCredential.get_token failed')\n"
            "logging.getLogger('azure.core.pipeline').info('Request URL: noisy dump')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and result.stdout == ""
    text = log_file.read_text()
    assert "get_token failed" in text
    assert "noisy dump" not in text           # SDK INFO dumps are dropped
    assert log_file.stat().st_mode & 0o077 == 0
