"""Map Azure SDK exceptions into aztui's own error classes, once, at the Azure boundary.

`map_azure_error` looks at what the SDK raised (status, error code, the request
that was sent, the server's `Date` header) and returns an `AztuiError` with a
human title and a hint. Messages never carry secrets: SAS signatures, account
keys and client secrets are scrubbed from any text copied from the SDK.
"""

from __future__ import annotations

import re
import socket
import ssl
import sys
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlsplit

from aztui.errors import (
    AuthenticationError,
    AztuiError,
    ClockSkewError,
    NotFoundError,
    PermissionDeniedError,
    ServiceError,
    TlsError,
    UnreachableError,
)

MAX_CLOCK_SKEW_S = 15 * 60

_PERMISSION_CODES = {
    "AuthorizationPermissionMismatch",
    "AuthorizationResourceTypeMismatch",
    "AuthorizationServiceMismatch",
    "AuthorizationSourceIPMismatch",
    "AuthorizationProtocolMismatch",
    "InsufficientAccountPermissions",
}
_AUTH_CODES = {"AuthenticationFailed", "AuthorizationFailure", "InvalidAuthenticationInfo",
               "NoAuthenticationInformation"}
_NOT_FOUND_CODES = {"ContainerNotFound", "BlobNotFound", "ResourceNotFound"}
# SAS permission letters and what they allow
_SAS_PERMISSION = {"r": "read", "a": "add", "c": "create", "w": "write", "d": "delete", "l": "list",
                   "t": "tags", "f": "filter", "x": "delete version", "y": "permanent delete",
                   "m": "move", "e": "execute", "i": "set immutability policy"}
_SECRET_PATTERNS = [
    re.compile(r"(sig=)[^&\s\"'<>]+", re.I),
    re.compile(r"(AccountKey=)[^;\s\"']+", re.I),
    re.compile(r"(SharedAccessSignature=)[^;\s\"']+", re.I),
    re.compile(r"(client_secret=)[^&\s\"']+", re.I),
    re.compile(r"(Authorization:\s*)\S+(\s+\S+)?", re.I),
]


def scrub(text: str) -> str:
    """Remove SAS signatures, account keys and client secrets from `text`."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(r"\1***", text)
    return text


def _first_line(text: str) -> str:
    return scrub(text.strip().splitlines()[0] if text.strip() else "")


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and every exception it wraps (inner_exception, __cause__, __context__)."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for attr in ("inner_exception", "__cause__", "__context__", "certificate_error", "os_error"):
            inner = getattr(current, attr, None)
            if isinstance(inner, BaseException):
                todo.append(inner)


def _is_tls_failure(exc: BaseException) -> bool:
    for cause in _causes(exc):
        if isinstance(cause, (ssl.SSLError, ssl.CertificateError)):
            return True
        aiohttp = sys.modules.get("aiohttp")
        if aiohttp and isinstance(cause, (aiohttp.ClientSSLError, aiohttp.ClientConnectorCertificateError)):
            return True
    return False


def _error_code(exc: BaseException) -> str | None:
    code = getattr(exc, "error_code", None)
    if code is None:
        response = getattr(exc, "response", None)
        code = response.headers.get("x-ms-error-code") if response is not None else None
    return getattr(code, "value", code) or None


def _request_of(exc: BaseException):
    response = getattr(exc, "response", None)
    return getattr(response, "request", None)


def _sas_params(request) -> dict[str, str]:
    """The SAS query parameters of the request that failed, if it was signed with a SAS."""
    if request is None:
        return {}
    query = parse_qs(urlsplit(request.url).query)
    return {k: v[0] for k, v in query.items()} if "sig" in query else {}


def _was_signed(request) -> bool | None:
    """True when the request carried credentials, False when anonymous, None when unknown."""
    if request is None:
        return None
    return "Authorization" in request.headers or bool(_sas_params(request))


def _server_date(exc: BaseException) -> datetime | None:
    response = getattr(exc, "response", None)
    raw = response.headers.get("Date") if response is not None else None
    if not raw:
        return None
    try:
        return parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None


def _parse_sas_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _needed_sas_permission(method: str, url: str) -> str:
    """The SAS permission letter the request needed (best effort)."""
    query = parse_qs(urlsplit(url).query)
    if method == "DELETE":
        return "d"
    if method in ("PUT", "POST"):
        return "c" if query.get("restype") == ["container"] and "comp" not in query else "w"
    return "l" if query.get("comp") == ["list"] else "r"


def _detail(exc: BaseException) -> str:
    info = getattr(exc, "additional_info", None) or {}
    detail = info.get("authenticationerrordetail") or info.get("AuthenticationErrorDetail") or ""
    return str(detail)


_NO_CREDENTIAL_HINT = ("set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (and AZURE_AUTHORITY_HOST "
                       "outside the public cloud), use a workload or managed identity, or run `az login`")


def _identity_error(exc: BaseException, step: str | None) -> AztuiError | None:
    """Errors of the token credential (azure.identity), not of the storage request."""
    from azure.core.exceptions import ClientAuthenticationError

    if not isinstance(exc, ClientAuthenticationError):
        return None
    try:
        from azure.identity import CredentialUnavailableError
    except ImportError:  # pragma: no cover - azure-identity is a dependency
        CredentialUnavailableError = ()  # type: ignore[assignment]
    if isinstance(exc, CredentialUnavailableError):
        return AuthenticationError(
            "no credential is available: " + _first_line(exc.message),
            title="No Azure credential found", step=step, hint=_NO_CREDENTIAL_HINT)
    request = _request_of(exc)
    message = getattr(exc, "message", str(exc))
    if "DefaultAzureCredential failed" in message:
        return AuthenticationError(
            "DefaultAzureCredential found no usable credential", title="No Azure credential found",
            step=step, hint=_NO_CREDENTIAL_HINT)
    from_token_endpoint = (request is not None and "/oauth2/" in request.url) or "Microsoft Entra ID" in message
    from_credential = getattr(exc, "response", None) is None  # raised before any storage response
    if not (from_token_endpoint or from_credential or "AADSTS" in message):
        return None  # a storage 401/403 that the storage SDK typed as ClientAuthenticationError
    aadsts = re.search(r"AADSTS\d+", message)
    code = aadsts.group(0) if aadsts else "no AADSTS code"
    summary = re.search(r"AADSTS\d+:\s*([^.\r\n]*)", message)
    what = summary.group(1).strip() if summary else _first_line(message)
    hints = {
        "AADSTS7000215": "the client secret is wrong or expired; create a new one for the app registration",
        "AADSTS700016": "the client id is not registered in that tenant",
        "AADSTS90002": "the tenant id does not exist; check tenant_id and authority_host",
        "AADSTS7000222": "the client secret has expired; create a new one",
    }
    return AuthenticationError(
        scrub(f"the token request was refused ({code}): {what}"),
        title="Token request failed", step=step,
        hint=hints.get(code, "check tenant_id, client_id and the client secret, and authority_host"),
    )


def map_azure_error(exc: BaseException, *, step: str | None = None,
                    now: datetime | None = None) -> AztuiError:
    """Turn any exception raised by the Azure SDKs into an `AztuiError` with a title and a hint.

    `step` says what aztui was doing ("listing containers"); `now` is the local clock
    (defaults to the current time) that the server's `Date` header is compared with.
    """
    if isinstance(exc, AztuiError):
        if step and not exc.step:
            exc.step = step
        return exc
    from azure.core.exceptions import (
        DecodeError,
        HttpResponseError,
        IncompleteReadError,
        ServiceRequestError,
        ServiceRequestTimeoutError,
        ServiceResponseError,
        ServiceResponseTimeoutError,
    )

    if _is_tls_failure(exc):
        reason = _first_line(str(_tls_cause(exc)))
        hint = ("set ca_bundle to the PEM file of the CA that signed the endpoint's certificate "
                "(or skipverify = true for a throwaway test endpoint)")
        if "WRONG_VERSION_NUMBER" in reason:
            hint = "the endpoint does not speak TLS on that port; check https:// versus http:// and the port"
        return TlsError("the TLS handshake failed: " + reason, step=step, hint=hint)
    if (identity := _identity_error(exc, step)) is not None:
        return identity
    if isinstance(exc, ServiceRequestTimeoutError):
        return UnreachableError(
            f"no connection to {_target(exc)} within the connect timeout", step=step,
            hint="something drops the packets (firewall, VPN, proxy) or the host is down; check the "
                 "account URL and port, or raise connect_timeout on a slow link",
        )
    if isinstance(exc, ServiceResponseTimeoutError):
        return UnreachableError(
            "the endpoint accepted the connection but did not answer in time", step=step,
            hint="the server or a proxy in between is stalled; raise read_timeout if it is just slow",
        )
    if isinstance(exc, IncompleteReadError):  # the connection broke while the answer was arriving
        return UnreachableError(
            f"the connection to {_target(exc)} was cut before the whole answer arrived", step=step,
            hint="the network or a proxy dropped the connection; the operation was not completed, "
                 "run it again",
        )
    if isinstance(exc, ServiceRequestError) and any(isinstance(c, socket.gaierror) for c in _causes(exc)):
        host = _target(exc).rsplit(":", 1)[0]
        return UnreachableError(
            f"the host name {host} could not be resolved", title="Host not found", step=step,
            hint="check the account name or URL for typos; a private endpoint needs its private DNS zone; "
                 "check this machine's DNS and network",
        )
    if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        return UnreachableError(
            f"could not reach {_target(exc)}: " + _first_line(_root_message(exc)), step=step,
            hint="check the account URL and port, that the service is running, and any firewall or proxy",
        )
    if isinstance(exc, DecodeError):  # a 2xx whose body is not what the service sends
        return ServiceError(
            _first_line(f"the answer from {_target(exc)} could not be read: {getattr(exc, 'message', exc)}"),
            title="Unreadable answer", step=step,
            hint="something other than the storage service answered (a proxy, a captive portal, a wrong "
                 "account_url), or the answer was cut; check the endpoint and try again",
        )
    if isinstance(exc, HttpResponseError) and exc.response is not None:
        return _map_http_error(exc, step=step, now=now or datetime.now(timezone.utc))
    if isinstance(exc, ValueError):  # the SDK validates URLs, connection strings, credentials
        return AztuiError(scrub(str(exc)), title="Invalid setting", step=step)
    return ServiceError(_first_line(f"{type(exc).__name__}: {exc}"), step=step)


def _tls_cause(exc: BaseException) -> BaseException:
    for cause in _causes(exc):
        if isinstance(cause, (ssl.SSLError, ssl.CertificateError)):
            return cause
    return exc


def _target(exc: BaseException) -> str:
    """host:port of the failed connection, when the transport says (aiohttp does)."""
    for cause in _causes(exc):
        host, port = getattr(cause, "host", None), getattr(cause, "port", None)
        if isinstance(host, str) and port:
            return f"{host}:{port}"
        if url := re.search(r"https?://([^/\s?]+)", str(cause)):
            return url.group(1)
    return "the endpoint"


def _root_message(exc: BaseException) -> str:
    """The message of the innermost exception (e.g. 'Connect call failed ...')."""
    inner = exc
    for cause in _causes(exc):
        inner = cause
    text = str(inner) or str(exc)
    return text or type(inner).__name__


def _map_http_error(exc, *, step: str | None, now: datetime) -> AztuiError:
    status = exc.response.status_code
    code = _error_code(exc)
    request = _request_of(exc)
    sas = _sas_params(request)
    signed = _was_signed(request)
    detail = _detail(exc)
    server_date = _server_date(exc)
    text = f"{getattr(exc, 'message', '')} {detail}"

    if status in (401, 403) and signed is not False:  # only signed requests depend on the clock
        skew = (server_date - now).total_seconds() if server_date else 0.0
        if abs(skew) > MAX_CLOCK_SKEW_S or "Request date header too old" in text:
            direction = "behind" if skew > 0 else "ahead of"
            return ClockSkewError(
                f"the local clock is {abs(skew) / 60:.0f} minutes {direction} the server's "
                f"(server time {server_date:%Y-%m-%d %H:%M:%S} UTC)" if server_date
                else "the server says the request's date is too old",
                step=step, hint="Azure rejects signed requests more than 15 minutes off; sync the "
                                "clock (e.g. `timedatectl set-ntp true`)",
            )
    if code in _PERMISSION_CODES:
        return PermissionDeniedError(
            f"the credential may not do this ({code})", step=step, hint=_permission_hint(code, request, sas))
    if status in (401, 403) and code in _AUTH_CODES | {None}:
        return _auth_error(code, status, step, signed, sas, server_date or now, text)
    if status == 404 or code in _NOT_FOUND_CODES:
        what = {"ContainerNotFound": "the container does not exist",
                "BlobNotFound": "the blob does not exist"}.get(code or "", "the resource does not exist")
        hint = ("anonymous requests see private containers as missing; use a credential"
                if signed is False else "check the container and blob names")
        return NotFoundError(what, step=step, hint=hint)
    if status == 409 and code in ("ContainerAlreadyExists", "BlobAlreadyExists"):
        return ServiceError(f"it already exists ({code})", step=step, title="Already exists")
    if status == 412 or code in ("ConditionNotMet", "LeaseIdMissing"):
        return ServiceError(
            f"the resource changed since it was read ({code or status})", step=step,
            title="Changed meanwhile", hint="reload and try again")
    message = _first_line(getattr(exc, "message", "") or str(exc))
    return ServiceError(f"HTTP {status} {code or ''}: {message}".replace("  ", " "), step=step,
                        hint="the service refused the request; see the error code")


def _auth_error(code, status, step, signed, sas, server_now: datetime, text: str) -> AztuiError:
    if signed is False:
        return AuthenticationError(
            f"the request was sent without credentials and the service refused it ({code or status})",
            step=step, title="Anonymous access refused",
            hint="anonymous access works only on containers with public access 'container' "
                 "(or 'blob' for reading blobs); use a key, SAS or token for this one",
        )
    if sas:
        start, expiry = _parse_sas_time(sas.get("st")), _parse_sas_time(sas.get("se"))
        if "not valid in the specified time frame" in text or (expiry and expiry <= server_now) \
                or (start and start > server_now):
            window = f"valid {sas.get('st') or '(no start)'} to {sas.get('se') or '(no expiry)'}"
            return AuthenticationError(
                f"the SAS token is outside its validity window ({window})", step=step,
                title="SAS token expired or not yet valid",
                hint="generate a new SAS whose start (st) is in the past and expiry (se) in the future",
            )
        return AuthenticationError(
            f"the service did not accept the SAS token ({code or status})", step=step,
            hint="check that the SAS token was issued for this account (and container), "
                 "and that its signature was not altered when copying it",
        )
    hint = "check the account key (or token), and that it belongs to this account"
    if code == "AuthorizationFailure":
        hint += "; on Azure this code also means the storage firewall or a private endpoint blocks you"
    return AuthenticationError(
        f"the service did not accept the credentials ({code or status})", step=step, hint=hint)


def _permission_hint(code: str, request, sas: dict[str, str]) -> str:
    if code == "AuthorizationResourceTypeMismatch":
        return "the account SAS does not include this resource type (srt: s=service, c=container, o=object)"
    if code == "AuthorizationServiceMismatch":
        return "the account SAS does not include the blob service (ss must contain 'b')"
    if sas and request is not None:
        letter = _needed_sas_permission(request.method, request.url)
        granted = sas.get("sp", "")
        if letter not in granted:
            return (f"the SAS grants '{granted}' but this needs '{letter}' ({_SAS_PERMISSION[letter]}); "
                    f"issue a SAS with that permission")
        return f"the SAS grants '{granted}', which does not allow this operation"
    return ("the identity lacks a data-plane role for this; grant e.g. 'Storage Blob Data Contributor' "
            "(or 'Reader' to list and read) on the account or container")


_PROGRAMMING_ERRORS = (TypeError, AttributeError, NameError, AssertionError)


@asynccontextmanager
async def azure_errors(step: str, *, now: datetime | None = None) -> AsyncIterator[None]:
    """Run a block of Azure calls; any Azure exception leaves it as a mapped `AztuiError`."""
    try:
        yield
    except AztuiError as err:
        if not err.step:
            err.step = step
        raise
    except _PROGRAMMING_ERRORS:
        raise  # bugs in aztui must stay visible in tests
    except Exception as exc:  # noqa: BLE001 - every SDK failure must be mapped
        raise map_azure_error(exc, step=step, now=now) from None
