"""Images as users think of them (aztui.registry.images): platforms under their index, sizes of config +
layers, untagged only what a purge would take; the same for Distribution on Blob and ACR."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from aztui.azure.acr import AcrRegistry
from aztui.profiles.file import load_profiles
from aztui.registry.distribution import DistributionRegistry
from aztui.registry.distribution_gc import load_snapshot, plan_registry_gc
from aztui.registry.images import (
    display_order,
    group_images,
    manifest_detail,
    parse_config,
    parse_content,
    read_images,
)
from aztui.registry.model import ManifestInfo
from tests.support.acr_server import acr_profile
from tests.support.distribution_data import pushed_registry  # noqa: F401  (fixture)
from tests.support.registry_server import registry_binary

LAYOUTS = ["v2.8", "v3"]


def profile_for(data, layout: str):
    return load_profiles(data.config).get({"v2.8": "v28", "v3": "v3"}[layout])


@pytest.mark.parametrize("layout", LAYOUTS)
async def test_index_children_are_platforms_not_untagged_and_sizes_count_layers(pushed_registry, layout):
    data, d = pushed_registry, pushed_registry.digests
    async with DistributionRegistry(profile_for(data, layout)) as registry:
        _, images = await read_images(registry, "team/api/server")
        _, nginx = await read_images(registry, "library/nginx")
    index, amd, arm = images[d["index"]], images[d["child_amd64"]], images[d["child_arm64"]]
    assert index.children == (d["child_amd64"], d["child_arm64"]) and index.platform == "multi-platform"
    assert amd.parents == arm.parents == (d["index"],)
    assert (amd.platform, arm.platform) == ("linux/amd64", "linux/arm64")
    assert not amd.untagged and not arm.untagged and not amd.top_level
    # config + layers, as stored; the index: both children, the shared base layer counted once
    assert amd.size == data.image_size(d["child_amd64"]) and arm.size == data.image_size(d["child_arm64"])
    assert index.size == data.image_size(d["index"]) < amd.size + arm.size
    assert index.platforms(images) == [(d["child_amd64"], "linux/amd64", amd.size),
                                       (d["child_arm64"], "linux/arm64", arm.size)]
    assert images[d["api_v1"]].size == data.image_size(d["api_v1"])
    assert nginx[d["nginx_old"]].untagged and not nginx[d["nginx"]].untagged
    order = [(image.digest, depth) for image, depth in display_order(images, [d["index"], d["api_v1"],
                                                                             d["child_arm64"], d["child_amd64"]])]
    assert order == [(d["index"], 0), (d["child_amd64"], 1), (d["child_arm64"], 1), (d["api_v1"], 0)]


async def test_untagged_is_what_gc_delete_untagged_would_delete(pushed_registry):
    """`untagged` agrees with aztui's `registry gc --delete-untagged` plan (v3 semantics) everywhere."""
    data = pushed_registry
    async with DistributionRegistry(profile_for(data, "v3")) as registry:
        plan = plan_registry_gc(await load_snapshot(registry), delete_untagged=True)
        untagged = set()
        for repository in data.catalog:
            _, images = await read_images(registry, repository)
            untagged |= {(repository, i.digest) for i in images.values() if i.untagged}
    assert untagged == {(m.repository, m.digest) for m in plan.delete_manifests} == {
        ("library/nginx", data.digests["nginx_old"])}


def test_ls_json_of_a_distribution_repository(pushed_registry):
    data, d = pushed_registry, pushed_registry.digests
    result = subprocess.run([sys.executable, "-m", "aztui", "--config", str(data.config), "registry", "ls", "v3",
                             "team/api/server", "--json"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    manifests = {m["digest"]: m for m in out["manifests"]}
    index, child = manifests[d["index"]], manifests[d["child_arm64"]]
    assert index["image_size"] == data.image_size(d["index"]) and index["platform"] == "multi-platform"
    assert index["children"] == [{"digest": d["child_amd64"], "platform": "linux/amd64",
                                  "image_size": data.image_size(d["child_amd64"])},
                                 {"digest": d["child_arm64"], "platform": "linux/arm64",
                                  "image_size": data.image_size(d["child_arm64"])}]
    assert child["parents"] == [d["index"]] and child["untagged"] is False and child["layer_count"] == 2
    assert child["size"] == len(json.dumps(data.manifest(d["child_arm64"]), indent=3))  # the old field stays
    assert out["summary"] == {"images": 2, "manifests": 4, "untagged": 0, "platform_manifests": 2, "referrers": 0}
    human = subprocess.run([sys.executable, "-m", "aztui", "--config", str(data.config), "registry", "ls", "v3",
                            "team/api/server"], capture_output=True, text=True, timeout=120)
    assert "  " + d["child_amd64"][:19] in human.stdout and "<untagged>" not in human.stdout
    assert "2 images, 4 manifests (0 untagged)" in human.stdout


@pytest.mark.skipif(registry_binary() is None, reason="docker-registry is not installed")
async def test_acr_images_from_manifest_content(acr, tls, registry):
    """ACR: the listing has no layers; the content is read through the client (GET /v2/.../manifests)."""
    async with AcrRegistry(acr_profile(acr, tls)) as client:
        manifests, images = await read_images(client, "multi")
        _, app = await read_images(client, "app")
        child = registry.digests["multi:arm"]
        config = images[child].content.config
        config_data = await client.read_blob("multi", config.digest, limit=1 << 20)
    index = next(i for i in images.values() if i.is_index)
    assert index.children == (registry.digests["multi:amd"], child)
    assert images[child].parents == (index.digest,) and not images[child].untagged
    sizes = {}
    for digest in index.children:
        manifest = json.loads(registry._request("GET", f"/v2/multi/manifests/{digest}", headers={
            "Accept": "application/vnd.oci.image.manifest.v1+json"})[2])
        sizes.update({b["digest"]: b["size"] for b in [manifest["config"], *manifest["layers"]]})
        assert images[digest].size == manifest["config"]["size"] + sum(x["size"] for x in manifest["layers"])
    assert index.size == sum(sizes.values())
    assert [i.digest for i in app.values() if i.untagged] and all(not i.untagged for i in images.values())
    parsed = parse_config(config_data)
    assert (parsed.os, parsed.architecture) == ("linux", "arm64") and len(config_data) == config.size


def test_content_and_config_parsing_tolerates_odd_documents():
    index = parse_content(json.dumps({"schemaVersion": 2, "manifests": [
        {"digest": "sha256:" + "a" * 64, "size": 10, "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}},
        {"digest": 5}, "junk"], "subject": {"digest": "sha256:" + "b" * 64}}).encode())
    assert index.is_index and [c.platform for c in index.children] == ["linux/arm/v7"]
    assert index.subject == "sha256:" + "b" * 64
    image = parse_content({"config": {"digest": "sha256:c", "size": -1}, "layers": [{"digest": "sha256:d", "size": 3}]})
    assert image.blobs_size is None   # a descriptor without a valid size: unknown, never a wrong number
    for bad in (b"[]", b"not json", b'{"schemaVersion": 2}'):
        with pytest.raises(ValueError):
            parse_content(bad)
    config = parse_config(json.dumps({"created": "2024-05-01T10:00:00.123456789Z", "os": "linux",
                                      "config": {"Entrypoint": ["/bin/app"], "Cmd": None, "Labels": {"a": "b", "n": 1}},
                                      "history": [{}, {}]}).encode())
    assert config.created.year == 2024 and config.entrypoint == ("/bin/app",) and config.cmd is None
    assert config.labels == (("a", "b"),) and config.history == 2 and config.platform == "linux/?"
    # a cycle of indexes and a child listed twice: every manifest shown exactly once
    a, b = "sha256:" + "1" * 64, "sha256:" + "2" * 64
    contents = {a: parse_content({"manifests": [{"digest": b}]}), b: parse_content({"manifests": [{"digest": a}]})}
    images = group_images([ManifestInfo("r", a), ManifestInfo("r", b)], contents)
    assert sorted(i.digest for i, _ in display_order(images, [a, b])) == [a, b]
    assert images[a].size is None


def test_a_referrer_sits_under_its_subject_and_is_listed_in_its_detail():
    image, signature = "sha256:" + "3" * 64, "sha256:" + "4" * 64
    contents = {
        image: parse_content({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                              "config": {"digest": "sha256:" + "5" * 64, "size": 100},
                              "layers": [{"digest": "sha256:" + "6" * 64, "size": 900,
                                          "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip"}]}),
        signature: parse_content({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                  "artifactType": "application/vnd.dev.cosign.artifact.sig.v1+json",
                                  "config": {"digest": "sha256:" + "7" * 64, "size": 2},
                                  "layers": [], "subject": {"digest": image, "size": 400}}),
    }
    images = group_images([ManifestInfo("r", image, tags=("v1",)), ManifestInfo("r", signature)], contents)
    assert images[image].referrers == (signature,) and images[image].size == 1000
    assert not images[signature].untagged and not images[signature].top_level
    assert [(i.digest, depth) for i, depth in display_order(images, [signature, image])] == [(image, 0), (signature, 1)]
    detail = manifest_detail(images[image], images, None)
    assert detail.referrers == ((signature, "application/vnd.dev.cosign.artifact.sig.v1+json", ""),)
    assert detail.layers == (("sha256:" + "6" * 64, 900, "application/vnd.oci.image.layer.v1.tar+gzip"),)
    assert dict(detail.properties)["Tags"] == "v1"
    assert dict(manifest_detail(images[signature], images, None).properties)["Refers to"] == image
