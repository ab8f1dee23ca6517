"""Body, form and header limits of Erlen's request and response objects, through the test client.

The same rows run through real servers in tests/security/ (docs/security.md); these are the fast checks.
"""

from __future__ import annotations

import io
import typing as t
import warnings

import pytest
from werkzeug.exceptions import HTTPException, RequestedRangeNotSatisfiable
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response as WerkzeugResponse

from erlen import Erlen, Response, jsonify, make_response, request, send_from_directory, wrappers
from erlen.wrappers import Request

CHUNKED = {"CONTENT_LENGTH": "", "wsgi.input_terminated": True}
FORM = "application/x-www-form-urlencoded"
BOUNDARY = "erlen-test-boundary"


def multipart(*parts: bytes, boundary: str = BOUNDARY) -> bytes:
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    return body + b"--" + boundary.encode() + b"--\r\n"


def part(name: str, value: bytes, filename: str | None = None, extra: t.Sequence[str] = ()) -> bytes:
    disposition = f'Content-Disposition: form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    head = "\r\n".join([disposition, *extra])
    return head.encode() + b"\r\n\r\n" + value


@pytest.fixture
def form_app(app: Erlen) -> Erlen:
    @app.post("/form")
    def form() -> dict[str, t.Any]:
        return {"form": request.form.to_dict(flat=False), "files": sorted(request.files)}

    @app.post("/data")
    def data() -> dict[str, t.Any]:
        return {"length": len(request.get_data())}

    return app


# A3: the form memory cap and the field count bound urlencoded bodies however they are framed -------------


@pytest.mark.parametrize("framing", [{}, CHUNKED])
def test_urlencoded_over_form_memory_cap_is_413(form_app: Erlen, framing: dict[str, t.Any]) -> None:
    form_app.config.update(MAX_CONTENT_LENGTH=None, MAX_FORM_MEMORY_SIZE=1000)
    client = form_app.test_client()
    over = client.post("/form", data=b"a=" + b"x" * 999, content_type=FORM, environ_overrides=framing)
    assert over.status_code == 413
    under = client.post("/form", data=b"a=" + b"x" * 998, content_type=FORM, environ_overrides=framing)
    assert under.status_code == 200
    assert under.json["form"] == {"a": ["x" * 998]}  # type: ignore[index]


def test_urlencoded_fields_are_counted_against_max_form_parts(form_app: Erlen) -> None:
    form_app.config["MAX_FORM_PARTS"] = 10
    client = form_app.test_client()
    assert client.post("/form", data="&".join(["k=v"] * 10), content_type=FORM).status_code == 200
    assert client.post("/form", data="&".join(["k=v"] * 11), content_type=FORM).status_code == 413


# A9 / A10 / H7: multipart --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        (["X-Pad: " + "p" * 9000], 413),
        ([f"X-H{i}: v" for i in range(40)], 413),
        ([f"X-H{i}: v" for i in range(31)], 200),
        (["X-Pad: " + "p" * 8000], 200),
    ],
)
def test_part_header_block_is_bounded(form_app: Erlen, extra: list[str], status: int) -> None:
    body = multipart(part("a", b"1", extra=extra))
    response = form_app.test_client().post(
        "/form", data=body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )
    assert response.status_code == status
    if status == 200:
        assert response.json["form"] == {"a": ["1"]}  # type: ignore[index]


def test_part_header_block_without_an_end_is_413_without_reading_everything(form_app: Erlen) -> None:
    body = b"--" + BOUNDARY.encode() + b"\r\nX-Pad: " + b"p" * 1_000_000
    response = form_app.test_client().post(
        "/form", data=body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=" + "b" * 300,
        'multipart/form-data; boundary="' + "\\" * 50 + '"',
        'multipart/form-data; boundary="ends with space "',
    ],
)
def test_bad_boundary_is_400(form_app: Erlen, content_type: str) -> None:
    body = multipart(part("a", b"1"))
    response = form_app.test_client().post("/form", data=body, content_type=content_type)
    assert response.status_code == 400


def test_rfc_boundary_characters_are_accepted(form_app: Erlen) -> None:
    boundary = "'()+_,-./:=? x" * 5
    body = multipart(part("a", b"1"), boundary=boundary)
    response = form_app.test_client().post(
        "/form", data=body, content_type=f'multipart/form-data; boundary="{boundary}"'
    )
    assert response.status_code == 200
    assert response.json["form"] == {"a": ["1"]}  # type: ignore[index]


class TrackingRequest(Request):
    """Records every file the form parser spools, to check that each is closed."""

    opened: t.ClassVar[list[t.IO[bytes]]] = []

    def _get_file_stream(self, *args: t.Any, **kwargs: t.Any) -> t.IO[bytes]:
        stream = super()._get_file_stream(*args, **kwargs)
        self.opened.append(stream)
        return stream


def test_failed_multipart_closes_every_spooled_file_at_once(form_app: Erlen) -> None:
    form_app.request_class = TrackingRequest
    # Werkzeug's decoder also refuses a read buffer larger than the cap, so the cap stays above 64 KiB.
    form_app.config["MAX_FORM_MEMORY_SIZE"] = 100_000
    TrackingRequest.opened.clear()
    files = (part(f"f{i}", b"z" * 150_000, f"f{i}.bin") for i in range(3))
    body = multipart(*files, part("big", b"b" * 120_000))
    response = form_app.test_client().post(
        "/form", data=body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )
    assert response.status_code == 413
    assert len(TrackingRequest.opened) == 3
    assert all(stream.closed for stream in TrackingRequest.opened)


def test_multipart_files_and_fields_still_parse(form_app: Erlen) -> None:
    body = multipart(part("a", "é".encode()), part("up", b"data" * 1000, "x.txt"), part("a", b"2"))
    response = form_app.test_client().post(
        "/form", data=body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )
    assert response.json == {"form": {"a": ["é", "2"]}, "files": ["up"]}


# A15 / bad framing: malformed lengths and server read errors are 400 -----------------------------------------


@pytest.mark.parametrize("length", ["-1", "1,2", "abc", "1 2", "+5", "²", str(2**63), str(2**64), "9" * 5000])
def test_malformed_content_length_is_400(form_app: Erlen, length: str) -> None:
    response = form_app.test_client().post("/data", data=b"xy", environ_overrides={"CONTENT_LENGTH": length})
    assert response.status_code == 400


def test_largest_valid_content_length_is_a_size(form_app: Erlen) -> None:
    form_app.config["MAX_CONTENT_LENGTH"] = 10
    response = form_app.test_client().post(
        "/data", data=b"xy", environ_overrides={"CONTENT_LENGTH": str(2**63 - 1)}
    )
    assert response.status_code == 413


class BrokenInput:
    """A server's input stream that fails mid-body, as gunicorn's does on bad chunked framing."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def read(self, size: int = -1) -> bytes:
        raise self.error


@pytest.mark.parametrize("error", [OSError("No more data"), Exception("Invalid chunk size")])
@pytest.mark.parametrize("framing", [{"CONTENT_LENGTH": "10"}, {"CONTENT_LENGTH": "100000"}, CHUNKED])
@pytest.mark.parametrize("cap", [None, 1_000_000])
def test_server_read_errors_are_400(
    form_app: Erlen, error: Exception, framing: dict[str, t.Any], cap: int | None
) -> None:
    form_app.config["MAX_CONTENT_LENGTH"] = cap
    overrides = {**framing, "wsgi.input": BrokenInput(error)}
    response = form_app.test_client().post("/data", environ_overrides=overrides)
    assert response.status_code == 400


# C11: Content-Length with Transfer-Encoding -------------------------------------------------------------------


class GeneralPathErlen(Erlen):
    """Overrides a lifecycle method, so requests take ``wsgi_app``'s general path, not the inline one."""

    def full_dispatch_request(self) -> Response:
        return super().full_dispatch_request()


@pytest.mark.parametrize("app_class", [Erlen, GeneralPathErlen])
def test_length_with_transfer_encoding_is_400_before_the_view(app_class: type[Erlen]) -> None:
    app = app_class("c11")
    seen: list[str] = []

    @app.post("/")
    def index() -> str:
        seen.append("view")
        return "ok"

    client = app.test_client()
    both = {"HTTP_TRANSFER_ENCODING": "chunked", "CONTENT_LENGTH": "5"}
    assert client.post("/", data=b"0\r\n\r\n", environ_overrides=both).status_code == 400
    assert seen == []
    chunked = {"HTTP_TRANSFER_ENCODING": "chunked", "CONTENT_LENGTH": "", "wsgi.input_terminated": True}
    assert client.post("/", data=b"abc", environ_overrides=chunked).status_code == 200
    assert seen == ["view"]


# C4: control characters in emitted headers -----------------------------------------------------------------


@pytest.mark.parametrize("value", ["a\x00b", "a\x1bb", "a\x7fb"])
@pytest.mark.parametrize("streamed", [False, True])
def test_control_character_in_a_header_is_refused(app: Erlen, value: str, streamed: bool) -> None:
    @app.get("/")
    def index() -> Response:
        response = make_response("ok") if not streamed else Response(iter([b"ok"]))
        response.headers["X-Echo"] = value
        return response

    with pytest.raises(ValueError, match="control characters"):
        app.test_client().get("/")


@pytest.mark.parametrize("where", ["view", "after_request"])
@pytest.mark.parametrize("header", ["X-Echo", "Content-Type"])
def test_control_character_added_to_a_built_response_is_refused(app: Erlen, where: str, header: str) -> None:
    """A JSON or str response built without Werkzeug's constructor is checked again once its headers change."""

    def spoil(response: Response) -> Response:
        response.headers[header] = "a\x01b"
        return response

    @app.get("/json")
    def as_json() -> Response:
        response = jsonify(a=1)
        return spoil(response) if where == "view" else response

    @app.get("/text")
    def as_text() -> str:
        return "ok"

    if where == "after_request":
        app.after_request(spoil)
    client = app.test_client()
    for path in ("/json", "/text") if where == "after_request" else ("/json",):
        with pytest.raises(ValueError, match="control characters"):
            client.get(path)


def test_json_mimetype_with_a_control_character_is_refused(app: Erlen) -> None:
    @app.get("/dict")
    def as_dict() -> dict[str, int]:
        return {"a": 1}

    @app.get("/jsonify")
    def as_jsonify() -> Response:
        return jsonify(a=1)

    client = app.test_client()
    app.json.mimetype = "application/x\x00json"  # type: ignore[attr-defined]
    for path in ("/dict", "/jsonify"):
        with pytest.raises(ValueError, match="control characters"):
            client.get(path)
    app.json.mimetype = "application/vnd.x+json"  # type: ignore[attr-defined]
    for path in ("/dict", "/jsonify"):
        assert client.get(path).headers["Content-Type"] == "application/vnd.x+json"


def test_tab_and_latin1_header_values_are_allowed(app: Erlen) -> None:
    @app.get("/")
    def index() -> Response:
        response = make_response("ok")
        response.headers["X-Echo"] = "a\tb é"
        return response

    assert app.test_client().get("/").headers["X-Echo"] == "a\tb é"


# C7: oversized cookies ------------------------------------------------------------------------------------


def test_oversized_cookie_is_an_error_in_debug_mode(app: Erlen) -> None:
    @app.get("/")
    def index() -> Response:
        response = make_response("big")
        response.set_cookie("big", "v" * 5000)
        return response

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert app.test_client().get("/").status_code == 200
    assert any("cookie is too large" in str(w.message) for w in caught)
    app.debug = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="too large"):
            app.test_client().get("/")
        app.config["PROPAGATE_EXCEPTIONS"] = False
        assert app.test_client().get("/").status_code == 500


# C8: long Accept headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "unit"), [("Accept", "text/html;q=0.5, "), ("Accept-Language", "en-GB;q=0.5, ")]
)
def test_long_accept_headers_are_read_up_to_64_entries(app: Erlen, name: str, unit: str) -> None:
    """C8's cap as behaviour: the first entries of a 60 kB header count, the rest is never parsed (the time
    bound itself is checked on real servers in tests/security)."""
    value = (unit * (60_000 // len(unit)))[:60_000]
    with app.test_request_context(headers={name: "de;q=0.9, " + value}):
        parsed = request.accept_mimetypes if name == "Accept" else request.accept_languages
        assert 1 < len(parsed) <= 64
        if name == "Accept-Language":
            assert parsed.best == "de"


def test_normal_accept_headers_keep_werkzeug_semantics(app: Erlen) -> None:
    headers = {"Accept": "text/html, application/json;q=0.9, */*;q=0.1", "Accept-Language": "fr-CH, fr;q=0.9"}
    with app.test_request_context(headers=headers):
        assert request.accept_mimetypes.best == "text/html"
        assert request.accept_mimetypes["application/json"] == 0.9
        assert request.accept_languages.best_match(["fr", "de"]) == "fr"


# C9: long Range headers -----------------------------------------------------------------------------------

BODY = bytes(range(256)) * 4
RANGE_HEADERS = [
    "bytes=0-5",
    "bytes=-10",
    "bytes=1000-",
    "bytes=2000-3000",
    "bytes=0-5,10-15",
    "bytes=5-0",
    "items=0-5",
    "bytes=" + ",".join(f"{i * 10}-{i * 10 + 5}" for i in range(5000)),
    "bytes=" + ",".join("0-60000" for _ in range(2000)),
    "bytes=0-5" + "," * 3000,
    "bytes=0-" + "9" * 3000,
    "bytes=-" + "9" * 3000,
    "x," * 2000 + "bytes=0-5",
    "bytes=" + "0-5 , " * 500 + "junk",
    "bytes=" + ",".join(f"{i * 10}-{i * 10 + 5}" for i in range(64)) + "," + "x" * 3000,
]


def conditional(response_class: type[t.Any], environ: dict[str, t.Any]) -> tuple[t.Any, ...]:
    """What ``make_conditional`` answers for a complete body: status, headers and the body sent."""
    response = response_class(BODY, mimetype="application/octet-stream")
    try:
        response = response.make_conditional(environ, accept_ranges=True, complete_length=len(BODY))
    except HTTPException as e:
        return e.code, e.get_headers(environ)
    headers = sorted((k, v) for k, v in response.headers.items() if k != "Date")
    return response.status_code, headers, response.get_data()


@pytest.mark.parametrize("value", RANGE_HEADERS, ids=lambda value: value[:24] + f"...{len(value)}")
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_make_conditional_answers_as_werkzeug(value: str, method: str) -> None:
    environ = EnvironBuilder(method=method, headers={"Range": value}).get_environ()
    assert conditional(Response, dict(environ)) == conditional(WerkzeugResponse, dict(environ))


def test_make_conditional_leaves_the_request_environ_alone() -> None:
    value = RANGE_HEADERS[7]
    environ = EnvironBuilder(headers={"Range": value}).get_environ()
    request_object = Request(environ)
    with pytest.raises(RequestedRangeNotSatisfiable):
        Response(BODY).make_conditional(request_object, accept_ranges=True, complete_length=len(BODY))
    assert environ["HTTP_RANGE"] == value
    assert request_object.range is not None and len(request_object.range.ranges) == 64


@pytest.mark.parametrize("value", RANGE_HEADERS, ids=lambda value: value[:24] + f"...{len(value)}")
def test_request_range_reads_the_first_64_ranges(value: str) -> None:
    environ = EnvironBuilder(headers={"Range": value}).get_environ()
    ours, theirs = Request(environ).range, WerkzeugRequest(environ).range
    if len(value) < 2048:
        assert (ours and (ours.units, ours.ranges)) == (theirs and (theirs.units, theirs.ranges))
    elif ours is not None:
        assert len(ours.ranges) <= 64
        assert theirs is None or ours.ranges == theirs.ranges[: len(ours.ranges)]


def test_send_file_answers_a_range_storm_with_416(app: Erlen, tmp_path: t.Any) -> None:
    (tmp_path / "data.bin").write_bytes(BODY)
    app.root_path = str(tmp_path)

    @app.get("/file")
    def file() -> t.Any:
        return send_from_directory(str(tmp_path), "data.bin", conditional=True)

    client = app.test_client()
    storm = client.get("/file", headers={"Range": RANGE_HEADERS[7]})
    assert storm.status_code == 416
    assert storm.headers["Content-Range"] == f"bytes */{len(BODY)}"
    storm.close()
    single = client.get("/file", headers={"Range": "bytes=10-19"})
    assert single.status_code == 206
    assert single.data == BODY[10:20]
    single.close()


def test_make_conditional_keeps_responses_on_the_direct_path() -> None:
    class Plain(Response):
        pass

    assert Response._direct and Plain._direct
    assert "make_conditional" not in wrappers._DIRECT_MEMBERS


def test_chunked_body_under_cap_arrives_whole(form_app: Erlen) -> None:
    form_app.config["MAX_CONTENT_LENGTH"] = None
    body = bytes(range(256)) * 1000
    response = form_app.test_client().post("/data", input_stream=io.BytesIO(body), environ_overrides=CHUNKED)
    assert response.json == {"length": len(body)}
