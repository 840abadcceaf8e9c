"""The pure GC planner over 1,000+ generated BuildKit cache layouts (no Azurite).

Each layout has a pool of layer digests, blobs of many ages (orphans older and younger than the
grace period, some never referenced), cache names in groups with '/', several names sharing one
manifest content, references to missing blobs, non-digest blob names and unreadable manifests;
the policy is random too. The properties are the safety contract of `plan_cache_gc`.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aztui.cache.buildkit import CacheBlob, CacheManifest, CacheSnapshot
from aztui.cache.planner import GcPlan, GcPolicy, plan_cache_gc

NOW = datetime(2025, 11, 24, 12, 0, tzinfo=timezone.utc)
GROUPS = ["", "app", "ci", "ci/pr", "team/x/y"]


def digest(n: int) -> str:
    return "sha256:" + hashlib.sha256(str(n).encode()).hexdigest()


@st.composite
def layouts(draw):
    """(snapshot, policy): a generated cache and a generated policy."""
    prefix = draw(st.sampled_from(["", "team", "a/b"]))
    blobs_at = "/".join(p for p in (prefix, "blobs") if p) + "/"
    manifests_at = "/".join(p for p in (prefix, "manifests") if p) + "/"
    pool = draw(st.integers(min_value=0, max_value=30))
    hours = st.integers(min_value=0, max_value=24 * 90)
    blobs = []
    for n in range(pool):
        if draw(st.booleans()) or n % 5 == 0:  # some digests have no blob: missing references
            age = timedelta(hours=draw(hours), minutes=draw(st.integers(0, 59)))
            blobs.append(CacheBlob(digest(n), blobs_at + digest(n), draw(st.integers(0, 10**6)),
                                   NOW - age, f'"0x{n:x}"'))
    for n in range(draw(st.integers(0, 2))):  # not BuildKit's: never planned
        blobs.append(CacheBlob(f"junk/{n}.tmp", f"{blobs_at}junk/{n}.tmp", 5, NOW - timedelta(days=400),
                               f'"0xj{n}"'))
    manifests = []
    used_names = set()
    for m in range(draw(st.integers(0, 8))):
        layers = None
        if draw(st.integers(0, 9)) != 0:  # ~1 in 10 manifests is unreadable
            picks = draw(st.lists(st.integers(0, max(pool - 1, 0)), max_size=8)) if pool else []
            layers = tuple(dict.fromkeys(digest(p) for p in picks))
        age = timedelta(hours=draw(hours))
        copies = draw(st.integers(1, 3))  # `name=a;b;c`: one export, the same content at each name
        for c in range(copies):
            group = draw(st.sampled_from(GROUPS))
            name = f"{group}/n{m}-{c}" if group else f"n{m}-{c}"
            if name in used_names:
                continue
            used_names.add(name)
            manifests.append(CacheManifest(name, manifests_at + name, 100 + m, NOW - age,
                                           f'"0xm{m}-{c}"', layers))
    policy = GcPolicy(
        grace=timedelta(hours=draw(st.sampled_from([0, 1, 24, 72]))),
        max_age=draw(st.one_of(st.none(), st.integers(0, 24 * 60).map(lambda h: timedelta(hours=h)))),
        keep=draw(st.one_of(st.none(), st.integers(0, 3))),
        include=draw(st.sampled_from([None, "^ci/", "n[0-3]", "pr"])),
        exclude=draw(st.sampled_from([None, "-1$", "^app/"])),
        ignore_unreadable=draw(st.booleans()),
        drop_broken=draw(st.booleans()),
    )
    snapshot = CacheSnapshot("p", "buildkit-cache", prefix, "blobs", "manifests",
                             tuple(manifests), tuple(blobs))
    return snapshot, policy


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layouts(), st.randoms(use_true_random=False))
def test_planner_safety_properties(layout, rnd: random.Random):
    snapshot, policy = layout
    plan = plan_cache_gc(snapshot, policy, NOW)

    planned = {i.name: i for i in plan.delete}
    assert len(planned) == len(plan.delete)  # each blob at most once
    planned_manifests = {i.name for i in plan.delete if i.kind == "manifest"}
    kept_manifests = [m for m in snapshot.manifests if m.blob_name not in planned_manifests]
    unreadable = [m for m in snapshot.manifests if not m.readable]
    blocked = bool(unreadable) and not policy.ignore_unreadable
    referenced = {d for m in snapshot.manifests for d in (m.layers or ())}

    # unreadable manifests never expire; a planned manifest is always one the snapshot has, as it is
    assert all(m.blob_name not in planned_manifests for m in unreadable)
    by_name = {m.blob_name: m for m in snapshot.manifests} | {b.blob_name: b for b in snapshot.blobs}
    for item in plan.delete:
        source = by_name[item.name]
        assert (item.size, item.etag) == (source.size, source.etag)

    for blob in snapshot.blobs:
        is_planned = blob.blob_name in planned
        # 1. no blob referenced by a kept manifest is ever planned
        if any(blob.digest in (m.layers or ()) for m in kept_manifests):
            assert not is_planned, blob
        # 2. while a manifest is unreadable (and not overridden), no blob at all is planned
        if blocked:
            assert not is_planned, blob
        # 3. nothing unreferenced and younger than grace is planned
        if blob.digest not in referenced and NOW - blob.last_modified <= policy.grace:
            assert not is_planned, blob
        # 4. every orphan past grace is planned (when no unreadable manifest blocks)
        if blob.is_digest and blob.digest not in referenced and NOW - blob.last_modified > policy.grace \
                and not blocked:
            assert is_planned and planned[blob.blob_name].reason.startswith("orphan older than"), blob
        # 5. a blob whose every referencing manifest expired is planned (when not blocked)
        if blob.digest in referenced and not blocked and \
                all(m.blob_name in planned_manifests for m in snapshot.manifests
                    if blob.digest in (m.layers or ())):
            reason = planned[blob.blob_name].reason if is_planned else ""
            assert "expired" in reason or "this plan deletes" in reason, blob
        # 6. non-digest names are never planned
        if not blob.is_digest:
            assert not is_planned

    # a broken manifest (naming a missing blob) goes for its age, or with drop_broken; no other
    # cache name is deleted without an expiry policy
    present = {b.digest for b in snapshot.blobs}
    broken = {m.blob_name for m in snapshot.manifests if any(d not in present for d in m.layers or ())}
    if policy.max_age is None and policy.keep is None:
        assert planned_manifests <= (broken if policy.drop_broken else set())
    for name in planned_manifests & broken:
        if not planned[name].reason.startswith("references "):
            continue  # expired anyway: its reason is its age
        assert policy.drop_broken
    if policy.drop_broken and policy.include is None and policy.exclude is None:
        assert broken <= planned_manifests

    # everything is either deleted or kept, exactly once
    assert len(plan.delete) + plan.keep_count == len(snapshot.blobs) + len(snapshot.manifests)
    assert plan.bytes_reclaimed == sum(i.size for i in plan.delete)

    # deterministic, whatever order the listing came in, and a saved plan reads back identical
    shuffled_m, shuffled_b = list(snapshot.manifests), list(snapshot.blobs)
    rnd.shuffle(shuffled_m)
    rnd.shuffle(shuffled_b)
    again = plan_cache_gc(CacheSnapshot("p", "buildkit-cache", snapshot.prefix, "blobs", "manifests",
                                        tuple(shuffled_m), tuple(shuffled_b)), policy, NOW)
    assert again == plan and again.checksum() == plan.checksum()
    assert GcPlan.from_json(plan.to_json()) == plan


def test_keep_n_protects_the_newest_names_of_each_group():
    def m(name, days):
        return CacheManifest(name, "manifests/" + name, 1, NOW - timedelta(days=days),
                                             f'"{name}"', ())
    snapshot = CacheSnapshot("p", "c", "", "blobs", "manifests",
                             (m("ci/a", 50), m("ci/b", 40), m("ci/c", 60), m("app/x", 90), m("top", 99)), ())
    plan = plan_cache_gc(snapshot, GcPolicy(max_age=timedelta(days=30), keep=1), NOW)
    # per group the newest one survives: ci/b (group ci), app/x (group app), top (group '')
    assert [i.name for i in plan.delete] == ["manifests/ci/a", "manifests/ci/c"]
    plan = plan_cache_gc(snapshot, GcPolicy(keep=1, include="^ci/"), NOW)
    assert [i.name for i in plan.delete] == ["manifests/ci/a", "manifests/ci/c"]
    plan = plan_cache_gc(snapshot, GcPolicy(max_age=timedelta(days=30), exclude="^ci/"), NOW)
    assert [i.name for i in plan.delete] == ["manifests/app/x", "manifests/top"]
    kept = {k.name: k.reason for k in plan.keep}
    assert kept["manifests/ci/b"] == "cache name 'ci/b': matches --exclude"
    plan = plan_cache_gc(snapshot, GcPolicy(max_age=timedelta(days=55), keep=1, include="^ci/"), NOW)
    kept = {k.name: k.reason for k in plan.keep}
    assert [i.name for i in plan.delete] == ["manifests/ci/c"]
    assert kept == {"manifests/ci/a": "cache name 'ci/a': exported within max-age 55d",
                    "manifests/ci/b": "cache name 'ci/b': one of the 1 newest names of its group",
                    "manifests/app/x": "cache name 'app/x': does not match --include",
                    "manifests/top": "cache name 'top': does not match --include"}
