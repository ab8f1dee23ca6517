"""Matrix rows B: JSON bodies, through real servers (docs/security.md)."""

from __future__ import annotations

import itertools

import pytest
from security_checks import assert_healthy
from security_http import build_request, raw, request, send_chunked
from security_servers import RunningServer

APP_MODULE = "sec_body_app"
MIB = 1024 * 1024
JSON = {"Content-Type": "application/json"}


def post_json(server: RunningServer, path: str, body: bytes, content_type: str = "application/json"):  # type: ignore[no-untyped-def]
    return request(server.port, "POST", path, {"Content-Type": content_type}, body, timeout=20)


@pytest.mark.parametrize("body", [b"[" * 50_000, b'{"a":' * 50_000], ids=["arrays", "objects"])
def test_b1_deep_nesting_is_400(server: RunningServer, body: bytes) -> None:
    reply = post_json(server, "/default/json", body)
    assert reply.status == 400, reply.body[:200]
    assert_healthy(server)


def test_b1_deep_but_valid_nesting_is_400_or_parsed(server: RunningServer) -> None:
    body = b"[" * 50_000 + b"]" * 50_000
    reply = post_json(server, "/default/json", body)
    assert reply.status in (200, 400), reply.body[:200]


def test_b2_five_thousand_digit_integer_is_400(server: RunningServer) -> None:
    reply = post_json(server, "/default/json", b"[" + b"7" * 5000 + b"]")
    assert reply.status == 400, reply.body[:200]
    assert_healthy(server)


@pytest.mark.parametrize("literal", [b"1e999999", b"NaN", b"-Infinity"])
def test_b2_non_finite_numbers_follow_the_documented_behaviour(server: RunningServer, literal: bytes) -> None:
    # docs/security.md: Python's json module reads these as float('inf') / float('nan'); Erlen keeps that.
    reply = post_json(server, "/default/json", b"[" + literal + b"]")
    assert reply.status == 200, reply.body[:200]
    assert reply.json() == {"type": "list", "size": 1}


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"a": ', "application/json", 400),
        (b'{"a": "\xff\xfe"}', "application/json", 400),
        (b'{"a": 1}', "text/plain", 415),
    ],
    ids=["invalid", "bad-utf8", "wrong-content-type"],
)
def test_b3_invalid_json(server: RunningServer, body: bytes, content_type: str, status: int) -> None:
    reply = post_json(server, "/default/json", body, content_type)
    assert reply.status == status, reply.body[:200]
    assert b"Traceback" not in reply.body
    assert_healthy(server)


def test_b4_declared_json_over_cap_is_413(server: RunningServer) -> None:
    head = build_request("POST", "/capped/json", {**JSON, "Content-Length": str(2 * MIB)})
    reply = raw(server.port, head, timeout=5, method="POST")
    assert reply.status == 413


def test_b4_chunked_json_over_cap_is_413(server: RunningServer) -> None:
    pieces = itertools.chain([b'{"a": "'], itertools.repeat(b"x" * 65536, 64))
    reply, sent = send_chunked(server.port, "/capped/json", pieces, JSON)
    assert reply.status == 413
    # How much of the upload the client got to send depends on how the server drains the socket after the
    # 413 (gunicorn and granian differ), not on Erlen; the matrix row asks for the 413.
    del sent
    assert_healthy(server)
