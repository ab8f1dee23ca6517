"""Matrix rows H1-H3, H5, H7, H13: faults while serving, through real servers (docs/security.md)."""

from __future__ import annotations

import socket
import time

import pytest
from security_checks import assert_healthy, within
from security_http import (
    build_request,
    connect,
    get,
    multipart,
    multipart_headers,
    multipart_part,
    read_reply,
    request,
)
from security_servers import RunningServer

APP_MODULE = "sec_faults_app"


def state(server: RunningServer) -> dict[str, object]:
    return dict(get(server.port, "/_state").json())


def reset(server: RunningServer) -> None:
    assert request(server.port, "POST", "/_state/reset").status == 200


def wait_for(server: RunningServer, key: str, seconds: float) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while True:
        seen = state(server)
        if key in seen or time.monotonic() > deadline:
            return seen
        time.sleep(0.02)


def test_h1_client_closing_mid_stream_runs_finally_and_teardown(server: RunningServer) -> None:
    reset(server)
    with connect(server.port) as sock:
        sock.sendall(build_request("GET", "/h1/stream"))
        first = sock.recv(4096)
        assert first.startswith(b"HTTP/1.1 200")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    closed_at = time.time()
    seen = wait_for(server, "h1_finally", within(1.0) + 0.5)
    assert "h1_finally" in seen, seen
    assert float(seen["h1_finally"]) - closed_at < within(1.0)  # type: ignore[arg-type]
    assert "h1_completed" not in seen
    assert "h1_teardown" in seen
    assert_healthy(server)


def test_h2_generator_error_leaves_the_stream_incomplete_and_is_logged_once(server: RunningServer) -> None:
    if server.kind.name.startswith("granian"):
        pytest.skip(
            "server: granian ends the chunked body cleanly when a WSGI iterable raises (docs/security.md)"
        )
    with connect(server.port) as sock:
        sock.sendall(build_request("GET", "/h2/stream", {"Connection": "keep-alive"}))
        reply = read_reply(sock)
    assert reply.status == 200
    assert reply.body.startswith(b"first chunk")
    assert not reply.complete, "the stream ended as if it were whole"
    time.sleep(0.2)
    assert server.log_text().count("RuntimeError: H2-BOOM") == 1, server.log_text()[-3000:]
    assert_healthy(server)


@pytest.mark.parametrize("sent", [0, 10, 999])
def test_h3_body_shorter_than_content_length_then_close(server: RunningServer, sent: int) -> None:
    reset(server)
    with connect(server.port, timeout=10) as sock:
        sock.sendall(build_request("POST", "/h3/data", {"Content-Length": "1000"}) + b"y" * sent)
        sock.shutdown(socket.SHUT_WR)
        started = time.monotonic()
        try:
            reply = read_reply(sock, "POST")
        except ConnectionError:
            reply = None
        assert time.monotonic() - started < 5, "the server hung on a short body"
    if reply is not None:
        assert reply.status == 400, reply.body[:200]
    assert "server_errors" not in state(server)
    assert_healthy(server)


def test_h5_view_and_teardown_raising_still_run_every_teardown_and_signal(server: RunningServer) -> None:
    reset(server)
    request(server.port, "POST", "/h5/arm")
    reply = get(server.port, "/h5/boom")
    assert reply.status == 500
    seen = state(server)
    for key in (
        "h5_teardown_first",
        "h5_teardown_raising",
        "h5_teardown_last",
        "h5_teardown_appcontext",
        "h5_signal_got_request_exception",
        "h5_signal_request_tearing_down",
        "h5_signal_appcontext_tearing_down",
    ):
        assert key in seen, (key, seen)
    assert "ValueError" in str(seen["h5_teardown_last"])
    assert_healthy(server)


def temp_files(server: RunningServer) -> list[str]:
    return list(get(server.port, "/h7/fds").json()["temp_files"])


H7_FAILURES = ["field-over-cap", "truncated"]


@pytest.mark.parametrize("failure", H7_FAILURES)
def test_h7_failed_multipart_closes_every_spooled_file(server: RunningServer, failure: str) -> None:
    before = temp_files(server)
    files = [multipart_part(f"file{i}", b"s" * 600_000, f"f{i}.bin") for i in range(3)]
    if failure == "field-over-cap":
        body = multipart([*files, multipart_part("big", b"b" * 600_000)])
        expected = {413}
    else:
        body = multipart([*files, multipart_part("file3", b"t" * 10_000, "f3.bin")], closed=False)[:-5000]
        expected = {200, 400}
    reply = request(server.port, "POST", "/h7/upload", multipart_headers(), body, timeout=20)
    assert reply.status in expected, reply.body[:200]
    assert temp_files(server) == before
    assert_healthy(server)


def test_h13_app_factory_built_and_dropped_100_times_is_freed(server: RunningServer) -> None:
    reply = get(server.port, "/h13/factory", timeout=60)
    assert reply.status == 200
    assert reply.json() == {"alive": 0}
    assert_healthy(server)
