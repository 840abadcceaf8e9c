"""Tiny loopback HTTP servers: one that records arrivals (and can stall), one with a canned error."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from email.utils import format_datetime


class LoopbackHttp:
    """A tiny HTTP server on loopback that records when each request arrived.

    `status=None` accepts requests and never answers (a stalled server or proxy).
    """

    def __init__(self, status: int | None) -> None:
        self.status = status
        self.arrivals: list[float] = []
        self.request_lines: list[str] = []
        self._server: asyncio.base_events.Server | None = None
        self._stalled: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> "LoopbackHttp":
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc) -> None:
        for writer in self._stalled:
            writer.close()
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/acct"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.arrivals.append(time.monotonic())
                self.request_lines.append(head.split(b"\r\n")[0].decode())
                if self.status is None:
                    self._stalled.append(writer)
                    return
                body = b"<?xml version='1.0' encoding='utf-8'?><Error><Code>ServerBusy</Code>" \
                       b"<Message>busy</Message></Error>"
                writer.write(f"HTTP/1.1 {self.status} Busy\r\nContent-Type: application/xml\r\n"
                             f"x-ms-error-code: ServerBusy\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                             + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


class CannedHttp:
    """Answers every request with one fixed status, headers and XML body."""

    def __init__(self, status: int, code: str, message: str, detail: str = "",
                 date: datetime | None = None) -> None:
        body = (f"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code>"
                f"<Message>{message}</Message>"
                + (f"<AuthenticationErrorDetail>{detail}</AuthenticationErrorDetail>" if detail else "")
                + "</Error>").encode()
        date = date or datetime.now(timezone.utc)
        self.response = (f"HTTP/1.1 {status} Refused\r\nContent-Type: application/xml\r\n"
                         f"x-ms-error-code: {code}\r\nDate: {format_datetime(date, usegmt=True)}\r\n"
                         f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        self.requests = 0

    async def __aenter__(self) -> "CannedHttp":
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc) -> None:
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/acct"

    async def _handle(self, reader, writer) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                self.requests += 1
                writer.write(self.response)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
