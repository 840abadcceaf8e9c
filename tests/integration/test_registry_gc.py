"""`aztui registry gc` against `docker-registry garbage-collect --dry-run` on the same data, and sweeps."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from aztui.azure.blobs import BlobInfo, BlobStore
from aztui.errors import ReadOnlyError
from aztui.profiles.file import load_profiles
from aztui.registry.distribution import DistributionRegistry, Upload
from aztui.registry.distribution_gc import (
    RegistrySnapshot,
    RepositoryState,
    execute_registry_gc,
    load_snapshot,
    plan_registry_gc,
)
from tests.support.distribution_data import (  # noqa: F401  (fixture)
    V3_ROOT,
    parse_gc_output,
    pushed_registry,
    upload_tree,
)
from tests.support.profiles import seed_profile
from tests.support.registry_server import RegistryServer

LAYOUTS = ["v2.8", "v3"]

ENTRY = ["-m", "aztui"]


def run_gc(config: Path, *args: str, state: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_STATE_HOME": str(state or config.parent / "state")}
    result = subprocess.run([sys.executable, *ENTRY, "--config", str(config), "registry", "gc", *args],
                            capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
    assert "Traceback" not in result.stderr, result.stderr
    return result


async def plan_for(profile, **options):
    async with DistributionRegistry(profile) as registry:
        return plan_registry_gc(await load_snapshot(registry), **options)


def profile(data, name: str):
    return load_profiles(data.config).get(name)


@pytest.mark.slow
@pytest.mark.parametrize("layout", LAYOUTS)
async def test_plan_matches_upstream_dry_run(pushed_registry, layout):
    data = pushed_registry
    upstream_blobs, upstream_manifests = parse_gc_output(data.gc_output)
    assert upstream_blobs and not upstream_manifests   # the deleted manifest left blobs behind
    plan = await plan_for(profile(data, {"v2.8": "v28", "v3": "v3"}[layout]))
    assert plan.layout == layout
    assert {d for d, _ in plan.delete_blobs} == upstream_blobs
    assert plan.delete_manifests == () and plan.problems == ()
    gone = data.digests["gone"]
    assert gone in upstream_blobs   # the deleted manifest itself, and its config and layer
    marked_line = next(line for line in data.gc_output.splitlines() if "blobs marked" in line)
    assert marked_line.startswith(f"{len(plan.marked)} blobs marked")


@pytest.mark.parametrize("layout", LAYOUTS)
async def test_delete_untagged_differs_from_debian_only_by_index_children(pushed_registry, layout):
    data = pushed_registry
    upstream_blobs, upstream_manifests = parse_gc_output(data.gc_untagged_output)
    plan = await plan_for(profile(data, {"v2.8": "v28", "v3": "v3"}[layout]), delete_untagged=True)
    ours_blobs = {d for d, _ in plan.delete_blobs}
    ours_manifests = {(m.repository, m.digest) for m in plan.delete_manifests}
    children = {data.digests["child_amd64"], data.digests["child_arm64"]}
    # Debian's 2.8 deletes the children of the tagged index `v2` (their revision links) and the
    # configs and layers only they reference; it keeps their manifest data, which the index marks
    assert upstream_manifests - ours_manifests == {("team/api/server", c) for c in children}
    assert ours_manifests <= upstream_manifests
    assert upstream_blobs - ours_blobs == data.child_blobs
    assert ours_blobs <= upstream_blobs
    assert ("library/nginx", data.digests["nginx_old"]) in ours_manifests
    nginx_old = next(m for m in plan.delete_manifests if m.digest == data.digests["nginx_old"])
    hex_ = data.digests["nginx_old"][7:]
    assert sorted(link.name.split("docker/registry/v2/", 1)[1] for link in nginx_old.links) == sorted([
        f"repositories/library/nginx/_manifests/revisions/sha256/{hex_}/link",
        f"repositories/library/nginx/_manifests/tags/latest/index/sha256/{hex_}/link"])


@pytest.mark.slow
def test_cli_json_dry_run_and_stale_uploads(pushed_registry):
    data = pushed_registry
    result = run_gc(data.config, "v28", "--json", "--delete-untagged")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    upstream_blobs, _ = parse_gc_output(data.gc_untagged_output)
    assert report["layout"] == "v2.8" and report["dry_run"] is True
    assert set(report["delete_blobs"]) == upstream_blobs - data.child_blobs
    assert {"repository": "library/nginx", "digest": data.digests["nginx_old"]}.items() <= \
        next(m for m in report["delete_manifests"] if m["digest"] == data.digests["nginx_old"]).items()
    assert report["bytes_reclaimed"] == sum(report["blob_sizes"].values()) + report["upload_bytes"]
    assert report["stale_uploads"] == [] and report["marked_count"] > 0
    assert report["recoverable_days"] == 0  # Azurite: soft delete off
    stale = json.loads(run_gc(data.config, "v3", "--json", "--upload-age", "0s").stdout)["stale_uploads"]
    assert [(u["repository"], u["uuid"]) for u in stale] == [("tools", data.upload_uuid)]
    text = run_gc(data.config, "v3")
    assert text.returncode == 0 and "blob eligible for deletion: sha256:" in text.stdout
    assert "dry run: nothing deleted" in text.stdout
    assert "Soft delete is off: deleted blobs cannot be recovered." in text.stdout


@pytest.mark.slow
def test_cli_refusals_and_exit_codes(pushed_registry, azurite, container_name):
    data = pushed_registry
    bad_age = run_gc(data.config, "v3", "--upload-age", "a week")
    assert bad_age.returncode == 2 and "is not a duration" in bad_age.stderr
    read_only = run_gc(data.config, "v3ro", "--execute")
    assert read_only.returncode == 1 and "read-only" in read_only.stderr
    unknown = run_gc(data.config, "nope")
    assert unknown.returncode == 2
    config = data.config.parent / "empty.toml"
    config.write_text(data.config.read_text().replace(data.containers["v3"], container_name))
    asyncio.run(_create(azurite, container_name))
    empty = run_gc(config, "v3")
    assert empty.returncode == 1 and "no registry data under" in empty.stderr


async def _create(azurite, container: str) -> None:
    async with BlobStore(seed_profile(azurite)) as store:
        await store.create_container(container)


@pytest.mark.slow
def test_execute_sweeps_and_the_registry_still_serves_every_tag(pushed_registry, azurite, container_name,
                                                                 tmp_path):
    """Sweep a v3 copy with --delete-untagged, then serve what is left with the real registry."""
    data = pushed_registry
    asyncio.run(upload_tree(seed_profile(azurite), data.root, container_name, V3_ROOT + "/"))
    config = tmp_path / "profiles.toml"
    config.write_text(data.config.read_text().replace(data.containers["v3"], container_name))
    config.chmod(0o600)
    result = run_gc(config, "v3", "--execute", "--delete-untagged", "--upload-age", "0s", "--json",
                    state=tmp_path / "state")
    assert result.returncode == 0, result.stderr
    assert "must be read-only" in result.stderr
    report = json.loads(result.stdout)
    assert report["executed"]["steps"]["blobs"] == {"deleted": len(report["delete_blobs"])}
    assert report["executed"]["steps"]["manifests"] == {"deleted": 2}   # revision + tag index link
    assert report["dry_run"] is False and report["recoverable_days"] == 0  # Azurite: soft delete off
    journals = [Path(j) for j in report["executed"]["journals"]]
    assert journals and all(j.exists() and j.stat().st_mode & 0o077 == 0 for j in journals)
    again = json.loads(run_gc(config, "v3", "--json", "--delete-untagged", "--upload-age", "0s").stdout)
    assert again["delete_blobs"] == [] and again["delete_manifests"] == [] and again["stale_uploads"] == []

    # download what is left into a filesystem root and let docker-registry serve it
    server_dir = tmp_path / "served"
    asyncio.run(_download(seed_profile(azurite), container_name, f"{V3_ROOT}/", server_dir / "storage"))
    server = RegistryServer.start(server_dir)
    accept = ", ".join(["application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
                        "application/vnd.docker.distribution.manifest.v2+json"])
    try:
        for repository, tags in data.tags.items():
            for tag in tags:
                _pull(server, repository, tag, accept)
    finally:
        server.stop()


async def _download(profile, container: str, prefix: str, root: Path) -> None:
    async with BlobStore(profile) as store:
        async for blob in store.iter_blobs(container, prefix):
            path = root / blob.name[len(prefix):]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(await store.read_blob(container, blob.name))


def _pull(server: RegistryServer, repository: str, reference: str, accept: str) -> None:
    status, _, body = server._request("GET", f"/v2/{repository}/manifests/{reference}", headers={"Accept": accept})
    assert status == 200, (repository, reference, status, body)
    manifest = json.loads(body)
    for child in manifest.get("manifests", []):
        _pull(server, repository, child["digest"], accept)
    for blob in [manifest.get("config")] + manifest.get("layers", []):
        if blob:
            status, _, _ = server._request("GET", f"/v2/{repository}/blobs/{blob['digest']}")
            assert status == 200, (repository, blob["digest"], status)


async def test_executor_refuses_read_only_profiles_and_plans_with_problems(pushed_registry):
    data = pushed_registry
    async with DistributionRegistry(profile(data, "v3ro")) as registry:
        plan = plan_registry_gc(await load_snapshot(registry))
        with pytest.raises(ReadOnlyError):
            await execute_registry_gc(registry.store, registry.container, plan)
    broken = RegistrySnapshot("v3", "r/", {"a": RepositoryState("a", {"sha256:m": _info("m")}, {}, {})},
                              {"sha256:m": _info("data")}, {"sha256:m": None}, datetime.now(timezone.utc))
    plan = plan_registry_gc(broken)
    assert plan.problems and "cannot be read" in plan.problems[0]
    from aztui.errors import AztuiError

    async with DistributionRegistry(profile(data, "v3")) as registry:
        with pytest.raises(AztuiError, match="plan has problems"):
            await execute_registry_gc(registry.store, registry.container, plan)


def _info(name: str, size: int = 1, modified: datetime | None = None) -> BlobInfo:
    return BlobInfo(name=name, size=size, last_modified=modified, etag='"e"', tier=None, content_type=None)


def test_planner_rules_on_a_small_snapshot():
    """Children of a tagged index stay; an untagged index and what only it holds go; shared blobs stay."""
    now = datetime(2025, 1, 10, tzinfo=timezone.utc)
    revisions = {d: _info(f"rev/{d}") for d in ("sha256:idx", "sha256:c1", "sha256:old", "sha256:img")}
    refs = {"sha256:idx": ("sha256:c1",), "sha256:c1": ("sha256:cfg1", "sha256:shared"),
            "sha256:old": ("sha256:c1", "sha256:cfgold"), "sha256:img": ("sha256:shared",)}
    blobs = {d: _info(f"blob/{d}", 10) for d in
             ("sha256:idx", "sha256:c1", "sha256:old", "sha256:img", "sha256:cfg1", "sha256:shared",
              "sha256:cfgold", "sha256:orphan")}
    uploads = (Upload("a", "u-old", [_info("up/u-old/data", 5)], now - timedelta(days=8)),
               Upload("a", "u-new", [_info("up/u-new/data", 5)], now - timedelta(days=1)),
               Upload("a", "u-unknown", [_info("up/u-unknown/data", 5)], None))
    repo = RepositoryState("a", revisions, {"v2": "sha256:idx", "x": "sha256:img"},
                           {"v1": {"sha256:old": _info("tagidx/old")}}, uploads)
    snapshot = RegistrySnapshot("v3", "r/", {"a": repo}, blobs, refs, now)
    keep_all = plan_registry_gc(snapshot)
    assert [d for d, _ in keep_all.delete_blobs] == ["sha256:orphan"]
    assert [u.uuid for u in keep_all.stale_uploads] == ["u-old"]
    untagged = plan_registry_gc(snapshot, delete_untagged=True)
    assert [(m.repository, m.digest) for m in untagged.delete_manifests] == [("a", "sha256:old")]
    assert [link.name for link in untagged.delete_manifests[0].links] == ["rev/sha256:old", "tagidx/old"]
    assert {d for d, _ in untagged.delete_blobs} == {"sha256:old", "sha256:cfgold", "sha256:orphan"}
    assert untagged.bytes_reclaimed == 30 + 5


async def test_a_blob_rewritten_after_planning_is_skipped(pushed_registry, azurite, container_name, tmp_path):
    data = pushed_registry
    await upload_tree(seed_profile(azurite), data.root, container_name, V3_ROOT + "/")
    config = tmp_path / "profiles.toml"
    config.write_text(data.config.read_text().replace(data.containers["v3"], container_name))
    async with DistributionRegistry(load_profiles(config).get("v3")) as registry:
        plan = plan_registry_gc(await load_snapshot(registry))
        _, blob = plan.delete_blobs[0]
        await registry.store.upload_blob(container_name, blob.name, b"rewritten", overwrite=True)
        report = await execute_registry_gc(registry.store, container_name, plan, journal_dir=tmp_path)
        statuses = {o.name: o.status for o in report.steps["blobs"].outcomes}
        assert statuses.pop(blob.name) == "skipped_changed"
        assert set(statuses.values()) == {"deleted"} and not report.failed
        assert await registry.store.read_blob(container_name, blob.name) == b"rewritten"
