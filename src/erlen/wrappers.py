"""The request and response objects: Werkzeug's, with the app's limits and routing results attached."""

from __future__ import annotations

import io
import typing as t

from werkzeug.datastructures import EnvironHeaders, Headers
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.utils import cached_property, get_content_type
from werkzeug.wrappers import Request as RequestBase
from werkzeug.wrappers import Response as ResponseBase
from werkzeug.wsgi import _get_server, get_content_length

from . import json
from .globals import _cv_app
from .sansio.scaffold import _blueprint_chain

if t.TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment
    from werkzeug.routing import Rule


#: Declared bodies up to this size are read into memory at once rather than streamed.
_EAGER_BODY_SIZE = 64 * 1024


class _CappedStream(io.RawIOBase):
    """A body stream that refuses to be read past ``limit`` bytes.

    Werkzeug's own limit stops reading at the cap and hands the view a truncated body when the request is
    chunked; this one raises 413 as soon as a byte beyond the cap arrives, so a view never sees a cut body.
    """

    def __init__(self, stream: t.IO[bytes], limit: int) -> None:
        self._stream = stream
        self._remaining = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: t.Any) -> int:
        view = memoryview(buffer)
        # Ask for one byte more than the cap allows so an oversized body is noticed, not cut.
        want = min(len(view), self._remaining + 1)
        if want <= 0:
            return 0
        data = self._stream.read(want)
        if not data:
            return 0
        if len(data) > self._remaining:
            self._remaining = -1
            raise RequestEntityTooLarge()
        self._remaining -= len(data)
        view[: len(data)] = data
        return len(data)


class _AppLimit:
    """A request limit: the value set on this request, else the current app's config key, else Werkzeug's."""

    def __init__(self, config_key: str) -> None:
        self.config_key = config_key
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, request: Request | None, owner: type | None = None) -> t.Any:
        if request is None:
            return self
        value = request.__dict__.get(self.name)
        if value is not None:
            return value
        ctx = _cv_app.get(None)
        if ctx is None:
            return getattr(RequestBase, self.name)
        return ctx.app.config[self.config_key]

    def __set__(self, request: Request, value: int | None) -> None:
        request.__dict__[self.name] = value


class Request(RequestBase):
    """The request object: Werkzeug's request plus the route match and the app's body limits.

    Parsing is lazy: ``args``, ``form``, ``files`` and ``json`` are parsed on first access.
    """

    json_module: t.Any = json

    #: The matched URL rule, or None before matching or when matching failed.
    url_rule: Rule | None = None
    #: The view arguments from the URL match.
    view_args: dict[str, t.Any] | None = None
    #: The routing error (404, 405, redirect) when matching failed.
    routing_exception: HTTPException | None = None

    #: The body size cap: set on this request, else the app's MAX_CONTENT_LENGTH.
    max_content_length = _AppLimit("MAX_CONTENT_LENGTH")
    #: The cap on a non-file form field: set on this request, else the app's MAX_FORM_MEMORY_SIZE.
    max_form_memory_size = _AppLimit("MAX_FORM_MEMORY_SIZE")
    #: The cap on multipart parts: set on this request, else the app's MAX_FORM_PARTS.
    max_form_parts = _AppLimit("MAX_FORM_PARTS")

    def __init__(
        self, environ: WSGIEnvironment, populate_request: bool = True, shallow: bool = False
    ) -> None:
        # PERF: sets the fields Werkzeug's constructor sets, read straight from the environ, and leaves
        # ``headers`` and ``server`` to first use; Werkzeug's constructor costs six Python calls.
        self.environ = environ
        self.shallow = shallow
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        self.scheme = environ.get("wsgi.url_scheme", "http")
        root_path = environ.get("SCRIPT_NAME") or ""
        self.root_path = root_path.encode("latin1").decode(errors="replace").rstrip("/") if root_path else ""
        path = environ.get("PATH_INFO") or ""
        self.path = "/" + path.encode("latin1").decode(errors="replace").lstrip("/")
        self.query_string = environ.get("QUERY_STRING", "").encode("latin1")
        self.remote_addr = environ.get("REMOTE_ADDR")
        if populate_request and not shallow:
            environ["werkzeug.request"] = self

    @cached_property
    def headers(self) -> EnvironHeaders:  # type: ignore[override]
        """The request headers, read from the environ on access."""
        return EnvironHeaders(self.environ)

    @cached_property
    def server(self) -> tuple[str, int | None] | None:
        """The server's ``(host, port)`` from the environ."""
        return _get_server(self.environ)

    @property
    def endpoint(self) -> str | None:
        """The endpoint of the matched rule."""
        if self.url_rule is not None:
            return self.url_rule.endpoint  # type: ignore[no-any-return]
        return None

    @property
    def blueprint(self) -> str | None:
        """The registered name of the blueprint the matched endpoint belongs to."""
        endpoint = self.endpoint
        if endpoint is not None and "." in endpoint:
            return endpoint.rpartition(".")[0]
        return None

    @property
    def blueprints(self) -> list[str]:
        """The current blueprint and its parents, innermost first."""
        return _blueprint_chain(self.blueprint)

    def _get_stream_for_parsing(self) -> t.IO[bytes]:
        cached = self.__dict__.get("_cached_data")
        if cached is not None:
            return io.BytesIO(cached)
        return self.stream

    @property
    def stream(self) -> t.IO[bytes]:
        """The body stream, bounded by Content-Length and by max_content_length (413 past it)."""
        stream = self.__dict__.get("_erlen_stream")
        if stream is None:
            stream = self.__dict__["_erlen_stream"] = self._make_stream()
        return stream

    def _make_stream(self) -> t.IO[bytes]:
        if self.shallow:
            raise RuntimeError(
                "This request was created with 'shallow=True', reading from the input stream is disabled."
            )
        environ = self.environ
        raw = environ["wsgi.input"]
        limit = self.max_content_length
        length = get_content_length(environ)
        if length is not None:
            if limit is not None and length > limit:
                raise RequestEntityTooLarge()
            if length <= _EAGER_BODY_SIZE:
                # PERF: a small declared body is read in one call; parsers then read from memory.
                data = raw.read(length) if length else b""
                while len(data) < length:
                    more = raw.read(length - len(data))
                    if not more:
                        from werkzeug.exceptions import ClientDisconnected

                        raise ClientDisconnected()
                    data += more
                return io.BytesIO(data)
            return t.cast(t.IO[bytes], io.BufferedReader(_LengthStream(raw, length)))
        if environ.get("wsgi.input_terminated"):
            if limit is None:
                return t.cast(t.IO[bytes], raw)
            return t.cast(t.IO[bytes], io.BufferedReader(_CappedStream(raw, limit)))
        # No length and the server does not terminate the stream: reading would block or be unbounded.
        return io.BytesIO()

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> t.Any:
        """Parse the body as JSON; deeply nested input is a 400, not a crash."""
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError as e:
            if silent:
                return None
            return self.on_json_loading_failed(ValueError(f"JSON nested too deeply: {e}"))

    def on_json_loading_failed(self, e: ValueError | None) -> t.Any:
        """Turn a JSON error into a 400 (with the parse error shown in debug mode) or a 415."""
        try:
            return super().on_json_loading_failed(e)
        except BadRequest as ebr:
            ctx = _cv_app.get(None)
            if ctx is not None and ctx.app.debug:
                raise
            raise BadRequest() from ebr

    def _load_form_data(self) -> None:
        super()._load_form_data()
        ctx = _cv_app.get(None)
        if ctx is not None and ctx.app.debug and self.mimetype != "multipart/form-data" and not self.files:
            from .debughelpers import attach_enctype_error_multidict

            attach_enctype_error_multidict(self)


class _LengthStream(io.RawIOBase):
    """Reads exactly Content-Length bytes; a body that ends early is a client disconnect (400)."""

    def __init__(self, stream: t.IO[bytes], length: int) -> None:
        self._stream = stream
        self._remaining = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: t.Any) -> int:
        if self._remaining <= 0:
            return 0
        view = memoryview(buffer)
        want = min(len(view), self._remaining)
        try:
            data = self._stream.read(want)
        except (OSError, ValueError) as e:
            from werkzeug.exceptions import ClientDisconnected

            raise ClientDisconnected() from e
        if not data:
            from werkzeug.exceptions import ClientDisconnected

            raise ClientDisconnected()
        self._remaining -= len(data)
        view[: len(data)] = data
        return len(data)


#: Werkzeug's ``Response`` members the direct construction and writing below stand in for.
_DIRECT_MEMBERS = (
    "__init__",
    "__call__",
    "get_wsgi_headers",
    "get_app_iter",
    "get_wsgi_response",
    "set_data",
    "close",
    "iter_encoded",
)


class Response(ResponseBase):
    """The response object: Werkzeug's, with HTML as the default type and the app's cookie-size limit."""

    default_mimetype: str | None = "text/html"
    json_module: t.Any = json
    autocorrect_location_header = False

    #: True when this class leaves Werkzeug's construction and WSGI writing unchanged, so Erlen may build
    #: instances with :meth:`_with_body` and write them without Werkzeug's header pass.
    _direct: t.ClassVar[bool] = True
    #: The Content-Type of ``default_mimetype`` with its charset.
    _default_content_type: t.ClassVar[str | None] = "text/html; charset=utf-8"

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._direct = cls.automatically_set_content_length and all(
            getattr(cls, name) is getattr(Response, name) for name in _DIRECT_MEMBERS
        )
        mimetype = cls.default_mimetype
        cls._default_content_type = get_content_type(mimetype, "utf-8") if mimetype else None

    @classmethod
    def _with_body(cls, body: bytes, content_type: str | None, status: int = 200) -> Response:
        """A response with a complete body, built as Werkzeug's constructor would build it.

        # PERF: skips the constructor's header, status and body setters (about fifteen Python calls).
        """
        self = cls.__new__(cls)
        headers = Headers()
        if content_type is None:
            headers._list = [("Content-Length", str(len(body)))]
        else:
            headers._list = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        self.headers = headers
        self._status = f"{status} {HTTP_STATUS_CODES[status].upper()}"
        self._status_code = status
        self.direct_passthrough = False
        self._on_close = []
        self.response = [body]
        return self

    @property
    def max_cookie_size(self) -> int:  # type: ignore[override]
        """The app's MAX_COOKIE_SIZE when an app context is active, else Werkzeug's default."""
        ctx = _cv_app.get(None)
        if ctx is not None:
            return ctx.app.config["MAX_COOKIE_SIZE"]  # type: ignore[no-any-return]
        return super().max_cookie_size
