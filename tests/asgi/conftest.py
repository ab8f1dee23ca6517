"""One behaviour test body, run over WSGI (the test client) and over ASGI (the in-process ASGI client)."""

from __future__ import annotations

import typing as t

import pytest
from werkzeug.test import EnvironBuilder

from erlen import Erlen
from erlen.asgi_testing import ASGIClient


class Served:
    """Sends requests to ``app`` over one protocol and answers with objects that read the same either way."""

    def __init__(self, app: Erlen, mode: str) -> None:
        self.app = app
        self.mode = mode
        self._asgi: ASGIClient | None = None

    @property
    def asgi(self) -> ASGIClient:
        if self._asgi is None:
            self._asgi = ASGIClient(self.app)
        return self._asgi

    def request(self, method: str, path: str, **kwargs: t.Any) -> t.Any:
        if self.mode == "wsgi":
            return self.app.test_client().open(path, method=method, buffered=True, **kwargs)
        builder = EnvironBuilder(path=path, method=method, **kwargs)
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        body = environ["wsgi.input"].read()
        headers = list(builder.headers.items())
        if environ.get("CONTENT_TYPE"):
            headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
            headers.append(("content-type", environ["CONTENT_TYPE"]))
        query = environ.get("QUERY_STRING")
        full = environ["PATH_INFO"] + (f"?{query}" if query else "")
        return self.asgi.request(method, full, headers=headers, data=body if body else None)

    def get(self, path: str, **kwargs: t.Any) -> t.Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: t.Any) -> t.Any:
        return self.request("POST", path, **kwargs)

    def close(self) -> None:
        if self._asgi is not None:
            self._asgi.close()


@pytest.fixture
def app() -> Erlen:
    app = Erlen("asgi_tests")
    app.config.update(TESTING=True, SECRET_KEY="test key")
    return app


@pytest.fixture(params=["wsgi", "asgi"])
def serve(request: pytest.FixtureRequest, app: Erlen) -> t.Iterator[Served]:
    """The app served over WSGI, then over ASGI: the same test body runs twice."""
    served = Served(app, request.param)
    yield served
    served.close()


@pytest.fixture
def asgi(app: Erlen) -> t.Iterator[ASGIClient]:
    """An in-process ASGI client for ASGI-only behaviour (lifespan, websockets, disconnects)."""
    client = ASGIClient(app)
    yield client
    client.close()
