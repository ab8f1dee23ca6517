"""Erlen's Cookie header parser (``request.cookies``) gives Werkzeug 3.1's ``parse_cookie`` result."""

from __future__ import annotations

import json
import typing as t

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.sansio.http import parse_cookie as werkzeug_sansio_parse_cookie
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest

from erlen.sansio.cookies import _PLAIN_HEADER, parse_cookie
from erlen.wrappers import Request


def wsgi(text: str) -> str:
    """``text`` as a WSGI server puts it in the environ: its UTF-8 bytes read as latin-1."""
    return text.encode().decode("latin-1")


def werkzeug_parse_cookie(header: str | None, cls: type[t.Any]) -> MultiDict[str, str]:
    """The reference: the environ's ``HTTP_COOKIE`` read as UTF-8 with invalid bytes replaced (Werkzeug's
    ``werkzeug.http.parse_cookie`` decodes strictly and raises; see docs/compat.md), split by Werkzeug's sans-IO
    parser."""
    if header is not None:
        header = header.encode("latin-1").decode(errors="replace")
    return werkzeug_sansio_parse_cookie(header, cls)


def outcome(parse: t.Callable[..., MultiDict[str, str]], header: str | None, cls: type[t.Any]) -> t.Any:
    """What a parser gives: its storage class, items in order and key order, or the error it raises."""
    try:
        fields = parse(header, cls)
    except Exception as e:
        return type(e)
    return type(fields), list(fields.items(multi=True)), list(fields)


def assert_same(header: str | None, cls: type[t.Any] = ImmutableMultiDict) -> None:
    assert outcome(parse_cookie, header, cls) == outcome(werkzeug_parse_cookie, header, cls)


MATRIX_C6 = "; ".join(f"{i:x}=v" for i in range(5000)) + '; quoted="a\\"b\\\\c\\073d"'

CASES = [
    None,
    "",
    " ",
    ";",
    ";;",
    "a",
    "a=",
    "a=1",
    "a=1; b=2",
    "a=1;b=2",
    "a=1;  b=2",
    "a=1;\tb=2",
    "a=1; ",
    "a=1;",
    "a=1;;b=2",
    "a = 1 ; b",
    "a\t=\t1",
    "=x; ok=1",
    "=__Host-test=bad; ok=1",
    "a=1; a=2; b=3; a=4",
    "a=b=c; d=e",
    'a="x"; b="y"',
    'a="x y"; b=""',
    'a="x;y"; b=1',
    'a="x=y"; b=1',
    'a="\\073"; b="\\"\\\\"',
    'a="\\400\\377\\0"',
    'a="\\',
    'a="unterminated; b=2',
    'a=x"y; b=2',
    'a""=1; b=2',
    'a="x"y; b=2',
    "a=\x00; b=\x7f",
    "a=1\n; b=2",
    'a="x\\\ny"; b=2',
    wsgi('é=ü; 😀="€\\\\"'),
    wsgi('a="\\é"'),
    "a=\xe9",  # latin-1 text that is not UTF-8: Werkzeug's UnicodeDecodeError
    "a=\u20ac",  # not latin-1 at all: Werkzeug's UnicodeEncodeError
    MATRIX_C6,
]


@pytest.mark.parametrize("header", CASES)
@pytest.mark.parametrize("cls", [ImmutableMultiDict, MultiDict])
def test_cases_match_werkzeug(header: str | None, cls: type[MultiDict[str, str]]) -> None:
    assert_same(header, cls)


def test_matrix_c6_header() -> None:
    cookies = parse_cookie(MATRIX_C6, ImmutableMultiDict)
    assert len(cookies) == 5001
    assert cookies.getlist(f"{4999:x}") == ["v"]
    assert cookies.getlist("quoted") == ['a"b\\c;d']
    assert _PLAIN_HEADER(MATRIX_C6) is not None  # the header takes the split path


def test_another_storage_class_is_built_by_its_constructor() -> None:
    seen: list[t.Any] = []

    class Recording(MultiDict[str, str]):
        def __init__(self, mapping: t.Any = None) -> None:
            seen.append(mapping)
            super().__init__(mapping)

    cookies = parse_cookie("a=1; b=2; a=3", Recording)
    assert type(cookies) is Recording
    assert seen == [[("a", "1"), ("b", "2"), ("a", "3")]]
    assert cookies.getlist("a") == ["1", "3"]


# Generated headers ------------------------------------------------------------------------------------------

_PIECES = st.one_of(
    st.sampled_from(['"', "\\", "=", ";", "; ", " ", "\t", "a", "B", "0", "7", "\\0", "\\3", "é", "€", "\n"]),
    st.characters(codec="utf-8"),
    st.text(max_size=4),
)
ANY_TEXT = st.lists(_PIECES, max_size=30).map("".join)


@settings(max_examples=1000, deadline=None)
@given(ANY_TEXT)
def test_generated_text_matches_werkzeug(text: str) -> None:
    assert_same(wsgi(text))


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(max_codepoint=255), max_size=20))
def test_any_latin1_text_matches_werkzeug(text: str) -> None:
    # Mostly not UTF-8: both replace the invalid bytes and agree.
    assert_same(text)


_KEY = st.text(st.characters(blacklist_characters=' \t=";', codec="utf-8"), min_size=1, max_size=5)
_TOKEN = st.text(st.characters(blacklist_characters=' \t=";', codec="utf-8"), max_size=5)
_QUOTED_PART = st.one_of(
    st.characters(blacklist_characters='\\"=;', codec="utf-8"),
    st.sampled_from(["\\0", "\\073", "\\377", "\\400", '\\"', "\\\\", "\\a", "\\é", " "]),
)
_QUOTED = st.lists(_QUOTED_PART, max_size=6).map(lambda parts: '"' + "".join(parts) + '"')
_COOKIE = st.tuples(_KEY, st.one_of(_TOKEN, _QUOTED)).map("=".join)


@settings(max_examples=600, deadline=None)
@given(st.lists(_COOKIE, min_size=1, max_size=12), st.lists(st.sampled_from([";", "; "]), min_size=11))
def test_generated_plain_headers_take_the_split_path_and_match_werkzeug(
    cookies: list[str], separators: list[str]
) -> None:
    header = cookies[0] + "".join(sep + cookie for sep, cookie in zip(separators, cookies[1:]))
    assert _PLAIN_HEADER(header) is not None
    assert_same(wsgi(header))
    assert_same(wsgi(header), MultiDict)


@settings(max_examples=600, deadline=None)
@given(
    st.lists(_COOKIE, min_size=1, max_size=8),
    st.lists(st.sampled_from([";", "; ", ";  ", " ;", ";\t", "", "=", " = ", ";;", '"']), min_size=7),
)
def test_generated_near_plain_headers_match_werkzeug(cookies: list[str], separators: list[str]) -> None:
    header = cookies[0] + "".join(sep + cookie for sep, cookie in zip(separators, cookies[1:]))
    assert_same(wsgi(header))


# Through the request ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [h for h in CASES if h is not None and h.isascii()])
def test_request_cookies_match_werkzeug_request(header: str) -> None:
    environ = EnvironBuilder().get_environ()
    environ["HTTP_COOKIE"] = header
    ours, theirs = Request(dict(environ)).cookies, WerkzeugRequest(dict(environ)).cookies
    assert type(ours) is type(theirs) is ImmutableMultiDict
    assert list(ours.items(multi=True)) == list(theirs.items(multi=True))


@pytest.mark.parametrize(
    "raw", [b"a=\xff\xfe", b'a="\xff"; b=1', b"session=\xff\xfe", b"\xff=1", b"a=\xc3\xa9"]
)
def test_cookie_bytes_that_are_not_utf8_are_replaced_as_werkzeug_does(raw: bytes) -> None:
    """A Cookie header with invalid UTF-8 is read with the bad bytes replaced: a 200, never a 500."""
    import io

    from erlen import Erlen, request

    app = Erlen(__name__)
    app.secret_key = "k"

    @app.route("/")
    def cookies() -> t.Any:
        return {"cookies": request.cookies.to_dict(flat=False)}

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SERVER_NAME": "x",
        "SERVER_PORT": "80",
        "HTTP_HOST": "x",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "HTTP_COOKIE": raw.decode("latin-1"),
    }
    statuses: list[str] = []
    body = b"".join(app(dict(environ), lambda status, headers, exc_info=None: statuses.append(status)))
    assert statuses == ["200 OK"]
    expected = werkzeug_parse_cookie(raw.decode("latin-1"), ImmutableMultiDict).to_dict(flat=False)
    assert json.loads(body)["cookies"] == expected
    assert "\ufffd" in str(expected) or raw.isascii() or raw == b"a=\xc3\xa9"
