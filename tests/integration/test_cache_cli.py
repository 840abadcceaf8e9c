"""`aztui cache ls | gc` against Azurite: JSON fields, dry run, plan files, refusals, exit codes."""

from __future__ import annotations

import asyncio
import json

import pytest

from aztui.azure.blobs import BlobStore
from aztui.cli import main
from tests.support.buildcache import CacheWriter, cache_profile, raced_export
from tests.support.faultproxy import FaultProxy


def run_async(coro):
    return asyncio.run(coro)


async def _names(azurite, container) -> set[str]:
    async with BlobStore(cache_profile(azurite, container)) as store:
        return {b.name async for b in store.iter_blobs(container)}


@pytest.fixture
def layout(gc_layout):
    return gc_layout


@pytest.fixture
def config(gc_config):
    return gc_config


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_ls_json_fields(config, layout, capsys):
    code, out, _ = cli(capsys, "--config", config, "cache", "ls", "cache", "--json")
    assert code == 0
    data = json.loads(out)
    names = {n["name"]: n for n in data["names"]}
    assert set(names) == {"app", "ci/main", "ci/pr-1"} and data["hidden_names"] == 1  # `other` filtered
    assert {k: names["app"][k] for k in ("layers", "bytes", "unique_bytes", "shared_bytes")} == \
        {"layers": 2, "bytes": 110, "unique_bytes": 10, "shared_bytes": 100}
    assert names["ci/main"]["unique_bytes"] == 0 and names["ci/main"]["bytes"] == 120
    assert names["app"]["last_export"].startswith("20")
    assert data["orphans"] == [{"name": f"blobs/{layout['orphan']}", "size": 5,
                                "last_modified": data["orphans"][0]["last_modified"]}]
    assert data["anomalies"] == []
    code, out, _ = cli(capsys, "--config", config, "cache", "ls", "cache", "--json", "--all")
    assert {n["name"] for n in json.loads(out)["names"]} == {"app", "ci/main", "ci/pr-1", "other"}
    code, out, _ = cli(capsys, "--config", config, "cache", "ls", "cache")
    assert code == 0 and "ci/pr-1" in out and "Orphan blobs" in out


def test_dry_run_json_deletes_nothing(config, layout, azurite, container_name, capsys):
    before = run_async(_names(azurite, container_name))
    code, out, _ = cli(capsys, "--config", config, "cache", "gc", "cache", "--grace", "0s",
                       "--max-age", "0s", "--include", "^ci/", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["dry_run"] is True
    assert {"delete", "keep_count", "bytes_reclaimed"} <= set(data)
    assert all(set(item) >= {"name", "size", "reason"} for item in data["delete"])
    deleted = {i["name"]: i for i in data["delete"]}
    assert set(deleted) == {"manifests/ci/main", "manifests/ci/pr-1", f"blobs/{layout['ci']}",
                            f"blobs/{layout['orphan']}"}
    assert deleted[f"blobs/{layout['orphan']}"]["reason"] == "orphan older than 0s"
    assert deleted[f"blobs/{layout['ci']}"]["reason"] == \
        "only referenced by expired cache names: ci/main, ci/pr-1"
    assert data["bytes_reclaimed"] == sum(i["size"] for i in data["delete"])
    assert data["keep_count"] == len(before) - len(deleted)
    assert run_async(_names(azurite, container_name)) == before


def test_nothing_to_do_exit_3(config, layout, capsys):
    code, out, _ = cli(capsys, "--config", config, "cache", "gc", "cache")  # fresh orphan, 24h grace
    assert code == 3 and "delete 0 blobs" in out
    why = ("1 orphan is younger than the 24h grace; 4 blobs are referenced by kept cache names; "
           "no cache name expires without --max-age or --keep (4 cache names kept)")
    assert f"Nothing to delete: {why}." in out
    code, out, _ = cli(capsys, "--config", config, "cache", "gc", "cache", "--json")
    data = json.loads(out)
    assert code == 3 and data["empty_reason"] == why and data["kept_summary"] == why.split("; ")


def test_the_plan_and_the_report_count_blobs_and_manifests_apart(config, layout, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    policy = ("--grace", "0s", "--keep", "0", "--include", "^ci/pr-")
    code, out, _ = cli(capsys, "--config", config, "cache", "gc", "cache", *policy)
    # ci/pr-1 goes; ci's blob is still ci/main's; the orphan is past the 0s grace
    assert code == 0 and "delete 1 blob and 1 manifest (" in out
    assert "not among the 0 newest names of group 'ci' (--keep 0); last exported 20" in out
    assert "Kept: 4 blobs are referenced by kept cache names; 3 cache names are outside --include/--exclude." in out
    code, out, _ = cli(capsys, "--config", config, "cache", "gc", "cache", *policy, "--execute")
    assert code == 0 and "Deleted 1 of 1 planned blob and 1 of 1 manifest (" in out


def test_plan_file_then_execute_exactly_it(config, layout, azurite, container_name, capsys, tmp_path,
                                           monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    plan_file = tmp_path / "plan.json"
    code, out, _ = cli(capsys, "--config", config, "cache", "gc", "cache", "--grace", "0s",
                       "--plan-file", str(plan_file))
    assert code == 0 and "Nothing was deleted" in out
    planned = [i["name"] for i in json.loads(plan_file.read_text())["delete"]]
    assert planned == [f"blobs/{layout['orphan']}"]
    # a new orphan after the plan is not in it, so it survives
    async def add_orphan():
        async with BlobStore(cache_profile(azurite, container_name)) as store:
            return await CacheWriter(store, container_name).layer(b"late orphan")
    late = run_async(add_orphan())
    before = run_async(_names(azurite, container_name))

    code, out, _ = cli(capsys, "--config", config, "cache", "gc", "cache", "--execute",
                       "--plan-file", str(plan_file), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["dry_run"] is False and report["deleted"] == 1 and report["failed"] == 0
    assert run_async(_names(azurite, container_name)) == before - set(planned)
    assert f"blobs/{late}" in before - set(planned)
    assert report["journal"].startswith(str(tmp_path / "state"))

    # the same plan again: everything already gone, nothing deleted
    code, out, _ = cli(capsys, "--config", config, "cache", "gc", "cache", "--execute",
                       "--plan-file", str(plan_file))
    assert code == 3 and "1 already gone" in out


def test_a_manifest_racing_the_sweep_is_reported_as_dropped_raced(layout, azurite, container_name, capsys,
                                                                  tmp_path, monkeypatch, write_profiles):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    orphan = layout["orphan"]
    with FaultProxy(azurite.port) as proxy:
        proxy.add(raced_export(azurite, container_name, "ci/raced", [layout["base"], orphan]))
        config = write_profiles(f"""
            [profiles.cache]
            account_url = "{proxy.url(azurite.account)}"
            account_name = "{azurite.account}"
            container = "{container_name}"
            secret_access_key = "{azurite.key}"
            """, name="proxied.toml")
        code, out, _ = cli(capsys, "--config", str(config), "cache", "gc", "cache", "--grace", "0s",
                           "--execute", "--json")
        _, listed, _ = cli(capsys, "--config", str(config), "cache", "ls", "cache", "--json", "--all")
    assert json.loads(listed)["anomalies"] == []  # no cache name is left naming a missing blob
    assert code == 0
    report = json.loads(out)
    outcomes = {o["status"]: o for o in report["outcomes"]}
    assert outcomes["deleted"]["name"] == f"blobs/{orphan}"
    dropped = outcomes["dropped_raced"]
    assert {k: dropped[k] for k in ("kind", "name", "cache_name", "blobs")} == \
        {"kind": "manifest", "name": "manifests/ci/raced", "cache_name": "ci/raced", "blobs": [f"blobs/{orphan}"]}
    assert report["deleted"] == 1 and report["failed"] == 0  # existing fields, unchanged meaning
    names = run_async(_names(azurite, container_name))
    assert "manifests/ci/raced" not in names and f"blobs/{layout['base']}" in names


def test_drop_broken_plans_and_deletes_only_the_broken_cache_names(config, layout, azurite, container_name,
                                                                  capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    missing = "sha256:" + "e" * 64

    async def break_one():
        async with BlobStore(cache_profile(azurite, container_name)) as store:
            await CacheWriter(store, container_name).export("ci/broken", [layout["ci"], missing])
    run_async(break_one())
    code, out, _ = cli(capsys, "--config", config, "cache", "gc", "cache", "--json")
    data = json.loads(out)
    assert code == 3 and data["delete"] == [] and data["policy"]["drop_broken"] is False  # never without the flag
    kept = {k["name"]: k["reason"] for k in data["keep"]}
    assert kept["manifests/ci/broken"].endswith(f"references 1 missing blob: {missing} (--drop-broken deletes it)")

    code, out, _ = cli(capsys, "--config", config, "cache", "gc", "cache", "--drop-broken", "--json")
    data = json.loads(out)
    assert code == 0 and data["policy"]["drop_broken"] is True
    # ci's blob stays: ci/main still names it; the orphan is younger than the grace
    assert [(i["name"], i["reason"]) for i in data["delete"]] == \
        [("manifests/ci/broken", f"references 1 missing blob: {missing}")]
    code, out, _ = cli(capsys, "--config", config, "cache", "gc", "cache", "--drop-broken", "--execute")
    assert code == 0 and "Deleted" in out
    names = run_async(_names(azurite, container_name))
    assert "manifests/ci/broken" not in names and f"blobs/{layout['ci']}" in names
    code, out, _ = cli(capsys, "--config", config, "cache", "ls", "cache", "--all", "--json")
    assert json.loads(out)["anomalies"] == []


def test_edited_or_foreign_plan_is_refused(config, layout, azurite, container_name, capsys, tmp_path):
    plan_file = tmp_path / "plan.json"
    cli(capsys, "--config", config, "cache", "gc", "cache", "--grace", "0s", "--plan-file", str(plan_file))
    before = run_async(_names(azurite, container_name))
    data = json.loads(plan_file.read_text())
    edited = dict(data, delete=data["delete"] + [{"kind": "blob", "name": f"blobs/{layout['base']}",
                                                  "size": 100, "etag": "\"x\"", "reason": "mine"}])
    (tmp_path / "edited.json").write_text(json.dumps(edited))
    code, _, err = cli(capsys, "--config", config, "cache", "gc", "cache", "--execute",
                       "--plan-file", str(tmp_path / "edited.json"))
    assert code == 2 and "checksum mismatch" in err and "Traceback" not in err
    code, _, err = cli(capsys, "--config", config, "cache", "gc", "twin", "--execute",
                       "--plan-file", str(plan_file))
    assert code == 2 and "made for profile 'cache', not 'twin'" in err
    assert run_async(_names(azurite, container_name)) == before


def test_read_only_profile_refuses_execute(config, layout, azurite, container_name, capsys):
    before = run_async(_names(azurite, container_name))
    code, _, err = cli(capsys, "--config", config, "cache", "gc", "frozen", "--grace", "0s", "--execute")
    assert code == 1 and "read-only" in err
    assert run_async(_names(azurite, container_name)) == before


@pytest.mark.parametrize("args, message", [
    (["--grace", "1w"], "'1w' is not a duration"),
    (["--max-age", "3h2d"], "'3h2d' is not a duration"),
    (["--include", "(unclosed"], "not a valid regular expression"),
    (["--keep", "-1"], "must be 0 or more"),
])
def test_bad_input_exit_2(config, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["--config", config, "cache", "gc", "cache", *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_help_documents_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["cache", "gc", "--help"])
    out = capsys.readouterr().out
    assert "3  nothing to do" in out and "4  partly failed" in out and "2d3h6m" in out
    assert "--drop-broken" in out and "dropped_raced" in out


@pytest.mark.parametrize("text, seconds", [("30d", 30 * 86400), ("24h", 86400), ("2d3h6m", 183960),
                                           ("90m", 5400), ("45s", 45)])
def test_durations(text, seconds):
    from aztui.cache.planner import parse_duration

    assert parse_duration(text).total_seconds() == seconds


def test_progress_shows_the_listing_rate_and_an_eta_from_the_last_listing(config, layout, capsys, tmp_path,
                                                                         monkeypatch):
    """`--progress` (stderr not a terminal): the blob listing's count and rate; the next listing
    of the same cache has an ETA from the first; without it nothing is shown. JSON stays clean."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    code, out, err = cli(capsys, "--config", config, "cache", "gc", "cache", "--json", "--progress")
    assert code in (0, 3) and json.loads(out)["dry_run"] is True
    assert "blobs/s" in err and "ETA unknown (first scan of this folder)" in err
    code, out, err = cli(capsys, "--config", config, "cache", "ls", "cache", "--json", "--progress")
    blobs = json.loads(out)["blobs"]
    assert blobs == len(layout) and f"scanning: {blobs:,} blobs, " in err
    assert f"past the last scan's {blobs:,} blobs" in err       # the ETA's reference: gc's listing
    code, out, err = cli(capsys, "--config", config, "cache", "gc", "cache", "--json")
    assert "scanning" not in err
