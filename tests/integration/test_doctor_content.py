"""The doctor checks content, not only access (issue #13, point 2): Azurite and real registry data.

A profile that authenticates but points at nothing of its kind passes every access step and ends
with a warning verdict (exit 0; exit 1 with `--strict`) that names what was expected, what was
found and what to change.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from aztui.doctor import checks as doctor
from tests.integration.test_doctor import run_doctor, seed, statuses, toml
from tests.support.distribution_data import pushed_registry  # noqa: F401  (fixture)

V28_IGNORES_ROOT = "the v2.8 azure driver ignores rootdirectory — remove it from this profile"


def registry_keys(azurite, container: str, **keys) -> dict:
    return dict(accountname=azurite.account, accountkey=azurite.key, serviceurl=azurite.blob_endpoint,
                container=container, max_retries=0, **keys)


def cache_keys(azurite, container: str, **keys) -> dict:
    return dict(account_url=azurite.blob_endpoint, account_name=azurite.account,
                secret_access_key=azurite.key, container=container, max_retries=0, **keys)


def profiles_test(path, *args: str) -> tuple[int, str]:
    result = subprocess.run([sys.executable, "-m", "aztui", "--config", str(path), "profiles", "test", *args],
                            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                            env={**os.environ, "XDG_STATE_HOME": str(path.parent / "state")})
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stdout


async def test_a_copied_v28_config_warns_where_the_registry_is(pushed_registry, azurite, write_profiles):
    container = pushed_registry.containers["v2.8"]
    text = toml("prod", **registry_keys(azurite, container, rootdirectory="/prod")) + \
        toml("good", **registry_keys(azurite, container))
    report = await run_doctor(write_profiles, text, "prod")
    assert statuses(report)["authorization"] == "ok"          # access alone passes: "listed 0 blobs"
    assert "listed 0 blobs" in report.step("authorization").detail
    step = report.step("content")
    assert step.status == "warn"
    assert step.detail == (f"expected registry data under '/prod/docker/registry/v2/' or 'prod/docker/registry/v2/'"
                           f" in container {container!r}\n"
                           "found registry data at the container root ('/docker/registry/v2/', v2.8 naming)")
    assert step.hint == V28_IGNORES_ROOT
    assert report.ok and report.verdict == "warning"

    good = await run_doctor(write_profiles, text, "good")
    assert good.step("content").status == "ok" and good.verdict == "ok"
    assert good.step("content").detail == "registry data found: v2.8 naming under '/docker/registry/v2/'"

    path = write_profiles(text)
    code, out = profiles_test(path, "prod")
    assert code == 0
    tail = out[out.index("WARNING (content)"):]
    assert "expected registry data under '/prod/docker/registry/v2/'" in tail
    assert "found registry data at the container root" in tail and f"hint: {V28_IGNORES_ROOT}" in tail
    code, out = profiles_test(path, "prod", "--strict")
    assert code == 1 and "WARNING (content)" in out
    code, out = profiles_test(path, "prod", "--json", "--strict")
    data = json.loads(out)
    assert code == 1 and data["ok"] is True and data["verdict"] == "warning"
    assert [s["name"] for s in data["steps"]] == list(doctor.STEPS)
    assert {s["name"]: s["status"] for s in data["steps"]}["content"] == "warn"
    assert profiles_test(path, "good", "--strict")[0] == 0
    code, out = profiles_test(path, "--all", "--strict")
    assert code == 1 and any(line.split()[:2] == ["prod", "WARNING"] for line in out.splitlines())
    assert profiles_test(path, "--all")[0] == 0


async def test_cache_content(azurite, write_profiles, container_name):
    await seed(azurite, container_name, {"manifests/app": b"{}", "blobs/sha256:00": b"x"})
    text = (toml("app", **cache_keys(azurite, container_name, name="app"))
            + toml("other", **cache_keys(azurite, container_name, name="base"))
            + toml("both", **cache_keys(azurite, container_name, name="app;base"))
            + toml("prefixed", **cache_keys(azurite, container_name, name="app", prefix="ci")))
    app = await run_doctor(write_profiles, text, "app")
    assert app.step("content").status == "ok" and app.verdict == "ok"
    assert app.step("content").detail == f"found 1 cache manifest under {container_name}/manifests/"

    other = (await run_doctor(write_profiles, text, "other")).step("content")
    assert other.status == "warn"
    assert other.detail == (f"expected BuildKit cache manifests under {container_name}/manifests/ (base)\n"
                            "found only other cache names: app")
    assert "check name" in other.hint

    both = (await run_doctor(write_profiles, text, "both")).step("content")
    assert both.status == "warn" and both.detail.endswith("found 1 cache manifest under "
                                                          f"{container_name}/manifests/, none for base")

    prefixed = (await run_doctor(write_profiles, text, "prefixed")).step("content")
    assert prefixed.status == "warn"
    assert prefixed.detail.endswith(f"found nothing under {container_name}/ci/manifests/, but the container root "
                                    "holds manifests/")
    assert prefixed.hint == "the cache is written without a prefix: remove prefix from this profile"


async def test_artifact_store_content(azurite, write_profiles, container_name):
    await seed(azurite, container_name, {"zenml/run-1/artifact.bin": b"x"})
    keys = dict(account_name=azurite.account, account_key=azurite.key, max_retries=0)
    url = {"account_url": azurite.blob_endpoint, "kind": "artifact-store"}
    text = (toml("good", path=f"az://{container_name}/zenml", **keys, **url)
            + toml("typo", path=f"az://{container_name}/zenlm", **keys, **url))
    good = await run_doctor(write_profiles, text, "good")
    assert good.step("content").status == "ok" and good.verdict == "ok"
    typo = await run_doctor(write_profiles, text, "typo")
    step = typo.step("content")
    assert step.status == "warn" and typo.verdict == "warning"
    assert step.detail == (f"expected ZenML artifacts under {container_name}/zenlm/\n"
                           f"found nothing under {container_name}/zenlm/; the container holds other blobs "
                           "(the first is 'zenml/run-1/artifact.bin')")
    assert "check path" in step.hint


async def test_content_is_skipped_when_access_failed(azurite, write_profiles, container_name):
    report = await run_doctor(write_profiles, toml("p", **registry_keys(azurite, container_name)))
    assert statuses(report)["authorization"] == "fail"
    assert report.step("content").status == "skipped" and report.verdict == "failed"


async def test_adls_gen2_directory_markers_are_neither_manifests_nor_artifacts(azurite, write_profiles,
                                                                                container_name):
    """On a hierarchical-namespace account each directory is also a zero-length blob marked
    hdi_isfolder=true, and it sorts before what it holds: the doctor reads and counts files only."""
    from aztui.azure.blobs import BlobStore
    from tests.support.profiles import azurite_profile

    await seed(azurite, container_name, {"manifests/ci/main": b'{"layers": []}',
                                         "zenml/run-1/deep/artifact.bin": b"x"})
    async with BlobStore(azurite_profile(azurite, name="admin")) as store:
        for marker in ("manifests", "manifests/ci", "zenml", "zenml/run-1", "zenml/run-1/deep"):
            await store.upload_blob(container_name, marker, b"", metadata={"hdi_isfolder": "true"})
    keys = dict(account_name=azurite.account, account_key=azurite.key, max_retries=0)
    text = (toml("cache", **cache_keys(azurite, container_name, name="other"))
            + toml("artifacts", path=f"az://{container_name}/zenml", account_url=azurite.blob_endpoint,
                   kind="artifact-store", **keys))

    cache = await run_doctor(write_profiles, text, "cache")
    assert "read cache manifest manifests/ci/main (14 bytes)" in cache.step("authorization").detail
    assert cache.step("content").detail.endswith("found only other cache names: ci/main")

    artifacts = await run_doctor(write_profiles, text, "artifacts")
    assert artifacts.step("content").status == "ok", artifacts.step("content").detail
    assert artifacts.step("content").detail == f"found artifacts under {container_name}/zenml/"
