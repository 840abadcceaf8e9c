"""Listing and du under network faults: exact results or a clear error, never a silent partial result.

Every request goes through `tests/support/faultproxy.py` (our own proxy in front of Azurite), which resets
connections mid-response, stalls, adds latency or answers 500/503 with Retry-After. The data is
read directly from Azurite as well, and the two must match exactly whenever aztui says it is done.
Retries must follow the profile's max_retries / retry_delay (attempts counted at the proxy).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest

from aztui.azure.blobs import BlobInfo, BlobStore
from aztui.blobs.usage import measure_usage
from aztui.errors import AztuiError, ServiceError, UnreachableError
from aztui.profiles.model import Profile
from tests.support.faultproxy import Fault, FaultProxy
from tests.support.profiles import azurite_profile

PAGE = 7          # small pages: a listing of the folder takes 6 requests
LIST = "comp=list"


def direct_profile(azurite) -> Profile:
    return azurite_profile(azurite, name="direct")


def proxied(azurite, proxy: FaultProxy, **changes) -> Profile:
    settings = dict(max_retries=2, retry_delay=0.05, read_timeout=1.0, connect_timeout=2.0)
    return replace(direct_profile(azurite), name="proxied", account_url=proxy.url(azurite.account),
                   **(settings | changes))


@pytest.fixture(scope="module")
def proxy(azurite):
    with FaultProxy(azurite.port) as running:
        yield running


@pytest.fixture(scope="module")
def data(azurite):
    """A container with 40 blobs under `data/` (two tiers) and a few outside it."""
    container = "faults" + os.urandom(4).hex()

    async def seed():
        async with BlobStore(direct_profile(azurite)) as store:
            await store.create_container(container)
            await asyncio.gather(*(store.upload_blob(container, f"data/{i % 3}/blob-{i:03}", os.urandom(i * 13),
                                                     tier="cool" if i % 4 == 0 else None) for i in range(40)))
            await store.upload_blob(container, "outside.txt", b"not under data/")
            return sorted([(b.name, b.size, b.etag, b.tier) async for b in store.iter_blobs(container, "data/")])

    return container, asyncio.run(seed())


@pytest.fixture
def fresh(proxy):
    proxy.clear()
    yield proxy
    proxy.clear()


async def list_all(store: BlobStore, container: str) -> list[tuple]:
    rows, continuation = [], None
    while True:
        page = await store.list_page(container, "data/", recursive=True, page_size=PAGE, continuation=continuation)
        rows += [(b.name, b.size, b.etag, b.tier) for b in page.items if isinstance(b, BlobInfo)]
        if (continuation := page.continuation) is None:
            return sorted(rows)


def expected_usage(rows) -> tuple[int, int, dict]:
    tiers: dict[str, int] = {}
    for _, size, _, tier in rows:
        tiers[tier or "Unknown"] = tiers.get(tier or "Unknown", 0) + size
    return len(rows), sum(r[1] for r in rows), tiers


# (id, faults, outcome): "exact" = must complete with exactly the direct listing; an error class = must stop with it
SCENARIOS = [
    ("no-fault", [], "exact"),
    ("reset-before-answer-once", [Fault("reset", after_bytes=0, match=LIST)], "exact"),
    ("reset-mid-response-once", [Fault("reset", after_bytes=400, match=LIST, skip=2)], "exact"),
    ("reset-mid-headers-once", [Fault("reset", after_bytes=40, match=LIST, skip=4)], "exact"),
    ("reset-mid-response-always", [Fault("reset", after_bytes=400, match=LIST, skip=2, count=50)], UnreachableError),
    ("stall-once", [Fault("stall", match=LIST, skip=1)], "exact"),
    ("stall-always", [Fault("stall", match=LIST, skip=3, count=50)], UnreachableError),
    ("latency-every-request", [Fault("latency", delay=0.15, match=LIST, count=50)], "exact"),
    ("503-retry-after-twice", [Fault("status", status=503, retry_after=1, match=LIST, skip=1, count=2)], "exact"),
    ("500-once", [Fault("status", status=500, retry_after=None, match=LIST, skip=3)], "exact"),
    ("503-beyond-max-retries", [Fault("status", status=503, retry_after=2, match=LIST, skip=2, count=3)], ServiceError),
    # one fault per page (a skip lets the retry through): a stalled request is retried once only
    ("mixed-one-per-page", [Fault("latency", delay=0.1, match=LIST, count=2), Fault("reset", after_bytes=700, match=LIST),
                            Fault("status", status=503, match=LIST, skip=1), Fault("stall", match=LIST, skip=1)],
     "exact"),
    ("stall-twice-same-page", [Fault("stall", match=LIST, skip=1, count=2)], UnreachableError),
]


@pytest.mark.slow
@pytest.mark.parametrize("faults, outcome", [s[1:] for s in SCENARIOS], ids=[s[0] for s in SCENARIOS])
@pytest.mark.parametrize("what", ["list_page", "du"])
async def test_listing_and_du_are_exact_or_fail_clearly(azurite, fresh, data, what, faults, outcome):
    container, truth = data
    fresh.add(*[replace(f) for f in faults])  # copies: the proxy counts them down
    async with BlobStore(proxied(azurite, fresh)) as store:
        try:
            if what == "list_page":
                result = await list_all(store, container)
            else:
                usage = await measure_usage(store, container, "data/", page_size=PAGE)
                assert usage.complete
                result = (usage.blobs, usage.bytes, usage.bytes_by_tier)
        except AztuiError as error:
            assert outcome != "exact", f"should have recovered: {error.render()}"
            assert isinstance(error, outcome), error.render()
            assert error.title and error.message and error.step and "listing blobs" in error.step
            assert "Traceback" not in error.render()
        else:
            assert outcome == "exact", "completed although the fault never stopped"
            assert result == (truth if what == "list_page" else expected_usage(truth))
    assert fresh.requests(match=LIST), "no request went through the proxy"
    if faults:
        assert any(s.fault for s in fresh.requests()), "the fault was never injected"


@pytest.mark.parametrize("max_retries, delay", [(3, 0.15), (1, 0.3), (-1, 0.2), (0, 0.2)])
async def test_503_retries_follow_max_retries_and_retry_delay(azurite, fresh, data, max_retries, delay):
    """Retry n waits n x retry_delay (the Distribution driver's meaning); -1 and 0 mean no retry.

    No Retry-After here: with one, the wait is max(n x retry_delay, Retry-After) (test_retry_after.py)."""
    container, _ = data
    fresh.add(Fault("status", status=503, retry_after=None, match=LIST, count=20))
    async with BlobStore(proxied(azurite, fresh, max_retries=max_retries, retry_delay=delay)) as store:
        with pytest.raises(ServiceError, match="503"):
            await store.list_page(container, "data/", recursive=True, page_size=PAGE)
    attempts = fresh.requests(match=LIST)
    retries = max(max_retries, 0)
    assert len(attempts) == 1 + retries
    gaps = [b.at - a.at for a, b in zip(attempts, attempts[1:])]
    for n, gap in enumerate(gaps, start=1):
        assert n * delay - 0.02 <= gap <= n * delay + 0.5, gaps


async def test_503_then_success_counts_attempts(azurite, fresh, data):
    container, truth = data
    fresh.add(Fault("status", status=503, retry_after=1, match=LIST, count=2))
    async with BlobStore(proxied(azurite, fresh, max_retries=2)) as store:
        page = await store.list_page(container, "data/", recursive=True, page_size=100)
    assert sorted((b.name, b.size, b.etag, b.tier) for b in page.items) == truth
    assert [s.fault for s in fresh.requests(match=LIST)] == ["status", "status", None]


# --- the CLI: a failure must never look like a complete listing -------------------------------

def cli(config, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aztui", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "AZTUI_LOG_FILE": str(config.parent / "aztui.log")})


@pytest.fixture
def cli_config(azurite, fresh, data, write_profiles):
    return write_profiles(f"""
        [profiles.px]
        accountname = "{azurite.account}"
        accountkey = "{azurite.key}"
        serviceurl = "{fresh.url(azurite.account)}"
        container = "{data[0]}"
        max_retries = 2
        retry_delay = "50ms"
        read_timeout = "1s"
        """)


@pytest.mark.slow
@pytest.mark.parametrize("fault, ok", [
    (None, True),
    (Fault("reset", after_bytes=500, match=LIST, skip=2), True),
    (Fault("status", status=503, match=LIST, skip=3, count=2), True),
    (Fault("reset", after_bytes=500, match=LIST, skip=2, count=50), False),
    (Fault("status", status=500, match=LIST, skip=3, count=50), False),
    (Fault("stall", match=LIST, skip=1, count=50), False),
], ids=["no-fault", "reset-once", "503-twice", "reset-always", "500-always", "stall-always"])
def test_cli_ls_json_is_exact_or_fails_without_a_valid_partial_array(cli_config, fresh, data, fault, ok):
    container, truth = data
    if fault:
        fresh.add(replace(fault))
    result = cli(cli_config, "blobs", "ls", f"px:{container}/data", "--recursive", "--json",
                 "--page-size", str(PAGE))
    assert "Traceback" not in result.stderr
    if ok:
        assert result.returncode == 0, result.stderr
        listed = json.loads(result.stdout)
        assert sorted((b["name"], b["size"], b["etag"], b["tier"]) for b in listed) == truth
    else:
        assert result.returncode == 1, result.stderr
        assert result.stderr.strip(), "no error message"
        assert "listing blobs" in result.stderr
        with pytest.raises(json.JSONDecodeError):  # the items so far never parse as a whole listing
            json.loads(result.stdout)
        assert result.stdout.startswith("[")  # it did stream something first: the failure was mid-way
        assert result.stdout.count('"name"') >= PAGE
    if fault:
        assert fresh.requests(fault=fault.mode)


@pytest.mark.slow
@pytest.mark.parametrize("fault, ok", [
    (Fault("reset", after_bytes=300, match=LIST), True),
    (Fault("status", status=503, match=LIST, count=20), False),
], ids=["reset-once", "503-always"])
def test_cli_du_json_is_exact_or_fails_with_no_output(cli_config, fresh, data, fault, ok):
    container, truth = data
    fresh.add(replace(fault))
    result = cli(cli_config, "blobs", "du", f"px:{container}/data", "--json")
    assert "Traceback" not in result.stderr
    if ok:
        assert result.returncode == 0, result.stderr
        usage = json.loads(result.stdout)
        assert (usage["blobs"], usage["bytes"], usage["bytes_by_tier"]) == expected_usage(truth)
    else:
        assert result.returncode == 1 and result.stdout == "", result.stdout
        assert "503" in result.stderr

