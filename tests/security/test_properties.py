"""Property tests from the matrix's continuous checks, with hypothesis.

- no CR, LF or NUL ever reaches an emitted header, whatever value a view sets;
- the static route and safe_join never leave their root, whatever path is asked for;
- a body parses to the same form however it is chunked on the wire (through a real server).
"""

from __future__ import annotations

import itertools
import os
import posixpath
import typing as t

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from security_http import BOUNDARY, build_request, chunk, multipart, multipart_headers, multipart_part, raw
from security_servers import RunningServer
from werkzeug.security import safe_join

from erlen import Erlen, make_response, request

APP_MODULE = "sec_body_app"
RUN_ON = ("gunicorn-sync",)
ROOT = "/srv/erlen-static-root"

header_text = st.text(alphabet=st.characters(codec="latin-1", blacklist_characters="\x00"), max_size=40)


@pytest.fixture(scope="module")
def header_app() -> Erlen:
    app = Erlen("sec_properties")
    app.config["PROPAGATE_EXCEPTIONS"] = True  # a refused header raises here instead of logging a 500

    @app.get("/h")
    def echo() -> t.Any:
        response = make_response("ok")
        response.headers["X-Echo"] = request.args["v"]
        return response

    return app


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=header_text)
def test_no_line_break_or_nul_in_emitted_headers(header_app: Erlen, value: str) -> None:
    client = header_app.test_client()
    try:
        response = client.get("/h", query_string={"v": value})
    except ValueError:
        return  # refused before anything was emitted
    for name, emitted in response.headers.items():
        assert not set("\r\n") & set(name + emitted), (name, emitted)


def test_nul_in_a_header_value_is_refused(header_app: Erlen) -> None:
    client = header_app.test_client()
    try:
        response = client.get("/h", query_string={"v": "a\x00b"})
    except ValueError:
        return
    assert response.status_code == 500
    assert "X-Echo" not in response.headers


segments = st.sampled_from(
    ["..", ".", "a", "b.txt", "", "\\", "..\\", "%2e%2e", "/", "//", "CON", "c:", "\x00", "~"]
)


@settings(max_examples=500, deadline=None)
@given(parts=st.lists(segments, max_size=8))
def test_safe_join_never_escapes_its_root(parts: list[str]) -> None:
    path = "/".join(parts)
    joined = safe_join(ROOT, path)
    if joined is not None:
        assert posixpath.normpath(joined) == ROOT or posixpath.normpath(joined).startswith(ROOT + "/"), joined


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(segments, min_size=1, max_size=6))
def test_static_route_never_serves_outside_its_folder(header_app: Erlen, parts: list[str]) -> None:
    app = Erlen("sec_static_props", root_path=os.path.join(os.path.dirname(__file__), "apps"))
    client = app.test_client()
    response = client.get("/static/" + "/".join(parts))
    assert response.status_code in (200, 308, 400, 404), response.status_code
    if response.status_code == 200:
        assert response.get_data() in {b"static a\n"} or len(response.get_data()) == 65536


FORM_BODY = multipart(
    [
        multipart_part("a", b"1" * 300),
        multipart_part("file", b"\r\n--" + b"z" * 2000, "f.bin"),
        multipart_part("b", b""),
    ]
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(min_value=1, max_value=len(FORM_BODY) - 1), max_size=12, unique=True))
def test_same_form_however_the_body_is_chunked(server: RunningServer, cuts: list[int]) -> None:
    bounds = [0, *sorted(cuts), len(FORM_BODY)]
    frames = b"".join(chunk(FORM_BODY[a:b]) for a, b in itertools.pairwise(bounds)) + b"0\r\n\r\n"
    head = build_request("POST", "/default/form", {**multipart_headers(), "Transfer-Encoding": "chunked"})
    reply = raw(server.port, head + frames, method="POST")
    assert reply.status == 200
    data = reply.json()
    assert data["sizes"] == {"a": 300, "b": 0}
    assert data["file_sizes"] == [2004]


def test_boundary_constant_is_what_the_helpers_use() -> None:
    assert BOUNDARY in multipart_headers()["Content-Type"]
