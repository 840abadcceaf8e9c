"""Distribution on Blob, read from storage: what the real docker-registry wrote, copied into Azurite."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from aztui.azure.blobs import BlobStore
from aztui.demo.sample_data import plan_demo_data
from aztui.errors import NotFoundError
from aztui.profiles.file import load_profiles
from aztui.registry.backends import open_registry
from aztui.registry.distribution import (
    DistributionRegistry,
    parse_manifest,
    split_repository_path,
)
from aztui.registry.locate import layout_candidates
from aztui.registry.model import parse_rfc3339
from tests.support.distribution_data import pushed_registry  # noqa: F401  (fixture)
from tests.support.profiles import seed_profile

LAYOUTS = ["v2.8", "v3"]


def profile_for(data, layout: str):
    return load_profiles(data.config).get({"v2.8": "v28", "v3": "v3"}[layout])


async def repositories(registry) -> dict:
    return {repo.name: repo async for repo in registry.iter_repositories()}


@pytest.mark.parametrize("layout", LAYOUTS)
async def test_layout_is_detected_in_both_naming_styles(pushed_registry, layout):
    profile = profile_for(pushed_registry, layout)
    async with DistributionRegistry(profile) as registry:
        assert registry.layout == layout
        assert registry.base == {"v2.8": "/docker/registry/v2/", "v3": "regroot/prod/docker/registry/v2/"}[layout]
    async with open_registry(profile) as registry:  # the shared entry point picks this backend
        assert registry.kind == "distribution" and registry.layout == layout


@pytest.mark.parametrize("layout", LAYOUTS)
async def test_repositories_and_tags_match_the_registry_api(pushed_registry, layout):
    data = pushed_registry
    async with DistributionRegistry(profile_for(data, layout)) as registry:
        repos = await repositories(registry)
        assert sorted(repos) == sorted(data.catalog) == ["gone", "library/nginx", "team/api/server", "tools"]
        for name in data.catalog:
            tags = await registry.list_tags(name)
            assert sorted(t.name for t in tags) == sorted(data.tags[name]), name
            assert repos[name].tag_count == len(data.tags[name])
        nginx = {t.name: t.digest for t in await registry.list_tags("library/nginx")}
        assert nginx == {"latest": data.digests["nginx"], "1.27": data.digests["nginx"]}
        api = {t.name: t.digest for t in await registry.list_tags("team/api/server")}
        assert api == {"v1": data.digests["api_v1"], "v2": data.digests["index"]}
        assert repos["team/api/server"].manifest_count == 4   # v1, the index and its two children
        assert repos["gone"].manifest_count == 0 and repos["gone"].tag_count == 0
        assert all(r.last_updated is not None for r in repos.values())


@pytest.mark.parametrize("layout", LAYOUTS)
async def test_manifests_have_media_types_platforms_tags_and_children(pushed_registry, layout):
    data = pushed_registry
    async with DistributionRegistry(profile_for(data, layout)) as registry:
        manifests = {m.digest: m for m in await registry.list_manifests("team/api/server")}
        nginx = {m.digest: m for m in await registry.list_manifests("library/nginx")}
    d = data.digests
    assert set(manifests) == {d["api_v1"], d["index"], d["child_amd64"], d["child_arm64"]}
    index = manifests[d["index"]]
    assert index.media_type == "application/vnd.oci.image.index.v1+json"
    assert index.references == (d["child_amd64"], d["child_arm64"]) and index.tags == ("v2",)
    assert (manifests[d["child_arm64"]].architecture, manifests[d["child_arm64"]].os) == ("arm64", "linux")
    assert manifests[d["child_amd64"]].architecture == "amd64" and manifests[d["child_amd64"]].tags == ()
    for digest, manifest in manifests.items():
        hex_ = digest[7:]
        stored = data.root / f"docker/registry/v2/blobs/sha256/{hex_[:2]}/{hex_}/data"
        assert manifest.size == stored.stat().st_size
    assert nginx[d["nginx"]].tags == ("1.27", "latest") and nginx[d["nginx_old"]].tags == ()
    assert nginx[d["nginx"]].media_type == "application/vnd.docker.distribution.manifest.v2+json"


async def test_abandoned_upload_is_seen_with_its_start_time(pushed_registry):
    async with DistributionRegistry(profile_for(pushed_registry, "v3")) as registry:
        tree = (await registry.list_repository_trees("tools"))["tools"]
        assert list(tree.uploads) == [pushed_registry.upload_uuid]
        await registry.read_started_at(tree.uploads.values())
        started = tree.uploads[pushed_registry.upload_uuid].started_at
    assert started is not None and abs((datetime.now(timezone.utc) - started).total_seconds()) < 3600


async def test_unknown_repository_is_a_clear_error(pushed_registry):
    async with DistributionRegistry(profile_for(pushed_registry, "v3")) as registry:
        with pytest.raises(NotFoundError, match="no repository 'team/api'"):
            await registry.list_tags("team/api")   # a prefix of a repository name is not one


async def test_container_without_registry_data_is_a_clear_error(azurite, container_name, write_profiles):
    async with BlobStore(seed_profile(azurite)) as store:
        await store.create_container(container_name)
        await store.upload_blob(container_name, "docker/something-else", b"x")
    config = write_profiles(f"""
        [profiles.empty]
        accountname = "{azurite.account}"
        accountkey = "{azurite.key}"
        serviceurl = "{azurite.blob_endpoint}"
        container = "{container_name}"
        rootdirectory = "nothing/here"
        """)
    async with DistributionRegistry(load_profiles(config).get("empty")) as registry:
        assert registry.layout is None
        with pytest.raises(NotFoundError) as caught:
            [r async for r in registry.iter_repositories()]
    rendered = caught.value.render()
    assert "no registry data under 'nothing/here/docker/registry/v2/'" in rendered
    assert "check container and rootdirectory" in rendered


async def test_demo_registry_is_read_as_v3(azurite, container_name, write_profiles):
    demo = [b for b in plan_demo_data(300).blobs if b.container == "registry"]
    async with BlobStore(seed_profile(azurite)) as store:
        await store.create_container(container_name)
        await asyncio.gather(*(store.upload_blob(container_name, b.name, b.data) for b in demo))
    config = write_profiles(f"""
        [profiles.demo-registry]
        accountname = "{azurite.account}"
        accountkey = "{azurite.key}"
        serviceurl = "{azurite.blob_endpoint}"
        container = "{container_name}"
        """)
    async with DistributionRegistry(load_profiles(config).get("demo-registry")) as registry:
        assert registry.layout == "v3"
        repos = await repositories(registry)
        assert sorted(repos) == ["library/nginx", "team/api", "team/worker"]
        assert {t.name for t in await registry.list_tags("team/api")} == {"v1", "v2"}
        platforms = {(m.architecture, m.os) for m in await registry.list_manifests("team/api")}
    assert {("amd64", "linux"), ("arm64", "linux"), (None, None)} == platforms   # the index has none


def test_layout_candidates_follow_the_written_root():
    from aztui.profiles.model import Profile

    plain = Profile(name="p", kind="distribution", auth="shared_key", container="c", prefix="a/b")
    assert layout_candidates(plain) == [("v3", "a/b/docker/registry/v2/"), ("v2.8", "/a/b/docker/registry/v2/")]
    slashed = Profile(name="p", kind="distribution", auth="shared_key", container="c", prefix="a/b",
                      written={"rootdirectory": "/a/b"})
    assert layout_candidates(slashed)[0] == ("v2.8", "/a/b/docker/registry/v2/")
    root = Profile(name="p", kind="distribution", auth="shared_key", container="c")
    assert [base for _, base in layout_candidates(root)] == ["docker/registry/v2/", "/docker/registry/v2/"]


def test_repository_paths_split_at_the_first_underscore_component():
    assert split_repository_path("a/b/c/_manifests/tags/v1/current/link") == (
        "a/b/c", "_manifests", ["tags", "v1", "current", "link"])
    assert split_repository_path("x/_layers/sha256/ab/link")[0] == "x"
    assert split_repository_path("_manifests/tags") is None
    assert split_repository_path("a/_other/thing") is None
    assert split_repository_path("a/b/no-section") is None


def test_manifest_parsing_and_start_times():
    index = parse_manifest(b'{"schemaVersion":2,"manifests":[{"digest":"sha256:1"},{"digest":"sha256:2"}],'
                           b'"subject":{"digest":"sha256:9"}}')
    assert index.children == ("sha256:1", "sha256:2") and index.subject == "sha256:9"
    assert index.media_type == "application/vnd.oci.image.index.v1+json"
    image = parse_manifest(b'{"schemaVersion":2,"config":{"digest":"sha256:c"},"layers":[{"digest":"sha256:l"}]}')
    assert image.references == ("sha256:c", "sha256:l")
    schema1 = parse_manifest(b'{"schemaVersion":1,"fsLayers":[{"blobSum":"sha256:a"}]}')
    assert schema1.references == ("sha256:a",)
    for bad in (b"not json", b"[]", b'{"schemaVersion":2}'):
        with pytest.raises(ValueError):
            parse_manifest(bad)
    assert parse_rfc3339("2024-05-01T10:00:00.123456789Z") == datetime(2024, 5, 1, 10, 0, 0, 123456,
                                                                       tzinfo=timezone.utc)
    assert parse_rfc3339("2024-05-01T10:00:00+02:00").utcoffset().total_seconds() == 7200
    with pytest.raises(ValueError):
        parse_rfc3339("yesterday")
