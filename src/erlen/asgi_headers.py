"""ASGI response headers as encoded byte pairs, with the encodings remembered (sans-IO).

The ASGI adapter sends headers as lower-case ``(bytes, bytes)`` pairs. Short pairs repeat from response to
response (Content-Type, small Content-Lengths), so each is encoded once into a bounded cache.
"""

from __future__ import annotations

import typing as t

from werkzeug.datastructures import Headers

if t.TYPE_CHECKING:
    from .wrappers import Response

_ENCODED_HEADERS: dict[tuple[str, str], tuple[bytes, bytes]] = {}
_CONTENT_TYPES: dict[str, tuple[bytes, bytes]] = {}
_LENGTHS: dict[int, tuple[bytes, bytes]] = {}
#: The Content-Type pair of a str answer with the stock response class (its ``_default_content_type``).
_HTML_PAIR = (b"content-type", b"text/html; charset=utf-8")


def _plain_header(name: str, value: str | int) -> tuple[bytes, bytes]:
    """The encoded Content-Type or Content-Length pair of a plain 200 body (see ``plain_body``), remembered.

    # PERF: both pairs are encoded once (per Content-Type, and per small Content-Length); the request path
    # looks them up in ``_CONTENT_TYPES`` and ``_LENGTHS`` and calls this only on a miss. Each response gets a
    # new list of the pairs, since ASGI middleware may add to it in place.
    """
    if name == "content-length":
        assert isinstance(value, int)
        pair = (b"content-length", str(value).encode())
        if value < 4096:
            _LENGTHS[value] = pair
        return pair
    assert isinstance(value, str)
    pair = (b"content-type", value.encode("latin-1"))
    if len(_CONTENT_TYPES) < 64:
        _CONTENT_TYPES[value] = pair
    return pair


def _asgi_headers(headers: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """ASGI's lower-case byte pairs. # PERF: short pairs repeat (Content-Type, small Content-Lengths), so each
    is encoded once; the cache is bounded and skips long values (cookies are mostly unique)."""
    cache = _ENCODED_HEADERS
    encoded: list[tuple[bytes, bytes]] = []
    for pair in headers:
        raw = cache.get(pair)
        if raw is None:
            raw = (pair[0].lower().encode("latin-1"), pair[1].encode("latin-1"))
            if len(pair[1]) <= 64 and len(cache) < 1024:
                cache[pair] = raw
        encoded.append(raw)
    return encoded


def _complete_headers(response: Response, environ: dict[str, t.Any]) -> list[tuple[bytes, bytes]] | None:
    """The encoded headers when ``response`` may be sent as it is (the inline WSGI path's ``_write``
    conditions, Content-Length among them), else None.

    # PERF: one pass over the headers both encodes them and finds Content-Length.
    """
    if not (
        getattr(type(response), "_direct", False)
        and type(response.response) is list
        and not response._on_close
        and not response.direct_passthrough
        and environ["REQUEST_METHOD"] != "HEAD"
        and response._status_code >= 200
        and response._status_code not in (204, 304)
    ):
        return None
    cache = _ENCODED_HEADERS
    encoded: list[tuple[bytes, bytes]] = []
    has_length = False
    headers = response.headers
    # PERF: Werkzeug's ``to_wsgi_list`` is ``list(iter(self._list))``, three Python calls for the same pairs.
    pairs = headers._list if type(headers) is Headers else headers.to_wsgi_list()
    for pair in pairs:
        raw = cache.get(pair)
        if raw is None:
            raw = (pair[0].lower().encode("latin-1"), pair[1].encode("latin-1"))
            if len(pair[1]) <= 64 and len(cache) < 1024:
                cache[pair] = raw
        if raw[0] == b"content-length":
            has_length = True
        encoded.append(raw)
    return encoded if has_length else None
