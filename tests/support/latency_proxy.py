"""A TCP proxy that delays every byte by a fixed time each way: a far-away endpoint on loopback.

    with LatencyProxy(upstream_port, delay=0.020) as proxy:   # 127.0.0.1:<proxy.port>
        ... point a client at proxy.port ...

Each chunk is forwarded `delay` seconds after it arrived, in order and without waiting for the
one before it to be answered (like a long cable, not a slow server): a request/response round
trip costs 2 x delay more, throughput is unchanged. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import asyncio
import threading


class LatencyProxy:
    def __init__(self, upstream_port: int, *, delay: float = 0.020) -> None:
        self.upstream_port = upstream_port
        self.delay = delay
        self.port = 0
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()

    def __enter__(self) -> "LatencyProxy":
        threading.Thread(target=self._run, name="latency-proxy", daemon=True).start()
        if not self._ready.wait(10):
            raise RuntimeError("the latency proxy did not start")
        return self

    def __exit__(self, *exc) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, client_reader, client_writer) -> None:
        self.connections += 1
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(self._pipe(client_reader, upstream_writer), self._pipe(upstream_reader, client_writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, chunk = await queue.get()
                if (wait := due - loop.time()) > 0:
                    await asyncio.sleep(wait)
                if not chunk:
                    break
                writer.write(chunk)
                await writer.drain()

        sender = asyncio.ensure_future(deliver())
        try:
            while chunk := await reader.read(65536):
                queue.put_nowait((loop.time() + self.delay, chunk))
        except ConnectionError:
            pass
        queue.put_nowait((loop.time() + self.delay, b""))
        try:
            await sender
        except ConnectionError:
            pass
        finally:
            writer.close()
