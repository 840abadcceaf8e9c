"""A small HTTP fault-injection proxy of our own, between aztui and a local server (Azurite).

    with FaultProxy(azurite.port) as proxy:            # listens on 127.0.0.1:<proxy.port>
        proxy.add(Fault("status", status=503, retry_after=1, count=2))   # the next 2 requests: 503
        ... point a profile at proxy.url(azurite.account) ...
        proxy.methods["DELETE"]                        # requests seen, by HTTP method

It runs its own asyncio loop in a daemon thread (`LoopServer`), so sync tests, async tests and subprocesses
(the CLI) can all go through it. Each client connection carries exactly one request: the proxy
reads the request head, rewrites `Connection` to `close` (so the server closes after its answer
and the client never reuses the connection), then pipes bytes both ways. That keeps the proxy
free of HTTP body framing while still seeing every request line.

Faults, taken in order from a queue; each applies to the next `count` requests that match
(`match`: a substring of the request line, e.g. "comp=list"; `skip`: let that many matching
requests pass first):
- "reset":   forward, then reset the client connection (RST) after `after_bytes` bytes of the response
- "stall":   read the request and never answer (until the client gives up or the proxy stops)
- "latency": wait `delay` seconds before forwarding
- "status":  answer `status` (500, 503, ...) with `Retry-After: retry_after` without forwarding
- "hook":    call `action()` (in a thread, so it may do blocking I/O straight to the server) with the
             request held, then forward it: something happens "while that request is in flight"
Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Literal

from tests.support.loop_server import LoopServer

FaultMode = Literal["reset", "stall", "latency", "status", "hook"]
_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Timeout"}


@dataclass
class Fault:
    mode: FaultMode
    count: int = 1                 # how many matching requests it applies to
    match: str = ""                # substring of the request line ("GET /acct/c?restype=...")
    skip: int = 0                  # matching requests to let through before it applies
    after_bytes: int = 0           # reset: response bytes delivered before the reset
    delay: float = 0.0             # latency: seconds
    status: int = 503              # status: the answer
    retry_after: int | None = 1    # status: the Retry-After header (None: none)
    action: Callable[[], object] | None = None   # hook: what to do before forwarding


@dataclass(frozen=True)
class Seen:
    method: str
    target: str
    fault: FaultMode | None
    at: float


class FaultProxy(LoopServer):
    NAME = "fault proxy"

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        assert upstream_host in ("127.0.0.1", "localhost"), "the proxy only talks to loopback"
        super().__init__()
        self.upstream = (upstream_host, upstream_port)
        self.seen: list[Seen] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    # --- control, from the test's thread -------------------------------------------------

    def url(self, account: str) -> str:
        return f"http://127.0.0.1:{self.port}/{account}"

    def add(self, *faults: Fault) -> None:
        with self._lock:
            self._faults.extend(faults)

    def clear(self) -> None:
        """Drop pending faults and forget the requests seen so far."""
        with self._lock:
            self._faults.clear()
            self.seen.clear()

    @property
    def pending(self) -> int:
        with self._lock:
            return sum(f.count for f in self._faults)

    @property
    def methods(self) -> Counter:
        with self._lock:
            return Counter(s.method for s in self.seen)

    def requests(self, fault: FaultMode | None | str = "any", match: str = "") -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if (fault == "any" or s.fault == fault)
                    and match in f"{s.method} {s.target}"]

    def mutating(self) -> list[Seen]:
        return [s for s in self.requests() if s.method in ("PUT", "POST", "PATCH", "DELETE")]

    # --- the proxy, on its own loop ------------------------------------------------------

    def _take_fault(self, request_line: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.match and fault.match not in request_line:
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.count -= 1
                if fault.count <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        upstream_writer = None
        try:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            request_line = lines[0]
            method, _, rest = request_line.partition(" ")
            target = rest.rsplit(" ", 1)[0]
            fault = self._take_fault(request_line)
            with self._lock:
                self.seen.append(Seen(method.upper(), target, fault.mode if fault else None, time.monotonic()))
            if fault and fault.mode == "status":
                await self._drain_body(reader, lines)
                reason = _REASONS.get(fault.status, "Error")
                body = (f'<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code>'
                        f"<Message>injected {fault.status}</Message></Error>").encode()
                answer = [f"HTTP/1.1 {fault.status} {reason}", "Content-Type: application/xml",
                          f"Content-Length: {len(body)}", "x-ms-error-code: ServerBusy", "Connection: close"]
                if fault.retry_after is not None:
                    answer.append(f"Retry-After: {fault.retry_after}")
                writer.write(("\r\n".join(answer) + "\r\n\r\n").encode() + body)
                await writer.drain()
                return
            if fault and fault.mode == "stall":
                await reader.read()  # until the client gives up and closes
                return
            if fault and fault.mode == "latency":
                await asyncio.sleep(fault.delay)
            if fault and fault.mode == "hook" and fault.action is not None:
                await asyncio.to_thread(fault.action)
            kept = [line for line in lines[1:] if line and not line.lower().startswith(("connection:",
                                                                                        "keep-alive:"))]
            new_head = "\r\n".join([request_line, *kept, "Connection: close"]) + "\r\n\r\n"
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
            upstream_writer.write(new_head.encode("latin-1"))
            limit = fault.after_bytes if fault and fault.mode == "reset" else None
            up = asyncio.create_task(self._pipe(reader, upstream_writer))
            try:
                await self._pipe(upstream_reader, writer, limit=limit)
            finally:
                up.cancel()
        finally:
            if upstream_writer is not None:
                upstream_writer.transport.abort()
            self._writers.discard(writer)
            if not writer.transport.is_closing():
                writer.close()

    @staticmethod
    async def _drain_body(reader: asyncio.StreamReader, lines: list[str]) -> None:
        for line in lines:
            if line.lower().startswith("content-length:"):
                length = int(line.split(":", 1)[1])
                if length:
                    await reader.readexactly(length)

    @staticmethod
    async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, limit: int | None = None) -> None:
        sent = 0
        try:
            while True:
                chunk = await src.read(65536)
                if not chunk:
                    break
                if limit is not None and sent + len(chunk) >= limit:
                    dst.write(chunk[:max(0, limit - sent)])
                    await dst.drain()
                    sock = dst.get_extra_info("socket")
                    if sock is not None:  # SO_LINGER 0: close sends RST, like a dropped connection
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    dst.transport.abort()
                    return
                dst.write(chunk)
                sent += len(chunk)
                await dst.drain()
            if dst.can_write_eof():
                dst.write_eof()
        except (ConnectionError, OSError):
            dst.transport.abort()
