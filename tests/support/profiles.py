"""The one builder of a `Profile` on an Azurite (the session `azurite`, `azurite_https` or any AzuriteServer).

`azurite_profile(server)` is a shared-key storage profile (account name, blob endpoint, the account key);
`connection_string=True` makes it a connection-string profile instead. Any other keyword replaces a field
(`name`, `kind`, `container`, `max_retries`, `account_url`, `read_only`, `ca_bundle`...); `secret_key` is the
profile key the secret is reported under. Modules that use one flavour often bind it with `functools.partial`.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from aztui.profiles.model import Profile, Secret


def azurite_profile(server, *, connection_string: bool = False, secret_key: str = "", **changes) -> Profile:
    """A storage profile on Azurite `server`: shared key, or its connection string; `changes` replace fields."""
    if connection_string:
        base = Profile(name="t", kind="storage", auth="connection_string",
                       connection_string=Secret(server.connection_string, key=secret_key))
    else:
        base = Profile(name="t", kind="storage", auth="shared_key", account_name=server.account,
                       account_url=server.blob_endpoint, account_key=Secret(server.key, key=secret_key))
    return replace(base, **changes)


# A connection-string profile for seeding containers with data.
seed_profile = partial(azurite_profile, connection_string=True, name="seed", secret_key="connection_string")
