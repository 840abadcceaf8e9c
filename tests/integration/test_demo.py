"""The demo data against a real Azurite: layout, tiers, metadata, BuildKit cache and registry integrity."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import stat
from datetime import datetime

import pytest

from aztui.demo.azurite import start_azurite
from aztui.demo.run import demo_profiles_toml, run_demo
from aztui.demo.sample_data import (
    CACHE_NAMES,
    REGISTRY_ROOT,
    DemoSummary,
    plan_demo_data,
    seed_demo_data,
)
from aztui.profiles.model import Profile
from tests.support.profiles import azurite_profile

BLOBS = 300
CONTAINERS = {"datasets", "backups", "web-assets", "logs", "ml-artifacts", "buildkit-cache", "registry"}


def demo_profile(server) -> Profile:
    return azurite_profile(server, connection_string=True, name="test", secret_key="connection_string")


@pytest.fixture(scope="module")
def demo_azurite():
    """An Azurite of its own, so the demo's fixed container names meet no other test."""
    server = start_azurite()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def seeded(demo_azurite):
    """Seed once for this module; returns (summary, progress messages)."""
    messages: list[str] = []
    summary = asyncio.run(seed_demo_data(demo_profile(demo_azurite), blobs=BLOBS, say=messages.append))
    return summary, messages


@pytest.fixture
async def store(demo_azurite):
    from aztui.azure.blobs import BlobStore

    async with BlobStore(demo_profile(demo_azurite)) as opened:
        yield opened


async def all_blobs(store, container: str, prefix: str = "") -> dict:
    return {info.name: info async for info in store.iter_blobs(container, prefix)}


def test_plan_is_deterministic_and_sized():
    first, second = plan_demo_data(BLOBS), plan_demo_data(BLOBS)
    assert first.blobs == second.blobs
    assert len(first.blobs) == BLOBS
    assert len({(b.container, b.name) for b in first.blobs}) == BLOBS  # no name is planned twice
    assert {c.name for c in first.containers} == CONTAINERS


@pytest.mark.slow
async def test_summary_matches_what_is_stored(seeded, store):
    summary, messages = seeded
    assert isinstance(summary, DemoSummary)
    assert summary.total_blobs == BLOBS
    assert set(summary.counts) == CONTAINERS
    assert any(m.startswith(f"Seeding {BLOBS} blobs") for m in messages)
    containers = {c.name: c async for c in store.iter_containers()}
    assert set(containers) == CONTAINERS
    total = 0
    for name in CONTAINERS:
        blobs = await all_blobs(store, name)
        assert len(blobs) == summary.counts[name], name
        total += sum(b.size for b in blobs.values())
    assert total == summary.total_bytes


async def test_seeding_again_into_an_open_store_is_idempotent(seeded, store):
    first, _ = seeded
    again = await seed_demo_data(store, blobs=BLOBS, say=lambda _msg: None)
    assert again == first
    for name, count in first.counts.items():
        assert len(await all_blobs(store, name)) == count


async def test_virtual_folders_nest(seeded, store):
    top = [item async for item in store.iter_blobs("datasets", "", recursive=False)]
    assert {getattr(item, "prefix", None) for item in top} >= {"raw/", "curated/"}
    # raw/<yyyy>/<mm>/<dd>/part-NNNNN.parquet: four folder levels, then the files
    prefix = "raw/"
    for _ in range(3):
        level = [item async for item in store.iter_blobs("datasets", prefix, recursive=False)]
        folders = sorted(item.prefix for item in level if hasattr(item, "prefix"))
        assert folders, prefix
        prefix = folders[0]
    assert re.fullmatch(r"raw/\d{4}/\d{2}/\d{2}/", prefix)
    files = [item async for item in store.iter_blobs("datasets", prefix, recursive=False)]
    assert files and all(item.name.endswith(".parquet") for item in files)


async def test_tiers_metadata_and_sizes(seeded, store):
    backups = await all_blobs(store, "backups")
    assert {b.tier for b in backups.values()} == {"Hot", "Cool", "Archive"}
    assert all(b.metadata.get("source") for b in backups.values())
    assert max(b.size for b in backups.values()) >= 900 * 1024
    assert min(b.size for b in backups.values()) >= 30 * 1024
    curated = await all_blobs(store, "datasets", "curated/")
    assert any(b.metadata.get("owner") == "data-eng" for b in curated.values())
    zenml = await all_blobs(store, "ml-artifacts", "zenml/")
    outputs = [b for name, b in zenml.items() if not name.endswith("/materializer_metadata.json")]
    assert outputs and all(b.metadata.get("zenml_artifact_id") for b in outputs)


async def test_web_assets_are_public_with_content_types(seeded, store):
    containers = {c.name: c async for c in store.iter_containers()}
    assert containers["web-assets"].public_access == "blob"
    assets = await all_blobs(store, "web-assets")
    assert assets["index.html"].content_type == "text/html"
    assert assets["css/site.css"].content_type == "text/css"
    assert assets["img/logo.png"].content_type == "image/png"


async def test_buildkit_cache_layout(seeded, store):
    container = "buildkit-cache"
    blobs = await all_blobs(store, container, "blobs/")
    for name in blobs:  # every layer is content-addressed: its name is the sha256 of its data
        data = await store.read_blob(container, name)
        assert name == "blobs/sha256:" + hashlib.sha256(data).hexdigest()
    manifests = {}
    for name in CACHE_NAMES:
        manifests[name] = await store.read_blob(container, f"manifests/{name}")
    assert any("/" in name for name in manifests)
    assert manifests["ci/main"] == manifests["ci/pr-42"]  # `name=ci/main;ci/pr-42`
    referenced: list[set[str]] = []
    for name, raw in manifests.items():
        config = json.loads(raw)
        assert set(config) == {"layers", "records"}
        layer_blobs = {layer["blob"] for layer in config["layers"]}
        assert all(f"blobs/{blob}" in blobs for blob in layer_blobs), name
        assert all(r["layers"][0]["layer"] < len(config["layers"]) for r in config["records"])
        referenced.append(layer_blobs)
    assert set.intersection(*referenced), "one layer is shared by every manifest"
    orphans = {name for name in blobs if name.removeprefix("blobs/") not in set.union(*referenced)}
    assert orphans == {plan_demo_data(BLOBS).orphan_cache_blob}


async def test_registry_layout(seeded, store):
    container = "registry"
    blobs = await all_blobs(store, container, f"{REGISTRY_ROOT}/")
    data_names = {n for n in blobs if n.startswith(f"{REGISTRY_ROOT}/blobs/")}
    contents = {}
    for name in data_names:
        match = re.fullmatch(rf"{REGISTRY_ROOT}/blobs/sha256/([0-9a-f]{{2}})/([0-9a-f]{{64}})/data", name)
        assert match and match[2].startswith(match[1]), name
        contents[match[2]] = await store.read_blob(container, name)
        assert hashlib.sha256(contents[match[2]]).hexdigest() == match[2]
    links = [n for n in blobs if n.endswith("/link")]
    tags = [n for n in links if n.endswith("/current/link")]
    assert {re.search(r"repositories/(.+)/_manifests", n)[1] for n in tags} == {
        "library/nginx", "team/api", "team/worker"}
    referenced = set()
    for name in links:
        target = (await store.read_blob(container, name)).decode()
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", target), name
        assert target[7:] in contents, f"{name} points at a missing blob"
        if "/_manifests/revisions/" in name:  # every revision is a manifest: mark what it references
            manifest = json.loads(contents[target[7:]])
            referenced.add(target[7:])
            for ref in [manifest.get("config", {})] + manifest.get("layers", []) + manifest.get("manifests", []):
                if ref.get("digest"):
                    referenced.add(ref["digest"][7:])
    unreferenced = {f"{REGISTRY_ROOT}/blobs/sha256/{h[:2]}/{h}/data" for h in set(contents) - referenced}
    assert unreferenced == {plan_demo_data(BLOBS).orphan_registry_blob}
    started = [n for n in blobs if "/_uploads/" in n and n.endswith("/startedat")]
    assert len(started) == 1
    datetime.fromisoformat((await store.read_blob(container, started[0])).decode().replace("Z", "+00:00"))


def test_profiles_text_uses_each_vocabulary(demo_azurite):
    text = demo_profiles_toml(demo_azurite)
    for name in ("demo", "demo-cache", "demo-registry", "demo-readonly"):
        assert re.search(rf'^\[profiles\.("{name}"|{name})\]$', text, re.M), name
    for key in ("secret_access_key", "account_url", "accountname", "serviceurl", "read_only"):
        assert key in text


@pytest.mark.slow
def test_run_demo_headless(tmp_path):
    out = tmp_path / "state" / "demo-profiles.toml"
    messages: list[str] = []
    assert run_demo(config_out=out, blobs=200, headless=True, say=messages.append) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert messages[0] == "Starting Azurite..."
    assert any(m.startswith("Seeding 200 blobs") for m in messages)
    assert any(str(out) in m for m in messages)
    pid = int(re.search(r"\(pid (\d+)\)", "\n".join(messages))[1])
    with pytest.raises(ProcessLookupError):  # Azurite was stopped (and reaped)
        os.kill(pid, 0)

    from aztui.profiles.file import load_profiles

    profile_set = load_profiles(out, environ={})
    assert not profile_set.errors, [p.render() for p in profile_set.errors]
    assert {"demo", "demo-cache", "demo-registry", "demo-readonly"} <= set(profile_set.profiles)
    assert profile_set.get("demo-readonly").read_only
    assert profile_set.get("demo-cache").container == "buildkit-cache"
    assert profile_set.get("demo-cache").kind == "buildkit-cache"
    assert profile_set.get("demo-registry").kind == "distribution"


@pytest.mark.slow
@pytest.mark.parametrize("how", ["quit key", "SIGTERM"])
def test_demo_tui_stops_azurite_on_exit(tmp_path, how):
    """`aztui demo` in a real terminal: the TUI shows the containers; quitting or a kill stops Azurite."""
    import select
    import signal
    import sys
    import time

    pty = pytest.importorskip("pty")
    pid, fd = pty.fork()
    if pid == 0:  # the child: aztui demo in a pseudo-terminal
        os.environ["TERM"] = "xterm-256color"
        os.execvp(sys.executable, [sys.executable, "-m", "aztui", "demo", "--blobs", "120",
                                   "--config-out", str(tmp_path / "demo.toml")])
    output = b""

    def read_until(pattern: bytes, timeout: float) -> bool:
        nonlocal output
        deadline = time.monotonic() + timeout
        while pattern not in output and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    output += os.read(fd, 65536)
                except OSError:  # the child closed the terminal
                    break
        return pattern in output

    try:
        assert read_until(b"7 containers", 60), output[-2000:]
        azurite_pid = int(re.search(rb"\(pid (\d+)\)", output)[1])
        if how == "quit key":
            os.write(fd, b"q")
        else:
            os.kill(pid, signal.SIGTERM)
        assert read_until(b"Stopping Azurite...", 30), output[-2000:]
        read_until(b"\0", 2)  # drain until the child exits
    finally:
        status = _wait_or_terminate(pid)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == (0 if how == "quit key" else 130)
    with pytest.raises(ProcessLookupError):
        os.kill(azurite_pid, 0)


def _wait_or_terminate(pid: int, timeout: float = 30) -> int:
    """Wait for our child `pid`; if it hangs, SIGTERM it (which also stops its Azurite)."""
    import signal
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.1)
    os.kill(pid, signal.SIGTERM)
    return os.waitpid(pid, 0)[1]


@pytest.mark.slow
def test_demo_no_tui_serves_until_ctrl_c(tmp_path):
    """`aztui demo --no-tui` keeps Azurite up: a printed command works when pasted; Ctrl-C stops it."""
    import shlex
    import signal
    import subprocess
    import sys
    import time

    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    demo = subprocess.Popen([sys.executable, "-m", "aztui", "demo", "--no-tui", "--blobs", "120",
                             "--config-out", str(tmp_path / "demo profiles.toml")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any(line.startswith("(or: export") for line in lines):
            line = demo.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
        output = "\n".join(lines)
        assert "until Ctrl-C" in output, output
        azurite_pid = int(re.search(r"\(pid (\d+)\)", output)[1])
        pasted = [line.strip() for line in lines if line.startswith("  aztui --config")]
        assert len(pasted) >= 5
        outputs = {}
        for command in pasted:
            words = shlex.split(command, comments=True)  # as a shell reads it; the path has a space
            if words[-1].startswith("--config") or len(words) == 3:
                continue  # the TUI itself
            assert words[0] == "aztui"
            done = subprocess.run([sys.executable, "-m", "aztui", *words[1:]], capture_output=True,
                                  text=True, env=env, timeout=60)
            assert done.returncode == 0, (command, done.stderr)
            outputs[" ".join(words[3:])] = done.stdout
        assert "postgres/2025-10-01/full.dump.gz" in outputs["blobs ls demo:backups --recursive"]
        assert "Dry run" in outputs["blobs tier demo:backups/postgres --prefix --tier Cool"]
        os.kill(azurite_pid, 0)  # still serving after the command
        demo.send_signal(signal.SIGINT)
        rest, _ = demo.communicate(timeout=30)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    assert demo.returncode == 130, rest
    assert "Stopping Azurite..." in rest
    assert "Traceback" not in output + rest
    with pytest.raises(ProcessLookupError):
        os.kill(azurite_pid, 0)
