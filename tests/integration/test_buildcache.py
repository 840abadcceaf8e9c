"""Reading a BuildKit azblob cache from Azurite: names, layers, shared and unique bytes, anomalies.

The layout is written the way BuildKit writes it (docs/formats/buildkit-azblob-cache.md §Layout): layer blobs at
`<prefix>/blobs/<digest>`, a bare CacheConfig JSON at `<prefix>/manifests/<name>` for each name,
the same JSON at every name of one `name=a;b` export. The helpers here are reused by the GC tests.
"""

from __future__ import annotations

import json

import pytest

import aztui.cache.buildkit as buildcache
from aztui.azure.blobs import BlobStore
from aztui.cache.buildkit import Anomaly, read_cache
from tests.support.buildcache import CacheWriter, cache_profile, digest_of


@pytest.fixture
async def cache(azurite, container_name):
    """(store, writer) on a fresh container, prefix `team/x`."""
    async with BlobStore(cache_profile(azurite, container_name, prefix="team/x")) as store:
        await store.create_container(container_name)
        yield store, CacheWriter(store, container_name, "team/x")


async def test_names_bytes_shared_unique_and_anomalies(cache, container_name):
    store, w = cache
    base, app1, app2, ci1, orphan = await w.layers(100, 10, 20, 7, 3, seed="L")
    await w.export("app/frontend", [base, app1, app2])
    await w.export("ci/main;ci/pr-42", [base, ci1])          # one export, two names
    await w.export("gone", [base, "sha256:" + "f" * 64])       # references a missing blob
    await store.upload_blob(container_name, w.key("manifests", "broken"), b"{not json")
    await store.upload_blob(container_name, w.key("blobs", "upload.tmp"), b"junk")
    await store.upload_blob(container_name, "other/blobs/" + digest_of(b"x"), b"x")  # another prefix

    snap = await read_cache(store)

    assert [m.cache_name for m in snap.manifests] == ["app/frontend", "broken", "ci/main", "ci/pr-42", "gone"]
    names = {n.name: n for n in snap.names()}
    assert (names["app/frontend"].bytes, names["app/frontend"].shared_bytes,
            names["app/frontend"].unique_bytes) == (130, 100, 30)
    # the two names of one export share everything: neither alone frees anything
    for name in ("ci/main", "ci/pr-42"):
        assert (names[name].layers, names[name].bytes, names[name].unique_bytes) == ((base, ci1), 107, 0)
        assert names[name].last_export is not None and names[name].manifest.etag.startswith('"')
    assert names["gone"].missing == ("sha256:" + "f" * 64,) and names["gone"].bytes == 100
    assert snap.referenced_by()[base] == ("app/frontend", "ci/main", "ci/pr-42", "gone")
    assert snap.referenced_by()[ci1] == ("ci/main", "ci/pr-42")
    assert [b.digest for b in snap.orphans()] == sorted([orphan, "upload.tmp"])
    assert {b.blob_name for b in snap.blobs} == {w.key("blobs", d) for d in (base, app1, app2, ci1, orphan)} \
        | {w.key("blobs", "upload.tmp")}
    assert not snap.blob_by_digest()[base].blob_name.startswith("other/")
    assert [(a.kind, a.subject) for a in snap.anomalies] == [
        ("blob-name-not-digest", "team/x/blobs/upload.tmp"),
        ("invalid-manifest", "broken"),
        ("missing-blob", "gone"),
    ]
    assert "not valid JSON" in snap.anomalies[1].detail
    assert snap.names(only=["ci/main"])[0].name == "ci/main" and len(snap.names(only=["ci/main"])) == 1


async def test_digest_mismatch_only_on_request(cache, container_name):
    store, w = cache
    good = await w.layer(b"good layer")
    bad = digest_of(b"what the name promises")
    await store.upload_blob(container_name, w.key("blobs", bad), b"something else")
    await w.export("app", [good, bad])

    assert (await read_cache(store)).anomalies == ()
    verified = await read_cache(store, verify_digests=True)
    assert verified.anomalies == (Anomaly("digest-mismatch", w.key("blobs", bad),
                                          f"content hashes to {digest_of(b'something else')}"),)


async def test_oversized_and_non_cacheconfig_manifests_are_anomalies(cache, container_name, monkeypatch):
    store, w = cache
    layer = await w.layer(b"layer")
    await w.export("big", [layer])
    await store.upload_blob(container_name, w.key("manifests", "oci-index"),
                            json.dumps({"schemaVersion": 2, "manifests": []}).encode())
    monkeypatch.setattr(buildcache, "MAX_MANIFEST_BYTES", 50)  # our own bound, not the SDK

    snap = await read_cache(store)
    kinds = {a.subject: a.kind for a in snap.anomalies}
    assert kinds == {"big": "manifest-too-large", "oci-index": "invalid-manifest"}
    assert all(not m.readable for m in snap.manifests)
    assert "no `layers` array" in next(a for a in snap.anomalies if a.subject == "oci-index").detail


async def test_empty_cache(cache):
    store, _ = cache
    snap = await read_cache(store)
    assert (snap.manifests, snap.blobs, snap.anomalies, snap.names()) == ((), (), (), [])
    assert (snap.container, snap.prefix, snap.blobs_prefix, snap.manifests_prefix) == \
        (store.profile.container, "team/x", "blobs", "manifests")


async def test_an_empty_manifest_is_a_valid_cache_that_blocks_no_gc(cache, container_name):
    """BuildKit writes `{}` for an export with no layers (both arrays are omitempty)."""
    from datetime import datetime, timedelta, timezone

    from aztui.cache.planner import GcPolicy, plan_cache_gc

    store, w = cache
    (orphan,) = await w.layers(5, seed="E")
    await store.upload_blob(container_name, w.key("manifests", "empty"), b"{}")
    snap = await read_cache(store)
    (empty,) = snap.manifests
    assert empty.readable and empty.layers == () and snap.anomalies == ()
    plan = plan_cache_gc(snap, GcPolicy(grace=timedelta(0)), datetime.now(timezone.utc) + timedelta(minutes=1))
    assert [(i.name, i.reason) for i in plan.delete] == [(w.key("blobs", orphan), "orphan older than 0s")]
