"""Plans that explain themselves, and the broken-cache rules of the GC planner (pure, no Azurite).

`{}` is a valid empty BuildKit manifest; `--drop-broken` plans the manifests that name a missing blob,
with the digests as the reason, and never without the flag.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest

from aztui.cache.buildkit import CacheBlob, CacheManifest, CacheSnapshot, parse_cache_config
from aztui.cache.planner import GcPolicy, plan_cache_gc

NOW = datetime(2025, 11, 24, 12, 0, tzinfo=timezone.utc)


def digest(n: int | str) -> str:
    return "sha256:" + hashlib.sha256(str(n).encode()).hexdigest()


def blob(n, days: float = 10, size: int = 10) -> CacheBlob:
    return CacheBlob(digest(n), f"blobs/{digest(n)}", size, NOW - timedelta(days=days), f'"b{n}"')


def manifest(name: str, layers, days: float = 1) -> CacheManifest:
    return CacheManifest(name, f"manifests/{name}", 100, NOW - timedelta(days=days), f'"m-{name}"',
                         None if layers is None else tuple(digest(n) for n in layers))


def snapshot(manifests, blobs) -> CacheSnapshot:
    return CacheSnapshot("p", "c", "", "blobs", "manifests", tuple(manifests), tuple(blobs))


@pytest.mark.parametrize("text, digests", [
    (b"{}", ()), (b'{"records": []}', ()), (b'{"layers": null}', ()), (b'{"layers": []}', ()),
    (b'{"layers": [{"blob": "sha256:a"}, {"blob": "sha256:a"}]}', ("sha256:a",)),
])
def test_empty_and_minimal_cache_configs_are_valid(text, digests):
    assert parse_cache_config(text) == digests


@pytest.mark.parametrize("text", [b"[]", b'{"manifests": []}', b'{"layers": 3}', b'{"layers": [{}]}', b"{"])
def test_anything_else_is_still_unreadable(text):
    with pytest.raises(ValueError):
        parse_cache_config(text)


BROKEN = snapshot([manifest("app", [1, 2, "gone"]), manifest("ci/main", [1, 3])],
                  [blob(1), blob(2), blob(3)])


def test_a_broken_manifest_is_kept_without_the_flag_and_says_how_to_drop_it():
    plan = plan_cache_gc(BROKEN, GcPolicy(), NOW)
    assert plan.delete == ()
    kept = {k.name: k.reason for k in plan.keep}
    assert kept["manifests/app"] == (f"cache name 'app': no expiry policy (--max-age / --keep); "
                                     f"references 1 missing blob: {digest('gone')} (--drop-broken deletes it)")


def test_drop_broken_plans_the_manifest_and_the_blobs_only_it_named():
    plan = plan_cache_gc(BROKEN, GcPolicy(drop_broken=True), NOW)
    planned = {i.name: i.reason for i in plan.delete}
    assert planned == {
        "manifests/app": f"references 1 missing blob: {digest('gone')}",
        f"blobs/{digest(2)}": "only referenced by cache names this plan deletes: app (broken)",
    }  # blob 1 is shared with ci/main, which is kept
    assert plan.policy["drop_broken"] is True
    assert plan_cache_gc(BROKEN, GcPolicy(drop_broken=True, exclude="^app$"), NOW).delete == ()
    assert plan_cache_gc(BROKEN, GcPolicy(drop_broken=True, include="^ci/"), NOW).delete == ()


def test_many_missing_blobs_are_counted_and_the_first_named():
    snap = snapshot([manifest("x", ["a", "b", "c", "d"])], [])
    (item,) = plan_cache_gc(snap, GcPolicy(drop_broken=True), NOW).delete
    assert item.reason == (f"references 4 missing blobs: {digest('a')}, {digest('b')}, {digest('c')} "
                           "and 1 more")


def test_an_empty_manifest_blocks_nothing():
    snap = snapshot([manifest("empty", [])], [blob("old-orphan", days=3)])
    (item,) = plan_cache_gc(snap, GcPolicy(), NOW).delete
    assert item.reason == "orphan older than 24h"
