from __future__ import annotations

import asyncio
import functools
import typing as t

import pytest
from werkzeug.http import parse_set_header

from erlen import Erlen, Response, request
from erlen.views import MethodView, View


@pytest.fixture
def app() -> Erlen:
    app = Erlen(__name__)
    app.testing = True
    return app


def allowed(app: Erlen, path: str = "/") -> list[str]:
    response = app.test_client().open(path, method="OPTIONS")
    return sorted(parse_set_header(response.headers["Allow"]))


def test_as_view_function_attributes() -> None:
    class Greeting(View):
        """Says hello."""

        methods = ["GET", "POST"]
        provide_automatic_options = False

        def dispatch_request(self) -> str:
            return "hello"

    view = Greeting.as_view("greet")
    assert view.__name__ == "greet"
    assert view.__doc__ == "Says hello."
    assert view.__module__ == __name__
    assert getattr(view, "view_class") is Greeting
    assert getattr(view, "methods") == ["GET", "POST"]
    assert getattr(view, "provide_automatic_options") is False


def test_view_receives_url_variables_and_constructor_arguments(app: Erlen) -> None:
    class Echo(View):
        def __init__(self, prefix: str, *, suffix: str) -> None:
            self.prefix = prefix
            self.suffix = suffix

        def dispatch_request(self, name: str) -> str:  # type: ignore[override]
            return f"{self.prefix}{name}{self.suffix}"

    app.add_url_rule("/echo/<name>", view_func=Echo.as_view("echo", "<", suffix=">"))
    assert app.test_client().get("/echo/x").data == b"<x>"


def test_new_instance_per_request_by_default(app: Erlen) -> None:
    instances: list[object] = []

    class Tracker(View):
        def dispatch_request(self) -> str:
            instances.append(self)
            return "ok"

    app.add_url_rule("/", view_func=Tracker.as_view("tracker"))
    client = app.test_client()
    client.get("/")
    client.get("/")
    assert len(instances) == 2
    assert instances[0] is not instances[1]


def test_init_every_request_false_shares_one_instance(app: Erlen) -> None:
    created = 0

    class Shared(View):
        init_every_request = False

        def __init__(self) -> None:
            nonlocal created
            created += 1

        def dispatch_request(self) -> str:
            return str(created)

    view = Shared.as_view("shared")
    assert created == 1
    app.add_url_rule("/", view_func=view)
    client = app.test_client()
    assert client.get("/").data == b"1"
    assert client.get("/").data == b"1"


def test_decorators_apply_in_order_and_see_final_name(app: Erlen) -> None:
    seen_names: list[str] = []

    def tag(label: str) -> t.Callable[[t.Callable[..., t.Any]], t.Callable[..., t.Any]]:
        def decorator(func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
            seen_names.append(func.__name__)

            @functools.wraps(func)
            def wrapper(**kwargs: t.Any) -> t.Any:
                return f"{label}({func(**kwargs)})"

            return wrapper

        return decorator

    class Wrapped(View):
        decorators = [tag("inner"), tag("outer")]

        def dispatch_request(self) -> str:
            return "body"

    app.add_url_rule("/", view_func=Wrapped.as_view("wrapped"))
    assert seen_names == ["wrapped", "wrapped"]
    assert app.test_client().get("/").data == b"outer(inner(body))"


def test_patched_view_class_is_used(app: Erlen) -> None:
    class Original(View):
        def dispatch_request(self) -> str:
            return "original"

    class Replacement(View):
        def dispatch_request(self) -> str:
            return "replacement"

    view = Original.as_view("index")
    setattr(view, "view_class", Replacement)
    app.add_url_rule("/", view_func=view)
    assert app.test_client().get("/").data == b"replacement"


def test_method_view_methods_are_computed() -> None:
    class Reader(MethodView):
        def get(self) -> str:
            return "get"

    class Writer(Reader):
        def put(self) -> str:
            return "put"

        def helper(self) -> None:
            """Not a verb: must not become a method."""

    assert Reader.methods == {"GET"}
    assert Writer.methods == {"GET", "PUT"}
    assert MethodView.methods is None


def test_method_view_explicit_methods_win() -> None:
    class OnlyGet(MethodView):
        methods = ["GET"]

        def get(self) -> str:
            return "get"

        def post(self) -> str:
            return "post"

    assert OnlyGet.methods == ["GET"]


def test_method_view_dispatches_by_verb(app: Erlen) -> None:
    class Resource(MethodView):
        def get(self, item: int) -> str:
            return f"get {item}"

        def delete(self, item: int) -> str:
            return f"delete {item}"

    app.add_url_rule("/items/<int:item>", view_func=Resource.as_view("resource"))
    client = app.test_client()
    assert client.get("/items/3").data == b"get 3"
    assert client.delete("/items/3").data == b"delete 3"
    assert client.post("/items/3").status_code == 405
    assert allowed(app, "/items/3") == ["DELETE", "GET", "HEAD", "OPTIONS"]


def test_head_uses_get_unless_head_is_defined(app: Erlen) -> None:
    class Implicit(MethodView):
        def get(self) -> Response:
            return Response("body", headers={"X-Verb": request.method})

    class Explicit(MethodView):
        methods = ["GET"]

        def get(self) -> str:
            return "get"

        def head(self) -> Response:
            return Response("", headers={"X-Verb": "head-handler"})

    app.add_url_rule("/implicit", view_func=Implicit.as_view("implicit"))
    app.add_url_rule("/explicit", view_func=Explicit.as_view("explicit"))
    client = app.test_client()
    assert client.head("/implicit").headers["X-Verb"] == "HEAD"
    assert client.head("/explicit").headers["X-Verb"] == "head-handler"


def test_extra_verbs_need_explicit_methods(app: Erlen) -> None:
    class Dav(MethodView):
        methods = ["GET", "PROPFIND"]

        def get(self) -> str:
            return "get"

        def propfind(self) -> str:
            return "propfind"

    app.add_url_rule("/", view_func=Dav.as_view("dav"))
    assert app.test_client().open("/", method="PROPFIND").data == b"propfind"


def test_verbs_never_reach_view_machinery(app: Erlen) -> None:
    class Sneaky(MethodView):
        methods = ["GET", "DISPATCH_REQUEST", "AS_VIEW", "__INIT__", "METHODS"]

        def get(self) -> str:
            return "get"

    app.add_url_rule("/", view_func=Sneaky.as_view("sneaky"))
    client = app.test_client()
    assert client.get("/").data == b"get"
    for verb in ["DISPATCH_REQUEST", "AS_VIEW", "__INIT__", "METHODS", "HELPER"]:
        assert client.open("/", method=verb).status_code == 405


def test_rule_methods_without_handler_answer_405(app: Erlen) -> None:
    class OnlyGet(MethodView):
        def get(self) -> str:
            return "get"

    app.add_url_rule("/", view_func=OnlyGet.as_view("only_get"), methods=["GET", "POST"])
    response = app.test_client().post("/")
    assert response.status_code == 405
    assert sorted(response.allow) == ["GET", "HEAD"]


def test_handlers_set_on_the_instance(app: Erlen) -> None:
    class Configured(MethodView):
        methods = ["GET"]

        def __init__(self, body: str) -> None:
            self.get = lambda: body

    app.add_url_rule("/", view_func=Configured.as_view("configured", "from init"))
    client = app.test_client()
    assert client.get("/").data == b"from init"
    assert client.head("/").status_code == 200


def test_async_handlers(app: Erlen) -> None:
    pytest.importorskip("asgiref")

    class AsyncView(View):
        async def dispatch_request(self) -> str:  # type: ignore[override]
            await asyncio.sleep(0)
            return "view"

    class AsyncMethods(MethodView):
        async def get(self) -> str:
            await asyncio.sleep(0)
            return "get"

    app.add_url_rule("/view", view_func=AsyncView.as_view("async_view"))
    app.add_url_rule("/methods", view_func=AsyncMethods.as_view("async_methods"))
    client = app.test_client()
    assert client.get("/view").data == b"view"
    assert client.get("/methods").data == b"get"
    assert client.head("/methods").status_code == 200
