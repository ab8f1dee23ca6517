"""``scope_to_environ``'s shortcuts (a per-server template, keys read by subscript, repeated headers found after
the loop) give the environ the plain conversion gives, key for key, for every shape of scope."""

from __future__ import annotations

import sys
import typing as t

import pytest

from erlen.asgi_environ import _EMPTY, scope_to_environ


def plain_environ(scope: dict[str, t.Any]) -> dict[str, t.Any]:
    """The conversion written out one key at a time, as the WSGI and ASGI specifications describe it."""
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    root_path = scope.get("root_path", "")
    path = scope["path"]
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    version = scope.get("http_version")
    environ: dict[str, t.Any] = {
        "wsgi.version": (1, 0),
        "wsgi.input": _EMPTY,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "asgi.scope": scope,
        "REQUEST_METHOD": scope.get("method", "GET"),
        "SCRIPT_NAME": root_path.encode().decode("latin-1"),
        "PATH_INFO": path.encode().decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": server[0],
        "SERVER_PORT": "80" if server[1] is None else str(server[1]),
        "SERVER_PROTOCOL": "HTTP/1.1" if version is None else f"HTTP/{version}",
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": client[1],
    }
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        if name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = "HTTP_" + name
        value = raw_value.decode("latin-1")
        if name in environ:
            value = f"{environ[name]}; {value}" if name == "HTTP_COOKIE" else f"{environ[name]},{value}"
        environ[name] = value
    return environ


def full_scope(**changes: t.Any) -> dict[str, t.Any]:
    scope: dict[str, t.Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"example.com"), (b"user-agent", b"test")],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }
    scope.update(changes)
    return scope


def bare_scope(**changes: t.Any) -> dict[str, t.Any]:
    """Only the keys a server must send; the rest take their defaults."""
    scope: dict[str, t.Any] = {"type": "http", "path": "/", "headers": []}
    scope.update(changes)
    return scope


SCOPES = {
    "full": full_scope(),
    "query and post": full_scope(
        method="POST",
        query_string=b"a=1&b=%C3%A9",
        headers=[(b"content-type", b"application/json"), (b"content-length", b"2"), (b"host", b"h")],
    ),
    "https on HTTP/2": full_scope(scheme="https", http_version="2", server=("example.com", 443)),
    "unknown version": full_scope(http_version="4"),
    "root path": full_scope(path="/app/x", root_path="/app"),
    "non-ASCII path and root": full_scope(path="/ca\u00fe/\u00e9", root_path="/ca\u00fe"),
    "root path not a prefix": full_scope(path="/other", root_path="/app"),
    "server as a list": full_scope(server=["10.0.0.1", 9000]),
    "unix socket": full_scope(server=("/tmp/sock", None), client=None),
    "no server or client": full_scope(server=None, client=None),
    "repeated headers": full_scope(
        headers=[
            (b"accept", b"a"),
            (b"cookie", b"a=1"),
            (b"accept", b"b"),
            (b"cookie", b"b=2"),
            (b"x-forwarded-for", b"1.1.1.1"),
            (b"x_forwarded_for", b"2.2.2.2"),
        ]
    ),
    "headers as a tuple": full_scope(headers=((b"host", b"t"), (b"accept", b"x"), (b"accept", b"y"))),
    "latin-1 header value": full_scope(headers=[(b"x-name", "\u00e9t\u00e9".encode("latin-1"))]),
    "bare": bare_scope(),
    "bare with headers": bare_scope(method="PUT", headers=[(b"host", b"b"), (b"host", b"c")]),
}


@pytest.mark.parametrize("name", SCOPES)
def test_environ_matches_the_plain_conversion(name: str) -> None:
    scope = SCOPES[name]
    expected = plain_environ(scope)
    for _ in range(2):  # the template made, then found
        environ = scope_to_environ(scope)
        assert environ == expected
        assert environ["asgi.scope"] is scope


def test_headers_from_a_generator() -> None:
    headers = [(b"host", b"g"), (b"accept", b"1"), (b"accept", b"2")]
    scope = full_scope(headers=(pair for pair in headers))
    assert scope_to_environ(scope) == plain_environ(full_scope(headers=headers)) | {"asgi.scope": scope}


def test_each_environ_is_a_new_dict() -> None:
    scope = full_scope()
    first = scope_to_environ(scope)
    first["wsgi.input"] = None
    first["HTTP_X_ADDED"] = "1"
    second = scope_to_environ(scope)
    assert second["wsgi.input"] is _EMPTY
    assert "HTTP_X_ADDED" not in second
