"""The purge planner alone: acr purge's rules on hand-made snapshots (no I/O)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from aztui.registry.model import ManifestInfo, TagInfo
from aztui.registry.purge import (
    PurgeInputError,
    PurgeOptions,
    RepositorySnapshot,
    parse_ago,
    parse_filter,
    plan_purge,
)

NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)
INDEX = "application/vnd.oci.image.index.v1+json"


def d(n: int | str) -> str:
    return f"sha256:{str(n) * 64}"[:71]


def tag(repo: str, name: str, digest: str, days_old: float, **flags) -> TagInfo:
    return TagInfo(repo, name, digest, last_updated=NOW - timedelta(days=days_old), **flags)


def manifest(repo: str, digest: str, *tags: str, **kw) -> ManifestInfo:
    return ManifestInfo(repo, digest, size=100, tags=tags, **kw)


def opts(*filters: str, excludes=(), ago="0", keep=0, untagged=False) -> PurgeOptions:
    return PurgeOptions(tuple(parse_filter(f) for f in filters),
                        tuple(parse_filter(x, option="--exclude") for x in excludes),
                        parse_ago(ago), keep, untagged)


def deleted(plan) -> set[tuple]:
    return {(i.repository, i.tag or i.digest) for i in plan.delete}


APP = RepositorySnapshot("app", (tag("app", "v1", d(1), 30), tag("app", "v2", d(2), 20),
                                 tag("app", "v3", d(3), 10), tag("app", "latest", d(3), 1),
                                 tag("app", "dev-v1", d(4), 40)), ())
APP2 = RepositorySnapshot("app2", (tag("app2", "v1", d(5), 30),), ())
TEAM = RepositorySnapshot("team/app", (tag("team/app", "v1", d(6), 30),), ())


def test_repository_regex_is_anchored_tag_regex_is_not():
    plan = plan_purge([APP, APP2, TEAM], opts("app:v1"), now=NOW)
    # 'app' matches only the repository 'app' (not app2, not team/app); 'v1' matches 'dev-v1' too
    assert deleted(plan) == {("app", "v1"), ("app", "dev-v1")}
    plan = plan_purge([APP, APP2, TEAM], opts("app.*:^v1$"), now=NOW)
    assert deleted(plan) == {("app", "v1"), ("app2", "v1")}
    plan = plan_purge([APP, APP2, TEAM], opts(".*/app:.*"), now=NOW)
    assert deleted(plan) == {("team/app", "v1")}


def test_ago_keeps_tags_updated_after_the_cutoff():
    plan = plan_purge([APP], opts("app:.*", ago="15d"), now=NOW)
    assert deleted(plan) == {("app", "v1"), ("app", "v2"), ("app", "dev-v1")}
    assert {(i.tag, i.reason) for i in plan.kept} >= {("v3", "updated after the --ago cut-off")}


def test_keep_spares_the_newest_eligible_tags():
    plan = plan_purge([APP], opts("app:^v", keep=2), now=NOW)
    assert deleted(plan) == {("app", "v1")}
    assert {i.tag for i in plan.kept} == {"v3", "v2"}
    # --keep counts only tags that are eligible (old enough), like acr-cli
    plan = plan_purge([APP], opts("app:.*", ago="15d", keep=1), now=NOW)
    assert deleted(plan) == {("app", "v1"), ("app", "dev-v1")}


def test_exclude_filter_wins():
    plan = plan_purge([APP, APP2], opts("app.*:.*", excludes=["app:^v1$", "app2:.*"]), now=NOW)
    assert ("app", "v1") not in deleted(plan) and ("app2", "v1") not in deleted(plan)
    assert ("app", "dev-v1") in deleted(plan)


def test_locked_tags_and_manifests_are_kept_and_reported():
    repo = RepositorySnapshot("r", (tag("r", "old", d(1), 30, can_delete=False),
                                    tag("r", "old2", d(2), 30, can_write=False),
                                    tag("r", "old3", d(3), 30)),
                              (manifest("r", d(1), "old"), manifest("r", d(2), "old2"),
                               manifest("r", d(3), "old3"), manifest("r", d(4), can_delete=False)))
    plan = plan_purge([repo], opts("r:.*", untagged=True), now=NOW)
    assert deleted(plan) == {("r", "old3"), ("r", d(3))}
    assert {i.tag or i.digest for i in plan.locked} == {"old", "old2", d(4)}
    assert plan.to_dict()["locked"] and plan.to_dict()["dry_run"] is True


def test_untagged_deletes_manifests_left_without_tags():
    repo = RepositorySnapshot("r", (tag("r", "a", d(1), 30), tag("r", "b", d(1), 1), tag("r", "c", d(2), 30)),
                              (manifest("r", d(1), "a", "b"), manifest("r", d(2), "c"), manifest("r", d(3))))
    plan = plan_purge([repo], opts("r:.*", ago="7d", untagged=True), now=NOW)
    # d(1) keeps tag b; d(2) loses its only tag; d(3) was untagged already
    assert deleted(plan) == {("r", "a"), ("r", "c"), ("r", d(2)), ("r", d(3))}
    assert [i.tag is not None for i in plan.delete] == [True, True, False, False]   # tags first
    plan = plan_purge([repo], opts("r:.*", ago="7d"), now=NOW)
    assert deleted(plan) == {("r", "a"), ("r", "c")}        # without --untagged manifests stay


def test_children_of_kept_indexes_and_subjects_are_never_deleted():
    repo = RepositorySnapshot("r", (tag("r", "multi", d(1), 1), tag("r", "gone", d(5), 30)), (
        manifest("r", d(1), "multi", media_type=INDEX, references=(d(2), d(3))),
        manifest("r", d(2)), manifest("r", d(3)),
        manifest("r", d(4), subject=d(1)),                               # a signature of the index
        manifest("r", d(5), "gone", media_type=INDEX, references=(d(6),)),
        manifest("r", d(6)),                                             # child of an index that goes
        manifest("r", d(7), media_type=INDEX, references=(d(8),), can_delete=False),
        manifest("r", d(8)),                                             # child of a locked index
    ))
    plan = plan_purge([repo], opts("r:.*", ago="7d", untagged=True), now=NOW)
    assert deleted(plan) == {("r", "gone"), ("r", d(5)), ("r", d(6))}
    reasons = {i.digest: i.reason for i in plan.kept if i.tag is None}
    assert set(reasons) == {d(2), d(3), d(4), d(8)}
    assert "OCI subject" in reasons[d(4)] and "child of index" in reasons[d(2)]


def test_plan_is_immutable_and_checksummed():
    plan = plan_purge([APP], opts("app:.*"), now=NOW)
    again = plan_purge([APP], opts("app:.*"), now=NOW)
    assert plan.checksum() == again.checksum()
    assert plan.checksum() != plan_purge([APP], opts("app:v1"), now=NOW).checksum()
    with pytest.raises(AttributeError):
        plan.delete = ()  # type: ignore[misc]


@pytest.mark.parametrize("text, seconds", [("2d3h6m", 2 * 86400 + 3 * 3600 + 360), ("30d", 30 * 86400),
                                           ("90m", 5400), ("1.5h", 5400), ("0", 0), ("10s", 10)])
def test_parse_ago(text, seconds):
    assert parse_ago(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["2x", "d", "3h2", "-1d", "1d 2h"])
def test_parse_ago_rejects(text):
    with pytest.raises(PurgeInputError):
        parse_ago(text)


@pytest.mark.parametrize("text", ["app", "app:", ":v1", "a:b:c", "app:(", "(:v1"])
def test_parse_filter_rejects(text):
    with pytest.raises(PurgeInputError) as caught:
        parse_filter(text)
    assert caught.value.exit_code == 2
