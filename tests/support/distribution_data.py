"""Shared test data for the Distribution-on-Blob tests: real pushes, then the tree copied into Azurite.

`pushed_registry` (session fixture) runs Debian's `docker-registry`, pushes the data below over
its HTTP API, records the registry's own answers (catalog, tags, `garbage-collect --dry-run`
output with and without `--delete-untagged`) and uploads the tree it wrote into two Azurite
containers: v2.8 names (`/docker/registry/v2/...`) and v3 names (`<root>/docker/registry/v2/...`).

Data: `library/nginx` (tag `latest` pushed twice, so the first revision is untagged; tag `1.27`),
`team/api/server` (tag `v1`, and an OCI index `v2` over two children pushed by digest),
`tools` (tag `x`, a config with created, entrypoint, cmd and a label; an unfinished upload),
`gone` (its only manifest deleted, so its blobs are unreferenced). A base layer is shared by every image.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from aztui.azure.blobs import BlobStore
from aztui.profiles.model import Profile
from tests.support.profiles import seed_profile
from tests.support.registry_server import RegistryServer, registry_binary

V3_ROOT = "regroot/prod"
TEXT_PROFILES = """
[profiles.v28]
accountname = "{account}"
accountkey = "{key}"
serviceurl = "{endpoint}"
container = "{v28}"

[profiles.v3]
accountname = "{account}"
accountkey = "{key}"
serviceurl = "{endpoint}"
container = "{v3}"
rootdirectory = "{root}"

[profiles.v3ro]
accountname = "{account}"
accountkey = "{key}"
serviceurl = "{endpoint}"
container = "{v3}"
rootdirectory = "{root}"
read_only = true
"""


# what the manifest detail screen shows of an image config
TOOLS_CONFIG = {"created": "2024-05-01T10:00:00.123456789Z",
                "config": {"Entrypoint": ["/usr/bin/tool"], "Cmd": ["--help"], "WorkingDir": "/work",
                           "Labels": {"org.opencontainers.image.source": "https://example.invalid/tools"}},
                "history": [{"created_by": "ADD base"}, {"created_by": "ADD tools"}]}


def require_registry() -> None:
    """Skip without docker-registry, but fail in CI, which installs it."""
    if registry_binary():
        return
    message = "docker-registry is not installed (apt-get install docker-registry)"
    if os.environ.get("CI"):
        pytest.fail(message + "; CI must install it")
    pytest.skip(message)


def parse_gc_output(text: str) -> tuple[set[str], set[tuple[str, str]]]:
    """(blobs, {(repository, manifest)}) that `docker-registry garbage-collect` calls eligible.

    2.8 prints each repository's name on a line of its own before marking it, and
    `manifest eligible for deletion: <digest>` inside that repository's section.
    """
    blobs: set[str] = set()
    manifests: set[tuple[str, str]] = set()
    repository = None
    for line in text.splitlines():
        line = line.strip()
        if match := re.fullmatch(r"blob eligible for deletion: (sha256:[0-9a-f]{64})", line):
            blobs.add(match[1])
        elif match := re.fullmatch(r"manifest eligible for deletion: (sha256:[0-9a-f]{64})", line):
            assert repository, text
            manifests.add((repository, match[1]))
        elif re.fullmatch(r"[a-z0-9]+(?:[._/-][a-z0-9]+)*", line):
            repository = line
    return blobs, manifests


@dataclass
class PushedRegistry:
    root: Path                              # the registry's filesystem root (holds docker/...)
    catalog: list[str]
    tags: dict[str, list[str]]
    gc_output: str
    gc_untagged_output: str
    digests: dict[str, str]                 # names used in the tests -> manifest digests
    child_blobs: set[str]                   # blobs only the index children reference (config, layers)
    containers: dict[str, str] = field(default_factory=dict)   # "v2.8"/"v3" -> container
    config: Path | None = None              # profiles file with v28, v3, v3ro
    upload_uuid: str = ""

    def manifest(self, digest: str) -> dict:
        hex_ = digest[7:]
        return json.loads((self.root / f"docker/registry/v2/blobs/sha256/{hex_[:2]}/{hex_}/data").read_bytes())

    def image_blobs(self, digest: str) -> dict[str, int]:
        """digest -> size of every config and layer under a manifest (an index: its children's), from disk."""
        manifest = self.manifest(digest)
        if "manifests" in manifest:
            return {d: s for child in manifest["manifests"] for d, s in self.image_blobs(child["digest"]).items()}
        hex_of = [manifest["config"]["digest"]] + [layer["digest"] for layer in manifest["layers"]]
        return {d: (self.root / f"docker/registry/v2/blobs/sha256/{d[7:9]}/{d[7:]}/data").stat().st_size
                for d in hex_of}

    def image_size(self, digest: str) -> int:
        """Config + layers as stored (an index: every blob of its children once)."""
        return sum(self.image_blobs(digest).values())


def push_test_data(server: RegistryServer) -> tuple[dict[str, str], set[str], str]:
    base = b"base layer shared by every image" * 64
    digests: dict[str, str] = {}
    digests["nginx_old"], _ = server.push_image("library/nginx", "latest", [base, b"nginx one"])
    digests["nginx"], _ = server.push_image("library/nginx", "latest", [base, b"nginx two"])
    server.push_manifest("library/nginx", "1.27", json.loads(_blob(server, digests["nginx"])),
                         "application/vnd.docker.distribution.manifest.v2+json")
    digests["api_v1"], _ = server.push_image("team/api/server", "v1", [base, b"api one"], oci=True)
    amd64 = server.push_image("team/api/server", None, [base, b"api amd64"], oci=True, platform=("amd64", "linux"))
    arm64 = server.push_image("team/api/server", None, [base, b"api arm64"], oci=True, platform=("arm64", "linux"))
    digests["child_amd64"], digests["child_arm64"] = amd64[0], arm64[0]
    digests["index"] = server.push_index("team/api/server", "v2",
                                         [(amd64[0], amd64[1], ("amd64", "linux")),
                                          (arm64[0], arm64[1], ("arm64", "linux"))])
    digests["tools"], _ = server.push_image("tools", "x", [base, b"tools"], config_extra=TOOLS_CONFIG)
    digests["gone"], _ = server.push_image("gone", "old", [b"gone layer"])
    server.delete_manifest("gone", digests["gone"])
    status, headers, _ = server._request("POST", "/v2/tools/blobs/uploads/")  # never finished
    assert status == 202, status
    upload_uuid = headers["Docker-Upload-Uuid"]
    child_blobs = set()
    for child in ("child_amd64", "child_arm64"):
        manifest = json.loads(_blob(server, digests[child]))
        child_blobs |= {manifest["config"]["digest"], manifest["layers"][1]["digest"]}
    return digests, child_blobs, upload_uuid


def _blob(server: RegistryServer, digest: str) -> bytes:
    return (server.root / f"docker/registry/v2/blobs/sha256/{digest[7:9]}/{digest[7:]}/data").read_bytes()


async def upload_tree(profile: Profile, root: Path, container: str, prefix: str) -> int:
    """Upload every file under `root` as `prefix + relative path`, 16 at a time."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    limit = asyncio.Semaphore(16)
    async with BlobStore(profile) as store:
        await store.create_container(container)

        async def one(path: Path) -> None:
            async with limit:
                await store.upload_blob(container, prefix + path.relative_to(root).as_posix(), path.read_bytes())

        await asyncio.gather(*(one(p) for p in files))
    return len(files)


async def download_tree(profile: Profile, container: str, prefix: str, root: Path) -> int:
    """The reverse of `upload_tree`: every blob under `prefix` as a file under `root` (a filesystem
    registry root, for Debian's docker-registry to serve what aztui left in storage)."""
    count = 0
    async with BlobStore(profile) as store:
        async for blob in store.iter_blobs(container, prefix):
            path = root / blob.name[len(prefix):]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(await store.read_blob(container, blob.name))
            count += 1
    return count


def profiles_for_container(data: "PushedRegistry", container: str, layout: str, path: Path) -> Path:
    """A copy of the profiles file whose v28 (or v3, v3ro) profiles point at `container`."""
    path.write_text(data.config.read_text().replace(data.containers[layout], container))
    path.chmod(0o600)
    return path


@pytest.fixture(scope="session")
def pushed_registry(azurite, tmp_path_factory) -> PushedRegistry:
    require_registry()
    work = tmp_path_factory.mktemp("registry")
    server = RegistryServer.start(work)
    try:
        digests, child_blobs, upload_uuid = push_test_data(server)
        catalog = server.catalog()
        tags = {repo: server.tags(repo) for repo in catalog}
    finally:
        server.stop()
    data = PushedRegistry(server.root, catalog, tags, server.garbage_collect(dry_run=True),
                          server.garbage_collect(dry_run=True, delete_untagged=True), digests, child_blobs,
                          upload_uuid=upload_uuid)
    suffix = work.name.replace("_", "").lower()[-12:]
    data.containers = {"v2.8": f"dist28{suffix}", "v3": f"dist3{suffix}"}
    profile = seed_profile(azurite)
    asyncio.run(upload_tree(profile, server.root, data.containers["v2.8"], "/"))
    asyncio.run(upload_tree(profile, server.root, data.containers["v3"], V3_ROOT + "/"))
    data.config = work / "profiles.toml"
    data.config.write_text(TEXT_PROFILES.format(account=azurite.account, key=azurite.key,
                                                endpoint=azurite.blob_endpoint, v28=data.containers["v2.8"],
                                                v3=data.containers["v3"], root=V3_ROOT))
    data.config.chmod(0o600)
    return data
