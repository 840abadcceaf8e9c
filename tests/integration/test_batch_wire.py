"""aztui's own Blob Batch (`aztui.azure.batch`) against the real Azurite and `tests/support/sweep_server.py`.

Azurite runs each sub-request with its own authorization, so a batch that deletes there was
signed (shared key), carried its SAS or its token as the service wants. The sweep server answers
412 and 404 sub-responses and counts requests.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from aztui.azure.batch import SubRequestAuth, delete_batch_body
from aztui.azure.blobs import BlobStore
from aztui.cache.executor import execute_cache_gc
from aztui.cache.planner import GcItem, GcPlan
from aztui.errors import AztuiError
from aztui.profiles.model import Profile, Secret
from tests.support.profiles import azurite_profile
from tests.support.sweep_server import SweepServer

WEIRD = "a b/c+d%25é~.txt"


async def fill(store: BlobStore, container: str, *, create: bool = True) -> dict[str, str]:
    if create:
        await store.create_container(container)
    etags = {}
    for name in ("fresh", "stale", WEIRD, "x/../y", "unguarded"):
        etags[name] = (await store.upload_blob(container, name, b"data")).etag
    await store.upload_blob(container, "stale", b"rewritten", overwrite=True)
    return etags


async def names(store: BlobStore, container: str) -> set[str]:
    return {b.name async for b in store.iter_blobs(container)}


async def guarded_batch(store: BlobStore, container: str, *, create: bool = True) -> None:
    """The checks every credential must pass: 202 deleted, 412 changed, 404/412 gone, exact names."""
    etags = await fill(store, container, create=create)
    answers = await store.delete_batch_if_unchanged(container, [
        ("fresh", etags["fresh"]), ("stale", etags["stale"]), ("never-there", '"0x1"'),
        (WEIRD, etags[WEIRD]), ("x/../y", etags["x/../y"])])
    assert [a.status for a in answers[:2]] == [202, 412] and answers[1].error_code == "ConditionNotMet"
    assert answers[2].status in (404, 412)
    assert [a.status for a in answers[3:]] == [202, 202]
    assert await names(store, container) == {"stale", "unguarded"}


async def test_shared_key_batch_deletes_only_unchanged_blobs(azurite, container_name):
    async with BlobStore(azurite_profile(azurite)) as store:
        await guarded_batch(store, container_name)


async def test_connection_string_batch(azurite, container_name):
    async with BlobStore(azurite_profile(azurite, connection_string=True)) as store:
        await guarded_batch(store, container_name)


def container_sas(server, container: str, **permissions) -> str:
    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    return generate_container_sas(server.account, container, server.key,
                                  permission=ContainerSasPermissions(**permissions),
                                  expiry=datetime.now(timezone.utc) + timedelta(hours=1))


def sas_profile(server, sas: str) -> Profile:
    return Profile(name="t", kind="storage", auth="sas", account_name=server.account,
                   account_url=server.blob_endpoint, sas_token=Secret(sas, key="sas_token"), max_retries=0)


async def sas_store_on_a_fresh_container(azurite, container: str, **permissions):
    async with BlobStore(azurite_profile(azurite)) as store:
        await store.create_container(container)
    return BlobStore(sas_profile(azurite, container_sas(azurite, container, **permissions)))


ALL = {"read": True, "write": True, "delete": True, "list": True}


async def test_container_sas_batch(azurite, container_name):
    async with await sas_store_on_a_fresh_container(azurite, container_name, **ALL) as store:
        await guarded_batch(store, container_name, create=False)


async def test_sas_in_a_connection_string_batch(azurite, container_name):
    async with BlobStore(azurite_profile(azurite)) as store:
        await store.create_container(container_name)
    text = f"BlobEndpoint={azurite.blob_endpoint};SharedAccessSignature={container_sas(azurite, container_name, **ALL)}"
    profile = Profile(name="t", kind="storage", auth="connection_string",
                      connection_string=Secret(text, key="connection_string"), max_retries=0)
    async with BlobStore(profile) as store:
        await guarded_batch(store, container_name, create=False)


async def test_an_account_sas_batch_refused_by_azurite_falls_back_to_single_deletes(azurite, container_name,
                                                                                    tmp_path):
    """Azurite 3.x has no account-SAS permission for Container_SubmitBatch (it answers 500): the
    executor's fallback deletes the same blobs one by one, still guarded."""
    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    from aztui.blobs.deletion import execute_delete, plan_delete

    sas = generate_account_sas(azurite.account, azurite.key, ResourceTypes(service=True, container=True, object=True),
                               AccountSasPermissions(read=True, list=True, write=True, create=True, delete=True),
                               expiry=datetime.now(timezone.utc) + timedelta(hours=1))
    async with BlobStore(sas_profile(azurite, sas)) as store:
        await fill(store, container_name)
        plan = await plan_delete(store, container_name, names=["fresh", WEIRD, "x/../y"])
        await store.upload_blob(container_name, "fresh", b"changed after the plan", overwrite=True)
        report = await execute_delete(store, plan, journal=tmp_path / "j.jsonl")
        assert {o.name: o.status for o in report.outcomes} == {
            "fresh": "skipped_changed", WEIRD: "deleted", "x/../y": "deleted"}
        assert await names(store, container_name) == {"fresh", "stale", "unguarded"}


@pytest.mark.slow
async def test_token_credential_batch(azurite_https, tls, token_server, container_name):
    """A service principal's token (from a local Entra endpoint) on every sub-request, on Azurite with OAuth."""
    from tests.support.tokenserver import CLIENT_ID, CLIENT_SECRET, TENANT

    token_server.register(TENANT, CLIENT_ID, CLIENT_SECRET)
    profile = Profile(name="t", kind="storage", auth="client_secret", account_name=azurite_https.account,
                      account_url=azurite_https.blob_endpoint, authority_host=token_server.authority,
                      ca_bundle=tls["ca"], tenant_id=TENANT, client_id=CLIENT_ID,
                      client_secret=Secret(CLIENT_SECRET, key="client_secret"), max_retries=0)
    async with BlobStore(profile) as store:
        await guarded_batch(store, container_name)
        # the same batch with no token in its sub-requests is refused one by one: Azurite checks them
        etag = (await store.get_blob(container_name, "stale")).etag
        answers = await send_raw(store, container_name, SubRequestAuth(), [("stale", etag)])
        assert answers[0].status in (401, 403)
        assert "stale" in await names(store, container_name)


async def send_raw(store: BlobStore, container: str, auth: SubRequestAuth, blobs) -> list:
    """A batch built with `auth` for its sub-requests, sent through the store's own pipeline."""
    from urllib.parse import urlsplit

    from azure.core.rest import HttpRequest

    from aztui.azure.batch import parse_batch_response

    client = store.service.get_container_client(container)
    body, boundary = delete_batch_body(auth, urlsplit(client.url).path, blobs)
    request = HttpRequest("POST", client.url, params={"restype": "container", "comp": "batch"}, content=body,
                          headers={"x-ms-version": client.api_version,
                                   "Content-Type": f"multipart/mixed; boundary={boundary}"})
    response = (await client._pipeline.run(request)).http_response
    assert response.status_code == 202  # the batch itself is authorized right (by the pipeline)
    return parse_batch_response(response.headers["Content-Type"], response.content, len(blobs))


async def test_sub_requests_signed_with_another_key_are_refused_one_by_one(azurite, container_name):
    """Azurite checks each sub-request's own signature: the signing is what lets the deletes through."""

    async with BlobStore(azurite_profile(azurite)) as store:
        etags = await fill(store, container_name)
        wrong = SubRequestAuth(account=azurite.account, key=b"k" * 64)
        answers = await send_raw(store, container_name, wrong, [("fresh", etags["fresh"])])
        assert answers[0].status == 403
        assert "fresh" in await names(store, container_name)


async def test_a_sas_without_delete_permission_fails_each_delete_without_showing_the_sas(azurite, container_name):
    async with await sas_store_on_a_fresh_container(azurite, container_name, read=True, write=True,
                                                    list=True) as store:
        etags = await fill(store, container_name, create=False)
        signature = dict(p.split("=", 1) for p in store.profile.sas_token.reveal().split("&"))["sig"]
        try:
            answers = await store.delete_batch_if_unchanged(container_name, [("fresh", etags["fresh"])])
        except AztuiError as error:  # refused as a whole
            assert signature not in error.render() and "sig=" not in error.render()
        else:
            assert answers[0].status == 403
        assert "fresh" in await names(store, container_name)


def test_the_private_sdk_names_the_batch_relies_on_still_exist(azurite):
    """`_credential_policy` (bearer tokens per sub-request) and `_pipeline` are private SDK names."""
    from azure.storage.blob.aio import ContainerClient

    client = ContainerClient(azurite.blob_endpoint, "c", credential={"account_name": azurite.account,
                                                                       "account_key": azurite.key})
    assert hasattr(client, "_credential_policy") and hasattr(client, "_pipeline")
    assert client.credential.account_name == azurite.account and client.credential.account_key == azurite.key


# --- the sweep server: 412 and 404 sub-responses, through the cache GC executor -------------

def sweep_profile(server) -> Profile:
    from tests.support.list_server import ACCOUNT, KEY

    return Profile(name="sweep", kind="buildkit-cache", auth="shared_key", account_name=ACCOUNT,
                   account_url=server.blob_endpoint, account_key=Secret(KEY, key="account_key"),
                   container="cache", max_retries=0)


def orphan_plan(items: dict[str, str]) -> GcPlan:
    return GcPlan(profile="sweep", container="cache", prefix="", blobs_prefix="blobs", manifests_prefix="manifests",
                  delete=tuple(GcItem("blob", name, 16, etag, "orphan") for name, etag in sorted(items.items())),
                  keep=(), created_at=datetime.now(timezone.utc))


async def test_cache_gc_batches_answer_deleted_changed_and_missing(tmp_path):
    live = {f"blobs/sha256:{i:064x}": f'"0x{i:X}"' for i in range(600)}
    planned = dict(live)
    planned["blobs/sha256:" + "f" * 64] = '"0xGONE"'        # never there: 404
    changed = sorted(live)[300]
    with SweepServer(live) as server:
        server.live[changed] = '"0xREWRITTEN"'             # rewritten after the plan: 412, then HEAD says it is there
        async with BlobStore(sweep_profile(server)) as store:
            report = await execute_cache_gc(store, orphan_plan(planned), journal=tmp_path / "j.jsonl")
        assert server.requests["batch"] == 3 and server.requests["delete"] == 0  # 601 in 3 batches, no fallback
        assert server.live == {changed: '"0xREWRITTEN"'}
    status = {o.name: o.status for o in report.outcomes}
    assert status.pop(changed) == "skipped_changed"
    assert status.pop("blobs/sha256:" + "f" * 64) == "missing"
    assert set(status.values()) == {"deleted"} and len(status) == 599
    assert len((tmp_path / "j.jsonl").read_text().splitlines()) == 1 + 601


def rm_plan(items: dict[str, str]):
    from aztui.blobs.deletion import DeletePlan, PlannedDelete

    return DeletePlan("sweep", "cache", tuple(PlannedDelete(n, 16, e) for n, e in sorted(items.items())),
                      datetime.now(timezone.utc))


@pytest.mark.parametrize("refuse", [False, True])
async def test_blobs_rm_deletes_in_batches_or_one_by_one_where_refused(tmp_path, refuse):
    from aztui.blobs.deletion import BATCHES_IN_FLIGHT, execute_delete

    live = {f"data/{i:04}": f'"0x{i:X}"' for i in range(600)}
    planned = live | {"data/gone": '"0x1"'}
    with SweepServer(live, refuse_batches=refuse) as server:
        server.live["data/0300"] = '"0xREWRITTEN"'
        seen = []
        async with BlobStore(sweep_profile(server)) as store:
            report = await execute_delete(store, rm_plan(planned), journal=tmp_path / "j.jsonl", progress=seen.append)
        if refuse:  # refused whole: those in flight and every later batch go one by one
            assert server.requests["batch"] <= BATCHES_IN_FLIGHT and server.requests["delete"] == 601
        else:
            assert server.requests["batch"] == 3 and server.requests["delete"] == 0
        assert server.live == {"data/0300": '"0xREWRITTEN"'}
    status = {o.name: (o.status, o.detail) for o in report.outcomes}
    assert status.pop("data/0300") == ("skipped_changed", "the blob changed after the plan was made")
    assert status.pop("data/gone") == ("missing", "the blob was already gone")
    assert set(status.values()) == {("deleted", "")} and len(status) == 599 and len(seen) == 601
    lines = (tmp_path / "j.jsonl").read_text().splitlines()
    assert len(lines) == 1 + 601 and all('"at":' in line for line in lines[1:])
