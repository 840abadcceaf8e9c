"""A Blob endpoint with millions of blobs and no storage: List Blobs over names generated on the fly.

    with ListServer(blobs=1_000_000) as server:        # a daemon thread on 127.0.0.1:<server.port>
        profile = Profile(..., connection_string=Secret(server.connection_string))
    python tests/support/list_server.py --blobs 1000000   # the same in a process of its own;
                                                           # prints its port, serves until killed

Azurite keeps every blob in memory and sorts the whole container on every List Blobs call, so it
cannot hold a million. This server holds none: blob i of container `big` is named
`d0003/e17/blob-00031742.bin` (100 blobs a sub-folder, 100 sub-folders a folder), so names sort
in index order and a prefix, a delimiter or a marker is a binary search over the index.
Sizes, tiers and ETags are functions of i (`blob_size`, `blob_tier`), so a test can compute
every total. It speaks what aztui's listing path sends, as the service documents it
(https://learn.microsoft.com/rest/api/storageservices/list-blobs): `restype=container&comp=list`
with `prefix`, `delimiter`, `marker`, `maxresults` (at most 5,000) answered by an
`<EnumerationResults>` page with `<NextMarker>`; Get Container Properties; List Containers.
Authorization is not checked. Requests are counted in `requests` by kind.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import sys
import threading
from collections import Counter
from email.utils import formatdate
from typing import Callable, Sequence
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
CONTAINER = "big"
MAX_RESULTS = 5000
LAST_MODIFIED = "Tue, 01 Dec 2026 10:00:00 GMT"
TIERS = ("Hot", "Cool", "Archive")


def blob_name(i: int) -> str:
    return f"d{i // 10000:04}/e{i // 100 % 100:02}/blob-{i:08}.bin"


def blob_size(i: int) -> int:
    return 1 + (i * 2654435761) % 65536


def blob_tier(i: int) -> str:
    return TIERS[i // 7 % 3]


class _Names:
    """The generated names as a sorted sequence, for `bisect`."""

    def __init__(self, count: int) -> None:
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, i: int) -> str:
        return blob_name(i)


def _blob_xml(i: int) -> str:
    return blob_xml(blob_name(i), f"0x8DC{i:013X}", blob_size(i), blob_tier(i))


def blob_xml(name: str, etag: str, size: int, tier: str) -> str:
    """One `<Blob>` as the service writes it (no metadata asked for)."""
    return (f"<Blob><Name>{escape(name)}</Name><Properties><Creation-Time>{LAST_MODIFIED}</Creation-Time>"
            f"<Last-Modified>{LAST_MODIFIED}</Last-Modified><Etag>{etag}</Etag>"
            f"<Content-Length>{size}</Content-Length><Content-Type>application/octet-stream"
            f"</Content-Type><Content-Encoding /><Content-Language /><Content-CRC64 /><Content-MD5 />"
            f"<Cache-Control /><Content-Disposition /><BlobType>BlockBlob</BlobType>"
            f"<AccessTier>{tier}</AccessTier><AccessTierInferred>false</AccessTierInferred>"
            f"<LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState>"
            f"<ServerEncrypted>true</ServerEncrypted></Properties><OrMetadata /></Blob>")


def list_page(count: int, container: str, prefix: str, delimiter: str, marker: str,
              max_results: int) -> bytes:
    """One `<EnumerationResults>` page over the generated blobs 0..count-1 (markers are `i<index>`)."""
    return list_names(_Names(count), _blob_xml, container, prefix, delimiter, marker, max_results)


def list_names(names: Sequence[str], blob: Callable[[int], str], container: str, prefix: str, delimiter: str,
               marker: str, max_results: int) -> bytes:
    """One `<EnumerationResults>` page over sorted `names`; `blob(i)` is the `<Blob>` of names[i]."""
    count = len(names)
    blob_name = names.__getitem__
    i = int(marker[1:]) if marker.startswith("i") and marker[1:].isdigit() else bisect.bisect_left(names, prefix)
    parts, taken = [], 0
    while i < count and taken < max_results:
        name = blob_name(i)
        if not name.startswith(prefix):
            i = count
            break
        cut = name.find(delimiter, len(prefix)) if delimiter else -1
        if cut >= 0:
            folder = name[:cut + len(delimiter)]
            parts.append(f"<BlobPrefix><Name>{escape(folder)}</Name></BlobPrefix>")
            # the first name past every name starting with `folder`
            i = bisect.bisect_left(names, folder[:-1] + chr(ord(folder[-1]) + 1))
        else:
            parts.append(blob(i))
            i += 1
        taken += 1
    if i < count and not blob_name(i).startswith(prefix):
        i = count
    next_marker = f"i{i}" if i < count else ""
    return ("<?xml version=\"1.0\" encoding=\"utf-8\"?>"
            f"<EnumerationResults ServiceEndpoint=\"http://127.0.0.1/{ACCOUNT}/\" ContainerName=\"{container}\">"
            f"<Prefix>{escape(prefix)}</Prefix><Marker>{escape(marker)}</Marker><MaxResults>{max_results}</MaxResults>"
            + (f"<Delimiter>{escape(delimiter)}</Delimiter>" if delimiter else "")
            + "<Blobs>" + "".join(parts) + f"</Blobs><NextMarker>{next_marker}</NextMarker></EnumerationResults>"
            ).encode()


def _error(status: int, code: str, reason: str) -> tuple[int, str, dict, bytes]:
    body = (f"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code>"
            f"<Message>{code}</Message></Error>").encode()
    return status, reason, {"x-ms-error-code": code, "Content-Type": "application/xml"}, body


class ListServer:
    """The server in a daemon thread of this process (see the module docstring)."""

    def __init__(self, blobs: int, *, container: str = CONTAINER, port: int = 0) -> None:
        self.blobs = blobs
        self.container = container
        self.requests: Counter[str] = Counter()
        self._port = port
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.base_events.Server | None = None
        self._held: tuple[int, Callable[[str], bool]] | None = None
        self._failing: tuple[int, Callable[[str], bool]] | None = None
        self._released = threading.Event()
        self.matched: Counter[str] = Counter()  # requests that `hold` ("held") or `fail` ("failing") matched

    # -- slowing and breaking a scan midway ------------------------------------------------
    def hold(self, after: int, when: Callable[[str], bool]) -> None:
        """List Blobs requests whose target satisfies `when` are answered `after` times, then wait for
        `release()` (a scan that stops midway for as long as a test looks at it)."""
        self._held, self.matched["held"] = (after, when), 0
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def fail(self, after: int, when: Callable[[str], bool]) -> None:
        """List Blobs requests satisfying `when` are answered `after` times, then refused with 403
        AuthorizationPermissionMismatch (not retried: a scan that fails midway)."""
        self._failing, self.matched["failing"] = (after, when), 0

    async def _held_back(self, target: str) -> None:
        if self._held is not None and self._held[1](target):
            self.matched["held"] += 1
            if self.matched["held"] > self._held[0]:
                await asyncio.get_running_loop().run_in_executor(None, self._released.wait)

    async def _answered(self, method: str, target: str, headers: dict, body: bytes) -> tuple[int, str, dict, bytes]:
        if "comp=list" in target and "restype=container" in target:
            await self._held_back(target)
            if self._refused(target):
                self.requests["refused"] += 1
                return _error(403, "AuthorizationPermissionMismatch", "This request is not authorized.")
        return self.answer(method, target, headers, body)

    def _refused(self, target: str) -> bool:
        if self._failing is not None and self._failing[1](target):
            self.matched["failing"] += 1
            return self.matched["failing"] > self._failing[0]
        return False

    # -- running -------------------------------------------------------------------------
    def __enter__(self) -> "ListServer":
        threading.Thread(target=self._run, daemon=True).start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        self._released.set()
        self._loop.call_soon_threadsafe(self._loop.stop)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self.handle, "127.0.0.1", self._port))
        self._ready.set()
        self._loop.run_forever()

    @property
    def port(self) -> int:
        return self._server.sockets[0].getsockname()[1]

    @property
    def blob_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
                f"BlobEndpoint={self.blob_endpoint};")

    # -- HTTP ----------------------------------------------------------------------------
    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, v in
                           (line.split(":", 1) for line in lines[1:] if ":" in line)}
                length = int(headers.get("content-length") or 0)
                body = await reader.readexactly(length) if length else b""
                status, reason, out_headers, out = await self._answered(method, target, headers, body)
                head_out = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(out)}",
                            f"x-ms-request-id: {id(out):x}", "x-ms-version: 2025-01-05",
                            f"Date: {formatdate(usegmt=True)}"] + [f"{k}: {v}" for k, v in out_headers.items()]
                writer.write(("\r\n".join(head_out) + "\r\n\r\n").encode() + out)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def answer(self, method: str, target: str, headers: dict, body: bytes) -> tuple[int, str, dict, bytes]:
        url = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        path = unquote(url.path).lstrip("/").split("/", 2)  # account, container, blob
        container = path[1] if len(path) > 1 else ""
        if method == "GET" and not container and query.get("comp") == "list":
            self.requests["list_containers"] += 1
            body = ("<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults><Containers><Container>"
                    f"<Name>{self.container}</Name><Properties><Last-Modified>{LAST_MODIFIED}</Last-Modified>"
                    "<Etag>\"0x8DC0000000000001\"</Etag><LeaseStatus>unlocked</LeaseStatus>"
                    "<LeaseState>available</LeaseState></Properties></Container></Containers>"
                    "<NextMarker /></EnumerationResults>").encode()
            return 200, "OK", {"Content-Type": "application/xml"}, body
        if container != self.container:
            return _error(404, "ContainerNotFound", "The specified container does not exist.")
        if query.get("restype") == "container" and query.get("comp") == "list" and method == "GET":
            self.requests["list_blobs"] += 1
            max_results = min(int(query.get("maxresults") or MAX_RESULTS), MAX_RESULTS)
            page = list_page(self.blobs, container, query.get("prefix", ""), query.get("delimiter", ""),
                             query.get("marker", ""), max_results)
            return 200, "OK", {"Content-Type": "application/xml"}, page
        if query.get("restype") == "container" and method in ("GET", "HEAD") and "comp" not in query:
            self.requests["container_properties"] += 1
            return 200, "OK", {"ETag": "\"0x8DC0000000000001\"", "Last-Modified": LAST_MODIFIED,
                               "x-ms-lease-status": "unlocked", "x-ms-lease-state": "available"}, b""
        return self.other(method, container, path[2] if len(path) > 2 else "", query, headers, body)

    def other(self, method, container, blob, query, headers, body) -> tuple[int, str, dict, bytes]:
        """Any other request (`blob` "" for a container request): 501 here (subclasses answer more)."""
        self.requests["other"] += 1
        return _error(501, "NotImplemented", "Not Implemented")


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve List Blobs over generated names until killed.")
    parser.add_argument("--blobs", type=int, default=1_000_000)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = ListServer(args.blobs, port=args.port)
    loop = server._loop
    asyncio.set_event_loop(loop)
    server._server = loop.run_until_complete(asyncio.start_server(server.handle, "127.0.0.1", args.port))
    print(server.port, flush=True)
    sys.stdout.close()
    try:
        loop.run_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
