"""A small Blob service with blob soft delete, for what Azurite does not do.

    with SoftDeleteServer(retention_days=7) as server:   # listens on 127.0.0.1:<server.port>
        server.put("backups", "2024/a.tar", b"...")
        profile = azurite_profile(..., account_url=server.account_url)  # any shared key works
        ... server.requests (method, path, query), server.containers ...

Azurite (3.x) keeps the service properties (`DeleteRetentionPolicy` set and read back) but
implements no soft delete: List Blobs ignores include=deleted and Undelete Blob answers 501.
This server speaks the documented wire format of the calls aztui makes there:

- Get Blob Service Properties (`GET /<account>/?restype=service&comp=properties`):
  `<StorageServiceProperties><DeleteRetentionPolicy><Enabled>…</Enabled><Days>…</Days>`.
- List Blobs (`?restype=container&comp=list`, prefix, delimiter, marker, maxresults,
  include=metadata,deleted): soft-deleted blobs only with include=deleted, as
  `<Deleted>true</Deleted>` with `<DeletedTime>` and `<RemainingRetentionDays>` in `<Properties>`.
- Get Blob Properties (HEAD), Delete Blob (If-Match honoured; with retention on, the blob is
  kept as soft-deleted), Undelete Blob (`PUT …?comp=undelete`: 200, or 404 `BlobNotFound`).

It checks that every request carries an Authorization header, not the signature.
Only 127.0.0.1 is listened on.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

ACCOUNT = "softacct"


@dataclass
class Blob:
    data: bytes
    etag: str = field(default_factory=lambda: f'"0x{uuid.uuid4().hex[:15].upper()}"')
    modified: datetime = field(default_factory=lambda: datetime.now(timezone.utc).replace(microsecond=0))
    deleted_on: datetime | None = None   # soft-deleted when set


def _http_date(when: datetime) -> str:
    return format_datetime(when, usegmt=True)


class SoftDeleteServer:
    def __init__(self, retention_days: int | None = 7) -> None:
        self.retention_days = retention_days  # None or 0: soft delete off
        self.refuse_properties = False        # 403, as to a credential that may not read them
        self.containers: dict[str, dict[str, Blob]] = {}
        self.requests: list[tuple[str, str, dict]] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._writers: set[asyncio.StreamWriter] = set()

    # --- the test's side -------------------------------------------------------------------

    @property
    def account_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    def put(self, container: str, name: str, data: bytes, *, deleted_days_ago: float | None = None) -> Blob:
        blob = Blob(data)
        if deleted_days_ago is not None:
            blob.deleted_on = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=deleted_days_ago)
        with self._lock:
            self.containers.setdefault(container, {})[name] = blob
        return blob

    def live(self, container: str) -> list[str]:
        with self._lock:
            return sorted(n for n, b in self.containers.get(container, {}).items() if b.deleted_on is None)

    def soft_deleted(self, container: str) -> list[str]:
        with self._lock:
            return sorted(n for n, b in self.containers.get(container, {}).items() if b.deleted_on is not None)

    def start(self) -> "SoftDeleteServer":
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            server = loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=run, name="soft-delete-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the soft delete server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop = None

    def __enter__(self) -> "SoftDeleteServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- HTTP ------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target = lines[0].split(" ")[:2]
                headers = {k.strip().lower(): v.strip()
                           for k, _, v in (line.partition(":") for line in lines[1:] if line)}
                if int(headers.get("content-length", "0")):
                    await reader.readexactly(int(headers["content-length"]))
                parts = urlsplit(target)
                query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                with self._lock:
                    self.requests.append((method, unquote(parts.path), query))
                    status, extra, body = self._answer(method, unquote(parts.path), query, headers)
                reason = {200: "OK", 202: "Accepted", 403: "Forbidden", 404: "Not Found",
                          412: "Precondition Failed"}.get(status, "Error")
                extra = {"Content-Length": str(len(body))} | extra  # a HEAD says the blob's length
                out = [f"HTTP/1.1 {status} {reason}", f"x-ms-request-id: {uuid.uuid4()}",
                       "x-ms-version: 2025-01-05", f"Date: {_http_date(datetime.now(timezone.utc))}"]
                out += [f"{k}: {v}" for k, v in extra.items()]
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode() + (b"" if method == "HEAD" else body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    @staticmethod
    def _error(status: int, code: str, message: str) -> tuple[int, dict, bytes]:
        body = (f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code>'
                f"<Message>{message}</Message></Error>").encode()
        return status, {"Content-Type": "application/xml", "x-ms-error-code": code}, body

    def _answer(self, method: str, path: str, query: dict, headers: dict) -> tuple[int, dict, bytes]:
        if "authorization" not in headers:
            return self._error(403, "NoAuthenticationInformation", "Server failed to authenticate the request.")
        segments = path.split("/", 3)  # "", account, container, blob
        if segments[1] != ACCOUNT:
            return self._error(404, "ResourceNotFound", "The specified resource does not exist.")
        if len(segments) == 2 or not segments[2]:
            if method == "GET" and query.get("comp") == "properties":
                if self.refuse_properties:
                    return self._error(403, "AuthorizationPermissionMismatch",
                                       "This request is not authorized to perform this operation using this "
                                       "permission.")
                return self._properties()
            return self._error(400, "InvalidQueryParameterValue", "not served here")
        container = segments[2]
        if container not in self.containers:
            return self._error(404, "ContainerNotFound", "The specified container does not exist.")
        if len(segments) == 3:
            if method == "GET" and query.get("comp") == "list":
                return self._list(container, query)
            return self._error(400, "InvalidQueryParameterValue", "not served here")
        return self._blob(method, container, segments[3], query, headers)

    def _properties(self) -> tuple[int, dict, bytes]:
        days = self.retention_days
        policy = (f"<Enabled>true</Enabled><Days>{days}</Days>" if days else "<Enabled>false</Enabled>")
        body = (f'<?xml version="1.0" encoding="utf-8"?><StorageServiceProperties>'
                f"<DeleteRetentionPolicy>{policy}</DeleteRetentionPolicy>"
                f"</StorageServiceProperties>").encode()
        return 200, {"Content-Type": "application/xml"}, body

    def _blob_xml(self, name: str, blob: Blob) -> str:
        props = (f"<Last-Modified>{_http_date(blob.modified)}</Last-Modified><Etag>{blob.etag.strip(chr(34))}</Etag>"
                 f"<Content-Length>{len(blob.data)}</Content-Length>"
                 f"<Content-Type>application/octet-stream</Content-Type><BlobType>BlockBlob</BlobType>"
                 f"<AccessTier>Hot</AccessTier><AccessTierInferred>true</AccessTierInferred>")
        deleted = ""
        if blob.deleted_on is not None:
            left = max(0, (self.retention_days or 0) - (datetime.now(timezone.utc) - blob.deleted_on).days)
            props += (f"<DeletedTime>{_http_date(blob.deleted_on)}</DeletedTime>"
                      f"<RemainingRetentionDays>{left}</RemainingRetentionDays>")
            deleted = "<Deleted>true</Deleted>"
        return f"<Blob><Name>{escape(name)}</Name>{deleted}<Properties>{props}</Properties><Metadata /></Blob>"

    def _list(self, container: str, query: dict) -> tuple[int, dict, bytes]:
        include = set(query.get("include", "").split(","))
        prefix, delimiter = query.get("prefix", ""), query.get("delimiter")
        marker, most = query.get("marker", ""), int(query.get("maxresults", "5000"))
        entries: dict[str, str] = {}
        for name, blob in sorted(self.containers[container].items()):
            if not name.startswith(prefix) or (blob.deleted_on is not None and "deleted" not in include):
                continue
            rest = name[len(prefix):]
            if delimiter and delimiter in rest:
                folder = prefix + rest.split(delimiter, 1)[0] + delimiter
                entries.setdefault(folder, f"<BlobPrefix><Name>{escape(folder)}</Name></BlobPrefix>")
            else:
                entries[name] = self._blob_xml(name, blob)
        keys = [k for k in sorted(entries) if k > marker] if marker else sorted(entries)
        page, more = keys[:most], keys[most:]
        next_marker = f"<NextMarker>{escape(page[-1])}</NextMarker>" if more else "<NextMarker />"
        body = (f'<?xml version="1.0" encoding="utf-8"?><EnumerationResults '
                f'ServiceEndpoint="{self.account_url}/" ContainerName="{escape(container)}">'
                f"<Prefix>{escape(prefix)}</Prefix><MaxResults>{most}</MaxResults><Blobs>"
                + "".join(entries[k] for k in page) + f"</Blobs>{next_marker}</EnumerationResults>").encode()
        return 200, {"Content-Type": "application/xml"}, body

    def _blob(self, method: str, container: str, name: str, query: dict, headers: dict) -> tuple[int, dict, bytes]:
        blob = self.containers[container].get(name)
        if method == "PUT" and query.get("comp") == "undelete":
            if blob is None:
                return self._error(404, "BlobNotFound", "The specified blob does not exist.")
            blob.deleted_on = None  # a live blob: nothing to restore, still 200
            return 200, {}, b""
        if blob is None or blob.deleted_on is not None:
            return self._error(404, "BlobNotFound", "The specified blob does not exist.")
        if method == "HEAD":
            return 200, {"Content-Length": str(len(blob.data)), "Last-Modified": _http_date(blob.modified),
                         "ETag": blob.etag, "x-ms-blob-type": "BlockBlob",
                         "Content-Type": "application/octet-stream"}, b""
        if method == "DELETE":
            if headers.get("if-match") not in (None, "*", blob.etag):
                return self._error(412, "ConditionNotMet", "The condition specified using HTTP conditional "
                                                           "header(s) is not met.")
            if self.retention_days:
                blob.deleted_on = datetime.now(timezone.utc).replace(microsecond=0)
            else:
                del self.containers[container][name]
            return 202, {"x-ms-delete-type-permanent": "false" if self.retention_days else "true"}, b""
        return self._error(400, "UnsupportedHttpVerb", "not served here")
