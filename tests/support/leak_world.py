"""A world whose every secret is a marker: data (blobs, a cache, a registry) on an Azurite account with
marker keys, a token endpoint with a marker client secret, and a profiles file using them all. The
`leak_azurite`, `leak_token_server` and `world` fixtures (tests/conftest.py) build it once per module."""

from __future__ import annotations

import asyncio
import os
import secrets
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote

from aztui.azure.blobs import BlobStore
from aztui.profiles.model import Profile, Secret
from tests.support.buildcache import CacheWriter
from tests.support.pilot import write_profiles_file
from tests.support.registry_layout import write_registry

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def marker(label: str, length: int = 64) -> str:
    """`label` + random base64 characters: unique, and valid base64 when the length is a multiple of 4."""
    return label + "".join(secrets.choice(ALNUM) for _ in range(length - len(label)))


KEY = marker("LeakKeyMarker")
KEY2 = marker("LeakConnKeyMarker")
WRONG_KEY = marker("LeakWrongKeyMarker")
FORGED_SIG = marker("LeakSasSigMarker", 44)
CLIENT_SECRET = marker("LeakClientSecretMarker", 40)
WRONG_SECRET = marker("LeakWrongSecretMarker", 40)
ACCOUNT = "leakacct"
TENANT, CLIENT_ID = "7f8e9d0c-1b2a-4c3d-9e8f-0a1b2c3d4e5f", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def account_sas(server) -> str:
    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    return generate_account_sas(ACCOUNT, KEY, ResourceTypes(service=True, container=True, object=True),
                                AccountSasPermissions(read=True, list=True, write=True, delete=True),
                                expiry=datetime.now(timezone.utc) + timedelta(hours=1))


def build_world(leak_azurite, azurite_https, tls, token_server, tmp_path_factory) -> dict:
    """Data (blobs, a cache, a registry) and a profiles file whose every secret is a marker."""
    endpoint = f"http://127.0.0.1:{leak_azurite.port}/{ACCOUNT}"
    container, cache = "leakdata", "leakcache"
    owner = Profile(name="owner", kind="storage", auth="shared_key", account_name=ACCOUNT,
                    account_url=endpoint, account_key=Secret(KEY))
    token_side = Profile(name="owner", kind="storage", auth="shared_key", account_name=azurite_https.account,
                         account_url=azurite_https.blob_endpoint, account_key=Secret(azurite_https.key),
                         ca_bundle=tls["ca"])
    https_container = "leak" + secrets.token_hex(6)

    async def seed():
        async with BlobStore(owner) as store:
            await store.create_container(container)
            await asyncio.gather(*(store.upload_blob(container, f"data/{i}.bin", os.urandom(100)) for i in range(6)))
            await write_registry(store, container)
            await store.create_container(cache)
            w = CacheWriter(store, cache)
            await w.export("app", await w.layers(10, 20, seed="leak"))
            await w.layers(5, seed="orphan")
        async with BlobStore(token_side) as store:
            await store.create_container(https_container)
            await store.upload_blob(https_container, "x.txt", b"token side")

    asyncio.run(seed())
    sas = account_sas(leak_azurite)
    signature = unquote(sas.split("sig=")[1].split("&")[0])
    forged = sas.split("sig=")[0] + "sig=" + FORGED_SIG
    folder = tmp_path_factory.mktemp("secrets")
    config = write_profiles_file(folder / "profiles.toml", f"""
default_profile = "key"

[profiles.key]
accountname = "{ACCOUNT}"
accountkey = "{KEY}"
serviceurl = "{endpoint}"
container = "{container}"

[profiles.conn]
connection_string = "DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY2};BlobEndpoint={endpoint};"

[profiles.sas]
account_url = "{endpoint}"
container = "{container}"
sas_token = "{sas}"

[profiles.forged]
account_url = "{endpoint}"
container = "{container}"
sas_token = "{forged}"

[profiles.wrongkey]
accountname = "{ACCOUNT}"
accountkey = "{WRONG_KEY}"
serviceurl = "{endpoint}"
container = "{container}"

[profiles.cache]
account_url = "{endpoint}"
account_name = "{ACCOUNT}"
secret_access_key = "{KEY}"
container = "{cache}"

[profiles.tok]
account_url = "{azurite_https.blob_endpoint}"
account_name = "{azurite_https.account}"
container = "{https_container}"
client_id = "{CLIENT_ID}"
tenant_id = "{TENANT}"
client_secret = "{CLIENT_SECRET}"
authority_host = "{token_server.authority}"
ca_bundle = "{tls['ca']}"

[profiles.tokbad]
account_url = "{azurite_https.blob_endpoint}"
account_name = "{azurite_https.account}"
container = "{https_container}"
client_id = "{CLIENT_ID}"
tenant_id = "{TENANT}"
client_secret = "{WRONG_SECRET}"
authority_host = "{token_server.authority}"
ca_bundle = "{tls['ca']}"
""")
    markers = [KEY, KEY2, WRONG_KEY, FORGED_SIG, CLIENT_SECRET, WRONG_SECRET, signature, sas.split("sig=")[1],
               "LeakKeyMarker", "LeakConnKeyMarker", "LeakWrongKeyMarker", "LeakSasSigMarker",
               "LeakClientSecretMarker", "LeakWrongSecretMarker"]
    return {"config": config, "folder": folder, "container": container, "markers": markers}
