"""A local Microsoft Entra ID token endpoint for tests (HTTPS, threaded http.server).

It serves what azure-identity and MSAL ask for when instance discovery is off:

- `GET  /{tenant}/v2.0/.well-known/openid-configuration` (and the v1 path)
- `GET  /common/discovery/instance` (instance discovery, should it be asked anyway)
- `POST /{tenant}/oauth2/v2.0/token` with `grant_type=client_credentials`

Registered apps (tenant, client id, secret) get an unsigned JWT that Azurite's
`--oauth basic` accepts (it checks iss, aud, nbf, exp and iat, not the signature).
A wrong secret gets Entra's 401 `invalid_client` / AADSTS7000215 answer. Every
request is recorded in `requests`; unknown paths answer 404 and are recorded too.
"""

from __future__ import annotations

import base64
import json
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

STORAGE_AUDIENCE = "https://storage.azure.com"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(claims: dict) -> str:
    """An unsigned JWT (`alg: none`): header.payload. with an empty signature."""
    header = {"typ": "JWT", "alg": "none"}
    return f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}."


@dataclass
class TokenRequest:
    method: str
    path: str
    form: dict = field(default_factory=dict)


class TokenServer:
    """Start with `start()`, stop with `stop()`; `authority` is its https base URL."""

    def __init__(self, cert: str, key: str, host: str = "127.0.0.1") -> None:
        self.apps: dict[tuple[str, str], str] = {}   # (tenant, client_id) -> secret
        self.requests: list[TokenRequest] = []
        self.tokens_issued = 0
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, 0), self._handler_class())
        self._httpd.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def authority(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def register(self, tenant: str, client_id: str, secret: str) -> None:
        self.apps[(tenant, client_id)] = secret

    def token_requests(self) -> list[TokenRequest]:
        return [r for r in self.requests if r.path.endswith("/oauth2/v2.0/token")]

    def start(self) -> "TokenServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # --- request handling -------------------------------------------------

    def _record(self, request: TokenRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _openid_configuration(self, tenant: str) -> dict:
        base = f"{self.authority}/{tenant}"
        return {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "issuer": f"{base}/v2.0",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                       "client_secret_basic"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "tenant_region_scope": None,
        }

    def _token(self, tenant: str, form: dict) -> tuple[int, dict]:
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type",
                         "error_description": "AADSTS70003: The app requested an unsupported grant type."}
        client_id = form.get("client_id", "")
        if (tenant, client_id) not in self.apps:
            return 400, {"error": "unauthorized_client",
                         "error_description": f"AADSTS700016: Application with identifier '{client_id}' "
                                              f"was not found in the directory '{tenant}'."}
        if form.get("client_secret") != self.apps[(tenant, client_id)]:
            return 401, {"error": "invalid_client",
                         "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the "
                                              "secret being sent in the request is the client secret value, "
                                              "not the client secret ID, for a secret added to app "
                                              f"'{client_id}'. Trace ID: {uuid.uuid4()}",
                         "error_codes": [7000215]}
        now = int(time.time())
        scope = form.get("scope", "")
        audience = scope.removesuffix("/.default").rstrip("/") or STORAGE_AUDIENCE
        claims = {"aud": audience, "iss": f"https://sts.windows.net/{tenant}/", "iat": now - 60,
                  "nbf": now - 60, "exp": now + 3599, "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, client_id)),
                  "tid": tenant, "appid": client_id, "sub": client_id, "ver": "1.0"}
        with self._lock:
            self.tokens_issued += 1
        return 200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                     "access_token": make_jwt(claims)}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                server._record(TokenRequest("GET", path))
                parts = path.strip("/").split("/")
                if path.endswith("/.well-known/openid-configuration"):
                    self._send(200, server._openid_configuration(parts[0]))
                elif path == "/common/discovery/instance":
                    host = urlsplit(server.authority).netloc
                    self._send(200, {"tenant_discovery_endpoint":
                                     f"{server.authority}/common/v2.0/.well-known/openid-configuration",
                                     "api-version": "1.1",
                                     "metadata": [{"preferred_network": host, "preferred_cache": host,
                                                   "aliases": [host]}]})
                else:
                    self._send(404, {"error": "not_found", "error_description": f"no handler for {path}"})

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                server._record(TokenRequest("POST", path, form))
                parts = path.strip("/").split("/")
                if len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
                    self._send(*server._token(parts[0], form))
                else:
                    self._send(404, {"error": "not_found", "error_description": f"no handler for {path}"})

        return Handler


# The tenant and client the tests register at a TokenServer
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
CLIENT_SECRET = "s3cr3t-value-for-tests~Q8"
