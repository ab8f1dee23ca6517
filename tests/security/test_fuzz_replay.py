"""Replay of the malformed-request corpus (corpus/*.http, raw bytes) against every server kind.

Each file is one request exactly as sent on the wire. Whatever the server or Erlen makes of it, the answer is
never a 5xx and the server answers a normal request afterwards. Add a file when a fuzzer or a bug report finds
a new shape; the file name says what it is.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from security_checks import assert_healthy
from security_http import raw
from security_servers import RunningServer

APP_MODULE = "sec_body_app"
CORPUS = sorted((Path(__file__).parent / "corpus").glob("*.http"))


@pytest.mark.parametrize("case", CORPUS, ids=[path.stem for path in CORPUS])
def test_corpus_request_is_never_a_5xx(server: RunningServer, case: Path) -> None:
    data = case.read_bytes()
    method = data.split(b" ", 1)[0].decode()
    try:
        reply = raw(server.port, data, timeout=5, method=method, half_close=True)
    except ConnectionError:
        reply = None  # the server closed without answering: acceptable for garbage framing
    if reply is not None:
        assert reply.status < 500, (reply.status, reply.body[:300])
    assert_healthy(server)
