"""The WSGI environ of an ASGI scope, so the same Request class and contexts serve both protocols.

How this works: per server (name and port, scheme, HTTP version, root path) a template environ holds every key a
request's environ has before its headers; a request copies it, fills in its method, path, query string and
client, and adds one key per header (repeated headers joined as WSGI servers join them).
"""

from __future__ import annotations

import sys
import typing as t

if t.TYPE_CHECKING:
    from .asgi import Scope

_HEADER_KEYS: dict[bytes, str] = {}
_PROTOCOLS = {"1.1": "HTTP/1.1", "2": "HTTP/2", "1.0": "HTTP/1.0", "3": "HTTP/3", None: "HTTP/1.1"}
_PORTS: dict[int | None, str] = {None: "80"}


def _port_text(port: int | None) -> str:
    text = _PORTS.get(port)
    if text is None:
        text = str(port)
        if len(_PORTS) < 64:  # PERF: a server listens on few ports
            _PORTS[port] = text
    return text


class _EmptyStream:
    """The body of a request that declared none."""

    def read(self, size: int = -1) -> bytes:
        return b""

    def readline(self, size: int = -1) -> bytes:
        return b""


_EMPTY = _EmptyStream()


#: Environ templates by (server, scheme, HTTP version, root path): every key a request's environ has before
#: its headers, the per-server ones filled in. Bounded (the key comes from the server; a proxy may vary it).
_TEMPLATES: dict[tuple[t.Any, ...], dict[str, t.Any]] = {}


#: The number of keys in every template (the environ before its headers).
_TEMPLATE_SIZE = 17


def _environ_template(key: tuple[t.Any, ...]) -> dict[str, t.Any]:
    """The environ template for ``key`` (see ``_TEMPLATES``), made and remembered on first use."""
    server, scheme, version, root_path = key
    if server is None:
        server = ("localhost", 80)
    if not root_path.isascii():
        root_path = root_path.encode().decode("latin-1")
    template: dict[str, t.Any] = {
        "wsgi.version": (1, 0),
        "wsgi.input": _EMPTY,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.errors": None,
        "wsgi.url_scheme": scheme,
        "asgi.scope": None,
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": root_path,
        "PATH_INFO": "",
        "QUERY_STRING": "",
        "SERVER_NAME": server[0],
        "SERVER_PORT": _port_text(server[1]),
        "SERVER_PROTOCOL": _PROTOCOLS.get(version) or f"HTTP/{version}",
        "REMOTE_ADDR": "",
        "REMOTE_PORT": 0,
    }
    assert len(template) == _TEMPLATE_SIZE
    if len(_TEMPLATES) >= 64:
        _TEMPLATES.clear()
    _TEMPLATES[key] = template
    return template


def scope_to_environ(scope: Scope) -> dict[str, t.Any]:
    """A WSGI environ for an ASGI HTTP or websocket scope (body stream empty until received)."""
    # PERF: the environ is a copy of a template that already holds every key but the headers' (a dict copy
    # is one memcpy; each key added to a dict costs about as much as the copy, and the growing dict resized
    # twice), with the per-server values (server name and port, protocol, scheme, script name) filled in once
    # per server. The keys every server sends with an HTTP request are read by subscript (a ``get`` is a
    # method call); a scope without one (a websocket scope has no method), or with an unhashable server,
    # takes ``_template_for`` and ``get``.
    try:
        template = _TEMPLATES[(scope["server"], scope["scheme"], scope["http_version"], scope["root_path"])]
        root_path: str = scope["root_path"]
        method: str = scope["method"]
        query: bytes = scope["query_string"]
        client = scope["client"]
    except (KeyError, TypeError):
        template, root_path = _template_for(scope)
        method = scope.get("method", "GET")  # a websocket scope has none
        query = scope.get("query_string", b"")
        client = scope.get("client")
    environ = template.copy()
    path: str = scope["path"]
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    environ["REQUEST_METHOD"] = method
    # WSGI carries the path as latin-1-decoded UTF-8 bytes; an ASCII path is already that.
    environ["PATH_INFO"] = path if path.isascii() else path.encode().decode("latin-1")
    if query:
        environ["QUERY_STRING"] = query.decode("latin1")
    if client:
        environ["REMOTE_ADDR"] = client[0]
        environ["REMOTE_PORT"] = client[1]
    environ["wsgi.errors"] = sys.stderr
    environ["asgi.scope"] = scope
    headers = scope["headers"]
    if type(headers) is not list:
        headers = list(headers)
    keys = _HEADER_KEYS
    for raw_name, raw_value in headers:
        name = keys.get(raw_name)
        if name is None:
            name = _header_key(raw_name)
        # PERF: "latin1" is the codec's own name; "latin-1" is normalised first, on every call.
        environ[name] = raw_value.decode("latin1")
    if len(environ) != _TEMPLATE_SIZE + len(headers):
        # PERF: a repeated header shows here, after the loop, rather than as a membership test per header.
        _join_repeated(environ, headers)
    return environ


def _template_for(scope: Scope) -> tuple[dict[str, t.Any], str]:
    """The environ template and root path for a scope that lacks a key ``scope_to_environ`` reads directly, or
    whose template is not made yet."""
    root_path: str = scope.get("root_path", "")
    server = scope.get("server")
    key = (
        tuple(server) if type(server) is list else server,
        scope.get("scheme", "http"),
        scope.get("http_version"),
        root_path,
    )
    template = _TEMPLATES.get(key)
    if template is None:
        template = _environ_template(key)
    return template, root_path


def _header_key(raw_name: bytes) -> str:
    """The environ key of a header name (``HTTP_`` + upper case, ``-`` as ``_``), remembered (bounded)."""
    name = raw_name.decode("latin-1").upper().replace("-", "_")
    if name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        name = "HTTP_" + name
    if len(_HEADER_KEYS) < 512:
        # PERF: header names repeat across requests; translate each one once. Bounded: names are input.
        _HEADER_KEYS[raw_name] = name
    return name


def _join_repeated(environ: dict[str, t.Any], headers: list[t.Any]) -> None:
    """Join the values of headers that share an environ key, as WSGI servers do (cookies with ``; ``)."""
    joined: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = _HEADER_KEYS.get(raw_name) or _header_key(raw_name)
        value = raw_value.decode("latin1")
        if name in joined:
            existing = joined[name]
            value = f"{existing}; {value}" if name == "HTTP_COOKIE" else f"{existing},{value}"
        joined[name] = value
    environ.update(joined)
