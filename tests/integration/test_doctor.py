"""The profile doctor against real local components: Azurite, loopback servers, a token endpoint.

Each failure case proves the verdict of the step that catches it AND the hint it gives.
"""

from __future__ import annotations

import base64
import json
import ssl
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from aztui.azure import BlobStore
from aztui.cli import main as aztui_main
from aztui.demo.azurite import free_port
from aztui.doctor import checks as doctor
from aztui.profiles.file import load_profiles
from tests.support.http_fakes import CannedHttp, LoopbackHttp
from tests.support.profiles import azurite_profile
from tests.support.tokenserver import CLIENT_ID, CLIENT_SECRET, TENANT

# unique markers used as secrets: none may ever appear in any output
KEY_MARKER = base64.b64encode(b"MARKERKEY" + b"k" * 55).decode()          # 64 bytes, wrong key
SECRET_MARKER = "client-secret-MARKER-7f3a9c"


def now() -> datetime:
    return datetime.now(timezone.utc)


def toml(profile_name: str, /, **keys) -> str:
    lines = [f"[profiles.{profile_name}]"]
    for key, value in keys.items():
        lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def key_keys(server, **keys) -> dict:
    return dict(kind="storage", account_url=server.blob_endpoint, account_name=server.account,
                account_key=server.key, max_retries=0, **keys)


def sas_keys(server, sas: str, **keys) -> dict:
    return dict(kind="storage", account_url=server.blob_endpoint, auth="sas", sas_token=sas,
                max_retries=0, **keys)


async def run_doctor(write_profiles, text: str, name: str = "p", **kwargs) -> doctor.DoctorReport:
    profile_set = load_profiles(write_profiles(text))
    seen: list[str] = []
    report = await doctor.test_profile(profile_set, name, progress=lambda s: seen.append(s.name), **kwargs)
    assert seen == list(doctor.STEPS) == [s.name for s in report.steps]  # progress saw each step
    return report


def statuses(report) -> dict[str, str]:
    return {s.name: s.status for s in report.steps}


async def seed(server, container: str, blobs: dict[str, bytes] | None = None) -> None:
    admin = azurite_profile(server, name="admin")
    async with BlobStore(admin) as store:
        await store.create_container(container)
        for name, data in (blobs or {"dir/hello.txt": b"hello"}).items():
            await store.upload_blob(container, name, data)


async def blob_names(server, container: str) -> list[str]:
    admin = azurite_profile(server, name="admin")
    async with BlobStore(admin) as store:
        return [b.name async for b in store.iter_blobs(container)]


def container_sas(server, container: str, *, expiry=timedelta(hours=1), start=None, **perms) -> str:
    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    return generate_container_sas(server.account, container, server.key,
                                  permission=ContainerSasPermissions(**perms), expiry=now() + expiry,
                                  start=start)


# --- healthy ----------------------------------------------------------------------------------

async def test_healthy_shared_key_profile_with_write(azurite, write_profiles, container_name):
    await seed(azurite, container_name, {"builds/a.txt": b"a", "other.txt": b"o"})
    report = await run_doctor(write_profiles, toml("p", **key_keys(azurite, container=container_name,
                                                                   prefix="builds")), write=True)
    assert statuses(report) == {**dict.fromkeys(doctor.STEPS, "ok"), "content": "skipped"}, report
    assert report.ok and report.verdict == "ok"
    assert report.step("content").detail == "a storage profile expects no particular content"
    assert "accepts connections" in report.step("endpoint").detail
    assert "within" in report.step("clock").detail
    assert "valid base64 (64 bytes)" in report.step("credential").detail
    auth = report.step("authorization").detail
    assert f"container {container_name} exists" in auth and f"listed 1 blob under {container_name}/builds/" in auth
    write = report.step("write").detail
    assert write.startswith(f"uploaded, read back and deleted {container_name}/builds/.aztui-probe/")
    assert all(s.hint is None for s in report.steps)
    assert await blob_names(azurite, container_name) == ["builds/a.txt", "other.txt"]  # probe gone


async def test_account_wide_profile_lists_containers(azurite, write_profiles, container_name):
    await seed(azurite, container_name)
    report = await run_doctor(write_profiles, toml("p", **key_keys(azurite)), write=True)
    assert report.ok
    assert "listed containers:" in report.step("authorization").detail
    assert report.step("write").status == "skipped"
    assert report.step("write").detail == "the profile names no container to write into"


async def test_without_write_the_write_step_is_skipped_with_a_note(azurite, write_profiles, container_name):
    await seed(azurite, container_name)
    report = await run_doctor(write_profiles, toml("p", **key_keys(azurite, container=container_name)))
    assert report.ok and report.step("write").status == "skipped"
    assert "--write" in report.step("write").detail


# --- credentials --------------------------------------------------------------------------------

async def test_wrong_account_key(azurite, write_profiles, container_name):
    await seed(azurite, container_name)
    keys = key_keys(azurite, container=container_name)
    keys["account_key"] = KEY_MARKER
    report = await run_doctor(write_profiles, toml("p", **keys))
    assert statuses(report)["credential"] == "ok"      # well-formed; only the service can refuse it
    step = report.step("authorization")
    assert step.status == "fail" and step.detail.startswith("Authentication failed")
    assert "account key" in step.hint
    assert report.step("write").status == "skipped"
    assert not report.ok


async def test_account_key_that_is_not_base64(azurite, write_profiles):
    keys = key_keys(azurite, container="anything")
    keys["account_key"] = "not base64 at all MARKER!"
    report = await run_doctor(write_profiles, toml("p", **keys))
    step = report.step("credential")
    assert step.status == "fail" and "not valid base64" in step.detail
    assert "key1 or key2" in step.hint and "==" in step.hint
    assert report.step("authorization").status == "skipped"
    assert "credential step" in report.step("authorization").detail
    assert "MARKER!" not in json.dumps(report.to_dict())


async def test_expired_sas(azurite, write_profiles, container_name):
    await seed(azurite, container_name)
    sas = container_sas(azurite, container_name, expiry=-timedelta(hours=1),
                        start=now() - timedelta(hours=2), read=True, list=True)
    report = await run_doctor(write_profiles, toml("p", **sas_keys(azurite, sas, container=container_name)))
    step = report.step("credential")
    assert step.status == "fail" and "the SAS expired on " in step.detail and " UTC" in step.detail
    assert "expiry (se) in the future" in step.hint
    assert "permissions 'rl' (read, list)" in step.detail   # the decode is shown too
    assert sas.split("sig=")[1].split("&")[0] not in json.dumps(report.to_dict())


async def test_sas_not_yet_valid(azurite, write_profiles, container_name):
    await seed(azurite, container_name)
    start = (now() + timedelta(days=1)).replace(microsecond=0)
    sas = container_sas(azurite, container_name, expiry=timedelta(days=2), start=start, read=True, list=True)
    report = await run_doctor(write_profiles, toml("p", **sas_keys(azurite, sas, container=container_name)))
    step = report.step("credential")
    assert step.status == "fail"
    assert f"the SAS is not valid before {start:%Y-%m-%d %H:%M:%S} UTC" in step.detail
    assert "start (st) is in the past" in step.hint


async def test_sas_without_list_permission(azurite, write_profiles, container_name):
    await seed(azurite, container_name)
    sas = container_sas(azurite, container_name, read=True)
    report = await run_doctor(write_profiles, toml("p", **sas_keys(azurite, sas, container=container_name)))
    step = report.step("credential")
    assert step.status == "fail" and "listing needs 'l' (list)" in step.detail
    assert "'rl'" in step.hint
    assert report.step("authorization").status == "skipped"


async def test_sas_without_delete_for_a_cache_profile(azurite, write_profiles, container_name):
    await seed(azurite, container_name, {"manifests/app": b'{"layers": []}'})
    sas = container_sas(azurite, container_name, read=True, write=True, create=True, list=True)
    keys = dict(account_url=azurite.blob_endpoint, sas_token=sas, container=container_name, name="app",
                max_retries=0)
    report = await run_doctor(write_profiles, toml("p", **keys), write=True)
    credential = report.step("credential")
    assert credential.status == "warn"
    assert "without 'd' (delete): garbage collection cannot delete" in credential.detail
    assert "'d' (delete)" in credential.hint
    assert report.step("authorization").status == "ok"
    assert "read cache manifest manifests/app" in report.step("authorization").detail
    write = report.step("write")
    assert write.status == "fail"
    assert "delete failed — garbage collection needs delete" in write.detail
    assert "the probe blob is left behind" in write.detail
    assert "'d' (delete)" in write.hint
    left = [n for n in await blob_names(azurite, container_name) if ".aztui-probe/" in n]
    assert len(left) == 1 and left[0] in write.detail


async def test_cache_profile_without_manifests_warns(azurite, write_profiles, container_name):
    await seed(azurite, container_name, {"blobs/sha256:00": b"x"})
    keys = dict(account_url=azurite.blob_endpoint, account_name=azurite.account,
                secret_access_key=azurite.key, container=container_name, name="app", max_retries=0)
    report = await run_doctor(write_profiles, toml("p", **keys))
    auth = report.step("authorization")
    assert auth.status == "ok" and "no cache manifest to read" in auth.detail
    step = report.step("content")
    assert step.status == "warn"
    assert step.detail == (f"expected BuildKit cache manifests under {container_name}/manifests/ (app)\n"
                           f"found nothing under {container_name}/manifests/; the container holds other blobs "
                           "(the first is 'blobs/sha256:00')")
    assert "--cache-to" in step.hint
    assert report.ok and report.verdict == "warning"


# --- location --------------------------------------------------------------------------------------

async def test_missing_container(azurite, write_profiles, container_name):
    report = await run_doctor(write_profiles, toml("p", **key_keys(azurite, container=container_name)))
    step = report.step("authorization")
    assert step.status == "fail"
    assert step.detail == (f"Not found while reading the properties of container {container_name}: "
                           "the container does not exist")
    assert "container" in step.hint


async def test_wrong_account_name(azurite, write_profiles, container_name):
    await seed(azurite, container_name)
    keys = key_keys(azurite, container=container_name)
    keys.update(account_url=f"http://127.0.0.1:{azurite.port}/nosuchaccount", account_name="nosuchaccount")
    report = await run_doctor(write_profiles, toml("p", **keys))
    assert statuses(report)["endpoint"] == "ok"
    step = report.step("authorization")
    assert step.status == "fail" and step.detail.startswith("Not found")
    assert "account 'nosuchaccount' may not exist" in step.hint and "account name" in step.hint


async def test_closed_port_fails_fast(write_profiles):
    port = free_port()
    keys = dict(kind="storage", account_url=f"http://127.0.0.1:{port}/acct", auth="anonymous",
                container="box")
    started = time.monotonic()
    report = await run_doctor(write_profiles, toml("p", **keys))
    assert time.monotonic() - started < 10
    step = report.step("endpoint")
    assert step.status == "fail" and step.detail == f"127.0.0.1:{port} refused the connection"
    assert "nothing listens on that port" in step.hint
    assert [s.status for s in report.steps[2:]] == ["skipped", "skipped", "skipped", "skipped", "skipped"]
    assert report.step("clock").detail == "skipped because the endpoint step did not pass"


async def test_server_that_accepts_and_never_answers(write_profiles):
    async with LoopbackHttp(None) as server:
        keys = dict(kind="storage", account_url=server.url, auth="anonymous", container="box",
                    connect_timeout="1s", read_timeout="1s", max_retries=0)
        started = time.monotonic()
        report = await run_doctor(write_profiles, toml("p", **keys))
        elapsed = time.monotonic() - started
    assert report.step("endpoint").status == "ok"
    step = report.step("clock")
    assert step.status == "fail"
    assert "accepted the connection but sent no HTTP answer within 1 s (read_timeout)" in step.detail
    assert "stalled" in step.hint and "read_timeout" in step.hint
    assert report.step("authorization").status == "skipped"
    assert 0.9 <= elapsed < 5


async def test_untrusted_tls_certificate(azurite_https, write_profiles):
    keys = key_keys(azurite_https, container="box")
    report = await run_doctor(write_profiles, toml("p", **keys))
    step = report.step("endpoint")
    assert step.status == "fail" and "TLS certificate" in step.detail and "not trusted" in step.detail
    assert "ca_bundle" in step.hint


async def test_tls_with_ca_bundle_is_verified(azurite_https, tls, write_profiles, container_name):
    await seed_https(azurite_https, tls, container_name)
    report = await run_doctor(write_profiles, toml("p", **key_keys(azurite_https, container=container_name,
                                                                   ca_bundle=tls["ca"])))
    assert report.ok, report
    assert "TLS verified with ca_bundle" in report.step("endpoint").detail


async def seed_https(server, tls, container: str) -> None:
    admin = azurite_profile(server, name="admin", ca_bundle=tls["ca"])
    async with BlobStore(admin) as store:
        await store.create_container(container)


# --- clock -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("auth, minutes, verdict", [
    ("shared_key", 120, "fail"), ("anonymous", 120, "warn"), ("shared_key", 10, "warn"),
    ("shared_key", 0, "ok")])
async def test_clock_skew(write_profiles, auth, minutes, verdict):
    skewed = now() + timedelta(minutes=minutes)
    async with CannedHttp(403, "AuthenticationFailed", "Server failed to authenticate the request.",
                          date=skewed) as server:
        keys = dict(kind="storage", account_url=server.url, account_name="acct", auth=auth,
                    container="box", max_retries=0)
        if auth == "shared_key":
            keys["account_key"] = KEY_MARKER
        report = await run_doctor(write_profiles, toml("p", **keys))
    step = report.step("clock")
    assert step.status == verdict, step
    if verdict == "ok":
        return
    assert f"the local clock is {minutes} minutes behind the server's" in step.detail
    assert "timedatectl set-ntp true" in step.hint
    if verdict == "fail":
        assert "15 minutes" in step.hint
        assert report.step("authorization").status == "skipped"


# --- tokens ---------------------------------------------------------------------------------------

def token_keys(server, tls, token_server, secret: str) -> dict:  # noqa: F811 - fixture name
    return dict(kind="storage", account_url=server.blob_endpoint, account_name=server.account,
                authority_host=token_server.authority, ca_bundle=tls["ca"], tenant_id=TENANT,
                client_id=CLIENT_ID, client_secret=secret, max_retries=0)


async def test_wrong_client_secret(azurite_https, tls, token_server, write_profiles):  # noqa: F811
    token_server.register(TENANT, CLIENT_ID, CLIENT_SECRET)
    report = await run_doctor(write_profiles, toml("p", **token_keys(azurite_https, tls, token_server,
                                                                     SECRET_MARKER)))
    step = report.step("credential")
    assert step.status == "fail" and "AADSTS7000215" in step.detail
    assert step.detail.startswith("Token request failed")
    assert "client secret is wrong or expired" in step.hint
    assert SECRET_MARKER not in json.dumps(report.to_dict())
    assert report.step("authorization").status == "skipped"


async def test_client_secret_token_is_acquired(azurite_https, tls, token_server, write_profiles,  # noqa: F811
                                               container_name):
    token_server.register(TENANT, CLIENT_ID, CLIENT_SECRET)
    await seed_https(azurite_https, tls, container_name)
    keys = token_keys(azurite_https, tls, token_server, CLIENT_SECRET)
    report = await run_doctor(write_profiles, toml("p", container=container_name, **keys), write=True)
    assert report.ok, report
    detail = report.step("credential").detail
    assert detail.startswith(f"service principal {CLIENT_ID}: a token for https://storage.azure.com/.default")
    assert report.step("write").status == "ok"


async def test_default_credentials_name_the_source_that_answered(azurite_https, tls, token_server,  # noqa: F811
                                                                 write_profiles, monkeypatch):
    token_server.register(TENANT, CLIENT_ID, CLIENT_SECRET)
    monkeypatch.setenv("AZURE_TENANT_ID", TENANT)
    monkeypatch.setenv("AZURE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", token_server.authority)
    keys = dict(kind="storage", account_url=azurite_https.blob_endpoint, auth="default_credentials",
                ca_bundle=tls["ca"], max_retries=0)
    report = await run_doctor(write_profiles, toml("p", **keys))
    detail = report.step("credential").detail
    assert report.step("credential").status == "ok"
    assert "DefaultAzureCredential" in detail and "from EnvironmentCredential" in detail


# --- anonymous and read-only ------------------------------------------------------------------------

async def test_anonymous_access_to_a_private_container(azurite, write_profiles, container_name):
    await seed(azurite, container_name)
    keys = dict(kind="storage", account_url=azurite.blob_endpoint, auth="anonymous",
                container=container_name, max_retries=0)
    report = await run_doctor(write_profiles, toml("p", **keys))
    assert report.step("credential").status == "skipped"
    assert "no credential to check" in report.step("credential").detail
    step = report.step("authorization")   # a skipped credential does not block authorization
    assert step.status == "fail"
    assert step.detail.startswith("Anonymous access refused")
    assert "public access" in step.hint and "use a key, SAS or token" in step.hint


async def test_read_only_profile_with_write_writes_nothing(azurite, write_profiles, container_name):
    await seed(azurite, container_name)
    before = await blob_names(azurite, container_name)
    report = await run_doctor(write_profiles, toml("p", **key_keys(azurite, container=container_name,
                                                                   read_only=True)), write=True)
    step = report.step("write")
    assert step.status == "skipped" and "read_only" in step.detail
    assert report.ok
    assert await blob_names(azurite, container_name) == before


async def test_invalid_profile_lists_its_problems(write_profiles):
    path = write_profiles('[profiles.p]\nkind = "storage"\naccount_url = "http://127.0.0.1:1/a"\n'
                          'auth = "anonymous"\ncontainer = "NO"\nmax_retries = "x"\n')
    report = await doctor.test_profile(load_profiles(path), "p")
    step = report.step("profile")
    assert step.status == "fail" and "2 error(s)" in step.detail
    assert f"{path}:5" in step.detail and "'container'" in step.detail
    assert f"{path}:6" in step.detail and "'max_retries'" in step.detail
    assert "aztui profiles validate" in step.hint
    assert all(s.status == "skipped" for s in report.steps[1:])


# --- the command -------------------------------------------------------------------------------------

async def test_cli_json_human_and_exit_codes(azurite, write_profiles, container_name, capsys):
    import asyncio

    await seed(azurite, container_name)
    good = toml("good", **key_keys(azurite, container=container_name))
    bad = toml("bad", **dict(key_keys(azurite, container=container_name), account_key=KEY_MARKER))
    path = str(write_profiles(good + bad))

    def cli(*argv: str) -> tuple[int, str, str]:
        code = aztui_main(["--config", path, "profiles", "test", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    # main() runs its own event loop: call it from a worker thread of this test's loop
    code, out, err = await asyncio.to_thread(cli, "good", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"profile", "ok", "steps"} and data["profile"] == "good" and data["ok"] is True
    assert [s["name"] for s in data["steps"]] == list(doctor.STEPS)
    for step in data["steps"]:
        assert set(step) >= {"name", "status", "duration_ms", "detail", "hint"}
        assert isinstance(step["duration_ms"], int)

    code, out, _ = await asyncio.to_thread(cli, "bad")
    assert code == 1
    lines = out.splitlines()
    assert lines[1].startswith("✓ profile") and any(line.startswith("✗ authorization") for line in lines)
    assert any(line.strip().startswith("hint: ") for line in lines) and lines[-1] == "FAILED"

    code, out, _ = await asyncio.to_thread(cli, "--all", "--json")
    assert code == 1
    assert sorted((r["profile"], r["ok"]) for r in json.loads(out)) == [("bad", False), ("good", True)]
    code, out, _ = await asyncio.to_thread(cli, "--all")
    assert code == 1 and out.splitlines()[0].split() == ["PROFILE", "RESULT", "STEPS", "FIRST", "PROBLEM"]
    assert "bad:" in out
    for text in (out,):
        assert KEY_MARKER not in text and azurite.key not in text

    code, _, err = await asyncio.to_thread(cli, "nosuch")
    assert code == 2 and "no profile 'nosuch'" in err.lower().replace("`", "'")


def test_cli_broken_file_is_exit_2(write_profiles, capsys):
    path = write_profiles("[profiles.p\nkind = ")
    assert aztui_main(["--config", str(path), "profiles", "test", "p"]) == 2
    assert aztui_main(["--config", str(path), "profiles", "test", "--all"]) == 2
    assert "Traceback" not in capsys.readouterr().err


async def test_no_secret_markers_in_any_output(azurite, write_profiles, container_name, capsys):
    import asyncio

    await seed(azurite, container_name)
    expired = container_sas(azurite, container_name, expiry=-timedelta(hours=1),
                            start=now() - timedelta(hours=2), read=True, list=True)
    sig = expired.split("sig=")[1].split("&")[0]
    text = (toml("key", **dict(key_keys(azurite, container=container_name), account_key=KEY_MARKER))
            + toml("sas", **sas_keys(azurite, expired, container=container_name))
            + toml("sp", kind="storage", account_url=azurite.blob_endpoint, tenant_id=TENANT,
                   client_id=CLIENT_ID, client_secret=SECRET_MARKER, authority_host="https://127.0.0.1:9",
                   connect_timeout="1s", max_retries=0))
    path = str(write_profiles(text))

    def outputs() -> str:
        texts = []
        for argv in (["--all"], ["--all", "--json"], ["key", "--write"], ["sas", "--json"], ["sp"]):
            aztui_main(["--config", path, "profiles", "test", *argv])
            captured = capsys.readouterr()
            texts += [captured.out, captured.err]
        return "\n".join(texts)

    everything = await asyncio.to_thread(outputs)
    assert "sas" in everything and "credential" in everything
    for secret in (KEY_MARKER, SECRET_MARKER, sig, expired):
        assert secret not in everything
    assert "Traceback" not in everything


# --- ACR: a loopback HTTPS server answering from recorded registry sessions ----------------------
#
# The recordings (tests/data/acr-recordings, from the azure-containerregistry SDK's own tests)
# hold real requests and responses; requests are matched by method and path, in recorded order.
# `GET /v2/` is not recorded: it answers what ACR answers an anonymous caller, 401 with the
# Bearer challenge of the recording's first 401.

RECORDINGS = Path(__file__).resolve().parents[1] / "data" / "acr-recordings"
_SKIPPED_HEADERS = {"content-length", "transfer-encoding", "connection", "content-encoding"}


class RecordedRegistry:
    def __init__(self, recording: str, cert: str, key: str) -> None:
        self.entries = json.loads((RECORDINGS / recording).read_text())["Entries"]
        self.used: set[int] = set()
        self.requests: list[tuple[str, str]] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> "RecordedRegistry":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def answer(self, method: str, path: str) -> tuple[int, dict, bytes]:
        with self._lock:
            self.requests.append((method, path))
            for index, entry in enumerate(self.entries):
                if index in self.used or entry["RequestMethod"] != method:
                    continue
                if urlsplit(entry["RequestUri"]).path == urlsplit(path).path:
                    self.used.add(index)
                    return self._response(entry)
        first_401 = next((e for e in self.entries if e["StatusCode"] == 401), None)
        if method == "GET" and urlsplit(path).path == "/v2/" and first_401:
            challenge = first_401["ResponseHeaders"]["WWW-Authenticate"].split(",scope=")[0]
            return 401, {"WWW-Authenticate": challenge.replace("https://fake_url.azurecr.io", self.url),
                         "Content-Type": "application/json"}, b'{"errors":[{"code":"UNAUTHORIZED"}]}'
        return 404, {"Content-Type": "text/plain"}, b"not in the recording"

    def _response(self, entry: dict) -> tuple[int, dict, bytes]:
        headers = {k: (", ".join(v) if isinstance(v, list) else v).replace("https://fake_url.azurecr.io", self.url)
                   for k, v in entry["ResponseHeaders"].items() if k.lower() not in _SKIPPED_HEADERS}
        body = entry["ResponseBody"]
        data = b"" if body is None else ("".join(body) if isinstance(body, list) and all(
            isinstance(x, str) for x in body) else json.dumps(body)).encode()
        return entry["StatusCode"], headers, data

    def _handler_class(self):
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                status, headers, data = registry.answer(self.command, self.path)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PATCH = do_HEAD = _serve

            def log_message(self, *args) -> None:
                pass

        return Handler


def doctor_in_subprocess(path, *argv: str, ca: str) -> tuple[int, str]:
    """The command in a fresh interpreter that trusts the test CA by default.

    azure-containerregistry builds its anonymous token-exchange client without the client's
    keyword arguments, so `ca_bundle` cannot reach it; SSL_CERT_FILE (read when aiohttp is
    imported) makes the system trust store the test CA instead.
    """
    import os
    import subprocess
    import sys

    env = dict(os.environ, SSL_CERT_FILE=ca, AZTUI_LOG_FILE=str(Path(path).parent / "aztui.log"))
    result = subprocess.run([sys.executable, "-m", "aztui", "--config", str(path), "profiles", "test",
                             *argv], capture_output=True, text=True, env=env, timeout=60,
                            cwd=Path(__file__).resolve().parents[2])
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stdout


def test_acr_anonymous_pull_replayed(tls, write_profiles):
    recording = "test_anon_access.pyTestContainerRegistryClienttest_list_repository_names.json"
    with RecordedRegistry(recording, tls["cert"], tls["key"]) as registry:
        path = write_profiles(toml("p", uri=registry.url, auth="anonymous", ca_bundle=tls["ca"], max_retries=0))
        code, out = doctor_in_subprocess(path, "p", "--json", "--write", ca=tls["ca"])
    report = json.loads(out)
    assert code == 0 and report["ok"] is True
    assert {s["name"]: s["status"] for s in report["steps"]} == {
        "profile": "ok", "endpoint": "ok", "clock": "ok", "credential": "skipped", "authorization": "ok",
        "write": "skipped", "content": "skipped"}, report
    detail = report["steps"][4]["detail"]
    assert "/v2/ answered HTTP 401 with a Bearer challenge" in detail
    assert "anonymous token exchange worked" in detail and "library/alpine" in detail
    assert ("POST", "/oauth2/token?api-version=2021-07-01") in registry.requests
    assert report["steps"][5]["detail"] == "the write probe is for blob storage profiles"


def test_acr_that_is_not_a_registry(tls, write_profiles):
    # an endpoint that answers /v2/ with 404 is not a registry
    with RecordedRegistry("test_anon_access.pyTestContainerRegistryClienttest_delete_tag.json",
                          tls["cert"], tls["key"]) as registry:
        registry.entries = []
        path = write_profiles(toml("p", uri=registry.url, auth="anonymous", ca_bundle=tls["ca"], max_retries=0))
        code, out = doctor_in_subprocess(path, "p", ca=tls["ca"])
    assert code == 1
    assert "✗ authorization" in out and "answered HTTP 404, which no registry does" in out
    assert "hint: check uri: it should be <name>.azurecr.io" in out


async def test_acr_anonymous_pull_refused_says_which_credential_to_add(write_profiles, tls):
    from tests.support.acr_server import AcrServer

    with AcrServer(tls["cert"], tls["key"], synthetic={"app": ["v1"]}, private=True) as acr:
        report = await run_doctor(write_profiles, f'''
            [profiles.p]
            uri = "{acr.url}"
            auth = "anonymous"
            ca_bundle = "{tls["ca"]}"
            ''')
    assert report.step("endpoint").status == "ok"
    step = report.step("authorization")
    assert step.status == "fail"
    assert "anonymous" in step.detail.lower() and "refused" in step.detail.lower()
    assert "client_secret" in (step.hint or "")
    assert not report.ok
