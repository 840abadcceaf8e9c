"""aztui's own Blob Batch body and answer parser (`aztui.azure.batch`), checked against the SDK's own code.

Each sub-request's Shared Key signature is compared with what azure-storage-blob's
`SharedKeyCredentialPolicy` computes for the same request; answers are written as the service
documents them (https://learn.microsoft.com/rest/api/storageservices/blob-batch).
"""

from __future__ import annotations

import re

import pytest

from aztui.azure.batch import (
    BATCH_LIMIT,
    BatchAnswer,
    BatchFormatError,
    SubRequestAuth,
    delete_batch_body,
    hmac_sha256,
    parse_batch_response,
)
from aztui.errors import AztuiError
from tests.support.list_server import ACCOUNT, KEY

NAMES = ["blobs/sha256:abc", "a b/c+d%25é~.txt", "x/../y", "ünï/çødé", "q?uery#frag"]


def sub_requests(body: bytes, boundary: str) -> list[tuple[dict, str, str, dict]]:
    """(MIME headers, method, target, headers) of each part, read independently of aztui's code."""
    parts = body.decode().split("--" + boundary)
    assert parts[0] == "" and parts[-1] == "--\r\n"
    out = []
    for part in parts[1:-1]:
        assert part.startswith("\r\n") and part.endswith("\r\n\r\n\r\n")
        mime, request = part[2:].split("\r\n\r\n", 1)
        lines = request.rstrip("\r\n").split("\r\n")
        method, target, version = lines[0].split(" ")
        assert version == "HTTP/1.1"
        out.append((dict(line.split(": ", 1) for line in mime.split("\r\n")), method, target,
                    dict(line.split(": ", 1) for line in lines[1:])))
    return out


def sdk_signature(method: str, target: str, headers: dict) -> str:
    """What the SDK's own policy puts in Authorization for this sub-request."""
    from azure.core.pipeline import PipelineContext, PipelineRequest
    from azure.core.pipeline.transport import HttpRequest
    from azure.storage.blob._shared.authentication import SharedKeyCredentialPolicy

    request = HttpRequest(method, target, headers={k: v for k, v in headers.items() if k != "Authorization"})
    pipeline_request = PipelineRequest(request, PipelineContext(None))
    SharedKeyCredentialPolicy(ACCOUNT, KEY).on_request(pipeline_request)
    return request.headers["Authorization"]


def shared_key() -> SubRequestAuth:
    import base64

    return SubRequestAuth(account=ACCOUNT, key=base64.b64decode(KEY))


@pytest.mark.parametrize("container_path", ["/cache", f"/{ACCOUNT}/cache"])
def test_each_sub_request_is_signed_as_the_sdk_signs_it(container_path):
    blobs = [(name, f'"0x{i}"') for i, name in enumerate(NAMES)] + [("no-etag", None)]
    body, boundary = delete_batch_body(shared_key(), container_path, blobs)
    parts = sub_requests(body, boundary)
    assert len(parts) == len(blobs)
    for index, ((_, etag), (mime, method, target, headers)) in enumerate(zip(blobs, parts)):
        assert mime == {"Content-Type": "application/http", "Content-Transfer-Encoding": "binary",
                        "Content-ID": str(index)}
        assert method == "DELETE" and target.startswith(container_path + "/")
        assert headers.get("If-Match") == etag
        assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", headers["x-ms-date"])
        assert headers["Authorization"] == sdk_signature(method, target, headers)
    # names quoted as the SDK quotes them: '/' and '~' kept, the rest percent-encoded
    assert parts[1][2] == f"{container_path}/a%20b/c%2Bd%2525%C3%A9~.txt"
    assert parts[4][2] == f"{container_path}/q%3Fuery%23frag"


@pytest.mark.parametrize("size", [0, 1, 32, 64, 65, 200])
def test_the_precomputed_hmac_is_hmac_sha256(size):
    import hashlib
    import hmac

    key = bytes(range(256))[:size]
    for message in (b"", b"DELETE\n", bytes(range(256)) * 9):
        assert hmac_sha256(key)(message) == hmac.new(key, message, hashlib.sha256).digest()


def test_sas_goes_on_every_sub_request_url_and_nothing_else():
    body, boundary = delete_batch_body(SubRequestAuth(query="?sv=2020&sig=s%2Bcret"), "/cache",
                                       [("a", '"1"'), ("b c", '"2"')])
    parts = sub_requests(body, boundary)
    assert [target for _, _, target, _ in parts] == ["/cache/a?sv=2020&sig=s%2Bcret",
                                                    "/cache/b%20c?sv=2020&sig=s%2Bcret"]
    assert all("Authorization" not in headers for *_, headers in parts)


def test_bearer_token_goes_in_each_sub_request_header():
    body, boundary = delete_batch_body(SubRequestAuth(bearer="Bearer tok"), "/cache", [("a", '"1"')])
    assert sub_requests(body, boundary)[0][3]["Authorization"] == "Bearer tok"


def test_the_auth_never_shows_its_secrets():
    for auth in (shared_key(), SubRequestAuth(query="?sig=hush"), SubRequestAuth(bearer="Bearer hush")):
        assert "hush" not in repr(auth) and KEY not in repr(auth) and "key=" not in repr(auth)


def test_an_etag_with_a_line_break_is_refused_before_anything_is_built():
    with pytest.raises(AztuiError, match="line break"):
        delete_batch_body(shared_key(), "/cache", [("a", '"1"\r\nx-ms-delete-snapshots: include')])


def test_batch_size_limits():
    with pytest.raises(ValueError):
        delete_batch_body(shared_key(), "/cache", [])
    with pytest.raises(ValueError):
        delete_batch_body(shared_key(), "/cache", [(f"b{i}", '"1"') for i in range(BATCH_LIMIT + 1)])
    body, boundary = delete_batch_body(shared_key(), "/cache", [(f"b{i}", '"1"') for i in range(BATCH_LIMIT)])
    assert len(sub_requests(body, boundary)) == BATCH_LIMIT


# --- answers ----------------------------------------------------------------------

def answer(parts: list[tuple[str | None, str, list[str], str]], boundary="batchresponse_1",
           eol="\r\n") -> bytes:
    """A batch answer body: (Content-ID or None, status line, headers, body) per part."""
    out = []
    for content_id, status, headers, body in parts:
        mime = ["Content-Type: application/http"] + ([f"Content-ID: {content_id}"] if content_id is not None else [])
        out.append(f"--{boundary}{eol}" + eol.join(mime) + eol + eol + status + eol
                   + "".join(h + eol for h in headers) + eol + body + eol)
    return ("".join(out) + f"--{boundary}--{eol}").encode()


CT = "multipart/mixed; boundary=batchresponse_1"
ERROR_XML = ('<?xml version="1.0" encoding="utf-8"?><Error><Code>ConditionNotMet</Code>'
             "<Message>x-ms-error-code: NotThis</Message></Error>")


def test_answers_are_matched_by_content_id_with_their_codes():
    body = answer([
        ("2", "HTTP/1.1 404 The specified blob does not exist.", ["x-ms-error-code: BlobNotFound",
                                                                 "Content-Length: 0"], ""),
        ("0", "HTTP/1.1 202 Accepted", ["x-ms-delete-type-permanent: true", "x-ms-request-id: r0"], ""),
        ("1", "HTTP/1.1 412 The condition specified using HTTP conditional header(s) is not met.",
         ["x-ms-error-code: ConditionNotMet", "Content-Type: application/xml",
          f"Content-Length: {len(ERROR_XML)}"], ERROR_XML),
        ("3", "HTTP/1.1 403 This request is not authorized to perform this operation.", [], ""),
    ])
    assert parse_batch_response(CT, body, 4) == [
        BatchAnswer(202, "Accepted"), BatchAnswer(412, "ConditionNotMet"), BatchAnswer(404, "BlobNotFound"),
        BatchAnswer(403, "This request is not authorized to perform this operation.")]


def test_answers_without_content_id_go_by_position_and_bare_lf_is_read():
    body = answer([(None, "HTTP/1.1 202 Accepted", [], ""), (None, "HTTP/1.1 412 X", ["X-MS-Error-Code: ConditionNotMet"], "")],
                  eol="\n")
    assert parse_batch_response('multipart/mixed; boundary="batchresponse_1"', body, 2) == [
        BatchAnswer(202, "Accepted"), BatchAnswer(412, "ConditionNotMet")]


def test_a_short_or_gapped_answer_never_answers_past_the_gap():
    ok = "HTTP/1.1 202 Accepted"
    assert parse_batch_response(CT, answer([("0", ok, [], ""), ("1", ok, [], "")]), 3) == [BatchAnswer(202, "Accepted")] * 2
    assert parse_batch_response(CT, answer([("0", ok, [], ""), ("2", ok, [], "")]), 3) == [BatchAnswer(202, "Accepted")]
    assert parse_batch_response(CT, answer([("7", ok, [], "")]), 3) == []  # an index never asked for


def test_an_answer_that_is_not_a_batch_is_refused():
    with pytest.raises(BatchFormatError):
        parse_batch_response("application/xml", b"<Error/>", 1)
    with pytest.raises(BatchFormatError):
        parse_batch_response(CT, b"--batchresponse_1\r\nContent-ID: 0\r\n\r\ngarbage\r\n--batchresponse_1--", 1)
