"""Fuzzing the profiles loader: whatever the file holds, it reports problems and never raises."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aztui.profiles.file import (
    PROFILE_KEYS,
    ProfileSet,
    document_to_toml,
    load_profiles,
    parse_profiles_text,
)
from tests.support.profile_strategies import MARKER, documents, mark_secrets, toml_fragments, useful_strings

FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def fuzz_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "profiles.toml"


def check_problems(ps: ProfileSet, path: Path) -> None:
    assert isinstance(ps, ProfileSet)
    for problem in ps.problems:
        rendered = problem.render()
        assert problem.file == path
        assert rendered.startswith(str(path))
        assert "\n" not in rendered
        assert problem.severity in ("error", "warning")
    for name, prof in ps.profiles.items():
        assert prof.name == name and not [p for p in ps.errors if p.profile == name]


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes_never_raise(fuzz_file, data):
    fuzz_file.write_bytes(data)
    ps = load_profiles(fuzz_file, environ={})
    check_problems(ps, fuzz_file)


@FUZZ
@given(text=toml_fragments)
def test_random_toml_like_text_never_raises(text):
    path = Path("/fuzz/profiles.toml")
    check_problems(parse_profiles_text(text, path, environ={}), path)


@pytest.mark.slow
@FUZZ
@given(document=documents.map(mark_secrets),
       environ=st.dictionaries(st.sampled_from(["BUILDKIT_AZURE_STORAGE_ACCOUNT_URL", "AZURE_AUTHORITY_HOST",
                                                "BUILDKIT_AZURE_STORAGE_CONTAINER", "AZURE_STORAGE_ACCOUNT_NAME"]),
                               useful_strings, max_size=2))
def test_random_documents_report_problems_with_file_line_and_key(fuzz_file, document, environ):
    fuzz_file.write_text(document_to_toml(document), encoding="utf-8")
    fuzz_file.chmod(0o600)
    ps = load_profiles(fuzz_file, environ=environ)
    check_problems(ps, fuzz_file)
    for problem in ps.problems:
        assert MARKER not in problem.render()
        if problem.key is not None:
            assert problem.line is not None, problem.render()
    for prof in ps.profiles.values():
        assert MARKER not in repr(prof) and MARKER not in str(prof.written)
    # every key outside the vocabulary, in a profile that is a table, is reported by name
    profiles = document.get("profiles")
    if isinstance(profiles, dict):
        reported = {(p.profile, p.key) for p in ps.errors}
        for name, table in profiles.items():
            if isinstance(table, dict):
                for key in table:
                    if key not in PROFILE_KEYS:
                        assert (name, key) in reported


def _has_nan(value) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, dict):
        return any(_has_nan(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_nan(v) for v in value)
    return False


@FUZZ
@given(document=documents)
def test_document_to_toml_round_trips(document):
    if _has_nan(document):
        return
    assert tomllib.loads(document_to_toml(document)) == document


# --- at scale: >= 10,000 generated files through what `profiles validate` and `profiles show` print ---

BULK = settings(max_examples=10_000, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


def run_commands_in_process(path: Path) -> str:
    """`profiles list/validate [--json]` and `profiles show NAME [--json]` for every profile, in-process
    (the same functions the CLI calls); what they print. Any exception is a failure."""
    import contextlib
    import io

    from aztui import cli
    from aztui.errors import AztuiError

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        ps = load_profiles(path, environ={})
        for as_json in (False, True):
            assert cli.validate_profiles(ps, strict=False, as_json=as_json) in (0, 1)
            assert cli.list_profiles(ps, as_json=as_json) == 0
        names = set(ps.profiles) | {p.profile for p in ps.problems if p.profile}
        for name in sorted(names, key=str):
            for as_json in (False, True):
                try:
                    assert cli.show_profile(ps, name, as_json=as_json) == 0
                except AztuiError as error:  # an invalid profile: a rendered error naming the file
                    assert str(path) in error.render() and error.exit_code == 2
    return out.getvalue()


@pytest.mark.slow
@BULK
@given(document=st.one_of(documents.map(mark_secrets), toml_fragments))
def test_ten_thousand_profile_files_through_validate_and_show(fuzz_file, document):
    if isinstance(document, dict):
        fuzz_file.write_text(document_to_toml(document), encoding="utf-8")
    else:
        fuzz_file.write_text(document, encoding="utf-8")
    fuzz_file.chmod(0o600)
    printed = run_commands_in_process(fuzz_file)
    assert MARKER not in printed
    assert "Traceback" not in printed
    check_problems(load_profiles(fuzz_file, environ={}), fuzz_file)


TESTS = Path(__file__).resolve().parents[1]
DATA_FILES = sorted(p for p in (TESTS / "data").rglob("*") if p.is_file())


@pytest.mark.parametrize("source", DATA_FILES, ids=lambda p: str(p.relative_to(TESTS)))
def test_every_test_data_file_through_validate_and_show(tmp_path, source):
    path = tmp_path / "profiles.toml"
    path.write_bytes(source.read_bytes())
    path.chmod(0o600)
    run_commands_in_process(path)
    check_problems(load_profiles(path, environ={}), path)
