"""`ListingStore`: the pane's rows as columns give back every entry exactly, find rows by key, and
filter and sort them as `listing.matches` and `listing.sort_entries` do."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from aztui.azure.blob_rows import BlobInfo, PrefixInfo, listed_blob
from aztui.azure.blobs import ContainerInfo
from aztui.ui.widgets.listing import Location, entry_key, matches, sort_entries
from aztui.ui.widgets.listing_store import ListingStore, OrderedRows

UTC = timezone.utc
WHEN = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
HERE = Location("c", "logs/")


def blob(name, size=10, when=WHEN, etag='"0x8DC0B2B2B2B2B2B"', tier="Hot", content_type="text/plain", **more):
    return BlobInfo(name, size, when, etag, tier, content_type, **more)


ODD = [
    blob("logs/a.json"),
    listed_blob("logs/fast.json", 0, None, '"0x0"', None, None, {}),
    blob("logs/é-ünïcode-名前.txt", size=2 ** 40),
    blob("logs/lower", etag='"0x8dc0b2b2b2b2b2b"'),       # lowercase hex: kept as is
    blob("logs/zeros", etag='"0x0001"'),                   # leading zeros
    blob("logs/weak", etag='W/"0x1"'),
    blob("logs/bare", etag="0x1"),
    blob("logs/empty-etag", etag=""),
    blob("logs/huge-etag", etag='"0x1FFFFFFFFFFFFFFFF"'),  # more than 64 bits
    blob("logs/negative", etag='"0x-1"'),
    blob("logs/underscore", etag='"0x1_F"'),
    blob("logs/meta", metadata={"k": "v"}),
    blob("logs/dir", size=0, metadata={"hdi_isfolder": "true"}),
    blob("logs/old", when=datetime(1, 1, 1, tzinfo=UTC)),
    blob("logs/other-zone", when=datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=2)))),
    blob("logs/negative-size", size=-1),
    blob("logs/odd-tier", tier="Premium-P10", content_type="application/x-\u00e9"),
    blob("logs/gone", deleted=True, deleted_on=WHEN, remaining_days=3),
    blob("logs/gone", deleted=True, deleted_on=None, remaining_days=None),
    blob("logs/surrogate-\udcff"),
    blob("logs/back\\slash\x1b[31m"),
    PrefixInfo("logs/sub/"),
    PrefixInfo("logs/Sub/"),
    blob("logs/z", when=None),
]


def filled(entries) -> ListingStore:
    store = ListingStore()
    store.extend(entries)
    return store


def same(left, right) -> bool:
    """Equal in every field and of the same type (a dataclass's == ignores tzinfo differences)."""
    return type(left) is type(right) and left == right and vars(left) == vars(right) and all(
        getattr(getattr(left, name), "tzinfo", None) is getattr(getattr(right, name), "tzinfo", None)
        for name in vars(left))


def test_every_kind_of_entry_comes_back_equal_in_every_field():
    store = filled(ODD)
    assert len(store) == len(ODD)
    for index, entry in enumerate(ODD):
        assert same(store[index], entry), entry
        assert store.key_at(index) == entry_key(entry)
    naive = blob("logs/naive", when=datetime(2026, 1, 1))  # kept as it is (and sorts as before: not with aware times)
    assert same(filled([naive])[0], naive) and filled([naive])._kept
    assert [e for e in store] == ODD and store[-1] == ODD[-1] and store[1:3] == ODD[1:3]


def test_plain_blobs_are_columns_and_the_rest_kept_as_they_are():
    store = filled(ODD)
    kept = {entry_key(entry) for entry in store.kept()}
    plain = {"b:logs/a.json", "b:logs/fast.json", "b:logs/é-ünïcode-名前.txt", "b:logs/old", "b:logs/odd-tier",
             "b:logs/negative-size", "b:logs/surrogate-\udcff", "b:logs/back\\slash\x1b[31m", "b:logs/z"}
    assert kept == {entry_key(entry) for entry in ODD} - plain


def test_containers_are_kept_and_come_back():
    containers = [ContainerInfo("a", WHEN, None, "available"), ContainerInfo("b", None, "blob", None)]
    store = filled(containers)
    assert list(store) == containers and store.index_of("c:b") == 1


def test_index_of_finds_every_row_by_its_key_and_nothing_else():
    entries = ODD + [blob("logs/a"), blob("logs/a.json.bak"), blob("x/logs/a.json")]
    store = filled(entries)
    for entry in entries:
        found = store.index_of(entry_key(entry))
        assert found is not None and entry_key(store[found]) == entry_key(entry)
    assert store.index_of("b:logs/a") == len(ODD)
    assert store.index_of("b:logs/a.js") is None
    assert store.index_of("b:ogs/a.json") is None
    assert store.index_of("b:") is None and store.index_of("p:nowhere/") is None
    assert store.index_of("b:logs/a.jsonlogs/fast.json") is None  # across two names


def test_new_drops_the_rows_already_there_and_repeats_in_the_page():
    store = filled([PrefixInfo("raw/"), blob("a")])
    page = [PrefixInfo("raw/"), PrefixInfo("new/"), PrefixInfo("new/"), blob("b"), blob("b")]
    assert store.new(page) == [PrefixInfo("new/"), blob("b")]


def test_ordered_rows_show_a_store_in_an_order():
    store = filled(ODD)
    view = OrderedRows(store, store.sorted_rows(store.matching(HERE, ""), "name", True))
    assert list(view) == sort_entries(ODD, "name", True)
    assert view.index_of(entry_key(ODD[0])) == list(view).index(ODD[0])
    assert view.key_at(0) == entry_key(view[0])


def check_filter_and_sort(entries, location: Location, needle: str) -> None:
    store = filled(entries)
    rows = store.matching(location, needle)
    wanted = [e for e in entries if matches(e, location, needle)]
    assert [store[row] for row in rows] == wanted
    for key in ("name", "size", "modified"):
        for descending in (False, True):
            assert [store[row] for row in store.sorted_rows(rows, key, descending)] == \
                sort_entries(wanted, key, descending), (key, descending)


def test_filter_and_sort_as_the_listing_functions_do():
    for needle in ("", "a", "LOGS", "logs/", "s/a", "é", "名", "json", "sub", "\\", "zzz", "o"):
        for location in (HERE, Location("c", ""), Location("c", "logs/", "a")):
            check_filter_and_sort(ODD, location, needle)


def test_sorting_rows_listed_in_name_order_merges_the_folders_in():
    listed = [blob(f"logs/{i:03d}", size=i % 7, when=WHEN + timedelta(seconds=i % 5)) for i in range(0, 100, 3)]
    entries = listed[:5] + [PrefixInfo("logs/010/"), blob("logs/012", deleted=True), PrefixInfo("logs/")] + \
        listed[5:] + [blob("logs/000", deleted=True), PrefixInfo("logs/zzz/"), blob("logs/099", deleted=True)]
    assert filled(entries)._names_ascending and not filled(list(reversed(listed)))._names_ascending
    for needle in ("", "0", "9", "z"):
        check_filter_and_sort(entries, HERE, needle)
        check_filter_and_sort(listed, HERE, needle)
        check_filter_and_sort(list(reversed(entries)), HERE, needle)


def test_the_fast_filter_matches_only_inside_the_shown_name():
    entries = [blob("logs/ab"), blob("logs/cd"), blob("logs/logs"), blob("xlogs/b"), blob("logs/bl"),
               blob("logs/"), blob("og")]
    for needle in ("bl", "bc", "dl", "logs", "s/", "ab", "g", "gs/l", "o"):
        check_filter_and_sort(entries, HERE, needle)
        check_filter_and_sort(entries, Location("c", ""), needle)


names = st.text(alphabet=st.sampled_from("aAbB/._-é名İK\u212a"), min_size=1, max_size=8)
entries = st.lists(st.one_of(
    st.builds(blob, names.map(lambda n: "p/" + n), st.integers(0, 50),
              st.sampled_from([WHEN, None, WHEN + timedelta(seconds=1)]),
              st.sampled_from(['"0x1"', '"0x8DC0B2B2B2B2B2B"', '"0x01"', "x"]),
              st.sampled_from(["Hot", "Cool", None]), st.sampled_from(["a/b", None])),
    names.map(lambda n: PrefixInfo("p/" + n + "/")),
    st.builds(blob, names, st.integers(0, 5), deleted=st.just(True))), max_size=30)


@settings(max_examples=150, deadline=None)
@given(entries, st.text(alphabet=st.sampled_from("abAB/é名İik"), max_size=3), st.sampled_from(["", "p/"]))
def test_any_rows_round_trip_filter_and_sort_as_before(rows, needle, prefix):
    store = filled(rows)
    assert all(same(store[i], e) for i, e in enumerate(rows))
    check_filter_and_sort(rows, Location("c", prefix), needle)


def test_present_tells_the_keys_that_are_rows_few_or_many():
    store = filled(ODD)
    keys = [entry_key(entry) for entry in ODD]
    others = ["b:logs/nope", "p:logs/none/", "b:logs/a", "d:logs/a.json"]
    assert store.present(keys[:3] + others) == set(keys[:3])
    many = keys + others + [f"b:x{i}" for i in range(40)]
    assert store.present(many) == set(keys)


def test_rows_are_measured_as_their_entries():
    from aztui.ui.widgets.listing import entry_widths

    store = filled(ODD)
    for location in (HERE, Location("c", "")):
        def widths_of(entry, location=location):
            return entry_widths(entry, location)

        assert list(store.widths_between(0, len(ODD), widths_of)) == [widths_of(entry) for entry in ODD]
        view = OrderedRows(store, store.sorted_rows(store.matching(location, "o"), "size", False))
        assert list(view.widths_between(1, len(view), widths_of)) == [widths_of(entry) for entry in view[1:]]
