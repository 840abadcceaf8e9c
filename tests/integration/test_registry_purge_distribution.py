"""`aztui registry purge` on a Distribution registry on Blob: what the real docker-registry sees afterwards.

The storage tree Debian's docker-registry wrote is copied into Azurite with v2.8's blob names
(`/docker/registry/v2/...`), purged by aztui, copied back into a folder and served by the real
registry again: catalog, tags, `HEAD` of every manifest and `garbage-collect --dry-run`.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aztui.azure.blobs import BlobStore
from aztui.errors import ReadOnlyError
from aztui.profiles.file import load_profiles
from aztui.registry.distribution import DistributionRegistry
from aztui.registry.distribution_gc import load_snapshot, plan_registry_gc
from aztui.registry.distribution_purge import execute_storage_purge, plan_storage
from aztui.registry.purge import PurgeOptions, collect, parse_filter, plan_purge
from tests.support.distribution_data import (  # noqa: F401  (fixture)
    download_tree,
    parse_gc_output,
    profiles_for_container,
    pushed_registry,
    upload_tree,
)
from tests.support.profiles import seed_profile
from tests.support.registry_server import RegistryServer

ACCEPT = ", ".join(["application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
                    "application/vnd.docker.distribution.manifest.v2+json"])
# nginx: `latest` and `1.27` tag one image: untagging `latest` leaves it tagged; the first `latest`
# revision is untagged already and goes. team/api/server: untag v1, its image goes; the index v2
# and its platform children stay. tools: not matched.
PURGE = ["--filter", "library/nginx:^latest$", "--filter", "team/api/server:^v1$", "--untagged"]


def purge(config: Path, *args: str, state: Path, crash_after: int | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_STATE_HOME": str(state)}
    if crash_after is not None:
        env["AZTUI_TEST_CRASH_AFTER"] = str(crash_after)
    result = subprocess.run([sys.executable, "-m", "aztui", "--config", str(config), "registry", "purge", *args],
                            capture_output=True, text=True, env=env, timeout=180, stdin=subprocess.DEVNULL)
    assert "Traceback" not in result.stderr, result.stderr
    return result


async def blob_etags(profile, container: str) -> dict[str, str]:
    async with BlobStore(profile) as store:
        return {b.name: b.etag async for b in store.iter_blobs(container, "")}


def serve(profile, container: str, where: Path) -> RegistryServer:
    asyncio.run(download_tree(profile, container, "/", where / "storage"))
    return RegistryServer.start(where)


def head(server: RegistryServer, repository: str, reference: str) -> int:
    return server._request("HEAD", f"/v2/{repository}/manifests/{reference}", headers={"Accept": ACCEPT})[0]


@pytest.mark.slow
def test_purge_dry_run_then_crash_resume_and_the_registry_agrees(pushed_registry, azurite, container_name, tmp_path):
    data, d = pushed_registry, pushed_registry.digests
    seed = seed_profile(azurite)
    asyncio.run(upload_tree(seed, data.root, container_name, "/"))
    config = profiles_for_container(data, container_name, "v2.8", tmp_path / "profiles.toml")
    before = asyncio.run(blob_etags(seed, container_name))

    # dry run: the plan, with each item's files on storage; nothing changes
    dry = purge(config, "v28", *PURGE, "--json", state=tmp_path / "state")
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)
    assert plan["dry_run"] is True and plan["delete_tags"] == 2 and plan["delete_manifests"] == 2
    storage = {(i["repository"], i.get("tag") or i["digest"]): i["blobs"] for i in plan["storage"]}
    assert storage[("library/nginx", "latest")][0] == "repositories/library/nginx/_manifests/tags/latest/current/link"
    assert all("/_manifests/tags/latest/index/sha256/" in b for b in storage[("library/nginx", "latest")][1:])
    assert storage[("library/nginx", d["nginx_old"])] == [
        f"repositories/library/nginx/_manifests/revisions/sha256/{d['nginx_old'][7:]}/link"]
    assert {(i["repository"], i["digest"]) for i in plan["kept"] if "tag" not in i} == {
        ("team/api/server", d["child_amd64"]), ("team/api/server", d["child_arm64"])}
    assert asyncio.run(blob_etags(seed, container_name)) == before
    assert "would delete" in purge(config, "v28", *PURGE, state=tmp_path / "state").stdout

    # --execute, killed after two files; --resume finishes the same plan
    journal = tmp_path / "purge.jsonl"
    crashed = purge(config, "v28", *PURGE, "--execute", "--journal", str(journal), state=tmp_path / "state",
                    crash_after=2)
    assert crashed.returncode == 70 and journal.stat().st_mode & 0o077 == 0
    resumed = purge(config, "v28", "--resume", str(journal), "--json", state=tmp_path / "state")
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)["result"]
    assert result["failed"] == [] and result["skipped"] == [] and result["deleted"] == 4
    again = purge(config, "v28", *PURGE, "--json", state=tmp_path / "state")
    assert json.loads(again.stdout)["delete"] == []   # nothing left to purge

    # nothing under blobs/ was touched; only link files went
    after = asyncio.run(blob_etags(seed, container_name))
    gone = set(before) - set(after)
    assert gone and all("/_manifests/" in name for name in gone) and set(after) <= set(before)

    # the real registry, on a copy of what is left
    server = serve(seed, container_name, tmp_path / "served")
    try:
        assert sorted(server.catalog()) == sorted(data.catalog)
        assert server.tags("library/nginx") == ["1.27"] and server.tags("team/api/server") == ["v2"]
        assert server.tags("tools") == ["x"]
        assert head(server, "library/nginx", "latest") == 404 and head(server, "library/nginx", "1.27") == 200
        assert head(server, "library/nginx", d["nginx"]) == 200
        for gone_manifest in (("library/nginx", d["nginx_old"]), ("team/api/server", d["api_v1"])):
            assert head(server, *gone_manifest) == 404
        for kept in ("index", "child_amd64", "child_arm64"):
            assert head(server, "team/api/server", d[kept]) == 200
        assert head(server, "team/api/server", "v1") == 404 and head(server, "tools", "x") == 200
    finally:
        server.stop()
    upstream_blobs, upstream_manifests = parse_gc_output(server.garbage_collect(dry_run=True))

    # `registry gc` would now sweep exactly what the registry's own GC would
    async def gc_plan():
        async with DistributionRegistry(load_profiles(config).get("v28")) as registry:
            return plan_registry_gc(await load_snapshot(registry))
    plan_after = asyncio.run(gc_plan())
    assert {digest for digest, _ in plan_after.delete_blobs} == upstream_blobs and not upstream_manifests
    api_v1 = data.manifest(d["api_v1"])
    assert {d["api_v1"], d["nginx_old"], api_v1["config"]["digest"], api_v1["layers"][1]["digest"]} <= upstream_blobs


async def test_etag_guard_and_tags_read_again_before_a_manifest_goes(pushed_registry, azurite, container_name):
    """A tag pushed again after the plan is skipped whole; a manifest tagged again after the plan stays."""
    data, d = pushed_registry, pushed_registry.digests
    seed = seed_profile(azurite)
    await upload_tree(seed, data.root, container_name, "/")
    profile = load_profiles(profiles_for_container(data, container_name, "v2.8", data.config.parent / f"{container_name}.toml")).get("v28")
    options = PurgeOptions((parse_filter("library/nginx:^latest$"), parse_filter("team/api/server:^v1$")),
                           untagged=True)
    async with DistributionRegistry(profile) as registry:
        plan = await plan_storage(registry, plan_purge(await collect(registry, options), options))
        # after the plan: `latest` is pushed again (its current link rewritten), and the v1 image gets a new tag
        repo = "/docker/registry/v2/repositories/"
        await registry.store.upload_blob(container_name, repo + "library/nginx/_manifests/tags/latest/current/link",
                                         d["nginx"].encode(), overwrite=True)
        await registry.store.upload_blob(container_name, repo + "team/api/server/_manifests/tags/again/current/link",
                                         d["api_v1"].encode(), overwrite=True)
        report = await execute_storage_purge(registry, plan, journal=data.config.parent / f"{container_name}.jsonl")
        outcomes = {(o.item.repository, o.item.tag or o.item.digest): o for o in report.item_outcomes()}
        tags = {t.name for t in await registry.list_tags("library/nginx")}
        api_manifests = {m.digest for m in await registry.list_manifests("team/api/server")}
    assert outcomes[("library/nginx", "latest")].status == "skipped" and "latest" in tags
    assert outcomes[("team/api/server", "v1")].status == "deleted"
    assert outcomes[("team/api/server", d["api_v1"])].status == "skipped"
    assert "tagged now: again" in outcomes[("team/api/server", d["api_v1"])].detail
    assert d["api_v1"] in api_manifests
    assert outcomes[("library/nginx", d["nginx_old"])].status == "deleted"


async def test_read_only_profiles_and_other_registries_are_refused(pushed_registry):
    data = pushed_registry
    options = PurgeOptions((parse_filter("library/nginx:.*"),), untagged=True)
    async with DistributionRegistry(load_profiles(data.config).get("v3ro")) as registry:
        plan = await plan_storage(registry, plan_purge(await collect(registry, options), options))
        assert plan.steps
        with pytest.raises(ReadOnlyError):
            await execute_storage_purge(registry, plan)
    async with DistributionRegistry(load_profiles(data.config).get("v28")) as registry:
        with pytest.raises(Exception, match="plan was made for profile 'v3ro'"):
            await execute_storage_purge(registry, plan)


def test_cli_refusals(pushed_registry, tmp_path):
    data = pushed_registry
    refused = purge(data.config, "v3ro", "--filter", "library/nginx:.*", "--execute", state=tmp_path)
    assert refused.returncode != 0 and "read-only" in refused.stderr
    no_filter = purge(data.config, "v3", state=tmp_path)
    assert no_filter.returncode == 2 and "--filter" in no_filter.stderr
    bad_journal = tmp_path / "not-a-journal.jsonl"
    bad_journal.write_text('{"journal": "aztui-delete"}\n')
    resumed = purge(data.config, "v3", "--resume", str(bad_journal), state=tmp_path)
    assert resumed.returncode == 2 and "not an aztui registry purge journal" in resumed.stderr
