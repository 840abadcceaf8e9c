"""The profiles file: TOML in, validated `Profile`s and every `Problem` out.

Pure: no network, no Textual, no Azure SDK. Only `load_profiles` touches the
file system (read the file, check its permissions, check `ca_bundle` exists).

File layout::

    default_profile = "prod-blobs"      # optional
    [keymap]                            # optional: action id -> key, strings only
    [profiles.<name>]                   # one table per profile (name may be quoted)
    [profiles.<name>.credentials]       # Distribution driver: type, clientid, tenantid, secret

A profile is one flat table that may mix the seed vocabularies: the Distribution
azure driver (`accountname`, `accountkey`, `serviceurl`, `rootdirectory`, ...),
the BuildKit azblob cache (`account_url`, `name`, `secret_access_key`, `cache_spec`
= a pasted `--cache-to` value, ...), the ZenML artifact store (`path`,
`account_key`, `sas_token`, ...) and container registry (`uri`), plus aztui's own
keys (`kind`, `auth`, `read_only`, `protected`, `description`, `authority_host`,
`ca_bundle`, `connect_timeout`, `read_timeout`). `PROFILE_KEYS` lists them all.

Resolution rules (the one documented precedence; the first that applies wins):

kind
    `kind` if given; else `uri` -> acr; any of name / blobs_prefix /
    manifests_prefix / account_url / secret_access_key / cache_spec ->
    buildkit-cache; any of accountname / accountkey / rootdirectory / serviceurl
    / credentials / realm / skipverify / copy_status_* -> distribution;
    `path` -> artifact-store; else storage.
auth
    `auth` or `credentials.type` (both given must agree); else, by material
    given: connection string -> shared key (accountkey / account_key /
    secret_access_key) -> SAS token -> client secret (client_secret or
    credentials.secret, needing client and tenant id too) -> `environment` for
    blob kinds and `default_credentials` for acr. `anonymous` only when stated.
    An auth without its material is an error; material it won't use, a warning.
account URL
    `serviceurl`, `account_url`, the connection string's BlobEndpoint
    (`UseDevelopmentStorage=true` means Azurite's http://127.0.0.1:10000/devstoreaccount1);
    for buildkit-cache then env BUILDKIT_AZURE_STORAGE_ACCOUNT_URL;
    else `https://<account>.blob.<realm>` (realm: `realm`, the connection
    string's EndpointSuffix, else core.windows.net).
account name
    `accountname`, `account_name`, the host of an `abfs://container@host/` path,
    the connection string's AccountName; for buildkit-cache then env
    BUILDKIT_AZURE_STORAGE_ACCOUNT_NAME, for artifact-store env
    AZURE_STORAGE_ACCOUNT_NAME (ZenML's implicit authentication); else from the
    URL: the first DNS label of the host, or, for IP / localhost / single-label
    hosts (Azurite path style), the first path segment.
container
    `container`, the container of `path`; for buildkit-cache then env
    BUILDKIT_AZURE_STORAGE_CONTAINER, else `buildkit-cache`.
prefix
    `rootdirectory`, `prefix`, the prefix of `path` (each without surrounding
    '/'); for buildkit-cache then env BUILDKIT_AZURE_STORAGE_PREFIX.
cache names
    `name` split on ';'; absent means every cache name in the container.
authority_host
    `authority_host`, else env AZURE_AUTHORITY_HOST.

Keys that name the same thing (accountname / account_name / abfs host / ...)
must agree: different values are a "contradicting fields" error. A key inside
`cache_spec` counts as written in the profile.

Secrets (`SECRET_KEYS`) take a literal or `env:NAME`; `env:` references are
resolved later by `Secret.reveal`. A file holding a literal secret that group
or others may read gets one warning. No message, repr or `Profile.written`
ever contains a secret value.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from aztui.endpoints import (DEV_ACCOUNT, DEV_BLOB_URL, account_name_from_url, is_loopback,
                             is_path_style, parse_connection_string)
from aztui.errors import ProfileError
from aztui.model import AUTH_TYPES, PROFILE_KINDS, Profile, Secret

# --- vocabulary -----------------------------------------------------------------------------

STR, INT, BOOL, DURATION, SECRET, TABLE = "string", "integer", "boolean", "duration", "secret", "table"

PROFILE_KEYS: dict[str, str] = {
    # Distribution azure driver (v2.8 and v3)
    "accountname": STR, "accountkey": SECRET, "container": STR, "realm": STR,
    "rootdirectory": STR, "serviceurl": STR, "max_retries": INT, "retry_delay": DURATION,
    "copy_status_poll_max_retry": INT, "copy_status_poll_delay": DURATION,
    "skipverify": BOOL, "connectionstring": SECRET, "credentials": TABLE,
    # BuildKit azblob cache
    "account_url": STR, "account_name": STR, "name": STR, "prefix": STR,
    "blobs_prefix": STR, "manifests_prefix": STR, "secret_access_key": SECRET, "cache_spec": STR,
    # ZenML artifact store and container registry
    "path": STR, "account_key": SECRET, "sas_token": SECRET, "connection_string": SECRET,
    "client_id": STR, "client_secret": SECRET, "tenant_id": STR, "uri": STR,
    # aztui's own
    "kind": STR, "auth": STR, "read_only": BOOL, "protected": BOOL, "description": STR,
    "authority_host": STR, "ca_bundle": STR, "connect_timeout": DURATION, "read_timeout": DURATION,
}
CREDENTIAL_KEYS: dict[str, str] = {"type": STR, "clientid": STR, "tenantid": STR, "secret": SECRET}
CREDENTIAL_TYPES = ("client_secret", "shared_key", "default_credentials")
TOP_LEVEL_KEYS = ("default_profile", "keymap", "profiles")

SECRET_KEYS: frozenset[str] = frozenset(
    [k for k, t in PROFILE_KEYS.items() if t == SECRET]
    + [k for k, t in CREDENTIAL_KEYS.items() if t == SECRET]
    + [f"credentials.{k}" for k, t in CREDENTIAL_KEYS.items() if t == SECRET])

CACHE_SPEC_ATTRS = ("account_url", "account_name", "container", "name", "prefix",
                    "blobs_prefix", "manifests_prefix", "secret_access_key")
CACHE_SPEC_IGNORED = ("mode", "ignore-error")  # generic cache-export attributes

# keys that may not be an empty string (flat names; credentials keys dotted)
NON_EMPTY = frozenset({
    "accountname", "account_name", "container", "realm", "serviceurl", "account_url", "uri",
    "path", "client_id", "tenant_id", "kind", "auth", "authority_host", "ca_bundle",
    "cache_spec", "name", "credentials.type", "credentials.clientid", "credentials.tenantid"})

BUILDKIT_MARKERS = frozenset({"name", "blobs_prefix", "manifests_prefix", "account_url",
                              "secret_access_key", "cache_spec"})
DISTRIBUTION_MARKERS = frozenset({"accountname", "accountkey", "rootdirectory", "serviceurl",
                                  "credentials", "realm", "skipverify",
                                  "copy_status_poll_max_retry", "copy_status_poll_delay"})

# auth material: which keys each auth reads
CONN_KEYS = ("connectionstring", "connection_string")
SHARED_KEYS = ("accountkey", "account_key", "secret_access_key")
CLIENT_ID_KEYS = ("client_id", "credentials.clientid")
CLIENT_SECRET_KEYS = ("client_secret", "credentials.secret")
TENANT_KEYS = ("tenant_id", "credentials.tenantid")
MATERIAL_KEYS = (*CONN_KEYS, *SHARED_KEYS, "sas_token", *CLIENT_ID_KEYS, *CLIENT_SECRET_KEYS,
                 *TENANT_KEYS)
_IDENTITY_HINTS = frozenset(CLIENT_ID_KEYS + TENANT_KEYS)  # may pick an identity or tenant
AUTH_USES: dict[str, frozenset[str]] = {
    "connection_string": frozenset(CONN_KEYS),
    "shared_key": frozenset(SHARED_KEYS),
    "sas": frozenset({"sas_token"}),
    "client_secret": frozenset(CLIENT_ID_KEYS + CLIENT_SECRET_KEYS + TENANT_KEYS),
    "default_credentials": _IDENTITY_HINTS,
    "environment": _IDENTITY_HINTS,
    "anonymous": frozenset(),
}
ACCOUNT_KEYS = ("accountname", "account_name", "serviceurl", "account_url", *CONN_KEYS)
ACR_AUTHS = ("client_secret", "default_credentials", "anonymous")

DEFAULT_REALM = "core.windows.net"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DURATION = re.compile(r"[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0,
                 "m": 60.0, "h": 3600.0}
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOST_PORT = re.compile(rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])(?::\d{{1,5}})?")
_CONTAINER = re.compile(r"\$root|\$web|\$logs|[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}")


# --- public types ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """One finding in a profiles file; `render()` is the one-line human form."""

    file: Path
    line: int | None
    profile: str | None
    key: str | None
    message: str
    hint: str | None = None
    severity: Literal["error", "warning"] = "error"

    def render(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        subject = ", ".join(
            [f"profile {_show(self.profile)}"] * (self.profile is not None)
            + [f"key {_show(self.key)}"] * (self.key is not None))
        text = f"{where}: " + ("warning: " if self.severity == "warning" else "")
        text += f"{subject}: {self.message}" if subject else self.message
        return text + (f" (hint: {self.hint})" if self.hint else "")


@dataclass
class ProfileSet:
    """A loaded profiles file: the valid profiles and every problem found."""

    path: Path
    profiles: dict[str, Profile] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    keymap: dict[str, str] = field(default_factory=dict)
    default_profile: str | None = None
    has_literal_secrets: bool = field(default=False, repr=False)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def get(self, name: str) -> Profile:
        """The named profile, or a `ProfileError` saying why there is none."""
        if name in self.profiles:
            return self.profiles[name]
        own = [p for p in self.errors if p.profile == name]
        if own:
            raise ProfileError(
                f"profile {_show(name)} in {self.path} is invalid:\n"
                + "\n".join(p.render() for p in own),
                problems=own, hint="fix it, then check with `aztui profiles validate`")
        known = sorted(set(self.profiles) | {p.profile for p in self.errors if p.profile})
        message = f"no profile {_show(name)} in {self.path}"
        if suggestion := _suggest(name, known):
            message += f" (did you mean `{suggestion}`?)"
        file_errors = [p for p in self.errors if p.profile is None]
        if known:
            hint = "profiles in this file: " + ", ".join(known)
        elif file_errors:
            hint = file_errors[0].render()
        else:
            hint = "add a [profiles.<name>] table to the file"
        raise ProfileError(message, problems=file_errors, hint=hint)


class CacheSpecError(ProfileError, ValueError):
    """A `--cache-to/--cache-from` value aztui cannot use."""


# --- public functions -----------------------------------------------------------------------

def find_profiles_file(config: str | os.PathLike | None = None,
                       environ: Mapping[str, str] = os.environ) -> Path:
    """`--config PATH`, else $AZTUI_CONFIG, else <user config dir>/aztui/profiles.toml."""
    if config:
        return Path(config).expanduser()
    if environ.get("AZTUI_CONFIG"):
        return Path(environ["AZTUI_CONFIG"]).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("aztui")) / "profiles.toml"


def load_profiles(path: Path, environ: Mapping[str, str] = os.environ) -> ProfileSet:
    """Read and validate a profiles file; content problems never raise."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return ProfileSet(path, problems=[_read_problem(path, exc)])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return ProfileSet(path, problems=[Problem(
            path, line, None, None,
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be decoded)",
            hint="save the file as UTF-8")])
    profile_set = parse_profiles_text(text.removeprefix("\ufeff"), path, environ)
    if profile_set.has_literal_secrets and os.name == "posix":
        try:
            readable_by_others = path.stat().st_mode & 0o077
        except OSError:
            readable_by_others = 0
        if readable_by_others:
            profile_set.problems.append(Problem(
                path, None, None, None,
                "the file holds secrets and other users may read it",
                hint=f"chmod 600 {path}", severity="warning"))
    return profile_set


def parse_profiles_text(text: str, path: Path,
                        environ: Mapping[str, str] = os.environ) -> ProfileSet:
    """Validate the text of a profiles file (`path` only names it in problems)."""
    return _Document(text, Path(path), environ).read()


def parse_cache_spec(spec: str) -> dict[str, str]:
    """Turn a `--cache-to/--cache-from` value into profile keys.

    `"type=azblob,account_url=https://a.blob.core.windows.net,name=app;base"` ->
    `{"account_url": "https://a.blob.core.windows.net", "name": "app;base"}`.
    Fields are CSV as buildx reads them (quotes allowed). `type` must be azblob;
    `type`, `mode` and `ignore-error` are dropped. Raises `CacheSpecError`
    (a `ProfileError` and a `ValueError`) listing every issue.
    """
    attrs, issues = _split_cache_spec(spec)
    if issues:
        raise CacheSpecError("invalid cache spec: " + "; ".join(message for message, _ in issues),
                             hint=next((hint for _, hint in issues if hint), None))
    return {k: v for k, v in attrs.items() if k in CACHE_SPEC_ATTRS}


def profile_to_toml(name: str, table: Mapping[str, Any]) -> str:
    """Render one `[profiles.<name>]` table (sub-tables follow as their own headers)."""
    return _render_table(("profiles", name), table)


def document_to_toml(document: Mapping[str, Any]) -> str:
    """Render a whole TOML document (top-level keys first, then tables)."""
    return _render_table((), document)


def require_valid(ps: ProfileSet) -> None:
    """Raise a `ProfileError` listing every error of the file, if it has any."""
    if ps.errors:
        raise ProfileError(
            f"{ps.path} has {len(ps.errors)} error(s):\n" + "\n".join(p.render() for p in ps.errors),
            problems=ps.errors, hint="fix them, then check with `aztui profiles validate`")


# --- the document ---------------------------------------------------------------------------

class _Document:
    """Walks one parsed file, collecting problems with their line numbers."""

    def __init__(self, text: str, path: Path, environ: Mapping[str, str]) -> None:
        self.text, self.path, self.environ = text, path, environ
        self.problems: list[Problem] = []
        self.lines: dict[tuple[str, ...], int] = {}
        self.literal_secrets = False

    def add(self, message: str, *, at: tuple[str, ...] = (), profile: str | None = None,
            key: str | None = None, hint: str | None = None,
            severity: Literal["error", "warning"] = "error") -> None:
        self.problems.append(Problem(self.path, self.line_of(at), profile, key, message, hint, severity))

    def line_of(self, at: tuple[str, ...]) -> int | None:
        for end in range(len(at), 0, -1):
            if (line := self.lines.get(at[:end])) is not None:
                return line
        return None

    def read(self) -> ProfileSet:
        result = ProfileSet(self.path)
        try:
            data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            self.problems.append(_syntax_problem(self.path, self.text, exc))
            result.problems = self.problems
            return result
        self.lines = _scan_key_lines(self.text)
        for key in data:
            if key not in TOP_LEVEL_KEYS:
                self.add(f"unknown top-level key{_did_you_mean(key, TOP_LEVEL_KEYS)}", at=(key,), key=key,
                         hint="profiles go in [profiles.<name>] tables")
        tables = data.get("profiles", {})
        if not isinstance(tables, dict):
            self.add(f"`profiles` must be a table, not {_type_name(tables)}", at=("profiles",),
                     key="profiles", hint="write [profiles.<name>] tables")
            tables = {}
        elif not tables:
            self.add("no profiles defined", at=("profiles",), severity="warning",
                     hint="add a [profiles.<name>] table")
        for name, table in tables.items():
            if profile := _ProfileReader(self, name, table).read():
                result.profiles[name] = profile
        result.keymap = self._keymap(data.get("keymap", {}))
        result.default_profile = self._default_profile(data.get("default_profile"), tables)
        result.problems = self.problems
        result.has_literal_secrets = self.literal_secrets
        return result

    def _keymap(self, keymap: Any) -> dict[str, str]:
        if not isinstance(keymap, dict):
            self.add(f"`keymap` must be a table of action = \"key\", not {_type_name(keymap)}",
                     at=("keymap",), key="keymap")
            return {}
        valid = {}
        for action, keys in keymap.items():
            if isinstance(keys, str):
                valid[action] = keys
            else:
                self.add(f"expected a string (a key such as \"ctrl+r\"), got {_type_name(keys)}",
                         at=("keymap", action), key=f"keymap.{action}")
        return valid

    def _default_profile(self, name: Any, tables: dict) -> str | None:
        if name is None:
            return None
        if not isinstance(name, str):
            self.add(f"expected a string (a profile name), got {_type_name(name)}",
                     at=("default_profile",), key="default_profile")
            return None
        if name not in tables:
            self.add(f"no profile {_show(name)} in this file{_did_you_mean(name, list(tables))}",
                     at=("default_profile",), key="default_profile")
            return None
        return name


# --- one profile ----------------------------------------------------------------------------

class _ProfileReader:
    """Validates and resolves one `[profiles.<name>]` table into a `Profile`."""

    def __init__(self, doc: _Document, name: str, table: Any) -> None:
        self.doc, self.name, self.table = doc, name, table
        self.values: dict[str, Any] = {}   # validated values; credentials keys dotted
        self.from_spec: set[str] = set()   # keys that came from cache_spec
        self.reported: set[tuple[str, str]] = set()  # contradictions already reported
        self.meant: set[str] = set()       # valid keys that misspelled keys were taken for
        self.failed = False

    # reporting

    def _at(self, key: str | None) -> tuple[str, ...]:
        if key is None:
            return ("profiles", self.name)
        if key in self.from_spec:
            key = "cache_spec"
        if key.startswith("credentials.") and isinstance(self.table.get("credentials"), dict):
            return ("profiles", self.name, "credentials", key.removeprefix("credentials."))
        return ("profiles", self.name, key)

    def error(self, message: str, key: str | None = None, hint: str | None = None) -> None:
        self.failed = True
        self.doc.add(message, at=self._at(key), profile=self.name, key=key, hint=hint)

    def warn(self, message: str, key: str | None = None, hint: str | None = None) -> None:
        self.doc.add(message, at=self._at(key), profile=self.name, key=key, hint=hint,
                     severity="warning")

    # the steps

    def read(self) -> Profile | None:
        if not self.name.strip() or not self.name.isprintable():
            self.error("a profile name must be printable and not blank",
                       hint="use letters, digits, '-' or '_'")
        if not isinstance(self.table, dict):
            self.error(f"a profile must be a table, not {_type_name(self.table)}",
                       hint=f"write [profiles.{_toml_key(self.name)}] followed by its keys")
            return None
        self._check_keys()
        kind = self._kind()
        auth = self._auth(kind)
        fields = self._location(kind) if kind != "acr" else {"registry_url": self._registry_url()}
        fields.update(self._options())
        fields.update(
            account_key=self._pick(SHARED_KEYS),
            sas_token=self.values.get("sas_token"),
            connection_string=self._pick(CONN_KEYS),
            client_id=self._pick(CLIENT_ID_KEYS),
            tenant_id=self._pick(TENANT_KEYS),
            client_secret=self._pick(CLIENT_SECRET_KEYS))
        if self.failed:
            return None
        return Profile(name=self.name, kind=kind, auth=auth, source=self.doc.path,
                       written=self._written(), **fields)

    def _check_keys(self) -> None:
        for key, value in self.table.items():
            if key not in PROFILE_KEYS:
                self._unknown_key(key, value)
            elif key == "credentials":
                self._check_credentials(value)
            else:
                self._accept(key, PROFILE_KEYS[key], value)
        if isinstance(self.values.get("cache_spec"), str):
            self._merge_cache_spec(self.values["cache_spec"])

    def _unknown_key(self, key: str, value: Any) -> None:
        suggestion = _suggest(key, list(PROFILE_KEYS))
        if suggestion:
            self.meant.add(suggestion)
        if suggestion in SECRET_KEYS and isinstance(value, str) and not value.startswith("env:"):
            self.doc.literal_secrets = True
        hint = None
        if key in CREDENTIAL_KEYS:
            hint = f"`{key}` belongs in the [profiles.{_toml_key(self.name)}.credentials] table"
        self.error(f"unknown key{_did_you_mean(key, list(PROFILE_KEYS))}", key, hint)

    def _check_credentials(self, table: Any) -> None:
        if not isinstance(table, dict):
            self.error(f"expected a table (type, clientid, tenantid, secret), got {_type_name(table)}",
                       "credentials")
            return
        self.values["credentials"] = True
        for key, value in table.items():
            dotted = f"credentials.{key}"
            if key not in CREDENTIAL_KEYS:
                self.error(f"unknown key{_did_you_mean(key, list(CREDENTIAL_KEYS))}", dotted)
            else:
                self._accept(dotted, CREDENTIAL_KEYS[key], value)

    def _accept(self, key: str, kind: str, value: Any) -> None:
        """Type-check one value and store it in `self.values`."""
        converted = self._convert(key, kind, value)
        if converted is not None:
            self.values[key] = converted

    def _convert(self, key: str, kind: str, value: Any) -> Any:
        if kind == BOOL:
            if isinstance(value, bool):
                return value
            return self.error(f"expected a boolean (true or false), got {_type_name(value)}", key)
        if kind == INT:
            if isinstance(value, int) and not isinstance(value, bool):
                if value < -1:
                    return self.error("must be -1 (no retries) or more", key)
                return value
            return self.error(f"expected an integer, got {_type_name(value)}", key)
        if kind == DURATION:
            return self._duration(key, value)
        if not isinstance(value, str):
            return self.error(f"expected a string, got {_type_name(value)}", key)
        if kind == SECRET:
            return self._secret(key, value)
        if not value.strip() and key in NON_EMPTY:
            return self.error("must not be empty", key)
        return value

    def _duration(self, key: str, value: Any) -> float | None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = float(value)
        elif isinstance(value, str):
            if not _DURATION.fullmatch(value.strip()) and value.strip() != "0":
                return self.error(f"{_show(value)} is not a duration",
                                  key, hint="use a number of seconds or a Go duration such as 100ms, 1.5s, 2m")
            seconds = _parse_duration(value.strip())
        else:
            return self.error(f"expected a duration (seconds, or a string such as \"100ms\"), "
                              f"got {_type_name(value)}", key)
        if not math.isfinite(seconds) or seconds < 0:
            return self.error("must be a finite duration of 0 or more", key)
        return seconds

    def _secret(self, key: str, value: str) -> Secret | None:
        if value.startswith("env:"):
            if not _ENV_NAME.fullmatch(value[4:]):
                return self.error("`env:` must be followed by an environment variable name",
                                  key, hint=f"for example {key} = \"env:AZURE_STORAGE_KEY\"")
            return Secret(env_name=value[4:], key=key)
        if not value:
            self.warn("empty secret, ignored", key)
            return None
        self.doc.literal_secrets = True
        return Secret(literal=value, key=key)

    def _merge_cache_spec(self, spec: str) -> None:
        attrs, issues = _split_cache_spec(spec)
        for message, hint in issues:
            self.error(message, "cache_spec", hint)
        for attr, raw in attrs.items():
            if attr not in CACHE_SPEC_ATTRS:
                self.meant.add(_suggest(attr, CACHE_SPEC_ATTRS) or attr)
                continue
            value = self._convert(attr, PROFILE_KEYS[attr], raw)
            if value is None:
                continue
            if attr in self.values and not _same(self.values[attr], value):
                self._contradiction((attr, self.values[attr]), ("cache_spec", value), field=attr)
            elif attr not in self.values:
                self.values[attr] = value
                self.from_spec.add(attr)

    def _kind(self) -> str:
        # a mistyped or misspelled key still shows which vocabulary the profile is written in
        given = set(self.table) | set(self.values) | self.meant
        if "uri" in given:
            inferred = "acr"
        elif given & BUILDKIT_MARKERS:
            inferred = "buildkit-cache"
        elif given & DISTRIBUTION_MARKERS:
            inferred = "distribution"
        elif "path" in given:
            inferred = "artifact-store"
        else:
            inferred = "storage"
        kind = self.values.get("kind")
        if kind is None:
            return inferred
        if kind not in PROFILE_KINDS:
            self.error(f"unknown kind {_show(kind)}{_did_you_mean(kind, PROFILE_KINDS)}", "kind",
                       hint="one of " + ", ".join(PROFILE_KINDS))
            return inferred
        return kind

    # auth

    def _auth(self, kind: str) -> str:
        explicit = self._choice("auth", AUTH_TYPES)
        cred_type = self._choice("credentials.type", CREDENTIAL_TYPES)
        if explicit and cred_type and explicit != cred_type:
            self._contradiction(("auth", explicit), ("credentials.type", cred_type), field="credentials.type")
        auth = explicit or cred_type or self._infer_auth(kind)
        if kind == "acr" and auth not in ACR_AUTHS:
            self.error(f"auth '{auth}' does not work with a container registry",
                       "auth" if explicit else None, hint="use one of " + ", ".join(ACR_AUTHS))
        self._require_material(auth)
        for key in MATERIAL_KEYS:
            if key in self.values and key not in AUTH_USES[auth]:
                self.warn(f"not used with auth '{auth}'", key,
                          hint="remove it, or set `auth` to the method that uses it")
        return auth

    def _choice(self, key: str, choices: tuple[str, ...]) -> str | None:
        value = self.values.get(key)
        if value is None or value in choices:
            return value
        self.error(f"unknown {key.removeprefix('credentials.')} {_show(value)}"
                   f"{_did_you_mean(value, choices)}", key, hint="one of " + ", ".join(choices))
        return None

    def _infer_auth(self, kind: str) -> str:
        has = lambda keys: any(k in self.values for k in keys)  # noqa: E731
        if kind == "acr":
            return "client_secret" if has(CLIENT_SECRET_KEYS) else "default_credentials"
        if has(CONN_KEYS):
            return "connection_string"
        if has(SHARED_KEYS):
            return "shared_key"
        if "sas_token" in self.values:
            return "sas"
        if has(CLIENT_SECRET_KEYS):
            return "client_secret"
        return "environment"

    def _require_material(self, auth: str) -> None:
        uses_credentials = any(k.startswith("credentials.") for k in self.values)
        needs = {
            "connection_string": [("a connection string", CONN_KEYS)],
            "shared_key": [("an account key", SHARED_KEYS)],
            "sas": [("a SAS token", ("sas_token",))],
            "client_secret": [("a client id", CLIENT_ID_KEYS), ("a client secret", CLIENT_SECRET_KEYS),
                              ("a tenant id", TENANT_KEYS)],
        }.get(auth, [])
        for what, keys in needs:
            if self._written_any(keys):
                continue
            key = self._vocabulary_key(keys, uses_credentials)
            self.error(f"auth '{auth}' needs {what}: set `{key}`", key,
                       hint=f"or choose another `auth` (one of {', '.join(AUTH_TYPES)})")

    def _vocabulary_key(self, keys: tuple[str, ...], uses_credentials: bool) -> str:
        """The name of a missing key in the vocabulary the profile is written in."""
        if keys == CONN_KEYS:
            distribution = any(k in self.values for k in DISTRIBUTION_MARKERS)
            return "connectionstring" if distribution else "connection_string"
        if keys == SHARED_KEYS:
            if any(k in self.values for k in BUILDKIT_MARKERS):
                return "secret_access_key"
            if any(k in self.values for k in DISTRIBUTION_MARKERS):
                return "accountkey"
            return "account_key"
        dotted = [k for k in keys if k.startswith("credentials.")]
        return dotted[0] if uses_credentials and dotted else keys[0]

    # where

    def _location(self, kind: str) -> dict[str, Any]:
        v, env = self.values, self.doc.environ
        conn = self._pick(CONN_KEYS)
        cs = self._connection_string(conn)
        zen = self._zenml_path()

        url_sources = [(k, self._url(k, v[k])) for k in ("serviceurl", "account_url") if k in v]
        if cs.get("url"):
            url_sources.append((conn.key, cs["url"]))
        url_pair = self._agree_pair(url_sources)
        url = url_pair[1] if url_pair else None
        if url is None and kind == "buildkit-cache" and env.get("BUILDKIT_AZURE_STORAGE_ACCOUNT_URL"):
            url = self._url("BUILDKIT_AZURE_STORAGE_ACCOUNT_URL", env["BUILDKIT_AZURE_STORAGE_ACCOUNT_URL"])

        name_sources = [(k, v[k]) for k in ("accountname", "account_name") if k in v]
        name_sources += [("path", zen.get("account")), (conn.key if conn else "", cs.get("account"))]
        name_pair = self._agree_pair(name_sources)
        name = name_pair[1] if name_pair else None
        if name is None:
            env_name = {"buildkit-cache": "BUILDKIT_AZURE_STORAGE_ACCOUNT_NAME",
                        "artifact-store": "AZURE_STORAGE_ACCOUNT_NAME"}.get(kind)
            name = env.get(env_name) if env_name else None
        from_url = account_name_from_url(url) if url else None
        if name is None:
            name = from_url
        elif name_pair and url_pair and from_url and from_url != name and _url_names_account(url):
            self._contradiction(name_pair, (url_pair[0], from_url), field=url_pair[0])

        realm = v.get("realm") or cs.get("realm") or zen.get("realm") or DEFAULT_REALM
        if "realm" in v and ("/" in realm or ":" in realm):
            self.error("expected a domain suffix such as core.windows.net, not a URL", "realm")
        if url is None:
            url = cs.get("derived_url") or (f"https://{name}.blob.{realm}" if name else None)
        if name is None and url is None and conn is None and not self._written_any(ACCOUNT_KEYS):
            self._missing_account(kind)

        container = self._agree([("container", v.get("container")), ("path", zen.get("container"))])
        if container is None and kind == "buildkit-cache":
            container = env.get("BUILDKIT_AZURE_STORAGE_CONTAINER") or "buildkit-cache"
        if container is None and kind in ("distribution", "artifact-store") \
                and not self._written_any(("container", "path")):
            key = "path" if kind == "artifact-store" else "container"
            self.error(f"no container: set `{key}`", key,
                       hint="az://<container>/<prefix>" if key == "path" else None)
        elif container is not None and not _CONTAINER.fullmatch(container):
            self.error(f"container name {_show(container)} is not valid",
                       "container" if "container" in v else "path",
                       hint="3-63 lowercase letters, digits and single hyphens, starting with a letter or digit")

        prefix = self._agree([(k, _strip_slashes(v.get(k))) for k in ("rootdirectory", "prefix")]
                             + [("path", zen.get("prefix"))])
        if prefix is None and kind == "buildkit-cache":
            prefix = _strip_slashes(env.get("BUILDKIT_AZURE_STORAGE_PREFIX"))
        names = tuple(n for n in v.get("name", "").split(";") if n.strip())
        if "name" in v and not names:
            self.error("no cache name in `name` (names are separated by ';')", "name")
        return {
            "account_name": name, "account_url": url, "container": container,
            "prefix": prefix or "", "realm": realm, "cache_names": names,
            "blobs_prefix": _strip_slashes(v.get("blobs_prefix", "blobs")),
            "manifests_prefix": _strip_slashes(v.get("manifests_prefix", "manifests")),
        }

    def _written_any(self, keys: tuple[str, ...]) -> bool:
        """Whether any of `keys` was written, even with an invalid value or misspelled."""
        credentials = self.table.get("credentials")
        credentials = credentials if isinstance(credentials, dict) else {}
        return any(k in self.table or k in self.meant or k in self.values
                   or k.removeprefix("credentials.") in credentials and k.startswith("credentials.")
                   for k in keys)

    def _missing_account(self, kind: str) -> None:
        key, hint = {
            "distribution": ("accountname", "or set `serviceurl`"),
            "buildkit-cache": ("account_url", "or set `account_name`, or export BUILDKIT_AZURE_STORAGE_ACCOUNT_URL"),
            "artifact-store": ("account_name", "or use a path abfs://<container>@<account>.dfs.core.windows.net/, "
                                               "or export AZURE_STORAGE_ACCOUNT_NAME"),
        }.get(kind, ("account_name", "or set `account_url` or `connection_string`"))
        self.error(f"no storage account: set `{key}`", key, hint=hint)

    def _url(self, key: str, url: str) -> str | None:
        """A validated http(s) endpoint without trailing '/', or None after an error."""
        try:
            parts = urlsplit(url.strip())
            parts.port  # noqa: B018  (raises on a bad port)
        except ValueError:
            return self.error("is not a valid URL", key)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return self.error("expected an http(s) URL such as https://myaccount.blob.core.windows.net", key)
        if parts.query or parts.fragment or parts.username or parts.password:
            return self.error("must not contain a query, fragment, user or password",
                              key, hint="put a SAS token in `sas_token`")
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            self.warn("plain http: data and credentials travel unencrypted", key, hint="use https")
        return url.strip().rstrip("/")

    def _connection_string(self, conn: Secret | None) -> dict[str, str]:
        """Account, URL and realm named by a literal connection string (no secrets)."""
        if conn is None or conn.literal is None:
            return {}
        settings = parse_connection_string(conn.literal)
        if settings is None:
            self.error("malformed connection string (expected Key=Value pairs separated by ';')", conn.key)
            return {}
        if settings.get("usedevelopmentstorage", "").lower() == "true":
            return {"url": DEV_BLOB_URL, "account": DEV_ACCOUNT}
        out: dict[str, str] = {}
        if account := settings.get("accountname"):
            out["account"] = account
        if suffix := settings.get("endpointsuffix"):
            out["realm"] = suffix
        if endpoint := settings.get("blobendpoint"):
            parts = urlsplit(endpoint)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
                self.error("the connection string's BlobEndpoint is not an http(s) URL", conn.key)
            else:
                out["url"] = endpoint.rstrip("/")
        elif account:
            protocol = settings.get("defaultendpointsprotocol", "https")
            out["derived_url"] = f"{protocol}://{account}.blob.{out.get('realm', DEFAULT_REALM)}"
        else:
            self.error("the connection string names no account (AccountName or BlobEndpoint)", conn.key)
        return out

    def _zenml_path(self) -> dict[str, str]:
        """container, prefix and (abfs host) account of a ZenML `path`."""
        path = self.values.get("path")
        if path is None:
            return {}
        scheme, sep, rest = path.partition("://")
        if not sep or scheme not in ("az", "abfs"):
            self.error(f"path must start with az:// or abfs://, not {_show(scheme + sep if sep else path)}",
                       "path", hint="az://<container>/<prefix>")
            return {}
        location, _, prefix = rest.partition("/")
        container, at, host = location.partition("@")
        out = {"container": container, "prefix": _strip_slashes(prefix)}
        if not container:
            self.error("path names no container", "path", hint="az://<container>/<prefix>")
            del out["container"]
        if at:
            labels = host.split(".")
            out["account"] = labels[0]
            if len(labels) > 2 and labels[1] in ("dfs", "blob"):
                out["realm"] = ".".join(labels[2:])
        return out

    def _registry_url(self) -> str | None:
        uri = self.values.get("uri")
        if uri is None:
            return self.error("a container registry needs `uri`", "uri", hint="<name>.azurecr.io")
        text = uri.strip().rstrip("/")
        scheme = "https"
        if "://" in text:
            scheme, _, text = text.partition("://")
            scheme = scheme.lower()
            if scheme not in ("https", "http"):
                return self.error("uri must be a host such as myregistry.azurecr.io (https:// allowed)", "uri")
        if not _HOST_PORT.fullmatch(text):
            return self.error("uri must be a host such as myregistry.azurecr.io, without a path", "uri")
        host = text.rsplit(":", 1)[0] if not text.endswith("]") else text
        if scheme == "http" and not is_loopback(host.strip("[]")):
            return self.error("http:// is allowed only for a loopback host", "uri", hint="use https://")
        return f"{scheme}://{text.lower()}"

    # transport and safety

    def _options(self) -> dict[str, Any]:
        v = self.values
        out = {k: v[k] for k in ("max_retries", "retry_delay", "copy_status_poll_max_retry",
                                 "copy_status_poll_delay", "skipverify", "connect_timeout",
                                 "read_timeout", "read_only", "protected") if k in v}
        authority = v.get("authority_host") or self.doc.environ.get("AZURE_AUTHORITY_HOST") or None
        out["authority_host"] = authority.rstrip("/") if authority else None
        if "ca_bundle" in v:
            bundle = Path(v["ca_bundle"]).expanduser()
            if not bundle.is_absolute():
                bundle = self.doc.path.parent / bundle
            if not bundle.is_file():
                self.warn(f"no file at {bundle}", "ca_bundle", hint="point it at a PEM file of CA certificates")
            out["ca_bundle"] = str(bundle)
        return out

    # agreement between keys

    def _pick(self, keys: tuple[str, ...]) -> Any:
        return self._agree([(k, self.values.get(k)) for k in keys])

    def _agree(self, sources: list[tuple[str, Any]]) -> Any:
        pair = self._agree_pair(sources)
        return pair[1] if pair else None

    def _agree_pair(self, sources: list[tuple[str, Any]]) -> tuple[str, Any] | None:
        """The first given (key, value); any different value is a contradiction error."""
        given = [(k, val) for k, val in sources if val is not None]
        for other in given[1:]:
            if not _same(given[0][1], other[1]):
                self._contradiction(given[0], other, field=other[0])
                break
        return given[0] if given else None

    def _contradiction(self, a: tuple[str, Any], b: tuple[str, Any], field: str) -> None:
        """One error per pair of keys that disagree; secret values are never shown."""
        if (a[0], b[0]) in self.reported:
            return
        self.reported.add((a[0], b[0]))
        message = f"contradicting fields: `{a[0]}` and `{b[0]}` "
        if isinstance(a[1], Secret) or isinstance(b[1], Secret):
            message += "hold different values"
        else:
            message += f"say {_show(str(a[1]))} and {_show(str(b[1]))}"
        self.error(message, field, hint="keep one of them, or make them agree")

    # as written

    def _written(self) -> dict[str, Any]:
        """The table as written, with every secret masked."""
        def masked(key: str, value: Any) -> Any:
            if key in SECRET_KEYS and isinstance(value, str):
                return Secret(env_name=value[4:]).masked() if value.startswith("env:") else "********"
            return value
        out: dict[str, Any] = {}
        for key, value in self.table.items():
            if key == "credentials" and isinstance(value, dict):
                out[key] = {k: masked(k, val) for k, val in value.items()}
            elif key == "cache_spec" and isinstance(value, str):
                out[key] = _mask_cache_spec(value)
            else:
                out[key] = masked(key, value)
        return out


# --- helpers --------------------------------------------------------------------------------

def _split_cache_spec(spec: str) -> tuple[dict[str, str], list[tuple[str, str | None]]]:
    """Attributes of a cache spec (keys lower-cased) and the issues found; never echoes values."""
    issues: list[tuple[str, str | None]] = []
    try:
        rows = list(csv.reader([spec], strict=True))
    except csv.Error:
        return {}, [("cache_spec is not valid CSV (check its quotes)", None)]
    attrs: dict[str, str] = {}
    for item in rows[0] if rows else []:
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep or not key:
            issues.append(("cache_spec has an attribute without `key=`", "write key=value pairs separated by ','"))
            continue
        if key in attrs:
            issues.append((f"cache_spec gives `{_show_bare(key)}` twice", None))
        attrs[key] = value
    kind = attrs.get("type")
    if kind is None:
        issues.append(("cache_spec has no type=azblob", "paste the whole --cache-to value"))
    elif kind != "azblob":
        issues.append((f"cache_spec has type={_show_bare(kind)}, but aztui reads only type=azblob", None))
    for key in attrs:
        if key not in (*CACHE_SPEC_ATTRS, *CACHE_SPEC_IGNORED, "type"):
            issues.append((f"unknown attribute `{_show_bare(key)}` in cache_spec"
                           f"{_did_you_mean(key, CACHE_SPEC_ATTRS)}", None))
    return attrs, issues


def _mask_cache_spec(spec: str) -> str:
    try:
        rows = list(csv.reader([spec], strict=True))
    except csv.Error:
        return "********"
    fields = []
    for item in rows[0] if rows else []:
        key, sep, value = item.partition("=")
        if key.strip().lower() == "secret_access_key":
            value = Secret(env_name=value[4:]).masked() if value.startswith("env:") else "********"
        fields.append(f"{key}{sep}{value}")
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue()




def _parse_duration(text: str) -> float:
    sign = -1.0 if text.startswith("-") else 1.0
    return sign * sum(float(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(text))




def _url_names_account(url: str) -> bool:
    """Whether the URL itself names the account: <account>.blob.<realm>, or path style."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return is_path_style(host) or host.split(".")[1:2] == ["blob"]






def _strip_slashes(value: str | None) -> str | None:
    return value.strip("/") if isinstance(value, str) else None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Secret) and isinstance(b, Secret):
        return (a.literal, a.env_name) == (b.literal, b.env_name)
    return a == b


def _suggest(word: str, choices: list[str] | tuple[str, ...]) -> str | None:
    """The nearest valid choice for a misspelling, if any is near enough."""
    if not isinstance(word, str) or not choices:
        return None
    lower = word.lower()
    if lower in choices:
        return lower
    close = difflib.get_close_matches(lower, list(choices), n=1, cutoff=0.6)
    if close:
        return close[0]
    if len(lower) >= 3:
        return next((c for c in choices if c.startswith(lower)), None)
    return None


def _did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    suggestion = _suggest(word, choices)
    return f" (did you mean `{suggestion}`?)" if suggestion else ""


def _show_bare(text: str) -> str:
    """Text with control characters escaped, so a message stays one readable line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _show(text: str | None) -> str:
    return f"'{_show_bare(str(text))}'"


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    for kind, name in ((str, "a string"), (int, "an integer"), (float, "a number"), (dict, "a table"),
                       (list, "an array"), (datetime, "a date-time"), (date, "a date"), (time, "a time")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _read_problem(path: Path, exc: OSError) -> Problem:
    if isinstance(exc, FileNotFoundError):
        return Problem(path, None, None, None, "the profiles file does not exist",
                       hint="create it (see README.md), run `aztui demo`, or pass --config PATH")
    if isinstance(exc, IsADirectoryError):
        return Problem(path, None, None, None, "is a directory, not a profiles file",
                       hint="pass the path of the TOML file itself")
    if isinstance(exc, PermissionError):
        return Problem(path, None, None, None, "cannot read the file: permission denied",
                       hint=f"chmod 600 {path} as its owner")
    return Problem(path, None, None, None, f"cannot read the file: {exc.strerror or exc}")


def _syntax_problem(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> Problem:
    message = str(exc)
    line = None
    if match := re.search(r"\(at line (\d+), column (\d+)\)", message):
        line = int(match.group(1))
        message = message[:match.start()].strip() + f" (column {match.group(2)})"
    elif "(at end of document)" in message:
        line = text.count("\n") + 1
        message = message.replace("(at end of document)", "at the end of the file").strip()
    return Problem(path, line, None, None, f"TOML syntax error: {message}",
                   hint="check quotes, brackets and `key = value` pairs")


# --- line numbers ---------------------------------------------------------------------------

_BARE = r"[A-Za-z0-9_-]+"
_BASIC = r'"(?:[^"\\\n]|\\.)*"'
_LITERAL = r"'[^'\n]*'"
_KEY_PART = rf"\s*(?:{_BASIC}|{_LITERAL}|{_BARE})\s*"
_KEY_PATH = rf"{_KEY_PART}(?:\.{_KEY_PART})*"
_HEADER = re.compile(rf"\s*\[\[?({_KEY_PATH})\]\]?\s*(?:#.*)?")
_ASSIGN = re.compile(rf"({_KEY_PATH})=")
_TOKEN = re.compile(rf"{_BASIC}|{_LITERAL}|{_BARE}")


def _key_parts(path: str) -> tuple[str, ...]:
    parts = []
    for token in _TOKEN.findall(path):
        if token.startswith('"'):
            try:
                token = tomllib.loads(f"k = {token}")["k"]
            except tomllib.TOMLDecodeError:
                token = token[1:-1]
        elif token.startswith("'"):
            token = token[1:-1]
        parts.append(token)
    return tuple(parts)


def _scan_key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Best effort: the line of every table header and `key =` (and each prefix of them)."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    in_multiline = None
    for number, line in enumerate(text.split("\n"), start=1):  # not splitlines(): TOML ends lines only at LF
        if in_multiline:
            if line.count(in_multiline) % 2:
                in_multiline = None
            continue
        if header := _HEADER.fullmatch(line):
            table = _key_parts(header.group(1))
            found = table
        elif assign := _ASSIGN.match(line):
            found = table + _key_parts(assign.group(1))
            rest = line[assign.end():]
            for quotes in ('"""', "'''"):
                if rest.count(quotes) % 2:
                    in_multiline = quotes
        else:
            continue
        for end in range(1, len(found) + 1):
            lines.setdefault(found[:end], number)
    return lines


# --- TOML writing ---------------------------------------------------------------------------

def _render_table(path: tuple[str, ...], table: Mapping[str, Any]) -> str:
    scalars = [(k, v) for k, v in table.items() if v is not None and not isinstance(v, Mapping)]
    tables = [(k, v) for k, v in table.items() if isinstance(v, Mapping)]
    lines = [f"[{'.'.join(_toml_key(p) for p in path)}]"] if path else []
    lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in scalars]
    text = "\n".join(lines) + "\n" if lines else ""
    for key, sub in tables:
        text += ("\n" if text else "") + _render_table((*path, key), sub)
    return text


def _toml_key(key: str) -> str:
    return key if re.fullmatch(_BARE, key) else _toml_string(key)


def _toml_string(text: str) -> str:
    escapes = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
    out = []
    for char in text:
        if char in escapes:
            out.append(escapes[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Secret):
        return _toml_string(f"env:{value.env_name}" if value.env_name else value.literal or "")
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise ValueError(f"cannot write a {type(value).__name__} to TOML")
