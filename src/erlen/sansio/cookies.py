"""Cookie header parsing with no I/O: Werkzeug 3.1's ``parse_cookie`` result, with the per-cookie work in C.

The grammar is Werkzeug's: from the current position, optional spaces or tabs, a key (``[^ \\t=";]+``), then
optionally ``=`` (spaces or tabs around it allowed) and a value, either a quoted string with backslash
escapes or a token (``[^ \\t";]*``), then optional spaces or tabs and ``;`` or the end. Where no cookie
matches, everything up to the next ``;`` is skipped. A quoted value loses its quotes and its escapes:
``\\ooo`` (three octal digits, first 0-3) is that byte, a backslash before any other character keeps the
character; the bytes are then decoded as UTF-8 with errors replaced.

Werkzeug applies that pattern once per cookie in a Python loop, which costs milliseconds on a header of
thousands of cookies (matrix row C6). A header made only of ``key=value`` cookies joined by ``;`` or ``"; "``,
with no ``=`` inside a value and quoted values free of ``;`` and ``=`` (what browsers send), is checked by
one regex and cut up by ``str.split``; Werkzeug's loop finds the same cookies in it, one per piece. Any other
header is handed to Werkzeug's parser.

The property tests in ``tests/test_cookies.py`` compare the result with Werkzeug's on generated headers.
"""

from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict
from werkzeug.sansio.http import parse_cookie as _werkzeug_parse_cookie

from .formdata import empty_fields, fields_from

#: A plain cookie: key, ``=``, and a value with no ``=``; a quoted one also has no ``;``.
_PLAIN_COOKIE = r'[^ \t=";]+=(?:[^ \t=";]*|"(?:[^\\"=;]|\\[^=;\n])*")'
#: A header of plain cookies, each after the first following ``;`` and at most one space.
_PLAIN_HEADER = re.compile(rf"{_PLAIN_COOKIE}(?:; ?{_PLAIN_COOKIE})*", re.ASCII).fullmatch

#: A backslash escape inside a quoted value (``.`` excludes a newline, as in Werkzeug's pattern).
_ESCAPE = re.compile(rb"\\([0-3][0-7][0-7]|.)")


def _unescape(match: re.Match[bytes]) -> bytes:
    """The byte an escape stands for: an octal ``\\ooo`` is its value, any other escaped byte is itself."""
    escaped = match[1]
    return escaped if len(escaped) == 1 else bytes((int(escaped, 8),))


def unquote(value: str) -> str:
    """A cookie value as Werkzeug hands it out: a quoted one without its quotes and escapes."""
    if value[:1] != '"':
        return value
    inner = value[1:-1]
    if "\\" not in inner:
        # The header text came from a UTF-8 decode (or is ASCII), so encoding and decoding it again with errors
        # replaced, as Werkzeug does, would give it back unchanged.
        return inner
    return _ESCAPE.sub(_unescape, inner.encode()).decode(errors="replace")


def parse_cookie(header: str | None, cls: type[MultiDict[str, str]] = MultiDict) -> MultiDict[str, str]:
    """The cookies of a ``Cookie`` header as an instance of ``cls``: ``werkzeug.http.parse_cookie``'s result.

    ``header`` is the WSGI environ's text (``HTTP_COOKIE``, bytes as latin-1); it is read as UTF-8 with invalid
    bytes replaced, as Werkzeug's request headers read it (a bad byte is never a 500).
    """
    if not header:
        return empty_fields(cls)
    text = header if header.isascii() else header.encode("latin-1").decode(errors="replace")
    if _PLAIN_HEADER(text) is not None:
        # PERF: no piece of a plain header holds an ``=`` but the one after its key, so one split on both
        # separators alternates keys and values: a few C calls instead of a regex match per cookie.
        parts = text.replace("; ", ";").replace(";", "=").split("=")
        keys, values = parts[0::2], parts[1::2]
        if '"' in text:
            # A quoted value starts after the only ``="`` of its cookie; the ``;`` before it count the cookie.
            index, start = 0, 0
            found = text.find('="')
            while found >= 0:
                index += text.count(";", start, found)
                values[index] = unquote(values[index])
                start = found
                found = text.find('="', found + 2)
        return fields_from(keys, values, cls)
    return _werkzeug_parse_cookie(text, cls)
