"""Matrix rows F2 and F4: template escaping and urlize cost, through real servers (docs/security.md)."""

from __future__ import annotations

import urllib.parse

import pytest
from security_checks import assert_healthy, within
from security_http import get, request
from security_servers import RunningServer

APP_MODULE = "sec_faults_app"

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</p><script>x</script>",
    "&lt;already&gt;",
]


@pytest.mark.parametrize("view", ["/tpl", "/tpl-string"])
@pytest.mark.parametrize("payload", PAYLOADS)
def test_f2_variables_are_escaped(server: RunningServer, view: str, payload: str) -> None:
    reply = get(server.port, f"{view}?v={urllib.parse.quote(payload)}")
    assert reply.status == 200
    assert b"<script" not in reply.body and b"<img" not in reply.body
    assert reply.body.count(b"<p>") == 1
    if payload.startswith("&"):
        assert b"&amp;lt;already&amp;gt;" in reply.body


PATHOLOGICAL = {
    "parens": "(" * 50_000,
    "angles": "<" * 50_000,
    "at-signs": "a@" * 25_000,
    "dotted-host": "http://" + "a." * 25_000,
    "www": "www." * 12_500,
    "punctuation": "a" + "." * 50_000 + "b",
    "brackets": "[(<" * 16_666,
    "spaces": "x" + " " * 50_000 + "x",
}


@pytest.mark.parametrize("case", list(PATHOLOGICAL))
def test_f4_urlize_on_pathological_input_is_fast(server: RunningServer, case: str) -> None:
    body = PATHOLOGICAL[case].encode()
    empty = min(request(server.port, "POST", "/urlize", {}, b"x").elapsed for _ in range(3))
    replies = [
        request(server.port, "POST", "/urlize", {"Content-Type": "text/plain"}, body) for _ in range(3)
    ]
    assert all(r.status == 200 for r in replies)
    spent = min(r.elapsed for r in replies) - empty
    assert spent < within(0.010), f"{spent * 1000:.1f} ms"
    assert_healthy(server)
