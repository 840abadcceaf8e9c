"""Open the registry backend a profile points at: ACR for `uri` profiles, else Distribution on Blob."""

from __future__ import annotations

import os
from typing import Mapping

from aztui.profiles.model import Profile
from aztui.registry.model import Registry


def backend_module(profile: Profile) -> str:
    """The module that holds `profile`'s backend (the UI imports it in a thread the first time)."""
    return "aztui.azure.acr" if profile.kind == "acr" else "aztui.registry.distribution"


def open_registry(profile: Profile, environ: Mapping[str, str] = os.environ) -> Registry:
    """The registry backend for `profile`, to use as `async with open_registry(profile) as registry:`."""
    if profile.kind == "acr":
        from aztui.azure.acr import AcrRegistry

        return AcrRegistry(profile, environ)
    from aztui.registry.distribution import DistributionRegistry

    return DistributionRegistry(profile, environ)
