"""ACR retries (azure-core's pipeline with aztui's policy) against a local server answering 503:
retry n waits max(n x retry_delay, Retry-After); max_retries = 0 means one attempt."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from azure.core import AsyncPipelineClient
from azure.core.pipeline.transport import AioHttpTransport
from azure.core.rest import HttpRequest

from aztui.azure.acr import acr_retry_policy
from aztui.profiles.model import Profile


class Flaky(BaseHTTPRequestHandler):
    """503 (with `retry_after`, if any) for the first `failures` requests, then 200."""

    failures, retry_after, seen = 0, None, []

    def do_GET(self) -> None:
        type(self).seen.append(time.monotonic())
        if len(self.seen) <= self.failures:
            self.send_response(503)
            if self.retry_after is not None:
                self.send_header("Retry-After", str(self.retry_after))
        else:
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def flaky():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    Flaky.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


async def get(server, **profile) -> int:
    policy = acr_retry_policy(Profile(name="r", kind="acr", auth="anonymous", **profile))
    url = f"http://127.0.0.1:{server.server_address[1]}"
    async with AsyncPipelineClient(url, policies=[policy], transport=AioHttpTransport()) as client:
        response = await client.send_request(HttpRequest("GET", url + "/v2/_catalog"))
        return response.status_code


def gaps() -> list[float]:
    return [b - a for a, b in zip(Flaky.seen, Flaky.seen[1:])]


@pytest.mark.parametrize("retry_after", [None, 0])
async def test_retry_n_waits_n_times_retry_delay(flaky, retry_after):
    Flaky.failures, Flaky.retry_after = 2, retry_after
    assert await get(flaky, max_retries=3, retry_delay=0.3) == 200
    assert len(Flaky.seen) == 3
    first, second = gaps()
    assert 0.28 <= first < 0.55 and 0.58 <= second < 0.9


async def test_a_longer_retry_after_is_honoured(flaky):
    Flaky.failures, Flaky.retry_after = 1, 2
    assert await get(flaky, max_retries=2, retry_delay=0.1) == 200
    assert len(Flaky.seen) == 2 and gaps()[0] >= 1.95


async def test_no_retries_when_max_retries_is_zero(flaky):
    Flaky.failures, Flaky.retry_after = 5, 1
    assert await get(flaky, max_retries=0, retry_delay=0.1) == 503
    assert len(Flaky.seen) == 1
