"""A Blob endpoint that deletes at once: List Blobs, Delete Blob and Blob Batch over blobs held in a dict.

    with SweepServer({"blobs/sha256:…": '"0x1"', ...}) as server:   # name -> ETag
        ... aztui cache gc --execute against server.connection_string ...
        server.deleted, server.refused                                 # what happened

What Azurite cannot show: how many guarded deletes per second aztui itself can send, with the
server answering in no time. Wire formats as the service documents them:
Delete Blob (https://learn.microsoft.com/rest/api/storageservices/delete-blob): `DELETE
/<container>/<blob>`, `If-Match` checked (412 ConditionNotMet, 404 BlobNotFound, else 202);
Get Blob Properties (`HEAD`: ETag, or 404), so a 412 can be told apart from a blob that is gone;
Blob Batch (https://learn.microsoft.com/rest/api/storageservices/blob-batch): `POST
/<container>?restype=container&comp=batch` with a `multipart/mixed` body of up to 256
`application/http` sub-requests, answered 202 with a `multipart/mixed` body of sub-responses in
the same order (`Content-ID` echoed). Listing as in `list_server`, without generated names.
"""

from __future__ import annotations

import asyncio
import re
from typing import Mapping
from urllib.parse import unquote, urlsplit

from tests.support.list_server import ListServer, _error, blob_xml, list_names

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?')
_CONTENT_ID = re.compile(rb"Content-ID:\s*(\S+)", re.I)
_IF_MATCH = re.compile(rb"^If-Match:[ \t]*([^\r\n]*?)[ \t]*\r?$", re.I | re.M)


class SweepServer(ListServer):
    def __init__(self, blobs: Mapping[str, str], *, container: str = "cache", size: int = 1024,
                 refuse_batches: bool = False) -> None:
        super().__init__(0, container=container)
        self.refuse_batches = refuse_batches  # answer every sub-request 400, as ADLS Gen2 accounts do
        self.live = dict(blobs)
        self.size = size
        self.deleted = 0
        self.refused = 0          # 412: the ETag no longer matched
        self.missing = 0

    def __exit__(self, *exc) -> None:
        """Close the open connections before the loop stops (no pending handlers left behind)."""
        async def shutdown() -> None:
            self._server.close()
            handlers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in handlers:
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        super().__exit__(*exc)

    # listing over the live names
    def answer(self, method, target, headers, body):
        query = urlsplit(target).query
        if method == "GET" and "comp=list" in query and "restype=container" in query:
            from urllib.parse import parse_qs

            q = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
            container = unquote(urlsplit(target).path).lstrip("/").split("/", 2)[1:2]
            if container != [self.container]:
                return _error(404, "ContainerNotFound", "The specified container does not exist.")
            self.requests["list_blobs"] += 1
            names = sorted(self.live)
            page = list_names(names, lambda i: blob_xml(names[i], self.live[names[i]].strip('"'), self.size, "Hot"),
                              container, q.get("prefix", ""), q.get("delimiter", ""), q.get("marker", ""),
                              min(int(q.get("maxresults") or 5000), 5000))
            return 200, "OK", {"Content-Type": "application/xml"}, page
        return super().answer(method, target, headers, body)

    def delete(self, container: str, name: str, if_match: str | None) -> tuple[int, str, str]:
        """(status, reason, error code) of one guarded delete."""
        etag = self.live.get(name) if container == self.container else None
        if etag is None:
            self.missing += 1
            return 404, "The specified blob does not exist.", "BlobNotFound"
        if if_match and if_match != "*" and if_match != etag:
            self.refused += 1
            return 412, "The condition specified using HTTP conditional header(s) is not met.", "ConditionNotMet"
        del self.live[name]
        self.deleted += 1
        return 202, "Accepted", ""

    def other(self, method, container, blob, query, headers, body):
        if method in ("GET", "HEAD") and blob and not query:  # Get Blob Properties (HEAD) / Get Blob
            self.requests["properties"] += 1
            etag = self.live.get(blob)
            if etag is None:
                status, reason, headers_out, body_out = _error(404, "BlobNotFound", "The specified blob does not exist.")
                return status, reason, headers_out, body_out if method == "GET" else b""  # HEAD: no body
            return 200, "OK", {"ETag": etag, "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT",
                               "x-ms-blob-type": "BlockBlob", "Content-Type": "application/octet-stream",
                               "x-ms-creation-time": "Mon, 01 Jan 2024 00:00:00 GMT"}, b""
        if method == "DELETE" and blob:
            self.requests["delete"] += 1
            status, reason, code = self.delete(container, blob, headers.get("if-match"))
            if code:
                return _error(status, code, reason)
            return status, reason, {"x-ms-delete-type-permanent": "true"}, b""
        if method == "POST" and query.get("comp") == "batch":
            self.requests["batch"] += 1
            return self.batch(headers, body)
        return super().other(method, container, blob, query, headers, body)

    def batch(self, headers: dict, body: bytes):
        match = _BOUNDARY.search(headers.get("content-type", ""))
        if not match:
            return _error(400, "InvalidInput", "multipart/mixed without a boundary")
        boundary = match[1].encode()
        parts = [p for p in body.split(b"--" + boundary)[1:] if not p.startswith(b"--")]
        out = []
        for index, part in enumerate(parts):
            head, _, request = part.partition(b"\r\n\r\n")
            content_id = _CONTENT_ID.search(head)
            request_line, _, sub_headers = request.partition(b"\r\n")
            method, target, _ = request_line.decode("latin-1").split(" ", 2)
            if_match = _IF_MATCH.search(sub_headers)
            path = unquote(target.partition("?")[0]).lstrip("/").split("/", 2)
            if self.refuse_batches:
                status, reason, code = 400, "Bad Request", "FeatureNotSupportedForAccount"
            elif method != "DELETE" or len(path) < 2:
                status, reason, code = 400, "Bad Request", "InvalidInput"
            else:  # /<container>/<blob> (or /<account>/<container>/<blob> on emulator-style URLs)
                container, name = (path[1], path[2]) if len(path) == 3 and path[0] != self.container else \
                    (path[0], "/".join(path[1:]))
                status, reason, code = self.delete(container, name,
                                                   if_match[1].decode("latin-1") if if_match else None)
            error = f"x-ms-error-code: {code}\r\n" if code else ""
            echo = b"Content-ID: " + content_id[1] + b"\r\n" if content_id else b""
            out.append(b"Content-Type: application/http\r\n" + echo + b"\r\n"
                       + f"HTTP/1.1 {status} {reason}\r\nx-ms-request-id: {index}\r\n"
                         f"x-ms-version: 2025-01-05\r\n{error}\r\n".encode())
        reply = b"batchresponse_aztui"
        payload = b"".join(b"--" + reply + b"\r\n" + item for item in out) + b"--" + reply + b"--\r\n"
        return 202, "Accepted", {"Content-Type": f"multipart/mixed; boundary={reply.decode()}"}, payload
