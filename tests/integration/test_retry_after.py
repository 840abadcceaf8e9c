"""Retry-After on 500/503: retry n waits max(n x retry_delay, Retry-After), capped at RETRY_AFTER_MAX.

Attempts and their arrival times are measured at `tests/support/faultproxy.py` in front of Azurite.
"""

from __future__ import annotations

import asyncio
import os
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from aztui.azure import clients
from aztui.azure.blobs import BlobStore
from aztui.azure.clients import RETRY_AFTER_MAX, retry_after_seconds
from aztui.errors import ServiceError
from aztui.profiles.model import Profile
from tests.support.faultproxy import Fault, FaultProxy
from tests.support.profiles import azurite_profile

NOW = datetime(2030, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
SLACK = 0.6  # scheduling noise on a busy machine, upwards only


@pytest.mark.parametrize("header, seconds", [
    ("3", 3.0), ("0.5", 0.5), ("0", 0.0), ("-4", 0.0),
    (format_datetime(NOW + timedelta(seconds=7), usegmt=True), 7.0),
    (format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0),      # a date in the past: no wait
    ("86400", RETRY_AFTER_MAX), ("1e308", RETRY_AFTER_MAX), ("inf", RETRY_AFTER_MAX),
    (format_datetime(NOW + timedelta(days=3), usegmt=True), RETRY_AFTER_MAX),
    (None, None), ("", None), ("soon", None), ("nan", None), ("Mon, 99 Foo 2030 99:99:99 GMT", None),
])
def test_retry_after_header_is_parsed_and_capped(header, seconds):
    assert retry_after_seconds(header, now=NOW) == seconds


def test_the_cap_is_sane():
    assert 10 <= RETRY_AFTER_MAX <= 120


@pytest.fixture(scope="module")
def proxy(azurite):
    with FaultProxy(azurite.port) as running:
        yield running


@pytest.fixture(scope="module")
def blob(azurite):
    """A container with one blob; reads of it are what the faults hit."""
    container = "retryafter" + os.urandom(4).hex()

    async def seed():
        async with BlobStore(profile(azurite, azurite.blob_endpoint)) as store:
            await store.create_container(container)
            await store.upload_blob(container, "r.txt", b"retry me")

    asyncio.run(seed())
    return container, "r.txt"


def profile(azurite, url: str, **changes) -> Profile:
    return azurite_profile(azurite, **{"name": "ra", "account_url": url, "read_timeout": 5.0,
                                       "connect_timeout": 2.0, **changes})


@pytest.fixture
def fresh(proxy):
    proxy.clear()
    yield proxy
    proxy.clear()


async def read_through(azurite, proxy, blob, faults, **settings) -> tuple[bytes | ServiceError, list[float]]:
    container, name = blob
    proxy.add(*faults)
    async with BlobStore(profile(azurite, proxy.url(azurite.account), **settings)) as store:
        try:
            result = await store.read_blob(container, name)
        except ServiceError as error:
            result = error
    attempts = proxy.requests(match=f"/{container}/{name}")
    return result, [b.at - a.at for a, b in zip(attempts, attempts[1:])]


async def test_retry_after_longer_than_the_backoff_is_honoured(azurite, fresh, blob):
    faults = [Fault("status", status=503, retry_after=1, match=blob[1], count=2)]
    result, gaps = await read_through(azurite, fresh, blob, faults, max_retries=3, retry_delay=0.05)
    assert result == b"retry me"
    assert len(gaps) == 2
    for gap in gaps:  # Retry-After 1 s beats 0.05 s and 0.1 s
        assert 1.0 - 0.02 <= gap <= 1.0 + SLACK, gaps


@pytest.mark.slow
async def test_the_longer_of_backoff_and_retry_after_wins(azurite, fresh, blob):
    delay = 0.7  # retry n: max(n x 0.7, 1) = 1, 1.4, 2.1
    faults = [Fault("status", status=500, retry_after=1, match=blob[1], count=20)]
    result, gaps = await read_through(azurite, fresh, blob, faults, max_retries=3, retry_delay=delay)
    assert isinstance(result, ServiceError) and "500" in result.message
    assert len(gaps) == 3  # still exactly max_retries retries
    for n, gap in enumerate(gaps, start=1):
        wait = max(n * delay, 1.0)
        assert wait - 0.02 <= gap <= wait + SLACK, gaps


async def test_retry_after_as_an_http_date(azurite, fresh, blob):
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=3), usegmt=True)
    faults = [Fault("status", status=503, retry_after=when, match=blob[1])]  # type: ignore[arg-type]
    result, gaps = await read_through(azurite, fresh, blob, faults, max_retries=2, retry_delay=0.05)
    assert result == b"retry me"
    assert len(gaps) == 1 and 1.0 <= gaps[0] <= 3.0 + SLACK, gaps  # the date has whole seconds


async def test_a_hostile_retry_after_is_capped(azurite, fresh, blob, monkeypatch):
    monkeypatch.setattr(clients, "RETRY_AFTER_MAX", 0.5)  # the real cap is 60 s; same code path
    faults = [Fault("status", status=503, retry_after=10**9, match=blob[1])]
    result, gaps = await read_through(azurite, fresh, blob, faults, max_retries=2, retry_delay=0.05)
    assert result == b"retry me"
    assert len(gaps) == 1 and 0.5 - 0.02 <= gaps[0] <= 0.5 + SLACK, gaps


async def test_unreadable_retry_after_falls_back_to_the_backoff(azurite, fresh, blob):
    faults = [Fault("status", status=503, retry_after="soon", match=blob[1], count=2)]  # type: ignore[arg-type]
    result, gaps = await read_through(azurite, fresh, blob, faults, max_retries=2, retry_delay=0.2)
    assert result == b"retry me"
    for n, gap in enumerate(gaps, start=1):
        assert n * 0.2 - 0.02 <= gap <= n * 0.2 + SLACK, gaps


@pytest.mark.parametrize("max_retries", [0, -1])
async def test_no_retry_at_all_when_retries_are_disabled(azurite, fresh, blob, max_retries):
    faults = [Fault("status", status=503, retry_after=1, match=blob[1], count=5)]
    result, gaps = await read_through(azurite, fresh, blob, faults, max_retries=max_retries, retry_delay=0.05)
    assert isinstance(result, ServiceError) and "503" in result.message
    assert gaps == []  # one attempt, and no wait after it
    assert len(fresh.requests(match=blob[1])) == 1


async def test_429_is_not_retried_by_the_storage_sdk(azurite, fresh, blob):
    """Azure Storage throttles with 503 (ServerBusy) / 500; the storage SDK never retries a 429."""
    faults = [Fault("status", status=429, retry_after=1, match=blob[1], count=5)]
    result, gaps = await read_through(azurite, fresh, blob, faults, max_retries=3, retry_delay=0.05)
    assert isinstance(result, ServiceError) and "429" in result.message
    assert gaps == []
