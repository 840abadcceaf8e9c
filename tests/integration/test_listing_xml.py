"""`BlobStore.list_page` parses the List Blobs XML itself: it must give exactly what the SDK's models gave.

1. Against Azurite: tricky names (unicode, spaces, `%`, `+`, `?`, `#`, the control characters
   Azurite can list, bidi marks, 1,024-character names, folders), page sizes, prefixes, recursive
   and not, and every way of signing: page by page, item by item, equal to the SDK's
   `list_blobs` / `walk_blobs` models turned into our dataclasses (the former implementation).
2. The parser alone on hand-written XML (`Encoded="true"` names, missing or empty elements, empty
   results, NextMarker), checked against the SDK's own deserializer where it can read the XML.
3. Errors: the same SDK exception and the same mapped `AztuiError` as the SDK's own listing.
"""

from __future__ import annotations

import asyncio
import random
import re
from datetime import datetime, timedelta, timezone
from functools import partial
from xml.etree.ElementTree import ParseError, fromstring

import pytest

from aztui.azure.blobs import BlobInfo, BlobPage, BlobStore, PrefixInfo, _blob_info
from aztui.azure.errors import azure_errors
from aztui.azure.listing_xml import fetch_list_blobs, list_blobs_params, parse_list_blobs, rfc1123
from aztui.errors import AztuiError, NotFoundError, ServiceError
from aztui.profiles.model import Profile, Secret
from tests.support.profiles import azurite_profile
from tests.support.tokenserver import TokenServer

TRICKY = [
    "plain.txt", "a b c.txt", " leading space", "trailing space ", "pct%41%2F%zz%.txt", "plus+sign.txt",
    "question?mark=1&x=2", "hash#tag", "amp&lt;<>'\".txt", "ünïcödé/ファイル.txt", "emoji\U0001f600/x",
    "e\u0301combining", "rtl\u202egnp.exe", "mark\u200f\u200e.txt", "isolate\u2066x\u2069", "tab\tname",
    "new\nline", "carriage\rreturn", "crlf\r\nname", "del\x7fete", "csi\x9b31m", "x" * 1024,
    "dir/" + "y" * 1020, "dir/a.txt", "dir/sub/b.txt", "dir/sub/deeper/c.txt", "dir//double", "dir/sub/",
    "%2e%2e%2fencoded", "sp ace/dir name/f", "q?/x", "#/x", "+/x", "%/x", "%/%/y", "[bold]markup[/bold]",
    "\u05e9\u05dc\u05d5\u05dd/\u0645\u0631\u062d\u0628\u0627.txt", "empty-blob",
]
PREFIXES = ["", "dir/", "dir/sub/", "emoji\U0001f600/", "ünïcödé/", "pct%", "%/", "plus+", "sp ace/", "q?",
            "#", "nothing-here/", "x" * 1000, "\u05e9"]
PAGE_SIZES = [1, 3, 5000]


key_profile = partial(azurite_profile, max_retries=0)


async def sdk_page(store: BlobStore, container: str, prefix: str = "", *, recursive: bool = False,
                   page_size: int = 500, continuation: str | None = None) -> BlobPage:
    """The former `list_page`: the SDK's paged models, turned into our dataclasses."""
    client = store.service.get_container_client(container)
    options = {"name_starts_with": prefix or None, "results_per_page": page_size}
    async with azure_errors(f"listing blobs in {container}/{prefix}"):
        paged = client.list_blobs(**options) if recursive else client.walk_blobs(delimiter="/", **options)
        pages = paged.by_page(continuation_token=continuation)
        try:
            page = await pages.__anext__()
        except StopAsyncIteration:
            return BlobPage((), None)
        items = tuple([_blob_info(item) if hasattr(item, "size") else PrefixInfo(item.name)
                       async for item in page])
        return BlobPage(items, pages.continuation_token or None)


async def all_pages(list_page, store, container, prefix, *, recursive, page_size) -> list[BlobPage]:
    pages, continuation = [], None
    while True:
        page = await list_page(store, container, prefix, recursive=recursive, page_size=page_size,
                               continuation=continuation)
        pages.append(page)
        if (continuation := page.continuation) is None:
            return pages
        assert len(pages) < 200, "the listing does not end"


async def ours(store, container, prefix, **kwargs) -> BlobPage:
    return await store.list_page(container, prefix, **kwargs)


def assert_same_pages(mine: list[BlobPage], theirs: list[BlobPage]) -> None:
    assert [p.continuation for p in mine] == [p.continuation for p in theirs]
    assert [len(p.items) for p in mine] == [len(p.items) for p in theirs]
    for page, expected in zip(mine, theirs):
        for item, want in zip(page.items, expected.items):
            assert type(item) is type(want)
            assert item == want  # every field (name, size, last_modified, etag, tier, content type, metadata)
            if isinstance(item, BlobInfo):
                assert item.last_modified.utcoffset() == want.last_modified.utcoffset() == timedelta(0)
                assert item.last_modified.tzinfo == want.last_modified.tzinfo


@pytest.fixture(scope="module")
def tricky(azurite):
    """A container holding every TRICKY name, with a few tiers, content types and sizes."""
    container = "tricky" + random.Random().randbytes(4).hex()

    async def seed():
        async with BlobStore(key_profile(azurite)) as store:
            await store.create_container(container)
            await asyncio.gather(*(
                store.upload_blob(container, name, b"" if name == "empty-blob" else name.encode() * (i + 1),
                                  tier=("cool", "archive", None)[i % 3],
                                  content_type=("text/plain; charset=utf-8", "application/x-odd+json", None)[i % 3])
                for i, name in enumerate(TRICKY)))

    asyncio.run(seed())
    return container


# --- 1. against Azurite: the same pages as the SDK's models -----------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("recursive", [True, False], ids=["recursive", "folders"])
@pytest.mark.parametrize("page_size", PAGE_SIZES)
async def test_pages_equal_the_sdk_models(azurite, tricky, recursive, page_size):
    async with BlobStore(key_profile(azurite)) as store:
        for prefix in PREFIXES:
            mine = await all_pages(ours, store, tricky, prefix, recursive=recursive, page_size=page_size)
            theirs = await all_pages(sdk_page, store, tricky, prefix, recursive=recursive, page_size=page_size)
            assert_same_pages(mine, theirs)
        if page_size == 5000 and recursive:  # the listing really holds every name, round-tripped
            everything = await all_pages(ours, store, tricky, "", recursive=True, page_size=5000)
            names = sorted(i.name for p in everything for i in p.items)
            assert names == sorted(TRICKY)
            by_name = {i.name: i for i in everything[0].items}
            assert by_name["empty-blob"].size == 0
            assert {i.tier for i in by_name.values()} >= {"Cool", "Archive", "Hot"}
            assert by_name["pct%41%2F%zz%.txt"].content_type == "application/x-odd+json"


async def test_folders_come_before_blobs_and_folders_are_prefixes(azurite, tricky):
    async with BlobStore(key_profile(azurite)) as store:
        page = await store.list_page(tricky, "dir/", page_size=5000)
    kinds = [type(i) for i in page.items]
    assert kinds == sorted(kinds, key=lambda k: k is BlobInfo)
    assert {i.prefix for i in page.items if isinstance(i, PrefixInfo)} == {"dir/sub/", "dir//"}
    assert all(i.prefix.endswith("/") for i in page.items if isinstance(i, PrefixInfo))


@pytest.fixture
def token_server(tls):
    server = TokenServer(tls["cert"], tls["key"]).start()
    yield server
    server.stop()


def sas_profile(server, token: str, **changes) -> Profile:
    return Profile(name="sas", kind="storage", auth="sas", account_url=server.blob_endpoint,
                   sas_token=Secret(token), max_retries=0, **changes)


@pytest.mark.parametrize("auth", ["shared_key_read_only", "account_sas", "container_sas", "connection_string",
                                  "anonymous_public"])
async def test_every_way_of_signing_lists_the_same(azurite, tricky, auth, container_name):
    from azure.storage.blob import (
        AccountSasPermissions,
        ContainerSasPermissions,
        ResourceTypes,
        generate_account_sas,
        generate_container_sas,
    )

    expiry = datetime.now(timezone.utc) + timedelta(hours=1)
    container = tricky
    if auth == "shared_key_read_only":
        profile = key_profile(azurite, read_only=True)
    elif auth == "account_sas":
        profile = sas_profile(azurite, generate_account_sas(
            azurite.account, azurite.key, ResourceTypes(container=True, object=True),
            AccountSasPermissions(read=True, list=True), expiry=expiry))
    elif auth == "container_sas":
        profile = sas_profile(azurite, generate_container_sas(
            azurite.account, tricky, azurite.key, permission=ContainerSasPermissions(read=True, list=True),
            expiry=expiry))
    elif auth == "connection_string":
        profile = Profile(name="cs", kind="storage", auth="connection_string",
                          connection_string=Secret(azurite.connection_string), max_retries=0)
    else:
        container = container_name
        async with BlobStore(key_profile(azurite)) as store:
            await store.create_container(container, public_access="container")
            for name in ("a/b.txt", "c d.txt", "ü/%"):
                await store.upload_blob(container, name, b"x")
        profile = Profile(name="anon", kind="storage", auth="anonymous", account_url=azurite.blob_endpoint,
                          max_retries=0)
    async with BlobStore(profile) as store:
        for recursive in (True, False):
            for prefix in ("", "dir/", "%/"):
                mine = await all_pages(ours, store, container, prefix, recursive=recursive, page_size=4)
                theirs = await all_pages(sdk_page, store, container, prefix, recursive=recursive, page_size=4)
                assert_same_pages(mine, theirs)
        assert (await store.list_page(container, page_size=5000)).items


async def test_token_auth_over_tls_lists_the_same(azurite_https, tls, token_server, container_name):
    tenant, client_id, secret = "72f988bf-86f1-41af-91ab-2d7cd011db47", "0f8fad5b-d9cb", "s3cr3t~Q8"
    token_server.register(tenant, client_id, secret)
    profile = Profile(name="tok", kind="storage", auth="client_secret", account_name=azurite_https.account,
                      account_url=azurite_https.blob_endpoint, authority_host=token_server.authority,
                      ca_bundle=tls["ca"], tenant_id=tenant, client_id=client_id, client_secret=Secret(secret),
                      max_retries=0)
    async with BlobStore(profile) as store:
        await store.create_container(container_name)
        for name in ("a/b.txt", "c d.txt", "ü/%", "q?#+"):
            await store.upload_blob(container_name, name, b"token")
        for recursive in (True, False):
            mine = await all_pages(ours, store, container_name, "", recursive=recursive, page_size=2)
            theirs = await all_pages(sdk_page, store, container_name, "", recursive=recursive, page_size=2)
            assert_same_pages(mine, theirs)
            assert mine[0].items


# --- 3. errors: the SDK's exception, the same mapped AztuiError ---------------------------------

_VOLATILE = re.compile(r"(RequestId|Time):\S+")


def exception_facts(exc: BaseException) -> tuple:
    message = _VOLATILE.sub(r"\1:*", getattr(exc, "message", str(exc)))
    info = {k: _VOLATILE.sub(r"\1:*", str(v)) for k, v in (getattr(exc, "additional_info", None) or {}).items()}
    return (type(exc), getattr(exc, "status_code", None), str(getattr(exc, "error_code", None)), message, info)


def error_facts(err: AztuiError) -> tuple:
    return (type(err), err.title, _VOLATILE.sub("*", err.message), err.hint, err.step)


async def error_cases(azurite, container: str):
    """(id, profile, container) for each refusal the service can give a listing."""
    from azure.storage.blob import (
        AccountSasPermissions,
        ContainerSasPermissions,
        ResourceTypes,
        generate_account_sas,
        generate_container_sas,
    )

    now = datetime.now(timezone.utc)
    wrong_key = "A" * 86 + "=="
    return [
        ("missing-container", key_profile(azurite), "no-such-container-here"),
        ("wrong-key", key_profile(azurite, account_key=Secret(wrong_key)), container),
        ("sas-without-list", sas_profile(azurite, generate_container_sas(
            azurite.account, container, azurite.key, permission=ContainerSasPermissions(read=True),
            expiry=now + timedelta(hours=1))), container),
        ("expired-sas", sas_profile(azurite, generate_account_sas(
            azurite.account, azurite.key, ResourceTypes(container=True, object=True),
            AccountSasPermissions(read=True, list=True), expiry=now - timedelta(hours=1),
            start=now - timedelta(hours=2))), container),
        ("anonymous-private", Profile(name="anon", kind="storage", auth="anonymous",
                                      account_url=azurite.blob_endpoint, max_retries=0), container),
    ]


async def test_refusals_raise_the_sdks_exception_and_map_the_same(azurite, tricky):
    for case, profile, container in await error_cases(azurite, tricky):
        async with BlobStore(profile) as store:
            client = store.service.get_container_client(container)
            for recursive in (True, False):
                with pytest.raises(Exception) as sdk_raised:
                    paged = client.list_blobs() if recursive else client.walk_blobs(delimiter="/")
                    await paged.by_page().__anext__()
                params = list_blobs_params(None, delimiter=None if recursive else "/", max_results=5000,
                                           marker=None)
                with pytest.raises(Exception) as we_raised:
                    await fetch_list_blobs(client, params)
                assert exception_facts(we_raised.value) == exception_facts(sdk_raised.value), case

                with pytest.raises(AztuiError) as sdk_mapped:
                    await sdk_page(store, container, recursive=recursive)
                with pytest.raises(AztuiError) as we_mapped:
                    await store.list_page(container, recursive=recursive)
                assert error_facts(we_mapped.value) == error_facts(sdk_mapped.value), case
                assert "Traceback" not in we_mapped.value.render()
        if case == "missing-container":
            assert isinstance(we_mapped.value, NotFoundError)
            assert we_mapped.value.message == "the container does not exist"


async def test_a_body_that_is_not_a_listing_is_a_clear_error():
    """A captive portal (or any non-storage endpoint) answering 200 with HTML."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Portal(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html><body>Please sign in to the hotel Wi-Fi"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Portal)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        profile = Profile(name="portal", kind="storage", auth="anonymous", max_retries=0,
                          account_url=f"http://127.0.0.1:{server.server_address[1]}/acct")
        async with BlobStore(profile) as store:
            with pytest.raises(ServiceError) as caught:
                await store.list_page("c1", recursive=True)
    finally:
        server.shutdown()
    assert caught.value.title == "Unreadable answer"
    assert "listing blobs" in caught.value.step and "could not be read" in caught.value.message
    assert "proxy" in caught.value.hint


# --- the private SDK names fetch_list_blobs relies on --------------------------------------------

async def test_the_private_sdk_names_used_still_exist(azurite, tricky, monkeypatch):
    """If this fails, a new azure-storage-blob moved them: update `fetch_list_blobs`."""
    from azure.core.pipeline import AsyncPipeline
    from azure.core.pipeline.policies import ContentDecodePolicy
    from azure.storage.blob._shared.response_handlers import process_storage_error

    assert callable(process_storage_error)
    decoded = []
    original = ContentDecodePolicy.deserialize_from_http_generics.__func__
    monkeypatch.setattr(ContentDecodePolicy, "deserialize_from_http_generics",
                        classmethod(lambda cls, *a, **k: decoded.append(1) or original(cls, *a, **k)))
    async with BlobStore(key_profile(azurite)) as store:
        client = store.service.get_container_client(tricky)
        assert isinstance(client._pipeline, AsyncPipeline)
        assert client._pipeline is client._client._client._pipeline  # what the SDK's own operations run on
        assert client.api_version == client._client._config.version  # the x-ms-version the SDK sends
        params = list_blobs_params(None, delimiter=None, max_results=1, marker=None)
        body, response = await fetch_list_blobs(client, params)
        assert isinstance(body, bytes) and body.lstrip().startswith(b"<?xml") and response.status_code == 200
        assert decoded == []  # the pipeline did not parse the XML too
        await client.get_container_properties()
        assert decoded  # (the patch does see the SDK's own decoding)


@pytest.mark.parametrize("prefix, delimiter, marker, size", [
    (None, None, None, 5000), ("dir/", "/", None, 1), ("a b/%+?#&=ü\U0001f600", "/", "2!88!MDAw+/=", 17),
    ("", None, "", 3),
])
def test_the_request_is_the_one_the_sdk_builds(prefix, delimiter, marker, size):
    from azure.core.rest import HttpRequest
    from azure.storage.blob._generated.operations._container_operations import (
        build_list_blob_flat_segment_request,
        build_list_blob_hierarchy_segment_request,
    )

    url, version = "https://acct.blob.core.windows.net/c%20x?sv=2024&sig=abc%2B", "2025-01-05"
    common = {"url": url, "version": version, "prefix": prefix or None, "marker": marker or None,
              "maxresults": size}
    if delimiter is None:
        theirs = build_list_blob_flat_segment_request(**common)
    else:
        theirs = build_list_blob_hierarchy_segment_request(delimiter=delimiter, **common)
    mine = HttpRequest("GET", url, params=list_blobs_params(prefix, delimiter=delimiter, max_results=size,
                                                            marker=marker),
                       headers={"x-ms-version": version, "Accept": "application/xml"})
    assert mine.url == theirs.url
    assert dict(mine.headers) == dict(theirs.headers)


# --- 2. the parser alone -------------------------------------------------------------------------

def xml(blobs: str, *, next_marker: str = "<NextMarker/>", head: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://a/" '
            f'ContainerName="c">{head}<Blobs>{blobs}</Blobs>{next_marker}</EnumerationResults>').encode()


def blob(name: str, props: str = "", *, encoded: str | None = None) -> str:
    attr = f' Encoded="{encoded}"' if encoded is not None else ""
    return f"<Blob><Name{attr}>{name}</Name><Properties><BlobType>BlockBlob</BlobType>{props}</Properties></Blob>"


FULL = ("<Creation-Time>Mon, 01 Jan 2024 00:00:00 GMT</Creation-Time>"
        "<Last-Modified>Tue, 02 Jan 2024 03:04:05 GMT</Last-Modified><Etag>0x8DC0B2B2B2B2B2B</Etag>"
        "<Content-Length>1234</Content-Length><Content-Type>text/plain</Content-Type>"
        "<Content-MD5>ndTkYSaMgDT1yFZOFVxnpg==</Content-MD5><AccessTier>Cool</AccessTier>"
        "<AccessTierInferred>false</AccessTierInferred>")


def sdk_parse(body: bytes, *, hierarchy: bool) -> tuple[list, str | None]:
    """What the SDK makes of `body` (its generated deserializer, then `BlobStore`'s conversion)."""
    from urllib.parse import unquote

    from azure.storage.blob._deserialize import get_blob_properties_from_generated_code
    from azure.storage.blob._generated import models
    from azure.storage.blob._generated._utils.serialization import Deserializer

    deserialize = Deserializer({k: v for k, v in models.__dict__.items() if isinstance(v, type)})
    kind = "ListBlobsHierarchySegmentResponse" if hierarchy else "ListBlobsFlatSegmentResponse"
    response = deserialize(kind, fromstring(body))
    prefixes = [PrefixInfo(unquote(p.name.content) if p.name.encoded else p.name.content)
                for p in (response.segment.blob_prefixes or [])] if hierarchy else []
    blobs = [_blob_info(get_blob_properties_from_generated_code(b)) for b in response.segment.blob_items]
    return prefixes + blobs, response.next_marker or None


SDK_READABLE = {
    "full": xml(blob("a.txt", FULL)),
    "encoded": xml(blob("a%01b%EF%BF%BEc%2Fd%25", FULL, encoded="true") + blob("raw%01", FULL, encoded="false")),
    "encoded-upper": xml(blob("x%0Ay", FULL, encoded="True")),
    "entities": xml(blob("&lt;a&gt; &amp; &#xD;&#x9;b&quot;", FULL)),
    "no-optional": xml(blob("bare")),
    "empty-elements": xml(blob("e", "<Last-Modified/><Etag/><Content-Length/><Content-Type/><AccessTier/>")),
    "quoted-etag": xml(blob("q", '<Etag>"0x1"</Etag>') + blob("w", '<Etag>W/"0x2"</Etag>')),
    "zero-size": xml(blob("z", "<Content-Length>0</Content-Length>")),
    "huge-size": xml(blob("h", "<Content-Length>190734863281250</Content-Length>")),
    "other-offset-date": xml(blob("d", "<Last-Modified>Tue, 02 Jan 2024 03:04:05 +0130</Last-Modified>")),
    "no-weekday-date": xml(blob("d", "<Last-Modified>2 Jan 2024 03:04:05 GMT</Last-Modified>")),
    "premium-tier": xml(blob("p", "<AccessTier>P10</AccessTier>") + blob("l", "<AccessTier>hot</AccessTier>")),
    "metadata-and-extras": xml("<Blob><Name>m</Name><Snapshot>2024</Snapshot><Properties><BlobType>PageBlob"
                               "</BlobType>" + FULL + "</Properties><Metadata><k>v</k><Empty/><ü>&amp;</ü><Blob>b</Blob>"
                               "<BlobPrefix>p/</BlobPrefix><Name>n</Name><NextMarker>m</NextMarker>"
                               "<Properties>x</Properties></Metadata>"
                               "<OrMetadata/></Blob>"),
    "next-marker": xml(blob("n", FULL), next_marker="<NextMarker>2!100!MDAwMDE2IWJsb2ItMDAwMDAz</NextMarker>"),
    "empty": xml(""),
    "unicode": xml(blob("ünï/ファイル\U0001f600\u202e", FULL)),
    "bom": b"\xef\xbb\xbf" + xml(blob("bom", FULL)),
}
SDK_READABLE_HIERARCHY = {
    "folders-then-blobs": xml(blob("a.txt", FULL) + "<BlobPrefix><Name>b/</Name></BlobPrefix>"
                              + blob("c.txt", FULL) + "<BlobPrefix><Name>d/</Name></BlobPrefix>",
                              head="<Delimiter>/</Delimiter>"),
    "encoded-folder": xml("<BlobPrefix><Name Encoded=\"true\">a%01/</Name></BlobPrefix>" + blob("x", FULL)),
    "only-folders": xml("<BlobPrefix><Name>only/</Name></BlobPrefix>",
                        next_marker="<NextMarker>next</NextMarker>"),
}


@pytest.mark.parametrize("body", SDK_READABLE.values(), ids=SDK_READABLE.keys())
def test_parser_equals_the_sdk_on_flat_listings(body):
    assert parse_list_blobs(body) == sdk_parse(body, hierarchy=False)


@pytest.mark.parametrize("body", [*SDK_READABLE.values(), *SDK_READABLE_HIERARCHY.values()],
                         ids=[*SDK_READABLE.keys(), *SDK_READABLE_HIERARCHY.keys()])
def test_parser_equals_the_sdk_on_folder_listings(body):
    assert parse_list_blobs(body) == sdk_parse(body, hierarchy=True)


def test_encoded_names_are_percent_decoded():
    items, _ = parse_list_blobs(SDK_READABLE["encoded"])
    assert [i.name for i in items] == ["a\x01b\ufffec/d%", "raw%01"]
    items, _ = parse_list_blobs(SDK_READABLE_HIERARCHY["encoded-folder"])
    assert items[0] == PrefixInfo("a\x01/")


def test_fields_and_missing_elements():
    (full,), marker = parse_list_blobs(SDK_READABLE["full"])
    assert full == BlobInfo(name="a.txt", size=1234, last_modified=datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
                            etag='"0x8DC0B2B2B2B2B2B"', tier="Cool", content_type="text/plain")
    assert marker is None
    (bare,), _ = parse_list_blobs(SDK_READABLE["no-optional"])
    assert bare == BlobInfo(name="bare", size=0, last_modified=None, etag="", tier=None, content_type=None)
    (empty,), _ = parse_list_blobs(SDK_READABLE["empty-elements"])
    assert (empty.size, empty.last_modified, empty.etag, empty.tier, empty.content_type) == (0, None, "", "", None)


def test_empty_results_and_next_marker():
    assert parse_list_blobs(SDK_READABLE["empty"]) == ([], None)
    assert parse_list_blobs(b"<EnumerationResults><Blobs /><NextMarker /></EnumerationResults>") == ([], None)
    assert parse_list_blobs(b"<EnumerationResults/>") == ([], None)
    _, marker = parse_list_blobs(SDK_READABLE["next-marker"])
    assert marker == "2!100!MDAwMDE2IWJsb2ItMDAwMDAz"
    items, marker = parse_list_blobs(SDK_READABLE_HIERARCHY["only-folders"])
    assert (items, marker) == ([PrefixInfo("only/")], "next")


def test_folders_come_first_whatever_the_xml_order():
    items, _ = parse_list_blobs(SDK_READABLE_HIERARCHY["folders-then-blobs"])
    assert [getattr(i, "prefix", None) or i.name for i in items] == ["b/", "d/", "a.txt", "c.txt"]


def test_malformed_bodies_raise():
    with pytest.raises(ParseError):
        parse_list_blobs(SDK_READABLE["full"][:-30])
    with pytest.raises(ParseError):
        parse_list_blobs(b"")
    with pytest.raises(ValueError):
        parse_list_blobs(xml(blob("n", "<Content-Length>12kB</Content-Length>")))
    with pytest.raises(ValueError):
        parse_list_blobs(xml(blob("d", "<Last-Modified>yesterday</Last-Modified>")))


def test_rfc1123_equals_the_sdk_deserializer():
    from email.utils import format_datetime

    from azure.storage.blob._generated._utils.serialization import Deserializer

    rng = random.Random(1123)
    texts = [format_datetime(datetime(2000, 1, 1, tzinfo=timezone.utc)
                             + timedelta(seconds=rng.randrange(0, 60 * 365 * 86400)), usegmt=True)
             for _ in range(2000)]
    texts += ["Thu, 29 Feb 2024 23:59:59 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 GMT",
              "Tue, 02 Jan 2024 03:04:05 +0000", "Tue, 02 Jan 2024 03:04:05 -0800", "Tue, 2 Jan 2024 03:04:05 GMT",
              "02 Jan 2024 03:04:05 GMT", "Tue, 02 Jan 2024 03:04:05 UT", "Tue, 02 Jan 2024 03:04:05 EST",
              "Xyz, 02 Jan 2024 03:04:05 GMT"]
    for text in texts:
        mine, theirs = rfc1123(text), Deserializer.deserialize_rfc(text)
        assert (mine, mine.utcoffset()) == (theirs, theirs.utcoffset()), text
        assert mine.tzinfo == theirs.tzinfo


# --- `blobs ls --json` writes each blob without a dict and an encoder per item: the same text --------

async def test_ls_json_text_of_a_blob_is_json_dumps_of_its_dict(azurite, tricky):
    import json

    from aztui.commands.blobs import _blob_dict, blob_json_text, blob_json_texts

    async with BlobStore(key_profile(azurite)) as store:
        listed = (await store.list_page(tricky, recursive=True, page_size=5000)).items
    when = datetime(2024, 2, 29, 23, 59, 59, 123456, tzinfo=timezone(timedelta(hours=-3, minutes=-30)))
    odd = [BlobInfo(name="\x00\x1f\u2028\u2029\\\"/\ud7ff\U0010ffff", size=2**63, last_modified=None, etag="",
                    tier=None, content_type=None),
           BlobInfo(name="n", size=0, last_modified=when, etag='W/"0x1"', tier="", content_type="a\"b")]
    for item in [*listed, *odd]:
        assert blob_json_text(item) == json.dumps(_blob_dict(item), ensure_ascii=False)
        assert json.loads(blob_json_text(item))["name"] == item.name
    # a page at a time (each date, tier and content type encoded once): the same texts; the same
    # instant in two time zones keeps its own
    same_instant = when.astimezone(timezone.utc)
    page = [*listed, *odd, PrefixInfo("p/"), *(BlobInfo(name=f"b{i}", size=i, last_modified=moment, etag="e",
                                                        tier="Hot", content_type="a\"b")
                                               for i, moment in enumerate((when, same_instant, when, None)))]
    assert blob_json_texts(page) == [json.dumps({"prefix": item.prefix}) if isinstance(item, PrefixInfo)
                                     else blob_json_text(item) for item in page]
