"""Testing helpers: an EnvironBuilder that knows the app, the test client and the CLI runner."""

from __future__ import annotations

import importlib.metadata
import typing as t
from contextlib import ExitStack, contextmanager
from copy import copy
from types import TracebackType
from urllib.parse import urlsplit

import werkzeug.test
from click.testing import CliRunner, Result
from werkzeug.test import Client
from werkzeug.wrappers import Request as BaseRequest

from .cli import ScriptInfo
from .sessions import SessionMixin

if t.TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment
    from werkzeug.test import TestResponse

    from .app import Erlen


class EnvironBuilder(werkzeug.test.EnvironBuilder):
    """Werkzeug's builder, defaulting the host, scheme and root to the app's SERVER_NAME, scheme and root."""

    def __init__(
        self,
        app: Erlen,
        path: str = "/",
        base_url: str | None = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
        *args: t.Any,
        **kwargs: t.Any,
    ) -> None:
        assert not (base_url or subdomain or url_scheme) or (base_url is not None) != bool(
            subdomain or url_scheme
        ), 'Cannot pass "subdomain" or "url_scheme" with "base_url".'
        if base_url is None:
            http_host = app.config.get("SERVER_NAME") or "localhost"
            app_root = app.config["APPLICATION_ROOT"]
            if subdomain:
                http_host = f"{subdomain}.{http_host}"
            if url_scheme is None:
                url_scheme = app.config["PREFERRED_URL_SCHEME"]
            url = urlsplit(path)
            base_url = f"{url.scheme or url_scheme}://{url.netloc or http_host}/{app_root.lstrip('/')}"
            path = url.path
            if url.query:
                path = f"{path}?{url.query}"
        self.app = app
        super().__init__(path, base_url, *args, **kwargs)

    def json_dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize ``json=`` data with the app's JSON provider."""
        return self.app.json.dumps(obj, **kwargs)


def _werkzeug_version() -> str:
    try:
        return importlib.metadata.version("werkzeug")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class ErlenClient(Client):
    """The test client (Flask's ``FlaskClient``): calls the app directly, keeps cookies.

    ``with client:`` keeps the last request's contexts pushed until the block ends, so ``request`` and
    ``session`` can be inspected after a call.
    """

    application: Erlen

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.preserve_context = False
        self._new_contexts: list[t.ContextManager[t.Any]] = []
        self._context_stack = ExitStack()
        self.environ_base = {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_USER_AGENT": f"Werkzeug/{_werkzeug_version()}",
        }

    @contextmanager
    def session_transaction(self, *args: t.Any, **kwargs: t.Any) -> t.Iterator[SessionMixin]:
        """Open the client's session for editing; it is saved back into the client's cookies on exit."""
        if self._cookies is None:
            raise TypeError("Cookies are disabled. Create a client with 'use_cookies=True'.")
        app = self.application
        ctx = app.test_request_context(*args, **kwargs)
        self._add_cookies_to_wsgi(ctx.request.environ)
        with ctx:
            sess = app.session_interface.open_session(app, ctx.request)
        if sess is None:
            raise RuntimeError("Session backend did not open a session.")
        yield sess
        resp = app.response_class()
        if app.session_interface.is_null_session(sess):
            return
        with ctx:
            app.session_interface.save_session(app, sess, resp)
        self._update_cookies_from_response(
            ctx.request.host.partition(":")[0], ctx.request.path, resp.headers.getlist("Set-Cookie")
        )

    def _copy_environ(self, other: WSGIEnvironment) -> WSGIEnvironment:
        out = {**self.environ_base, **other}
        if self.preserve_context:
            out["werkzeug.debug.preserve_context"] = self._new_contexts.append
        return out

    def _request_from_builder_args(self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]) -> BaseRequest:
        kwargs["environ_base"] = self._copy_environ(kwargs.get("environ_base", {}))
        builder = EnvironBuilder(self.application, *args, **kwargs)
        try:
            return builder.get_request()
        finally:
            builder.close()

    def open(
        self,
        *args: t.Any,
        buffered: bool = False,
        follow_redirects: bool = False,
        **kwargs: t.Any,
    ) -> TestResponse:
        """Make a request; accepts EnvironBuilder arguments, a builder, an environ dict or a request."""
        if args and isinstance(args[0], (werkzeug.test.EnvironBuilder, dict, BaseRequest)):
            first = args[0]
            if isinstance(first, werkzeug.test.EnvironBuilder):
                builder = copy(first)
                builder.environ_base = self._copy_environ(builder.environ_base or {})  # type: ignore[arg-type]
                request = builder.get_request()
            elif isinstance(first, dict):
                request = EnvironBuilder.from_environ(
                    first, app=self.application, environ_base=self._copy_environ({})
                ).get_request()
            else:
                request = copy(first)
                request.environ = self._copy_environ(request.environ)
        else:
            request = self._request_from_builder_args(args, kwargs)
        # Pop contexts preserved by the previous request before making a new one.
        self._context_stack.close()
        response = super().open(request, buffered=buffered, follow_redirects=follow_redirects)
        response.json_module = self.application.json  # type: ignore[assignment]
        # Re-push the contexts the app preserved, so they stay available until the next request or exit.
        for cm in self._new_contexts:
            self._context_stack.enter_context(cm)
        self._new_contexts.clear()
        return response

    def websocket(self, path: str, **kwargs: t.Any) -> t.Any:
        """A websocket session with the app over ASGI, in-process (see :mod:`erlen.asgi_testing`)."""
        from .asgi_testing import ASGIClient

        return ASGIClient(self.application).websocket(path, **kwargs)

    def __enter__(self) -> ErlenClient:
        if self.preserve_context:
            raise RuntimeError("Cannot nest client invocations")
        self.preserve_context = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.preserve_context = False
        self._context_stack.close()


class ErlenCliRunner(CliRunner):
    """A click runner for the app's commands (Flask's ``FlaskCliRunner``)."""

    def __init__(self, app: Erlen, **kwargs: t.Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(self, cli: t.Any = None, args: t.Any = None, **kwargs: t.Any) -> Result:  # type: ignore[override]
        """Invoke ``cli`` (default: the app's command group) with a ScriptInfo that loads this app."""
        if cli is None:
            cli = self.app.cli
        if "obj" not in kwargs:
            kwargs["obj"] = ScriptInfo(create_app=lambda: self.app)
        return super().invoke(cli, args, **kwargs)
