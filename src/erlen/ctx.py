"""Application and request contexts on contextvars.

How this works: both contexts live in one ContextVar as an (app context, request context) pair (see
:mod:`erlen.globals`). Pushing a context sets the pair and keeps the token; popping resets it. A context may be
pushed more than once (nested ``with`` blocks); teardown runs when the outermost push is popped. A request
context pushes an application context for its app when none is active for that app; when no
``appcontext_pushed`` receiver has to see the app context on its own, both are set with one token (see
``reset_request_context`` for how that pair is taken apart). The session of the default
session interface is opened on first access, not at push, so a view that never touches it never parses the
cookie.
"""

from __future__ import annotations

import contextvars
import sys
import typing as t
from functools import update_wrapper
from types import TracebackType

from werkzeug.exceptions import HTTPException

from . import _brand, signals
from ._lazy import first_use
from .globals import _cv_app_get, _cv_contexts_get, _cv_contexts_reset, _cv_contexts_set, _cv_request_get

if t.TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment
    from werkzeug.routing import MapAdapter, Rule

    from .app import Erlen
    from .sessions import SessionMixin
    from .wrappers import Request

F = t.TypeVar("F", bound=t.Callable[..., t.Any])

#: Marks "use the exception being handled now" for ``pop``.
_sentinel: t.Any = object()


class _AppCtxGlobals:
    """The ``g`` namespace: a plain object for data that lives as long as the app context."""

    def __getattr__(self, name: str) -> t.Any:
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    def __delattr__(self, name: str) -> None:
        try:
            del self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    def get(self, name: str, default: t.Any | None = None) -> t.Any:
        """The attribute ``name``, or ``default`` when it is not set."""
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: t.Any = _sentinel) -> t.Any:
        """Remove ``name`` and return its value; raise KeyError when unset and no default is given."""
        if default is _sentinel:
            return self.__dict__.pop(name)
        return self.__dict__.pop(name, default)

    def setdefault(self, name: str, default: t.Any = None) -> t.Any:
        """The value of ``name``, setting it to ``default`` first when unset."""
        return self.__dict__.setdefault(name, default)

    def __contains__(self, item: str) -> bool:
        return item in self.__dict__

    def __iter__(self) -> t.Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        ctx = _cv_app_get(None)
        if ctx is not None:
            return f"<{_brand.package_name}.g of '{ctx.app.name}'>"
        return object.__repr__(self)


def after_this_request(f: F) -> F:
    """Run ``f(response)`` after this request, before the app's after-request hooks."""
    contexts = _cv_contexts_get(None)
    ctx = None if contexts is None else contexts[1]
    if ctx is None:
        raise RuntimeError(
            "'after_this_request' can only be used when a request context is active, such as in a view function."
        )
    ctx._after_request_functions.append(f)
    return f


def copy_current_request_context(f: F) -> F:
    """Wrap ``f`` so it runs inside a copy of the current request context (for greenlets and threads)."""
    ctx = _cv_request_get(None)
    if ctx is None:
        raise RuntimeError(
            "'copy_current_request_context' can only be used when a request context is active, such as in a"
            " view function."
        )
    copied = ctx.copy()

    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        with copied:
            return copied.app.ensure_sync(f)(*args, **kwargs)

    return update_wrapper(wrapper, f)  # type: ignore[return-value]


def has_request_context() -> bool:
    """Whether a request context is active."""
    contexts = _cv_contexts_get(None)
    return contexts is not None and contexts[1] is not None


def has_app_context() -> bool:
    """Whether an application context is active."""
    contexts = _cv_contexts_get(None)
    return contexts is not None and contexts[0] is not None


class AppContext:
    """Binds an app to the current context: ``current_app`` and ``g`` work while it is pushed."""

    def __init__(self, app: Erlen) -> None:
        self.app = app
        self._cv_tokens: list[contextvars.Token[tuple[AppContext, RequestContext | None]]] = []

    @first_use
    def g(self) -> _AppCtxGlobals:
        """The namespace of this context (what ``g`` refers to), made on first use.

        # PERF: most requests never touch ``g``.
        """
        return self.app.app_ctx_globals_class()

    @first_use
    def url_adapter(self) -> MapAdapter | None:
        """The adapter for building URLs outside a request (needs SERVER_NAME), made on first use.

        # PERF: every request pushes an app context, but only url_for outside a request reads this.
        """
        return self.app.create_url_adapter(None)

    def push(self) -> None:
        """Make this the current application context (a current request context stays current)."""
        frame = _cv_contexts_get(None)
        self._cv_tokens.append(_cv_contexts_set((self, None if frame is None else frame[1])))
        if signals.appcontext_pushed.receivers:
            signals.appcontext_pushed.send(self.app, _async_wrapper=self.app.ensure_sync)

    def pop(self, exc: BaseException | None = _sentinel) -> None:
        """Pop this context; the outermost pop runs the teardown_appcontext functions."""
        try:
            if len(self._cv_tokens) == 1:
                if exc is _sentinel:
                    exc = sys.exc_info()[1]
                self.app.do_teardown_appcontext(exc)
        finally:
            ctx = _cv_app_get()
            _cv_contexts_reset(self._cv_tokens.pop())
        if ctx is not self:
            raise AssertionError(f"Popped wrong app context. ({ctx!r} instead of {self!r})")
        if signals.appcontext_popped.receivers:
            signals.appcontext_popped.send(self.app, _async_wrapper=self.app.ensure_sync)

    def __enter__(self) -> AppContext:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pop(exc_value)


class _RequestOnFirstUse:
    """``RequestContext.request`` for a context the WSGI path pushed without its request object.

    The object is made on first read, the one the constructor would have made with the URL match already set,
    and stored on the context like a plain assignment, so later reads are plain attribute hits (this is a
    non-data descriptor; contexts made by the constructor assign ``request`` at once).
    # PERF: a request whose view, hooks and handlers never read ``request`` costs no request object; one Python
    call here when they do.
    """

    @t.overload
    def __get__(self, ctx: None, owner: type | None = None) -> _RequestOnFirstUse: ...
    @t.overload
    def __get__(self, ctx: RequestContext, owner: type | None = None) -> Request: ...
    def __get__(self, ctx: RequestContext | None, owner: type | None = None) -> Request | _RequestOnFirstUse:
        if ctx is None:
            return self
        unmade = ctx._unmade_request
        if unmade is None:
            raise AttributeError("request")
        app = ctx.app
        request = app.request_class(unmade[0])
        request.json_module = app.json
        request.url_rule = unmade[1]
        request.view_args = unmade[2]
        ctx._unmade_request = None
        ctx.request = request
        return request


class RequestContext:
    """Everything about one request: the request object, URL match, session and flashes.

    Created by the app at the start of a request and pushed while it is handled. ``session`` opens lazily
    for session interfaces that allow it (the default one does).
    """

    def __init__(
        self,
        app: Erlen,
        environ: WSGIEnvironment,
        request: Request | None = None,
        session: SessionMixin | None = None,
    ) -> None:
        self.app = app
        if request is None:
            request = app.request_class(environ)
            request.json_module = app.json
        self.request = request
        self.flashes: list[tuple[str, str]] | None = None
        self._opened_session: SessionMixin | None = session
        self._after_request_functions: list[t.Callable[..., t.Any]] = []
        self._cv_tokens: list[
            tuple[contextvars.Token[tuple[AppContext, RequestContext | None]], AppContext | None]
        ] = []

    #: The environ, rule and view arguments of a request the WSGI path matched without making its request
    #: object; None once the object is made (and for contexts made by the constructor).
    _unmade_request: tuple[WSGIEnvironment, Rule, dict[str, t.Any]] | None = None

    request = _RequestOnFirstUse()

    @first_use
    def url_adapter(self) -> MapAdapter | None:
        """The adapter that matches this request and builds its URLs, made on first use.

        A bad or untrusted Host becomes the request's ``routing_exception`` and leaves no adapter. # PERF: a
        request for a static route answered by the inline path never needs one.
        """
        try:
            return self.app.create_url_adapter(self.request)
        except HTTPException as e:
            self.request.routing_exception = e
            return None

    @property
    def _session(self) -> SessionMixin | None:
        """The session, opened now if it was deferred; does not mark it accessed."""
        if self._opened_session is None and self._cv_tokens:
            self._open_session()
        return self._opened_session

    @_session.setter
    def _session(self, value: SessionMixin | None) -> None:
        self._opened_session = value

    @property
    def session(self) -> SessionMixin:
        """The session for this request, marked accessed (so the response varies on Cookie)."""
        session = self._opened_session
        if session is None:
            session = self._open_session()
        session.accessed = True
        return session

    def _open_session(self) -> SessionMixin:
        interface = self.app.session_interface
        session = interface.open_session(self.app, self.request)
        if session is None:
            session = interface.make_null_session(self.app)
        self._opened_session = session
        return session

    def copy(self) -> RequestContext:
        """A context for the same request object and session, to push elsewhere (greenlets, threads)."""
        return self.__class__(
            self.app, environ=self.request.environ, request=self.request, session=self._session
        )

    def match_request(self) -> None:
        """Match the URL and store the rule and view args (or the routing error) on the request."""
        try:
            assert self.url_adapter is not None
            result = self.url_adapter.match(return_rule=True)
            self.request.url_rule, self.request.view_args = result  # type: ignore[assignment]
        except HTTPException as e:
            self.request.routing_exception = e

    def push(self) -> None:
        """Make this the current request context, pushing an app context for its app if needed."""
        frame = _cv_contexts_get(None)
        app_ctx: AppContext | None = None if frame is None else frame[0]
        pushed: AppContext | None = None
        if app_ctx is None or app_ctx.app is not self.app:
            app_ctx = pushed = self.app.app_context()
            if signals.appcontext_pushed.receivers:
                pushed.push()  # its receivers see the app context on its own, as in Flask
        token = _cv_contexts_set((app_ctx, self))
        if pushed is not None and not pushed._cv_tokens:
            pushed._cv_tokens.append(token)  # set together: one token for both
        self._cv_tokens.append((token, pushed))
        if self._opened_session is None and not self.app.session_interface.open_lazily:
            self._open_session()
        if self.url_adapter is not None:
            self.match_request()

    def pop(self, exc: BaseException | None = _sentinel) -> None:
        """Pop this context; the outermost pop runs teardown_request functions and closes the request."""
        clear_request = len(self._cv_tokens) == 1
        try:
            if clear_request:
                if exc is _sentinel:
                    exc = sys.exc_info()[1]
                self.app.do_teardown_request(exc)
                if self._unmade_request is None:  # a request object never made has nothing to close
                    request_close = getattr(self.request, "close", None)
                    if request_close is not None:
                        request_close()
        finally:
            ctx = _cv_request_get()
            token, app_ctx = self._cv_tokens.pop()
            reset_request_context(token, app_ctx)
            if clear_request and ctx._unmade_request is None:
                ctx.request.environ["werkzeug.request"] = None
            if app_ctx is not None:
                app_ctx.pop(exc)
            if ctx is not self:
                raise AssertionError(f"Popped wrong request context. ({ctx!r} instead of {self!r})")

    def __enter__(self) -> RequestContext:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pop(exc_value)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.request.url!r} [{self.request.method}] of {self.app.name}>"


def reset_request_context(
    token: contextvars.Token[tuple[AppContext, RequestContext | None]], app_ctx: AppContext | None
) -> None:
    """Undo a request context's push, before its app context (``app_ctx``, if it pushed one) is popped.

    When the two were set with one token, the app context is left current on its own (with the request
    context that was current before), as it is between the two pops in Flask; its own pop then resets the
    shared token, which restores what was current before the request.
    """
    if app_ctx is not None and app_ctx._cv_tokens and app_ctx._cv_tokens[-1] is token:
        before = token.old_value
        _cv_contexts_set((app_ctx, None if before is contextvars.Token.MISSING else before[1]))
    else:
        _cv_contexts_reset(token)
