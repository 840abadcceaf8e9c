"""Where a Distribution registry's data is, when it is not where the profile says.

    finding = await locate(store, profile)      # only after the configured places came up empty
    finding.found                                # a Place, or None
    finding.message(), finding.hint()            # what was looked at, what was found, what to change

The configured places are `layout_candidates(profile)`: `<rootdirectory>/docker/registry/v2/`
with and without the leading '/'. The other places a registry could be are the container root
(`/docker/registry/v2/`, as Distribution v2.8's azure driver writes, and `docker/registry/v2/`,
as v3 writes without a root directory). A v2.8.2 registry on the azure driver ignores
`rootdirectory` and writes at `/docker/registry/v2/` (measured), so a registry config copied
verbatim into a profile points one level too deep. One more one-item listing of the whole
container tells an empty container from one holding something else, and when that first blob
sits below some `<folder>/docker/registry/v2/`, names that folder.

Every probe is one List Blobs call with one result; they run concurrently.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

from aztui.azure.blobs import BlobStore
from aztui.profiles.model import Profile

Layout = Literal["v2.8", "v3"]
REGISTRY_PATH = "docker/registry/v2/"


def layout_candidates(profile: Profile) -> list[tuple[Layout, str]]:
    """(layout, blob name prefix of `docker/registry/v2/`) in the order to prefer them.

    Both are probed; when a container holds both, a root directory written with a leading '/'
    prefers v2.8's names, otherwise v3's.
    """
    inner = f"{profile.prefix}/{REGISTRY_PATH}" if profile.prefix else REGISTRY_PATH
    candidates: list[tuple[Layout, str]] = [("v3", inner), ("v2.8", "/" + inner)]
    if str(profile.written.get("rootdirectory", "")).startswith("/"):
        candidates.reverse()
    return candidates


ROOT_PLACES: tuple[tuple[Layout, str], ...] = (("v2.8", "/" + REGISTRY_PATH), ("v3", REGISTRY_PATH))


@dataclass(frozen=True)
class Place:
    layout: Layout
    base: str            # blob name prefix ending in docker/registry/v2/

    @property
    def root(self) -> str:
        """The root directory this place means ("" for the container root), without slashes."""
        return self.base[: -len(REGISTRY_PATH)].strip("/")


@dataclass(frozen=True)
class Finding:
    container: str
    configured: tuple[str, ...]    # the bases the profile points at (probed, empty)
    looked_at: tuple[str, ...]     # every base probed, the configured ones first
    found: Place | None
    first_blob: str | None         # the container's first blob name, None when it is empty
    rootdirectory: str             # as the profile writes it ("" when it has none)

    def message(self) -> str:
        """What was expected, and what was found instead (one sentence each)."""
        where = " or ".join(repr(b) for b in self.configured)
        text = f"no registry data under {where} in container {self.container!r}"
        if self.found is not None:
            place = "at the container root" if not self.found.root else f"under {self.found.root!r}"
            return text + f"; registry data found {place} ({self.found.base!r}, {self.found.layout} naming)"
        looked = ", ".join(repr(b) for b in self.looked_at if b not in self.configured)
        text += f" (also looked at {looked})" if looked else ""
        if self.first_blob is None:
            return text + "; the container is empty"
        return text + f"; the container holds other blobs (the first is {self.first_blob!r})"

    def expected(self) -> str:
        """`registry data under '/prod/docker/registry/v2/' or 'prod/...' in container 'c'`."""
        return "registry data under " + " or ".join(repr(b) for b in self.configured) + \
            f" in container {self.container!r}"

    def what_was_found(self) -> str:
        """What is there instead: where the registry data is, or what the container holds."""
        if self.found is not None:
            place = "at the container root" if not self.found.root else f"under {self.found.root!r}"
            return f"registry data {place} ({self.found.base!r}, {self.found.layout} naming)"
        looked = ", ".join(repr(b) for b in self.looked_at if b not in self.configured)
        text = "nothing there" + (f", nor at {looked}" if looked else "")
        if self.first_blob is None:
            return text + "; the container is empty"
        return text + f"; the container holds other blobs (the first is {self.first_blob!r})"

    def hint(self) -> str:
        """What to change in the profile."""
        found = self.found
        if found is None:
            return ("check container and rootdirectory in the profile against the registry's storage "
                    "config; a registry writes nothing before its first push")
        if not found.root and found.layout == "v2.8" and self.rootdirectory:
            return "the v2.8 azure driver ignores rootdirectory — remove it from this profile"
        if not found.root:
            return "this registry writes at the container root — remove rootdirectory from this profile"
        root = ("/" if found.base.startswith("/") else "") + found.root
        return f'set rootdirectory = "{root}" in this profile'


def other_places(profile: Profile) -> list[Place]:
    """The places to probe beyond the configured ones: the container root, both namings."""
    configured = {base for _, base in layout_candidates(profile)}
    return [Place(layout, base) for layout, base in ROOT_PLACES if base not in configured]


async def locate(store: BlobStore, profile: Profile) -> Finding:
    """Probe the other places (and the container's first blob) with one one-item listing each."""
    container = profile.container or ""
    places = other_places(profile)
    pages = await asyncio.gather(*(store.list_page(container, p.base, recursive=True, page_size=1)
                                   for p in places),
                                 store.list_page(container, "", recursive=True, page_size=1))
    *probes, first = pages
    found = next((place for place, page in zip(places, probes) if page.items), None)
    first_blob = first.items[0].name if first.items else None
    if found is None and first_blob is not None:
        found = _place_of(first_blob)
    configured = tuple(base for _, base in layout_candidates(profile))
    return Finding(container, configured, configured + tuple(p.base for p in places), found, first_blob,
                   str(profile.written.get("rootdirectory", "") or ""))


def _place_of(name: str) -> Place | None:
    """`team/prod/docker/registry/v2/blobs/...` -> the place `team/prod/docker/registry/v2/`."""
    at = name.find("/" + REGISTRY_PATH)
    if at < 0:
        return None
    base = name[: at + 1 + len(REGISTRY_PATH)]
    return Place("v2.8" if base.startswith("/") else "v3", base)
