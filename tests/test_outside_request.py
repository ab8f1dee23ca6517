"""Methods only a request may call raise Flask's RuntimeError when called outside one.

Flask reads the ``request`` proxy in these methods, so a call with no request context (in an app context or in
no context at all) raises ``RuntimeError("Working outside of request context.")``. Erlen reads the context
variable directly on these paths; these tests hold it to the same error instead of a LookupError or an
AttributeError on None.
"""

from __future__ import annotations

import typing as t

import pytest
from werkzeug.exceptions import NotFound

import erlen
from erlen import Erlen
from erlen.views import MethodView, View

app = Erlen(__name__)

CALLS: dict[str, t.Callable[[], t.Any]] = {
    "preprocess_request": lambda: app.preprocess_request(),
    "dispatch_request": lambda: app.dispatch_request(),
    "full_dispatch_request": lambda: app.full_dispatch_request(),
    "process_response": lambda: app.process_response(app.response_class("x")),
    "handle_http_exception": lambda: app.handle_http_exception(NotFound()),
    "handle_user_exception": lambda: app.handle_user_exception(ValueError()),
    "handle_exception": lambda: app.handle_exception(ValueError()),
    "log_exception": lambda: app.log_exception((None, None, None)),
    "do_teardown_request": lambda: app.do_teardown_request(),
    "make_default_options_response": lambda: app.make_default_options_response(),
    "make_response(None)": lambda: app.make_response(None),
    "send_file": lambda: erlen.send_file(__file__),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_no_context_at_all(name: str) -> None:
    with pytest.raises(RuntimeError, match="Working outside of request context"):
        CALLS[name]()


@pytest.mark.parametrize("name", list(CALLS))
def test_app_context_without_request(name: str) -> None:
    with app.app_context(), pytest.raises(RuntimeError, match="Working outside of request context"):
        CALLS[name]()


class Plain(View):
    def dispatch_request(self) -> str:
        return "plain"


class Verbs(MethodView):
    def get(self) -> str:
        return "get"


def test_view_outside_app_context() -> None:
    with pytest.raises(RuntimeError, match="Working outside of application context"):
        Plain.as_view("plain")()


def test_view_in_app_context_without_request() -> None:
    # Flask's View.as_view only needs the app (for ensure_sync); MethodView needs the request's method.
    with app.app_context():
        assert Plain.as_view("plain")() == "plain"
        with pytest.raises(RuntimeError, match="Working outside of request context"):
            Verbs.as_view("verbs")()


def test_the_methods_still_work_in_a_request() -> None:
    with app.test_request_context("/"):
        assert app.preprocess_request() is None
        assert app.make_default_options_response().status_code == 200
        assert app.handle_http_exception(NotFound()).code == 404
