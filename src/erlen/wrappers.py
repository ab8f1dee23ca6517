"""The request and response objects: Werkzeug's, with the app's limits and routing results attached."""

from __future__ import annotations

import io
import json as _stdlib_json
import typing as t

from werkzeug.datastructures import (
    Accept,
    CharsetAccept,
    EnvironHeaders,
    Headers,
    ImmutableMultiDict,
    LanguageAccept,
    MIMEAccept,
    MultiDict,
    Range,
)
from werkzeug.exceptions import BadRequest, ClientDisconnected, HTTPException, RequestEntityTooLarge
from werkzeug.http import HTTP_STATUS_CODES, parse_accept_header, parse_range_header
from werkzeug.utils import cached_property, get_content_type
from werkzeug.wrappers import Request as RequestBase
from werkzeug.wrappers import Response as ResponseBase
from werkzeug.wsgi import _get_server

from . import json
from ._lazy import first_use
from .body_stream import DEFAULT_CHUNK_SIZE, iter_body
from .globals import _cv_app_get, _cv_contexts_get
from .json.provider import DefaultJSONProvider
from .request_body import (
    EAGER_BODY_SIZE,
    CappedStream,
    LengthStream,
    LimitedFormDataParser,
    declared_length,
    read_body,
)
from .sansio.cookies import parse_cookie
from .sansio.formdata import empty_fields, parse_fields
from .sansio.headers import check_headers
from .sansio.scaffold import _blueprint_chain

if t.TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment
    from werkzeug.routing import Rule


#: Accept-* and Range headers are parsed up to this many entries; the rest of a pathological header is ignored.
_MAX_LIST_ENTRIES = 64
#: Headers shorter than this cannot hold more entries than the cap worth truncating; they parse unchanged.
_TRUNCATE_FROM = 2048


def _first_entries(value: str | None) -> str | None:
    """The first :data:`_MAX_LIST_ENTRIES` comma-separated entries of a long header, else ``value`` itself.

    Werkzeug parses every entry of Accept-* (Django CVE-2023-23969) and Range (Starlette CVE-2025-62727)
    headers in a Python loop; a header of thousands of entries then costs milliseconds per request.
    """
    if value is None or len(value) < _TRUNCATE_FROM:
        return value
    return ",".join(value.split(",", _MAX_LIST_ENTRIES)[:_MAX_LIST_ENTRIES])


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
        contexts = _cv_contexts_get(None)
        ctx = None if contexts is None else contexts[0]
        if ctx is None:
            return getattr(RequestBase, self.name)
        return ctx.app.config[self.config_key]

    def __set__(self, request: Request, value: int | None) -> None:
        request.__dict__[self.name] = value


_URLENCODED = "application/x-www-form-urlencoded"

#: Members whose override makes a request class parse urlencoded bodies through Werkzeug's general path
#: (``make_form_data_parser`` and the parser class), so a customised parse is always the one that runs.
_FORM_MEMBERS = (
    "form_data_parser_class",
    "make_form_data_parser",
    "want_form_data_parsed",
    "_get_stream_for_parsing",
    "stream",
    "_make_stream",
    "headers",
    "mimetype",
    "mimetype_params",
    "content_length",
    "max_content_length",
    "max_form_memory_size",
    "max_form_parts",
)


#: What ``Request.get_json`` relies on; a subclass that changes any of them gets Werkzeug's general path.
_JSON_MEMBERS = ("get_data", "is_json", "on_json_loading_failed", "_cached_json", *_FORM_MEMBERS)

#: What ``json.loads`` decodes with when given no options.
_JSON_DECODER = _stdlib_json.JSONDecoder()
_JSON_OPENERS = (b"{", b"[")


def _loads_utf8_object(data: bytes) -> t.Any:
    """``json.loads(data)`` for a body that starts ``{`` or ``[`` followed by a non-NUL byte.

    # PERF: for such bytes ``json.detect_encoding`` always answers UTF-8 (no BOM, not UTF-16/32), so the
    detection and ``json.loads``' own dispatch are skipped.
    """
    return _JSON_DECODER.decode(data.decode("utf-8", "surrogatepass"))


def _plain_json_type(content_type: str) -> bool:
    """Whether ``content_type`` is ``application/json``, with or without parameters (others: ask Werkzeug)."""
    return content_type[:16] == "application/json" and content_type[16:17] in ("", ";", " ")


class _UploadsProperty(cached_property[t.Any]):
    """Werkzeug's ``files`` property; an assignment marks the request as holding uploads."""

    def __set__(self, obj: t.Any, value: t.Any) -> None:
        obj._may_hold_uploads = True
        super().__set__(obj, value)


#: Methods already in upper case, as servers send them: no ``upper()`` call for these.
UPPERCASE_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))


class Request(RequestBase):
    """The request object: Werkzeug's request plus the route match and the app's body limits.

    Parsing is lazy: ``args``, ``form``, ``files`` and ``json`` are parsed on first access.
    """

    json_module: t.Any = json
    form_data_parser_class = LimitedFormDataParser

    #: True when this class keeps Erlen's form parsing members, so a urlencoded body is parsed directly
    #: rather than through ``make_form_data_parser`` (the result is the same).
    _direct_form: t.ClassVar[bool] = True
    #: True when this class keeps Erlen's ``query_string``, so ``args`` may read the environ directly.
    _direct_args: t.ClassVar[bool] = True
    #: True when this class keeps the members ``get_json`` relies on, so a JSON body is parsed directly.
    _direct_json: t.ClassVar[bool] = True
    #: True when this class keeps this constructor, so the WSGI path may make the request on first use (see
    #: ``RequestContext.request``); a constructor of its own runs at push, as in Flask.
    _made_on_first_use: t.ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._made_on_first_use = cls.__init__ is Request.__init__
        cls._direct_form = all(getattr(cls, name) is getattr(Request, name) for name in _FORM_MEMBERS)
        cls._direct_args = cls.query_string is Request.query_string
        cls._direct_json = all(getattr(cls, name) is getattr(Request, name) for name in _JSON_MEMBERS)
        if cls._load_form_data is not Request._load_form_data:
            cls._may_hold_uploads = True  # its own form loading may store files without saying so

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
        # PERF: sets the fields Werkzeug's constructor sets that every request reads, straight from the environ;
        # ``path``, ``query_string``, ``remote_addr``, ``headers`` and ``server`` are made on first use.
        # Werkzeug's constructor costs six Python calls.
        self.environ = environ
        if shallow:
            self.shallow = True
        method = environ.get("REQUEST_METHOD", "GET")
        self.method = method if method in UPPERCASE_METHODS else method.upper()
        self.scheme = environ.get("wsgi.url_scheme", "http")
        root_path = environ.get("SCRIPT_NAME") or ""
        self.root_path = root_path.encode("latin1").decode(errors="replace").rstrip("/") if root_path else ""
        if populate_request and not shallow:
            environ["werkzeug.request"] = self

    #: Whether reading the body is refused (a request made only to inspect the environ).
    shallow: bool = False

    @first_use
    def path(self) -> str:
        """The path after ``root_path``, always starting with one slash."""
        path = self.environ.get("PATH_INFO") or ""
        return "/" + path.encode("latin1").decode(errors="replace").lstrip("/")

    @first_use
    def query_string(self) -> bytes:
        """The raw query string, as bytes."""
        return self.environ.get("QUERY_STRING", "").encode("latin1")  # type: ignore[no-any-return]

    @first_use
    def remote_addr(self) -> str | None:
        """The client's address as the server reports it."""
        return self.environ.get("REMOTE_ADDR")

    @cached_property
    def headers(self) -> EnvironHeaders:  # type: ignore[override]
        """The request headers, read from the environ on access."""
        return EnvironHeaders(self.environ)

    @property
    def is_json(self) -> bool:
        """Whether the body is JSON: ``application/json`` or ``application/*+json``.

        # PERF: the plain ``application/json`` content type is recognised without parsing its options.
        """
        if _plain_json_type(self.environ.get("CONTENT_TYPE", "")):
            return True
        return super().is_json

    @cached_property
    def cookies(self) -> ImmutableMultiDict[str, str]:
        """The request's cookies.

        # PERF: WSGI servers (and Erlen's ASGI adapter) deliver every Cookie header joined in one HTTP_COOKIE,
        # so it is parsed directly; Werkzeug collects it through the header view, walking the whole environ.
        Erlen's parser (:mod:`erlen.sansio.cookies`) gives Werkzeug's result, splitting usual headers in C.
        """
        return parse_cookie(self.environ.get("HTTP_COOKIE", ""), cls=self.dict_storage_class)  # type: ignore[return-value]

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
        length = declared_length(environ)
        if length is not None:
            if limit is not None and length > limit:
                raise RequestEntityTooLarge()
            if length <= EAGER_BODY_SIZE:
                # PERF: a small declared body is read in one call; parsers then read from memory.
                data = read_body(raw, length) if length else b""
                while len(data) < length:
                    more = read_body(raw, length - len(data))
                    if not more:
                        raise ClientDisconnected()
                    data += more
                return io.BytesIO(data)
            return t.cast(t.IO[bytes], io.BufferedReader(LengthStream(raw, length)))
        if environ.get("wsgi.input_terminated"):
            return t.cast(t.IO[bytes], io.BufferedReader(CappedStream(raw, limit)))
        # No length and the server does not terminate the stream: reading would block or be unbounded.
        return io.BytesIO()

    @cached_property
    def accept_mimetypes(self) -> MIMEAccept:
        """The Accept header's media types; a pathological header is read up to its first 64 entries."""
        return parse_accept_header(_first_entries(self.headers.get("Accept")), MIMEAccept)

    @cached_property
    def accept_charsets(self) -> CharsetAccept:
        """The Accept-Charset header's charsets, up to the first 64 entries."""
        return parse_accept_header(_first_entries(self.headers.get("Accept-Charset")), CharsetAccept)

    @cached_property
    def accept_encodings(self) -> Accept:
        """The Accept-Encoding header's codings, up to the first 64 entries."""
        return parse_accept_header(_first_entries(self.headers.get("Accept-Encoding")), Accept)

    @cached_property
    def accept_languages(self) -> LanguageAccept:
        """The Accept-Language header's languages, up to the first 64 entries."""
        return parse_accept_header(_first_entries(self.headers.get("Accept-Language")), LanguageAccept)

    @cached_property
    def range(self) -> Range | None:
        """The Range header, parsed up to its first 64 ranges (Werkzeug serves a single range anyway)."""
        return parse_range_header(_first_entries(self.headers.get("Range")))

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> t.Any:
        """Parse the body as JSON; deeply nested input is a 400, not a crash."""
        if (
            cache
            and not force
            and not silent
            and self._direct_json
            and self._cached_json[0] is Ellipsis
            # _plain_json_type, written out: a call less.
            and (content_type := self.environ.get("CONTENT_TYPE", ""))[:16] == "application/json"
            and content_type[16:17] in ("", ";", " ")
            and getattr(type(self.json_module), "loads", None) is DefaultJSONProvider.loads
        ):
            # PERF: the usual call, ``request.json`` on a JSON body with the default provider: Werkzeug's steps
            # (read and cache the body, decode, cache the result) without its dispatch. Anything unusual,
            # errors included, takes the general path below, which answers it as before.
            data = self.__dict__.get("_cached_data")
            if data is None:
                data = self.get_data()
            if data[:1] in _JSON_OPENERS and data[1:2] != b"\x00":
                try:
                    rv = _loads_utf8_object(data)
                except (ValueError, RecursionError):
                    pass
                else:
                    self._cached_json = (rv, rv)
                    return rv
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
            ctx = _cv_app_get(None)
            if ctx is not None and ctx.app.debug:
                raise
            raise BadRequest() from ebr

    @first_use
    def args(self) -> MultiDict[str, str]:
        """The URL parameters, parsed as Werkzeug parses them (see :mod:`erlen.sansio.formdata`).

        # PERF: Erlen's parser, about twenty Python calls fewer than ``parse_qsl``; an ASCII query string (what
        # clients send: they percent-encode) is read straight from the environ, being its own UTF-8 text.
        A query string that is not UTF-8 (raw bytes, not percent escapes) is a 400, where Werkzeug lets its
        UnicodeDecodeError become a 500.
        """
        try:
            if self._direct_args and "query_string" not in self.__dict__:
                text = self.environ.get("QUERY_STRING", "")
                if not text.isascii():
                    text = text.encode("latin1").decode()
            else:
                text = self.query_string.decode()
        except UnicodeError:
            raise BadRequest("The query string is not valid UTF-8.") from None
        return parse_fields(text, self.parameter_storage_class)

    @first_use
    def form(self) -> ImmutableMultiDict[str, str]:
        """The form fields of a urlencoded or multipart body (files are in :attr:`files`).

        # PERF: stored on the request once parsed, so later reads make no Python call.
        """
        self._load_form_data()
        return self.__dict__["form"]  # type: ignore[no-any-return]

    def iter_body(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> t.AsyncIterator[bytes]:
        """The body as an async iterator of byte chunks: ``async for chunk in request.iter_body(): ...``.

        On a ``stream_body=True`` route under ASGI the chunks are the server's, as they arrive (the body is
        never held whole); elsewhere the body is read from :attr:`stream` in ``chunk_size`` pieces. The body
        can be iterated once; afterwards ``get_data()``, ``form``, ``files`` and ``json`` raise
        :class:`erlen.body_stream.BodyConsumedError`. Erlen only (Quart's ``request.body`` plays this part).
        """
        return iter_body(self, chunk_size)

    #: False until the form is loaded or ``files`` is assigned: until then there are no uploads to close.
    #: PERF: the request path reads this rather than ``__dict__``, which Python builds on first use.
    _may_hold_uploads = False

    files = _UploadsProperty(RequestBase.__dict__["files"].fget)

    def close(self) -> None:
        """Close the uploaded files, if any were parsed.

        # PERF: with no uploads there is nothing to close; Werkzeug's walk over an empty form costs three calls.
        """
        if self._may_hold_uploads and self.__dict__.get("files"):
            super().close()

    def _load_form_data(self) -> None:
        d = self.__dict__
        if "form" in d:
            return
        self._may_hold_uploads = True
        environ = self.environ
        contexts = _cv_contexts_get(None)
        ctx = None if contexts is None else contexts[0]
        if (
            self._direct_form
            and ctx is not None
            and "HTTP_TRANSFER_ENCODING" not in environ
            and environ.get("CONTENT_TYPE", "").partition(";")[0].strip(" \t").lower() == _URLENCODED
        ):
            # PERF: a urlencoded body is parsed here as ``make_form_data_parser().parse(...)`` would parse it,
            # limits included, without the parser object, the content-type options or the MultiDict
            # constructors: about fifty Python calls fewer. Limits are read as :class:`_AppLimit` reads them.
            cached = d.get("_cached_data")
            stream = io.BytesIO(cached) if cached is not None else self.stream
            config = ctx.app.config
            cap = d.get("max_form_memory_size")
            if cap is None:
                cap = config["MAX_FORM_MEMORY_SIZE"]
            max_fields = d.get("max_form_parts")
            if max_fields is None:
                max_fields = config["MAX_FORM_PARTS"]
            cls = self.parameter_storage_class
            try:
                if cap is None:
                    data = stream.read()
                else:
                    # A body in memory is the whole body, so reading one byte past the cap tells what the
                    # declared length would; only a streamed body is refused on its declared length first.
                    if type(stream) is not io.BytesIO:
                        length = declared_length(environ)
                        if length is not None and length > cap:
                            raise RequestEntityTooLarge()
                    data = stream.read(cap + 1)
                    if len(data) > cap:
                        raise RequestEntityTooLarge()
                if max_fields is not None and data and data.count(b"&") >= max_fields:
                    raise RequestEntityTooLarge()
                form = parse_fields(data.decode(), cls)
            except ValueError:
                # Werkzeug's parser is silent: a body it cannot read (not UTF-8) is an empty form.
                form = empty_fields(cls)
            d["stream"], d["form"] = stream, form
            d["files"] = cls.__new__(cls) if cls is ImmutableMultiDict else cls()
            if ctx.app.debug:
                from .debughelpers import attach_enctype_error_multidict

                attach_enctype_error_multidict(self)
            return
        super()._load_form_data()
        if ctx is not None and ctx.app.debug and self.mimetype != "multipart/form-data" and not self.files:
            from .debughelpers import attach_enctype_error_multidict

            attach_enctype_error_multidict(self)


#: Werkzeug's ``Response`` members the direct construction and writing below stand in for.
_DIRECT_MEMBERS = (
    "__new__",
    "__init__",
    "__call__",
    "get_wsgi_headers",
    "get_app_iter",
    "get_wsgi_response",
    "set_data",
    "close",
    "iter_encoded",
)


_new = object.__new__

#: ``"200 OK"`` and the like: the status line Werkzeug makes for each code it knows.
_STATUS_LINES = {code: f"{code} {phrase.upper()}" for code, phrase in HTTP_STATUS_CODES.items()}


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
        cls._default_content_type = content_type = get_content_type(mimetype, "utf-8") if mimetype else None
        if content_type is not None and not content_type.isprintable():
            cls._direct = False  # the general path refuses it (see check_headers)

    @classmethod
    def _with_body(cls, body: bytes, content_type: str | None, status: int = 200) -> Response:
        """A response with a complete body, built as Werkzeug's constructor would build it.

        ``content_type`` must already be safe to send (see :mod:`erlen.sansio.headers`): the class's checked
        default, a literal, or a value its caller checked.

        # PERF: skips the constructor's header, status and body setters (about fifteen Python calls). A copy of
        # the header list is kept: while the response's list still equals it, the writer knows the headers are
        # safe and end with Content-Length, without reading them again.
        """
        self = _new(cls)  # what cls.__new__ is (see _DIRECT_MEMBERS), without the attribute lookup
        headers = _new(Headers)  # Headers' constructor only sets ``_list``
        if content_type is None:
            header_list = [("Content-Length", str(len(body)))]
        else:
            header_list = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        headers._list = header_list
        self.headers = headers
        self._status = _STATUS_LINES[status]  # callers pass 200 or a code of HTTP_STATUS_CODES
        self._status_code = status
        self.direct_passthrough = False
        self._on_close = []
        self.response = [body]
        self._checked_headers = header_list[:]
        return self

    #: A copy of the header list :meth:`_with_body` made (None for other responses).
    _checked_headers: list[tuple[str, str]] | None = None

    def get_wsgi_headers(self, environ: WSGIEnvironment) -> Headers:
        """Werkzeug's final headers, refused when one holds a control character (see :func:`check_headers`)."""
        headers = super().get_wsgi_headers(environ)
        check_headers(headers.to_wsgi_list())
        return headers

    def make_conditional(
        self,
        request_or_environ: WSGIEnvironment | RequestBase,
        accept_ranges: bool | str = False,
        complete_length: int | None = None,
    ) -> Response:
        """Werkzeug's, with a long Range header read up to its first 64 ranges (matrix C9).

        Werkzeug serves one range: a header of two or more is a 416 whatever follows, so the answer is the
        same, without parsing thousands of ranges first.
        """
        environ = request_or_environ if isinstance(request_or_environ, dict) else request_or_environ.environ
        value = environ.get("HTTP_RANGE")
        trimmed = _first_entries(value)
        if trimmed is not value:
            # A shallow copy: the request's own environ keeps the header as it came.
            environ = {**environ, "HTTP_RANGE": trimmed}
        super().make_conditional(environ, accept_ranges, complete_length)
        return self

    def set_cookie(self, key: str, value: str = "", *args: t.Any, **kwargs: t.Any) -> None:
        """Set a cookie; one over MAX_COOKIE_SIZE is a warning, and an error in debug mode.

        Browsers drop oversized cookies silently, so a session that "does not stick" is the only symptom;
        in debug mode the developer gets the traceback instead.
        """
        super().set_cookie(key, value, *args, **kwargs)
        ctx = _cv_app_get(None)
        if ctx is None or not ctx.app.debug:
            return
        limit = self.max_cookie_size
        header = self.headers.getlist("Set-Cookie")[-1]
        if limit and len(header) > limit:
            raise ValueError(
                f"The {key!r} cookie is too large: {len(header)} bytes, over MAX_COOKIE_SIZE ({limit});"
                " browsers ignore it."
            )

    @property
    def max_cookie_size(self) -> int:  # type: ignore[override]
        """The app's MAX_COOKIE_SIZE when an app context is active, else Werkzeug's default."""
        ctx = _cv_app_get(None)
        if ctx is not None:
            return ctx.app.config["MAX_COOKIE_SIZE"]  # type: ignore[no-any-return]
        return super().max_cookie_size
