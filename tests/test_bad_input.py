"""Issue 2's bad-input promises, through the test client: 4xx with a clear answer, never a 500."""

from __future__ import annotations

import io

import pytest

from erlen import Erlen, request, session


@pytest.fixture
def app() -> Erlen:
    app = Erlen("bad_input")
    app.config.update(SECRET_KEY="k", MAX_CONTENT_LENGTH=100)

    @app.post("/json")
    def read_json() -> dict[str, object]:
        return {"got": request.get_json()}

    @app.post("/data")
    def read_data() -> str:
        return str(len(request.get_data()))

    @app.get("/only-get")
    def only_get() -> str:
        return "ok"

    @app.get("/session")
    def read_session() -> dict[str, object]:
        return {"keys": sorted(session.keys())}

    return app


def test_malformed_json_is_400(app: Erlen) -> None:
    rv = app.test_client().post("/json", data="{not json", content_type="application/json")
    assert rv.status_code == 400
    assert b"Bad Request" in rv.data


def test_deeply_nested_json_is_400(app: Erlen) -> None:
    app.config["MAX_CONTENT_LENGTH"] = None
    rv = app.test_client().post("/json", data="[" * 50_000, content_type="application/json")
    assert rv.status_code == 400


def test_declared_body_over_cap_is_413(app: Erlen) -> None:
    rv = app.test_client().post("/data", data=b"x" * 101)
    assert rv.status_code == 413


def _chunked(app: Erlen, size: int) -> tuple[int, bytes]:
    """POST a body with no Content-Length, as a server that de-chunks (wsgi.input_terminated) passes it."""
    environ = {"wsgi.input_terminated": True, "wsgi.input": io.BytesIO(b"x" * size)}
    rv = app.test_client().post("/data", environ_overrides=environ, headers={"Transfer-Encoding": "chunked"})
    return rv.status_code, rv.data


def test_chunked_body_over_cap_is_413_not_truncated(app: Erlen) -> None:
    for size in (101, 5000):
        status, body = _chunked(app, size)
        assert status == 413
        assert body != b"100"


def test_chunked_body_at_cap_is_read_whole(app: Erlen) -> None:
    assert _chunked(app, 100) == (200, b"100")


def test_unknown_method_is_405_with_allow(app: Erlen) -> None:
    rv = app.test_client().open("/only-get", method="FOO")
    assert rv.status_code == 405
    assert set(rv.allow) == {"GET", "HEAD", "OPTIONS"}


def test_tampered_session_cookie_gives_empty_session(app: Erlen) -> None:
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["user"] = "alice"
    cookie = client.get_cookie("session")
    assert cookie is not None
    client.set_cookie("session", cookie.value[:-3] + "abc")
    rv = client.get("/session")
    assert rv.status_code == 200
    assert rv.json == {"keys": []}
    client.set_cookie("session", "garbage." * 400)
    assert client.get("/session").json == {"keys": []}
