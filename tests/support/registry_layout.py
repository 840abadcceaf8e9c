"""A Distribution registry's storage layout written straight into a container (v3 names, no root
directory): what `registry gc` and the read-only tests read."""

from __future__ import annotations

import asyncio
import json

from aztui.azure.blobs import BlobStore
from tests.support.buildcache import digest_of

REGISTRY = "docker/registry/v2/"


def registry_key(digest: str) -> str:
    return f"{REGISTRY}blobs/sha256/{digest[7:9]}/{digest[7:]}/data"


async def write_registry(store: BlobStore, container: str) -> dict[str, str]:
    """A one-image Distribution registry (v3 names, no root directory) plus one unreferenced blob."""
    layer, config_blob, orphan = b"layer bytes", b'{"architecture": "amd64", "os": "linux"}', b"unreferenced"
    digests = {"layer": digest_of(layer), "config": digest_of(config_blob), "orphan": digest_of(orphan)}
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digests["config"],
                   "size": len(config_blob)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digests["layer"],
                    "size": len(layer)}]}).encode()
    digests["manifest"] = digest_of(manifest)
    repo = f"{REGISTRY}repositories/app/"
    files = {registry_key(digests[k]): data for k, data in
             (("layer", layer), ("config", config_blob), ("orphan", orphan), ("manifest", manifest))}
    for kind in ("layer", "config"):
        files[f"{repo}_layers/sha256/{digests[kind][7:]}/link"] = digests[kind].encode()
    files[f"{repo}_manifests/revisions/sha256/{digests['manifest'][7:]}/link"] = digests["manifest"].encode()
    files[f"{repo}_manifests/tags/latest/current/link"] = digests["manifest"].encode()
    files[f"{repo}_manifests/tags/latest/index/sha256/{digests['manifest'][7:]}/link"] = digests["manifest"].encode()
    await asyncio.gather(*(store.upload_blob(container, name, data, overwrite=True) for name, data in files.items()))
    return digests
