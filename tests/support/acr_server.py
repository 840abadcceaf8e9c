"""A local Azure Container Registry look-alike for tests (HTTPS, threaded http.server).

It speaks what azure-containerregistry's client asks for, the way ACR answers it:

- `GET /acr/v1/_catalog`, `GET|PATCH|DELETE /acr/v1/{name}`, `GET /acr/v1/{name}/_tags[/{tag}]`
  (`PATCH`, `DELETE` on a tag), `GET /acr/v1/{name}/_manifests[/{digest}]` (`PATCH`), with
  `n`/`last` paging through `Link: <...>; rel="next"` headers;
- the Bearer challenge flow: a request without a valid token gets `401` with
  `WWW-Authenticate: Bearer realm=".../oauth2/token",service="...",scope="..."`;
  `POST /oauth2/exchange` trades an Entra access token (from tests/support/tokenserver.py, audience
  https://containerregistry.azure.net) for an ACR refresh token, `POST /oauth2/token` trades a
  refresh token — or, anonymously, `grant_type=password` — for an access token. Anonymous
  tokens only read; `private=True` refuses anonymous tokens altogether;
- `/v2/...` proxied to a real Distribution registry (tests/support/registry_server.py, Debian's
  docker-registry 2.8), whose storage tree is also where the metadata comes from: repositories,
  tags (`current/link`), every manifest revision (untagged ones too), sizes, media types,
  platforms (from the config blob), index children and OCI `subject`.

docker-registry 2.8 has no tag delete, so a deleted tag is hidden by this server (as ACR
untags without touching the manifest). Locks (`deleteEnabled`, `writeEnabled`, ...) and
timestamps live here too; timestamps default to the registry's link file times and can be
set with `set_time` (for `--ago` tests). For benchmarks, `synthetic={repo: [tags]}` serves
metadata without a registry behind it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import ssl
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from aztui.profiles.model import Profile, Secret
from tests.support.tokenserver import CLIENT_ID, CLIENT_SECRET, TENANT

ACR_AUDIENCE = "https://containerregistry.azure.net"
READ_ACTIONS = {"pull", "metadata_read", "*"}
INDEX_TYPES = {"application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json"}
FLAG_KEYS = {"can_delete": "deleteEnabled", "can_write": "writeEnabled", "can_read": "readEnabled",
             "can_list": "listEnabled"}


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _jwt_claims(token: str) -> dict | None:
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None


def refresh_token_for(subject: str, lifetime: int = 3600) -> str:
    """A JWT-shaped ACR refresh token; azure-containerregistry reads its `exp` claim.

    The SDK decodes the payload with standard base64 and its own padding arithmetic, so the
    payload is padded with spaces to a length that needs no `=` padding."""
    payload = json.dumps({"sub": subject, "exp": int(time.time()) + lifetime, "jti": secrets.token_hex(8)})
    payload += " " * (-len(payload) % 3)
    body = base64.b64encode(payload.encode()).decode()
    return f"e30.{body}.sig"  # e30 = base64("{}")


@dataclass
class Manifest:
    digest: str
    size: int
    media_type: str | None
    created: datetime
    architecture: str | None = None
    os: str | None = None
    references: tuple[str, ...] = ()
    subject: str | None = None


@dataclass
class Repo:
    name: str
    manifests: dict[str, Manifest] = field(default_factory=dict)
    tags: dict[str, tuple[str, datetime]] = field(default_factory=dict)   # tag -> (digest, created)


class RegistryStorage:
    """Reads repositories, tags and manifest revisions from docker-registry's filesystem tree."""

    def __init__(self, root: Path) -> None:
        self.v2 = Path(root) / "docker" / "registry" / "v2"

    def blob(self, digest: str) -> bytes | None:
        algo, _, hexpart = digest.partition(":")
        path = self.v2 / "blobs" / algo / hexpart[:2] / hexpart / "data"
        return path.read_bytes() if path.is_file() else None

    def repos(self) -> dict[str, Repo]:
        base = self.v2 / "repositories"
        found: dict[str, Repo] = {}
        if not base.is_dir():
            return found
        for manifests_dir in sorted(base.rglob("_manifests")):
            name = manifests_dir.parent.relative_to(base).as_posix()
            repo = Repo(name)
            for link in sorted((manifests_dir / "revisions").glob("*/*/link")):
                digest = link.read_text().strip()
                if manifest := self._manifest(digest, link):
                    repo.manifests[digest] = manifest
            for link in sorted((manifests_dir / "tags").glob("*/current/link")):
                digest = link.read_text().strip()
                if digest in repo.manifests:
                    repo.tags[link.parent.parent.name] = (digest, _mtime(link))
            found[name] = repo
        return found

    def _manifest(self, digest: str, link: Path) -> Manifest | None:
        data = self.blob(digest)
        if data is None:
            return None
        doc = json.loads(data)
        manifest = Manifest(digest, len(data), doc.get("mediaType"), _mtime(link),
                            subject=(doc.get("subject") or {}).get("digest"))
        if manifest.media_type in INDEX_TYPES:
            manifest.references = tuple(m["digest"] for m in doc.get("manifests") or [])
        elif config_digest := (doc.get("config") or {}).get("digest"):
            config = self.blob(config_digest)
            if config:
                try:
                    parsed = json.loads(config)
                    manifest.architecture, manifest.os = parsed.get("architecture"), parsed.get("os")
                except ValueError:
                    pass
        return manifest


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)


class SyntheticStorage:
    """Metadata only: {repo: [tags]}, one manifest per tag; for listing benchmarks."""

    def __init__(self, repos: dict[str, list[str]]) -> None:
        now = datetime.now(timezone.utc)
        self._repos: dict[str, Repo] = {}
        for name, tags in repos.items():
            repo = Repo(name)
            for tag in tags:
                digest = "sha256:" + hashlib.sha256(f"{name}:{tag}".encode()).hexdigest()
                repo.manifests[digest] = Manifest(digest, 1024, "application/vnd.oci.image.manifest.v1+json",
                                                  now, "amd64", "linux")
                repo.tags[tag] = (digest, now)
            self._repos[name] = repo

    def repos(self) -> dict[str, Repo]:
        return self._repos

    def blob(self, digest: str) -> bytes | None:
        return None


class AcrServer:
    """Start with `start()`, stop with `stop()`; `url` is its https endpoint."""

    def __init__(self, cert: str, key: str, *, registry=None, synthetic: dict | None = None,
                 private: bool = False, default_page: int = 100, latency: float = 0.0) -> None:
        self.registry = registry                 # tests.registry_server.RegistryServer or None
        self.storage = SyntheticStorage(synthetic) if synthetic is not None else RegistryStorage(registry.root)
        self.private = private
        self.default_page = default_page
        self.latency = latency                   # seconds added to every metadata answer (benchmarks)
        self.requests: list[tuple[str, str, bool]] = []   # (method, path?query, had a token)
        self.connections = 0                                # TCP connections accepted
        self.hidden_tags: set[tuple[str, str]] = set()
        self.deleted_repos: set[str] = set()
        self.flags: dict[tuple, dict[str, bool]] = {}      # (repo,) / (repo, "tag", t) / (repo, "digest", d)
        self.times: dict[tuple, datetime] = {}             # same keys: last update time
        self._tokens: dict[str, tuple[str, bool]] = {}     # access token -> (scope, anonymous)
        self._refresh: set[str] = set()
        self.exchanges = 0
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def service(self) -> str:
        return urlsplit(self.url).netloc

    def start(self) -> "AcrServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "AcrServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- state that tests set -------------------------------------------------------------

    def set_time(self, repo: str, when: datetime, *, tag: str | None = None, digest: str | None = None) -> None:
        self.times[self._key(repo, tag, digest)] = when

    def set_flags(self, repo: str, *, tag: str | None = None, digest: str | None = None, **flags: bool) -> None:
        self.flags.setdefault(self._key(repo, tag, digest), {}).update(flags)

    @staticmethod
    def _key(repo: str, tag: str | None, digest: str | None) -> tuple:
        return (repo, "tag", tag) if tag else (repo, "digest", digest) if digest else (repo,)

    def model(self) -> dict[str, Repo]:
        """What the registry holds now, minus what this server deleted."""
        repos = {}
        for name, repo in self.storage.repos().items():
            if name in self.deleted_repos or not repo.manifests:
                continue
            repo.tags = {t: v for t, v in repo.tags.items() if (name, t) not in self.hidden_tags}
            repos[name] = repo
        return dict(sorted(repos.items()))

    # --- tokens -----------------------------------------------------------------------------

    def _issue(self, scope: str, anonymous: bool) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = (scope, anonymous)
        return token

    def _exchange(self, form: dict) -> tuple[int, dict]:
        claims = _jwt_claims(form.get("access_token", ""))
        if form.get("grant_type") != "access_token" or not claims:
            return 400, _error("UNSUPPORTED", "grant_type=access_token and an Entra access token are required")
        if claims.get("aud") != ACR_AUDIENCE or claims.get("exp", 0) < time.time():
            return 401, _error("UNAUTHORIZED", f"the token's audience {claims.get('aud')!r} is not {ACR_AUDIENCE} "
                                               "or it has expired")
        token = refresh_token_for(str(claims.get("sub") or claims.get("appid")))
        with self._lock:
            self._refresh.add(token)
            self.exchanges += 1
        return 200, {"refresh_token": token}

    def _token(self, form: dict) -> tuple[int, dict]:
        scope = form.get("scope", "")
        if form.get("grant_type") == "password":
            if self.private:
                return 401, _error("UNAUTHORIZED", "anonymous pull is not enabled on this registry")
            return 200, {"access_token": self._issue(scope, anonymous=True)}
        if form.get("grant_type") == "refresh_token" and form.get("refresh_token") in self._refresh:
            return 200, {"access_token": self._issue(scope, anonymous=False)}
        return 401, _error("UNAUTHORIZED", "the refresh token is not valid")

    def _authorized(self, header: str, scope: str) -> tuple[bool, bool]:
        """(authorized, insufficient scope) for a request needing `scope`."""
        token = header[7:] if header.startswith("Bearer ") else ""
        granted = self._tokens.get(token)
        if granted is None:
            return False, False
        granted_scope, anonymous = granted
        action = scope.rsplit(":", 1)[-1]
        if granted_scope != scope or (anonymous and action not in READ_ACTIONS):
            return False, True
        return True, False

    # --- metadata answers ---------------------------------------------------------------------

    def _flags(self, key: tuple) -> dict[str, bool]:
        values = {"deleteEnabled": True, "writeEnabled": True, "readEnabled": True, "listEnabled": True}
        for flag, value in self.flags.get(key, {}).items():
            values[FLAG_KEYS.get(flag, flag)] = value
        return values

    def _tag_json(self, repo: Repo, tag: str) -> dict:
        digest, created = repo.tags[tag]
        key = (repo.name, "tag", tag)
        return {"name": tag, "digest": digest, "createdTime": _iso(created),
                "lastUpdateTime": _iso(self.times.get(key, created)), "signed": False,
                "changeableAttributes": self._flags(key)}

    def _manifest_json(self, repo: Repo, m: Manifest) -> dict:
        key = (repo.name, "digest", m.digest)
        body = {"digest": m.digest, "imageSize": m.size, "createdTime": _iso(m.created),
                "lastUpdateTime": _iso(self.times.get(key, m.created)), "mediaType": m.media_type,
                "tags": sorted(t for t, (d, _) in repo.tags.items() if d == m.digest) or None,
                "changeableAttributes": self._flags(key)}
        if m.architecture:
            body.update(architecture=m.architecture, os=m.os)
        if m.references:
            body["references"] = [{"digest": d} for d in m.references]
        return {k: v for k, v in body.items() if v is not None}

    def _repo_json(self, repo: Repo) -> dict:
        times = [m.created for m in repo.manifests.values()]
        key = (repo.name,)
        return {"registry": self.service, "imageName": repo.name, "createdTime": _iso(min(times)),
                "lastUpdateTime": _iso(self.times.get(key, max(times))), "manifestCount": len(repo.manifests),
                "tagCount": len(repo.tags), "changeableAttributes": self._flags(key)}

    def _page(self, items: list, query: dict, path: str, key) -> tuple[list, dict]:
        n = int(query.get("n", [self.default_page])[0] or self.default_page)
        last = query.get("last", [None])[0]
        if last is not None:
            items = [i for i in items if key(i) > last]
        page, rest = items[:n], items[n:]
        headers = {}
        if rest:
            headers["Link"] = f'<{path}?last={quote(key(page[-1]), safe="")}&n={n}&orderby=>; rel="next"'
        return page, headers

    def acr(self, method: str, segments: list[str], query: dict, body: dict) -> tuple[int, dict, dict]:
        """The /acr/v1/... answers: (status, headers, JSON body)."""
        repos = self.model()
        if segments == ["_catalog"]:
            page, headers = self._page(list(repos), query, "/acr/v1/_catalog", lambda n: n)
            return 200, headers, {"repositories": page}
        name, rest = segments[0], segments[1:]
        repo = repos.get(name)
        if repo is None:
            return 404, {}, _error("NAME_UNKNOWN", f"repository name not known to registry: {name}")
        base = {"registry": self.service, "imageName": name}
        if not rest:
            if method == "DELETE":
                return self._delete_repo(repo)
            if method == "PATCH":
                self.set_flags(name, **_flags_from(body))
            return 200, {}, self._repo_json(repo)
        kind, ref = rest[0], (rest[1] if len(rest) > 1 else None)
        if kind == "_tags":
            if ref is None:
                tags = sorted(repo.tags)
                page, headers = self._page(tags, query, f"/acr/v1/{quote(name, safe='')}/_tags", lambda t: t)
                return 200, headers, {**base, "tags": [self._tag_json(repo, t) for t in page]}
            if ref not in repo.tags:
                return 404, {}, _error("TAG_UNKNOWN", f"the specified tag does not exist: {ref}")
            if method == "DELETE":
                if not self._flags((name, "tag", ref))["deleteEnabled"]:
                    return _locked()
                self.hidden_tags.add((name, ref))
                return 202, {}, None
            if method == "PATCH":
                self.set_flags(name, tag=ref, **_flags_from(body))
            return 200, {}, {**base, "tag": self._tag_json(repo, ref)}
        if kind == "_manifests":
            if ref is None:
                manifests = sorted(repo.manifests.values(), key=lambda m: m.digest)
                page, headers = self._page(manifests, query, f"/acr/v1/{quote(name, safe='')}/_manifests",
                                           lambda m: m.digest)
                return 200, headers, {**base, "manifests": [self._manifest_json(repo, m) for m in page]}
            if ref not in repo.manifests:
                return 404, {}, _error("MANIFEST_UNKNOWN", f"manifest {ref} is not found")
            if method == "PATCH":
                self.set_flags(name, digest=ref, **_flags_from(body))
            return 200, {}, {**base, "manifest": self._manifest_json(repo, repo.manifests[ref])}
        return 404, {}, _error("NOT_FOUND", "no such path")

    def _delete_repo(self, repo: Repo) -> tuple[int, dict, dict]:
        if not self._flags((repo.name,))["deleteEnabled"]:
            return _locked()
        for digest in repo.manifests:
            if self.registry is not None:
                self._proxy("DELETE", f"/v2/{repo.name}/manifests/{digest}", b"", {})
        self.deleted_repos.add(repo.name)
        return 202, {}, {"manifestsDeleted": list(repo.manifests), "tagsDeleted": sorted(repo.tags)}

    def manifest_locked(self, name: str, digest: str) -> bool:
        return not self._flags((name, "digest", digest))["deleteEnabled"]

    # --- /v2 proxy --------------------------------------------------------------------------------

    def _proxy(self, method: str, path: str, data: bytes, headers: dict) -> tuple[int, dict, bytes]:
        request = urllib.request.Request(self.registry.url + path, data=data or None, method=method,
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def v2(self, method: str, path: str, query: str, data: bytes, headers: dict) -> tuple[int, dict, bytes]:
        parts = path.split("/manifests/")
        if len(parts) == 2:
            name, ref = parts[0][len("/v2/"):], parts[1]
            if (name, ref) in self.hidden_tags or name in self.deleted_repos:
                body = json.dumps(_error("MANIFEST_UNKNOWN", "manifest unknown")).encode()
                return 404, {"Content-Type": "application/json"}, body
            if method == "DELETE" and self.manifest_locked(name, ref):
                status, extra, body = _locked()
                return status, extra, json.dumps(body).encode()
        if self.registry is None:
            return 404, {}, b""
        forwarded = {k: v for k, v in headers.items() if k.lower() in ("accept", "content-type", "range")}
        status, answer_headers, body = self._proxy(method, path + (f"?{query}" if query else ""), data, forwarded)
        keep = {k: v for k, v in answer_headers.items()
                if k.lower() in ("content-type", "docker-content-digest", "location", "docker-upload-uuid",
                                 "range", "content-range", "link")}
        return status, keep, body

    # --- HTTP --------------------------------------------------------------------------------------

    def _required_scope(self, method: str, path: str, segments: list[str]) -> str:
        if path.startswith("/v2/"):
            rest = path[len("/v2/"):]
            if not rest:
                return ""
            name = rest.split("/manifests/")[0].split("/blobs/")[0].split("/tags/")[0]
            action = "delete" if method == "DELETE" else "pull" if method in ("GET", "HEAD") else "push"
            return f"repository:{name}:{action}"
        if segments == ["_catalog"]:
            return "registry:catalog:*"
        action = {"DELETE": "delete", "PATCH": "metadata_write"}.get(method, "metadata_read")
        return f"repository:{segments[0]}:{action}"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16                # one write per answer (flushed by http.server) ...
            disable_nagle_algorithm = True    # ... sent at once: no delayed-ACK stalls on keep-alive

            def log_message(self, *args) -> None:
                pass

            def setup(self) -> None:
                with server._lock:
                    server.connections += 1
                super().setup()

            def _send(self, status: int, headers: dict, body: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _json(self, status: int, body, headers: dict | None = None) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self._send(status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, data)

            def _handle(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else b""
                authorization = self.headers.get("Authorization", "")
                with server._lock:
                    server.requests.append((self.command, self.path, bool(authorization)))
                if split.path in ("/oauth2/exchange", "/oauth2/token"):
                    form = {k: v[0] for k, v in parse_qs(data.decode(), keep_blank_values=True).items()}
                    answer = server._exchange(form) if split.path.endswith("exchange") else server._token(form)
                    return self._json(*answer)
                raw = split.path
                if raw.startswith("/acr/v1/"):
                    segments = [unquote(s) for s in raw[len("/acr/v1/"):].split("/") if s]
                    path = raw
                elif raw.startswith("/v2/"):
                    path, segments = unquote(raw), []
                else:
                    return self._json(404, _error("NOT_FOUND", "no such path"))
                scope = server._required_scope(self.command, path, segments)
                ok, insufficient = server._authorized(authorization, scope)
                if not ok:
                    challenge = f'Bearer realm="{server.url}/oauth2/token",service="{server.service}"'
                    if scope:
                        challenge += f',scope="{scope}"'
                    if insufficient:
                        challenge += ',error="insufficient_scope"'
                    return self._json(401, _error("UNAUTHORIZED", "authentication required"),
                                      {"WWW-Authenticate": challenge})
                if server.latency:
                    time.sleep(server.latency)
                if path.startswith("/v2/"):
                    return self._send(*server.v2(self.command, path, split.query, data, dict(self.headers)))
                body = json.loads(data) if data else {}
                status, headers, answer = server.acr(self.command, segments, parse_qs(split.query), body)
                return self._json(status, answer, headers)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        return Handler


def _error(code: str, message: str) -> dict:
    return {"errors": [{"code": code, "message": message}]}


def _locked() -> tuple[int, dict, dict]:
    return 405, {}, _error("OPERATION_IS_NOT_ALLOWED",
                           "The operation is disallowed on this registry, repository or image.")


def _flags_from(body: dict) -> dict[str, bool]:
    reverse = {v: k for k, v in FLAG_KEYS.items()}
    return {reverse[k]: bool(v) for k, v in (body or {}).items() if k in reverse}


def env_without_azure(environ=os.environ) -> dict:
    return {k: v for k, v in environ.items() if not k.startswith(("AZURE_", "IDENTITY_", "MSI_"))}


def acr_profile(acr_server, tls, **kwargs) -> Profile:
    """A profile for the local ACR server (anonymous unless `auth` says otherwise), trusting the test CA."""
    kwargs.setdefault("auth", "anonymous")
    return Profile(name="acr", kind="acr", registry_url=acr_server.url, ca_bundle=tls["ca"], max_retries=0,
                   **kwargs)


def credential_profile(acr, tls, token_server, **kwargs) -> Profile:
    """A client-secret profile for the local ACR server, its client registered at `token_server`."""
    token_server.register(TENANT, CLIENT_ID, CLIENT_SECRET)
    return acr_profile(acr, tls, auth="client_secret", tenant_id=TENANT, client_id=CLIENT_ID,
                       client_secret=Secret(CLIENT_SECRET), authority_host=token_server.authority, **kwargs)
