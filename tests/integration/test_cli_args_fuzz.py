"""Command-line arguments from anyone: targets, durations and regexes are refused with an `AztuiError`
naming the input (exit code 2 from the CLI), never a traceback; a catastrophic regex times out.

Property tests call the parsing functions in-process (hypothesis, 2,500 examples in all); a few
subprocess runs of `python -m aztui` check the exit code and stderr a user sees.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aztui.azure.blobs import BlobStore
from aztui.cache.planner import GcPolicy, PolicyError, compile_filter, parse_duration
from aztui.cli import main
from aztui.commands.targets import Target, TargetError, parse_target
from aztui.errors import AztuiError
from aztui.patterns import MATCH_TIMEOUT
from aztui.registry.model import TagInfo
from aztui.registry.purge import PurgeInputError, PurgeOptions, RepositorySnapshot, parse_ago, parse_filter, plan_purge
from tests.support.blobs_cli import LAYOUT, blob_names, run_blobs
from tests.support.buildcache import CacheWriter, cache_profile

EXAMPLES = 500
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# text near each grammar (so many examples pass and exercise the rest) and any text at all
any_text = st.text(max_size=40)
target_like = st.one_of(any_text, st.from_regex(r"[a-zA-Z0-9 _$\-]{0,8}:?[a-z0-9$\-]{0,70}(/[a-z.\x00\x1f/]{0,8}){0,3}",
                                                 fullmatch=True))
duration_like = st.one_of(any_text, st.text(alphabet="0123456789dhms.\t -", max_size=30),
                          st.from_regex(r"[0-9]{1,400}(ms|[dhms])", fullmatch=True))
regex_like = st.one_of(any_text, st.text(alphabet="a()[]{}*+?|^$\\.:0-9,-P<>=!", max_size=20))
names = st.text(max_size=30)

CATASTROPHIC = "(a|aa)+$"           # exponential backtracking, even for the `regex` package
VICTIM = "a" * 40 + "!"


def assert_names_input(error: AztuiError, text: str) -> None:
    assert isinstance(error.exit_code, int) and error.exit_code == 2, error
    assert repr(text) in error.message, (error.message, text)
    assert "Traceback" not in error.render()


# --- property tests, in-process ------------------------------------------------------------------

@pytest.mark.slow
@FUZZ
@given(target_like)
def test_any_target_parses_or_is_refused_naming_it(text):
    try:
        target = parse_target(text)
    except TargetError as error:
        assert_names_input(error, text)
    else:
        assert isinstance(target, Target) and target.profile == text.partition(":")[0]


@FUZZ
@given(duration_like)
def test_any_grace_or_max_age_parses_or_is_refused_naming_it(text):
    try:
        value = parse_duration(text)
    except PolicyError as error:
        assert_names_input(error, text)
    else:
        assert value >= timedelta(0)


@FUZZ
@given(duration_like)
def test_any_ago_parses_or_is_refused_naming_it(text):
    try:
        value = parse_ago(text)
    except PurgeInputError as error:
        assert_names_input(error, text)
    else:
        assert value >= timedelta(0)


@FUZZ
@given(st.one_of(regex_like, st.tuples(regex_like, regex_like).map(":".join)), names)
def test_any_purge_filter_compiles_and_matches_or_is_refused(text, name):
    try:
        flt = parse_filter(text)
        assert flt.matches(name, name) in (True, False)
    except PurgeInputError as error:
        assert_names_input(error, text)


@FUZZ
@given(regex_like, names)
def test_any_gc_include_compiles_and_matches_or_is_refused(pattern, name):
    try:
        policy = GcPolicy(include=pattern, exclude=pattern)
        assert compile_filter(policy.include, "include").search(name) in (True, False)
    except PolicyError as error:
        assert_names_input(error, pattern)


# --- catastrophic regexes -----------------------------------------------------------------------

def test_catastrophic_purge_filter_times_out_with_a_clear_error():
    now = datetime.now(timezone.utc)
    snapshot = RepositorySnapshot("app", (TagInfo("app", VICTIM, "sha256:" + "0" * 64,
                                                  last_updated=now - timedelta(days=9)),), ())
    started = time.monotonic()
    with pytest.raises(PurgeInputError) as caught:
        plan_purge([snapshot], PurgeOptions((parse_filter(f"app:{CATASTROPHIC}"),)), now=now)
    assert time.monotonic() - started < MATCH_TIMEOUT + 5
    message = caught.value.message
    assert f"took longer than {MATCH_TIMEOUT:g} s on name {VICTIM!r}: simplify it" in message
    assert repr(f"app:{CATASTROPHIC}") in message and caught.value.exit_code == 2


def run_aztui(config, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_STATE_HOME": str(config.parent / "state")}
    result = subprocess.run([sys.executable, "-m", "aztui", "--config", str(config), *args],
                            capture_output=True, text=True, env=env, timeout=timeout)
    assert "Traceback" not in result.stderr + result.stdout
    return result


@pytest.fixture
def cache_config(azurite, container_name, write_profiles):
    """A BuildKit cache whose one cache name is VICTIM, exported long ago (so --max-age 0s expires it)."""
    async def build():
        async with BlobStore(cache_profile(azurite, container_name)) as store:
            await store.create_container(container_name)
            writer = CacheWriter(store, container_name)
            await writer.export(VICTIM, [await writer.layer(b"layer")])
    asyncio.run(build())
    return write_profiles(f"""
        [profiles.cache]
        account_url = "{azurite.blob_endpoint}"
        account_name = "{azurite.account}"
        container = "{container_name}"
        secret_access_key = "{azurite.key}"
        """)


@pytest.mark.slow
@pytest.mark.parametrize("option", ["--include", "--exclude"])
def test_catastrophic_gc_regex_stops_the_cli_with_exit_2(cache_config, option):
    started = time.monotonic()
    result = run_aztui(cache_config, "cache", "gc", "cache", "--max-age", "0s", option, CATASTROPHIC,
                       timeout=MATCH_TIMEOUT + 20)
    assert result.returncode == 2, result.stderr
    assert time.monotonic() - started < MATCH_TIMEOUT + 20
    assert f"{option} {CATASTROPHIC!r}: the pattern took longer than 1 s on name {VICTIM!r}" in result.stderr


# --- what a user sees for malformed arguments ---------------------------------------------------

@pytest.fixture
def plain_config(write_profiles, tmp_path):
    return write_profiles("""
        [profiles.p]
        connection_string = "DefaultEndpointsProtocol=http;AccountName=a;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:9/a"
        max_retries = 0
        """)


@pytest.mark.parametrize("args, says", [
    (["blobs", "ls", "p:Bad_Container"], "'Bad_Container' is not a valid container name"),
    (["blobs", "ls", "p:data/../etc"], "'.' and '..' are not path segments"),
    (["blobs", "ls", ":data"], "names no profile"),
    (["cache", "gc", "p", "--grace", "3 weeks"], "3 weeks"),
    (["cache", "gc", "p", "--include", "(unclosed"], "not a valid regular expression"),
    (["registry", "purge", "p", "--filter", "app"], "is not '<repository-regex>:<tag-regex>'"),
    (["registry", "purge", "p", "--filter", "app:v1", "--ago", "1y"], "--ago '1y' is not a duration"),
])
def test_malformed_arguments_exit_2_without_traceback(plain_config, args, says):
    result = run_aztui(plain_config, *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert says in result.stderr


# --- plan files that were edited, or made for another profile or container, are refused -------



def edit_one_byte(text: str, old: str, new: str) -> str:
    assert len(old) == len(new) and sum(a != b for a, b in zip(old, new)) == 1 and old in text
    return text.replace(old, new, 1)


@pytest.mark.slow
@pytest.mark.parametrize("edit", ["name byte", "profile", "container"])
def test_blobs_rm_refuses_an_edited_or_foreign_plan(setup, tmp_path, edit):
    config, container, key, profile = setup
    plan_file = tmp_path / "plan.json"
    saved = run_blobs(config, "rm", f"local:{container}/raw/a.bin", "--plan-file", str(plan_file))
    assert saved.returncode == 0, saved.stderr
    text = plan_file.read_text()
    text = {"name byte": lambda: edit_one_byte(text, '"raw/a.bin"', '"raw/b.bin"'),
            # `reg` and the other container reach the same account: only the checksum stops them
            "profile": lambda: text.replace('"profile": "local"', '"profile": "reg"', 1),
            "container": lambda: text.replace(f'"container": "{container}"', '"container": "other-box"', 1)}[edit]()
    plan_file.write_text(text)
    result = run_blobs(config, "rm", "--execute", "--plan-file", str(plan_file))
    assert result.returncode == 2, result.stderr
    assert "checksum mismatch" in result.stderr and "Traceback" not in result.stderr
    assert key not in result.stdout + result.stderr
    assert blob_names(profile, container) == sorted(LAYOUT)


def test_cache_gc_refuses_an_edited_byte_or_a_plan_for_another_container(
        gc_config, gc_layout, azurite, container_name, tmp_path, write_profiles):
    plan_file = tmp_path / "plan.json"
    assert main(["--config", gc_config, "cache", "gc", "cache", "--grace", "0s", "--plan-file", str(plan_file)]) == 0
    before = asyncio.run(_blob_names(azurite, container_name))
    text = plan_file.read_text()
    [orphan] = [i for i in json.loads(text)["delete"]]
    edited = tmp_path / "edited.json"
    edited.write_text(edit_one_byte(text, f'"size": {orphan["size"]}', f'"size": {orphan["size"] + 1}'))
    result = run_aztui(Path(gc_config), "cache", "gc", "cache", "--execute", "--plan-file", str(edited))
    assert result.returncode == 2 and "checksum mismatch" in result.stderr

    moved = write_profiles(Path(gc_config).read_text().replace(f'container = "{container_name}"',
                                                              'container = "elsewhere"'), name="moved.toml")
    result = run_aztui(moved, "cache", "gc", "cache", "--execute", "--plan-file", str(plan_file))
    assert result.returncode == 2, result.stderr
    assert f"the plan was made for {container_name}/" in result.stderr and "now points at elsewhere/" in result.stderr
    assert asyncio.run(_blob_names(azurite, container_name)) == before


async def _blob_names(azurite, container) -> set[str]:
    async with BlobStore(cache_profile(azurite, container)) as store:
        return {b.name async for b in store.iter_blobs(container)}
