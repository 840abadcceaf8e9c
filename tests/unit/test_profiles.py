"""The profiles file: vocabularies, resolution precedence, problems, secrets."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from aztui.errors import ProfileError
from aztui.profiles.file import (
    SECRET_KEYS,
    CacheSpecError,
    Problem,
    find_profiles_file,
    load_profiles,
    parse_cache_spec,
    parse_profiles_text,
    profile_to_toml,
    require_valid,
)
from aztui.profiles.model import Secret

DATA = Path(__file__).resolve().parents[1] / "data" / "profiles"
FILE = Path("/cfg/profiles.toml")


def load_data(tmp_path: Path, folder: str, name: str, environ: dict | None = None):
    """Copy a sample folder to tmp_path (mode 600) and load one file of it."""
    for source in (DATA / folder).iterdir():
        target = tmp_path / source.name
        shutil.copyfile(source, target)
        target.chmod(0o600)
    return load_profiles(tmp_path / name, environ=environ or {})


def parse(text: str, environ: dict | None = None):
    return parse_profiles_text(textwrap.dedent(text), FILE, environ or {})


def one(table: dict, environ: dict | None = None, name: str = "p"):
    """Parse a single profile written with profile_to_toml; return (profile or None, problems)."""
    ps = parse_profiles_text(profile_to_toml(name, table), FILE, environ or {})
    return ps.profiles.get(name), ps.problems


def errors_of(table: dict, environ: dict | None = None) -> list[str]:
    _, problems = one(table, environ)
    return [p.render() for p in problems if p.severity == "error"]


# --- valid files in each vocabulary ---------------------------------------------------------

def test_every_valid_sample_loads_without_problems(tmp_path):
    for path in sorted((DATA / "valid").glob("*.toml")):
        ps = load_data(tmp_path, "valid", path.name)
        assert ps.problems == [], (path.name, [p.render() for p in ps.problems])
        assert ps.profiles, path.name


def test_distribution_v28(tmp_path):
    p = load_data(tmp_path, "valid", "distribution_v28.toml").get("registry-cn")
    assert (p.kind, p.auth) == ("distribution", "shared_key")
    assert p.account_name == "regcn"
    assert p.realm == "core.chinacloudapi.cn"
    assert p.account_url == "https://regcn.blob.core.chinacloudapi.cn"
    assert (p.container, p.prefix) == ("registry", "")
    assert p.account_key == Secret(literal="c2VjcmV0LWtleS12Mjg=", key="accountkey")
    assert (p.max_retries, p.retry_delay, p.copy_status_poll_max_retry) == (5, 0.1, 5)
    assert p.source == tmp_path / "distribution_v28.toml"


def test_distribution_v3_with_credentials_table(tmp_path):
    ps = load_data(tmp_path, "valid", "distribution_v3.toml")
    p = ps.get("registry-v3")
    assert (p.kind, p.auth) == ("distribution", "client_secret")
    assert p.account_url == "https://regv3.privatelink.blob.core.windows.net"
    assert p.prefix == "team-a"
    assert p.client_id == "11111111-2222-3333-4444-555555555555"
    assert p.tenant_id == "66666666-7777-8888-9999-000000000000"
    assert p.client_secret == Secret(env_name="REGISTRY_SP_SECRET", key="credentials.secret")
    assert (p.max_retries, p.retry_delay) == (-1, 1.5)
    assert (p.copy_status_poll_max_retry, p.copy_status_poll_delay) == (10, pytest.approx(0.2))
    assert p.skipverify is False
    mi = ps.get("registry-mi")
    assert (mi.auth, mi.account_url) == ("default_credentials", "https://regmi.blob.core.windows.net")


def test_buildkit_explicit_fields(tmp_path):
    p = load_data(tmp_path, "valid", "buildkit_fields.toml").get("ci-cache")
    assert (p.kind, p.auth) == ("buildkit-cache", "shared_key")
    assert p.account_name == "ciacct"  # first DNS label of account_url
    assert p.container == "build-cache"
    assert p.cache_names == ("app", "base", "app/arm64")
    assert (p.prefix, p.blobs_prefix, p.manifests_prefix) == ("team", "b", "m")
    assert p.account_key == Secret(env_name="CI_CACHE_KEY", key="secret_access_key")
    assert p.read_only is True


def test_buildkit_pasted_cache_spec(tmp_path):
    ps = load_data(tmp_path, "valid", "buildkit_cache_spec.toml")
    p = ps.get("pasted cache")
    assert (p.kind, p.auth) == ("buildkit-cache", "environment")
    assert p.account_url == "https://pasted.blob.core.windows.net"
    assert p.account_name == "pasted"
    assert p.container == "buildkit-cache"
    assert p.cache_names == ("app", "base")  # CSV-quoted field keeps its ';'
    assert (p.blobs_prefix, p.manifests_prefix) == ("blobs", "manifests")


def test_zenml_artifact_stores(tmp_path):
    ps = load_data(tmp_path, "valid", "zenml_artifact_store.toml")
    az = ps.get("zen-az")
    assert (az.kind, az.auth, az.container, az.prefix) == ("artifact-store", "shared_key", "artifacts", "pipelines")
    assert az.account_url == "https://zenacct.blob.core.windows.net"
    abfs = ps.get("zen-abfs")
    assert (abfs.auth, abfs.account_name, abfs.container, abfs.prefix) == ("sas", "zenabfs", "artifacts", "runs/2024")
    assert abfs.sas_token == Secret(env_name="ZEN_SAS", key="sas_token")
    sp = ps.get("zen-sp")
    assert (sp.auth, sp.client_id, sp.prefix) == ("client_secret", "11111111-2222-3333-4444-555555555555", "")


def test_zenml_container_registries(tmp_path):
    ps = load_data(tmp_path, "valid", "zenml_acr.toml")
    local = ps.get("acr-local")
    assert (local.kind, local.auth, local.registry_url) == ("acr", "default_credentials", "https://zenmlregistry.azurecr.io")
    sp = ps.get("acr-sp")
    assert (sp.auth, sp.registry_url, sp.protected) == ("client_secret", "https://myregistry.azurecr.io", True)
    test = ps.get("acr-test")
    assert (test.auth, test.registry_url) == ("anonymous", "http://127.0.0.1:5000")


def test_azurite_path_style_endpoints(tmp_path):
    ps = load_data(tmp_path, "valid", "azurite.toml")
    assert ps.default_profile == "azurite-conn"
    assert ps.keymap == {"refresh": "ctrl+r", "delete": "d"}
    for name in ("azurite-conn", "azurite-dev", "azurite-registry"):
        p = ps.get(name)
        assert (p.account_name, p.account_url) == ("devstoreaccount1", "http://127.0.0.1:10000/devstoreaccount1"), name
    assert ps.get("azurite-conn").auth == "connection_string"
    cache = ps.get("azurite-cache")
    assert (cache.account_name, cache.account_url) == ("devstoreaccount1", "http://localhost:10000/devstoreaccount1")
    token = ps.get("azurite-token")
    assert (token.kind, token.auth, token.account_name) == ("storage", "client_secret", "devstoreaccount1")
    assert token.authority_host == "https://127.0.0.1:8443"
    assert token.ca_bundle == str(tmp_path / "ca.pem")  # relative to the profiles file
    assert (token.connect_timeout, token.read_timeout) == (2.0, 30.0)


# --- broken files: every problem with file, line, profile, key and a useful message --------

BROKEN = [
    ("misspelled_keys.toml", 2, "ci-cache", "acount_url", "unknown key (did you mean `account_url`?)"),
    ("misspelled_keys.toml", 3, "ci-cache", "secret_acess_key", "did you mean `secret_access_key`?"),
    ("misspelled_keys.toml", 7, "registry", "AccountName", "did you mean `accountname`?"),
    ("misspelled_keys.toml", 8, "registry", "acountkey", "did you mean `accountkey`?"),
    ("misspelled_keys.toml", 10, "registry", "type", "belongs in the [profiles.registry.credentials] table"),
    ("wrong_types.toml", 3, "typed", "container", "expected a string, got an integer"),
    ("wrong_types.toml", 4, "typed", "max_retries", "expected an integer, got a string"),
    ("wrong_types.toml", 5, "typed", "read_only", "expected a boolean"),
    ("wrong_types.toml", 6, "typed", "retry_delay", "expected a duration"),
    ("wrong_types.toml", 7, "typed", "copy_status_poll_max_retry", "must be -1 (no retries) or more"),
    ("wrong_types.toml", 8, "typed", "connect_timeout", "0 or more"),
    ("missing_required.toml", 1, "no-account", "accountname", "no storage account: set `accountname`"),
    ("missing_required.toml", 5, "no-container", "container", "no container: set `container`"),
    ("missing_required.toml", 9, "no-uri", "uri", "needs `uri`"),
    ("missing_required.toml", 12, "sp-half", "tenant_id", "auth 'client_secret' needs a tenant id"),
    ("contradicting.toml", 3, "two-accounts", "account_name",
     "contradicting fields: `accountname` and `account_name` say 'alpha' and 'beta'"),
    ("contradicting.toml", 7, "two-containers", "path", "`container` and `path` say 'from-key' and 'from-path'"),
    ("contradicting.toml", 12, "spec-vs-key", "account_url", "`account_url` and `cache_spec`"),
    ("unknown_auth.toml", 3, "storage", "auth", "unknown auth 'shared-key' (did you mean `shared_key`?)"),
    ("credentials_type_default.toml", 7, "registry", "credentials.type",
     "unknown type 'default' (did you mean `default_credentials`?)"),
    ("bad_path_scheme.toml", 2, "zen", "path", "path must start with az:// or abfs://"),
    ("bad_duration.toml", 4, "slow", "retry_delay", "'100 millis' is not a duration"),
    ("bad_duration.toml", 5, "slow", "copy_status_poll_delay", "'5' is not a duration"),
    ("bad_cache_spec.toml", 2, "spec", "cache_spec", "unknown attribute `nmae` in cache_spec (did you mean `name`?)"),
    ("bad_cache_spec.toml", 2, "spec", "cache_spec", "unknown attribute `upload_parallelism`"),
    ("bad_cache_spec.toml", 5, "registry-spec", "cache_spec", "type=registry, but aztui reads only type=azblob"),
    ("top_level_junk.toml", 1, None, "default_profil", "unknown top-level key (did you mean `default_profile`?)"),
    ("top_level_junk.toml", 2, None, "verbose", "unknown top-level key"),
    ("top_level_junk.toml", 4, None, "profile", "did you mean `profiles`?"),
    ("syntax_error.toml", 5, None, None, "TOML syntax error"),
    ("non_utf8.toml", 3, None, None, "not UTF-8"),
]


@pytest.mark.parametrize(("name", "line", "profile", "key", "fragment"), BROKEN,
                         ids=[f"{b[0]}:{b[1]}:{b[3]}" for b in BROKEN])
def test_broken_sample_reports_file_line_key_and_message(tmp_path, name, line, profile, key, fragment):
    ps = load_data(tmp_path, "broken", name)
    path = tmp_path / name
    matches = [p for p in ps.errors if (p.line, p.profile, p.key) == (line, profile, key)
               and fragment in p.render()]
    assert matches, [p.render() for p in ps.problems]
    assert matches[0].file == path
    assert matches[0].render().startswith(f"{path}:{line}: ")
    if profile is not None:
        assert profile not in ps.profiles


def test_all_problems_of_a_file_are_reported_at_once(tmp_path):
    ps = load_data(tmp_path, "broken", "wrong_types.toml")
    assert {p.key for p in ps.errors} == {"container", "max_retries", "read_only", "retry_delay",
                                          "copy_status_poll_max_retry", "connect_timeout"}


def test_valid_profiles_survive_next_to_broken_ones(tmp_path):
    ps = load_data(tmp_path, "broken", "top_level_junk.toml")
    assert list(ps.profiles) == ["fine"]
    assert len(ps.errors) == 3


def test_misspelled_key_does_not_add_a_missing_key_error(tmp_path):
    ps = load_data(tmp_path, "broken", "misspelled_keys.toml")
    assert not [p for p in ps.problems if "no storage account" in p.message]


def test_problem_render_format():
    problem = Problem(Path("/home/u/.config/aztui/profiles.toml"), 12, "ci-cache", "acountkey",
                      "unknown key (did you mean `accountkey`?)")
    assert problem.render() == ("/home/u/.config/aztui/profiles.toml:12: profile 'ci-cache', "
                                "key 'acountkey': unknown key (did you mean `accountkey`?)")
    warning = Problem(Path("/f.toml"), None, None, None, "careful", hint="chmod 600 /f.toml", severity="warning")
    assert warning.render() == "/f.toml: warning: careful (hint: chmod 600 /f.toml)"


def test_lines_of_dotted_and_inline_keys():
    ps = parse("""\
        [profiles]
        a.accountname = 7
        b = { account_name = "acct", container = 3 }

        [profiles.c.credentials]
        type = "client-secret"
        """)
    lines = {(p.profile, p.key): p.line for p in ps.errors}
    assert lines[("a", "accountname")] == 2
    assert lines[("b", "container")] == 3
    assert lines[("c", "credentials.type")] == 6
    assert any("did you mean `client_secret`?" in p.message for p in ps.errors if p.profile == "c")


# --- kind inference -------------------------------------------------------------------------

@pytest.mark.parametrize(("table", "kind"), [
    ({"uri": "r.azurecr.io", "account_url": "https://a.blob.core.windows.net"}, "acr"),
    ({"account_name": "acct", "name": "app"}, "buildkit-cache"),
    ({"account_name": "acct", "blobs_prefix": "b"}, "buildkit-cache"),
    ({"account_url": "https://a.blob.core.windows.net"}, "buildkit-cache"),
    ({"account_name": "acct", "secret_access_key": "k"}, "buildkit-cache"),
    ({"account_url": "https://a.blob.core.windows.net", "container": "c1c", "rootdirectory": "r"}, "buildkit-cache"),
    ({"accountname": "acct", "container": "c1c"}, "distribution"),
    ({"account_name": "acct", "container": "c1c", "realm": "core.windows.net"}, "distribution"),
    ({"account_name": "acct", "container": "c1c", "skipverify": True}, "distribution"),
    ({"account_name": "acct", "container": "c1c", "credentials": {"type": "default_credentials"}}, "distribution"),
    ({"account_name": "acct", "path": "az://c1c"}, "artifact-store"),
    ({"account_name": "acct"}, "storage"),
    ({"account_name": "acct", "kind": "buildkit-cache"}, "buildkit-cache"),
])
def test_kind_inference(table, kind):
    profile, problems = one(table)
    assert profile is not None, [p.render() for p in problems]
    assert profile.kind == kind


def test_unknown_kind_suggests_nearest():
    assert any("unknown kind 'buildkit' (did you mean `buildkit-cache`?)" in e
               for e in errors_of({"account_name": "acct", "kind": "buildkit"}))


# --- auth inference and requirements --------------------------------------------------------

BASE = {"account_name": "acct"}
SP = {"client_id": "id", "client_secret": "s", "tenant_id": "t"}


@pytest.mark.parametrize(("extra", "auth"), [
    ({"connection_string": "AccountName=acct;AccountKey=k", "account_key": "k", "sas_token": "s", **SP},
     "connection_string"),
    ({"account_key": "k", "sas_token": "s", **SP}, "shared_key"),
    ({"sas_token": "s", **SP}, "sas"),
    (SP, "client_secret"),
    ({}, "environment"),
])
def test_auth_inference_order(extra, auth):
    profile, _ = one({**BASE, **extra})
    assert profile.auth == auth


def test_distribution_credentials_give_client_secret():
    profile, _ = one({"accountname": "acct", "container": "c1c",
                      "credentials": {"clientid": "id", "tenantid": "t", "secret": "s"}})
    assert (profile.auth, profile.client_id, profile.tenant_id) == ("client_secret", "id", "t")


def test_acr_auth_defaults_to_default_credentials_and_anonymous_only_when_stated():
    assert one({"uri": "r.azurecr.io"})[0].auth == "default_credentials"
    assert one({"uri": "r.azurecr.io", **SP})[0].auth == "client_secret"
    assert one({"uri": "r.azurecr.io", "auth": "anonymous"})[0].auth == "anonymous"
    assert any("does not work with a container registry" in e
               for e in errors_of({"uri": "r.azurecr.io", "auth": "shared_key", "account_key": "k"}))


@pytest.mark.parametrize(("table", "missing"), [
    ({**BASE, "auth": "shared_key"}, "set `account_key`"),
    ({"accountname": "a", "container": "c1c", "credentials": {"type": "shared_key"}}, "set `accountkey`"),
    ({"account_url": "https://a.blob.core.windows.net", "auth": "shared_key"}, "set `secret_access_key`"),
    ({**BASE, "auth": "sas"}, "set `sas_token`"),
    ({**BASE, "auth": "connection_string"}, "set `connection_string`"),
    ({**BASE, "auth": "client_secret", "client_id": "i", "client_secret": "s"}, "needs a tenant id: set `tenant_id`"),
    ({"accountname": "a", "container": "c1c", "credentials": {"type": "client_secret", "clientid": "i"}},
     "needs a client secret: set `credentials.secret`"),
])
def test_explicit_auth_without_its_material_names_the_missing_key(table, missing):
    errors = errors_of(table)
    assert any(missing in e for e in errors), errors


def test_unused_auth_material_is_a_warning():
    profile, problems = one({**BASE, "auth": "sas", "sas_token": "s", "account_key": "k"})
    assert profile is not None and profile.auth == "sas"
    warnings = [p for p in problems if p.severity == "warning"]
    assert [(w.key, w.message) for w in warnings] == [("account_key", "not used with auth 'sas'")]


def test_auth_and_credentials_type_must_agree():
    errors = errors_of({"accountname": "a", "container": "c1c", "auth": "shared_key", "accountkey": "k",
                        "credentials": {"type": "default_credentials"}})
    assert any("contradicting fields: `auth` and `credentials.type`" in e for e in errors)


# --- locations ------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "account"), [
    ("https://myacct.blob.core.windows.net", "myacct"),
    ("https://myacct.privatelink.blob.core.usgovcloudapi.net/", "myacct"),
    ("http://127.0.0.1:10000/devstoreaccount1", "devstoreaccount1"),
    ("http://[::1]:10000/other/", "other"),
    ("http://localhost:10000/devstoreaccount1", "devstoreaccount1"),
    ("http://azurite:10000/acct2", "acct2"),
])
def test_account_name_from_url(url, account):
    profile, problems = one({"account_url": url})
    assert profile is not None, [p.render() for p in problems]
    assert profile.account_name == account
    assert profile.account_url == url.rstrip("/")


def test_account_url_from_name_and_realm():
    profile, _ = one({"accountname": "acct", "container": "c1c", "realm": "core.usgovcloudapi.net"})
    assert profile.account_url == "https://acct.blob.core.usgovcloudapi.net"


def test_connection_string_account_contradicts_accountname():
    errors = errors_of({"accountname": "alpha", "container": "c1c",
                        "connectionstring": "AccountName=beta;AccountKey=k;EndpointSuffix=core.windows.net"})
    assert any("`accountname` and `connectionstring` say 'alpha' and 'beta'" in e for e in errors), errors


def test_connection_string_without_blob_endpoint_derives_url():
    profile, _ = one({"connection_string": "DefaultEndpointsProtocol=https;AccountName=acct;"
                                           "AccountKey=k;EndpointSuffix=core.chinacloudapi.cn"})
    assert profile.account_url == "https://acct.blob.core.chinacloudapi.cn"


def test_prefix_sources_must_agree():
    errors = errors_of({"account_url": "https://a.blob.core.windows.net", "rootdirectory": "/x/", "prefix": "y"})
    assert any("`rootdirectory` and `prefix` say 'x' and 'y'" in e for e in errors)
    profile, _ = one({"account_url": "https://a.blob.core.windows.net", "rootdirectory": "/x/", "prefix": "x/"})
    assert profile.prefix == "x"


def test_url_with_query_is_refused_without_echoing_it():
    errors = errors_of({"account_url": "https://a.blob.core.windows.net/?sv=2022&sig=QUERYMARKER"})
    assert any("must not contain a query" in e for e in errors)
    assert not any("QUERYMARKER" in e for e in errors)


@pytest.mark.parametrize(("uri", "fragment"), [
    ("http://myreg.azurecr.io", "only for a loopback host"),
    ("ftp://myreg.azurecr.io", "must be a host"),
    ("myreg.azurecr.io/team/app", "without a path"),
])
def test_bad_registry_uri(uri, fragment):
    assert any(fragment in e for e in errors_of({"uri": uri}))


def test_invalid_container_name():
    assert any("container name 'Bad_Name' is not valid" in e
               for e in errors_of({"accountname": "a", "container": "Bad_Name"}))


# --- environment fallbacks ------------------------------------------------------------------

def test_buildkit_environment_fallbacks():
    environ = {"BUILDKIT_AZURE_STORAGE_ACCOUNT_URL": "https://envacct.blob.core.windows.net",
               "BUILDKIT_AZURE_STORAGE_ACCOUNT_NAME": "envname",
               "BUILDKIT_AZURE_STORAGE_CONTAINER": "envcontainer",
               "BUILDKIT_AZURE_STORAGE_PREFIX": "/envprefix/"}
    profile, _ = one({"name": "app"}, environ)
    assert (profile.account_url, profile.account_name) == ("https://envacct.blob.core.windows.net", "envname")
    assert (profile.container, profile.prefix) == ("envcontainer", "envprefix")
    written, _ = one({"name": "app", "account_url": "https://mine.blob.core.windows.net",
                      "container": "mine", "prefix": "p"}, environ)
    assert (written.account_url, written.account_name) == ("https://mine.blob.core.windows.net", "envname")
    assert (written.container, written.prefix) == ("mine", "p")


def test_buildkit_fallbacks_only_for_cache_profiles():
    environ = {"BUILDKIT_AZURE_STORAGE_CONTAINER": "envcontainer"}
    profile, _ = one({"account_name": "acct"}, environ)
    assert profile.kind == "storage" and profile.container is None


def test_artifact_store_reads_azure_storage_account_name():
    profile, _ = one({"path": "az://art"}, {"AZURE_STORAGE_ACCOUNT_NAME": "zenenv"})
    assert (profile.account_name, profile.auth) == ("zenenv", "environment")
    assert any("no storage account: set `account_name`" in e for e in errors_of({"path": "az://art"}))


def test_authority_host_falls_back_to_environment():
    assert one(BASE, {"AZURE_AUTHORITY_HOST": "login.microsoftonline.us"})[0].authority_host == "login.microsoftonline.us"
    assert one({**BASE, "authority_host": "https://h/"}, {"AZURE_AUTHORITY_HOST": "x"})[0].authority_host == "https://h"


# --- secrets --------------------------------------------------------------------------------

def test_env_references_are_kept_unresolved():
    profile, problems = one({**BASE, "account_key": "env:NOT_SET_ANYWHERE"})
    assert problems == []
    assert profile.account_key == Secret(env_name="NOT_SET_ANYWHERE", key="account_key")
    assert profile.written["account_key"] == "env:NOT_SET_ANYWHERE"


def test_env_reference_with_invalid_name_is_an_error():
    errors = errors_of({**BASE, "account_key": "env:1-BAD"})
    assert any("`env:` must be followed by an environment variable name" in e for e in errors)


def test_secret_values_never_leak(tmp_path):
    marker = "SECRETMARKER"
    text = f"""\
        [profiles.good]
        account_name = "acct"
        account_key = "{marker}1"
        sas_token = "{marker}2"
        connection_string = "AccountName=acct;AccountKey={marker}3"
        client_secret = "{marker}4"
        cache_spec = "type=azblob,account_url=https://acct.blob.core.windows.net,secret_access_key={marker}1"

        [profiles.bad]
        accountkey = "{marker}5"
        account_key = "{marker}6"
        connection_string = "{marker}7 no equals sign"
        sas_token = "env:{marker}-8"
        acountkey = "{marker}9"
        cache_spec = "type=azblob,{marker}10,secret_access_key={marker}11,secret_access_key={marker}12"
        [profiles.bad.credentials]
        secret = 5
        """
    path = tmp_path / "profiles.toml"
    path.write_text(textwrap.dedent(text))
    path.chmod(0o644)
    ps = load_profiles(path, environ={})
    good = ps.get("good")
    with pytest.raises(ProfileError) as invalid:
        ps.get("bad")
    with pytest.raises(ProfileError) as all_errors:
        require_valid(ps)
    shown = "\n".join([p.render() for p in ps.problems] + [repr(p) for p in ps.problems]
                      + [repr(good), str(good), str(good.written), repr(ps), str(invalid.value),
                         invalid.value.render(), str(all_errors.value)])
    assert marker not in shown
    assert good.written["account_key"] == "********"
    assert "secret_access_key=********" in good.written["cache_spec"]
    assert any("`accountkey` and `account_key` hold different values" in p.message for p in ps.errors)
    assert len(ps.warnings) >= 1


def test_permission_warning_only_for_literal_secrets_readable_by_others(write_profiles):
    literal = write_profiles('[profiles.p]\naccount_name = "a"\naccount_key = "k"\n')
    assert load_profiles(literal, environ={}).warnings == []
    literal.chmod(0o644)
    warnings = load_profiles(literal, environ={}).warnings
    assert len(warnings) == 1
    assert (warnings[0].file, warnings[0].hint) == (literal, f"chmod 600 {literal}")
    env_only = write_profiles('[profiles.p]\naccount_name = "a"\naccount_key = "env:K"\n', name="env.toml")
    env_only.chmod(0o644)
    assert load_profiles(env_only, environ={}).warnings == []


def test_secret_keys_cover_every_vocabulary():
    assert {"accountkey", "connectionstring", "secret", "secret_access_key", "account_key",
            "sas_token", "connection_string", "client_secret"} <= SECRET_KEYS
    assert "account_name" not in SECRET_KEYS


# --- values ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "seconds"), [
    ("100ms", 0.1), ("1.5s", 1.5), ("1m30s", 90.0), ("2h", 7200.0), ("0", 0.0), (3, 3.0), (0.25, 0.25),
    ("500us", 0.0005),
])
def test_durations(value, seconds):
    profile, _ = one({**BASE, "retry_delay": value})
    assert profile.retry_delay == pytest.approx(seconds)


def test_empty_secret_is_ignored_with_a_warning():
    profile, problems = one({**BASE, "account_key": ""})
    assert profile.account_key is None and profile.auth == "environment"
    assert [p.message for p in problems] == ["empty secret, ignored"]


# --- top level ------------------------------------------------------------------------------

def test_default_profile_must_exist():
    ps = parse("""\
        default_profile = "prd"
        [profiles.prod]
        account_name = "acct"
        """)
    assert ps.default_profile is None
    assert [(p.line, p.key) for p in ps.errors] == [(1, "default_profile")]
    assert "did you mean `prod`?" in ps.errors[0].message


def test_keymap_values_must_be_strings():
    ps = parse("""\
        [keymap]
        refresh = "ctrl+r"
        delete = 4
        """)
    assert ps.keymap == {"refresh": "ctrl+r"}
    assert [(p.line, p.key) for p in ps.errors] == [(3, "keymap.delete")]


def test_missing_and_unreadable_files_are_problems(tmp_path):
    missing = load_profiles(tmp_path / "nope.toml")
    assert [p.message for p in missing.problems] == ["the profiles file does not exist"]
    folder = load_profiles(tmp_path)
    assert "is a directory" in folder.errors[0].message
    with pytest.raises(ProfileError) as err:
        missing.get("anything")
    assert "does not exist" in err.value.hint


# --- ProfileSet.get / require_valid ---------------------------------------------------------

def test_get_unknown_name_suggests_and_names_file():
    ps = parse('[profiles.production]\naccount_name = "a"\n')
    with pytest.raises(ProfileError) as err:
        ps.get("prodution")
    assert str(FILE) in err.value.message
    assert "did you mean `production`?" in err.value.message


def test_get_invalid_profile_lists_its_problems():
    ps = parse('[profiles.p]\naccount_name = 5\nsas_token = 6\n[profiles.q]\naccount_name = 7\n')
    with pytest.raises(ProfileError) as err:
        ps.get("p")
    assert [p.key for p in err.value.problems] == ["account_name", "sas_token"]
    assert "/cfg/profiles.toml:2:" in err.value.message


def test_require_valid_lists_every_error():
    ps = parse('[profiles.p]\naccount_name = 5\n[profiles.q]\naccount_name = 7\n')
    with pytest.raises(ProfileError) as err:
        require_valid(ps)
    assert len(err.value.problems) == 2
    require_valid(parse('[profiles.p]\naccount_name = "a"\n'))


# --- find_profiles_file ---------------------------------------------------------------------

def test_find_profiles_file_order(tmp_path, monkeypatch):
    explicit, from_env = tmp_path / "explicit.toml", tmp_path / "env.toml"
    assert find_profiles_file(explicit, environ={"AZTUI_CONFIG": str(from_env)}) == explicit
    assert find_profiles_file(None, environ={"AZTUI_CONFIG": str(from_env)}) == from_env
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    expected = tmp_path / "xdg" / "aztui" / "profiles.toml"
    assert find_profiles_file(None, environ={}) == expected
    assert find_profiles_file(None, environ={"AZTUI_CONFIG": ""}) == expected


# --- cache specs and TOML writing -----------------------------------------------------------

def test_parse_cache_spec():
    assert parse_cache_spec("type=azblob,account_url=https://a.blob.core.windows.net,name=app;base,mode=max") == {
        "account_url": "https://a.blob.core.windows.net", "name": "app;base"}
    assert parse_cache_spec('type=azblob,"name=a,b",prefix=p') == {"name": "a,b", "prefix": "p"}


@pytest.mark.parametrize(("spec", "fragment"), [
    ("type=registry,ref=r/cache", "only type=azblob"),
    ("account_url=https://a.blob.core.windows.net", "no type=azblob"),
    ("type=azblob,acount_url=x", "did you mean `account_url`?"),
    ('type=azblob,"name=a', "not valid CSV"),
])
def test_parse_cache_spec_rejects(spec, fragment):
    with pytest.raises(ValueError) as err:
        parse_cache_spec(spec)
    assert isinstance(err.value, ProfileError) and isinstance(err.value, CacheSpecError)
    assert fragment in str(err.value)


def test_profile_to_toml_round_trips_awkward_names_and_subtables():
    import tomllib

    table = {"accountname": "a\"b\\c\n", "max_retries": -1, "skipverify": True, "retry_delay": 1.5,
             "credentials": {"type": "client_secret", "secret": "env:S"}}
    for name in ("plain", "with space", "dotted.name", 'quote"d', "ünï"):
        assert tomllib.loads(profile_to_toml(name, table)) == {"profiles": {name: table}}


def test_url_that_names_another_account_contradicts_the_name():
    errors = errors_of({"account_name": "alpha", "account_url": "https://beta.blob.core.windows.net"})
    assert any("`account_name` and `account_url` say 'alpha' and 'beta'" in e for e in errors), errors
    errors = errors_of({"accountname": "alpha", "container": "c1c",
                        "serviceurl": "http://127.0.0.1:10000/devstoreaccount1"})
    assert any("say 'alpha' and 'devstoreaccount1'" in e for e in errors), errors


def test_custom_domain_url_keeps_the_written_account_name():
    profile, problems = one({"account_name": "real", "account_url": "https://cdn.example.com"})
    assert problems == []
    assert (profile.account_name, profile.account_url) == ("real", "https://cdn.example.com")


def test_serviceurl_and_account_url_must_agree():
    errors = errors_of({"account_name": "a", "serviceurl": "https://a.blob.core.windows.net",
                        "account_url": "https://a.blob.core.usgovcloudapi.net"})
    assert any("contradicting fields: `serviceurl` and `account_url`" in e for e in errors), errors
    profile, _ = one({"account_name": "a", "serviceurl": "https://a.blob.core.windows.net/",
                      "account_url": "https://a.blob.core.windows.net"})
    assert profile.account_url == "https://a.blob.core.windows.net"


def test_invalid_material_is_reported_once():
    errors = errors_of({**BASE, "auth": "shared_key", "account_key": 5})
    assert len(errors) == 1 and "expected a string, got an integer" in errors[0]
    errors = errors_of({"accountname": "a", "container": "c1c",
                        "credentials": {"type": "client_secret", "clientid": "i", "tenantid": "t", "secret": 1}})
    assert len(errors) == 1 and "key 'credentials.secret'" in errors[0]
