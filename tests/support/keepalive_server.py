"""A tiny HTTP/1.1 server whose kept-alive connections go stale, as Azurite's do when they sit idle.

    with KeepAliveServer(warm=4) as server:     # http://127.0.0.1:<server.port>/
        ... 4 requests at once: each answered 200 on a connection of its own, all kept alive ...
        ... the next request on any of those connections: read, then the connection is reset ...
        server.connections, server.answered, server.dropped   # counts, for the test to assert

Each connection answers exactly one request (200, `Content-Length`, no `Connection: close`, so the
client pools it); the next request that arrives on it is read and then dropped with a reset
(SO_LINGER 0) and no answer: the client sees its pooled connection die just as it reuses it. The
first answers wait until `warm` connections are open (at most 5 s), so concurrent requests leave
that many connections in the client's pool. `dead=True`: every request on every connection is
dropped that way, new connections included (a server that is gone for good).

It runs on its own asyncio loop in a daemon thread (`LoopServer`) and listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import socket
import struct

from tests.support.loop_server import LoopServer


class KeepAliveServer(LoopServer):
    NAME = "keep-alive server"

    def __init__(self, *, warm: int = 1, dead: bool = False) -> None:
        super().__init__()
        self.warm = warm
        self.dead = dead
        self.connections = 0      # accepted
        self.answered = 0         # requests answered 200
        self.dropped = 0          # requests read and then reset, unanswered
        self.methods: list[str] = []
        self._warmed = asyncio.Event()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        if self.connections >= self.warm:
            self._warmed.set()
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                self.methods.append(lines[0].split(" ", 1)[0])
                length = next((int(line.split(":", 1)[1]) for line in lines
                               if line.lower().startswith("content-length:")), 0)
                if length:
                    await reader.readexactly(length)
                if self.dead or served:
                    self.dropped += 1
                    sock = writer.get_extra_info("socket")
                    if sock is not None:  # SO_LINGER 0: close sends RST, like a dropped connection
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    writer.transport.abort()
                    return
                try:
                    await asyncio.wait_for(self._warmed.wait(), 5)
                except TimeoutError:
                    pass
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
                served += 1
                self.answered += 1
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            writer.transport.abort()
        finally:
            self._writers.discard(writer)
