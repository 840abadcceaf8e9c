"""The List Blobs scanner (no XML parser) reads every page exactly as the XML parser does, or hands it over.

`parse_list_blobs` reads plain pages with `_scan_list_blobs` (the speed of a million-blob listing)
and everything else with `_parse_tree`; the tree parser is checked against the SDK's own
deserializer in tests/integration/test_listing_xml.py. Here: whatever the page, the scanner
either declines or gives what the tree parser gives.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from aztui.azure.blob_rows import BlobInfo, listed_blob
from aztui.azure.listing_xml import _parse_tree, _scan_list_blobs, _scan_quick, _Unusual, parse_list_blobs
from tests.support.list_server import blob_name, blob_size, blob_tier, list_page


def scanned(body: bytes):
    try:
        return _scan_list_blobs(body)
    except _Unusual:
        return None


def page(items: str, *, marker: str = "<NextMarker/>", declaration: str = '<?xml version="1.0" encoding="utf-8"?>'):
    return (f'{declaration}<EnumerationResults ServiceEndpoint="https://a/" ContainerName="c">'
            f"<Blobs>{items}</Blobs>{marker}</EnumerationResults>").encode()


FIELDS = {
    "Creation-Time": "Mon, 01 Jan 2024 00:00:00 GMT",
    "Last-Modified": "Tue, 02 Jan 2024 03:04:05 GMT",
    "Etag": "0x8DC0B2B2B2B2B2B",
    "Content-Length": "1234",
    "Content-Type": "text/plain",
    "Content-MD5": "ndTkYSaMgDT1yFZOFVxnpg==",
    "BlobType": "BlockBlob",
    "AccessTier": "Cool",
}
# names with what XML escapes, entities, characters outside ASCII, percent signs
names = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), min_size=1,
                max_size=12).filter(lambda n: all(c in "\t\n" or ord(c) >= 0x20 for c in n))


def xml_text(value: str, entities: bool) -> str:
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value.replace("\n", "&#xA;").replace("\t", "&#9;") if entities else value


@st.composite
def blobs(draw) -> str:
    name = draw(names)
    encoded = draw(st.sampled_from(["", ' Encoded="true"', ' Encoded="false"', " Encoded='1'"]))
    if "true" in encoded or "1" in encoded:
        from urllib.parse import quote

        name = quote(name, safe="")
    fields = draw(st.lists(st.sampled_from(list(FIELDS)), unique=True))
    if draw(st.booleans()):
        fields.sort(key=list(FIELDS).index)  # the service's order, mostly
    props = ""
    for tag in fields:
        form = draw(st.sampled_from(["full", "full", "full", "empty", "self-closing"]))
        value = FIELDS[tag] if tag != "Content-Type" else draw(st.sampled_from(["text/plain", "a&b", "x<y"]))
        props += (f"<{tag}>{xml_text(value, draw(st.booleans()))}</{tag}>" if form == "full"
                  else f"<{tag}></{tag}>" if form == "empty" else f"<{tag} />")
    return (f"<Blob><Name{encoded}>{xml_text(name, draw(st.booleans()))}</Name><Properties>{props}</Properties>"
            f"{draw(metadata())}</Blob>")


# metadata keys of the user's choosing, the scanner's own tag names among them
keys = st.sampled_from(["hdi_isfolder", "Name", "Blob", "Etag", "Properties", "AccessTier", "Metadata", "k_1"])


@st.composite
def metadata(draw) -> str:
    form = draw(st.sampled_from(["none", "none", "self-closing", "empty", "items"]))
    if form != "items":
        return {"none": "", "self-closing": draw(st.sampled_from(["<Metadata />", "<Metadata/>"])),
                "empty": "<Metadata></Metadata>"}[form]
    items = draw(st.dictionaries(keys, st.one_of(names, st.just("")), max_size=3))
    return "<Metadata>" + "".join(f"<{k}>{xml_text(v, draw(st.booleans()))}</{k}>" if v else f"<{k} />"
                                  for k, v in items.items()) + "</Metadata>"


@st.composite
def prefixes(draw) -> str:
    return f"<BlobPrefix><Name>{xml_text(draw(names), False)}/</Name></BlobPrefix>"


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(blobs(), prefixes()), max_size=6),
       st.sampled_from(["<NextMarker/>", "<NextMarker>2!100!MDAw</NextMarker>", "<NextMarker />", ""]))
def test_the_scanner_reads_generated_pages_as_the_parser_does(items, marker):
    body = page("".join(items), marker=marker)
    result = scanned(body)
    if result is not None:
        assert result == _parse_tree(body)
    assert parse_list_blobs(body) == _parse_tree(body)


# --- the quick scan: pages in the service's own form --------------------------------------------------

DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'
# what may follow the content type in <Properties>: the service's elements, and the tier in every form
TAIL = ["<Content-Encoding />", "<Content-MD5>ndTkYSaMgDT1yFZOFVxnpg==</Content-MD5>", "<BlobType>BlockBlob</BlobType>",
        "<AccessTierInferred>true</AccessTierInferred>", "<AccessTierChangeTime>Mon, 01 Jan 2024 00:00:00 GMT"
        "</AccessTierChangeTime>", "<LeaseStatus>unlocked</LeaseStatus>", "<ServerEncrypted>true</ServerEncrypted>",
        "<AccessTier>Hot</AccessTier>", "<AccessTier>Cool</AccessTier>", "<AccessTier />", "<AccessTier/>",
        "<AccessTier></AccessTier>", "<AccessTier>C&amp;ol</AccessTier>", "<AccessTier>&#67;old</AccessTier>"]
# metadata keys that are no tag of the page's own (those are the field scan's and the parser's)
plain_keys = st.sampled_from(["hdi_isfolder", "Name", "Etag", "Properties", "AccessTier", "k_1"])


@st.composite
def plain_metadata(draw) -> str:
    form = draw(st.sampled_from(["none", "self-closing", "items"]))
    if form != "items":
        return draw(st.sampled_from(["", "<Metadata />", "<Metadata/>"])) if form == "none" else "<Metadata />"
    items = draw(st.dictionaries(plain_keys, st.one_of(names, st.just("")), min_size=1, max_size=3))
    return "<Metadata>" + "".join(f"<{k}>{xml_text(v, draw(st.booleans()))}</{k}>" if v else f"<{k} />"
                                  for k, v in items.items()) + "</Metadata>"


@st.composite
def service_blobs(draw) -> str:
    """A blob as the service writes it: the head in its order, then any of its other properties."""
    name = xml_text(draw(names), draw(st.booleans()))
    created = draw(st.sampled_from(["", "<Creation-Time>Mon, 01 Jan 2024 00:00:00 GMT</Creation-Time>"]))
    modified = draw(st.sampled_from(["Tue, 02 Jan 2024 03:04:05 GMT", "Wed, 03 Jan 2024 13:14:15 GMT", ""]))
    etag = draw(st.sampled_from(["0x8DC0B2B2B2B2B2B", '"0x1"', 'W/"0x2"', "&quot;q&quot;", "a&amp;b", ""]))
    size = draw(st.integers(0, 2**50))
    content_type = draw(st.sampled_from(["<Content-Type>text/plain</Content-Type>", "<Content-Type />",
                                         "<Content-Type/>", "<Content-Type></Content-Type>",
                                         "<Content-Type>a&amp;b; x=&quot;1&quot;</Content-Type>"]))
    tail = "".join(draw(st.lists(st.sampled_from(TAIL), max_size=6)))  # two tiers: the first one counts
    after = draw(plain_metadata()) + draw(st.sampled_from(["", "<OrMetadata />"]))
    return (f"<Blob><Name>{name}</Name><Properties>{created}<Last-Modified>{modified}</Last-Modified>"
            f"<Etag>{etag}</Etag><Content-Length>{size}</Content-Length>{content_type}{tail}</Properties>"
            f"{after}</Blob>")


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(service_blobs(), service_blobs(), prefixes()), max_size=6),
       st.sampled_from(["<NextMarker/>", "<NextMarker>2!100!MDAw</NextMarker>", "<NextMarker />", ""]))
def test_pages_in_the_service_form_take_the_quick_scan_and_read_as_the_parser_does(items, marker):
    body = page("".join(items), marker=marker, declaration=DECLARATION)
    quick = _scan_quick(body.decode()[len(DECLARATION):])
    assert quick is not None  # the quick scan reads every page in this form
    assert quick == _parse_tree(body) == parse_list_blobs(body)


def test_a_listed_blob_is_the_blob_info_the_constructor_builds():
    """`listed_blob` fills the dataclass's fields itself: all of them, so a field added later cannot be missed."""
    from dataclasses import fields

    made = BlobInfo("a", 1, None, '"e"', "Hot", "text/plain", {"k": "v"})
    listed = listed_blob("a", 1, None, '"e"', "Hot", "text/plain", {"k": "v"})
    assert listed == made
    assert vars(listed) == vars(made) and set(vars(listed)) == {f.name for f in fields(BlobInfo)}


UNUSUAL = {
    "comment": page("<!-- <Blob><Name>ghost</Name><Properties/></Blob> --><Blob><Name>a</Name><Properties>"
                    "<Etag>1</Etag></Properties></Blob>"),
    "cdata": page("<Blob><Name><![CDATA[<b>]]></Name><Properties><Etag>1</Etag></Properties></Blob>"),
    "attribute on Blob": page('<Blob x="1"><Name>a</Name><Properties><Etag>1</Etag></Properties></Blob>'),
    "carriage return": page("<Blob><Name>a\r\nb</Name><Properties><Etag>1</Etag></Properties></Blob>"),
    "latin-1": page("<Blob><Name>\xe9</Name><Properties/></Blob>",
                    declaration='<?xml version="1.0" encoding="iso-8859-1"?>').decode().encode("latin-1"),
    "namespace": page('<Blob xmlns="urn:x"><Name>a</Name><Properties/></Blob>'),
}


HEAD = ("<Blob><Name>a</Name><Properties><Last-Modified>Tue, 02 Jan 2024 03:04:05 GMT</Last-Modified><Etag>1</Etag>"
        "<Content-Length>1</Content-Length><Content-Type />")
# the service's form, with something inside that the quick scan must not read past
UNUSUAL_IN_SERVICE_FORM = {
    "comment": page(HEAD + "<!-- </Properties></Blob> --><AccessTier>Hot</AccessTier></Properties></Blob>"),
    "processing instruction": page(HEAD + "<?x <AccessTier>Hot</AccessTier>?></Properties></Blob>"),
    "namespaced tier": page(HEAD + '<AccessTier xmlns="urn:x">Hot</AccessTier></Properties></Blob>'),
    "tier with a CR": page(HEAD + "<AccessTier>Hot\r</AccessTier></Properties></Blob>"),
    "text between blobs": page(HEAD + "</Properties></Blob>x" + HEAD + "</Properties></Blob>"),
}


def test_what_the_quick_scan_cannot_read_safely_goes_elsewhere():
    for label, body in UNUSUAL_IN_SERVICE_FORM.items():
        try:
            quick = _scan_quick(body.decode()[len(DECLARATION):])
        except _Unusual:
            quick = None
        assert quick is None, label
        assert parse_list_blobs(body) == _parse_tree(body), label
    assert _scan_quick(page(HEAD + "<AccessTier>Hot</AccessTier></Properties></Blob>").decode()[len(DECLARATION):])


def test_pages_it_cannot_read_safely_go_to_the_parser():
    for label, body in UNUSUAL.items():
        assert scanned(body) is None, label
        assert parse_list_blobs(body) == _parse_tree(body), label


def test_metadata_is_read_on_the_fast_path():
    """list_page asks for metadata (ADLS Gen2 directory markers): those pages must not fall back."""
    body = page("<Blob><Name>a</Name><Properties><Etag>1</Etag></Properties><Metadata><hdi_isfolder>true"
                "</hdi_isfolder></Metadata></Blob><Blob><Name>a/b</Name><Properties><Etag>2</Etag></Properties>"
                "<Metadata /></Blob><Blob><Name>m</Name><Properties><Etag>3</Etag></Properties><Metadata>"
                "<Name>n</Name><Etag>2&amp;3</Etag></Metadata></Blob>")
    items, _ = scanned(body)
    assert [b.metadata for b in items] == [{"hdi_isfolder": "true"}, {}, {"Name": "n", "Etag": "2&3"}]
    assert [b.is_directory for b in items] == [True, False, False]
    assert (items, None) == _parse_tree(body)


def test_malformed_pages_still_raise():
    from xml.etree.ElementTree import ParseError

    import pytest

    good = page("<Blob><Name>a</Name><Properties><Content-Length>1</Content-Length></Properties></Blob>")
    for body in (good[:-30], b"", page("<Blob><Name>a</Name><Properties><Content-Length>1kB</Content-Length>"
                                       "</Properties></Blob>")):
        with pytest.raises((ParseError, ValueError)):
            parse_list_blobs(body)


def test_the_pages_the_service_writes_take_the_fast_path():
    body = list_page(20_000, "big", "", "", "", 5000)
    items, marker = scanned(body)
    assert [(b.name, b.size, b.tier) for b in items] == [(blob_name(i), blob_size(i), blob_tier(i))
                                                          for i in range(5000)]
    assert marker == "i5000"
    assert (items, marker) == _parse_tree(body)
    folders = list_page(20_000, "big", "d0001/", "/", "", 5000)
    assert scanned(folders) == _parse_tree(folders)
    assert len(scanned(folders)[0]) == 100
