"""Shared fixtures: real Azurite servers on free loopback ports, a test CA, profile files.

- `azurite`: one plain-HTTP Azurite for the whole test session.
- `tls`: a throwaway CA (trustme) with a certificate for 127.0.0.1/localhost.
- `azurite_https`: an HTTPS Azurite with `--oauth basic`, trusting that CA, for token auth.
- `write_profiles`: writes a profiles TOML file into tmp_path and returns its path.
Every test runs offline: an audit hook refuses DNS lookups and connections beyond loopback.
"""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest

from aztui.demo.azurite import AzuriteServer, start_azurite
from tests.support.offline import go_offline

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
