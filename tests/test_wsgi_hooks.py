"""Request hooks on the inline WSGI path: order, errors and late registration, as Flask runs them."""

from __future__ import annotations

import pytest

from erlen import Blueprint, Erlen, g, has_app_context, has_request_context


def test_hooks_share_g_and_run_in_flask_order(app: Erlen) -> None:
    calls: list[str] = []
    bp = Blueprint("bp", __name__)

    @app.before_request
    def app_before() -> None:
        g.user = "u"
        calls.append("app before")

    @bp.before_request
    def bp_before() -> None:
        calls.append("bp before")

    @app.after_request
    def app_after(response: object) -> object:
        calls.append("app after")
        return response

    @bp.after_request
    def bp_after(response: object) -> object:
        calls.append("bp after")
        return response

    @app.teardown_request
    def app_teardown(exc: BaseException | None) -> None:
        calls.append(f"app teardown {g.pop('user')} {exc}")

    @bp.teardown_request
    def bp_teardown(exc: BaseException | None) -> None:
        calls.append("bp teardown")

    @bp.route("/x")
    def view() -> str:
        return f"hello {g.user}"

    app.register_blueprint(bp)
    client = app.test_client()
    for _ in range(2):
        calls.clear()
        assert client.get("/x").text == "hello u"
        assert calls == [
            "app before",
            "bp before",
            "bp after",
            "app after",
            "bp teardown",
            "app teardown u None",
        ]
    assert not has_request_context() and not has_app_context()


def test_every_teardown_runs_and_the_first_error_propagates(app: Erlen) -> None:
    calls: list[str] = []

    @app.teardown_request
    def last(exc: BaseException | None) -> None:
        calls.append("last")
        raise KeyError("second")

    @app.teardown_request
    def first(exc: BaseException | None) -> None:
        calls.append("first")
        raise ValueError("first")

    @app.route("/")
    def index() -> str:
        return "ok"

    with pytest.raises(ValueError, match="first"):
        app.test_client().get("/")
    assert calls == ["first", "last"]
    assert not has_request_context() and not has_app_context()


def test_teardown_sees_the_unhandled_error(app: Erlen) -> None:
    seen: list[BaseException | None] = []
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.teardown_request(seen.append)

    @app.route("/")
    def index() -> str:
        raise ZeroDivisionError

    assert app.test_client().get("/").status_code == 500
    assert len(seen) == 1 and isinstance(seen[0], ZeroDivisionError)


def test_async_hooks_run_under_wsgi(app: Erlen) -> None:
    calls: list[str] = []

    @app.before_request
    async def before() -> None:
        calls.append("before")

    @app.after_request
    async def after(response: object) -> object:
        calls.append("after")
        return response

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        calls.append("teardown")

    @app.route("/")
    def index() -> str:
        return "ok"

    assert app.test_client().get("/").text == "ok"
    assert calls == ["before", "after", "teardown"]


def test_before_hook_response_short_circuits(app: Erlen) -> None:
    @app.before_request
    def refuse() -> str:
        return "refused"

    @app.route("/")
    def index() -> str:
        raise AssertionError("not reached")

    assert app.test_client().get("/").text == "refused"


def test_hooks_added_directly_after_the_first_request_run(app: Erlen) -> None:
    calls: list[str] = []

    @app.route("/")
    def index() -> str:
        return "ok"

    client = app.test_client()
    client.get("/")
    app.before_request_funcs.setdefault(None, []).append(lambda: calls.append("before"))
    app.teardown_request_funcs.setdefault(None, []).append(lambda exc: calls.append("teardown"))
    client.get("/")
    assert calls == ["before", "teardown"]


def test_teardown_added_during_the_request_runs_at_its_end(app: Erlen) -> None:
    calls: list[str] = []

    @app.route("/")
    def index() -> str:
        app.teardown_request_funcs.setdefault(None, []).append(lambda exc: calls.append("teardown"))
        return "ok"

    app.test_client().get("/")
    assert calls == ["teardown"]


# The lean answer (an endpoint without hooks answering a str or a stock Response) resets its contexts in place
# unless something must see the teardown; these check that what the view adds during the request still runs.


@pytest.mark.parametrize("answer", ["str", "response"])
def test_teardown_signal_connected_during_a_lean_request_is_sent(app: Erlen, answer: str) -> None:
    from erlen import jsonify, request_tearing_down, signals

    seen: list[str] = []

    def receiver(sender: Erlen, **extra: object) -> None:
        seen.append("tearing down")

    @app.route("/")
    def index() -> object:
        request_tearing_down.connect(receiver, app)
        return "ok" if answer == "str" else jsonify(ok=True)

    try:
        assert app.test_client().get("/").status_code == 200
        assert seen == ["tearing down"]
        assert not signals.request_path_quiet
    finally:
        request_tearing_down.disconnect(receiver)


def test_teardown_appcontext_added_during_a_lean_request_runs(app: Erlen) -> None:
    calls: list[object] = []

    @app.route("/")
    def index() -> str:
        app.teardown_appcontext_funcs.append(lambda exc: calls.append(exc))
        return "ok"

    assert app.test_client().get("/").data == b"ok"
    assert calls == [None]


def test_lean_request_leaves_no_context_behind(app: Erlen) -> None:
    @app.route("/")
    def index() -> str:
        assert has_request_context() and has_app_context()
        return "ok"

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_NAME": "x", "SERVER_PORT": "80"}
    environ.update({"wsgi.url_scheme": "http", "wsgi.input": __import__("io").BytesIO(), "HTTP_HOST": "x"})
    statuses: list[str] = []
    for _ in range(2):  # the second request takes the remembered Host binding
        body = b"".join(app(dict(environ), lambda status, headers, exc_info=None: statuses.append(status)))
        assert body == b"ok"
        assert not has_request_context() and not has_app_context()
    assert statuses == ["200 OK", "200 OK"]


def test_request_path_signal_flag_follows_connect_and_disconnect() -> None:
    from erlen import appcontext_popped, signals, template_rendered

    def receiver(sender: object, **extra: object) -> None:
        pass

    def quiet_now() -> bool:  # what the flag must say: no request-path signal holds a receiver
        return not any(signal.receivers for signal in signals._request_path_signals)

    assert signals.request_path_quiet == quiet_now()
    before = signals.request_path_quiet
    template_rendered.connect(receiver)  # not a request-path signal
    assert signals.request_path_quiet == before
    template_rendered.disconnect(receiver)
    appcontext_popped.connect(receiver)
    assert not signals.request_path_quiet
    appcontext_popped.disconnect(receiver)
    assert signals.request_path_quiet == quiet_now()


def test_contexts_made_by_the_lean_path_are_ordinary_contexts(app: Erlen) -> None:
    """run_inline builds its contexts without their constructors: the same attributes once the request object is
    made (on first use), and the app context's in the same order."""
    from erlen.ctx import AppContext, RequestContext
    from erlen.globals import _cv_app, _cv_request

    seen: dict[str, list[str]] = {}

    @app.route("/")
    def index() -> str:
        ctx = _cv_request.get()
        app_ctx = _cv_app.get()
        seen["before first use"] = list(vars(ctx))
        assert ctx.request.url_rule.rule == "/" and ctx.request.view_args == {}
        assert ctx._unmade_request is None
        seen["request"] = sorted(name for name in vars(ctx) if name != "_unmade_request")
        seen["app"] = list(vars(app_ctx))
        built = RequestContext(app, ctx.request.environ, ctx.request)
        built._cv_tokens.append(ctx._cv_tokens[0])
        seen["request built"] = sorted(vars(built))
        built_app = AppContext(app)
        built_app._cv_tokens.append(app_ctx._cv_tokens[0])
        seen["app built"] = list(vars(built_app))
        assert type(ctx) is RequestContext and type(app_ctx) is AppContext
        return "ok"

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_NAME": "x", "SERVER_PORT": "80"}
    environ.update({"wsgi.url_scheme": "http", "wsgi.input": __import__("io").BytesIO(), "HTTP_HOST": "x"})
    # The second request finds its Host binding remembered: the path that makes the request object on first use.
    for _ in range(2):
        assert b"".join(app(dict(environ), lambda status, headers, exc_info=None: None)) == b"ok"
    assert "request" not in seen["before first use"]
    assert seen["request"] == seen["request built"]
    assert seen["app"] == seen["app built"]


def test_hooks_added_after_a_routing_error_run_on_the_next_one(app: Erlen) -> None:
    """A routing error's plan is kept between requests, and rebuilt when a hook registry changes."""
    calls: list[str] = []
    client = app.test_client()
    assert client.get("/missing").status_code == 404
    app.before_request_funcs.setdefault(None, []).append(lambda: calls.append("before"))
    app.after_request_funcs.setdefault(None, []).append(lambda response: calls.append("after") or response)
    assert client.get("/missing").status_code == 404
    assert calls == ["before", "after"]
    app.before_request_funcs[None].clear()
    assert client.get("/missing").status_code == 404
    assert calls == ["before", "after", "after"]
