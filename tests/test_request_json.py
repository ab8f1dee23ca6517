"""``request.get_json`` answers as Werkzeug's does, on its direct path and on the general one."""

from __future__ import annotations

import codecs
import json
import typing as t

import pytest
from werkzeug.exceptions import BadRequest, UnsupportedMediaType
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest

import erlen
from erlen import Erlen

BODIES: list[bytes] = [
    b'{"a": 1, "b": [1, 2, {"c": null}]}',
    b"[1, 2, 3]",
    b"[]",
    b"{}",
    b' {"leading": "space"}',
    b'{"trailing": "space"}  \n',
    b'"a string"',
    b"42",
    b"null",
    '{"é": "ünïcode"}'.encode(),
    codecs.BOM_UTF8 + b'{"bom": true}',
    '{"utf16": 1}'.encode("utf-16"),
    '{"utf16le": 1}'.encode("utf-16-le"),
    '["utf32"]'.encode("utf-32"),
    b'{"surrogate": "\\ud800"}',
    b"\xed\xa0\x80",
    b'{"bad": }',
    b'{"a": 1} extra',
    b"[" * 50_000,
    b"",
    b"{\xff}",
]


def erlen_app() -> Erlen:
    app = Erlen(__name__)
    app.config["TESTING"] = True
    return app


def werkzeug_answer(body: bytes, content_type: str, silent: bool) -> tuple[str, t.Any]:
    request = WerkzeugRequest(
        EnvironBuilder(method="POST", data=body, content_type=content_type).get_environ()
    )
    try:
        return "ok", request.get_json(silent=silent)
    except RecursionError:
        return ("ok", None) if silent else ("error", BadRequest)
    except Exception as e:
        return "error", type(e)


def erlen_answer(app: Erlen, body: bytes, content_type: str, silent: bool) -> tuple[str, t.Any]:
    with app.test_request_context(method="POST", data=body, content_type=content_type):
        try:
            first = erlen.request.get_json(silent=silent)
        except Exception as e:
            return "error", type(e)
        # Cached: a second call gives the same object.
        assert erlen.request.get_json(silent=silent) is first
        return "ok", first


@pytest.mark.parametrize("body", BODIES, ids=[str(i) for i in range(len(BODIES))])
@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "text/plain"]
)
@pytest.mark.parametrize("silent", [False, True])
def test_get_json_matches_werkzeug(body: bytes, content_type: str, silent: bool) -> None:
    # Werkzeug lets a RecursionError out (a 500 in Flask); Erlen treats it as invalid JSON (400, or None).
    assert erlen_answer(erlen_app(), body, content_type, silent) == werkzeug_answer(
        body, content_type, silent
    )


def test_body_read_once_then_cached() -> None:
    app = erlen_app()
    with app.test_request_context(method="POST", data=b'{"x": 1}', content_type="application/json"):
        assert erlen.request.get_json() == {"x": 1}
        assert erlen.request.get_data() == b'{"x": 1}'
        assert erlen.request.json == {"x": 1}
        assert erlen.request.get_json(silent=True) == {"x": 1}


def test_errors_are_400_and_415() -> None:
    app = erlen_app()
    with app.test_request_context(method="POST", data=b"{nope", content_type="application/json"):
        with pytest.raises(BadRequest):
            erlen.request.get_json()
        assert erlen.request.get_json(silent=True) is None
    with app.test_request_context(method="POST", data=b"{}", content_type="text/plain"):
        with pytest.raises(UnsupportedMediaType):
            erlen.request.get_json()
        assert erlen.request.get_json(force=True) == {}


def test_overrides_take_the_general_path() -> None:
    seen: list[t.Any] = []

    class MyRequest(erlen.Request):
        def get_data(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
            seen.append("get_data")
            return super().get_data(*args, **kwargs)

    class MyProvider(erlen.json.provider.DefaultJSONProvider):
        def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
            seen.append("loads")
            return {"from": "provider", **json.loads(s)}

    app = erlen_app()
    app.request_class = MyRequest
    with app.test_request_context(method="POST", data=b'{"x": 1}', content_type="application/json"):
        assert erlen.request.get_json() == {"x": 1}
    assert seen == ["get_data"]
    app.request_class = erlen.Request
    app.json = MyProvider(app)
    with app.test_request_context(method="POST", data=b'{"x": 1}', content_type="application/json"):
        assert erlen.request.get_json() == {"from": "provider", "x": 1}
    assert seen == ["get_data", "loads"]
