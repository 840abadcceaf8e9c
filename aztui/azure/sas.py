"""Decode a SAS token into what it grants, and judge it against a profile's job (pure, stdlib).

`decode_sas` reads the query parameters of a SAS (`sv`, `ss`, `srt`, `sr`, `sp`,
`st`, `se`, `sip`, `spr`, `si`, and `skoid` for user delegation SAS). The signature
(`sig`) is checked for presence and then dropped: a `SasInfo` never holds it, so
nothing built from one can print it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal
from urllib.parse import parse_qs

from aztui.errors import AztuiError

PERMISSIONS = {"r": "read", "a": "add", "c": "create", "w": "write", "d": "delete", "l": "list",
               "t": "tags", "f": "filter", "x": "delete version", "y": "permanent delete",
               "m": "move", "e": "execute", "i": "set immutability policy", "p": "process",
               "u": "update"}
SERVICES = {"b": "blob", "f": "file", "q": "queue", "t": "table"}
RESOURCE_TYPES = {"s": "service", "c": "container", "o": "object"}
SIGNED_RESOURCES = {"c": "container", "b": "blob", "bs": "blob snapshot", "bv": "blob version",
                    "d": "directory"}
_HINT_NEW_SAS = "generate a new SAS whose start (st) is in the past and expiry (se) in the future"


class SasError(AztuiError):
    title = "Invalid SAS token"


@dataclass(frozen=True)
class SasInfo:
    """What a SAS token grants; never holds the signature."""

    kind: Literal["account", "service", "user delegation"]
    version: str | None
    permissions: str                     # sp, e.g. "rl"
    start: datetime | None               # st
    expiry: datetime | None              # se
    services: str | None = None          # ss (account SAS)
    resource_types: str | None = None    # srt (account SAS)
    resource: str | None = None          # sr (service SAS): c, b, bs, bv, d
    ip_range: str | None = None          # sip
    protocol: str | None = None          # spr: "https" or "https,http"
    identifier: str | None = None        # si: a stored access policy on the container

    def permission_names(self) -> list[str]:
        return [PERMISSIONS.get(letter, letter) for letter in self.permissions]

    def describe(self) -> str:
        """One line for humans: kind, version, scope, permissions, validity, IP and protocol."""
        parts = [f"{self.kind} SAS" + (f" (version {self.version})" if self.version else "")]
        if self.services is not None:
            parts.append("services " + _letters(self.services, SERVICES))
        if self.resource_types is not None:
            parts.append("resource types " + _letters(self.resource_types, RESOURCE_TYPES))
        if self.resource is not None:
            parts.append("resource " + SIGNED_RESOURCES.get(self.resource, self.resource))
        granted = f"'{self.permissions}' ({', '.join(self.permission_names())})" if self.permissions \
            else "none in the token"
        parts.append("permissions " + granted)
        if self.identifier:
            parts.append(f"stored access policy {self.identifier!r}")
        until = _when(self.expiry, "(no expiry)")
        parts.append(f"valid from {_when(self.start, '')} to {until}" if self.start
                     else f"valid until {until} (no start time)")
        parts.append("IP " + (self.ip_range or "any"))
        parts.append("protocol " + (self.protocol or "https,http"))
        return "; ".join(parts)


@dataclass(frozen=True)
class Finding:
    severity: Literal["fail", "warn"]
    message: str
    hint: str


def decode_sas(token: str) -> SasInfo:
    """Decode a SAS token (with or without a leading '?', or a whole URL with one)."""
    text = (token or "").strip()
    if "?" in text:
        text = text.split("?", 1)[1]
    try:
        query = parse_qs(text, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise SasError("the SAS token is not a query string (expected sv=...&sp=...&sig=...)",
                       hint="copy the SAS token again; it starts with sv= or ?sv=") from None
    values = {key: items[0] for key, items in query.items()}
    if "sig" not in values:
        raise SasError("the SAS token has no signature (sig=...)",
                       hint="copy the whole SAS token; the sig= part may have been cut off")
    if "sv" not in values or not ({"sp", "si"} & values.keys()):
        missing = "sv (version)" if "sv" not in values else "sp (permissions)"
        raise SasError(f"the SAS token has no {missing}",
                       hint="copy the whole SAS token, as the portal or `az storage ... generate-sas` prints it")
    kind = "account" if "ss" in values or "srt" in values else \
        "user delegation" if "skoid" in values else "service"
    return SasInfo(kind=kind, version=values.get("sv"), permissions=values.get("sp", ""),
                   start=_time(values, "st"), expiry=_time(values, "se"),
                   services=values.get("ss"), resource_types=values.get("srt"),
                   resource=values.get("sr"), ip_range=values.get("sip"),
                   protocol=values.get("spr"), identifier=values.get("si"))


def judge_sas(info: SasInfo, *, now: datetime | None = None, account_wide: bool = False,
              needs_delete: bool = False, scheme: str = "https") -> list[Finding]:
    """What stops (fail) or limits (warn) this SAS for a profile's job.

    Every profile lists and reads; `account_wide` ones (no container) list containers;
    `needs_delete` for the kinds whose garbage collection deletes blobs.
    """
    now = now or datetime.now(timezone.utc)
    findings: list[Finding] = []
    def fail(message, hint):
        return findings.append(Finding("fail", message, hint))
    def warn(message, hint):
        return findings.append(Finding("warn", message, hint))
    if info.expiry and info.expiry <= now:
        fail(f"the SAS expired on {_when(info.expiry, '')}", _HINT_NEW_SAS)
    if info.start and info.start > now:
        fail(f"the SAS is not valid before {_when(info.start, '')}", _HINT_NEW_SAS
             + " (or wait; check this machine's clock too)")
    if info.services is not None and "b" not in info.services:
        fail(f"the account SAS does not cover the blob service (ss={info.services})",
             "issue an account SAS with ss including 'b'")
    if info.resource_types is not None:
        needed = "sc" if account_wide else "co"
        if missing := [t for t in needed if t not in info.resource_types]:
            names = ", ".join(f"'{t}' ({RESOURCE_TYPES[t]})" for t in missing)
            fail(f"the account SAS lacks resource type {names} (srt={info.resource_types})",
                 "issue an account SAS with srt=sco")
    if info.resource in ("b", "bs", "bv"):
        fail("a blob SAS grants access to one blob and cannot list",
             "use a container SAS (sr=c) or an account SAS")
    if account_wide and info.kind != "account":
        fail("a container SAS cannot list the account's containers",
             "set container in the profile, or use an account SAS")
    if info.protocol == "https" and scheme == "http":
        fail("the SAS allows HTTPS only (spr=https) but the endpoint is http://",
             "use the https:// endpoint, or issue the SAS with spr=https,http")
    if info.identifier and not info.permissions:
        return findings  # permissions live in the stored access policy; the service will tell
    if "l" not in info.permissions:
        fail(f"the SAS grants '{info.permissions}' but listing needs 'l' (list)",
             "issue a SAS with at least 'rl' (read, list)")
    if "r" not in info.permissions:
        warn(f"the SAS grants '{info.permissions}' without 'r' (read): blobs cannot be read",
             "issue a SAS with at least 'rl' (read, list)")
    if needs_delete and "d" not in info.permissions:
        warn(f"the SAS grants '{info.permissions}' without 'd' (delete): garbage collection cannot "
             "delete blobs", "issue a SAS with 'd' (delete) for the profile that runs GC")
    return findings


def _time(values: dict[str, str], key: str) -> datetime | None:
    raw = values.get(key)
    if raw is None:
        return None
    text = raw.strip().replace("Z", "+00:00")
    if len(text) == 10:  # a date only: YYYY-MM-DD
        text += "T00:00:00+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise SasError(f"the SAS {key}= value {raw!r} is not a date (expected e.g. 2030-01-01T00:00:00Z)",
                       hint="copy the SAS token again") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _when(moment: datetime | None, default: str) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else default


def _letters(letters: str, names: dict[str, str]) -> str:
    return f"'{letters}' (" + ", ".join(names.get(x, x) for x in letters) + ")"
