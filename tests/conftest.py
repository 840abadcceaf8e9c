"""Shared fixtures: real Azurite servers on free loopback ports, a test CA, profile files.

- `azurite`: one plain-HTTP Azurite for the whole test session.
- `tls`: a throwaway CA (trustme) with a certificate for 127.0.0.1/localhost.
- `azurite_https`: an HTTPS Azurite with `--oauth basic`, trusting that CA, for token auth.
- `write_profiles`: writes a profiles TOML file into tmp_path and returns its path.
- `token_server`: a local Entra token endpoint over HTTPS (tests/support/tokenserver.py).
- `registry`, `acr`: a real docker-registry with a few images, and the local ACR-compatible server in front.
- `leak_azurite`, `leak_token_server`, `world`: a world whose every secret is a marker (tests/support/leak_world.py).
- Each test gets the marker of its tier folder (`unit`, `integration`, `ui`).
Every test runs offline: an audit hook refuses DNS lookups and connections beyond loopback.
"""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest

from aztui.demo.azurite import AzuriteServer, start_azurite
from tests.support.acr_server import AcrServer
from tests.support.offline import go_offline
from tests.support.registry_server import RegistryServer
from tests.support.tokenserver import TokenServer

go_offline()


@pytest.fixture(scope="session")
def azurite() -> AzuriteServer:
    server = start_azurite()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    """A test CA and a server certificate for 127.0.0.1 and localhost, as PEM files."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    folder = tmp_path_factory.mktemp("tls")
    paths = {"ca": folder / "ca.pem", "cert": folder / "cert.pem", "key": folder / "key.pem"}
    ca.cert_pem.write_to_path(str(paths["ca"]))
    cert.cert_chain_pems[0].write_to_path(str(paths["cert"]))
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(str(paths["cert"]), append=True)
    cert.private_key_pem.write_to_path(str(paths["key"]))
    return {name: str(path) for name, path in paths.items()}


@pytest.fixture(scope="session")
def azurite_https(tls) -> AzuriteServer:
    server = start_azurite(cert=tls["cert"], key=tls["key"], oauth=True)
    yield server
    server.stop()


@pytest.fixture
def container_name() -> str:
    """A fresh container name, so tests sharing one Azurite never collide."""
    return f"t{uuid.uuid4().hex[:20]}"


@pytest.fixture
def write_profiles(tmp_path):
    def write(text: str, name: str = "profiles.toml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        path.chmod(0o600)
        return path

    return write


@pytest.fixture
def token_server(tls):
    server = TokenServer(tls["cert"], tls["key"]).start()
    yield server
    server.stop()


@pytest.fixture
def registry(tmp_path):
    server = RegistryServer.start(tmp_path / "registry")
    # app: v1, v2 (same image as latest), an untagged image; tools/lint: one image; multi: an index
    d1, s1 = server.push_image("app", "v1", [b"layer-1"])
    d2, s2 = server.push_image("app", "v2", [b"layer-2"])
    server.push_manifest("app", "latest", _manifest_of(server, "app", d2), "application/vnd.docker.distribution.manifest.v2+json")
    server.push_image("app", None, [b"layer-untagged"])
    server.push_image("tools/lint", "1.0", [b"lint"], oci=True)
    amd, amd_size = server.push_image("multi", None, [b"amd"], oci=True, platform=("amd64", "linux"))
    arm, arm_size = server.push_image("multi", None, [b"arm"], oci=True, platform=("arm64", "linux"))
    server.push_index("multi", "1.0", [(amd, amd_size, ("amd64", "linux")), (arm, arm_size, ("arm64", "linux"))])
    server.digests = {"app:v1": d1, "app:v2": d2, "multi:amd": amd, "multi:arm": arm}
    yield server
    server.stop()


def _manifest_of(server, repo: str, digest: str) -> dict:
    import json

    return json.loads(server._request("GET", f"/v2/{repo}/manifests/{digest}", headers={
        "Accept": "application/vnd.docker.distribution.manifest.v2+json"})[2])


@pytest.fixture
def acr(tls, registry):
    with AcrServer(tls["cert"], tls["key"], registry=registry) as server:
        yield server


# --- a world whose every secret is a marker (tests/integration/test_secrets.py, tests/ui/test_tui_safety.py)

@pytest.fixture(scope="module")
def leak_azurite():
    from tests.support.leak_world import ACCOUNT, KEY, KEY2

    server = start_azurite(extra_accounts=f"{ACCOUNT}:{KEY}:{KEY2}")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def leak_token_server(tls):
    from tests.support.leak_world import CLIENT_ID, CLIENT_SECRET, TENANT

    server = TokenServer(tls["cert"], tls["key"]).start()
    server.register(TENANT, CLIENT_ID, CLIENT_SECRET)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def world(leak_azurite, azurite_https, tls, leak_token_server, tmp_path_factory) -> dict:
    """Data (blobs, a cache, a registry) and a profiles file whose every secret is a marker."""
    from tests.support.leak_world import build_world

    return build_world(leak_azurite, azurite_https, tls, leak_token_server, tmp_path_factory)


TIERS = ("unit", "integration", "ui")


# The longest files (measured with --durations), run first: under `./dev test` (pytest-xdist, whole files
# per worker) they then overlap the short ones instead of running alone at the end.
LONGEST_FIRST = ("test_app_start_fuzz.py", "test_readonly_tui_proxy.py", "test_tui_safety.py", "test_secrets.py",
                 "test_profiles_fuzz.py", "test_containers_pane.py", "test_tui_faults.py", "test_kill_points.py")


def pytest_collection_modifyitems(config, items) -> None:
    """Mark each test with its tier folder (`-m unit`, `-m "not ui"`...); the longest files first."""
    for item in items:
        tier = item.path.parent.name
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the order within a file is kept
