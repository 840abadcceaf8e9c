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


# --- plans that explain themselves ---------------------------------------------------------------

GROUP = snapshot([manifest("ci/a", [], days=50), manifest("ci/c", [], days=40), manifest("ci/b", [], days=40),
                  manifest("ci/d", [], days=60)], [])


def test_the_keep_n_reason_shows_the_times_compared_and_the_tie_break():
    plan = plan_cache_gc(GROUP, GcPolicy(keep=1), NOW)
    why = {i.name: i.reason for i in plan.delete}
    # ci/b and ci/c were exported at the same moment: the tie goes to ci/b, which sorts first
    assert why["manifests/ci/c"] == ("not among the 1 newest names of group 'ci': last exported "
                                     "2025-10-15 12:00:00 UTC, the same time as ci/b (the newest, kept); "
                                     "a tie goes to the name that sorts first")
    assert why["manifests/ci/a"] == ("not among the 1 newest names of group 'ci': last exported "
                                     "2025-10-05 12:00:00 UTC, before ci/b at 2025-10-15 12:00:00 UTC "
                                     "(the newest, kept); a tie would go to the name that sorts first")
    plan = plan_cache_gc(GROUP, GcPolicy(keep=2), NOW)
    assert [i.name for i in plan.delete] == ["manifests/ci/a", "manifests/ci/d"]
    assert "before ci/c at 2025-10-15 12:00:00 UTC (the oldest of the 2 kept)" in plan.delete[0].reason
    (top,) = plan_cache_gc(snapshot([manifest("solo", [], days=3)], []), GcPolicy(keep=0), NOW).delete
    assert top.reason == ("not among the 0 newest names of the top-level group (--keep 0); "
                          "last exported 2025-11-21 12:00:00 UTC")


def test_max_age_with_keep_gives_both_reasons():
    plan = plan_cache_gc(GROUP, GcPolicy(keep=1, max_age=timedelta(days=55)), NOW)
    (item,) = plan.delete
    assert item.name == "manifests/ci/d"
    assert item.reason.startswith("cache name last exported 2025-09-25 12:00 UTC, older than max-age 55d, "
                                  "and not among the 1 newest names of group 'ci': last exported")


def test_the_plan_counts_blobs_and_manifests_apart():
    snap = snapshot([manifest("old", [1, 2], days=40), manifest("new", [3])], [blob(1), blob(2), blob(3)])
    plan = plan_cache_gc(snap, GcPolicy(max_age=timedelta(days=30)), NOW)
    assert (plan.blob_count, plan.manifest_count, plan.what()) == (2, 1, "2 blobs and 1 manifest")
    data = plan.to_dict()
    assert (data["blob_count"], data["manifest_count"], data["empty_reason"]) == (2, 1, None)


def test_an_empty_plan_says_why():
    young = [blob(f"y{n}", days=0.5) for n in range(12)]
    snap = snapshot([manifest("app", [1]), manifest("broken", ["gone"])], [blob(1), *young])
    plan = plan_cache_gc(snap, GcPolicy(), NOW)
    assert plan.delete == ()
    assert plan.empty_reason == (
        "12 orphans are younger than the 24h grace; "
        "1 blob is referenced by kept cache names; "
        "no cache name expires without --max-age or --keep (2 cache names kept); "
        "1 cache name references a missing blob (--drop-broken deletes it)")
    assert plan.to_dict()["empty_reason"] == plan.empty_reason
    snap = snapshot([manifest("app", [1]), manifest("bad", None)], [blob(1), blob("old-orphan", days=3)])
    assert plan_cache_gc(snap, GcPolicy(), NOW).empty_reason == (
        "1 blob kept while 1 manifest cannot be read (bad; --ignore-unreadable overrides); "
        "1 blob is referenced by kept cache names; "
        "no cache name expires without --max-age or --keep (1 cache name kept); 1 manifest is unreadable")
    snap = snapshot([manifest("ci/a", [], days=1)], [])
    assert plan_cache_gc(snap, GcPolicy(max_age=timedelta(days=30)), NOW).empty_reason == \
        "1 cache name exported within max-age 30d"
    assert plan_cache_gc(snapshot([], []), GcPolicy(), NOW).empty_reason == "the cache has no manifests and no blobs"


def test_the_summary_survives_a_plan_file():
    from aztui.cache.planner import GcPlan

    plan = plan_cache_gc(snapshot([], [blob("y", days=0.1)]), GcPolicy(), NOW)
    again = GcPlan.from_json(plan.to_json())
    assert again.empty_reason == plan.empty_reason == "1 orphan is younger than the 24h grace"
    assert again.keep[0].rule == "young-orphan"
