"""The benchmark app in Falcon, for the scenarios Falcon has a natural equivalent for.

Falcon has no sessions, templates, URL building or blueprints, so those scenarios are left out.
"""

from __future__ import annotations

from typing import Any

import falcon

from apps.common import BIG_ROUTE_COUNT, HELLO, SMALL_ROUTE_COUNT


class Hello:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = HELLO


class UserPost:
    def on_get(self, req: falcon.Request, resp: falcon.Response, user_id: int, slug: str) -> None:
        resp.media = {"slug": slug, "title": f"Post {slug}", "user_id": user_id}


class Search:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {
            "page": req.get_param_as_int("page", default=1),
            "q": req.get_param("q", default=""),
            "tags": req.get_param_as_list("tags", default=[]),
        }


class Form:
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        data = req.get_media()
        topics = data.get("topic", [])
        count = len(topics) if isinstance(topics, list) else 1
        resp.content_type = falcon.MEDIA_HTML
        resp.text = f"name={data['name']} email={data.get('email', '')} topics={count}"


class JsonBody:
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        payload = req.get_media()
        resp.media = {"name": payload["name"], "total": sum(payload["values"])}


class UserMiddleware:
    """Falcon's equivalent of before/after hooks; process_response also serves as teardown."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.user = "bench-user"
        req.context.request_number = 1

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: Any, ok: bool) -> None:
        resp.set_header("X-User", req.context.user)
        req.context.pop("request_number", None)


class Hooked:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = f"hello {req.context.user}"


class Page:
    def __init__(self, i: int) -> None:
        self.text = f"page {i}"

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = self.text


class Item:
    def __init__(self, i: int) -> None:
        self.i = i

    def on_get(self, req: falcon.Request, resp: falcon.Response, item_id: int) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = f"item {self.i}/{item_id}"


def make_main_app() -> falcon.App:
    app = falcon.App()
    app.add_route("/", Hello())
    app.add_route("/users/{user_id:int}/posts/{slug}", UserPost())
    app.add_route("/search", Search())
    app.add_route("/form", Form())
    app.add_route("/json", JsonBody())
    return app


def make_hooks_app() -> falcon.App:
    app = falcon.App(middleware=[UserMiddleware()])
    app.add_route("/hooks", Hooked())
    return app


def make_routes_app(count: int) -> falcon.App:
    app = falcon.App()
    for i in range(count // 2):
        app.add_route(f"/page{i}", Page(i))
        app.add_route(f"/item{i}/{{item_id:int}}", Item(i))
    return app


def make_apps() -> dict[str, Any]:
    main = make_main_app()
    small = make_routes_app(SMALL_ROUTE_COUNT)
    big = make_routes_app(BIG_ROUTE_COUNT)
    apps: dict[str, Any] = {
        name: main for name in ("hello", "path_json", "query", "form", "json_body", "not_found")
    }
    apps["hooks"] = make_hooks_app()
    apps["routes10_static"] = apps["routes10_dynamic"] = small
    apps["routes1000_static"] = apps["routes1000_dynamic"] = big
    return apps
