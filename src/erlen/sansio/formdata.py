"""URL-encoded field parsing (query strings and ``application/x-www-form-urlencoded`` bodies), with no I/O.

How this works: the text is split on ``&``, empty fields are skipped, each field splits on its first ``=``
(a field without one has the value ``""``), ``+`` is a space and percent escapes are decoded as UTF-8. A
byte that is not part of valid UTF-8 stays percent-encoded (upper-case hex), and an escape that is not two
hex digits (``%zz``, a trailing ``%``) is kept as written. This is what Werkzeug 3.1 produces through
``urllib.parse.parse_qsl(..., keep_blank_values=True, errors="werkzeug.url_quote")``; the property tests in
``tests/test_formdata.py`` compare the two on generated input.
"""

from __future__ import annotations

import codecs
import typing as t

import werkzeug.urls  # noqa: F401  (registers the "werkzeug.url_quote" codec error handler used below)
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

#: The byte values of hex digits, either case. (A table of all 484 escapes would cost 50 KiB of every process for
#: what only malformed input reaches.)
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")

#: Storage classes whose constructor is known to group ``(key, value)`` pairs into a dict of lists.
_PLAIN_STORAGE = (ImmutableMultiDict, MultiDict)

_escape_decode = codecs.escape_decode

V = t.TypeVar("V")


def _unescape_slowly(part: str) -> bytes:
    """The UTF-8 bytes of ``part`` with each valid ``%XX`` escape decoded and every other ``%`` kept."""
    pieces = part.encode().split(b"%")
    out = [pieces[0]]
    for piece in pieces[1:]:
        if len(piece) >= 2 and piece[0] in _HEX_DIGITS and piece[1] in _HEX_DIGITS:
            out.append(bytes((int(piece[:2], 16),)))
            out.append(piece[2:])
        else:
            out.append(b"%")
            out.append(piece)
    return b"".join(out)


def unquote(part: str) -> str:
    """Decode the percent escapes of one key or value; invalid UTF-8 bytes stay percent-encoded."""
    try:
        # PERF: each ``%`` becomes a bytes-literal hex escape (backslash, x) after every backslash is
        # doubled, so no other escape can form, and one C call decodes the whole part. A malformed percent
        # escape (``%zz``, a trailing ``%``) makes an invalid hex escape (ValueError); such a part is decoded
        # piece by piece instead.
        data = _escape_decode(part.replace("\\", "\\\\").replace("%", "\\x"))[0]
    except ValueError:
        data = _unescape_slowly(part)
    try:
        return data.decode()
    except UnicodeDecodeError:
        # Werkzeug's handler writes each offending byte back as an upper-case ``%XX`` escape.
        return data.decode("utf-8", "werkzeug.url_quote")


def parse_pairs(text: str) -> list[tuple[str, str]]:
    """The ``(key, value)`` fields of URL-encoded ``text``, in order, blank values kept."""
    if "+" in text:
        text = text.replace("+", " ")
    escaped = "%" in text
    pairs: list[tuple[str, str]] = []
    for field in text.split("&"):
        if field:
            key, _, value = field.partition("=")
            if escaped:
                if "%" in key:
                    key = unquote(key)
                if "%" in value:
                    value = unquote(value)
            pairs.append((key, value))
    return pairs


def fields_from_pairs(pairs: list[tuple[str, V]], cls: type[MultiDict[str, V]]) -> MultiDict[str, V]:
    """``pairs`` as an instance of ``cls`` (a MultiDict class), keys and values in order."""
    if cls not in _PLAIN_STORAGE:
        return cls(pairs)
    # PERF: Werkzeug's own MultiDict classes are filled directly (key -> list of values, the layout their
    # constructor builds), without the constructor's type checks (two Python calls).
    lists: dict[str, list[V]] = {}
    for key, value in pairs:
        values = lists.get(key)
        if values is None:
            lists[key] = [value]
        else:
            values.append(value)
    fields = cls.__new__(cls)
    dict.update(fields, lists)
    return fields


def fields_from(
    keys: t.Sequence[str], values: t.Sequence[V], cls: type[MultiDict[str, V]]
) -> MultiDict[str, V]:
    """``values[i]`` under ``keys[i]`` as an instance of ``cls``, for parsers that collect keys and values apart."""
    if cls in _PLAIN_STORAGE:
        # PERF: when every key is distinct (the usual case) the key -> [value] lists and the dict are built in
        # C, with no Python loop; a repeated key shows as a dict shorter than ``keys``.
        fields = cls.__new__(cls)
        dict.update(fields, zip(keys, map(list, zip(values))))
        if len(fields) == len(keys):
            return fields
    return fields_from_pairs(list(zip(keys, values)), cls)


def parse_fields(text: str, cls: type[MultiDict[str, str]]) -> MultiDict[str, str]:
    """URL-encoded ``text`` as an instance of ``cls`` (a MultiDict class), keys and values in order."""
    return fields_from_pairs(parse_pairs(text), cls)


def empty_fields(cls: type[MultiDict[str, t.Any]]) -> MultiDict[str, t.Any]:
    """An empty instance of ``cls``, built without its constructor when it is one of Werkzeug's own."""
    if cls in _PLAIN_STORAGE:
        return cls.__new__(cls)
    return cls()
