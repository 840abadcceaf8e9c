"""The one place that builds HTTP pipelines for a profile: retries, timeouts, TLS, read-only.

Used by the Blob service client (`blob_service`), the ACR client (`aztui.azure.acr`) and the
doctor's unauthenticated probe (`probe`).

- Retries keep the Distribution driver's meaning: retry n waits n x retry_delay;
  max_retries <= 0 disables them. A server's Retry-After (seconds or an HTTP date) is
  honoured up to RETRY_AFTER_MAX: retry n waits max(n x retry_delay, Retry-After).
  Connection and read failures are retried at most once, so a dead endpoint fails
  within seconds, not minutes.
- A pooled keep-alive connection the server closed while it sat idle (a reset, or closed
  before any answer, on a *reused* connection) is tried again on another connection, at most
  STALE_CONNECTION_RETRIES times and whatever max_retries says (idempotent methods only: the
  server may have read the request). A failure on a new connection is not retried there, so a
  dead server still fails fast.
- `connect_timeout` / `read_timeout` bound every request.
- TLS trusts `ca_bundle` if set, skips verification if `skipverify`, else the system CAs.
- A read-only profile refuses any request other than GET/HEAD/OPTIONS before it is sent.
- Request paths go out exactly as the storage SDK signs them: no dot-segment resolution,
  so a blob named `a/../b` is never confused with `b`.
The SDK is imported inside functions so that importing this module stays cheap.
"""

from __future__ import annotations

import math
import os
import sys
import weakref
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import cache
from typing import TYPE_CHECKING, Any, AsyncIterator, Mapping
from urllib.parse import urlsplit

from aztui.azure.credentials import AuthPlan, credential_for, plan_auth, tls_verify
from aztui.azure.errors import azure_errors, map_azure_error
from aztui.errors import AztuiError, ProfileError, ReadOnlyError
from aztui.profiles.model import Profile

if TYPE_CHECKING:
    from azure.storage.blob.aio import BlobServiceClient

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_TRANSPORT_RETRIES = 1  # connection / read failures: one more try, then give up
STALE_CONNECTION_RETRIES = 4  # a reused pooled connection found closed: try again, not counted as a retry
# RFC 9110 9.2.2; as aiohttp (which itself tries such a request once more, on any connection)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
RETRY_AFTER_MAX = 60.0  # seconds: the longest Retry-After honoured, so a hostile server cannot hang aztui


def retry_delays(max_retries: int, retry_delay: float) -> list[float]:
    """The waits before each retry: n x retry_delay for n = 1..max_retries; none when disabled."""
    return [n * retry_delay for n in range(1, max_retries + 1)] if max_retries > 0 else []


def copy_poll_delays(profile: Profile) -> list[float]:
    """Waits between polls of a server-side copy: the driver's copy_status_poll_* with the same meaning."""
    return retry_delays(profile.copy_status_poll_max_retry, profile.copy_status_poll_delay)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A Retry-After header (delay-seconds or an HTTP date) in seconds, within [0, RETRY_AFTER_MAX];
    None when absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), RETRY_AFTER_MAX)


def retry_wait(retry: int, retry_delay: float, retry_after: str | None) -> float:
    """THE retry rule: retry n (1, 2, ...) waits n x retry_delay, or the server's Retry-After
    header (capped at RETRY_AFTER_MAX) when that is longer."""
    return max(retry * retry_delay, retry_after_seconds(retry_after) or 0.0)


def retry_counts(profile: Profile) -> dict[str, int]:
    """How often to retry: max_retries times (none when <= 0), connection and read failures at
    most MAX_TRANSPORT_RETRIES times."""
    retries = max(profile.max_retries, 0)
    return {"retry_total": retries, "retry_status": retries,
            "retry_connect": min(retries, MAX_TRANSPORT_RETRIES),
            "retry_read": min(retries, MAX_TRANSPORT_RETRIES)}


def _retry_after_header(response: Any) -> str | None:
    """The Retry-After of the answer about to be retried (None after a connection error)."""
    return response.headers.get("Retry-After") if response is not None else None


@cache
def _retry_class() -> type:
    from azure.core.exceptions import ClientAuthenticationError
    from azure.storage.blob.aio import LinearRetry

    class DistributionRetry(LinearRetry):
        """The storage SDK's retry (its own rules for what to retry) waiting as `retry_wait` says."""

        def __init__(self, retry_delay: float, **kwargs: Any) -> None:
            super().__init__(backoff=retry_delay, random_jitter_range=0, **kwargs)

        def get_backoff_time(self, settings: dict[str, Any]) -> float:
            # `count` is the number of the retry about to happen (1, 2, ...)
            return retry_wait(settings["count"], self.backoff, settings.get("retry_after"))

        def increment(self, settings, request, response=None, error=None) -> bool:
            if isinstance(error, ClientAuthenticationError):
                return False  # a refused token request fails the same way every time
            settings["retry_after"] = _retry_after_header(response)
            return super().increment(settings, request, response=response, error=error)

    return DistributionRetry


@cache
def _core_retry_class() -> type:
    from azure.core.pipeline.policies import AsyncRetryPolicy

    class CoreRetry(AsyncRetryPolicy):
        """azure-core's retry (its own rules for what to retry, 429 included) waiting as
        `retry_wait` says (azure-core alone waits any Retry-After, however long)."""

        def __init__(self, retry_delay: float, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.retry_delay = retry_delay

        def get_backoff_time(self, settings: dict[str, Any]) -> float:
            return retry_wait(len(settings["history"]), self.retry_delay, None)

        async def sleep(self, settings, transport, response=None) -> None:
            header = _retry_after_header(response.http_response if response is not None else None)
            await transport.sleep(retry_wait(len(settings["history"]), self.retry_delay, header))

    return CoreRetry


def retry_policy(profile: Profile) -> Any:
    """The storage retry policy for `profile` (`retry_policy=` of the storage clients)."""
    return _retry_class()(profile.retry_delay, retry_to_secondary=False, **retry_counts(profile))


def core_retry_policy(profile: Profile) -> Any:
    """The same retries for an azure-core client (`retry_policy=` of the ACR client)."""
    return _core_retry_class()(profile.retry_delay, **retry_counts(profile))


class ConnectionUse:
    """Whether the last try of one request took a pooled connection (`_note_reuse` sets it)."""

    def __init__(self) -> None:
        self.reused = False


# the ConnectionUse of the request being sent in this task; aiohttp connects in the caller's task
_CONNECTION_USE: ContextVar[ConnectionUse | None] = ContextVar("aztui_connection_use", default=None)


def _note_reuse(connector: Any) -> None:
    """Make `connector.connect` say, in the request's `ConnectionUse`, whether the connection it gave
    was handed out before (a pooled one). Cheaper than aiohttp's tracing, which costs every request."""
    connect = connector.connect
    handed_out: "weakref.WeakSet[Any]" = weakref.WeakSet()

    async def connect_noting(*args: Any, **kwargs: Any) -> Any:
        connection = await connect(*args, **kwargs)
        protocol = connection.protocol
        use = _CONNECTION_USE.get()
        if use is not None:
            use.reused = protocol in handed_out
        if protocol is not None:
            handed_out.add(protocol)
        return connection

    connector.connect = connect_noting


def stale_connection(request: Any, error: Exception, use: ConnectionUse) -> bool:
    """Whether `error` is a pooled connection the server had closed, and `request` can go again:
    reset or closed before any answer, on a reused connection, the request idempotent, its body
    (if any) in memory."""
    import aiohttp

    cause = getattr(error, "inner_exception", None)
    if not use.reused or request.method.upper() not in IDEMPOTENT_METHODS:
        return False
    if isinstance(cause, aiohttp.ClientConnectorError):
        return False
    if not isinstance(cause, (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
        return False
    body = getattr(request, "data", None)
    return not getattr(request, "files", None) and (body is None or isinstance(body, (bytes, bytearray, str)))


@cache
def _transport_class() -> type:
    from azure.core.exceptions import AzureError
    from azure.core.pipeline.transport import AioHttpTransport
    from yarl import URL

    def exact(url: str) -> URL:
        # the path as the storage SDK signs it for aiohttp: requoted by yarl, dot segments kept
        return URL(url).with_path(str(URL(urlsplit(url).path)), encoded=True, keep_query=True,
                                  keep_fragment=True)

    class _ExactUrlSession:
        """An aiohttp session that keeps dot segments: yarl would resolve them (`c/a/../b` ->
        `c/b`), addressing another blob than the one the SDK named and signed."""

        def __init__(self, session: Any) -> None:
            self._session = session

        def __getattr__(self, name: str) -> Any:
            return getattr(self._session, name)

        async def __aenter__(self) -> "_ExactUrlSession":
            await self._session.__aenter__()
            return self

        async def __aexit__(self, *exc_info: Any) -> None:
            await self._session.__aexit__(*exc_info)

        def request(self, method: str, url: Any, **kwargs: Any) -> Any:
            return self._session.request(method, exact(url) if isinstance(url, str) else url, **kwargs)

    class ExactUrlTransport(AioHttpTransport):
        """azure-core's aiohttp transport, sending request paths exactly as the SDK signed them,
        with one SSL context per transport and the environment's proxy looked up once per host.

        aiohttp's `trust_env` would read ~/.netrc and the proxy variables in a worker thread on
        every request (two thread hops, ~1 ms of CPU each time); `http_transport` turns it off and
        `send` passes the same proxy (HTTP(S)_PROXY, NO_PROXY, credentials in the proxy URL)."""

        async def send(self, request: Any, **kwargs: Any) -> Any:
            if "proxy" not in kwargs and "proxies" not in kwargs:
                proxy, proxy_auth = env_proxy(request.url)
                if proxy is not None:
                    kwargs.update(proxy=proxy, proxy_auth=proxy_auth)
            for again in range(STALE_CONNECTION_RETRIES, -1, -1):
                use = ConnectionUse()
                token = _CONNECTION_USE.set(use)
                try:
                    return await super().send(request, **kwargs)
                except AzureError as error:
                    if not again or not stale_connection(request, error, use):
                        raise
                finally:
                    _CONNECTION_USE.reset(token)
            raise AssertionError("unreachable")  # pragma: no cover

        def _build_ssl_config(self, cert: Any, verify: Any) -> Any:
            # azure-core builds a new SSLContext for every request when `connection_verify` is a
            # CA bundle path (`ca_bundle`): the file is parsed again (~ms of CPU) and, as aiohttp
            # pools connections by SSL context, no connection is ever reused (a TCP and TLS
            # handshake per request). Build it once per transport and setting instead.
            key = (cert, verify)
            cached = getattr(self, "_aztui_ssl", None)
            if cached is None or cached[0] != key:
                cached = self._aztui_ssl = (key, super()._build_ssl_config(cert, verify))
            return cached[1]

        async def open(self) -> None:
            await super().open()
            if self.session is not None and not isinstance(self.session, _ExactUrlSession):
                if self.session.connector is not None:
                    _note_reuse(self.session.connector)
                self.session = _ExactUrlSession(self.session)

    return ExactUrlTransport


@cache
def _read_only_transport_class() -> type:
    class ReadOnlyTransport(_transport_class()):
        """The last hop of the pipeline: refuses mutating requests before any byte is sent."""

        async def send(self, request, **kwargs):  # type: ignore[override]
            if request.method.upper() not in SAFE_METHODS:
                raise ReadOnlyError.refusing(f"refused to send {request.method} {_path_of(request.url)}")
            return await super().send(request, **kwargs)

    return ReadOnlyTransport


def _path_of(url: str) -> str:
    return urlsplit(url).path or "/"


def http_transport(profile: Profile, *, refuse_writes: bool = False) -> Any:
    """THE aiohttp transport for `profile`: exact URLs, TLS (`ca_bundle`, `skipverify`) and
    timeouts; with `refuse_writes`, the read-only gate too."""
    cls = _read_only_transport_class() if refuse_writes else _transport_class()
    return cls(connection_verify=tls_verify(profile), connection_timeout=profile.connect_timeout,
               read_timeout=profile.read_timeout, use_env_settings=False)


def env_proxy(url: str) -> tuple[Any, Any]:
    """(proxy URL, proxy auth) the environment gives for `url`'s scheme and host, or (None, None)."""
    parts = urlsplit(url)
    return _env_proxy(parts.scheme, parts.hostname or "", _proxy_environment())


_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
                    "http_proxy", "https_proxy", "all_proxy", "no_proxy")


def _proxy_environment() -> tuple:
    """The proxy variables' values: the cache key, so a changed environment is read again."""
    import os

    return tuple(os.environ.get(name) for name in _PROXY_VARIABLES)


@cache
def _env_proxy(scheme: str, host: str, environment: tuple) -> tuple[Any, Any]:
    from aiohttp.helpers import get_env_proxy_for_url
    from yarl import URL

    try:
        return get_env_proxy_for_url(URL.build(scheme=scheme, host=host))
    except LookupError:
        return None, None


def transport_for(profile: Profile) -> Any:
    """The storage clients' transport: `http_transport`, gated when the profile is read-only."""
    return http_transport(profile, refuse_writes=profile.read_only)


@dataclass(frozen=True)
class ProbeAnswer:
    status: int
    headers: Mapping[str, str]       # case-insensitive, as the transport gives them


async def probe(profile: Profile, url: str, *, step: str) -> ProbeAnswer:
    """One unauthenticated GET of `url` with the profile's TLS and timeouts, no retries;
    a failure to get any answer is a mapped `AztuiError` (`step` says what was tried)."""
    from azure.core.rest import HttpRequest

    async with http_transport(profile) as transport:
        async with azure_errors(step):
            response = await transport.send(HttpRequest("GET", url))
    return ProbeAnswer(response.status_code, response.headers)


def sdk_loaded() -> bool:
    """Whether the storage SDK's async client is imported already."""
    return "azure.storage.blob.aio" in sys.modules


def preload_sdk() -> None:
    """Import the storage SDK's async client now (it takes a while: call it off the event loop)."""
    import azure.storage.blob.aio  # noqa: F401 - imported for its side effect


def client_kwargs(profile: Profile) -> dict[str, Any]:
    """Keyword arguments for any azure.storage.blob.aio client built for `profile`."""
    return {"retry_policy": retry_policy(profile), "transport": transport_for(profile)}


def _endpoint(plan: AuthPlan, profile: Profile) -> str:
    if not plan.account_url:
        raise ProfileError(f"profile {profile.name!r} has no account URL",
                           hint="set account_url (or account_name, for https://<name>.blob.<realm>)")
    parts = urlsplit(plan.account_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in plan.account_url:
        raise ProfileError(f"the account URL of profile {profile.name!r} is not an http(s) URL",
                           hint="e.g. https://<account>.blob.core.windows.net or http://127.0.0.1:10000/<account>")
    return plan.account_url


@asynccontextmanager
async def blob_service(profile: Profile, environ: Mapping[str, str] = os.environ
                       ) -> AsyncIterator["BlobServiceClient"]:
    """An open `BlobServiceClient` for `profile`; client and credential are closed on exit."""
    plan = plan_auth(profile, environ)
    endpoint = _endpoint(plan, profile)
    try:
        from azure.storage.blob.aio import BlobServiceClient
    except ImportError as exc:  # pragma: no cover - a dependency
        raise AztuiError(f"azure-storage-blob is not installed: {exc}") from None
    async with credential_for(profile, environ, plan=plan) as credential:
        try:
            client = BlobServiceClient(endpoint, credential=credential, **client_kwargs(profile))
        except (ValueError, TypeError) as exc:  # bad URL, token over http, ...
            raise map_azure_error(ValueError(str(exc)), step="creating the blob client") from None
        async with client:
            yield client
