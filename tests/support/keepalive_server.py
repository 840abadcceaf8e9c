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

It runs its own asyncio loop in a daemon thread and listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading


class KeepAliveServer:
    def __init__(self, *, warm: int = 1, dead: bool = False) -> None:
        self.warm = warm
        self.dead = dead
        self.port = 0
        self.connections = 0      # accepted
        self.answered = 0         # requests answered 200
        self.dropped = 0          # requests read and then reset, unanswered
        self.methods: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._warmed: asyncio.Event | None = None

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        assert self._warmed is not None
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

    def start(self) -> "KeepAliveServer":
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            self._warmed = asyncio.Event()
            self._server = loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="keepalive-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the keep-alive server did not start")
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return

        async def shutdown() -> None:
            assert self._server is not None
            self._server.close()
            await asyncio.sleep(0)

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        assert self._thread is not None
        self._thread.join(10)
        self._loop = None

    def __enter__(self) -> "KeepAliveServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
