"""Finding a Distribution registry that is not where the profile points (issue #13, point 1).

The data is what Debian's real docker-registry wrote (tests/support/distribution_data.py), copied
into Azurite: v2.8 names at the container root (`/docker/registry/v2/...`, where a v2.8.2 azure
driver writes whatever `rootdirectory` says) and v3 names under `regroot/prod/`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from aztui.azure.blobs import BlobStore
from aztui.errors import NotFoundError
from aztui.profiles.file import load_profiles
from aztui.registry.distribution import DistributionRegistry
from aztui.registry.locate import other_places
from tests.support.distribution_data import pushed_registry, upload_tree  # noqa: F401  (fixture)
from tests.support.profiles import seed_profile

V28_IGNORES_ROOT = "the v2.8 azure driver ignores rootdirectory — remove it from this profile"


def profiles_file(azurite, folder: Path, **profiles: dict) -> Path:
    """A profiles file of Distribution profiles on Azurite: name -> {container, rootdirectory?}."""
    text = ""
    for name, keys in profiles.items():
        text += (f'[profiles.{name}]\naccountname = "{azurite.account}"\naccountkey = "{azurite.key}"\n'
                 f'serviceurl = "{azurite.blob_endpoint}"\n'
                 + "".join(f'{k} = "{v}"\n' for k, v in keys.items()) + "\n")
    path = folder / "profiles.toml"
    path.write_text(text)
    path.chmod(0o600)
    return path


def aztui(config: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "aztui", "--config", str(config), *args],
                            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                            env={**os.environ, "XDG_STATE_HOME": str(config.parent / "state")})
    assert "Traceback" not in result.stderr, result.stderr
    return result


async def opened(profile) -> DistributionRegistry:
    async with DistributionRegistry(profile) as registry:
        return registry


async def test_a_copied_v28_config_with_rootdirectory_is_found_at_the_container_root(
        pushed_registry, azurite, tmp_path):
    data = pushed_registry
    config = profiles_file(azurite, tmp_path, prod={"container": data.containers["v2.8"], "rootdirectory": "/prod"})
    registry = await opened(load_profiles(config).get("prod"))
    assert registry.layout is None
    assert registry.finding.found.base == "/docker/registry/v2/" and registry.finding.found.layout == "v2.8"
    reason = registry.no_data_reason()
    assert reason.startswith("No registry data: no registry data under '/prod/docker/registry/v2/' or "
                             "'prod/docker/registry/v2/'")
    assert "registry data found at the container root ('/docker/registry/v2/', v2.8 naming)" in reason
    assert V28_IGNORES_ROOT in reason
    with pytest.raises(NotFoundError) as caught:
        registry.require_layout()
    assert caught.value.hint == V28_IGNORES_ROOT

    for command in (["registry", "ls", "prod"], ["registry", "gc", "prod"]):
        result = aztui(config, *command)
        assert result.returncode == 1, (command, result)
        assert "registry data found at the container root" in result.stderr, command
        assert V28_IGNORES_ROOT in result.stderr, command


async def test_a_root_the_profile_lacks_is_named_from_the_first_blob(pushed_registry, azurite, tmp_path):
    data = pushed_registry
    config = profiles_file(azurite, tmp_path, bare={"container": data.containers["v3"]},
                           wrong={"container": data.containers["v3"], "rootdirectory": "staging"})
    for name in ("bare", "wrong"):
        registry = await opened(load_profiles(config).get(name))
        assert registry.layout is None and registry.finding.found.base == "regroot/prod/docker/registry/v2/"
        assert "registry data found under 'regroot/prod'" in registry.no_data_reason()
        assert registry.finding.hint() == 'set rootdirectory = "regroot/prod" in this profile'
    # and with the hint applied, the registry is there
    fixed = profiles_file(azurite, tmp_path, fixed={"container": data.containers["v3"],
                                                    "rootdirectory": "regroot/prod"})
    assert (await opened(load_profiles(fixed).get("fixed"))).layout == "v3"


async def test_v3_names_at_the_container_root_say_remove_rootdirectory(pushed_registry, azurite, tmp_path,
                                                                       container_name):
    data = pushed_registry
    await upload_tree(seed_profile(azurite), data.root / "docker/registry/v2/repositories/tools", container_name,
                      "docker/registry/v2/repositories/tools/")
    config = profiles_file(azurite, tmp_path, p={"container": container_name, "rootdirectory": "/prod"})
    registry = await opened(load_profiles(config).get("p"))
    assert registry.finding.found.base == "docker/registry/v2/" and registry.finding.found.layout == "v3"
    assert registry.finding.hint() == "this registry writes at the container root — remove rootdirectory from " \
                                      "this profile"


async def test_nothing_anywhere_says_what_was_looked_at_and_what_is_there(azurite, tmp_path, container_name):
    config = profiles_file(azurite, tmp_path, p={"container": container_name, "rootdirectory": "prod"})
    profile = load_profiles(config).get("p")
    async with BlobStore(seed_profile(azurite)) as store:
        await store.create_container(container_name)
        empty = await opened(profile)
        await store.upload_blob(container_name, "notes.txt", b"not a registry")
    assert empty.finding.found is None
    reason = empty.no_data_reason()
    assert "(also looked at '/docker/registry/v2/', 'docker/registry/v2/'); the container is empty" in reason
    assert "check container and rootdirectory" in reason
    other = await opened(profile)
    assert "the container holds other blobs (the first is 'notes.txt')" in other.no_data_reason()


def test_the_root_places_are_probed_only_when_the_profile_does_not_name_them():
    from aztui.profiles.model import Profile

    at_root = Profile(name="r", kind="distribution", auth="shared_key", container="c")
    assert other_places(at_root) == []
    below = Profile(name="r", kind="distribution", auth="shared_key", container="c", prefix="prod")
    assert [p.base for p in other_places(below)] == ["/docker/registry/v2/", "docker/registry/v2/"]


async def test_a_registry_where_the_profile_points_has_no_finding(pushed_registry):
    registry = await opened(load_profiles(pushed_registry.config).get("v28"))
    assert registry.layout == "v2.8" and registry.finding is None and registry.no_data_reason() is None
