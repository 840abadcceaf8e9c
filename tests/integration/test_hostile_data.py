"""Hostile data from storage, through the headless commands: shown safely, never a crash, never a wrong delete.

- Blob names with control characters (those Azurite can list: XML 1.0 forbids most C0 ones),
  C1 CSI (0x9b, which some terminals obey), DEL, right-to-left overrides, 1024-character names,
  path-like names and Rich markup: `blobs ls --json` round-trips them exactly; the text output
  escapes every control and bidi character, so one name is one line and nothing is interpreted.
- A BuildKit cache with a 20 MB manifest, an invalid-JSON manifest and layers whose content does
  not match their digest: `cache ls` / `cache gc` never crash and never plan a referenced blob.
- A Distribution registry whose link files hold garbage: `registry gc` reports problems and
  refuses to sweep.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from aztui.azure.blobs import BlobStore
from aztui.profiles.model import Profile
from tests.support.buildcache import CacheWriter, cache_config
from tests.support.profiles import seed_profile
from tests.support.registry_layout import REGISTRY, registry_key, write_registry

HOSTILE_NAMES = [
    "csi\x9b31mred\x9b0m.txt", "del\x7fete.txt", "tab\tin/name.txt", "new\nline.txt", "carriage\rreturn.txt",
    "rtl\u202egnp.exe", "isolate\u2066x\u2069.txt", "mark\u200f\u200e.txt", "[bold red]markup[/bold red].txt",
    "[link=http://127.0.0.1/]click[/link]", "%2e%2e%2fencoded", "..\\..\\windows\\path", "/leading-slash",
    "double//slash", "...", "x" * 1024, "emoji\U0001f600/\u0301combining", "quote\"'`$(echo no)",
]
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def aztui(config: Path, *args: str, state: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_STATE_HOME": str(state or config.parent / "state"),
           "AZTUI_LOG_FILE": str(config.parent / "aztui.log")}
    return subprocess.run([sys.executable, "-m", "aztui", "--config", str(config), *args],
                          capture_output=True, text=True, env=env, timeout=120)


async def listing(profile: Profile, container: str) -> dict[str, bytes]:
    """Every blob's content; names with '..' segments too (aztui sends URLs unnormalized)."""
    async with BlobStore(profile) as store:
        names = [b.name async for b in store.iter_blobs(container)]
        return dict(zip(names, await asyncio.gather(*(store.read_blob(container, n) for n in names))))


@pytest.fixture
def hostile(azurite, container_name, write_profiles):
    async def seed():
        async with BlobStore(seed_profile(azurite)) as store:
            await store.create_container(container_name)
            await asyncio.gather(*(store.upload_blob(container_name, f"h/{name}", name.encode(),
                                                     metadata={"note": "[red]x[/red]"})
                                   for name in HOSTILE_NAMES))
            await store.upload_blob(container_name, "other/keep.txt", b"keep")

    asyncio.run(seed())
    config = write_profiles(f'[profiles.local]\nconnection_string = "{azurite.connection_string}"\n')
    return config, container_name


def test_ls_json_round_trips_hostile_names_and_text_escapes_them(azurite, hostile):
    config, container = hostile
    stored = asyncio.run(listing(seed_profile(azurite), container))
    hostile_stored = sorted(n for n in stored if n.startswith("h/"))
    assert len(hostile_stored) == len(HOSTILE_NAMES)
    # what Azure calls the blob (a backslash becomes '/') is what must come back, byte for byte
    assert {"h/" + n for n in HOSTILE_NAMES if "\\" not in n} <= set(hostile_stored)

    listed = aztui(config, "blobs", "ls", f"local:{container}/h", "--recursive", "--json")
    assert listed.returncode == 0, listed.stderr
    assert sorted(item["name"] for item in json.loads(listed.stdout)) == hostile_stored

    text = aztui(config, "blobs", "ls", f"local:{container}/h", "--recursive")
    assert text.returncode == 0, text.stderr
    assert not UNSAFE.search(text.stdout), repr(UNSAFE.search(text.stdout))
    lines = text.stdout.splitlines()
    assert len(lines) == 1 + len(hostile_stored)  # one line per blob: a newline in a name is escaped
    assert any(line.endswith("h/csi\\x9b31mred\\x9b0m.txt") for line in lines)
    assert any(line.endswith("h/new\\x0aline.txt") for line in lines)
    assert any(line.endswith("h/rtl\\u202egnp.exe") for line in lines)
    assert any(line.endswith("h/[bold red]markup[/bold red].txt") for line in lines)  # literal, not styled


DECOY = ("windows", "path")  # where "<container>/h/../../windows/path" lands once '..' is resolved


@pytest.mark.slow
def test_rm_plans_and_deletes_exactly_the_hostile_names(azurite, hostile, tmp_path):
    """A name with '..' segments must never make a delete land on another blob (here: a decoy in
    another container, exactly where the resolved path would point): it deletes exactly that blob."""
    config, container = hostile

    async def decoy():
        async with BlobStore(seed_profile(azurite)) as store:
            if DECOY[0] not in [c.name async for c in store.iter_containers(DECOY[0])]:
                await store.create_container(DECOY[0])
            await store.upload_blob(*DECOY, b"decoy", overwrite=True)

    asyncio.run(decoy())
    plan_file = tmp_path / "plan.json"
    dry = aztui(config, "blobs", "rm", f"local:{container}/h", "--prefix", "--plan-file", str(plan_file))
    assert dry.returncode == 0, dry.stderr
    assert not UNSAFE.search(dry.stdout)
    assert len(json.loads(plan_file.read_text())["items"]) == len(HOSTILE_NAMES)
    done = aztui(config, "blobs", "rm", "--execute", "--plan-file", str(plan_file), "--json")
    report = json.loads(done.stdout)
    assert report["failed"] == [] and done.returncode == 0, done.stderr
    assert report["deleted"] == len(HOSTILE_NAMES)
    assert asyncio.run(listing(seed_profile(azurite), container)) == {"other/keep.txt": b"keep"}
    assert asyncio.run(listing(seed_profile(azurite), DECOY[0]))[DECOY[1]] == b"decoy"


# --- a hostile BuildKit cache -----------------------------------------------------------------

def cache_profiles(azurite, container: str) -> str:
    return (f'[profiles.cache]\naccount_url = "{azurite.blob_endpoint}"\naccount_name = "{azurite.account}"\n'
            f'secret_access_key = "{azurite.key}"\ncontainer = "{container}"\n')


def big_manifest(digests: list[str], megabytes: int) -> bytes:
    """A valid CacheConfig of about `megabytes` MB: the real layers plus huge annotations."""
    config = json.loads(cache_config(digests))
    padding = "p" * 1024
    config["layers"][0]["annotations"].update({f"pad{i}": padding for i in range(megabytes * 1024)})
    return json.dumps(config).encode()


@pytest.mark.slow
@pytest.mark.parametrize("bad", ["invalid-json", "garbage-refs", "none"])
def test_cache_with_huge_and_broken_manifests_never_plans_a_referenced_blob(azurite, container_name,
                                                                           write_profiles, bad):
    from tests.support.buildcache import cache_profile

    async def seed():
        async with BlobStore(cache_profile(azurite, container_name)) as store:
            await store.create_container(container_name)
            w = CacheWriter(store, container_name)
            big_layers = await w.layers(100, 200, seed="big")
            small = await w.layers(50, seed="small")
            orphans = await w.layers(30, 40, seed="orphan")
            await store.upload_blob(container_name, "manifests/huge", big_manifest(big_layers, 20))
            await w.export("small;ctl\x9b2Jname", small)
            # a layer whose content does not match its digest, referenced by a manifest
            wrong = "sha256:" + hashlib.sha256(b"something else").hexdigest()
            await store.upload_blob(container_name, f"blobs/{wrong}", b"not what the digest says")
            await w.export("wrong-digest", [wrong])
            if bad == "garbage-refs":  # references that are not digests at all
                await store.upload_blob(container_name, "manifests/garbage-refs", json.dumps(
                    {"layers": [{"blob": "../../etc/passwd"}, {"blob": None}, "x"], "records": 5}).encode())
            if bad == "invalid-json":
                await store.upload_blob(container_name, "manifests/broken", b'{"layers": [{"blob": "sha2')
            return {f"blobs/{d}" for d in big_layers + small + [wrong]}, {f"blobs/{d}" for d in orphans}

    referenced, orphans = asyncio.run(seed())
    config = write_profiles(cache_profiles(azurite, container_name))
    for args in (["cache", "ls", "cache", "--all"], ["cache", "ls", "cache", "--all", "--json"],
                 ["cache", "ls", "cache", "--all", "--verify", "--json"]):
        shown = aztui(config, *args)
        assert shown.returncode == 0 and "Traceback" not in shown.stderr, shown.stderr
        assert not UNSAFE.search(shown.stdout) or "--json" in args
    verified = json.loads(shown.stdout)
    assert any("wrong-digest" in a["subject"] or "sha256" in a["detail"] for a in verified["anomalies"]), verified

    plan_file = config.parent / "gc.json"
    gc = aztui(config, "cache", "gc", "cache", "--grace", "0s", "--json", "--plan-file", str(plan_file))
    assert gc.returncode in (0, 3) and "Traceback" not in gc.stderr, gc.stderr
    planned = {item["name"] for item in json.loads(gc.stdout).get("delete", [])}
    if bad != "none":  # an unreadable manifest: no blob goes at all
        assert not {n for n in planned if n.startswith("blobs/")}, planned
    else:
        assert not planned & referenced, planned & referenced
        assert orphans == {n for n in planned if n.startswith("blobs/")}, planned
    text = aztui(config, "cache", "gc", "cache", "--grace", "0s")
    assert text.returncode in (0, 3) and not UNSAFE.search(text.stdout + text.stderr), text.stdout


# --- a Distribution registry with garbage link files ------------------------------------------

def registry_profiles(azurite, container: str, *, endpoint: str | None = None, read_only: bool = False) -> str:
    return (f'[profiles.reg]\naccountname = "{azurite.account}"\naccountkey = "{azurite.key}"\n'
            f'serviceurl = "{endpoint or azurite.blob_endpoint}"\ncontainer = "{container}"\n'
            + ("read_only = true\n" if read_only else ""))


@pytest.mark.slow
def test_registry_gc_sweeps_a_clean_registry_but_refuses_garbage_links(azurite, container_name, write_profiles):
    async def seed():
        async with BlobStore(seed_profile(azurite)) as store:
            await store.create_container(container_name)
            return await write_registry(store, container_name)

    digests = asyncio.run(seed())
    config = write_profiles(registry_profiles(azurite, container_name))
    clean = aztui(config, "registry", "gc", "reg", "--json")
    assert clean.returncode == 0, clean.stderr
    assert digests["orphan"] in clean.stdout and digests["layer"] not in clean.stdout.split('"blobs"')[-1]

    async def spoil():
        async with BlobStore(seed_profile(azurite)) as store:
            repo = f"{REGISTRY}repositories/app/_manifests/"
            await store.upload_blob(container_name, f"{repo}revisions/sha256/{digests['manifest'][7:]}/link",
                                    b"\x00garbage\x9b[31m not a digest", overwrite=True)
            await store.upload_blob(container_name, f"{repo}tags/latest/current/link", b"sha256:zz", overwrite=True)
            # the manifest blob itself becomes garbage: what it references is unknown
            await store.upload_blob(container_name, registry_key(digests["manifest"]), b"\xff" * 100, overwrite=True)

    asyncio.run(spoil())
    before = asyncio.run(listing(seed_profile(azurite), container_name))
    for args in (["--json"], ["--delete-untagged"], ["--execute", "--yes"], ["--execute", "--yes", "--delete-untagged"]):
        result = aztui(config, "registry", "gc", "reg", *args)
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert not UNSAFE.search(result.stdout + result.stderr.replace("\n", " ")) or "--json" in args
    assert asyncio.run(listing(seed_profile(azurite), container_name)) == before
    listed = aztui(config, "registry", "ls", "reg")
    assert "Traceback" not in listed.stderr, listed.stderr
