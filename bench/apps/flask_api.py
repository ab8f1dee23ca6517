"""The benchmark app, written once against Flask's public API.

``make_apps(flask)`` and ``make_apps(erlen)`` build the same apps from either module; nothing here is
specific to one framework. Each scenario name maps to the WSGI app that serves it.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from apps.common import BIG_ROUTE_COUNT, HELLO, ITEMS, PAGE_TITLE, SECRET_KEY, SMALL_ROUTE_COUNT, TEMPLATE_DIR


def make_main_app(fw: ModuleType) -> Any:
    """The app most scenarios run against: no hooks, one blueprint, a secret key."""
    app = fw.Flask("bench_app", template_folder=TEMPLATE_DIR)
    app.secret_key = SECRET_KEY
    request = fw.request
    session = fw.session

    @app.route("/")
    def hello() -> Any:
        return HELLO

    @app.route("/users/<int:user_id>/posts/<slug>")
    def user_post(user_id: int, slug: str) -> Any:
        return fw.jsonify(user_id=user_id, slug=slug, title=f"Post {slug}")

    @app.route("/search")
    def search() -> Any:
        args = request.args
        return fw.jsonify(
            q=args.get("q", ""),
            page=args.get("page", 1, type=int),
            tags=args.getlist("tags"),
        )

    @app.route("/form", methods=["POST"])
    def form() -> Any:
        data = request.form
        return f"name={data['name']} email={data.get('email', '')} topics={len(data.getlist('topic'))}"

    @app.route("/json", methods=["POST"])
    def json_body() -> Any:
        payload = request.get_json()
        return fw.jsonify(total=sum(payload["values"]), name=payload["name"])

    @app.route("/session")
    def session_view() -> Any:
        visits = session.get("visits", 0) + 1
        session["visits"] = visits
        return f"visits={visits}"

    @app.route("/template")
    def template() -> Any:
        return fw.render_template("page.html", title=PAGE_TITLE, items=ITEMS)

    @app.route("/urls")
    def urls() -> Any:
        url_for = fw.url_for
        return "\n".join(
            (
                url_for("hello"),
                url_for("user_post", user_id=42, slug="hello-world"),
                url_for("search", q="erlen", page=2),
                url_for("static", filename="css/site.css"),
                url_for("bp.hello"),
            )
        )

    bp = fw.Blueprint("bp", __name__, url_prefix="/bp")

    @bp.route("/hello", endpoint="hello")
    def bp_hello() -> Any:
        return "Hello from a blueprint"

    app.register_blueprint(bp)
    return app


def make_hooks_app(fw: ModuleType) -> Any:
    """An app whose request runs before-, after- and teardown-request hooks that use ``g``."""
    app = fw.Flask("bench_hooks")
    g = fw.g

    @app.before_request
    def load_user() -> None:
        g.user = "bench-user"
        g.request_number = 1

    @app.after_request
    def tag_response(response: Any) -> Any:
        response.headers["X-User"] = g.user
        return response

    @app.teardown_request
    def forget_user(exc: BaseException | None) -> None:
        g.pop("request_number", None)

    @app.route("/hooks")
    def hooked() -> Any:
        return f"hello {g.user}"

    return app


def make_routes_app(fw: ModuleType, count: int) -> Any:
    """An app with ``count`` routes, half static and half dynamic, interleaved."""
    app = fw.Flask(f"bench_routes_{count}")

    def make_static(i: int) -> Any:
        def view() -> Any:
            return f"page {i}"

        return view

    def make_dynamic(i: int) -> Any:
        def view(item_id: int) -> Any:
            return f"item {i}/{item_id}"

        return view

    for i in range(count // 2):
        app.add_url_rule(f"/page{i}", f"page{i}", make_static(i))
        app.add_url_rule(f"/item{i}/<int:item_id>", f"item{i}", make_dynamic(i))
    return app


def make_apps(fw: ModuleType) -> dict[str, Any]:
    """Every scenario's app, keyed by scenario name."""
    main = make_main_app(fw)
    small = make_routes_app(fw, SMALL_ROUTE_COUNT)
    big = make_routes_app(fw, BIG_ROUTE_COUNT)
    apps = {
        name: main
        for name in (
            "hello",
            "path_json",
            "query",
            "form",
            "json_body",
            "session",
            "template",
            "url_for",
            "not_found",
            "blueprint",
        )
    }
    apps["hooks"] = make_hooks_app(fw)
    apps["routes10_static"] = apps["routes10_dynamic"] = small
    apps["routes1000_static"] = apps["routes1000_dynamic"] = big
    return apps
