"""An ADLS Gen2 (hierarchical namespace) account as far as deleting goes: a proxy in front of Azurite.

    with HnsProxy(azurite, batch="each") as proxy:      # listens on 127.0.0.1:<proxy.port>
        profile = azurite_profile(azurite, account_url=proxy.account_url)
        ... proxy.dfs_deletes, proxy.batches, proxy.blob_deletes_refused ...

Azurite keeps directory markers (zero-length blobs with metadata `hdi_isfolder=true`) as plain
blobs. The proxy gives the answers an HNS account gives instead, as reported by users of the
official SDKs, and forwards every other request to Azurite unchanged:

- Blob Batch (`POST ...?comp=batch`): `batch="whole"` refuses the request with 400
  (azure-sdk-for-js#9578); `batch="each"` answers 202 with every sub-response 400; `None` forwards.
- Delete Blob on a directory marker: 400 `OperationNotSupportedOnDirectory` (azure-sdk-for-go#20665).
- Data Lake Path - Delete (`DELETE /<account>/<filesystem>/<path>?recursive=false`, the dfs
  endpoint; on loopback it shares the blob endpoint's address): 409 `DirectoryNotEmpty` (JSON
  error body, as the dfs endpoint answers) while anything is below the directory, 404
  `PathNotFound` when it does not exist, else the marker is deleted in Azurite and 200 answers.
  Only `recursive=false` is served (aztui never asks for more); anything else is a 400.

The proxy reads Azurite directly with the sync SDK and the emulator's well-known key.
Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from tests.support.faultproxy import FaultProxy, Seen

BatchMode = Literal["whole", "each"] | None

# a small ADLS Gen2 layout as Azurite can hold it: files, and directories as marker blobs
MARKER = {"hdi_isfolder": "true"}
FILES = {"top.txt": b"top", "raw/a.bin": b"aaaa", "raw/b.bin": b"bb", "raw/sub/c.bin": b"c" * 10}
DIRECTORIES = ["raw", "raw/sub", "empty"]  # `empty` exists only as its marker


async def write_layout(store, container: str) -> None:
    """Create `container` holding FILES and a marker blob for each of DIRECTORIES."""
    await store.create_container(container)
    await asyncio.gather(*(store.upload_blob(container, name, data) for name, data in FILES.items()),
                         *(store.upload_blob(container, name, b"", metadata=MARKER) for name in DIRECTORIES))


@dataclass(frozen=True)
class DfsDelete:
    path: str          # container/path
    query: dict
    status: int
    signed: bool       # an Authorization header (or a SAS signature) came with it


def _answer(status: int, reason: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}", "Connection: close"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _xml_error(status: int, code: str, message: str) -> bytes:
    body = (f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code>'
            f"<Message>{message}\nRequestId:{uuid.uuid4()}</Message></Error>").encode()
    return _answer(status, message, body, {"Content-Type": "application/xml", "x-ms-error-code": code,
                                           "x-ms-request-id": str(uuid.uuid4())})


def _json_error(status: int, code: str, message: str) -> bytes:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return _answer(status, message, body, {"Content-Type": "application/json;charset=utf-8",
                                           "x-ms-error-code": code, "x-ms-request-id": str(uuid.uuid4())})


def _batch_of_refusals(count: int) -> bytes:
    """A Blob Batch response (multipart/mixed) whose every sub-response is a 400."""
    boundary = f"batchresponse_{uuid.uuid4()}"
    error = (b'<?xml version="1.0" encoding="utf-8"?><Error><Code>FeatureNotSupportedForAccount</Code>'
             b"<Message>Blob Batch is not supported on accounts with hierarchical namespace.</Message></Error>")
    parts = []
    for index in range(count):
        parts.append(f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: {index}\r\n\r\n"
                     f"HTTP/1.1 400 Blob Batch is not supported on accounts with hierarchical namespace.\r\n"
                     f"x-ms-error-code: FeatureNotSupportedForAccount\r\nx-ms-request-id: {uuid.uuid4()}\r\n"
                     f"x-ms-version: 2025-01-05\r\nContent-Length: {len(error)}\r\n"
                     f"Content-Type: application/xml\r\n\r\n".encode() + error + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return _answer(202, "Accepted", body, {"Content-Type": f"multipart/mixed; boundary={boundary}",
                                           "x-ms-request-id": str(uuid.uuid4()), "x-ms-version": "2025-01-05"})


class HnsProxy(FaultProxy):
    """The fault proxy's loop and thread, answering what an HNS account answers differently."""

    def __init__(self, azurite, *, batch: BatchMode = "whole") -> None:
        from azure.storage.blob import BlobServiceClient

        super().__init__(azurite.port)
        self.batch = batch
        self.account = azurite.account
        self.direct = BlobServiceClient(azurite.blob_endpoint, credential={"account_name": azurite.account,
                                                                          "account_key": azurite.key})
        self.batches: list[int] = []                 # sub-requests per Blob Batch answered here
        self.blob_deletes_refused: list[str] = []    # container/path of Delete Blob on a directory
        self.dfs_deletes: list[DfsDelete] = []

    @property
    def account_url(self) -> str:
        return self.url(self.account)

    def stop(self) -> None:
        super().stop()
        self.direct.close()

    # --- Azurite, read directly ------------------------------------------------------------

    def _is_directory(self, container: str, name: str) -> bool | None:
        """True for a directory marker, False for a file, None when there is no such blob."""
        from azure.core.exceptions import ResourceNotFoundError

        try:
            props = self.direct.get_blob_client(container, name).get_blob_properties()
        except ResourceNotFoundError:
            return None
        return (props.metadata or {}).get("hdi_isfolder", "").lower() == "true"

    def _has_children(self, container: str, name: str) -> bool:
        pages = self.direct.get_container_client(container).list_blobs(name_starts_with=name + "/",
                                                                        results_per_page=1)
        return next(iter(pages), None) is not None

    def _dfs_delete(self, container: str, name: str, query: dict) -> bytes:
        if query.get("recursive") != ["false"]:
            return _json_error(400, "InvalidQueryParameterValue", "only recursive=false is served here")
        kind = self._is_directory(container, name)
        if kind is None:
            return _json_error(404, "PathNotFound", "The specified path does not exist.")
        if kind and self._has_children(container, name):
            return _json_error(409, "DirectoryNotEmpty", "The recursive query parameter value must be true "
                                                         "to delete a non-empty directory.")
        self.direct.get_blob_client(container, name).delete_blob()
        return _answer(200, "OK", b"", {"x-ms-request-id": str(uuid.uuid4())})

    # --- the proxy -------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            answer = await self._answer(head, reader)
            if answer is None:
                await self._forward(head, reader, writer)
            else:
                writer.write(answer)
                await writer.drain()
        finally:
            self._writers.discard(writer)
            if not writer.transport.is_closing():
                writer.close()

    async def _forward(self, head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """To Azurite, one request per connection (as the fault proxy does)."""
        lines = head.decode("latin-1").split("\r\n")
        with self._lock:
            self.seen.append(Seen(*(lines[0].split(" ") + ["", ""])[:2], None, time.monotonic()))
        kept = [line for line in lines[1:] if line and not line.lower().startswith(("connection:", "keep-alive:"))]
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        up_writer.write(("\r\n".join([lines[0], *kept, "Connection: close"]) + "\r\n\r\n").encode("latin-1"))
        up = asyncio.create_task(self._pipe(reader, up_writer))
        try:
            await self._pipe(up_reader, writer)
        finally:
            up.cancel()
            up_writer.transport.abort()

    async def _answer(self, head: bytes, reader: asyncio.StreamReader) -> bytes | None:
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = (lines[0].split(" ") + ["", ""])[:3]
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        parts = urlsplit(target)
        query = parse_qs(parts.query)
        segments = parts.path.split("/", 3)  # "", account, container, path
        if method == "POST" and query.get("comp") == ["batch"] and self.batch is not None:
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            count = len(re.findall(rb"(?im)^content-id:", body))
            with self._lock:
                self.batches.append(count)
            if self.batch == "whole":
                return _xml_error(400, "InvalidInput", "Blob Batch is not supported on accounts with "
                                                       "hierarchical namespace.")
            return _batch_of_refusals(count)
        if method != "DELETE" or len(segments) < 4 or not segments[3]:
            return None
        container, name = unquote(segments[2]), unquote(segments[3])
        if "recursive" in query:  # the Data Lake endpoint
            answer = await asyncio.to_thread(self._dfs_delete, container, name, query)
            status = int(answer.split(b" ", 2)[1])
            signed = "authorization" in headers or "sig" in query
            with self._lock:
                self.dfs_deletes.append(DfsDelete(f"{container}/{name}", query, status, signed))
            return answer
        if await asyncio.to_thread(self._is_directory, container, name):
            with self._lock:
                self.blob_deletes_refused.append(f"{container}/{name}")
            return _xml_error(400, "OperationNotSupportedOnDirectory",
                              "The requested operation is not supported on a directory.")
        return None
