"""Websocket routes and hooks registered on blueprints, nested blueprints included."""

from __future__ import annotations

import typing as t

import pytest

from erlen import Blueprint, Erlen, request, url_for, websocket
from erlen.asgi_testing import ASGIClient, WebsocketRejected


def _chat_blueprint(events: list[str]) -> Blueprint:
    bp = Blueprint("chat", __name__, url_prefix="/chat")

    @bp.before_websocket
    async def before() -> t.Any:
        events.append("chat before")
        return "denied" if request.args.get("deny") else None

    @bp.after_websocket
    def after() -> None:
        events.append("chat after")

    @bp.websocket("/room/<int:room>")
    async def room(room: int) -> None:
        events.append(f"view {request.blueprint} {request.endpoint}")
        message = await websocket.receive()
        await websocket.send(f"{room}:{message}:{url_for('.room', room=room)}")

    @bp.websocket("/sync")
    def sync_room() -> None:
        websocket.send("sync:" + t.cast(str, websocket.receive()))

    return bp


def test_blueprint_websocket_route_and_hooks(app: Erlen, asgi: ASGIClient) -> None:
    events: list[str] = []
    app.register_blueprint(_chat_blueprint(events))

    @app.before_websocket
    def app_before() -> None:
        events.append("app before")

    @app.after_websocket
    def app_after() -> None:
        events.append("app after")

    with asgi.websocket("/chat/room/7") as session:
        session.send("hi")
        assert session.receive() == "7:hi:ws://localhost/chat/room/7"  # Werkzeug builds ws rules external
    assert events == ["app before", "chat before", "view chat chat.room", "chat after", "app after"]

    with asgi.websocket("/chat/sync") as session:
        session.send("x")
        assert session.receive() == "sync:x"

    events.clear()
    with pytest.raises(WebsocketRejected) as rejected, asgi.websocket("/chat/room/1?deny=1"):
        pass
    assert rejected.value.code == 1008
    assert events == ["app before", "chat before"]


def test_blueprint_hooks_apply_to_their_own_routes_only(app: Erlen, asgi: ASGIClient) -> None:
    events: list[str] = []
    app.register_blueprint(_chat_blueprint(events))

    @app.websocket("/plain")
    async def plain() -> None:
        await websocket.send("plain")

    with asgi.websocket("/plain") as session:
        assert session.receive() == "plain"
    assert events == []


def test_nested_and_renamed_blueprints(app: Erlen, asgi: ASGIClient) -> None:
    events: list[str] = []
    outer = Blueprint("outer", __name__, url_prefix="/outer")

    @outer.before_websocket
    def outer_before() -> None:
        events.append("outer before")

    @outer.before_app_websocket
    def everywhere() -> None:
        events.append("app-wide before")

    outer.register_blueprint(_chat_blueprint(events))
    app.register_blueprint(outer)
    app.register_blueprint(_chat_blueprint(events), name="chat2", url_prefix="/chat2")

    with asgi.websocket("/outer/chat/room/2") as session:
        session.send("a")
        assert session.receive() == "2:a:ws://localhost/outer/chat/room/2"
    assert events == [
        "app-wide before",
        "outer before",
        "chat before",
        "view outer.chat outer.chat.room",
        "chat after",
    ]
    events.clear()
    with asgi.websocket("/chat2/room/3") as session:
        session.send("b")
        assert session.receive().startswith("3:b:")  # type: ignore[union-attr]
    assert events[:3] == ["app-wide before", "chat before", "view chat2 chat2.room"]


@pytest.mark.parametrize("client", ["wsgi", "asgi-http"])
def test_blueprint_websocket_route_over_http_is_a_clear_400(app: Erlen, client: str) -> None:
    app.register_blueprint(_chat_blueprint([]))
    if client == "wsgi":
        response: t.Any = app.test_client().get("/chat/room/1")
    else:
        with ASGIClient(app) as asgi:
            response = asgi.get("/chat/room/1")
    assert response.status_code == 400
    assert b"WebSocket endpoint" in response.data


def test_blueprint_websocket_through_the_test_client(app: Erlen) -> None:
    app.register_blueprint(_chat_blueprint([]))
    with app.test_client().websocket("/chat/room/4") as session:
        session.send("via test client")
        assert session.receive() == "4:via test client:ws://localhost/chat/room/4"
