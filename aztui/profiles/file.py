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

Where things are: this module is the entry point (`load_profiles`, `ProfileSet`,
`Problem`, the file's top level); `aztui.profiles.vocabulary` holds the key tables,
`aztui.profiles.reader` one profile and the precedence rules, `aztui.profiles.toml_lines`
the line numbers, `aztui.profiles.toml_writer` the TOML writer.

Secrets (`SECRET_KEYS`) take a literal or `env:NAME`; `env:` references are
resolved later by `Secret.reveal`. A file holding a literal secret that group
or others may read gets one warning. No message, repr or `Profile.written`
ever contains a secret value.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aztui.errors import ProfileError
from aztui.profiles.keymap import check_keymap
from aztui.profiles.model import Profile
from aztui.profiles.reader import ProfileReader, did_you_mean, show, split_cache_spec, suggest, type_name
from aztui.profiles.toml_lines import scan_key_lines
from aztui.profiles.vocabulary import (
    ACCOUNT_KEYS,
    ACR_AUTHS,
    AUTH_USES,
    BOOL,
    BUILDKIT_MARKERS,
    CACHE_SPEC_ATTRS,
    CACHE_SPEC_IGNORED,
    CLIENT_ID_KEYS,
    CLIENT_SECRET_KEYS,
    CONN_KEYS,
    CREDENTIAL_KEYS,
    CREDENTIAL_TYPES,
    DEFAULT_REALM,
    DISTRIBUTION_MARKERS,
    DURATION,
    INT,
    MATERIAL_KEYS,
    NON_EMPTY,
    PROFILE_KEYS,
    SECRET,
    SECRET_KEYS,
    SHARED_KEYS,
    STR,
    TABLE,
    TENANT_KEYS,
    TOP_LEVEL_KEYS,
)

__all__ = [
    # the vocabulary (aztui.profiles.vocabulary), re-exported
    "ACCOUNT_KEYS", "ACR_AUTHS", "AUTH_USES", "BOOL", "BUILDKIT_MARKERS", "CACHE_SPEC_ATTRS",
    "CACHE_SPEC_IGNORED", "CLIENT_ID_KEYS", "CLIENT_SECRET_KEYS", "CONN_KEYS", "CREDENTIAL_KEYS",
    "CREDENTIAL_TYPES", "DEFAULT_REALM", "DISTRIBUTION_MARKERS", "DURATION", "INT", "MATERIAL_KEYS",
    "NON_EMPTY", "PROFILE_KEYS", "SECRET", "SECRET_KEYS", "SHARED_KEYS", "STR", "TABLE",
    "TENANT_KEYS", "TOP_LEVEL_KEYS",
    # defined here
    "CacheSpecError", "Problem", "ProfileSet", "document_to_toml", "find_profiles_file",
    "load_profiles", "parse_cache_spec", "parse_profiles_text", "profile_to_toml", "require_valid",
]


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
            [f"profile {show(self.profile)}"] * (self.profile is not None)
            + [f"key {show(self.key)}"] * (self.key is not None))
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
                f"profile {show(name)} in {self.path} is invalid:\n"
                + "\n".join(p.render() for p in own),
                problems=own, hint="fix it, then check with `aztui profiles validate`")
        known = sorted(set(self.profiles) | {p.profile for p in self.errors if p.profile})
        message = f"no profile {show(name)} in {self.path}"
        if suggestion := suggest(name, known):
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
    """`--config PATH`, else $AZTUI_CONFIG, else <user config dir>/aztui/profiles.toml
    (`aztui.locations.profiles_file`)."""
    from aztui.locations import profiles_file

    return profiles_file(config, environ)


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
    attrs, issues = split_cache_spec(spec)
    if issues:
        raise CacheSpecError("invalid cache spec: " + "; ".join(message for message, _ in issues),
                             hint=next((hint for _, hint in issues if hint), None))
    return {k: v for k, v in attrs.items() if k in CACHE_SPEC_ATTRS}


def profile_to_toml(name: str, table: Mapping[str, Any]) -> str:
    """Render one `[profiles.<name>]` table (sub-tables follow as their own headers)."""
    from aztui.profiles.toml_writer import render_table  # loaded only when writing

    return render_table(("profiles", name), table)


def document_to_toml(document: Mapping[str, Any]) -> str:
    """Render a whole TOML document (top-level keys first, then tables)."""
    from aztui.profiles.toml_writer import render_table

    return render_table((), document)


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
        self.lines = scan_key_lines(self.text)
        for key in data:
            if key not in TOP_LEVEL_KEYS:
                self.add(f"unknown top-level key{did_you_mean(key, TOP_LEVEL_KEYS)}", at=(key,), key=key,
                         hint="profiles go in [profiles.<name>] tables")
        tables = data.get("profiles", {})
        if not isinstance(tables, dict):
            self.add(f"`profiles` must be a table, not {type_name(tables)}", at=("profiles",),
                     key="profiles", hint="write [profiles.<name>] tables")
            tables = {}
        elif not tables:
            self.add("no profiles defined", at=("profiles",), severity="warning",
                     hint="add a [profiles.<name>] table")
        for name, table in tables.items():
            if profile := ProfileReader(self, name, table).read():
                result.profiles[name] = profile
        result.keymap = self._keymap(data.get("keymap", {}))
        result.default_profile = self._default_profile(data.get("default_profile"), tables)
        result.problems = self.problems
        result.has_literal_secrets = self.literal_secrets
        return result

    def _keymap(self, keymap: Any) -> dict[str, str]:
        if not isinstance(keymap, dict):
            self.add(f"`keymap` must be a table of action = \"key\", not {type_name(keymap)}",
                     at=("keymap",), key="keymap")
            return {}
        valid = {}
        for action, keys in keymap.items():
            if isinstance(keys, str):
                valid[action] = keys
            else:
                self.add(f"expected a string (a key such as \"ctrl+r\"), got {type_name(keys)}",
                         at=("keymap", action), key=f"keymap.{action}")
        check_keymap(valid, lambda action, message, hint, severity: self.add(
            message, at=("keymap", action), key=f"keymap.{action}", hint=hint, severity=severity), did_you_mean)
        return valid

    def _default_profile(self, name: Any, tables: dict) -> str | None:
        if name is None:
            return None
        if not isinstance(name, str):
            self.add(f"expected a string (a profile name), got {type_name(name)}",
                     at=("default_profile",), key="default_profile")
            return None
        if name not in tables:
            self.add(f"no profile {show(name)} in this file{did_you_mean(name, list(tables))}",
                     at=("default_profile",), key="default_profile")
            return None
        return name


# --- problems with the file as a whole ------------------------------------------------------

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
