"""Azure Container Registry through azure-containerregistry's async client.

    async with AcrRegistry(profile) as registry:
        async for repo in registry.iter_repositories(): ...
        await registry.delete_tag("app", "v1")

The SDK client does the requests, the paging and the Bearer challenge flow for token
credentials. `acr_transport` builds the last hop of its pipeline (passed through the documented
`transport=` keyword), shared with the SDK's token-exchange client, and it:

- applies the profile's TLS (`ca_bundle`, `skipverify`) and timeouts;
- refuses every write of a read-only profile before it is sent (token requests pass);
- answers Bearer challenges for anonymous profiles itself (`POST /oauth2/token`,
  `grant_type=password`, as the SDK's anonymous exchange client does), because
  azure-containerregistry 1.2 builds that anonymous client without the caller's transport
  settings: it would ignore `ca_bundle`, timeouts and the read-only gate;
- says clearly when the registry refuses anonymous access.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import re
import time
from contextlib import AsyncExitStack
from typing import Any, AsyncIterator, Mapping
from urllib.parse import unquote, urlencode, urlsplit

from aztui.azure.clients import SAFE_METHODS, core_retry_policy, http_transport
from aztui.azure.credentials import credential_for, plan_auth
from aztui.azure.errors import azure_errors
from aztui.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ProfileError,
    ReadOnlyError,
)
from aztui.profiles.model import Profile
from aztui.registry.model import ACR_CAPABILITIES, ManifestInfo, RepositoryInfo, TagInfo

log = logging.getLogger(__name__)

ACR_AUDIENCE = "https://containerregistry.azure.net"
TOKEN_PATHS = ("/oauth2/token", "/oauth2/exchange")
DEFAULT_CONCURRENCY = 16
INDEX_MEDIA_TYPES = frozenset({"application/vnd.oci.image.index.v1+json",
                               "application/vnd.docker.distribution.manifest.list.v2+json"})
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


def parse_challenge(header: str) -> dict[str, str]:
    """`Bearer realm="...",service="...",scope="..."` as a dict (lower-case keys)."""
    return {key.lower(): value for key, value in _CHALLENGE_PARAM.findall(header)}


def registry_endpoint(profile: Profile) -> str:
    """The registry's https URL, or a `ProfileError`."""
    url = (profile.registry_url or "").rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProfileError(f"profile {profile.name!r} has no registry URL",
                           hint='set uri = "<name>.azurecr.io"')
    return url


def _refused_scope(challenge: str) -> str:
    scope = parse_challenge(challenge).get("scope", "")
    return f" ({scope})" if scope else ""


def read_scope(method: str, path: str) -> str | None:
    """The token scope ACR challenges a read with (GET/HEAD), or None when it is not one.

    `/acr/v1/_catalog` -> `registry:catalog:*`; `/acr/v1/<name>[/_tags|/_manifests...]` ->
    `repository:<name>:metadata_read`; `/v2/<name>/manifests|blobs/...` -> `repository:<name>:pull`.
    """
    if method.upper() not in ("GET", "HEAD"):
        return None
    if path == "/acr/v1/_catalog":
        return "registry:catalog:*"
    if path.startswith("/acr/v1/"):
        name = unquote(path[len("/acr/v1/"):].split("/", 1)[0])
        return f"repository:{name}:metadata_read" if name else None
    if path.startswith("/v2/"):
        for marker in ("/manifests/", "/blobs/", "/tags/list"):
            if marker in path:
                name = unquote(path[len("/v2/"):path.index(marker)])
                return f"repository:{name}:pull" if name else None
    return None


def _seconds_left(jwt: str) -> float:
    """Seconds until a JWT's `exp` (unverified: only to know when to renew it); 0 if unreadable."""
    try:
        payload = jwt.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"]) - time.time()
    except (IndexError, ValueError, KeyError, TypeError):
        return 0.0


def acr_transport(inner: Any, *, anonymous: bool, read_only: bool) -> Any:
    """The transport for the SDK client: `inner` (an azure-core async transport) behind the gate."""
    return _transport_class()(inner, anonymous=anonymous, read_only=read_only)


def _transport_class() -> type:
    global _TRANSPORT_CLASS
    if _TRANSPORT_CLASS is not None:
        return _TRANSPORT_CLASS
    from azure.core.pipeline.transport import AsyncHttpTransport
    from azure.core.rest import HttpRequest

    class AcrTransport(AsyncHttpTransport):
        """An azure-core async transport around another one; see the module docstring."""

        def __init__(self, inner: Any, *, anonymous: bool, read_only: bool) -> None:
            self.inner = inner
            self.anonymous = anonymous
            self.read_only = read_only
            self.service: str | None = None         # from the first challenge
            self.tokens: dict[str, str] = {}        # scope -> access token
            self.credential: Any = None             # set by AcrRegistry for token credentials
            self.refresh: tuple[str, float] | None = None   # ACR refresh token, renew after (monotonic)
            self.refresh_lock = asyncio.Lock()      # one exchange at a time

        async def open(self) -> None:
            await self.inner.open()

        async def close(self) -> None:  # shared by two SDK clients: closed by AcrRegistry only
            pass

        async def __aenter__(self):
            await self.open()
            return self

        async def __aexit__(self, *args: Any) -> None:
            pass

        async def send(self, request: Any, **kwargs: Any) -> Any:
            path = urlsplit(request.url).path
            is_token = path in TOKEN_PATHS
            if self.read_only and request.method.upper() not in SAFE_METHODS and not is_token:
                raise ReadOnlyError.refusing(f"refused to send {request.method} {path}")
            if not is_token and self.service is not None and (self.anonymous or self.credential is not None):
                await self._authorize_ahead(request, **kwargs)
            response = await self.inner.send(request, **kwargs)
            challenge = response.headers.get("WWW-Authenticate", "")
            if response.status_code == 401 and challenge.lower().startswith("bearer") and not is_token:
                self.service = parse_challenge(challenge).get("service", self.service)
            if not (self.anonymous and response.status_code == 401 and not is_token
                    and challenge.lower().startswith("bearer")):
                return response
            token = await self._anonymous_token(challenge, request.url, **kwargs)
            request.headers["Authorization"] = f"Bearer {token}"
            response = await self.inner.send(request, **kwargs)
            if response.status_code == 401:
                denied = response.headers.get("WWW-Authenticate", "")
                raise PermissionDeniedError(
                    f"the registry does not let anonymous callers do this{_refused_scope(denied)}",
                    title="Anonymous access refused",
                    hint="anonymous pull only reads; use auth = \"client_secret\" or "
                         "\"default_credentials\" with a role such as AcrDelete or Contributor to change it")
            return response

        async def _authorize_ahead(self, request: Any, **kwargs: Any) -> None:
            """Send a read with the token of the scope it will need, saving the challenge's round
            trip (docs/formats/acr-data-plane.md §Authentication); a wrong guess is challenged."""
            scope = read_scope(request.method, urlsplit(request.url).path)
            if scope is None or "Authorization" in request.headers:
                return
            token = self.tokens.get(scope)
            if token is None and self.anonymous:
                challenge = f'Bearer service="{self.service}",scope="{scope}"'
                token = await self._anonymous_token(challenge, request.url, **kwargs)
            elif token is None:
                try:
                    token = await self._credential_token(scope, request.url, **kwargs)
                except Exception:  # noqa: BLE001 - only a shortcut: the SDK's challenge flow takes over
                    log.debug("no ACR token ahead for %s", scope, exc_info=True)
                    token = None
                if token is None:
                    self.credential = None          # not again: each request goes the SDK's way
                    return
            if token:
                request.headers["Authorization"] = f"Bearer {token}"

        async def _credential_token(self, scope: str, url: str, **kwargs: Any) -> str | None:
            """An access token for `scope`: the Entra token exchanged for an ACR refresh token
            (kept until five minutes before it expires), then exchanged for the scope, as the
            SDK's challenge flow does on every request (docs/formats/acr-data-plane.md)."""
            parts = urlsplit(url)
            base = f"{parts.scheme}://{parts.netloc}"
            async with self.refresh_lock:
                if self.refresh is None or time.monotonic() >= self.refresh[1]:
                    entra = await self.credential.get_token(f"{ACR_AUDIENCE}/.default")
                    answer = await self._form(f"{base}/oauth2/exchange?api-version=2021-07-01", {
                        "grant_type": "access_token", "service": self.service, "access_token": entra.token},
                        **kwargs)
                    refresh = answer.get("refresh_token")
                    if not refresh:
                        return None
                    self.refresh = (refresh, time.monotonic() + _seconds_left(refresh) - 300)
            answer = await self._form(f"{base}/oauth2/token?api-version=2021-07-01", {
                "grant_type": "refresh_token", "service": self.service, "scope": scope,
                "refresh_token": self.refresh[0]}, **kwargs)
            token = answer.get("access_token")
            if token:
                self.tokens[scope] = token
            return token

        async def _form(self, url: str, form: dict, **kwargs: Any) -> dict:
            request = HttpRequest("POST", url, content=urlencode(form).encode(),
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
            answer = await self.inner.send(request, **kwargs)
            if hasattr(answer, "read"):
                await answer.read()
            if answer.status_code != 200:
                return {}
            body = json.loads(answer.text())
            return body if isinstance(body, dict) else {}

        async def _anonymous_token(self, challenge: str, url: str, **kwargs: Any) -> str:
            params = parse_challenge(challenge)
            self.service = params.get("service", "")
            parts = urlsplit(url)
            token_url = f"{parts.scheme}://{parts.netloc}/oauth2/token?api-version=2021-07-01"
            body = urlencode({"service": params.get("service", ""), "scope": params.get("scope", ""),
                              "grant_type": "password"})
            token_request = HttpRequest("POST", token_url, content=body.encode(),
                                        headers={"Content-Type": "application/x-www-form-urlencoded"})
            answer = await self.inner.send(token_request, **kwargs)
            if hasattr(answer, "read"):
                await answer.read()
            token = None
            if answer.status_code == 200:
                try:
                    token = json.loads(answer.text()).get("access_token")
                except (ValueError, AttributeError):
                    token = None
            if not token:
                raise AuthenticationError(
                    f"the registry refused an anonymous token (HTTP {answer.status_code}): anonymous pull "
                    "is not enabled on it",
                    title="Anonymous access refused",
                    hint="enable anonymous pull on the registry (`az acr update --anonymous-pull-enabled`) "
                         "or use auth = \"client_secret\" or \"default_credentials\"")
            self.tokens[params.get("scope", "")] = token
            return token

    _TRANSPORT_CLASS = AcrTransport
    return _TRANSPORT_CLASS


_TRANSPORT_CLASS: type | None = None


def _can(obj: Any) -> dict[str, bool | None]:
    return {flag: getattr(obj, flag, None) for flag in ("can_delete", "can_write", "can_read", "can_list")}


def _value(enum_or_str: Any) -> str | None:
    return None if enum_or_str is None else str(getattr(enum_or_str, "value", enum_or_str))


def acr_retry_policy(profile: Profile) -> Any:
    """The profile's retries for the ACR client: the storage clients' rule (`aztui.azure.clients`)."""
    return core_retry_policy(profile)


class AcrRegistry:
    """One Azure Container Registry, as `Registry` plus deletes and locks."""

    kind = "acr"
    capabilities = ACR_CAPABILITIES
    layout = None

    def no_data_reason(self) -> str | None:
        return None  # the registry's API answers for itself

    def __init__(self, profile: Profile, environ: Mapping[str, str] = os.environ, *,
                 transport: Any = None, concurrency: int = DEFAULT_CONCURRENCY,
                 page_size: int | None = None) -> None:
        self.profile = profile
        self.environ = environ
        self.endpoint = registry_endpoint(profile)
        self.concurrency = max(1, concurrency)
        self.page_size = page_size          # None: the registry's default (100 on ACR)
        self._inner_transport = transport
        self._stack: AsyncExitStack | None = None
        self._client: Any = None

    async def __aenter__(self) -> "AcrRegistry":
        profile = self.profile
        plan = plan_auth(profile, self.environ)
        if plan.method not in ("anonymous", "client_secret", "default_credentials"):
            raise ProfileError(f"auth = {profile.auth!r} does not work for a container registry",
                               hint='use "client_secret", "default_credentials" or "anonymous"')
        from azure.containerregistry.aio import ContainerRegistryClient

        stack = AsyncExitStack()
        inner = self._inner_transport or http_transport(profile)
        transport = acr_transport(inner, anonymous=plan.method == "anonymous", read_only=profile.read_only)
        try:
            stack.push_async_callback(inner.close)
            credential = await stack.enter_async_context(credential_for(profile, self.environ, plan=plan))
            transport.credential = credential if plan.method != "anonymous" else None
            client = ContainerRegistryClient(self.endpoint, credential, audience=ACR_AUDIENCE,
                                             transport=transport, retry_policy=acr_retry_policy(profile))
            self._client = await stack.enter_async_context(client)
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            await stack.aclose()

    @property
    def client(self) -> Any:
        if self._client is None:
            raise RuntimeError("use `async with AcrRegistry(...)`")
        return self._client

    # --- reading ------------------------------------------------------------------------------

    def _paging(self) -> dict[str, int]:
        return {"results_per_page": self.page_size} if self.page_size else {}

    async def list_repository_names(self, *, limit: int | None = None) -> list[str]:
        """Every repository name, or the first `limit` (one page of that size)."""
        paging = {"results_per_page": limit} if limit else self._paging()
        names: list[str] = []
        async with azure_errors(f"listing the repositories of {self.endpoint}"):
            async for name in self.client.list_repository_names(**paging):
                names.append(name)
                if limit and len(names) >= limit:
                    break
        return names

    async def repository(self, name: str) -> RepositoryInfo:
        async with azure_errors(f"reading repository {name}"):
            props = await self.client.get_repository_properties(name)
        return RepositoryInfo(name=props.name or name, tag_count=props.tag_count,
                              manifest_count=props.manifest_count, last_updated=props.last_updated_on,
                              **_can(props))

    async def iter_repositories(self) -> AsyncIterator[RepositoryInfo]:
        """Every repository with its properties, in the registry's order.

        A pipeline: the name pages are fetched ahead while properties are read `concurrency` at
        a time (in name order: the semaphore is first come, first served), and each repository
        is yielded as soon as it and those before it are read. The first rows come after one
        page of names and a few round trips, and a page boundary never idles the readers."""
        gate = asyncio.Semaphore(self.concurrency)
        queue: asyncio.Queue = asyncio.Queue()
        done = object()

        async def read(name: str) -> RepositoryInfo:
            async with gate:
                return await self.repository(name)

        async def list_names() -> None:
            try:
                async with azure_errors(f"listing the repositories of {self.endpoint}"):
                    async for name in self.client.list_repository_names(**self._paging()):
                        queue.put_nowait(asyncio.ensure_future(read(name)))
            finally:
                queue.put_nowait(done)

        lister = asyncio.ensure_future(list_names())
        try:
            while (reading := await queue.get()) is not done:
                yield await reading
            await lister                      # a listing error after the last page read
        finally:
            left = [lister, *(queue.get_nowait() for _ in range(queue.qsize()))]
            left = [task for task in left if task is not done]
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)

    async def list_tags(self, repository: str) -> list[TagInfo]:
        async with azure_errors(f"listing the tags of {repository}"):
            return [TagInfo(repository=repository, name=t.name, digest=t.digest, created=t.created_on,
                            last_updated=t.last_updated_on, **_can(t))
                    async for t in self.client.list_tag_properties(repository, **self._paging())]

    async def list_manifests(self, repository: str) -> list[ManifestInfo]:
        """Every manifest, tagged or not, with media type and (for indexes) child digests.

        The SDK's model has no media type and drops the children, so the raw pages are read too
        (azure-core's documented `raw_response_hook`)."""
        raw: dict[str, dict] = {}

        def keep_raw(response: Any) -> None:
            try:
                http = response.http_response
                body = json.loads(http.text()) if http.status_code == 200 else {}
            except (ValueError, AttributeError):
                return
            for entry in (body or {}).get("manifests") or []:
                raw[entry.get("digest")] = entry

        async with azure_errors(f"listing the manifests of {repository}"):
            found = [m async for m in self.client.list_manifest_properties(
                repository, **self._paging(), raw_response_hook=keep_raw)]
        return [self._manifest(repository, m, raw.get(m.digest) or {}) for m in found]

    @staticmethod
    def _manifest(repository: str, m: Any, raw: Mapping[str, Any]) -> ManifestInfo:
        children = tuple(ref.get("digest") for ref in raw.get("references") or [] if ref.get("digest"))
        return ManifestInfo(repository=repository, digest=m.digest, size=m.size_in_bytes,
                            tags=tuple(m.tags or ()), media_type=raw.get("mediaType"),
                            architecture=_value(m.architecture), os=_value(m.operating_system),
                            created=m.created_on, last_updated=m.last_updated_on, references=children,
                            subject=(raw.get("subject") or {}).get("digest"), **_can(m))

    async def manifest_content(self, repository: str, digest: str) -> dict:
        """The manifest document itself (for `subject` and index children)."""
        async with azure_errors(f"reading manifest {repository}@{digest}"):
            result = await self.client.get_manifest(repository, digest)
        return result.manifest if isinstance(result.manifest, dict) else dict(result.manifest)

    async def read_blob(self, repository: str, digest: str, *, limit: int) -> bytes:
        """A blob of `repository` (an image config), at most `limit` bytes; the SDK checks its digest."""
        chunks, size = [], 0
        async with azure_errors(f"reading blob {repository}@{digest}"):
            async for chunk in await self.client.download_blob(repository, digest):
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    break
        return b"".join(chunks)[:limit]

    # --- changing -----------------------------------------------------------------------------

    def _check_writable(self, what: str) -> None:
        if self.profile.read_only:
            raise ReadOnlyError.refusing(f"refused to {what}")

    async def _delete(self, what: str, call: Any, *args: str) -> None:
        """Run an SDK delete; `NotFoundError` ("already gone") when the registry answered 404.

        The SDK's delete_tag / delete_manifest / delete_repository accept 202 and 404 alike and
        return None. Its generated operations hand the final pipeline response to the documented
        `cls` callback, so the status is read from the very answer to the DELETE (no second read,
        no race)."""
        self._check_writable(f"delete {what}")
        statuses: list[int] = []

        def keep_status(pipeline_response: Any, *_: Any) -> None:
            statuses.append(pipeline_response.http_response.status_code)

        async with azure_errors(f"deleting {what}"):
            await call(*args, cls=keep_status)
        if statuses and statuses[-1] == 404:
            raise NotFoundError(f"{what} is already gone (the registry answered 404 to the delete)",
                                title="Already gone")

    async def delete_tag(self, repository: str, tag: str) -> None:
        """Untag; `NotFoundError` when the tag was already gone."""
        await self._delete(f"tag {repository}:{tag}", self.client.delete_tag, repository, tag)

    async def delete_manifest(self, repository: str, digest: str) -> None:
        """Delete a manifest (and its tags); `NotFoundError` when it was already gone."""
        await self._delete(f"manifest {repository}@{digest}", self.client.delete_manifest, repository, digest)

    async def delete_repository(self, repository: str) -> None:
        """Delete a repository; `NotFoundError` when it was already gone."""
        await self._delete(f"repository {repository}", self.client.delete_repository, repository)

    async def set_locks(self, repository: str, *, tag: str | None = None, digest: str | None = None,
                        can_delete: bool | None = None, can_write: bool | None = None) -> None:
        """Lock or unlock a repository, a tag or a manifest (`can_delete`, `can_write`)."""
        target = f"{repository}:{tag}" if tag else f"{repository}@{digest}" if digest else repository
        self._check_writable(f"change the locks of {target}")
        flags = {k: v for k, v in (("can_delete", can_delete), ("can_write", can_write)) if v is not None}
        if not flags:
            return
        async with azure_errors(f"changing the locks of {target}"):
            if tag:
                await self.client.update_tag_properties(repository, tag, **flags)
            elif digest:
                await self.client.update_manifest_properties(repository, digest, **flags)
            else:
                await self.client.update_repository_properties(repository, **flags)
