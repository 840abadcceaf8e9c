"""profiles.toml text for tests on the suite's Azurite (the `azurite` fixture): one block a profile.

    write_profiles(account_profiles(azurite, rw=container, ro=container, prod={"container": container,
                                                                              "protected": True}))
"""

from __future__ import annotations

import json

from aztui.profiles.file import load_profiles


def profile_toml(azurite, name: str, **settings) -> str:
    """A [profiles.NAME] block on the suite's Azurite (its connection string), with `settings`."""
    lines = [f"[profiles.{name}]", f"connection_string = {json.dumps(azurite.connection_string)}"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]  # str and bool: TOML as JSON
    return "\n".join(lines) + "\n"


def account_profiles(azurite, *, rw: str | None = None, ro: str | None = None, **more: dict) -> str:
    """`account` (the whole Azurite account); `rw` and `ro` (read-only) on the named container; and
    each of `more` as NAME={settings}."""
    blocks = [profile_toml(azurite, "account")]
    if rw is not None:
        blocks.append(profile_toml(azurite, "rw", container=rw))
    if ro is not None:
        blocks.append(profile_toml(azurite, "ro", container=ro, read_only=True))
    blocks += [profile_toml(azurite, name, **settings) for name, settings in more.items()]
    return "\n".join(blocks)


def closed_port_profiles(folder):
    """A profile whose container sits behind a closed port: its reads fail at once, offline."""
    path = folder / "profiles.toml"
    path.write_text('[profiles.p]\nconnection_string = "DefaultEndpointsProtocol=http;AccountName=bench;'
                    'AccountKey=YmVuY2g=;BlobEndpoint=http://127.0.0.1:9/bench"\ncontainer = "bench"\n')
    path.chmod(0o600)
    return load_profiles(path)
