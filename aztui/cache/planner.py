"""Garbage collection of a BuildKit cache: a pure planner from a `CacheSnapshot` to an immutable plan.

    plan = plan_cache_gc(snapshot, GcPolicy(max_age=timedelta(days=30), keep=3), now)

No I/O and no Textual here; `aztui.cache.executor` executes a plan. Why these rules: the cache
layout and how BuildKit exports (docs/formats/buildkit-azblob-cache.md §Export and import,
§Garbage collection). The rules:

1. A cache name *expires* when the policy says so: it matches `include` and not `exclude`
   (both `re.search`, so `^ci/` anchors and `pr-` matches anywhere), and its last export
   (manifest Last-Modified) is older than `max_age`, and it is not one of the `keep` newest
   names of its group (the part of the name before its last '/', '' if none; counted among the
   names that pass the filters). `keep` without `max_age` expires every name beyond the N newest.
   Without `max_age` and `keep`, no name expires (only orphans are collected).
2. An unreadable manifest (invalid JSON, not a CacheConfig, too large) never expires, and while
   one exists its references are unknown, so NO blob is planned at all (neither orphans nor blobs
   of expired names) unless `ignore_unreadable` is set. Expired readable manifests may still go.
3. A blob referenced by any kept manifest is never planned.
4. A blob referenced only by expired manifests is planned.
5. An orphan blob (no manifest references it) is planned only when older than `grace`: BuildKit
   uploads blobs before the manifest naming them, so a young orphan may belong to an export in
   progress. A blob whose Last-Modified is unknown is kept.
6. A blob whose name under the blobs prefix is not a digest is never planned (not BuildKit's).
7. With `drop_broken` only: a readable manifest that references a blob that does not exist (it
   breaks every build importing it; a missing manifest is a plain cache miss) is planned, among
   the names `include`/`exclude` select, with the missing digests as the reason. Its blobs then
   count as referenced by a deleted name (rules 3 and 4). Never without the flag.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from aztui.cache.buildkit import CacheSnapshot
from aztui.errors import AztuiError
from aztui.exit_codes import EXIT_BAD_INPUT
from aztui.patterns import UserPattern, compile_pattern

PLAN_FORMAT = "aztui-cache-gc-plan/1"

_DURATION = re.compile(r"(\d+)([dhms])")
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


class PolicyError(AztuiError):
    title = "Invalid GC policy"
    exit_code = EXIT_BAD_INPUT


def parse_duration(text: str) -> timedelta:
    """`30d`, `24h`, `2d3h6m`, `90m`, `45s` (units d, h, m, s, each at most once, in that order)."""
    cleaned = text.strip().lower()
    parts = _DURATION.findall(cleaned)
    units = [u for _, u in parts]
    if (not parts or "".join(n + u for n, u in parts) != cleaned or len(set(units)) != len(units)
            or units != sorted(units, key="dhms".index)):
        raise PolicyError(f"{text!r} is not a duration", hint="write e.g. 30d, 24h, 2d3h6m, 90m or 45s")
    try:
        return timedelta(seconds=sum(int(n) * _UNITS[u] for n, u in parts))
    except OverflowError:
        raise PolicyError(f"{text!r} is too long a duration", hint="at most 999999999 days") from None


def format_duration(value: timedelta) -> str:
    """The inverse of `parse_duration`: 1 day -> "24h", 30 days -> "30d", 150 min -> "2h30m"."""
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0s"
    if seconds % 86400 == 0 and seconds >= 2 * 86400:
        return f"{seconds // 86400}d"
    out = ""
    for unit, size in (("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out


def compile_filter(pattern: str | None, what: str) -> UserPattern | None:
    """`--include`/`--exclude` compiled; matching a name times out with a `PolicyError` (aztui.patterns)."""
    if pattern is None:
        return None
    return compile_pattern(pattern, option=f"--{what}", text=pattern, error=PolicyError,
                           hint="Python `re` syntax; it is searched anywhere in the cache name")


@dataclass(frozen=True)
class GcPolicy:
    grace: timedelta = timedelta(hours=24)
    max_age: timedelta | None = None
    keep: int | None = None
    include: str | None = None     # regex, re.search on the cache name
    exclude: str | None = None     # regex, re.search on the cache name
    ignore_unreadable: bool = False
    drop_broken: bool = False      # rule 7: delete manifests that reference a missing blob

    def __post_init__(self) -> None:
        if self.grace < timedelta(0) or (self.max_age is not None and self.max_age < timedelta(0)):
            raise PolicyError("durations must not be negative")
        if self.keep is not None and self.keep < 0:
            raise PolicyError("--keep must be 0 or more")
        compile_filter(self.include, "include")
        compile_filter(self.exclude, "exclude")

    def to_dict(self) -> dict:
        return {"grace": format_duration(self.grace),
                "max_age": format_duration(self.max_age) if self.max_age is not None else None,
                "keep": self.keep, "include": self.include, "exclude": self.exclude,
                "ignore_unreadable": self.ignore_unreadable, "drop_broken": self.drop_broken}


Kind = Literal["blob", "manifest"]


@dataclass(frozen=True)
class GcItem:
    """One blob to delete: its name in the container, size and ETag as planned, and why."""

    kind: Kind
    name: str
    size: int
    etag: str
    reason: str


@dataclass(frozen=True)
class KeptItem:
    kind: Kind
    name: str
    reason: str
    rule: str = ""    # why, as a word (KEEP_RULES), for the summary of an empty plan


@dataclass(frozen=True)
class VerifyDrop:
    """A blob an inventory-based plan chose but the live check before deleting took out again."""

    name: str
    size: int
    reason: str    # "rewritten since the inventory report (ETag ...)", "gone since ...", "younger than ..."


@dataclass(frozen=True)
class PlanSource:
    """Where a plan's blob listing came from: a live listing, or an inventory run (and which)."""

    kind: Literal["listing", "inventory"] = "listing"
    inventory_time: str | None = None      # the run's completion time: its listing is as of then
    inventory_rule: str | None = None
    inventory_manifest: str | None = None  # <inventory container>/<path of the run's manifest>

    def to_dict(self) -> dict:
        return {"source": self.kind, "inventory_time": self.inventory_time,
                "inventory_rule": self.inventory_rule, "inventory_manifest": self.inventory_manifest}


LIVE_LISTING = PlanSource()


# KeptItem.rule: what kept it
KEEP_RULES = ("young-orphan", "referenced", "blocked-by-unreadable", "not-a-digest",    # blobs
              "no-policy", "within-max-age", "newest", "filtered", "unreadable")       # manifests


@dataclass(frozen=True)
class GcPlan:
    profile: str
    container: str
    prefix: str
    blobs_prefix: str
    manifests_prefix: str
    delete: tuple[GcItem, ...]           # manifests first, then blobs; sorted by name in each
    keep: tuple[KeptItem, ...]
    created_at: datetime
    policy: dict = field(default_factory=dict, compare=False)
    ignore_unreadable: bool = False      # the executor's re-read follows the same rule
    kept_summary: tuple[str, ...] = field(default=(), compare=False)  # why things stay, counted
    # days deleted blobs stay recoverable (soft delete): 0 off, None unknown or not read; the UI's plan
    # screen says it (the CLI reads it itself); neither in the checksum nor in the plan file
    recoverable_days: int | None = field(default=None, compare=False)
    # where the blob listing came from; with an inventory, the planned blobs the live check took out
    # (aztui.cache.from_inventory). Informational: neither in the checksum nor compared.
    source: PlanSource = field(default=LIVE_LISTING, compare=False)
    verify_dropped: tuple[VerifyDrop, ...] = field(default=(), compare=False)

    @property
    def bytes_reclaimed(self) -> int:
        return sum(i.size for i in self.delete)

    @property
    def blob_count(self) -> int:
        return sum(1 for i in self.delete if i.kind == "blob")

    @property
    def manifest_count(self) -> int:
        return sum(1 for i in self.delete if i.kind == "manifest")

    def what(self) -> str:
        """ "3 blobs and 2 manifests": the plan's counts, as the plan, confirm and report say them."""
        return f"{plural(self.blob_count, 'blob')} and {plural(self.manifest_count, 'manifest')}"

    @property
    def empty_reason(self) -> str | None:
        """Why the plan deletes nothing ("12 orphans are younger than the 24h grace; …"); None if it does."""
        if self.delete:
            return None
        return "; ".join(self.kept_summary) or "the cache has no manifests and no blobs"

    @property
    def keep_count(self) -> int:
        return len(self.keep)

    @property
    def count(self) -> int:  # for aztui.blobs.deletion.default_journal_path
        return len(self.delete)

    def checksum(self) -> str:
        """sha256 over where the plan applies and every planned delete."""
        body = json.dumps([self.profile, self.container, self.prefix, self.blobs_prefix,
                           self.manifests_prefix, self.ignore_unreadable,
                           [[i.kind, i.name, i.size, i.etag, i.reason] for i in self.delete]],
                          separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(body.encode()).hexdigest()

    def to_dict(self) -> dict:
        return {
            "format": PLAN_FORMAT, "profile": self.profile, "container": self.container,
            "prefix": self.prefix, "blobs_prefix": self.blobs_prefix,
            "manifests_prefix": self.manifests_prefix, "created_at": self.created_at.isoformat(),
            "policy": self.policy, "ignore_unreadable": self.ignore_unreadable,
            "checksum": self.checksum(), "bytes_reclaimed": self.bytes_reclaimed,
            "keep_count": self.keep_count,
            "blob_count": self.blob_count, "manifest_count": self.manifest_count,
            "empty_reason": self.empty_reason, "kept_summary": list(self.kept_summary),
            "delete": [{"kind": i.kind, "name": i.name, "size": i.size, "etag": i.etag, "reason": i.reason}
                       for i in self.delete],
            "keep": [{"kind": k.kind, "name": k.name, "reason": k.reason, "rule": k.rule} for k in self.keep],
            **self.source.to_dict(),
            "verify_dropped_count": len(self.verify_dropped),
            "verify_dropped": [{"name": d.name, "size": d.size, "reason": d.reason} for d in self.verify_dropped],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict) -> "GcPlan":
        """A saved plan; a malformed one or one edited since it was made is refused (PlanFileError)."""
        from aztui.blobs.deletion import PlanFileError

        hint = "make a new plan with `aztui cache gc PROFILE ... --plan-file F`"
        try:
            if data.get("format") != PLAN_FORMAT:
                raise ValueError(f"format is {data.get('format')!r}, expected {PLAN_FORMAT!r}")
            plan = cls(
                profile=_text(data["profile"]), container=_text(data["container"]),
                prefix=_text(data["prefix"]), blobs_prefix=_text(data["blobs_prefix"]),
                manifests_prefix=_text(data["manifests_prefix"]),
                delete=tuple(GcItem(_kind(i["kind"]), _text(i["name"]), _size(i["size"]), _text(i["etag"]),
                                    _text(i["reason"])) for i in data["delete"]),
                keep=tuple(KeptItem(_kind(k["kind"]), _text(k["name"]), _text(k["reason"]),
                                    _text(k.get("rule", ""))) for k in data.get("keep", [])),
                created_at=datetime.fromisoformat(data["created_at"]),
                policy=dict(data.get("policy") or {}),
                ignore_unreadable=data.get("ignore_unreadable") is True,
                kept_summary=tuple(_text(t) for t in data.get("kept_summary") or ()),
                source=_source(data),
                verify_dropped=tuple(VerifyDrop(_text(d["name"]), _size(d["size"]), _text(d["reason"]))
                                     for d in data.get("verify_dropped") or ()),
            )
            expected = data["checksum"]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise PlanFileError(f"the plan file cannot be read: {reason}", hint=hint) from None
        if plan.checksum() != expected:
            raise PlanFileError("the plan file was changed after it was made (checksum mismatch)", hint=hint)
        return plan

    @classmethod
    def from_json(cls, text: str) -> "GcPlan":
        from aztui.blobs.deletion import PlanFileError

        try:
            data = json.loads(text)
        except ValueError as exc:
            raise PlanFileError(f"the plan file is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise PlanFileError("the plan file is not a JSON object")
        return cls.from_dict(data)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {value!r}")
    return value


def _source(data: dict) -> PlanSource:
    """The plan's source; a plan file from before sources were recorded came from a listing."""
    kind = data.get("source", "listing")
    if kind not in ("listing", "inventory"):
        raise ValueError(f"unknown source {kind!r}")
    optional = {key: _text(data[key]) if data.get(key) is not None else None
                for key in ("inventory_time", "inventory_rule", "inventory_manifest")}
    return PlanSource(kind, **optional)


def _kind(value: object) -> Kind:
    if value not in ("blob", "manifest"):
        raise ValueError(f"unknown item kind {value!r}")
    return value  # type: ignore[return-value]


def _size(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError(f"expected a size in bytes, got {value!r}")
    return value


def plural(n: int, noun: str) -> str:
    """`1 blob`, `3 blobs`, `1,024 orphans`."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def name_group(name: str) -> str:
    """The keep-N group of a cache name: its part before the last '/', '' if none."""
    return name.rpartition("/")[0]


def _names(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _at(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment is not None else "an unknown time (counts as newest)"


def _newest_first(m) -> tuple:
    """keep-N order: newest last export first; a tie goes to the name that sorts first."""
    return (-(m.last_modified.timestamp() if m.last_modified else float("inf")), m.cache_name)


def _not_newest(m, members: list, keep: int) -> str:
    """Why `m` is not among the `keep` newest of its group: the times compared and the tie-break."""
    group = name_group(m.cache_name)
    where = f"group {group!r}" if group else "the top-level group"
    said = f"not among the {keep} newest names of {where}"
    if keep == 0:
        return f"{said} (--keep 0); last exported {_at(m.last_modified)}"
    last_kept = members[keep - 1]
    which = "the newest, kept" if keep == 1 else f"the oldest of the {keep} kept"
    if last_kept.last_modified == m.last_modified:
        return (f"{said}: last exported {_at(m.last_modified)}, the same time as {last_kept.cache_name} "
                f"({which}); a tie goes to the name that sorts first")
    return (f"{said}: last exported {_at(m.last_modified)}, before {last_kept.cache_name} at "
            f"{_at(last_kept.last_modified)} ({which}); a tie would go to the name that sorts first")


def expired_names(snapshot: CacheSnapshot, policy: GcPolicy, now: datetime,
                  kept: dict[str, str] | None = None, rules: dict[str, str] | None = None) -> dict[str, str]:
    """cache name -> why it expires, for every readable manifest the policy expires.

    `kept`, if given, receives cache name -> why it is kept, for every other manifest; `rules`
    the same as a word (KEEP_RULES).
    """
    kept = kept if kept is not None else {}
    rules = rules if rules is not None else {}

    def keep(name: str, rule: str, why: str) -> None:
        kept[name], rules[name] = why, rule

    for m in snapshot.manifests:
        if m.readable:
            keep(m.cache_name, "no-policy", "no expiry policy (--max-age / --keep)")
        else:
            keep(m.cache_name, "unreadable", "unreadable: its references are unknown")
    if policy.max_age is None and policy.keep is None:
        return {}
    include = compile_filter(policy.include, "include")
    exclude = compile_filter(policy.exclude, "exclude")
    candidates = []
    for m in snapshot.manifests:
        if not m.readable:
            continue
        if include is not None and not include.search(m.cache_name):
            keep(m.cache_name, "filtered", "does not match --include")
        elif exclude is not None and exclude.search(m.cache_name):
            keep(m.cache_name, "filtered", "matches --exclude")
        else:
            candidates.append(m)
    protected: set[str] = set()
    not_newest: dict[str, str] = {}
    if policy.keep is not None:
        groups: dict[str, list] = {}
        for m in candidates:
            groups.setdefault(name_group(m.cache_name), []).append(m)
        for members in groups.values():
            members.sort(key=_newest_first)
            protected.update(m.cache_name for m in members[:policy.keep])
            not_newest.update((m.cache_name, _not_newest(m, members, policy.keep))
                              for m in members[policy.keep:])
    out = {}
    for m in candidates:
        if m.cache_name in protected:
            keep(m.cache_name, "newest", f"one of the {policy.keep} newest names of its group")
            continue
        if policy.max_age is not None:
            if m.last_modified is None or now - m.last_modified <= policy.max_age:
                keep(m.cache_name, "within-max-age", f"exported within max-age {format_duration(policy.max_age)}")
                continue
            out[m.cache_name] = (f"cache name last exported {m.last_modified:%Y-%m-%d %H:%M} UTC, "
                                 f"older than max-age {format_duration(policy.max_age)}")
            if m.cache_name in not_newest:
                out[m.cache_name] += f", and {not_newest[m.cache_name]}"
        else:
            out[m.cache_name] = not_newest[m.cache_name]
    for name in out:
        del kept[name], rules[name]
    return out


def missing_blobs(snapshot: CacheSnapshot) -> dict[str, tuple[str, ...]]:
    """cache name -> the digests its readable manifest references that are not in the cache."""
    present = {b.digest for b in snapshot.blobs} | snapshot.unlisted
    out = {}
    for m in snapshot.manifests:
        missing = tuple(d for d in m.layers or () if d not in present)
        if missing:
            out[m.cache_name] = missing
    return out


def broken_reason(missing: tuple[str, ...]) -> str:
    """ "references 1 missing blob: sha256:…" (the first three digests named)."""
    shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
    return f"references {len(missing)} missing blob{'' if len(missing) == 1 else 's'}: {shown}"


def broken_names(snapshot: CacheSnapshot, policy: GcPolicy) -> dict[str, str]:
    """Rule 7: cache name -> why it is dropped, for every broken manifest the policy selects."""
    if not policy.drop_broken:
        return {}
    include = compile_filter(policy.include, "include")
    exclude = compile_filter(policy.exclude, "exclude")
    return {name: broken_reason(missing) for name, missing in missing_blobs(snapshot).items()
            if (include is None or include.search(name)) and not (exclude is not None and exclude.search(name))}


def _drop_hint(policy: GcPolicy, it: str) -> str:
    return (f"--drop-broken deletes {it}" if not policy.drop_broken
            else f"outside --include/--exclude, so --drop-broken keeps {it}")


def plan_cache_gc(snapshot: CacheSnapshot, policy: GcPolicy, now: datetime) -> GcPlan:
    """The deletes the policy allows on this snapshot, and everything kept with the reason. Pure."""
    kept_why: dict[str, str] = {}
    kept_rule: dict[str, str] = {}
    expired = expired_names(snapshot, policy, now, kept_why, kept_rule)
    broken = {name: why for name, why in broken_names(snapshot, policy).items() if name not in expired}
    still_broken = missing_blobs(snapshot)
    delete: list[GcItem] = []
    keep: list[KeptItem] = []
    kept_manifests: set[str] = set()
    for m in sorted(snapshot.manifests, key=lambda m: m.cache_name):
        if m.cache_name in expired:
            delete.append(GcItem("manifest", m.blob_name, m.size, m.etag, expired[m.cache_name]))
        elif m.cache_name in broken:
            delete.append(GcItem("manifest", m.blob_name, m.size, m.etag, broken[m.cache_name]))
        else:
            kept_manifests.add(m.cache_name)
            why = kept_why[m.cache_name]
            if m.cache_name in still_broken:
                why += f"; {broken_reason(still_broken[m.cache_name])} ({_drop_hint(policy, 'it')})"
            keep.append(KeptItem("manifest", m.blob_name, f"cache name {m.cache_name!r}: {why}",
                                 kept_rule[m.cache_name]))

    unreadable = sorted(m.cache_name for m in snapshot.manifests if not m.readable)
    blocked = bool(unreadable) and not policy.ignore_unreadable
    refs = snapshot.referenced_by()
    for blob in snapshot.blobs:
        names = list(refs.get(blob.digest, ()))
        kept_by = [n for n in names if n in kept_manifests]
        if not blob.is_digest:
            keep.append(KeptItem("blob", blob.blob_name, "not a BuildKit layer (name is not a digest)",
                                 "not-a-digest"))
        elif kept_by:
            keep.append(KeptItem("blob", blob.blob_name, f"referenced by {_names(kept_by)}", "referenced"))
        elif blocked:
            keep.append(KeptItem("blob", blob.blob_name,
                                 f"unreadable manifest(s) {_names(unreadable)} may reference it",
                                 "blocked-by-unreadable"))
        elif names and not any(n in broken for n in names):
            delete.append(GcItem("blob", blob.blob_name, blob.size, blob.etag,
                                 f"only referenced by expired cache names: {_names(names)}"))
        elif names:
            labelled = [f"{n} ({'broken' if n in broken else 'expired'})" for n in names]
            delete.append(GcItem("blob", blob.blob_name, blob.size, blob.etag,
                                 f"only referenced by cache names this plan deletes: {_names(labelled)}"))
        elif blob.last_modified is not None and now - blob.last_modified > policy.grace:
            delete.append(GcItem("blob", blob.blob_name, blob.size, blob.etag,
                                 f"orphan older than {format_duration(policy.grace)}"))
        else:
            keep.append(KeptItem("blob", blob.blob_name,
                                 f"orphan younger than {format_duration(policy.grace)}: "
                                 "may belong to an export in progress", "young-orphan"))
    order = {"manifest": 0, "blob": 1}
    kept_broken = [name for name in still_broken if name not in expired and name not in broken]
    return GcPlan(
        profile=snapshot.profile, container=snapshot.container, prefix=snapshot.prefix,
        blobs_prefix=snapshot.blobs_prefix, manifests_prefix=snapshot.manifests_prefix,
        delete=tuple(sorted(delete, key=lambda i: (order[i.kind], i.name))),
        keep=tuple(sorted(keep, key=lambda k: (order[k.kind], k.name))),
        created_at=now, policy=policy.to_dict(), ignore_unreadable=policy.ignore_unreadable,
        kept_summary=summarize_keeps(keep, policy, unreadable, kept_broken),
    )


def summarize_keeps(keep: list[KeptItem], policy: GcPolicy, unreadable: list[str],
                    kept_broken: list[str]) -> tuple[str, ...]:
    """One counted sentence per reason things stay, most telling first: why a plan is (nearly) empty."""
    rules: dict[str, int] = {}
    for item in keep:
        rules[item.rule] = rules.get(item.rule, 0) + 1

    def are(n: int, noun: str) -> str:
        return f"{plural(n, noun)} {'is' if n == 1 else 'are'}"

    grace = format_duration(policy.grace)
    said = {
        "young-orphan": lambda n: f"{are(n, 'orphan')} younger than the {grace} grace",
        "blocked-by-unreadable": lambda n: (f"{plural(n, 'blob')} kept while {plural(len(unreadable), 'manifest')} "
                                            f"cannot be read ({_names(unreadable, 3)}; --ignore-unreadable "
                                            "overrides)"),
        "referenced": lambda n: f"{are(n, 'blob')} referenced by kept cache names",
        "no-policy": lambda n: (f"no cache name expires without --max-age or --keep "
                                f"({plural(n, 'cache name')} kept)"),
        "within-max-age": lambda n: (f"{plural(n, 'cache name')} exported within max-age "
                                     f"{format_duration(policy.max_age or timedelta(0))}"),
        "newest": lambda n: f"{are(n, 'cache name')} among the {policy.keep} newest of their group",
        "filtered": lambda n: f"{are(n, 'cache name')} outside --include/--exclude",
        "unreadable": lambda n: f"{are(n, 'manifest')} unreadable",
        "not-a-digest": lambda n: f"{plural(n, 'blob')} not named by a digest (not BuildKit's)",
    }
    out = [said[rule](rules[rule]) for rule in said if rules.get(rule)]
    if kept_broken:
        n = len(kept_broken)
        out.append(f"{plural(n, 'cache name')} {'references' if n == 1 else 'reference'} a missing blob "
                   f"({_drop_hint(policy, 'it' if n == 1 else 'them')})")
    return tuple(out)
