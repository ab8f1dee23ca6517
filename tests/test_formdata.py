"""Erlen's urlencoded parsing (``request.args``, urlencoded ``request.form``) agrees with Werkzeug 3.1's."""

from __future__ import annotations

import io
import typing as t
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage, ImmutableMultiDict, MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.formparser import FormDataParser
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest

from erlen import Erlen, request
from erlen.debughelpers import DebugFilesKeyError
from erlen.sansio.formdata import parse_fields, parse_pairs, unquote
from erlen.wrappers import Request

FORM = "application/x-www-form-urlencoded"


def werkzeug_pairs(text: str) -> list[tuple[str, str]]:
    return parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote")


# The parser against urllib's parse_qsl with Werkzeug's options --------------------------------------------

CASES = [
    "",
    "&",
    "&&a=1&&",
    "a",
    "a=",
    "=",
    "=b",
    "a==b",
    "a=1&a=2&b=3&a=4",
    "a+b=c+d",
    "a%2Bb=%2B",
    "a%26b=c%3Dd",
    "a=1;b=2",
    "a;b",
    "%",
    "%%",
    "%4",
    "%zz",
    "%4g=%g4",
    "a=%",
    "%41%42%43",
    "%c3%a9=%C3%A9",
    "%e9",
    "%ff%FE",
    "%C3",
    "%C3%28",
    "%E2%82",
    "%E2%82%AC%E2%82",
    "%ED%A0%80",
    "%F4%90%80%80",
    "%C0%AF",
    "%00=%0a%0D",
    "é=€",
    "%C3é%A9",
    "é%A9",
    "%E2%82€",
    "a\\b=\\x41",
    "\\%41",
    "%5C%78%34%31",
    "x=%5cx41",
    "a=b=c",
    " a = b ",
    "a=%20+%2b",
    "\x00=\x7f",
    "𝄞=%F0%9D%84%9E",
    "%F0%9D%84",
    "a=1&" * 20 + "z=%zz",
]


@pytest.mark.parametrize("text", CASES)
def test_pairs_match_werkzeug(text: str) -> None:
    assert parse_pairs(text) == werkzeug_pairs(text)


_PIECES = st.one_of(
    st.sampled_from(
        ["&", "=", "+", ";", "%", "%%", "\\", "\\x", "a", "B", "é", "€", "\x00", " ", "%2", "%g1"]
    ),
    st.integers(0, 255).map(lambda b: f"%{b:02x}"),
    st.integers(0, 255).map(lambda b: f"%{b:02X}"),
    st.characters(codec="utf-8"),
    st.text(max_size=4),
)
URLENCODED_TEXT = st.lists(_PIECES, max_size=24).map("".join)


@settings(max_examples=600, deadline=None)
@given(URLENCODED_TEXT)
def test_pairs_match_werkzeug_on_generated_text(text: str) -> None:
    assert parse_pairs(text) == werkzeug_pairs(text)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=16))
def test_unquote_of_every_byte_sequence_matches_werkzeug(raw: bytes) -> None:
    escaped = "".join(f"%{b:02X}" for b in raw)
    assert unquote(escaped) == werkzeug_pairs("k=" + escaped)[0][1]


def test_invalid_utf8_stays_percent_encoded_upper_case() -> None:
    assert parse_pairs("a=%e9t%C3%A9&%ff=%zz") == [("a", "%E9té"), ("%FF", "%zz")]


@pytest.mark.parametrize("cls", [ImmutableMultiDict, MultiDict])
def test_fields_keep_order_and_repeats(cls: type[MultiDict[str, str]]) -> None:
    fields = parse_fields("b=1&a=2&b=3&c=&a", cls)
    assert type(fields) is cls
    assert fields == cls(werkzeug_pairs("b=1&a=2&b=3&c=&a"))
    assert list(fields.items(multi=True)) == [("b", "1"), ("b", "3"), ("a", "2"), ("a", ""), ("c", "")]
    assert list(fields) == ["b", "a", "c"]


def test_fields_of_another_storage_class_use_its_constructor() -> None:
    seen: list[t.Any] = []

    class Recording(MultiDict[str, str]):
        def __init__(self, mapping: t.Any = None) -> None:
            seen.append(mapping)
            super().__init__(mapping)

    fields = parse_fields("a=1&b=2&a=3", Recording)
    assert type(fields) is Recording
    assert seen == [[("a", "1"), ("b", "2"), ("a", "3")]]
    assert fields.getlist("a") == ["1", "3"]


# Request fields against Werkzeug's Request ----------------------------------------------------------------

APP = Erlen("formdata")


def environ_for(
    query: bytes, body: bytes | None, content_type: str | None, method: str = "POST"
) -> dict[str, t.Any]:
    environ = EnvironBuilder(method=method, data=body, content_type=content_type).get_environ()
    environ["QUERY_STRING"] = query.decode("latin-1")
    return environ


def copy_environ(environ: dict[str, t.Any]) -> dict[str, t.Any]:
    copied = dict(environ)
    stream = environ["wsgi.input"]
    position = stream.tell()
    copied["wsgi.input"] = io.BytesIO(stream.read())
    stream.seek(position)
    return copied


def same(ours: t.Any, theirs: t.Any) -> None:
    assert type(ours) is type(theirs)
    assert list(ours.items(multi=True)) == list(theirs.items(multi=True))
    assert list(ours.lists()) == list(theirs.lists())


def compare_with_werkzeug(environ: dict[str, t.Any]) -> None:
    reference = WerkzeugRequest(copy_environ(environ))
    with APP.app_context():
        ours = Request(environ)
        for name in ("form", "files", "values", "args"):
            try:
                expected = getattr(reference, name)
            except UnicodeDecodeError:
                # Werkzeug lets a query string that is not UTF-8 fail as a 500; Erlen answers 400.
                with pytest.raises(BadRequest):
                    getattr(ours, name)
                return
            same(getattr(ours, name), expected)
        assert ours.get_data() == reference.get_data()


@pytest.mark.parametrize("text", CASES)
@pytest.mark.parametrize(
    "content_type", [FORM, f"{FORM}; charset=utf-8", " Application/X-WWW-Form-URLEncoded ;x"]
)
def test_request_fields_match_werkzeug(text: str, content_type: str) -> None:
    compare_with_werkzeug(environ_for(text.encode(), text.encode(), content_type))


@pytest.mark.parametrize("method", ["GET", "POST", "PUT"])
@pytest.mark.parametrize("content_type", [None, "", "text/plain", "application/x-url-encoded", FORM])
def test_values_and_content_types_match_werkzeug(method: str, content_type: str | None) -> None:
    compare_with_werkzeug(environ_for(b"a=1&b=2", b"a=3&c=4", content_type, method))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40), st.binary(max_size=40) | URLENCODED_TEXT.map(str.encode))
def test_request_fields_match_werkzeug_on_generated_bytes(query: bytes, body: bytes) -> None:
    compare_with_werkzeug(environ_for(query, body, FORM))


def test_body_that_is_not_utf8_is_an_empty_form_as_in_werkzeug() -> None:
    with APP.app_context():
        ours = Request(environ_for(b"", b"a=\xff&b=1", FORM))
        assert ours.form == ImmutableMultiDict()
        assert ours.get_data() == b""


def test_query_string_that_is_not_utf8_is_400(client: t.Any, app: Erlen) -> None:
    @app.get("/")
    def index() -> str:
        return repr(request.args)

    response = client.get("/", environ_overrides={"QUERY_STRING": "a=\xff"})
    assert response.status_code == 400
    assert client.get("/?a=%ff").text == "ImmutableMultiDict([('a', '%FF')])"


# Interplay with get_data and the stream, laziness --------------------------------------------------------


def test_get_data_before_form_parses_the_cached_body() -> None:
    with APP.app_context():
        ours = Request(environ_for(b"", b"a=1&a=2", FORM))
        assert ours.get_data() == b"a=1&a=2"
        assert ours.form.getlist("a") == ["1", "2"]
        assert ours.get_data() == b"a=1&a=2"


def test_get_data_after_form_is_empty_as_in_werkzeug() -> None:
    with APP.app_context():
        ours = Request(environ_for(b"", b"a=1", FORM))
        assert ours.form["a"] == "1"
        assert ours.get_data() == b""
        assert ours.stream.read() == b""


def test_get_data_parsing_form_first() -> None:
    with APP.app_context():
        ours = Request(environ_for(b"", b"a=1", FORM))
        assert ours.get_data(parse_form_data=True) == b""
        assert ours.form["a"] == "1"


def test_nothing_is_parsed_until_read() -> None:
    environ = environ_for(b"q=1", b"a=1", FORM)
    stream = environ["wsgi.input"]
    with APP.app_context():
        ours = Request(environ)
        assert stream.tell() == 0
        assert not {"args", "form", "files", "values"} & set(ours.__dict__)
        assert ours.args["q"] == "1"
        assert stream.tell() == 0
        assert "form" not in ours.__dict__
        assert ours.values["a"] == "1"
        assert stream.tell() == 3


def test_without_an_app_context_the_general_path_parses() -> None:
    ours = Request(environ_for(b"q=1", b"a=1+2", FORM))
    assert ours.form == ImmutableMultiDict([("a", "1 2")])
    assert ours.args == ImmutableMultiDict([("q", "1")])


# Customised requests ---------------------------------------------------------------------------------------


class MutableRequest(Request):
    parameter_storage_class = MultiDict


class Ordered(ImmutableMultiDict[str, str]):
    """A storage class of the app's own."""


class OrderedRequest(Request):
    parameter_storage_class = Ordered


@pytest.mark.parametrize(("request_class", "cls"), [(MutableRequest, MultiDict), (OrderedRequest, Ordered)])
def test_parameter_storage_class_is_honoured(request_class: type[Request], cls: type[t.Any]) -> None:
    with APP.app_context():
        ours = request_class(environ_for(b"q=1&q=2", b"a=1", FORM))
        assert type(ours.args) is cls
        assert type(ours.form) is cls
        assert type(ours.files) is cls
        assert ours.args.getlist("q") == ["1", "2"]
        assert ours.form["a"] == "1"


class CountingParser(FormDataParser):
    calls = 0

    def parse(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        CountingParser.calls += 1
        return super().parse(*args, **kwargs)


class CustomParserRequest(Request):
    form_data_parser_class = CountingParser


class CustomMakeParserRequest(Request):
    def make_form_data_parser(self) -> FormDataParser:
        return CountingParser(
            max_form_memory_size=self.max_form_memory_size, cls=self.parameter_storage_class
        )


@pytest.mark.parametrize("request_class", [CustomParserRequest, CustomMakeParserRequest])
def test_customised_form_parsing_takes_werkzeugs_path(request_class: type[Request]) -> None:
    assert not request_class._direct_form
    CountingParser.calls = 0
    with APP.app_context():
        ours = request_class(environ_for(b"", b"a=%41", FORM))
        assert ours.form["a"] == "A"
    assert CountingParser.calls == 1


def test_plain_subclass_keeps_the_direct_path() -> None:
    class Plain(Request):
        pass

    assert Plain._direct_form
    assert Request._direct_form


# Limits -------------------------------------------------------------------------------------------------


@pytest.fixture
def form_app(app: Erlen) -> Erlen:
    @app.post("/form")
    def form() -> dict[str, t.Any]:
        return request.form.to_dict(flat=False)

    return app


def test_request_own_limits_apply(form_app: Erlen) -> None:
    @form_app.before_request
    def tighten() -> None:
        if "tight" in request.args:
            request.max_form_memory_size = 10
            request.max_form_parts = 2

    client = form_app.test_client()
    assert client.post("/form", data="a=12345678", content_type=FORM).status_code == 200
    assert client.post("/form?tight", data="a=123456789", content_type=FORM).status_code == 413
    assert client.post("/form?tight", data="a=1&b=2", content_type=FORM).status_code == 200
    assert client.post("/form?tight", data="a&b&c", content_type=FORM).status_code == 413


@pytest.mark.parametrize("config", [{"MAX_FORM_MEMORY_SIZE": None}, {"MAX_FORM_PARTS": None}])
def test_disabled_limits(form_app: Erlen, config: dict[str, t.Any]) -> None:
    form_app.config.update(config, MAX_CONTENT_LENGTH=None)
    body = "&".join(f"k{i}=v" for i in range(2000))
    response = form_app.test_client().post("/form", data=body, content_type=FORM)
    expected = 413 if config.get("MAX_FORM_PARTS", 1) is not None else 200
    assert response.status_code == expected


def test_max_content_length_is_413(form_app: Erlen) -> None:
    form_app.config["MAX_CONTENT_LENGTH"] = 10
    client = form_app.test_client()
    assert client.post("/form", data="a=" + "x" * 20, content_type=FORM).status_code == 413
    assert client.post("/form", data="a=x", content_type=FORM).json == {"a": ["x"]}


def test_declared_length_over_form_cap_is_413_before_reading(form_app: Erlen) -> None:
    form_app.config.update(MAX_CONTENT_LENGTH=None, MAX_FORM_MEMORY_SIZE=100_000)
    body = io.BytesIO(b"a=" + b"x" * 10)
    response = form_app.test_client().post(
        "/form", input_stream=body, content_type=FORM, environ_overrides={"CONTENT_LENGTH": "200000"}
    )
    assert response.status_code == 413
    assert body.tell() == 0


def test_debug_mode_explains_files_read_from_a_urlencoded_form(app: Erlen) -> None:
    app.debug = True

    @app.post("/")
    def index() -> str:
        return request.files["a"].filename or ""

    with app.test_request_context("/", method="POST", data="a=1", content_type=FORM):
        assert request.form["a"] == "1"
        with pytest.raises(DebugFilesKeyError):
            request.files["a"]


def test_assigned_query_string_is_parsed() -> None:
    with APP.app_context():
        ours = Request(environ_for(b"a=1", None, None, "GET"))
        ours.query_string = b"b=%C3%A9"
        assert ours.args == ImmutableMultiDict([("b", "é")])


class RewritingRequest(Request):
    @property
    def query_string(self) -> bytes:  # type: ignore[override]
        return b"rewritten=1"


def test_overridden_query_string_is_parsed() -> None:
    assert not RewritingRequest._direct_args
    with APP.app_context():
        ours = RewritingRequest(environ_for(b"a=1", None, None, "GET"))
        assert ours.args == ImmutableMultiDict([("rewritten", "1")])


def test_args_and_form_are_stored_once_parsed() -> None:
    with APP.app_context():
        ours = Request(environ_for(b"a=1", b"b=2", FORM))
        assert ours.args is ours.args
        assert ours.form is ours.form
        assert ours.__dict__["args"] is ours.args
        ours.args = ImmutableMultiDict([("c", "3")])
        assert ours.args["c"] == "3"


def test_uploaded_files_are_closed_after_the_request(app: Erlen) -> None:
    streams: list[t.IO[bytes]] = []

    @app.post("/upload")
    def upload() -> str:
        streams.append(request.files["f"].stream)
        return request.form["a"]

    response = app.test_client().post(
        "/upload", data={"a": "1", "f": (io.BytesIO(b"data"), "f.txt")}, content_type="multipart/form-data"
    )
    assert response.text == "1"
    assert len(streams) == 1
    assert streams[0].closed


def test_assigned_files_are_closed_after_a_bodiless_request(app: Erlen) -> None:
    """Files a view assigns are closed at teardown even when no body was parsed (the lean path's check)."""
    stream = io.BytesIO(b"data")

    @app.get("/")
    def index() -> str:
        request.files = ImmutableMultiDict([("f", FileStorage(stream, "f.txt"))])
        return "ok"

    assert app.test_client().get("/").text == "ok"
    assert stream.closed


def test_files_from_a_subclass_form_loader_are_closed(app: Erlen) -> None:
    """A request class with its own ``_load_form_data`` may fill ``files`` directly: they are closed too."""
    stream = io.BytesIO(b"data")

    class OwnLoader(Request):
        def _load_form_data(self) -> None:
            d = self.__dict__
            d["stream"], d["form"] = io.BytesIO(), ImmutableMultiDict()
            d["files"] = ImmutableMultiDict([("f", FileStorage(stream, "f.txt"))])

    app.request_class = OwnLoader

    @app.get("/")
    def index() -> str:
        return str(len(request.files))

    assert app.test_client().get("/").text == "1"
    assert stream.closed


def test_urlencoded_request_closes_cleanly(app: Erlen) -> None:
    @app.post("/form")
    def form() -> str:
        return f"{request.form['a']} {len(request.files)}"

    assert app.test_client().post("/form", data="a=1", content_type=FORM).text == "1 0"
