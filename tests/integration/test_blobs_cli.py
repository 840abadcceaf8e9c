"""`aztui blobs ls | du | rm` run as a user runs them (a subprocess with a profiles file), and targets."""

from __future__ import annotations

import asyncio
import json
import subprocess

import pytest

from aztui.azure.blobs import BlobStore
from aztui.commands.targets import Location, Target, TargetError, parse_target, resolve
from aztui.profiles.model import Profile
from tests.support.blobs_cli import LAYOUT, blob_names, run_blobs


def check(result: subprocess.CompletedProcess, code: int = 0, *, secret: str) -> subprocess.CompletedProcess:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert secret not in result.stdout and secret not in result.stderr
    return result


# --- targets --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("prod", Target("prod", None, "")),
    ("prod:backups", Target("prod", "backups", "")),
    ("prod:backups/", Target("prod", "backups", "")),
    ("prod:backups/2026/01/", Target("prod", "backups", "2026/01/")),
    ("prod:/sub/dir", Target("prod", None, "sub/dir")),
    ("prod:$web/index.html", Target("prod", "$web", "index.html")),
    ("my-profile.v2:a-1-b/x y.txt", Target("my-profile.v2", "a-1-b", "x y.txt")),
])
def test_parse_target(text, expected):
    assert parse_target(text) == expected


@pytest.mark.parametrize("text, reason", [
    ("", "names no profile"), (":backups", "names no profile"), (" :x", "names no profile"),
    ("prod:", "nothing after ':'"),
    ("prod:Backups", "not a valid container name"), ("prod:ab", "not a valid container name"),
    ("prod:" + "a" * 64, "not a valid container name"), ("prod:a--b", "not a valid container name"),
    ("prod:-ab", "not a valid container name"), ("prod:ab-", "not a valid container name"),
    ("prod:my_container", "not a valid container name"),
    ("prod:backups/../etc", "'..'"), ("prod:/a/./b", "'..'"), ("prod:backups/a\x00b", "control characters"),
])
def test_malformed_targets_are_refused_naming_them(text, reason):
    with pytest.raises(TargetError, match=reason) as caught:
        parse_target(text)
    assert repr(text) in caught.value.message and caught.value.exit_code == 2


def test_resolve_against_the_profile():
    plain = Profile(name="p", kind="storage", auth="anonymous")
    rooted = Profile(name="r", kind="distribution", auth="anonymous", container="registry", prefix="prod")
    assert resolve(parse_target("p"), plain) == Location(None, "")
    assert resolve(parse_target("p:c1c"), plain) == Location("c1c", "")
    assert resolve(parse_target("r"), rooted) == Location("registry", "prod")
    assert resolve(parse_target("r:/docker/v2"), rooted) == Location("registry", "prod/docker/v2")
    assert resolve(parse_target("r:other/x"), rooted) == Location("other", "x")
    with pytest.raises(TargetError, match="names no container"):
        resolve(parse_target("p:/sub"), plain)


# --- ls -------------------------------------------------------------------------------------

def test_ls_json_lists_folders_and_blobs_with_every_field(setup):
    config, container, key, _ = setup
    items = json.loads(check(run_blobs(config, "ls", f"local:{container}", "--json"), secret=key).stdout)
    assert {"prefix": "raw/"} in items
    [top] = [i for i in items if i.get("name") == "top.txt"]
    assert set(top) == {"name", "size", "last_modified", "etag", "tier", "content_type"}
    assert top["size"] == 3 and top["tier"] == "Hot" and top["etag"].startswith('"')
    assert top["content_type"] == "application/octet-stream"
    assert top["last_modified"].endswith("+00:00") and "T" in top["last_modified"]


def test_ls_recursive_json_streams_every_page_as_one_array(setup):
    config, container, key, _ = setup
    result = check(run_blobs(config, "ls", f"local:{container}/raw", "--recursive", "--json", "--page-size", "2"),
                   secret=key)
    items = json.loads(result.stdout)
    assert [i["name"] for i in items] == sorted(n for n in LAYOUT if n.startswith("raw/"))
    assert {i["name"]: i["tier"] for i in items}["raw/b.bin"] == "Cool"


def test_ls_table_marks_folders(setup):
    config, container, key, _ = setup
    out = check(run_blobs(config, "ls", f"local:{container}/raw/"), secret=key).stdout
    lines = out.splitlines()
    assert lines[0].split() == ["SIZE", "LAST", "MODIFIED", "TIER", "NAME"]
    assert any(line.strip() == "raw/deep/" for line in lines)
    assert any(line.split()[0] == "4" and line.endswith("raw/a.bin") for line in lines)


@pytest.mark.slow
def test_ls_profile_alone_lists_containers_or_the_profiles_own_place(setup):
    config, container, key, _ = setup
    containers = json.loads(check(run_blobs(config, "ls", "local", "--json"), secret=key).stdout)
    [mine] = [c for c in containers if c["name"] == container]
    assert set(mine) == {"name", "last_modified", "public_access", "lease_state"}
    assert mine["public_access"] is None and mine["lease_state"] == "available"

    rooted = json.loads(check(run_blobs(config, "ls", "reg", "--json"), secret=key).stdout)
    assert {"prefix": "raw/deep/"} in rooted and {i.get("name") for i in rooted} >= {"raw/a.bin", "raw/b.bin"}
    below = json.loads(check(run_blobs(config, "ls", "reg:/deep", "--json"), secret=key).stdout)
    assert [i["name"] for i in below] == ["raw/deep/c.bin", "raw/deep/d.bin"]


def test_ls_of_a_missing_container_is_a_clear_error(setup):
    config, _, key, _ = setup
    result = check(run_blobs(config, "ls", "local:no-such-container", "--json"), 1, secret=key)
    assert "container does not exist" in result.stderr


@pytest.mark.parametrize("target, message", [
    ("local:Bad_Name", "not a valid container name"), ("local:abc/../x", "'..'"), (":abc", "names no profile"),
    ("nope:abc", "no profile 'nope'"), ("local:/sub", "names no container"),
])
def test_bad_targets_exit_2_without_traceback(setup, target, message):
    config, _, key, _ = setup
    result = check(run_blobs(config, "ls", target), 2, secret=key)
    assert message in result.stderr and result.stdout == ""


# --- du -------------------------------------------------------------------------------------

def test_du_json_counts_blobs_bytes_and_tiers(setup):
    config, container, key, _ = setup
    data = json.loads(check(run_blobs(config, "du", f"local:{container}/raw", "--json"), secret=key).stdout)
    assert data == {"profile": "local", "container": container, "prefix": "raw/", "blobs": 4, "bytes": 21,
                    "bytes_by_tier": {"Hot": 19, "Cool": 2}, "directories": 0}
    text = check(run_blobs(config, "du", "reg"), secret=key)
    assert f"reg:{container}/raw: 4 blobs, 21 B (21 bytes)" in text.stdout and text.stderr == ""


# --- rm -------------------------------------------------------------------------------------

@pytest.mark.slow
def test_rm_is_a_dry_run_unless_executed(setup):
    config, container, key, profile = setup
    dry = check(run_blobs(config, "rm", f"local:{container}/raw/deep", "--prefix"), secret=key)
    assert "Plan: delete 2 blobs (15 B)" in dry.stdout and "nothing was deleted" in dry.stdout
    as_json = json.loads(check(run_blobs(config, "rm", f"local:{container}/top.txt", "--json"), secret=key).stdout)
    assert (as_json["executed"], as_json["count"], as_json["bytes"]) == (False, 1, 3)
    assert [i["name"] for i in as_json["items"]] == ["top.txt"]
    assert blob_names(profile, container) == sorted(LAYOUT)

    done = json.loads(check(run_blobs(config, "rm", f"local:{container}/top.txt", f"local:{container}/raw/a.bin",
                                      "--execute", "--json"), secret=key).stdout)
    assert (done["deleted"], done["bytes_deleted"], done["failed"], done["skipped_changed"]) == (2, 7, [], [])
    assert blob_names(profile, container) == ["raw/b.bin", "raw/deep/c.bin", "raw/deep/d.bin"]
    folder = check(run_blobs(config, "rm", f"local:{container}/raw/deep", "--prefix", "--execute"), secret=key)
    assert "Deleted 2 of 2 planned blobs (15 B)" in folder.stdout
    assert blob_names(profile, container) == ["raw/b.bin"]


def test_rm_saved_plan_executes_exactly_and_refuses_edits(setup, tmp_path):
    config, container, key, profile = setup
    plan_file = tmp_path / "plan.json"
    saved = check(run_blobs(config, "rm", f"local:{container}/raw", "--prefix", "--plan-file", str(plan_file)),
                  secret=key)
    assert "Saved the plan" in saved.stdout and blob_names(profile, container) == sorted(LAYOUT)

    edited = json.loads(plan_file.read_text())
    edited["items"].append({"name": "top.txt", "size": 3, "etag": edited["items"][0]["etag"]})
    (tmp_path / "edited.json").write_text(json.dumps(edited))
    refused = check(run_blobs(config, "rm", "--execute", "--plan-file", str(tmp_path / "edited.json")), 2,
                    secret=key)
    assert "checksum mismatch" in refused.stderr and blob_names(profile, container) == sorted(LAYOUT)

    async def change():
        async with BlobStore(profile) as store:
            await store.upload_blob(container, "raw/b.bin", b"rewritten", overwrite=True)
            await store.upload_blob(container, "raw/late.bin", b"added after the plan")
    asyncio.run(change())

    result = check(run_blobs(config, "rm", "--execute", "--plan-file", str(plan_file), state_dir=tmp_path / "st"),
                   1, secret=key)
    assert "Deleted 3 of 4 planned blobs" in result.stdout and "raw/b.bin" in result.stdout
    assert blob_names(profile, container) == ["raw/b.bin", "raw/late.bin", "top.txt"]
    [journal] = (tmp_path / "st" / "aztui" / "journals").iterdir()
    assert len(journal.read_text().splitlines()) == 5


def test_rm_through_a_read_only_profile_deletes_nothing(setup):
    config, container, key, profile = setup
    result = check(run_blobs(config, "rm", f"ro:{container}/top.txt", "--execute"), 1, secret=key)
    assert "Read-only profile" in result.stderr
    assert blob_names(profile, container) == sorted(LAYOUT)


@pytest.mark.parametrize("args, message", [
    ((), "name the blobs to delete"),
    (("local:abc",), "names no blob or folder"),
    (("local:abc/x", "local:abd/y"), "another profile or container"),
    (("local:abc/x", "--execute", "--plan-file", "p.json"), "give no targets"),
    (("--execute", "--plan-file", "/nonexistent/plan.json"), "cannot read"),
])
def test_rm_bad_input_exits_2(setup, args, message):
    config, _, key, _ = setup
    result = check(run_blobs(config, "rm", *args), 2, secret=key)
    assert message in result.stderr
