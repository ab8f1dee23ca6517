"""JSON providers: how an app turns data into JSON text and JSON responses (``app.json``).

Subclass :class:`JSONProvider` (or :class:`DefaultJSONProvider`) and set ``app.json_provider_class`` (or
assign ``app.json``) to use another JSON library.
"""

from __future__ import annotations

import dataclasses
import decimal
import importlib
import json
import typing as t
import uuid
import weakref
from datetime import date

from werkzeug.http import http_date
from werkzeug.utils import get_content_type

from ..sansio.headers import check_headers

if t.TYPE_CHECKING:
    from werkzeug.sansio.response import Response

    from ..sansio.app import App


def _response_class(app: App) -> type[Response]:
    """The app's response class; declared by the concrete app, not by the sans-IO base."""
    return t.cast("type[Response]", getattr(app, "response_class"))


class JSONProvider:
    """The interface ``erlen.json`` and ``jsonify`` call through ``app.json``.

    Implement :meth:`dumps` and :meth:`loads`; :meth:`dump`, :meth:`load` and :meth:`response` are built on
    them. The app is held by a weak reference, so the provider does not keep its app alive.

    .. versionadded:: 2.2
    """

    def __init__(self, app: App) -> None:
        # A proxy rather than ``weakref.ref`` keeps ``self._app.config`` working in subclasses.
        self._app: App = t.cast("App", weakref.proxy(app))

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize ``obj`` to a JSON string."""
        raise NotImplementedError

    def dump(self, obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
        """Serialize ``obj`` and write it to the text file ``fp``."""
        fp.write(self.dumps(obj, **kwargs))

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Deserialize a JSON string or bytes."""
        raise NotImplementedError

    def load(self, fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
        """Read and deserialize the file ``fp``."""
        return self.loads(fp.read(), **kwargs)

    def _prepare_response_obj(self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]) -> t.Any:
        """One positional argument is the data; several form a list; keyword arguments form a dict."""
        if args and kwargs:
            raise TypeError("app.json.response() takes either args or kwargs, not both")
        if not args and not kwargs:
            return None
        if len(args) == 1:
            return args[0]
        return args or kwargs

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """A response whose body is the JSON of the arguments, with the ``application/json`` mimetype.

        Pass one value, several values (sent as a list), or keyword arguments (sent as an object).
        """
        obj = self._prepare_response_obj(args, kwargs)
        return _response_class(self._app)(self.dumps(obj), mimetype="application/json")


_Encode = t.Callable[[t.Any], str]


def _one_shot(encoder: json.JSONEncoder) -> _Encode:
    """``encoder.encode`` for a compact encoder, without the setup ``JSONEncoder.iterencode`` repeats per call.

    # PERF: ``encode`` rebuilds its helper closures and the C encoder object on every call (about 0.6 µs of a
    # 1 µs encode of a small dict). Here one C encoder is made from the same settings, without the
    # circular-reference markers: it keeps no state between calls, so threads share it, and it skips the
    # markers' bookkeeping per container. Circular data recurses until RecursionError; the call is then
    # repeated with markers, which raises ``encode``'s ValueError (or the RecursionError of data too deep for
    # it too). Without the C speedups, ``encode`` itself is used.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    indent: t.Any = encoder.indent  # None for a compact encoder (typeshed leaves None out)
    if make is None or indent is not None:
        return encoder.encode
    string_encoder = (
        json.encoder.encode_basestring_ascii if encoder.ensure_ascii else json.encoder.encode_basestring
    )
    settings = (
        encoder.default,
        string_encoder,
        None,
        encoder.key_separator,
        encoder.item_separator,
        encoder.sort_keys,
        encoder.skipkeys,
        encoder.allow_nan,
    )
    reusable = make(None, *settings)
    if not encoder.check_circular:
        return lambda obj: "".join(reusable(obj, 0))

    def encode(obj: t.Any) -> str:
        try:
            return "".join(reusable(obj, 0))
        except RecursionError:
            return "".join(make({}, *settings)(obj, 0))

    return encode


def _default(o: t.Any) -> t.Any:
    """Convert the types stdlib ``json`` rejects but Flask apps rely on; raise ``TypeError`` for the rest."""
    if isinstance(o, date):
        return http_date(o)
    if isinstance(o, (decimal.Decimal, uuid.UUID)):
        return str(o)
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def _stock_debug() -> t.Any:
    """The ``debug`` property every Erlen app has unless its class replaces it."""
    from ..sansio.app import App

    return App.debug


#: Attributes whose change invalidates the cached encoders of a :class:`DefaultJSONProvider`.
_ENCODER_SETTINGS = frozenset(("default", "ensure_ascii", "sort_keys"))


class DefaultJSONProvider(JSONProvider):
    """JSON with the standard library, plus these types:

    - :class:`datetime.datetime` and :class:`datetime.date` as RFC 822 strings (HTTP date format);
    - :class:`uuid.UUID` and :class:`decimal.Decimal` as strings;
    - :mod:`dataclasses` as dicts;
    - objects with ``__html__`` (:class:`~markupsafe.Markup`) as the HTML string.

    Change the attributes below on ``app.json`` to adjust the output.

    .. versionadded:: 2.2
    """

    #: Called for objects ``json`` cannot serialize. Assign a function to the instance to extend it.
    default: t.Callable[[t.Any], t.Any] = staticmethod(_default)
    #: Escape non-ASCII characters. Safer where the encoding is unclear (HTML, headers).
    ensure_ascii = True
    #: Sort object keys, which keeps the output stable for caching and tests.
    sort_keys = True
    #: Compact responses (``True``), indented responses (``False``), or compact unless the app is in debug
    #: mode (``None``).
    compact: bool | None = None
    #: The mimetype of :meth:`response`.
    mimetype = "application/json"

    def __setattr__(self, name: str, value: t.Any) -> None:
        # PERF: encoders are built once and reused; a write to a setting drops them, reads cost nothing.
        if name in _ENCODER_SETTINGS:
            self.__dict__.pop("_encoders", None)
        object.__setattr__(self, name, value)

    #: What :meth:`_build_encoders` returns, kept until a setting changes (then the class's None shows).
    _encoders: tuple[_Encode, _Encode, _Encode, bool] | None = None

    def _build_encoders(self) -> tuple[_Encode, _Encode, _Encode, bool]:
        """The ``encode`` functions for :meth:`dumps`, compact responses and indented responses, and whether
        the app's ``debug`` is the stock property (the DEBUG config key)."""
        common: dict[str, t.Any] = {
            "default": self.default,
            "ensure_ascii": self.ensure_ascii,
            "sort_keys": self.sort_keys,
        }
        encoders = (
            _one_shot(json.JSONEncoder(**common)),
            _one_shot(json.JSONEncoder(**common, separators=(",", ":"))),
            json.JSONEncoder(**common, indent=2).encode,
            getattr(self._app.__class__, "debug", None) is _stock_debug(),  # the app's class, not the proxy's
        )
        self.__dict__["_encoders"] = encoders
        return encoders

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize ``obj`` with :func:`json.dumps`, using this provider's settings as defaults."""
        if not kwargs:
            # PERF: ``json.dumps`` with any option builds a new JSONEncoder per call; reuse one instead.
            encoders = self._encoders or self._build_encoders()
            return encoders[0](obj)
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return json.dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Deserialize with :func:`json.loads`."""
        return json.loads(s, **kwargs)

    def _indent_response(self) -> bool:
        compact = self.compact
        if compact is None:
            return bool(self._app.debug)
        return not compact

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """A JSON response of the arguments (see :meth:`JSONProvider.response`).

        The body is compact, or indented when :attr:`compact` is ``False`` or is ``None`` in debug mode, and
        ends with a newline.
        """
        # PERF: the usual calls (keyword arguments, or one value) need no helper call.
        if kwargs and not args:
            obj: t.Any = kwargs
        elif len(args) == 1 and not kwargs:
            obj = args[0]
        else:
            obj = self._prepare_response_obj(args, kwargs)
        response_class: t.Any = getattr(self._app, "response_class")  # declared by the concrete app
        if type(self).dumps is DefaultJSONProvider.dumps and getattr(response_class, "_direct", False):
            # PERF: a complete JSON body needs none of the general constructor's work.
            return response_class._with_body(*self._encode(obj))  # type: ignore[no-any-return]
        if self._indent_response():
            body = self.dumps(obj, indent=2)
        else:
            body = self.dumps(obj, separators=(",", ":"))
        return response_class(f"{body}\n", mimetype=self.mimetype)  # type: ignore[no-any-return]

    def _encode(self, obj: t.Any) -> tuple[bytes, str]:
        """The body and Content-Type of :meth:`response` for ``obj``, with this class's own ``dumps``.

        # PERF: the common case (a dict returned from a view) is one encode with a prebuilt encoder; the debug
        # setting is read from the config when the app keeps the stock ``debug`` property (no call).
        """
        encoders = self._encoders or self._build_encoders()
        compact = self.compact
        if compact is not None:
            indent = not compact
        elif encoders[3]:
            indent = bool(self._app.config["DEBUG"])
        else:
            indent = bool(self._app.debug)
        body = (encoders[2] if indent else encoders[1])(obj)
        mimetype = self.mimetype
        if mimetype == "application/json":
            content_type = mimetype
        else:
            content_type = get_content_type(mimetype, "utf-8")
            check_headers([("Content-Type", content_type)])
        return f"{body}\n".encode(), content_type

    def _complete_body(self, obj: t.Any) -> tuple[bytes, str] | None:
        """The body and Content-Type :meth:`response` would give ``obj``, or None when a subclass changes
        ``response`` or ``dumps`` (then only a response object says what is sent).

        # PERF: lets the request path send a returned dict or list without building a response object.
        """
        cls = type(self)
        if cls.response is not DefaultJSONProvider.response or cls.dumps is not DefaultJSONProvider.dumps:
            return None
        return self._encode(obj)


class OrjsonProvider(DefaultJSONProvider):
    """Opt-in provider on `orjson <https://github.com/ijl/orjson>`_, for apps that want its speed.

    Not the default because its output differs from the standard library's: no spaces after separators,
    non-ASCII characters are never escaped (``ensure_ascii`` is ignored), and keys must be strings. The types
    :class:`DefaultJSONProvider` supports are handled the same way (orjson's own datetime, UUID and dataclass
    support is bypassed for datetimes so they stay HTTP dates). Keyword arguments to :meth:`dumps` and
    :meth:`loads` other than ``default`` fall back to the standard library. Enable it with::

        from erlen.json.provider import OrjsonProvider
        app.json = OrjsonProvider(app)
    """

    def __init__(self, app: App) -> None:
        super().__init__(app)
        self._orjson: t.Any = importlib.import_module("orjson")

    def _options(self, indent: bool) -> int:
        orjson = self._orjson
        # Pass datetimes to ``default`` so they keep Flask's HTTP date format.
        options = int(orjson.OPT_PASSTHROUGH_DATETIME)
        if self.sort_keys:
            options |= orjson.OPT_SORT_KEYS
        if indent:
            options |= orjson.OPT_INDENT_2
        return options

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize with orjson; other keyword arguments than ``default`` use the standard library."""
        default = kwargs.pop("default", self.default)
        if kwargs:
            return super().dumps(obj, default=default, **kwargs)
        return self._orjson.dumps(obj, default=default, option=self._options(False)).decode()  # type: ignore[no-any-return]

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Deserialize with orjson, or the standard library when keyword arguments are given."""
        if kwargs:
            return super().loads(s, **kwargs)
        return self._orjson.loads(s)

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """A JSON response (see :meth:`DefaultJSONProvider.response`), encoded by orjson."""
        obj = self._prepare_response_obj(args, kwargs)
        body = self._orjson.dumps(obj, default=self.default, option=self._options(self._indent_response()))
        return _response_class(self._app)(body + b"\n", mimetype=self.mimetype)
