"""Under ASGI, async teardown functions and async_to_sync run on the server's loop; sync teardown in the pool."""

from __future__ import annotations

import asyncio
import threading
import typing as t

import pytest

from erlen import Erlen, g
from erlen.asgi_testing import ASGIClient


def _record_teardown(app: Erlen, seen: dict[str, t.Any]) -> None:
    @app.teardown_request
    def sync_teardown(exc: BaseException | None) -> None:
        seen["sync_thread"] = threading.current_thread().name
        seen["sync_g"] = g.get("marker")

    @app.teardown_request
    async def async_teardown(exc: BaseException | None) -> None:
        seen["async_loop"] = asyncio.get_running_loop()
        seen["async_g"] = g.get("marker")

    @app.teardown_appcontext
    async def async_app_teardown(exc: BaseException | None) -> None:
        seen["app_loop"] = asyncio.get_running_loop()


def test_teardown_on_the_loop_path(app: Erlen, asgi: ASGIClient) -> None:
    seen: dict[str, t.Any] = {}
    _record_teardown(app, seen)

    @app.route("/")
    async def index() -> str:
        g.marker = "set in view"
        return "ok"

    assert asgi.get("/").data == b"ok"
    assert seen["sync_thread"].startswith("erlen-sync")
    assert seen["async_loop"] is asgi.loop
    assert seen["app_loop"] is asgi.loop
    assert seen["sync_g"] == seen["async_g"] == "set in view"


def test_teardown_on_the_pool_path_uses_the_server_loop(app: Erlen, asgi: ASGIClient) -> None:
    seen: dict[str, t.Any] = {}

    @app.teardown_request
    async def async_teardown(exc: BaseException | None) -> None:
        seen["async_loop"] = asyncio.get_running_loop()

    @app.route("/")
    def index() -> str:
        return "ok"

    app.teardown_request_funcs[None].remove(
        async_teardown
    )  # keep the app sync: the whole request in the pool
    app.teardown_appcontext(async_teardown)
    assert asgi.get("/").data == b"ok"
    assert seen["async_loop"] is asgi.loop


def test_teardown_errors_all_run_and_the_first_propagates(app: Erlen, asgi: ASGIClient) -> None:
    calls: list[str] = []

    @app.teardown_request
    async def first(exc: BaseException | None) -> None:
        calls.append("first")
        raise ValueError("first")

    @app.teardown_request
    def second(exc: BaseException | None) -> None:
        calls.append("second")

    @app.route("/")
    async def index() -> str:
        return "ok"

    for _ in range(2):  # the contexts were popped: the second request runs the same way
        with pytest.raises(ValueError, match="first"):
            asgi.get("/")
    assert sorted(calls) == ["first", "first", "second", "second"]


@pytest.mark.parametrize("loop_path", [False, True])
def test_async_to_sync_in_a_pooled_view_runs_on_the_server_loop(loop_path: bool) -> None:
    app = Erlen("pooled")

    async def which_loop() -> asyncio.AbstractEventLoop:
        assert g.marker == "from the sync view"
        return asyncio.get_running_loop()

    seen: list[t.Any] = []

    @app.route("/sync")
    def sync_view() -> str:
        g.marker = "from the sync view"
        seen.append(app.ensure_sync(which_loop)())
        return "ok"

    if loop_path:

        @app.route("/async")
        async def async_view() -> str:  # the loop path; the sync view runs in the pool from there
            return "ok"

    with ASGIClient(app) as asgi:
        assert asgi.get("/sync").data == b"ok"
        assert seen == [asgi.loop]


def test_async_to_sync_under_wsgi_uses_the_worker_loop(app: Erlen) -> None:
    async def which_loop() -> str:
        return threading.current_thread().name

    @app.route("/")
    def index() -> str:
        return app.ensure_sync(which_loop)()  # type: ignore[no-any-return]

    assert app.test_client().get("/").data == b"erlen-event-loop"
