"""The profile doctor: test one connection profile step by step and say what to change.

`test_profile` runs ordered steps, each with a verdict, a measured duration, a detail
and a hint:

1. `profile`        the profile is valid (every problem with file, line and key)
2. `endpoint`       DNS resolves, TCP connects, TLS verifies (bounded by connect_timeout)
3. `clock`          an unauthenticated request; the server's `Date` against the local clock
4. `credential`     key is base64 / SAS decoded and judged / a token can be acquired
5. `authorization`  list containers or the container, list the prefix, read a cache manifest;
                    for ACR: the /v2/ ping, the token exchange and listing repositories
6. `write`          (only when asked, never on a read-only profile) probe blob up, back, deleted
7. `content`        what the profile points at holds what its kind expects: registry data
                    (else where it is instead, aztui.registry.locate), cache manifests,
                    ZenML artifacts; a warning names what was expected, what was found, a hint

A step whose prerequisite failed is `skipped`, with a detail that says which one.
Nothing here prints; no detail or hint ever carries a secret value. Never imports Textual.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import socket
import ssl
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Awaitable, Callable, Literal, Mapping
from urllib.parse import urlsplit

from aztui.errors import AztuiError, ProfileError, UnreachableError
from aztui.profiles.model import Profile

log = logging.getLogger(__name__)

Status = Literal["ok", "warn", "fail", "skipped"]
SYMBOLS: dict[str, str] = {"ok": "✓", "warn": "!", "fail": "✗", "skipped": "-"}
STEPS = ("profile", "endpoint", "clock", "credential", "authorization", "write", "content")
REQUIRES: dict[str, tuple[str, ...]] = {
    "endpoint": ("profile",),
    "clock": ("endpoint",),
    "credential": ("profile",),
    "authorization": ("endpoint", "clock", "credential"),
    "write": ("authorization",),
    "content": ("authorization",),
}
STORAGE_SCOPE = "https://storage.azure.com/.default"
ACR_AUDIENCE = "https://containerregistry.azure.net"
PROBE_FOLDER = ".aztui-probe"
MAX_SKEW_S = 15 * 60       # Azure refuses signed requests beyond this
WARN_SKEW_S = 5 * 60       # Entra tokens and SAS start times get fragile beyond this
FIRST_PAGE = 20            # items listed per check
MARKER_PAGES = 5           # pages followed while a listing holds ADLS Gen2 directory markers only
GC_KINDS = ("buildkit-cache", "distribution")
_SYNC_CLOCK = "sync this machine's clock (e.g. `timedatectl set-ntp true`, or your NTP service)"


@dataclass
class Step:
    name: str
    status: Status
    duration_ms: int
    detail: str
    hint: str | None = None


@dataclass
class DoctorReport:
    profile: str
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No step failed (warnings count as passing)."""
        return not any(step.status == "fail" for step in self.steps)

    @property
    def verdict(self) -> Literal["ok", "warning", "failed"]:
        """"failed" when a step failed, "warning" when one warned (`--strict` fails on it), else "ok"."""
        if not self.ok:
            return "failed"
        return "warning" if self.warnings else "ok"

    @property
    def warnings(self) -> list[Step]:
        return [s for s in self.steps if s.status == "warn"]

    def step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {"profile": self.profile, "ok": self.ok, "verdict": self.verdict,
                "steps": [asdict(s) for s in self.steps]}


@dataclass
class _Verdict:
    status: Status
    detail: str
    hint: str | None = None


def _ok(detail: str) -> _Verdict:
    return _Verdict("ok", detail)


def _warn(detail: str, hint: str | None) -> _Verdict:
    return _Verdict("warn", detail, hint)


def _fail(detail: str, hint: str | None) -> _Verdict:
    return _Verdict("fail", detail, hint)


def _skip(detail: str) -> _Verdict:
    return _Verdict("skipped", detail)


def error_detail(err: AztuiError) -> str:
    """`Title while step: message`, the one-line form of an aztui error (no hint)."""
    where = f" while {err.step}" if err.step else ""
    return f"{err.title}{where}: {err.message}"


async def test_profile(profile_set, name: str, *, write: bool = False,
                       environ: Mapping[str, str] = os.environ,
                       progress: Callable[[Step], None] | None = None) -> DoctorReport:
    """Run every step for profile `name` of `profile_set`; `progress` sees each step as it ends.

    An unknown name is a `ProfileError` (with "did you mean"); an invalid one is a report
    whose `profile` step fails.
    """
    if name not in profile_set.profiles and not any(p.profile == name for p in profile_set.errors):
        profile_set.get(name)  # raises the ProfileError that names the known profiles
    return await _Doctor(profile_set, name, write=write, environ=environ, progress=progress).run()


test_profile.__test__ = False  # not a pytest test, despite its name


class _Doctor:
    def __init__(self, profile_set, name: str, *, write: bool, environ: Mapping[str, str],
                 progress: Callable[[Step], None] | None) -> None:
        self.profile_set = profile_set
        self.name = name
        self.write = write
        self.environ = environ
        self.progress = progress
        self.profile: Profile | None = profile_set.profiles.get(name)
        self.plan = None                      # AuthPlan once the profile step passed
        self.plan_error: AztuiError | None = None
        self.report = DoctorReport(name)
        self._blocked: set[str] = set()       # steps that failed or were skipped because of one

    async def run(self) -> DoctorReport:
        checks: dict[str, Callable[[], Awaitable[_Verdict]]] = {
            "profile": self.check_profile, "endpoint": self.check_endpoint, "clock": self.check_clock,
            "credential": self.check_credential, "authorization": self.check_authorization,
            "write": self.check_write, "content": self.check_content,
        }
        for name in STEPS:
            started = time.monotonic()
            verdict = self._precondition(name) or await self._run_check(name, checks[name])
            step = Step(name, verdict.status, int((time.monotonic() - started) * 1000),
                        verdict.detail, verdict.hint)
            if step.status == "fail" or (step.status == "skipped" and self._blocked_by(name)):
                self._blocked.add(name)
            self.report.steps.append(step)
            if self.progress is not None:
                self.progress(step)
        return self.report

    def _blocked_by(self, name: str) -> list[str]:
        return [dep for dep in REQUIRES.get(name, ()) if dep in self._blocked]

    def _precondition(self, name: str) -> _Verdict | None:
        if name == "write":
            if not self.write:
                return _skip("not requested (--write uploads, reads back and deletes a probe blob)")
            if self.profile is not None and self.profile.read_only:
                return _skip("the profile is read_only: aztui never writes through it")
        if blockers := self._blocked_by(name):
            names = ", ".join(blockers[:-1]) + " and " + blockers[-1] if len(blockers) > 1 else blockers[0]
            return _skip(f"skipped because the {names} step{'s' * (len(blockers) > 1)} did not pass")
        return None

    async def _run_check(self, name: str, check: Callable[[], Awaitable[_Verdict]]) -> _Verdict:
        from aztui.azure.errors import map_azure_error, scrub

        try:
            return await check()
        except AztuiError as err:
            return _fail(scrub(error_detail(err)), err.hint)
        except Exception as exc:  # noqa: BLE001 - a doctor reports, it never shows a traceback
            log.warning("doctor step %s of profile %s failed unexpectedly", name, self.name, exc_info=True)
            err = map_azure_error(exc, step=f"the {name} step")
            return _fail(scrub(error_detail(err)), err.hint)

    # --- 1. profile -------------------------------------------------------------------------

    async def check_profile(self) -> _Verdict:
        from aztui.azure.credentials import plan_auth

        own = [p for p in self.profile_set.problems if p.profile == self.name]
        errors = [p for p in own if p.severity == "error"]
        if errors or self.profile is None:
            return _fail(f"{len(errors)} error(s) in the profile:\n" + "\n".join(p.render() for p in errors),
                         "fix them, then check with `aztui profiles validate`")
        notes = [p for p in self.profile_set.problems if p.profile in (self.name, None)]
        try:
            self.plan = plan_auth(self.profile, self.environ)
        except ProfileError as err:
            return _fail(err.message, err.hint)
        except AztuiError as err:  # a key that is not base64, a malformed connection string
            self.plan_error = err
        url = self._url()
        if not url:
            return _fail("the profile names no endpoint",
                         "set account_url (or account_name, for https://<name>.blob.<realm>)")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return _fail(f"the endpoint {url!r} is not an http(s) URL",
                         "e.g. https://<account>.blob.core.windows.net or http://127.0.0.1:10000/<account>")
        summary = f"{self.profile.kind} profile, auth {self._auth_source()}, {self._where()}"
        if notes:
            return _warn(summary + "\n" + "\n".join(p.render() for p in notes),
                         notes[0].hint or "see `aztui profiles validate`")
        return _ok(summary)

    def _url(self) -> str | None:
        profile = self.profile
        if profile.kind == "acr":
            return profile.registry_url
        if self.plan is not None:
            return self.plan.account_url
        if profile.account_url:
            return profile.account_url
        return f"https://{profile.account_name}.blob.{profile.realm}" if profile.account_name else None

    def _auth_source(self) -> str:
        if self.plan is not None:
            return self.plan.source
        return self.profile.auth

    def _where(self) -> str:
        profile = self.profile
        where = self._url() or "(no endpoint)"
        if profile.container:
            where += f", container {profile.container}"
        if profile.prefix:
            where += f", prefix {profile.prefix}/"
        return where + (" (read-only)" if profile.read_only else "")

    # --- 2. endpoint ------------------------------------------------------------------------

    def _ssl_context(self) -> ssl.SSLContext:
        profile = self.profile
        if profile.skipverify:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        return ssl.create_default_context(cafile=profile.ca_bundle) if profile.ca_bundle \
            else ssl.create_default_context()

    def _host_port(self) -> tuple[str, int, bool]:
        parts = urlsplit(self._url())
        https = parts.scheme == "https"
        return parts.hostname, parts.port or (443 if https else 80), https

    async def check_endpoint(self) -> _Verdict:
        from aztui.endpoints import is_loopback

        host, port, https = self._host_port()
        timeout = self.profile.connect_timeout
        target = f"{host}:{port}"
        try:
            infos = await asyncio.wait_for(
                asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout)
        except socket.gaierror as exc:
            return _fail(f"{host} does not resolve (DNS: {exc.strerror})",
                         "check the account name and realm in the URL; for a private endpoint, "
                         "check that this machine uses the private DNS zone")
        except TimeoutError:
            return _fail(f"the DNS lookup of {host} took longer than {timeout:g} s (connect_timeout)",
                         "check this machine's DNS resolver")
        address = infos[0][4][0]
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(address, port), timeout)
        except TimeoutError:
            return _fail(f"no connection to {target} within {timeout:g} s (connect_timeout)",
                         "something drops the packets (firewall, network security group, VPN, proxy) "
                         "or the host is down; check the URL and port, or raise connect_timeout")
        except ConnectionRefusedError:
            return _fail(f"{target} refused the connection",
                         "nothing listens on that port: check the port in the URL and that the service runs")
        except OSError as exc:
            return _fail(f"could not connect to {target}: {exc.strerror or exc}",
                         "check the URL, the network route and any firewall")
        try:
            tls = await self._tls_handshake(writer, host, target, timeout) if https else None
        finally:
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), 1)
            except (OSError, TimeoutError, ssl.SSLError):
                pass
        if isinstance(tls, _Verdict):
            return tls
        reached = f"{target} ({address}) accepts connections"
        if https:
            return _ok(f"{reached}; {tls}")
        if is_loopback(host):
            return _ok(f"{reached}; plain HTTP (loopback)")
        return _warn(f"{reached}; plain HTTP: requests travel unencrypted",
                     "use the https:// endpoint")

    async def _tls_handshake(self, writer, host: str, target: str, timeout: float) -> str | _Verdict:
        profile = self.profile
        try:
            await asyncio.wait_for(writer.start_tls(self._ssl_context(), server_hostname=host), timeout)
        except TimeoutError:
            return _fail(f"{target} accepted the connection but the TLS handshake got no answer within "
                         f"{timeout:g} s", "the server or a proxy in between is stalled, or does not speak TLS")
        except ssl.SSLCertVerificationError as exc:
            return _fail(f"the TLS certificate of {target} is not trusted: {exc.verify_message}",
                         "set ca_bundle to the PEM file of the CA that signed the endpoint's certificate "
                         "(or skipverify = true for a throwaway test endpoint)")
        except (ssl.SSLError, ConnectionError) as exc:
            hint = "check https:// versus http:// and the port" \
                if "WRONG_VERSION_NUMBER" in str(exc) or isinstance(exc, ConnectionError) \
                else "check the endpoint's TLS setup, or a proxy that intercepts TLS"
            return _fail(f"the TLS handshake with {target} failed: {getattr(exc, 'reason', None) or exc}", hint)
        if profile.skipverify:
            return "TLS without verification (skipverify)"
        return "TLS verified" + (f" with ca_bundle {profile.ca_bundle}" if profile.ca_bundle else "")

    # --- 3. clock -----------------------------------------------------------------------------

    async def check_clock(self) -> _Verdict:
        import aiohttp

        url = self._url().rstrip("/") + ("/v2/" if self.profile.kind == "acr" else "")
        host, port, https = self._host_port()
        timeout = aiohttp.ClientTimeout(sock_connect=self.profile.connect_timeout,
                                        sock_read=self.profile.read_timeout)
        sent = datetime.now(timezone.utc)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.get(url, ssl=self._ssl_context() if https else False,
                                       allow_redirects=False) as response:
                    raw_date, status = response.headers.get("Date"), response.status
        except (TimeoutError, aiohttp.ServerTimeoutError):
            return _fail(f"{host}:{port} accepted the connection but sent no HTTP answer within "
                         f"{self.profile.read_timeout:g} s (read_timeout)",
                         "the server or a proxy in between is stalled; raise read_timeout if it is just slow")
        except aiohttp.ClientError as exc:
            return _fail(f"no HTTP answer from {host}:{port}: {exc}",
                         "check that the URL points at a storage (or registry) endpoint")
        local = sent + (datetime.now(timezone.utc) - sent) / 2
        try:
            server = parsedate_to_datetime(raw_date) if raw_date else None
        except (TypeError, ValueError):
            server = None
        if server is None:
            return _warn(f"the endpoint (HTTP {status}) sent no usable Date header; the clock is unchecked",
                         None)
        skew = (server - local).total_seconds()
        if abs(skew) <= WARN_SKEW_S:
            return _ok(f"the local clock is within {abs(skew):.0f} s of the server's")
        direction = "behind" if skew > 0 else "ahead of"
        detail = (f"the local clock is {abs(skew) / 60:.0f} minutes {direction} the server's "
                  f"(server time {server.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} UTC)")
        signed = self.plan is not None and self.plan.method in ("shared_key", "sas")
        if abs(skew) > MAX_SKEW_S and signed:
            return _fail(detail, f"Azure refuses shared-key and SAS requests more than 15 minutes off; "
                                 f"{_SYNC_CLOCK}")
        return _warn(detail, f"tokens and SAS validity windows are checked against the clock; {_SYNC_CLOCK}")

    # --- 4. credential ------------------------------------------------------------------------

    async def check_credential(self) -> _Verdict:
        if self.plan_error is not None:
            return _fail(error_detail(self.plan_error), self.plan_error.hint)
        plan = self.plan
        if plan.method == "anonymous":
            return _skip(f"{plan.source}: no credential to check; the authorization step shows what "
                         "anonymous access may do")
        if plan.method == "shared_key":
            return self._check_key()
        if plan.method == "sas":
            return self._check_sas()
        return await self._check_token()

    def _check_key(self) -> _Verdict:
        size = len(base64.b64decode(self.plan.account_key.reveal(), validate=True))
        detail = f"{self.plan.source}: the account key of {self.plan.account_name} is valid base64"
        if size != 64:
            return _warn(f"{detail}, but {size} bytes long where Azure's keys are 64",
                         "copy key1 or key2 of the storage account again; it may be cut off")
        return _ok(detail + " (64 bytes); the service checks it in the authorization step")

    def _check_sas(self) -> _Verdict:
        from aztui.azure.sas import decode_sas, judge_sas

        info = decode_sas(self.plan.sas_token.reveal())
        scheme = urlsplit(self._url()).scheme
        findings = judge_sas(info, account_wide=not self.profile.container,
                             needs_delete=self.profile.kind in GC_KINDS, scheme=scheme)
        detail = f"{self.plan.source}: {info.describe()}"
        if not findings:
            return _ok(detail)
        detail += "\n" + "\n".join(f.message for f in findings)
        hints = list(dict.fromkeys(f.hint for f in findings))
        status = "fail" if any(f.severity == "fail" for f in findings) else "warn"
        return _Verdict(status, detail, "; ".join(hints))

    async def _check_token(self) -> _Verdict:
        from aztui.azure.credentials import credential_for, credential_that_answered
        from aztui.azure.errors import azure_errors

        scope = f"{ACR_AUDIENCE}/.default" if self.profile.kind == "acr" else STORAGE_SCOPE
        async with credential_for(self.profile, self.environ, plan=self.plan) as credential:
            try:
                async with azure_errors(f"getting a token for {scope}"):
                    token = await credential.get_token(scope)
            except UnreachableError as err:  # the sign-in endpoint, not the storage account
                err.hint = ("check authority_host (or $AZURE_AUTHORITY_HOST) and the network route to the "
                            "sign-in endpoint (firewall, proxy)")
                raise
            answered = credential_that_answered(credential)
        expires = datetime.fromtimestamp(token.expires_on, timezone.utc)
        source = f" from {answered}" if answered else ""
        return _ok(f"{self.plan.source}: a token for {scope} was acquired{source}, "
                   f"valid until {expires:%Y-%m-%d %H:%M:%S} UTC")

    # --- 5. authorization ---------------------------------------------------------------------

    async def check_authorization(self) -> _Verdict:
        from aztui.errors import NotFoundError

        if self.profile.kind == "acr":
            return await check_registry(self.profile, self.plan, self.environ)
        try:
            return await self._check_storage()
        except NotFoundError as err:
            if err.message == "the resource does not exist" and self.plan.method != "anonymous":
                err.hint = (f"the account {self.plan.account_name!r} may not exist at this endpoint: "
                            "check the account name in the URL and in account_name")
            raise

    async def _check_storage(self) -> _Verdict:
        from aztui.azure import BlobStore

        async with BlobStore(self.profile, self.environ) as store:
            if not self.profile.container:
                return await self._list_containers(store)
            findings = [await self._container_properties(store)]
            folder = _folder(self.profile.prefix)
            listed = await self._first_page(store, folder)
            findings.append(f"listed {_count(listed, 'blob')} under {self._place(folder)}")
            if self.profile.kind == "buildkit-cache":
                cache = await self._read_manifest(store)
                if isinstance(cache, _Verdict):
                    cache.detail = "; ".join(findings + [cache.detail])
                    return cache
                findings.append(cache)
        return _ok("; ".join(f for f in findings if f))

    async def _list_containers(self, store) -> _Verdict:
        names = []
        async for container in store.iter_containers():
            names.append(container.name)
            if len(names) >= FIRST_PAGE:
                break
        if not names:
            return _ok("listed containers: none exist yet")
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        more = "+" if len(names) >= FIRST_PAGE else ""
        return _ok(f"listed containers: {len(names)}{more} visible ({shown})")

    async def _container_properties(self, store) -> str:
        from aztui.errors import PermissionDeniedError

        container = self.profile.container
        try:
            await store.check_container(container)
        except PermissionDeniedError:
            if self.plan.method == "sas":  # a container SAS may list without reading properties
                return ""
            raise
        return f"container {container} exists"

    async def _first_page(self, store, prefix: str, *, size: int = FIRST_PAGE) -> list[str]:
        """The names of the first blobs under `prefix`. ADLS Gen2 directory markers (zero-length
        blobs, `hdi_isfolder=true`) are neither manifests nor artifacts: they are skipped, and a page
        of markers only (each directory sorts before its content) is followed by the next, at most
        MARKER_PAGES times."""
        continuation = None
        for _ in range(MARKER_PAGES):
            page = await store.list_page(self.profile.container, prefix, recursive=True, page_size=size,
                                         continuation=continuation)
            names = [item.name for item in page.items if not item.is_directory]
            if names or page.continuation is None:
                return names
            continuation = page.continuation
        return []

    async def _read_manifest(self, store) -> str | _Verdict:
        profile = self.profile
        folder = _folder("/".join(x.strip("/") for x in (profile.prefix, profile.manifests_prefix) if x))
        manifests = await self._first_page(store, folder)
        if not manifests:
            return f"no cache manifest to read under {self._place(folder)} (see the content step)"
        wanted = [folder + n for n in profile.cache_names]
        name = next((m for m in manifests if m in wanted), manifests[0])
        data = await store.read_blob(profile.container, name, length=64 * 1024)
        return f"read cache manifest {name} ({_count(data, 'byte', plural='bytes')})"

    def _place(self, prefix: str) -> str:
        return f"{self.profile.container}/{prefix}" if prefix else f"container {self.profile.container}"

    # --- 7. content ----------------------------------------------------------------------------

    async def check_content(self) -> _Verdict:
        """Is there what the profile's kind expects where it points? Each probe is a one-page listing."""
        from aztui.azure import BlobStore

        kind = self.profile.kind
        if kind == "acr":
            return _skip("a registry answers for its own content: the authorization step listed its repositories")
        if kind not in ("distribution", "buildkit-cache", "artifact-store") or not self.profile.container:
            return _skip(f"a {kind} profile expects no particular content")
        if kind == "distribution":
            return await self._registry_content()
        async with BlobStore(self.profile, self.environ) as store:
            if kind == "buildkit-cache":
                return await self._cache_content(store)
            return await self._artifact_content(store)

    async def _registry_content(self) -> _Verdict:
        from aztui.registry.distribution import DistributionRegistry

        async with DistributionRegistry(self.profile, self.environ) as registry:
            if registry.layout is not None:
                return _ok(f"registry data found: {registry.layout} naming under {registry.base!r}")
            finding = registry.finding
        return _warn(f"expected {finding.expected()}\nfound {finding.what_was_found()}", finding.hint())

    async def _cache_content(self, store) -> _Verdict:
        profile = self.profile
        folder = _folder("/".join(x.strip("/") for x in (profile.prefix, profile.manifests_prefix) if x))
        manifests = await self._first_page(store, folder)
        names = [m[len(folder):] for m in manifests]
        wanted = [n for n in profile.cache_names if n]
        expected = f"BuildKit cache manifests under {self._place(folder)}" + \
            (f" ({', '.join(wanted)})" if wanted else "")
        if manifests and (not wanted or set(wanted) & set(names)):
            missing = [n for n in wanted if n not in names]
            found = f"found {_count(names, 'cache manifest')} under {self._place(folder)}"
            if missing and len(names) < FIRST_PAGE:
                return _warn(f"expected {expected}\n{found}, none for {', '.join(missing)}",
                             "check name in the profile against --cache-to name=...; a cache shows up "
                             "after its first export")
            return _ok(found)
        if manifests:
            shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
            return _warn(f"expected {expected}\nfound only other cache names: {shown}",
                         "check name in the profile against --cache-to name=...")
        found, at_root = await self._elsewhere(store, folder, _folder(profile.manifests_prefix))
        if at_root:
            return _warn(f"expected {expected}\nfound {found}",
                         "the cache is written without a prefix: remove prefix from this profile")
        return _warn(f"expected {expected}\nfound {found}",
                     "run a build with --cache-to type=azblob,... for this cache, or check prefix and "
                     "manifests_prefix")

    async def _artifact_content(self, store) -> _Verdict:
        folder = _folder(self.profile.prefix)
        if await self._first_page(store, folder, size=1):
            return _ok(f"found artifacts under {self._place(folder)}")
        found, _ = await self._elsewhere(store, folder)
        return _warn(f"expected ZenML artifacts under {self._place(folder)}\nfound {found}",
                     "check path in the profile (az://<container>/<prefix>) against the artifact store's "
                     "path; ZenML writes below it once a pipeline ran")

    async def _elsewhere(self, store, looked: str, root_folder: str | None = None) -> tuple[str, bool]:
        """What is there when `looked` is empty: (text, whether `root_folder` at the container root holds it)."""
        text = f"nothing under {self._place(looked)}"
        if self.profile.prefix and root_folder and await self._first_page(store, root_folder, size=1):
            return f"{text}, but the container root holds {root_folder}", True
        first = await self._first_page(store, "", size=1)
        if not first:
            return f"{text}; the container is empty", False
        return f"{text}; the container holds other blobs (the first is {first[0]!r})", False

    # --- 6. write -----------------------------------------------------------------------------

    async def check_write(self) -> _Verdict:
        from aztui.azure import BlobStore
        from aztui.errors import NotFoundError

        profile = self.profile
        if profile.kind == "acr":
            return _skip("the write probe is for blob storage profiles")
        if not profile.container:
            return _skip("the profile names no container to write into")
        container = profile.container
        name = "/".join(x for x in (profile.prefix, PROBE_FOLDER, str(uuid.uuid4())) if x)
        payload = f"aztui write probe {name}\n".encode()
        async with BlobStore(profile, self.environ) as store:
            await store.upload_blob(container, name, payload, content_type="text/plain")
            back = await store.read_blob(container, name)
            if back != payload:
                return _fail(f"uploaded {container}/{name} but read back different content "
                             f"({len(back)} bytes instead of {len(payload)})",
                             "something between aztui and the service alters blobs (a proxy?)")
            try:
                await store.delete_blob(container, name)
            except AztuiError as err:
                need = " — garbage collection needs delete" if profile.kind in GC_KINDS else ""
                return _fail(f"uploaded and read back {container}/{name}, but delete failed{need}: "
                             f"{error_detail(err)}; the probe blob is left behind",
                             (err.hint or "") + f"; then delete {name} with a credential that may")
            try:
                await store.get_blob(container, name)
            except NotFoundError:
                return _ok(f"uploaded, read back and deleted {container}/{name}: writes and deletes "
                           "work (garbage collection needs delete)")
        return _fail(f"deleted {container}/{name} but it is still there",
                     "soft delete or an immutability policy may keep blobs; check the container's settings")


# --- ACR ------------------------------------------------------------------------------------------

async def check_registry(profile: Profile, plan, environ: Mapping[str, str]) -> _Verdict:
    """The /v2/ ping, the token exchange and the first page of repositories."""
    from aztui.azure.acr import AcrRegistry

    endpoint = profile.registry_url.rstrip("/")
    challenge = await _ping_registry(profile, endpoint)
    async with AcrRegistry(profile, environ) as registry:
        names = await registry.list_repository_names(limit=FIRST_PAGE)
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    how = "anonymous token exchange" if plan.method == "anonymous" else "token exchange"
    listed = f"listed repositories: {len(names)}{'+' * (len(names) >= FIRST_PAGE)} ({shown})" if names \
        else "no repositories yet"
    return _ok(f"/v2/ answered {challenge}; {how} worked; {listed}")


async def _ping_registry(profile: Profile, endpoint: str) -> str:
    """GET /v2/ without credentials: 200, or 401 with a Bearer challenge, is a registry."""
    from aztui.azure.clients import probe
    from aztui.errors import ServiceError

    answer = await probe(profile, f"{endpoint}/v2/", step=f"pinging {endpoint}/v2/")
    challenge = answer.headers.get("WWW-Authenticate", "")
    if answer.status == 200:
        return "HTTP 200 (open)"
    if answer.status == 401 and challenge.lower().startswith("bearer"):
        return "HTTP 401 with a Bearer challenge, as a registry does"
    raise ServiceError(f"{endpoint}/v2/ answered HTTP {answer.status}, which no registry does",
                       hint="check uri: it should be <name>.azurecr.io")


# --- helpers --------------------------------------------------------------------------------------

def _folder(prefix: str) -> str:
    prefix = prefix.strip("/")
    return prefix + "/" if prefix else ""


def _count(items, singular: str, *, plural: str | None = None) -> str:
    n = len(items)
    return f"{n} {singular if n == 1 else plural or singular + 's'}" + ("+" if n >= FIRST_PAGE and
                                                                       singular != "byte" else "")
