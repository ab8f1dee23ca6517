"""Session objects and the cookie session interface, with stand-in app, request and response."""

from __future__ import annotations

import typing as t
from datetime import timedelta
from uuid import UUID

import pytest
from markupsafe import Markup
from werkzeug.http import parse_cookie
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from erlen.sessions import (
    NullSession,
    SecureCookieSession,
    SecureCookieSessionInterface,
    SessionInterface,
    SessionMixin,
)

#: Cookies written by Flask 3.1.3 at time 1700000000: signed with "new key", and with "old key".
FLASK_COOKIE_NEW_KEY = (
    ".eJyrVipRsqpWUgCS0YY6RrG1OkpJYAEgqaRfbmurBBTJBYsASSWbJDuQQClYAEgqGeAHhiDV8QWpRbmJeal5QEtKikpTawGk7h3g"
    ".ZVPxAA.LCgzdi_qsL5mgNxh-YlfU_9PIeA"
)
FLASK_COOKIE_OLD_KEY = "eyJhIjoxfQ.ZVPxAA.Z1vM8Yu_KgaYCCb6VQoinL_4mMs"
FLASK_TIME = 1700000000.0


class StandInApp:
    """What session interfaces use of an app."""

    def __init__(self, secret_key: str | None = "new key") -> None:
        self.secret_key = secret_key
        self.permanent_session_lifetime = timedelta(days=31)
        self.config: dict[str, t.Any] = {
            "SECRET_KEY_FALLBACKS": [],
            "SESSION_COOKIE_NAME": "session",
            "SESSION_COOKIE_DOMAIN": None,
            "SESSION_COOKIE_PATH": None,
            "APPLICATION_ROOT": "/",
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SECURE": False,
            "SESSION_COOKIE_PARTITIONED": False,
            "SESSION_COOKIE_SAMESITE": None,
            "SESSION_REFRESH_EACH_REQUEST": True,
        }


def request_with(cookie: str | None = None) -> Request:
    headers = {"Cookie": f"session={cookie}"} if cookie is not None else {}
    return Request(EnvironBuilder(headers=headers).get_environ())


def set_cookie_value(response: Response) -> str | None:
    header = response.headers.get("Set-Cookie")
    if header is None:
        return None
    return parse_cookie(header.split(";", 1)[0]).get("session")


@pytest.fixture
def app() -> StandInApp:
    return StandInApp()


@pytest.fixture
def interface() -> SecureCookieSessionInterface:
    return SecureCookieSessionInterface()


def open_and_save(interface: SessionInterface, app: StandInApp, session: SessionMixin) -> Response:
    response = Response()
    interface.save_session(app, session, response)  # type: ignore[arg-type]
    return response


def test_tracking_reads_and_writes() -> None:
    session = SecureCookieSession({"a": 1})
    assert not session.accessed and not session.modified
    for read in (
        lambda s: s["a"],
        lambda s: s.get("a"),
        lambda s: "a" in s,
        lambda s: len(s),
        lambda s: list(s),
        lambda s: s.keys(),
        lambda s: s.items(),
        lambda s: s.values(),
        lambda s: s.setdefault("a", 2),
    ):
        session.accessed = False
        read(session)
        assert session.accessed
        assert not session.modified

    session["b"] = 2
    assert session.modified and session.accessed
    session.modified = False
    session.pop("missing", None)
    assert not session.modified


def test_permanent_uses_permanent_key() -> None:
    session = SecureCookieSession()
    assert session.permanent is False
    session.permanent = True
    assert session["_permanent"] is True
    assert session.modified


def test_null_session_explains_missing_secret_key() -> None:
    session = NullSession()
    assert session.get("x") is None
    for write in (lambda: session.__setitem__("a", 1), lambda: session.pop("a"), session.clear):
        with pytest.raises(RuntimeError, match="no secret key was set"):
            write()


def test_no_secret_key_gives_no_session(interface: SecureCookieSessionInterface) -> None:
    app = StandInApp(secret_key=None)
    assert interface.open_session(app, request_with("x")) is None  # type: ignore[arg-type]
    null = interface.make_null_session(app)  # type: ignore[arg-type]
    assert interface.is_null_session(null)
    assert not interface.is_null_session(SecureCookieSession())


def test_round_trip_and_vary(app: StandInApp, interface: SecureCookieSessionInterface) -> None:
    session = interface.open_session(app, request_with())  # type: ignore[arg-type]
    assert session is not None and not session
    session["t"] = (1, 2)
    response = open_and_save(interface, app, session)
    assert response.headers["Vary"] == "Cookie"
    cookie = set_cookie_value(response)
    assert cookie is not None
    assert "HttpOnly" in response.headers["Set-Cookie"]
    assert "Expires" not in response.headers["Set-Cookie"]

    loaded = interface.open_session(app, request_with(cookie))  # type: ignore[arg-type]
    assert loaded == {"t": (1, 2)}
    assert not loaded.accessed  # type: ignore[union-attr]


def test_untouched_session_is_not_saved_and_not_marked(
    app: StandInApp, interface: SecureCookieSessionInterface
) -> None:
    session = SecureCookieSession({"a": 1})
    response = open_and_save(interface, app, session)
    assert "Set-Cookie" not in response.headers
    assert "Vary" not in response.headers
    assert not session.accessed


def test_permanent_session_is_refreshed(app: StandInApp, interface: SecureCookieSessionInterface) -> None:
    session = SecureCookieSession({"a": 1, "_permanent": True})
    response = open_and_save(interface, app, session)
    assert "Expires=" in response.headers["Set-Cookie"]
    assert response.headers["Vary"] == "Cookie"
    assert not session.accessed

    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    response = open_and_save(interface, app, SecureCookieSession({"a": 1, "_permanent": True}))
    assert "Set-Cookie" not in response.headers


def test_emptied_session_deletes_cookie(app: StandInApp, interface: SecureCookieSessionInterface) -> None:
    app.config.update(SESSION_COOKIE_DOMAIN=".example.com", SESSION_COOKIE_SAMESITE="Lax")
    app.config.update(SESSION_COOKIE_SECURE=True, SESSION_COOKIE_PARTITIONED=True)
    session = SecureCookieSession({"a": 1})
    session.clear()
    response = open_and_save(interface, app, session)
    header = response.headers["Set-Cookie"].lower()
    assert header.startswith("session=;")
    for part in ("domain=example.com", "path=/", "secure", "samesite=lax", "partitioned"):
        assert part in header
    assert response.headers["Vary"] == "Cookie"


def test_cookie_path_falls_back_to_application_root(app: StandInApp) -> None:
    interface = SecureCookieSessionInterface()
    app.config["APPLICATION_ROOT"] = "/bar"
    assert interface.get_cookie_path(app) == "/bar"  # type: ignore[arg-type]
    app.config["SESSION_COOKIE_PATH"] = "/"
    assert interface.get_cookie_path(app) == "/"  # type: ignore[arg-type]


def test_tampered_or_foreign_cookie_gives_empty_session(
    app: StandInApp, interface: SecureCookieSessionInterface
) -> None:
    session = interface.open_session(app, request_with("not.a.valid.cookie"))  # type: ignore[arg-type]
    assert session == {}
    assert isinstance(session, SecureCookieSession)


def test_reads_flask_cookies_and_key_fallbacks(
    app: StandInApp, interface: SecureCookieSessionInterface, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("time.time", lambda: FLASK_TIME + 10)
    session = interface.open_session(app, request_with(FLASK_COOKIE_NEW_KEY))  # type: ignore[arg-type]
    assert session == {"t": (1, 2), "b": b"\xff", "m": Markup("<b>"), "u": UUID(int=1), "_permanent": True}

    # Signed with a key that is now only a fallback: still readable.
    assert interface.open_session(app, request_with(FLASK_COOKIE_OLD_KEY)) == {}  # type: ignore[arg-type]
    app.config["SECRET_KEY_FALLBACKS"] = ["old key"]
    assert interface.open_session(app, request_with(FLASK_COOKIE_OLD_KEY)) == {"a": 1}  # type: ignore[arg-type]


def test_writes_flask_cookies_with_current_key(
    app: StandInApp, interface: SecureCookieSessionInterface, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("time.time", lambda: FLASK_TIME)
    app.config["SECRET_KEY_FALLBACKS"] = ["old key"]
    session = SecureCookieSession()
    session.update({"t": (1, 2), "b": b"\xff", "m": Markup("<b>"), "u": UUID(int=1), "_permanent": True})
    assert set_cookie_value(open_and_save(interface, app, session)) == FLASK_COOKIE_NEW_KEY


def test_expired_cookie_gives_empty_session(
    app: StandInApp, interface: SecureCookieSessionInterface, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("time.time", lambda: FLASK_TIME + timedelta(days=32).total_seconds())
    assert interface.open_session(app, request_with(FLASK_COOKIE_NEW_KEY)) == {}  # type: ignore[arg-type]


def test_open_lazily_flag() -> None:
    assert SessionInterface.open_lazily is False
    assert SecureCookieSessionInterface.open_lazily is True

    class OnlySaves(SecureCookieSessionInterface):
        def save_session(self, app: t.Any, session: t.Any, response: t.Any) -> None:
            pass

    class OwnOpen(SecureCookieSessionInterface):
        def open_session(self, app: t.Any, request: t.Any) -> t.Any:
            return None

    class OwnOpenStillLazy(SecureCookieSessionInterface):
        open_lazily = True

        def open_session(self, app: t.Any, request: t.Any) -> t.Any:
            return None

    class Inherits(OwnOpenStillLazy):
        pass

    assert OnlySaves.open_lazily is True
    assert OwnOpen.open_lazily is False
    assert OwnOpenStillLazy.open_lazily is True
    assert Inherits.open_lazily is True


# -- the direct signing path (erlen._signed_cookie) must agree with itsdangerous byte for byte ------------------

SIGNED_SAMPLES: list[t.Any] = [
    {"a": 1},
    {"visits": 3, "name": "x" * 300, "ok": True, "none": None, "ratio": 0.5},
    {" t": "looks like a tag"},
    {"t": (1, 2), "u": UUID(int=7), "b": b"\xff", "m": Markup("<b>"), "nested": {" di": [1]}},
]


def _itsdangerous_serializer(keys: list[str | bytes]) -> t.Any:
    import hashlib

    from itsdangerous import URLSafeTimedSerializer

    from erlen.sessions import session_json_serializer

    return URLSafeTimedSerializer(
        keys,  # type: ignore[arg-type]
        salt="cookie-session",
        serializer=session_json_serializer,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )


@pytest.mark.parametrize("data", SIGNED_SAMPLES)
def test_direct_signing_matches_itsdangerous(data: t.Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from erlen._signed_cookie import CookieCodec
    from erlen.sessions import session_json_serializer

    monkeypatch.setattr("time.time", lambda: FLASK_TIME)
    keys: list[str | bytes] = ["old key", b"new key"]
    reference = _itsdangerous_serializer(keys)
    codec = CookieCodec(keys, "cookie-session")
    cookie = codec.dumps(session_json_serializer, data)
    assert cookie == reference.dumps(data)
    assert codec.loads(session_json_serializer, cookie, 60) == (reference.loads(cookie),)


def test_direct_verification_refuses_what_itsdangerous_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    from erlen._signed_cookie import CookieCodec
    from erlen.sessions import session_json_serializer as serializer

    monkeypatch.setattr("time.time", lambda: FLASK_TIME)
    codec = CookieCodec(["new key"], "cookie-session")
    good = codec.dumps(serializer, {"a": 1})
    assert codec.loads(serializer, good, 0) == ({"a": 1},)
    for bad in (good + "x", good[:-2], "no-dots", "", good.replace(".", "!", 1), good + ".extra"):
        assert codec.loads(serializer, bad, 60) is None
    assert CookieCodec(["other"], "cookie-session").loads(serializer, good, 60) is None
    assert CookieCodec(["new key"], "other-salt").loads(serializer, good, 60) is None
    monkeypatch.setattr("time.time", lambda: FLASK_TIME + 61)
    assert codec.loads(serializer, good, 60) is None
    monkeypatch.setattr("time.time", lambda: FLASK_TIME - 1)
    assert codec.loads(serializer, good, 60) is None


def test_key_rotation_switches_codec(app: StandInApp, interface: SecureCookieSessionInterface) -> None:
    session = interface.open_session(app, request_with())  # type: ignore[arg-type]
    assert session is not None
    session["a"] = 1
    cookie = set_cookie_value(open_and_save(interface, app, session))
    app.secret_key = "newer key"
    assert dict(interface.open_session(app, request_with(cookie)) or {}) == {}  # type: ignore[arg-type]
    app.config["SECRET_KEY_FALLBACKS"] = ["new key"]
    assert dict(interface.open_session(app, request_with(cookie)) or {}) == {"a": 1}  # type: ignore[arg-type]


def test_custom_signing_serializer_is_used(app: StandInApp) -> None:
    calls: list[str] = []

    class Custom(SecureCookieSessionInterface):
        def get_signing_serializer(self, app: t.Any) -> t.Any:
            calls.append("used")
            return super().get_signing_serializer(app)

    custom = Custom()
    session = custom.open_session(app, request_with())  # type: ignore[arg-type]
    assert session is not None
    session["a"] = 1
    open_and_save(custom, app, session)
    assert calls == ["used", "used"]


@pytest.mark.parametrize("data", [*SIGNED_SAMPLES, {"x": 1.5, "y": False}, {}, {" di": 1}, {1: "int key"}])
def test_plain_dict_shortcut_writes_what_tagging_writes(data: t.Any) -> None:
    import json

    from erlen.json.tag import TaggedJSONSerializer

    serializer = TaggedJSONSerializer()
    assert serializer.dumps(data) == json.dumps(serializer.tag(data), separators=(",", ":"))


def test_registered_tag_sees_plain_values() -> None:
    from erlen.json.tag import JSONTag, TaggedJSONSerializer

    class TagUpper(JSONTag):
        __slots__ = ()
        key = " up"

        def check(self, value: t.Any) -> bool:
            return isinstance(value, str) and value.isupper()

        def to_json(self, value: t.Any) -> t.Any:
            return value.lower()

        def to_python(self, value: t.Any) -> t.Any:
            return value.upper()

    serializer = TaggedJSONSerializer()
    serializer.register(TagUpper, index=0)
    assert serializer.dumps({"a": "HI", "b": 1}) == '{"a":{" up":"hi"},"b":1}'
    assert serializer.loads('{"a":{" up":"hi"},"b":1}') == {"a": "HI", "b": 1}


def test_cached_cookie_gives_independent_sessions(monkeypatch: pytest.MonkeyPatch) -> None:
    from erlen._signed_cookie import CookieCodec
    from erlen.sessions import session_json_serializer as serializer

    monkeypatch.setattr("time.time", lambda: FLASK_TIME)
    codec = CookieCodec(["new key"], "cookie-session")
    for data in ({"cart": [1, 2]}, {"visits": 1}):
        cookie = codec.dumps(serializer, data)
        first = codec.loads(serializer, cookie, 60)
        assert first is not None
        first[0].setdefault("cart", []).append(3)
        first[0]["visits"] = 99
        assert codec.loads(serializer, cookie, 60) == (data,)


def test_overridden_cookie_getter_is_used(app: StandInApp) -> None:
    class Renamed(SecureCookieSessionInterface):
        def get_cookie_name(self, app: t.Any) -> str:
            return "renamed"

    interface = Renamed()
    session = interface.open_session(app, request_with())  # type: ignore[arg-type]
    assert session is not None
    session["a"] = 1
    response = open_and_save(interface, app, session)
    assert response.headers["Set-Cookie"].startswith("renamed=")
    assert response.headers["Vary"] == "Cookie"
