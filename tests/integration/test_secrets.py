"""No secret ever leaves: every headless command, run against profiles whose secrets are markers.

An Azurite account is created whose two keys are unique marker strings (valid base64, so shared
key signing really works with them); a valid SAS is signed with one (its signature is a marker
too); a wrong key, a forged SAS signature and a client secret (against the local Entra endpoint,
right and wrong) are markers as well. Every command runs in a subprocess, success and error
paths, text and --json, one with --verbose (SDK request logging), and the test fails if any
marker appears in stdout, stderr, the log file, a plan file or a journal. Log, plan and journal
files must be owner-only, their folders not readable by others.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import unquote

import pytest

from aztui.azure.blobs import BlobStore
from aztui.demo.azurite import start_azurite
from aztui.profiles.model import Profile, Secret
from tests.integration.test_buildcache import CacheWriter
from tests.integration.test_hostile_data import write_registry
from tests.support.pilot import write_profiles_file
from tests.support.tokenserver import TokenServer

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def marker(label: str, length: int = 64) -> str:
    """`label` + random base64 characters: unique, and valid base64 when the length is a multiple of 4."""
    return label + "".join(secrets.choice(ALNUM) for _ in range(length - len(label)))


KEY = marker("LeakKeyMarker")
KEY2 = marker("LeakConnKeyMarker")
WRONG_KEY = marker("LeakWrongKeyMarker")
FORGED_SIG = marker("LeakSasSigMarker", 44)
CLIENT_SECRET = marker("LeakClientSecretMarker", 40)
WRONG_SECRET = marker("LeakWrongSecretMarker", 40)
ACCOUNT = "leakacct"
TENANT, CLIENT_ID = "7f8e9d0c-1b2a-4c3d-9e8f-0a1b2c3d4e5f", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


@pytest.fixture(scope="module")
def leak_azurite():
    server = start_azurite(extra_accounts=f"{ACCOUNT}:{KEY}:{KEY2}")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def token_server(tls):
    server = TokenServer(tls["cert"], tls["key"]).start()
    server.register(TENANT, CLIENT_ID, CLIENT_SECRET)
    yield server
    server.stop()


def account_sas(server) -> str:
    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    return generate_account_sas(ACCOUNT, KEY, ResourceTypes(service=True, container=True, object=True),
                                AccountSasPermissions(read=True, list=True, write=True, delete=True),
                                expiry=datetime.now(timezone.utc) + timedelta(hours=1))


@pytest.fixture(scope="module")
def world(leak_azurite, azurite_https, tls, token_server, tmp_path_factory):
    """Data (blobs, a cache, a registry) and a profiles file whose every secret is a marker."""
    endpoint = f"http://127.0.0.1:{leak_azurite.port}/{ACCOUNT}"
    container, cache = "leakdata", "leakcache"
    owner = Profile(name="owner", kind="storage", auth="shared_key", account_name=ACCOUNT,
                    account_url=endpoint, account_key=Secret(KEY))
    token_side = Profile(name="owner", kind="storage", auth="shared_key", account_name=azurite_https.account,
                         account_url=azurite_https.blob_endpoint, account_key=Secret(azurite_https.key),
                         ca_bundle=tls["ca"])
    https_container = "leak" + secrets.token_hex(6)

    async def seed():
        async with BlobStore(owner) as store:
            await store.create_container(container)
            await asyncio.gather(*(store.upload_blob(container, f"data/{i}.bin", os.urandom(100)) for i in range(6)))
            await write_registry(store, container)
            await store.create_container(cache)
            w = CacheWriter(store, cache)
            await w.export("app", await w.layers(10, 20, seed="leak"))
            await w.layers(5, seed="orphan")
        async with BlobStore(token_side) as store:
            await store.create_container(https_container)
            await store.upload_blob(https_container, "x.txt", b"token side")

    asyncio.run(seed())
    sas = account_sas(leak_azurite)
    signature = unquote(sas.split("sig=")[1].split("&")[0])
    forged = sas.split("sig=")[0] + "sig=" + FORGED_SIG
    folder = tmp_path_factory.mktemp("secrets")
    config = write_profiles_file(folder / "profiles.toml", f"""
default_profile = "key"

[profiles.key]
accountname = "{ACCOUNT}"
accountkey = "{KEY}"
serviceurl = "{endpoint}"
container = "{container}"

[profiles.conn]
connection_string = "DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY2};BlobEndpoint={endpoint};"

[profiles.sas]
account_url = "{endpoint}"
container = "{container}"
sas_token = "{sas}"

[profiles.forged]
account_url = "{endpoint}"
container = "{container}"
sas_token = "{forged}"

[profiles.wrongkey]
accountname = "{ACCOUNT}"
accountkey = "{WRONG_KEY}"
serviceurl = "{endpoint}"
container = "{container}"

[profiles.cache]
account_url = "{endpoint}"
account_name = "{ACCOUNT}"
secret_access_key = "{KEY}"
container = "{cache}"

[profiles.tok]
account_url = "{azurite_https.blob_endpoint}"
account_name = "{azurite_https.account}"
container = "{https_container}"
client_id = "{CLIENT_ID}"
tenant_id = "{TENANT}"
client_secret = "{CLIENT_SECRET}"
authority_host = "{token_server.authority}"
ca_bundle = "{tls['ca']}"

[profiles.tokbad]
account_url = "{azurite_https.blob_endpoint}"
account_name = "{azurite_https.account}"
container = "{https_container}"
client_id = "{CLIENT_ID}"
tenant_id = "{TENANT}"
client_secret = "{WRONG_SECRET}"
authority_host = "{token_server.authority}"
ca_bundle = "{tls['ca']}"
""")
    markers = [KEY, KEY2, WRONG_KEY, FORGED_SIG, CLIENT_SECRET, WRONG_SECRET, signature, sas.split("sig=")[1],
               "LeakKeyMarker", "LeakConnKeyMarker", "LeakWrongKeyMarker", "LeakSasSigMarker",
               "LeakClientSecretMarker", "LeakWrongSecretMarker"]
    return {"config": config, "folder": folder, "container": container, "markers": markers}


PROFILES = ["key", "conn", "sas", "forged", "wrongkey", "cache", "tok", "tokbad"]


def commands(container: str, folder: Path) -> list[tuple[str, ...]]:
    c = container
    runs: list[tuple[str, ...]] = [("profiles", "list"), ("profiles", "list", "--json"), ("profiles", "validate"),
                                   ("profiles", "validate", "--json", "--strict"), ("profiles", "path")]
    for name in PROFILES:
        runs += [("profiles", "show", name), ("profiles", "show", name, "--json"),
                 ("profiles", "test", name), ("profiles", "test", name, "--json")]
        if name != "cache":
            runs += [("blobs", "ls", f"{name}:{c}" if name not in ("tok", "tokbad", "conn") else name, "--json"),
                     ("blobs", "ls", f"{name}:{c}/data" if name not in ("tok", "tokbad", "conn") else name)]
    runs += [
        ("profiles", "test", "key", "--write", "--json"), ("profiles", "test", "--all", "--json"),
        ("--verbose", "blobs", "ls", f"sas:{c}/data", "--json"), ("--verbose", "blobs", "ls", f"key:{c}/data"),
        ("--verbose", "blobs", "ls", f"forged:{c}"), ("--verbose", "blobs", "ls", "tokbad"),
        ("blobs", "ls", "conn"), ("blobs", "du", f"key:{c}/data"), ("blobs", "du", f"sas:{c}/data", "--json"),
        ("blobs", "du", f"wrongkey:{c}/data"), ("blobs", "du", "tok:/", "--json"),
        ("blobs", "rm", f"key:{c}/data/0.bin", "--plan-file", str(folder / "plan.json")),
        ("blobs", "rm", f"sas:{c}/data/1.bin", "--json"),
        ("blobs", "rm", f"wrongkey:{c}/data/2.bin", "--execute"),
        ("blobs", "rm", f"forged:{c}/data/2.bin", "--execute", "--json"),
        ("cache", "ls", "cache"), ("cache", "ls", "cache", "--json", "--verify"),
        ("cache", "gc", "cache", "--grace", "0s", "--plan-file", str(folder / "gc.json")),
        ("registry", "ls", "key"), ("registry", "ls", "key", "--json"), ("registry", "gc", "key"),
        ("registry", "gc", "key", "--json"), ("registry", "gc", "wrongkey"), ("registry", "ls", "forged", "--json"),
    ]
    return runs


def run(world: dict, args: tuple[str, ...], *, log: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_STATE_HOME": str(world["folder"] / "state")}
    env.pop("AZTUI_LOG_FILE", None)
    if log:
        env["AZTUI_LOG_FILE"] = str(world["folder"] / "logs" / "aztui.log")
    return subprocess.run([sys.executable, "-m", "aztui", "--config", str(world["config"]), *args],
                          capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)


def test_no_command_leaks_a_secret(world):
    folder = world["folder"]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda args: (args, run(world, args)), commands(world["container"], folder)))
    # the destructive ones, on the plans saved above (and the default log location, once)
    results += [(a, run(world, a, log=False)) for a in [
        ("blobs", "rm", "--execute", "--plan-file", str(folder / "plan.json"), "--json"),
        ("blobs", "rm", f"conn:{world['container']}/data/3.bin", "--execute"),
        ("cache", "gc", "cache", "--execute", "--plan-file", str(folder / "gc.json")),
        ("registry", "gc", "key", "--execute", "--yes", "--json"),
    ]]
    codes = {}
    for args, result in results:
        codes[" ".join(args)] = result.returncode
        assert "Traceback" not in result.stderr, (args, result.stderr)
        for m in world["markers"]:
            assert m not in result.stdout and m not in result.stderr, (m, args, result.stdout, result.stderr)
    # the runs really did work (and really did fail where they should)
    assert codes["blobs ls sas:leakdata --json"] == 0 and codes["--verbose blobs ls sas:leakdata/data --json"] == 0 and codes["blobs ls tok --json"] == 0
    assert codes[f"blobs rm --execute --plan-file {folder / 'plan.json'} --json"] == 0
    assert codes[f"cache gc cache --execute --plan-file {folder / 'gc.json'}"] == 0
    assert codes["registry gc key --execute --yes --json"] == 0
    assert codes["blobs du wrongkey:leakdata/data"] == 1 and codes["blobs ls tokbad --json"] == 1
    assert codes["blobs ls forged:leakdata --json"] == 1

    state = folder / "state" / "aztui"
    files = [folder / "logs" / "aztui.log", folder / "plan.json", folder / "gc.json",
             *(state / "journals").glob("*.jsonl"), *state.rglob("*.log")]
    journals = list((state / "journals").glob("*.jsonl"))
    assert len(journals) >= 3 and any(state.rglob("*.log")), sorted(state.rglob("*"))
    for path in files:
        text = path.read_text(errors="replace")
        for m in world["markers"]:
            assert m not in text, (m, path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        if path.parent != folder:  # folders aztui made itself: not readable by others
            assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0, (path.parent, oct(path.parent.stat().st_mode))
