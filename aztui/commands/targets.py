"""Where a headless command works: `PROFILE[:CONTAINER[/PATH]]`, checked before any request.

    PROFILE                  the profile's own container and prefix, else the account's containers
    PROFILE:CONTAINER        that container (the profile's prefix does not apply)
    PROFILE:CONTAINER/PATH   PATH inside that container
    PROFILE:/PATH            PATH under the profile's own container and prefix
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aztui.errors import AztuiError
from aztui.exit_codes import EXIT_BAD_INPUT
from aztui.profiles.model import Profile

_CONTAINER = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$")
SPECIAL_CONTAINERS = frozenset({"$root", "$logs", "$web"})
FORMS = "PROFILE, PROFILE:CONTAINER, PROFILE:CONTAINER/PATH or PROFILE:/PATH"


class TargetError(AztuiError):
    title = "Invalid target"
    exit_code = EXIT_BAD_INPUT


@dataclass(frozen=True)
class Target:
    profile: str
    container: str | None  # None: the profile's own container (or the account's list of containers)
    prefix: str = ""       # a path inside the container; relative to the profile's prefix when container is None


@dataclass(frozen=True)
class Location:
    """A target resolved against its profile: where to list."""

    container: str | None  # None: list the account's containers
    prefix: str


def valid_container_name(name: str) -> bool:
    """Azure's rules: 3-63 lowercase letters, digits and single hyphens between them, or $root/$logs/$web."""
    return name in SPECIAL_CONTAINERS or bool(_CONTAINER.match(name))


def parse_target(text: str) -> Target:
    """`PROFILE[:CONTAINER[/PATH]]` or `PROFILE:/PATH`; anything malformed is a `TargetError` naming it."""
    profile, colon, rest = text.partition(":")
    if not profile.strip():
        raise TargetError(f"target {text!r} names no profile", hint=f"write {FORMS}")
    if profile != profile.strip():
        raise TargetError(f"target {text!r}: the profile name has surrounding spaces", hint=f"write {FORMS}")
    if not colon:
        return Target(profile, None, "")
    container, _, path = rest.partition("/")
    if container and not valid_container_name(container):
        raise TargetError(
            f"target {text!r}: {container!r} is not a valid container name",
            hint="container names are 3-63 lowercase letters, digits and single hyphens, "
                 "starting and ending with a letter or digit")
    if not container and not rest:
        raise TargetError(f"target {text!r} has nothing after ':'", hint=f"write {FORMS}")
    segments = path.split("/")
    if any(segment in (".", "..") for segment in segments):
        raise TargetError(f"target {text!r}: '.' and '..' are not path segments in blob storage",
                          hint="write the path from the container's root")
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        raise TargetError(f"target {text!r} holds control characters", hint="check the path")
    return Target(profile, container or None, path)


def _join(*parts: str) -> str:
    return "/".join(part.strip("/") for part in parts if part.strip("/"))


def resolve(target: Target, profile: Profile) -> Location:
    """Where `target` points for `profile`; a path without any container is a `TargetError`."""
    if target.container:
        return Location(target.container, target.prefix.lstrip("/"))
    if profile.container:
        return Location(profile.container, _join(profile.prefix, target.prefix))
    if target.prefix:
        raise TargetError(f"profile {profile.name!r} names no container, so {target.prefix!r} has none",
                          hint=f"write {profile.name}:CONTAINER/{target.prefix}")
    return Location(None, "")


def as_folder(prefix: str) -> str:
    """A path as a virtual-folder prefix: "" stays "", "raw" becomes "raw/"."""
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"
