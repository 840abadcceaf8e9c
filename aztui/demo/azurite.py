"""Install, start and stop a local Azurite Blob service (the demo and the tests use it).

Azurite comes from npm at the version pinned in `aztui/npm/package-lock.json`,
installed once into a cache folder (`AZTUI_AZURITE_DIR`, else the user cache dir).
It is started with `node` directly, so the PID we hold is the server's own.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from aztui.endpoints import DEV_ACCOUNT, DEV_KEY
from aztui.errors import AztuiError

MAIN_JS = Path("node_modules/azurite/dist/src/blob/main.js")


def pinned_version() -> str:
    import json

    lock = json.loads(resources.files("aztui.npm").joinpath("package-lock.json").read_text())
    return lock["packages"]["node_modules/azurite"]["version"]


def azurite_home() -> Path:
    """Where Azurite is installed (`aztui.locations.azurite_dir`)."""
    from aztui.locations import azurite_dir

    return azurite_dir(pinned_version())


def find_node() -> str:
    node = shutil.which("node")
    if not node:
        raise AztuiError("Node.js is not installed, and Azurite needs it",
                         title="Azurite unavailable",
                         hint="install Node.js 20 or newer (e.g. `apt-get install nodejs npm`)")
    return node


def ensure_installed(say=lambda _msg: None) -> Path:
    """Return Azurite's blob entry point, installing the pinned version from npm when missing."""
    home = azurite_home()
    main_js = home / MAIN_JS
    if main_js.exists():
        return main_js
    npm = shutil.which("npm")
    if not npm:
        raise AztuiError("npm is not installed, and aztui installs Azurite with it",
                         title="Azurite unavailable", hint="install Node.js and npm")
    home.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        (home / name).write_text(resources.files("aztui.npm").joinpath(name).read_text())
    say(f"Installing Azurite {pinned_version()} into {home} (once)...")
    result = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                            cwd=home, capture_output=True, text=True)
    if result.returncode != 0 or not main_js.exists():
        raise AztuiError(f"npm could not install Azurite: {result.stderr.strip()[-500:]}",
                         title="Azurite unavailable",
                         hint="check that the npm registry is reachable, or set AZTUI_AZURITE_DIR")
    return main_js


def _die_with_parent() -> None:
    """Linux: have the kernel stop Azurite if its parent dies without stopping it."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class AzuriteServer:
    """A running Azurite Blob service on loopback."""

    process: subprocess.Popen
    port: int
    host: str = "127.0.0.1"
    https: bool = False
    workdir: Path = field(default_factory=Path)
    account: str = DEV_ACCOUNT
    key: str = DEV_KEY

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def blob_endpoint(self) -> str:
        scheme = "https" if self.https else "http"
        return f"{scheme}://{self.host}:{self.port}/{self.account}"

    @property
    def connection_string(self) -> str:
        scheme = "https" if self.https else "http"
        return (f"DefaultEndpointsProtocol={scheme};AccountName={self.account};"
                f"AccountKey={self.key};BlobEndpoint={self.blob_endpoint};")

    def log(self) -> str:
        path = self.workdir / "azurite.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop the server by its PID and wait for it to exit."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "AzuriteServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_azurite(*, port: int | None = None, cert: str | None = None, key: str | None = None,
                  oauth: bool = False, location: str | None = None,
                  extra_accounts: str | None = None, say=lambda _msg: None,
                  timeout: float = 60.0) -> AzuriteServer:
    """Start Azurite's Blob service on 127.0.0.1 and wait until it accepts connections.

    `cert`/`key` (PEM paths) switch on HTTPS; `oauth` adds `--oauth basic` (needs HTTPS);
    `location` keeps data on disk instead of in memory; `extra_accounts` is `AZURITE_ACCOUNTS`.
    """
    main_js = ensure_installed(say)
    node = find_node()
    port = port or free_port()
    workdir = Path(tempfile.mkdtemp(prefix="aztui-azurite-"))
    args = [node, str(main_js), "--blobHost", "127.0.0.1", "--blobPort", str(port),
            "--skipApiVersionCheck", "--loose", "--disableTelemetry"]
    args += ["--location", location] if location else ["--inMemoryPersistence"]
    if cert and key:
        args += ["--cert", cert, "--key", key]
    if oauth:
        args += ["--oauth", "basic"]
    env = dict(os.environ)
    env.pop("AZURITE_ACCOUNTS", None)
    if extra_accounts:
        env["AZURITE_ACCOUNTS"] = extra_accounts
    log = open(workdir / "azurite.log", "wb")
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               env=env, cwd=workdir,
                               preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    log.close()
    server = AzuriteServer(process=process, port=port, https=bool(cert), workdir=workdir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = server.log()
            server.stop()
            raise AztuiError(f"Azurite exited at start: {output.strip()[-500:]}", title="Azurite failed")
        if "successfully listens" in server.log():
            return server
        time.sleep(0.05)
    server.stop()
    raise AztuiError(f"Azurite did not start within {timeout:.0f}s", title="Azurite failed")
