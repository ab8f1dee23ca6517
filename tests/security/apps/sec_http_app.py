"""Rows C and D: hosts, headers, cookies, redirects, methods and sessions.

``/trusted`` is the same app with TRUSTED_HOSTS set, ``/proxied`` is it behind one ProxyFix hop, ``/debug``
runs in debug mode, ``/rotated`` has a new SECRET_KEY with the old one in SECRET_KEY_FALLBACKS.
"""

from __future__ import annotations

import typing as t

from sec_common import make_app
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix

from erlen import Erlen, make_response, redirect, request, send_from_directory, session, url_for
from erlen.views import MethodView

OLD_KEY = "old secret key for rotation tests"
NEW_KEY = "new secret key for rotation tests"


class Things(MethodView):
    def get(self) -> str:
        return "got"

    def post(self) -> str:
        return "posted"


def build(name: str, **config: t.Any) -> Erlen:
    app = make_app(name, SECRET_KEY=NEW_KEY, **config)

    @app.get("/where")
    def where() -> dict[str, t.Any]:
        return {
            "url": request.url,
            "host": request.host,
            "external": url_for("where", _external=True),
            "remote_addr": request.remote_addr,
            "scheme": request.scheme,
        }

    @app.get("/go")
    def go() -> t.Any:
        return redirect(url_for("where"))

    @app.get("/dir/")
    def directory() -> str:
        return "dir"

    @app.get("/files/<path:name>/")
    def files(name: str) -> str:
        return name

    @app.get("/header")
    def header() -> t.Any:
        response = make_response("header")
        response.headers["X-Echo"] = request.args["v"]
        return response

    @app.get("/cookies")
    def cookies() -> dict[str, t.Any]:
        return {"cookies": request.cookies.to_dict(flat=False)}

    @app.get("/bigcookie")
    def bigcookie() -> t.Any:
        response = make_response("big")
        response.set_cookie("big", "v" * 5000)
        return response

    @app.get("/accept")
    def accept() -> dict[str, t.Any]:
        return {
            "mimetype": request.accept_mimetypes.best,
            "language": request.accept_languages.best,
        }

    @app.get("/range")
    def ranged() -> t.Any:
        return send_from_directory(app.root_path + "/static", "big.bin", conditional=True)

    app.add_url_rule("/things", view_func=Things.as_view("things"))

    @app.get("/session/<op>")
    def session_probe(op: str) -> dict[str, t.Any]:
        if op == "contains":
            result: t.Any = "k" in session
        elif op == "len":
            result = len(session)
        elif op == "get":
            result = session.get("k")
        else:
            result = dict(session)
        return {"result": result}

    @app.get("/session/set/<value>")
    def session_set(value: str) -> str:
        session["k"] = value
        return "set"

    return app


default_app = build("sec_http_default")
trusted_app = build("sec_http_trusted", TRUSTED_HOSTS=["good.example", "127.0.0.1"])
debug_app = build("sec_http_debug", DEBUG=True)
rotated_app = build("sec_http_rotated", SECRET_KEY_FALLBACKS=[OLD_KEY], PERMANENT_SESSION_LIFETIME=60)
proxied_app = build("sec_http_proxied")

app = DispatcherMiddleware(
    default_app,
    {
        "/trusted": trusted_app,
        "/debug": debug_app,
        "/rotated": rotated_app,
        "/proxied": ProxyFix(proxied_app, x_for=1, x_host=1, x_proto=1),
    },
)
