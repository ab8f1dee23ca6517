"""The benchmark app in Bottle: each scenario written the way a Bottle user would write it."""

from __future__ import annotations

import json
from typing import Any

import bottle

from apps.common import BIG_ROUTE_COUNT, HELLO, ITEMS, PAGE_TITLE, SECRET_KEY, SMALL_ROUTE_COUNT, TEMPLATE_DIR

#: One list object: Bottle caches compiled templates per lookup list identity.
_TEMPLATE_LOOKUP = [TEMPLATE_DIR]


def make_main_app() -> bottle.Bottle:
    """The app most scenarios run against."""
    app = bottle.Bottle()
    request = bottle.request
    response = bottle.response

    @app.route("/", name="hello")
    def hello() -> Any:
        return HELLO

    @app.route("/users/<user_id:int>/posts/<slug>", name="user_post")
    def user_post(user_id: int, slug: str) -> Any:
        return {"slug": slug, "title": f"Post {slug}", "user_id": user_id}

    @app.route("/search", name="search")
    def search() -> Any:
        query = request.query
        return {"page": int(query.get("page", 1)), "q": query.get("q", ""), "tags": query.getall("tags")}

    @app.route("/form", method="POST")
    def form() -> Any:
        data = request.forms
        return f"name={data.get('name')} email={data.get('email', '')} topics={len(data.getall('topic'))}"

    @app.route("/json", method="POST")
    def json_body() -> Any:
        payload = request.json
        return {"name": payload["name"], "total": sum(payload["values"])}

    @app.route("/session")
    def session_view() -> Any:
        raw = request.get_cookie("session", secret=SECRET_KEY)
        data = json.loads(raw) if raw else {}
        visits = data.get("visits", 0) + 1
        data["visits"] = visits
        response.set_cookie("session", json.dumps(data), secret=SECRET_KEY, httponly=True, path="/")
        return f"visits={visits}"

    @app.route("/template")
    def template() -> Any:
        return bottle.jinja2_template(
            "page.html", template_lookup=_TEMPLATE_LOOKUP, title=PAGE_TITLE, items=ITEMS
        )

    @app.route("/static/<filename:path>", name="static")
    def static(filename: str) -> Any:
        return bottle.static_file(filename, root=TEMPLATE_DIR)

    bp = bottle.Bottle()

    @bp.route("/hello", name="bp.hello")
    def bp_hello() -> Any:
        return "Hello from a blueprint"

    @app.route("/urls")
    def urls() -> Any:
        get_url = app.get_url
        return "\n".join(
            (
                get_url("hello"),
                get_url("user_post", user_id=42, slug="hello-world"),
                get_url("search", q="erlen", page=2),
                get_url("static", filename="css/site.css"),
                "/bp" + bp.get_url("bp.hello"),
            )
        )

    app.mount("/bp/", bp)
    return app


def make_hooks_app() -> bottle.Bottle:
    """Bottle's before/after request hooks; Bottle has no teardown hook, so the after hook cleans up."""
    app = bottle.Bottle()
    request = bottle.request

    @app.hook("before_request")
    def load_user() -> None:
        request.environ["bench.user"] = "bench-user"
        request.environ["bench.request_number"] = 1

    @app.hook("after_request")
    def tag_response() -> None:
        bottle.response.set_header("X-User", request.environ["bench.user"])
        request.environ.pop("bench.request_number", None)

    @app.route("/hooks")
    def hooked() -> Any:
        return f"hello {request.environ['bench.user']}"

    return app


def make_routes_app(count: int) -> bottle.Bottle:
    """``count`` routes, half static and half dynamic, interleaved."""
    app = bottle.Bottle()

    def make_static(i: int) -> Any:
        return lambda: f"page {i}"

    def make_dynamic(i: int) -> Any:
        return lambda item_id: f"item {i}/{item_id}"

    for i in range(count // 2):
        app.route(f"/page{i}", callback=make_static(i))
        app.route(f"/item{i}/<item_id:int>", callback=make_dynamic(i))
    return app


def make_apps() -> dict[str, Any]:
    """Every scenario's app that has a natural Bottle equivalent."""
    main = make_main_app()
    small = make_routes_app(SMALL_ROUTE_COUNT)
    big = make_routes_app(BIG_ROUTE_COUNT)
    names = (
        "hello",
        "path_json",
        "query",
        "form",
        "json_body",
        "session",
        "template",
        "url_for",
        "not_found",
    )
    apps: dict[str, Any] = {name: main for name in names}
    apps["blueprint"] = main
    apps["hooks"] = make_hooks_app()
    apps["routes10_static"] = apps["routes10_dynamic"] = small
    apps["routes1000_static"] = apps["routes1000_dynamic"] = big
    return apps
