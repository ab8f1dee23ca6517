"""The ceiling: a bare WSGI callable that returns the same bytes as the served scenarios."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from apps.common import HELLO

_HELLO_BODY = HELLO.encode()
_HELLO_HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(_HELLO_BODY)))]
_POST_BODY = b'{"slug":"hello-world","title":"Post hello-world","user_id":42}\n'
_POST_HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(_POST_BODY)))]
_NOT_FOUND = [("Content-Type", "text/plain"), ("Content-Length", "9")]


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    if path == "/":
        start_response("200 OK", _HELLO_HEADERS)
        return [_HELLO_BODY]
    if path == "/users/42/posts/hello-world":
        start_response("200 OK", _POST_HEADERS)
        return [_POST_BODY]
    start_response("404 Not Found", _NOT_FOUND)
    return [b"Not Found"]
