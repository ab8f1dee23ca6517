"""Matrix rows D: sessions and secrets, through real servers (docs/security.md)."""

from __future__ import annotations

import hashlib
import time
import typing as t

import pytest
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from security_checks import assert_healthy
from security_http import Reply, get
from security_servers import RunningServer

from erlen.sessions import session_json_serializer

APP_MODULE = "sec_http_app"
OLD_KEY = "old secret key for rotation tests"
NEW_KEY = "new secret key for rotation tests"


def serializer(key: str, age: int = 0) -> URLSafeTimedSerializer:
    """A session cookie serializer as the default session interface signs them, optionally backdated."""

    class Backdated(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age

    return URLSafeTimedSerializer(
        key,
        salt="cookie-session",
        serializer=session_json_serializer,
        signer=Backdated,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )


def session_cookie(reply: Reply) -> str | None:
    for value in reply.header_all("set-cookie"):
        if value.startswith("session="):
            return value.partition(";")[0].partition("=")[2]
    return None


@pytest.mark.parametrize("op", ["contains", "len", "get"])
def test_d1_reading_the_session_varies_on_cookie(server: RunningServer, op: str) -> None:
    for cookie in (None, serializer(NEW_KEY).dumps({"k": "v"})):
        headers = {"Cookie": f"session={cookie}"} if cookie else {}
        reply = get(server.port, f"/session/{op}", headers)
        assert reply.status == 200
        vary = {v.strip().lower() for h in reply.header_all("vary") for v in h.split(",")}
        assert "cookie" in vary, (op, cookie, reply.headers)


def test_d2_rotated_key_reads_old_cookie_and_signs_with_the_current_key(server: RunningServer) -> None:
    old_cookie = serializer(OLD_KEY).dumps({"k": "from-old"})
    read = get(server.port, "/rotated/session/get", {"Cookie": f"session={old_cookie}"})
    assert read.json() == {"result": "from-old"}
    written = get(server.port, "/rotated/session/set/new", {"Cookie": f"session={old_cookie}"})
    new_cookie = session_cookie(written)
    assert new_cookie is not None
    assert serializer(NEW_KEY).loads(new_cookie) == {"k": "new"}
    with pytest.raises(BadSignature):
        serializer(OLD_KEY).loads(new_cookie)


def _tampered() -> str:
    cookie = serializer(NEW_KEY).dumps({"k": "admin"})
    payload, _, rest = cookie.partition(".")
    return payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + rest


BAD_COOKIES: dict[str, t.Callable[[], str]] = {
    "tampered": _tampered,
    "truncated": lambda: serializer(NEW_KEY).dumps({"k": "admin"})[:-5],
    "expired": lambda: serializer(NEW_KEY, age=3600).dumps({"k": "admin", "_permanent": True}),
    "foreign-key": lambda: serializer("someone else").dumps({"k": "admin"}),
    "garbage-10kB": lambda: "x." * 5000,
    "binary-garbage": lambda: "".join(chr(33 + (i * 7919) % 90) for i in range(10_000)).replace(";", "a"),
}


@pytest.mark.parametrize("case", list(BAD_COOKIES))
def test_d3_bad_session_cookie_is_an_empty_session(server: RunningServer, case: str) -> None:
    cookie = BAD_COOKIES[case]()
    path = "/rotated/session/all" if case == "expired" else "/session/all"
    reply = get(server.port, path, {"Cookie": f"session={cookie}"})
    assert reply.status == 200, reply.body[:200]
    assert reply.json() == {"result": {}}
    assert_healthy(server)
