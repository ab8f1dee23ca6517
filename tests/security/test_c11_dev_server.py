"""Matrix row C11 on Werkzeug's development server (`erlen run`), where the matrix marks it."""

from __future__ import annotations

from security_checks import assert_healthy
from security_http import build_request, raw
from security_servers import RunningServer

APP_MODULE = "sec_http_app"
RUN_ON = ("werkzeug-dev",)


def test_c11_length_and_chunked_together_are_400(server: RunningServer) -> None:
    head = build_request(
        "POST", "/things", [("Content-Length", "5"), ("Transfer-Encoding", "chunked")], content_length=False
    )
    reply = raw(server.port, head + b"0\r\n\r\n", method="POST")
    assert reply.status == 400


def test_c11_request_line_of_70_kB_is_414(server: RunningServer) -> None:
    reply = raw(server.port, build_request("GET", "/where?q=" + "a" * 70_000))
    assert reply.status == 414


def test_c11_two_hundred_headers_are_431(server: RunningServer) -> None:
    reply = raw(server.port, build_request("GET", "/where", [(f"X-H{i}", "v") for i in range(200)]))
    assert reply.status == 431
    assert_healthy(server)
