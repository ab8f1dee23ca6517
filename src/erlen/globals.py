"""The context variables and the proxies users import.

Both contexts live in one context variable, ``_cv_contexts``, as an (app context, request context) pair.
Framework code reads it directly or receives the context explicitly; the proxies exist for users and
extensions, and ``_cv_app`` / ``_cv_request`` for code written against Flask's two variables.
"""

from __future__ import annotations

import typing as t
from contextvars import ContextVar, Token

from ._proxy import context_proxy

if t.TYPE_CHECKING:
    from .app import Erlen
    from .ctx import AppContext, RequestContext, _AppCtxGlobals
    from .sessions import SessionMixin
    from .wrappers import Request

_no_app_msg = """\
Working outside of application context.

This typically means that you attempted to use functionality that needed
the current application. To solve this, set up an application context
with app.app_context(). See the documentation for more information.\
"""
_no_req_msg = """\
Working outside of request context.

This typically means that you attempted to use functionality that needed
an active HTTP request. Consult the documentation on testing for
information about how to avoid this problem.\
"""

#: The current contexts as one pair: (application context, request context or None).
#: PERF: one variable for both, so that a request pushing its app context sets (and resets) one variable, not
#: two; a set or reset makes a token and a new immutable mapping, about 1,000 machine instructions each.
_cv_contexts: ContextVar[tuple[AppContext, RequestContext | None]] = ContextVar("erlen.contexts")
_cv_contexts_get = _cv_contexts.get
_cv_contexts_set = _cv_contexts.set
_cv_contexts_reset = _cv_contexts.reset

_MISSING: t.Any = object()


_T = t.TypeVar("_T")


@t.overload
def _cv_app_get() -> AppContext: ...
@t.overload
def _cv_app_get(default: _T) -> AppContext | _T: ...
def _cv_app_get(default: t.Any = _MISSING) -> t.Any:
    """The current application context, like ``ContextVar.get``: ``default``, or LookupError, when none."""
    frame = _cv_contexts_get(None)
    if frame is None or frame[0] is None:
        if default is _MISSING:
            raise LookupError(_cv_app)
        return default
    return frame[0]


@t.overload
def _cv_request_get() -> RequestContext: ...
@t.overload
def _cv_request_get(default: _T) -> RequestContext | _T: ...
def _cv_request_get(default: t.Any = _MISSING) -> t.Any:
    """The current request context, like ``ContextVar.get``: ``default``, or LookupError, when none."""
    frame = _cv_contexts_get(None)
    if frame is None or frame[1] is None:
        if default is _MISSING:
            raise LookupError(_cv_request)
        return default
    return frame[1]


#: ``_cv_contexts_get(_NO_CONTEXTS)[1]`` is None outside a request, in no context as in an app context alone.
_NO_CONTEXTS: tuple[None, None] = (None, None)


def _require_request_ctx() -> RequestContext:
    """The current request context, or Flask's RuntimeError outside one: for the methods only a request may call
    (``preprocess_request``, ``log_exception``...), where Flask reads the ``request`` proxy."""
    frame = _cv_contexts_get(None)
    if frame is None or frame[1] is None:
        raise RuntimeError(_no_req_msg)
    return frame[1]


class ContextView:
    """One half of ``_cv_contexts`` with a ContextVar's ``get``, ``set`` and ``reset``.

    Flask has two context variables, ``flask.globals._cv_app`` and ``_cv_request``, and extensions and tests read
    them; these two objects stand in for them. ``set`` replaces this half of the pair and keeps the other.
    Calling one returns the current context or raises the RuntimeError a proxy raises, so Werkzeug's
    ``LocalProxy(_cv_app, "g")`` works as it does on Flask's variables.
    """

    def __init__(self, name: str, index: int, unbound_message: str) -> None:
        self.name = name
        self._index = index
        self._get = _cv_app_get if index == 0 else _cv_request_get
        self._unbound_message = unbound_message

    def __call__(self) -> t.Any:
        try:
            return self.get()
        except LookupError:
            raise RuntimeError(self._unbound_message) from None

    def get(self, default: t.Any = _MISSING) -> t.Any:
        return self._get(default)

    def set(self, value: t.Any) -> Token[tuple[AppContext, RequestContext | None]]:
        frame = _cv_contexts_get(None)
        pair = [None, None] if frame is None else list(frame)
        pair[self._index] = value
        return _cv_contexts_set((pair[0], pair[1]))  # type: ignore[arg-type]

    def reset(self, token: Token[tuple[AppContext, RequestContext | None]]) -> None:
        _cv_contexts_reset(token)

    def __repr__(self) -> str:
        return f"<ContextView name={self.name!r}>"


_cv_app = ContextView("erlen.app_ctx", 0, _no_app_msg)
_cv_request = ContextView("erlen.request_ctx", 1, _no_req_msg)

app_ctx: AppContext = context_proxy(_cv_contexts, 0, None, _no_app_msg)
current_app: Erlen = context_proxy(_cv_contexts, 0, "app", _no_app_msg)
g: _AppCtxGlobals = context_proxy(_cv_contexts, 0, "g", _no_app_msg)

request_ctx: RequestContext = context_proxy(_cv_contexts, 1, None, _no_req_msg)
request: Request = context_proxy(_cv_contexts, 1, "request", _no_req_msg)
session: SessionMixin = context_proxy(_cv_contexts, 1, "session", _no_req_msg)
