"""Replay a recorded ACR session as an azure-core async transport.

The recordings in tests/data/acr-recordings (see its README) come from azure-containerregistry's own test
suite: each is the ordered list of real requests and responses of one test. `ReplayTransport`
is handed to the real `ContainerRegistryClient` pipeline (its documented `transport=` keyword),
so everything above the wire — paging, the Bearer challenge, deserialization, error types —
is the SDK's. Each request takes the first unused entry with the same method, path and query;
a request the recording lacks raises `UnrecordedRequest` (the test fails loudly).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from azure.core.pipeline.transport import AsyncHttpTransport
from azure.core.rest._http_response_impl_async import AsyncHttpResponseImpl
from azure.core.utils import case_insensitive_dict

RECORDINGS = Path(__file__).resolve().parents[1] / "data" / "acr-recordings"
RECORDED_ENDPOINT = "https://fake_url.azurecr.io"   # the host the SDK's sanitizer wrote


class UnrecordedRequest(AssertionError):
    pass


def load_entries(name: str) -> list[dict]:
    """The entries of one recording; `name` may omit the `.json`."""
    path = RECORDINGS / (name if name.endswith(".json") else name + ".json")
    return json.loads(path.read_text())["Entries"]


def request_key(method: str, url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return method.upper(), parts.path + (f"?{parts.query}" if parts.query else "")


def body_bytes(body: Any) -> bytes:
    """A recorded response body as bytes: JSON, `null` (empty) or plain text stored as lines."""
    if body is None:
        return b""
    if isinstance(body, list) and all(isinstance(line, str) for line in body):
        return "\n".join(body).encode()
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


class _ReplayedResponse(AsyncHttpResponseImpl):
    """A complete (non-streamed) response, as the aiohttp transport returns when stream=False."""

    def __init__(self, request: Any, entry: dict) -> None:
        headers = case_insensitive_dict(entry.get("ResponseHeaders") or {})
        super().__init__(request=request, internal_response=None, status_code=int(entry["StatusCode"]),
                         reason="", content_type=headers.get("Content-Type"), headers=headers,
                         stream_download_generator=None)
        self._content = body_bytes(entry.get("ResponseBody"))
        self._is_stream_consumed = True

    async def read(self) -> bytes:
        return self._content or b""

    async def close(self) -> None:
        self._is_closed = True


class ReplayTransport(AsyncHttpTransport):
    """Answers from one recording; `requests` lists what was asked, `unused()` what was not."""

    def __init__(self, *recordings: str) -> None:
        self.entries = [entry for name in recordings for entry in load_entries(name)]
        self.used = [False] * len(self.entries)
        self.requests: list[tuple[str, str]] = []
        self.headers_sent: list[dict] = []

    async def send(self, request: Any, **kwargs: Any) -> Any:
        key = request_key(request.method, request.url)
        self.requests.append(key)
        self.headers_sent.append(dict(request.headers))
        for index, entry in enumerate(self.entries):
            if not self.used[index] and request_key(entry["RequestMethod"], entry["RequestUri"]) == key:
                self.used[index] = True
                return _ReplayedResponse(request, entry)
        raise UnrecordedRequest(f"the recording has no (more) answers for {key[0]} {key[1]}")

    def unused(self) -> list[tuple[str, str]]:
        return [request_key(e["RequestMethod"], e["RequestUri"])
                for e, used in zip(self.entries, self.used) if not used]

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def __aenter__(self) -> "ReplayTransport":
        return self

    async def __aexit__(self, *args: Any) -> None:
        pass
