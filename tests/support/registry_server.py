"""A real Distribution registry for tests: Debian's `docker-registry` (2.8) on loopback.

`RegistryServer.start(tmp)` runs it with filesystem storage under `tmp/storage` and
delete enabled; `push_image` / `push_index` push real content over the HTTP API (what
`docker push` does), so the tree on disk is exactly what the registry writes.
`garbage_collect(dry_run=True)` runs the registry's own GC for comparison.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def registry_binary() -> str | None:
    return shutil.which("docker-registry")


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class RegistryServer:
    process: subprocess.Popen
    port: int
    root: Path          # the filesystem storage root (holds docker/registry/v2/...)
    config: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, workdir: Path) -> "RegistryServer":
        binary = registry_binary()
        if not binary:
            raise RuntimeError("docker-registry is not installed (apt-get install docker-registry)")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        root = workdir / "storage"
        root.mkdir(parents=True, exist_ok=True)
        config = workdir / "config.yml"
        config.write_text(
            "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {root}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{port}\n")
        log = open(workdir / "registry.log", "wb")
        process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        log.close()
        server = cls(process, port, root, config)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{server.url}/v2/", timeout=1) as answer:
                    if answer.status == 200:
                        return server
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.05)
        server.stop()
        raise RuntimeError(f"docker-registry did not start: {(workdir / 'registry.log').read_text()[-500:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    # --- the registry HTTP API, as `docker push` uses it ---------------------------------

    def _request(self, method: str, path: str, data: bytes | None = None,
                 headers: dict | None = None) -> tuple[int, dict, bytes]:
        url = path if path.startswith("http") else self.url + path
        request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def push_blob(self, repository: str, data: bytes) -> str:
        digest = digest_of(data)
        status, headers, _ = self._request("POST", f"/v2/{repository}/blobs/uploads/")
        assert status == 202, status
        location = headers["Location"]
        location += ("&" if "?" in location else "?") + f"digest={digest}"
        status, _, body = self._request("PUT", location, data,
                                        {"Content-Type": "application/octet-stream"})
        assert status == 201, (status, body)
        return digest

    def push_manifest(self, repository: str, reference: str, manifest: dict, media_type: str) -> str:
        data = json.dumps(manifest, indent=3).encode()
        status, _, body = self._request("PUT", f"/v2/{repository}/manifests/{reference}", data,
                                        {"Content-Type": media_type})
        assert status == 201, (status, body)
        return digest_of(data)

    def push_image(self, repository: str, tag: str | None, layers: list[bytes], *,
                   oci: bool = False, platform: tuple[str, str] = ("amd64", "linux"),
                   config_extra: dict | None = None) -> tuple[str, int]:
        """Push config (plus `config_extra`: created, config, history...) + layers + manifest;
        returns (manifest digest, manifest size)."""
        config = json.dumps({"architecture": platform[0], "os": platform[1], **(config_extra or {}),
                             "rootfs": {"type": "layers", "diff_ids": [digest_of(layer) for layer in layers]}}
                            ).encode()
        media, config_media, layer_media = ((OCI_MANIFEST, OCI_CONFIG, OCI_LAYER) if oci
                                            else (DOCKER_MANIFEST, DOCKER_CONFIG, DOCKER_LAYER))
        manifest = {
            "schemaVersion": 2, "mediaType": media,
            "config": {"mediaType": config_media, "size": len(config),
                       "digest": self.push_blob(repository, config)},
            "layers": [{"mediaType": layer_media, "size": len(layer), "digest": self.push_blob(repository, layer)}
                       for layer in layers],
        }
        data = json.dumps(manifest, indent=3).encode()
        digest = self.push_manifest(repository, tag or digest_of(data), manifest, media)
        return digest, len(data)

    def push_index(self, repository: str, tag: str, children: list[tuple[str, int, tuple[str, str]]]) -> str:
        """Push an OCI index over already pushed manifests: (digest, size, (arch, os)) each."""
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX,
                 "manifests": [{"mediaType": OCI_MANIFEST, "digest": d, "size": size,
                                "platform": {"architecture": arch, "os": os_}}
                               for d, size, (arch, os_) in children]}
        return self.push_manifest(repository, tag, index, OCI_INDEX)

    def delete_manifest(self, repository: str, digest: str) -> None:
        status, _, body = self._request("DELETE", f"/v2/{repository}/manifests/{digest}")
        assert status == 202, (status, body)

    def catalog(self) -> list[str]:
        return json.loads(self._request("GET", "/v2/_catalog?n=1000")[2])["repositories"]

    def tags(self, repository: str) -> list[str]:
        return json.loads(self._request("GET", f"/v2/{repository}/tags/list")[2]).get("tags") or []

    def garbage_collect(self, *, dry_run: bool = True, delete_untagged: bool = False) -> str:
        """Run `docker-registry garbage-collect` on the same storage; returns its output."""
        args = [registry_binary(), "garbage-collect", str(self.config)]
        if dry_run:
            args.insert(2, "--dry-run")
        if delete_untagged:
            args.insert(2, "--delete-untagged")
        result = subprocess.run(args, capture_output=True, text=True, timeout=120)
        return result.stdout + result.stderr
