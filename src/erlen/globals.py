"""The context variables and the proxies users import.

Framework code reads ``_cv_app`` / ``_cv_request`` directly (one ContextVar read) or receives the context
explicitly; the proxies exist for users and extensions.
"""

from __future__ import annotations

import typing as t
from contextvars import ContextVar

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

_cv_app: ContextVar[AppContext] = ContextVar("erlen.app_ctx")
_cv_request: ContextVar[RequestContext] = ContextVar("erlen.request_ctx")

# PERF: the variables' methods bound once. The request path calls these directly: ``_cv_app.get(...)`` looks the
# method up on every call (about a tenth of a hello request's machine instructions went to those lookups).
_cv_app_get, _cv_app_set, _cv_app_reset = _cv_app.get, _cv_app.set, _cv_app.reset
_cv_request_get, _cv_request_set, _cv_request_reset = _cv_request.get, _cv_request.set, _cv_request.reset

app_ctx: AppContext = context_proxy(_cv_app, None, _no_app_msg)
current_app: Erlen = context_proxy(_cv_app, "app", _no_app_msg)
g: _AppCtxGlobals = context_proxy(_cv_app, "g", _no_app_msg)

request_ctx: RequestContext = context_proxy(_cv_request, None, _no_req_msg)
request: Request = context_proxy(_cv_request, "request", _no_req_msg)
session: SessionMixin = context_proxy(_cv_request, "session", _no_req_msg)
