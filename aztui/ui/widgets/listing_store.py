"""`ListingStore`: the Containers pane's loaded rows, kept as columns instead of one object per row.

A `BlobInfo` costs ~535 bytes with its strings and datetime; a million of them did not fit the TUI's
200 MB (issue #14). Here a plain blob (not soft-deleted, no metadata, an ETag of the usual
`"0x…"` form, a UTC time) is a slice of one UTF-8 buffer of names plus a few numbers in arrays,
~50 bytes a row; everything else (folders, containers, soft-deleted blobs, blobs with metadata or
anything unusual) is kept as the object itself in a small dict. `store[i]` makes the entry again,
equal to the one given in every field.

The store also filters and sorts its rows into an order (an array of row numbers) without making
the entries, with the same results as `listing.matches` and `listing.sort_entries`.

No Textual here.
"""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta, timezone

from aztui.azure.blob_rows import BlobInfo, listed_blob
from aztui.ui.widgets.listing import Location, entry_key, entry_name, matches

_UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=_UTC)
_MICRO = timedelta(microseconds=1)
_NO_TIME = -(2 ** 63)            # last_modified None
_OLDEST = (datetime.min.replace(tzinfo=_UTC) - _EPOCH) // _MICRO  # `sort_entries`' `_OLDEST`
_CODES = 255                     # tiers and content types kept as a code (one byte, two bytes)
_TYPES = 65535
_SMALLEST, _LARGEST = -(2 ** 63), 2 ** 63 - 1
_OFFSET = 2 ** 65                # makes every packed sort number positive
_REMEMBERED = 4096               # times remembered (as microseconds, as datetimes)


def _micros(when: datetime) -> int:
    return (when - _EPOCH) // _MICRO


def _etag_number(etag) -> int | None:
    """`"0x8DCB2A0B1F4E5A6"` as a number, if the number gives back that exact text."""
    if type(etag) is not str or not etag.startswith('"0x') or not etag.endswith('"') or len(etag) > 20:
        return None
    try:
        number = int(etag[3:-1], 16)
    except ValueError:
        return None
    return number if 0 <= number < 2 ** 64 and '"0x%X"' % number == etag else None


class _Codes:
    """A small table of the distinct values of a column (tiers, content types) and their codes."""

    def __init__(self, limit: int) -> None:
        self.values: list = []
        self.codes: dict = {}
        self.limit = limit

    def code(self, value) -> int | None:
        code = self.codes.get(value)
        if code is None:
            if len(self.values) >= self.limit or not (value is None or type(value) is str):
                return None
            code = self.codes[value] = len(self.values)
            self.values.append(value)
        return code


class _Shown:
    """What a row of a plain blob shows, for measuring it (`ListingStore.widths`)."""

    __slots__ = ("name", "size", "tier", "content_type", "last_modified")
    deleted, deleted_on, remaining_days = False, None, None


class ListingStore(Sequence):
    """The rows of a listing in the order added: a sequence of `ContainerInfo`, `PrefixInfo` and
    `BlobInfo`, each made when asked for (see the module docstring)."""

    def __init__(self) -> None:
        self._names = bytearray()        # the UTF-8 names of the plain blobs, one after the other
        self._ends = array("Q")          # row i's name ends there (a kept object's name is empty)
        self._sizes = array("q")
        self._times = array("q")         # last_modified in microseconds since 1970 (UTC), or _NO_TIME
        self._etags = array("Q")
        self._tiers = array("B")
        self._types = array("H")
        self._tier_codes, self._type_codes = _Codes(_CODES), _Codes(_TYPES)
        self._kept: dict[int, object] = {}     # row -> the entry itself (folders, containers, the unusual)
        self._kept_keys: dict[str, int] = {}   # their keys -> row
        self._ascii = True               # every plain name is ASCII (the filter's fast path)
        self._names_ascending = True     # the plain names came in name order (the sort's fast path)
        self._last_name = b""
        self._micros_of: dict[datetime, int] = {}
        self._times_of: dict[int, datetime] = {}

    # --- the sequence ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        if row < 0:
            row += len(self)
        kept = self._kept.get(row)
        if kept is not None:
            return kept
        if not 0 <= row < len(self._ends):
            raise IndexError(row)
        micros = self._times[row]
        when = None if micros == _NO_TIME else (self._times_of.get(micros) or self._when(micros))
        return listed_blob(self.name_at(row), self._sizes[row], when,
                           '"0x%X"' % self._etags[row], self._tier_codes.values[self._tiers[row]],
                           self._type_codes.values[self._types[row]], {})

    def __iter__(self) -> Iterator:
        return (self[i] for i in range(len(self)))

    def name_at(self, row: int) -> str:
        """The name of a plain blob's row ("" for a kept entry's)."""
        start = self._ends[row - 1] if row else 0
        return self._names[start:self._ends[row]].decode("utf-8", "surrogatepass")

    def key_at(self, row: int) -> str:
        """`entry_key(self[row])`, without making the entry for a plain blob."""
        kept = self._kept.get(row)
        return entry_key(kept) if kept is not None else f"b:{self.name_at(row)}"

    def widths_between(self, start: int, end: int, widths_of) -> Iterator[tuple]:
        """`widths_of(self[row])` for row in range(start, end) (see `widths`)."""
        return self.widths(range(start, end), widths_of)

    def kept(self) -> Iterator:
        """The entries kept as themselves (folders, containers …), in order."""
        return (self._kept[row] for row in sorted(self._kept))

    # --- adding ---------------------------------------------------------------------------------

    def new(self, items: Iterable) -> list:
        """`items` less those already here (and repeats among them), by key: a folder can come on
        two pages of a hierarchical-namespace listing. Plain blobs are unique in a listing: they
        are checked against the page only (looking one up in the store is a search)."""
        fresh: dict[str, object] = {}
        for item in items:
            key = entry_key(item)
            if key not in fresh and key not in self._kept_keys:
                fresh[key] = item
        return list(fresh.values())

    def extend(self, items: Iterable) -> None:
        """Append `items` (a million blobs are added a page at a time: the loop keeps to locals)."""
        names, ends, sizes, times, etags = self._names, self._ends, self._sizes, self._times, self._etags
        tiers, types, tier_codes, type_codes = self._tiers, self._types, self._tier_codes.codes, self._type_codes.codes
        micros_of = self._micros_of
        for item in items:
            if type(item) is not BlobInfo:
                self._keep(item)
                continue
            fields = item.__dict__
            name, size, when, etag = fields["name"], fields["size"], fields["last_modified"], fields["etag"]
            tier, content_type = tier_codes.get(fields["tier"]), type_codes.get(fields["content_type"])
            if when is None:
                micros = _NO_TIME
            elif type(when) is datetime and when.tzinfo is _UTC:
                micros = micros_of.get(when)
                if micros is None:
                    micros = self._micros_of_new(when)
            else:
                micros = None
            if (micros is None or tier is None or content_type is None or type(name) is not str or not name
                    or type(size) is not int or not _SMALLEST <= size <= _LARGEST or len(fields) != 10
                    or fields["metadata"] or type(fields["metadata"]) is not dict or fields["deleted"] is not False
                    or fields["deleted_on"] is not None or fields["remaining_days"] is not None
                    or type(etag) is not str or etag[:3] != '"0x' or etag[-1:] != '"' or not 4 <= len(etag) <= 20):
                self._append_unusual(item)
                continue
            digits = etag[3:-1]  # upper-case hex digits, no leading zero: the number gives them back
            if not (digits.isascii() and digits.isalnum() and digits == digits.upper()
                    and (digits[0] != "0" or digits == "0")):
                self._keep(item)
                continue
            try:
                number = int(digits, 16)
                encoded = name.encode("utf-8", "surrogatepass")
            except (ValueError, UnicodeEncodeError):
                self._keep(item)
                continue
            if len(encoded) != len(name):
                self._ascii = False
            if encoded <= self._last_name:
                self._names_ascending = False
            self._last_name = encoded
            names += encoded
            ends.append(len(names))
            sizes.append(size)
            times.append(micros)
            etags.append(number)
            tiers.append(tier)
            types.append(content_type)

    def append(self, item) -> None:
        self.extend((item,))

    def _micros_of_new(self, when: datetime) -> int | None:
        """`when` (UTC) in microseconds, remembered: the rows of a listing share a few times."""
        micros = _micros(when)
        if not _NO_TIME < micros <= _LARGEST:
            return None
        if len(self._micros_of) >= _REMEMBERED:
            self._micros_of.clear()
        self._micros_of[when] = micros
        return micros

    def _append_unusual(self, item) -> None:
        """What the fast check in `extend` turned down: as columns still if it is a plain blob (with
        a tier or content type not seen before, say), else kept as it is."""
        if not self._add_plain(item):
            self._keep(item)

    def _add_plain(self, blob) -> bool:
        """Add `blob` as columns if it is a plain one and every field comes back the same."""
        if type(blob) is not BlobInfo:
            return False
        fields = blob.__dict__
        name, size, when = fields.get("name"), fields.get("size"), fields.get("last_modified")
        if (len(fields) != 10 or fields["metadata"] != {} or type(fields["metadata"]) is not dict
                or fields["deleted"] is not False or fields["deleted_on"] is not None
                or fields["remaining_days"] is not None or type(name) is not str or not name
                or type(size) is not int or not _SMALLEST <= size <= _LARGEST):
            return False
        if when is None:
            micros = _NO_TIME
        elif type(when) is datetime and when.tzinfo is _UTC:
            micros = self._micros_of_new(when)
            if micros is None:
                return False
        else:
            return False
        etag = _etag_number(fields["etag"])
        tier, content_type = self._tier_codes.code(fields["tier"]), self._type_codes.code(fields["content_type"])
        if etag is None or tier is None or content_type is None:
            return False
        try:
            encoded = name.encode("utf-8", "surrogatepass")
        except UnicodeEncodeError:
            return False
        self._ascii = self._ascii and len(encoded) == len(name)
        self._names_ascending = self._names_ascending and encoded > self._last_name
        self._last_name = encoded
        self._names += encoded
        self._ends.append(len(self._names))
        self._sizes.append(size)
        self._times.append(micros)
        self._etags.append(etag)
        self._tiers.append(tier)
        self._types.append(content_type)
        return True

    def _keep(self, item) -> None:
        row = len(self._ends)
        self._ends.append(len(self._names))
        for column in (self._sizes, self._times, self._etags, self._tiers, self._types):
            column.append(0)
        self._kept[row] = item
        self._kept_keys.setdefault(entry_key(item), row)

    # --- measuring ------------------------------------------------------------------------------

    def widths(self, rows: Iterable[int], widths_of) -> Iterator[tuple]:
        """`widths_of(self[row])` for each row, cheaper: a plain blob's widths are asked of a
        stand-in with the fields a row's cells show (name, size, tier, content type, last
        modified) instead of a made `BlobInfo`. The listing measures every loaded row."""
        kept, names, ends, sizes, times, times_of = self._kept, self._names, self._ends, self._sizes, self._times, \
            self._times_of
        tiers, types, tier_values, type_values = self._tiers, self._types, self._tier_codes.values, \
            self._type_codes.values
        shown = _Shown()
        for row in rows:
            entry = kept.get(row)
            if entry is not None:
                yield widths_of(entry)
                continue
            micros = times[row]
            shown.name = names[ends[row - 1] if row else 0:ends[row]].decode("utf-8", "surrogatepass")
            shown.size, shown.tier, shown.content_type = sizes[row], tier_values[tiers[row]], type_values[types[row]]
            shown.last_modified = None if micros == _NO_TIME else (times_of.get(micros) or self._when(micros))
            yield widths_of(shown)

    def _when(self, micros: int) -> datetime:
        if len(self._times_of) >= _REMEMBERED:
            self._times_of.clear()
        when = self._times_of[micros] = _EPOCH + micros * _MICRO
        return when

    # --- finding a row --------------------------------------------------------------------------

    def index_of(self, key: str) -> int | None:
        """The row of the entry with `entry_key` `key`, or None; a plain blob is searched for in the
        names (no per-row index is kept)."""
        row = self._kept_keys.get(key)
        if row is not None or not key.startswith("b:") or len(key) == 2:
            return row
        try:
            name = key[2:].encode("utf-8", "surrogatepass")
        except UnicodeEncodeError:
            return None
        names, ends = self._names, self._ends
        at = names.find(name)
        while at != -1:
            row = bisect_right(ends, at)  # the row whose name holds byte `at` (empty names skipped)
            start = ends[row - 1] if row else 0
            if start == at and ends[row] == at + len(name):
                return row
            at = names.find(name, at + 1)
        return None

    def present(self, keys: Iterable[str]) -> set[str]:
        """Those of `keys` that are rows here: each looked up when they are few, else the names
        read once."""
        keys = set(keys)
        found = {key for key in keys if key in self._kept_keys}
        plain = {key for key in keys - found if key.startswith("b:")}
        if len(plain) <= 16:
            return found | {key for key in plain if self.index_of(key) is not None}
        kept = self._kept
        return found | plain.intersection(f"b:{self.name_at(row)}" for row in range(len(self)) if row not in kept)

    # --- filtering and sorting, into an order of rows -------------------------------------------

    def matching(self, location: Location, needle: str, rows: Iterable[int] | None = None) -> array:
        """The rows (of `rows`, else all) `listing.matches(entry, location, needle)` keeps, in order."""
        order = array("q", range(len(self)) if rows is None else rows)
        if not needle:
            return order
        if self._ascii and needle.isascii() and rows is None:
            found = set(self._plain_matches(location, needle.lower().encode()))
        else:
            found = set()
            lowered = needle.lower()
            for row in order:
                if row not in self._kept and lowered in self._shown_name(row, location).lower():
                    found.add(row)
        found.update(row for row, entry in self._kept.items() if matches(entry, location, needle))
        return array("q", (row for row in order if row in found))

    def _shown_name(self, row: int, location: Location) -> str:
        name = self.name_at(row)
        if location.container is not None and name.startswith(location.prefix):
            return name[len(location.prefix):]
        return name

    def _plain_matches(self, location: Location, needle: bytes) -> Iterator[int]:
        """The plain rows whose shown name holds `needle` (lowercase ASCII), every name being ASCII:
        found in the lowercased names at once, not row by row."""
        names, ends = self._names, self._ends
        haystack = names.lower()
        prefix = location.prefix.encode() if location.container is not None else b""
        at = haystack.find(needle)
        while at != -1:
            row = bisect_right(ends, at)
            start, end = (ends[row - 1] if row else 0), ends[row]
            if prefix and names.startswith(prefix, start, end):
                start += len(prefix)
            if at >= start and at + len(needle) <= end:
                yield row
                at = haystack.find(needle, end)
            else:
                at = haystack.find(needle, max(at + 1, start))
        del haystack

    def sorted_rows(self, rows: array, key: str, descending: bool) -> array:
        """`rows` in the order `listing.sort_entries(entries, key, descending)` gives their entries
        (a stable sort: rows of equal keys stay in the order they came). `rows` ascending, as
        `matching` gives them."""
        if key in ("size", "modified"):
            return self._sorted_by_number(rows, key, descending)
        if self._names_ascending:
            return self._merged_by_name(rows, descending)
        names, ends, kept = self._names, self._ends, self._kept

        def name_of(row):  # UTF-8 sorts as code points do
            entry = kept.get(row)
            if entry is None:
                return names[(ends[row - 1] if row else 0):ends[row]]
            return entry_name(entry).encode("utf-8", "surrogatepass")
        return array("q", sorted(rows, key=name_of, reverse=descending))

    def _number(self, row: int, key: str) -> int:
        """The size or time `sort_entries` sorts a row by, as a number."""
        entry = self._kept.get(row)
        if key == "size":
            return self._sizes[row] if entry is None else getattr(entry, "size", -1)
        if entry is None:
            micros = self._times[row]
            return _OLDEST if micros == _NO_TIME else micros
        when = getattr(entry, "last_modified", None)
        return _micros(when) if when else _OLDEST

    def _sorted_by_number(self, rows: array, key: str, descending: bool) -> array:
        """Sorted as one int per row, (number, row) packed: half the memory of a sort with a key
        function, and the row breaks ties (stable, also descending)."""
        shift, mask = max(len(self), 1).bit_length(), (1 << max(len(self), 1).bit_length()) - 1
        kept, column = self._kept, self._sizes if key == "size" else self._times
        sign = -1 if descending else 1
        if key == "modified":
            packed = [((sign * (_OLDEST if column[row] == _NO_TIME else column[row]) + _OFFSET) << shift) | row
                      if row not in kept else ((sign * self._number(row, key) + _OFFSET) << shift) | row
                      for row in rows]
        else:
            packed = [((sign * column[row] + _OFFSET) << shift) | row if row not in kept
                      else ((sign * self._number(row, key) + _OFFSET) << shift) | row for row in rows]
        packed.sort()
        return array("q", (number & mask for number in packed))

    def _merged_by_name(self, rows: array, descending: bool) -> array:
        """Sorted by name when the plain blobs came in name order (as the service lists them): only
        the kept entries (folders …) are sorted, then merged in."""
        kept = self._kept
        others = [row for row in rows if row in kept] if kept else []
        if not others:
            return array("q", reversed(rows)) if descending else array("q", rows)
        sign = -1 if descending else 1
        names, ends = self._names, self._ends

        def plain():
            for row in (reversed(rows) if descending else rows):
                if row not in kept:
                    yield names[(ends[row - 1] if row else 0):ends[row]], sign * row

        def kept_entries():
            keys = sorted(((entry_name(kept[row]).encode("utf-8", "surrogatepass"), sign * row) for row in others),
                          reverse=descending)
            return iter(keys)

        merged = heapq.merge(plain(), kept_entries(), reverse=descending)
        return array("q", (sign * row for _, row in merged))

class OrderedRows(Sequence):
    """Some rows of a store in a given order (filtered, sorted): what the listing shows."""

    def __init__(self, store: ListingStore, order: array) -> None:
        self.store, self.order = store, order

    def __len__(self) -> int:
        return len(self.order)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.store[row] for row in self.order[index]]
        return self.store[self.order[index]]

    def __iter__(self) -> Iterator:
        store = self.store
        return (store[row] for row in self.order)

    def key_at(self, index: int) -> str:
        return self.store.key_at(self.order[index])

    def widths_between(self, start: int, end: int, widths_of) -> Iterator[tuple]:
        """`widths_of(self[i])` for i in range(start, end) (see `ListingStore.widths`)."""
        return self.store.widths(self.order[start:end], widths_of)

    def index_of(self, key: str) -> int | None:
        row = self.store.index_of(key)
        if row is None:
            return None
        try:
            return self.order.index(row)
        except ValueError:
            return None
