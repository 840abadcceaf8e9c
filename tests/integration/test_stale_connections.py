"""A pooled keep-alive connection the server closed while it sat idle (Azurite does: ECONNRESET on a
reused connection) is tried again on another connection; a dead server still fails fast.

Observed at a real local server (tests/support/keepalive_server.py) through aztui's own transport,
with retries off (`max_retries=0`): the stale-connection retry is not one of them.
"""

from __future__ import annotations

import asyncio

import pytest
from azure.core.exceptions import AzureError
from azure.core.rest import HttpRequest

from aztui.azure.clients import STALE_CONNECTION_RETRIES, http_transport, probe
from aztui.azure.errors import azure_errors
from aztui.errors import UnreachableError
from aztui.profiles.model import Profile
from tests.support.keepalive_server import KeepAliveServer

STEP = "reading the stale-connection test server"


def no_retries(url: str) -> Profile:
    return Profile(name="t", kind="storage", auth="anonymous", account_url=url, max_retries=0)


async def get(transport, url: str) -> int:
    response = await transport.send(HttpRequest("GET", url))
    return response.status_code


async def test_a_second_request_on_a_pool_the_server_dropped_succeeds():
    with KeepAliveServer(warm=4) as server:
        async with http_transport(no_retries(server.url())) as transport:
            # four at once: four connections, each answered once and kept in the pool
            assert await asyncio.gather(*(get(transport, server.url()) for _ in range(4))) == [200] * 4
            assert server.connections == 4
            # every pooled connection is dead on reuse; aiohttp alone tries one more, and gives up
            assert await get(transport, server.url()) == 200
            assert await get(transport, server.url()) == 200
    assert server.dropped >= 2, "the stale pooled connections were used first"
    assert server.answered == 6


async def test_a_post_on_a_stale_connection_is_not_sent_again():
    with KeepAliveServer(warm=1) as server:
        async with http_transport(no_retries(server.url())) as transport:
            assert await get(transport, server.url()) == 200
            with pytest.raises(AzureError):
                await transport.send(HttpRequest("POST", server.url("/batch"), content=b"not idempotent"))
    assert server.methods.count("POST") == 1


async def test_a_dead_server_fails_fast_with_the_step_named():
    with KeepAliveServer(dead=True) as server:
        with pytest.raises(UnreachableError) as caught:
            await probe(no_retries(server.url()), server.url(), step=STEP)
    assert caught.value.step == STEP and STEP in caught.value.render()
    assert server.connections <= 2, "a failure on a new connection is not a stale one: no more tries"


async def test_a_server_that_died_behind_a_warm_pool_fails_after_a_bounded_number_of_tries():
    with KeepAliveServer(warm=4) as server:
        async with http_transport(no_retries(server.url())) as transport:
            assert await asyncio.gather(*(get(transport, server.url()) for _ in range(4))) == [200] * 4
            server.dead = True
            with pytest.raises(UnreachableError) as caught:
                async with azure_errors(STEP):
                    await get(transport, server.url())
    assert caught.value.step == STEP
    # each try is aiohttp's two; the stale ones drain the pool, the first new connection ends it
    assert server.dropped <= 2 * (STALE_CONNECTION_RETRIES + 1)
    assert server.connections <= 4 + 2
