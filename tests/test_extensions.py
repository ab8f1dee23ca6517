"""Popular Flask extensions, unchanged, on Erlen through ``install_as_flask()``, under WSGI and ASGI.

Each check runs in a new interpreter that installs the alias before anything imports ``flask``. The test
environment has no Flask (the Makefile installs these extensions without their dependency on it), so a name an
extension imports from ``flask`` that Erlen lacks fails here instead of silently coming from Flask. The apps
are in ``extension_apps.py``, written as each extension's documentation shows.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from fresh_interpreter import run_python

TESTS_DIR = str(Path(__file__).parent)

PROLOGUE = f"""\
import re, sys
sys.path.insert(0, {TESTS_DIR!r})
from erlen.compat import install_as_flask
install_as_flask()
import erlen, flask
assert flask is erlen
from erlen.asgi_testing import ASGIClient
"""


def check(code: str) -> None:
    """Run ``code`` (assert statements) after the prologue; fail with the child's traceback."""
    result = run_python(PROLOGUE + textwrap.dedent(code))
    assert result.returncode == 0, result.stderr


def test_the_environment_has_no_flask() -> None:
    result = run_python("import importlib.util; print(importlib.util.find_spec('flask'))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "None"


def test_flask_login_wsgi() -> None:
    check(
        """
        from extension_apps import make_login_app
        client = make_login_app().test_client()
        response = client.get("/me")
        assert response.status_code == 302, response.status_code
        assert response.headers["Location"] == "/login?next=%2Fme", response.headers["Location"]
        assert client.get("/who").text == "anonymous"
        assert client.get("/login/7?remember=1").text == "logged in"
        assert client.get("/me").text == "7 True"
        assert client.get("/async-me").text == "async user 7"
        # Without the session cookie, the remember cookie brings the user back.
        client.delete_cookie("session")
        assert client.get("/who").text == "user 7"
        assert client.get("/logout").text == "logged out"
        assert client.get_cookie("remember_token") is None
        assert client.get("/me").status_code == 302
        """
    )


def test_flask_login_asgi() -> None:
    check(
        """
        from extension_apps import make_login_app
        with ASGIClient(make_login_app()) as client:
            response = client.get("/me")
            assert response.status_code == 302, response.status_code
            response = client.get("/login/5")
            cookie = response.headers["Set-Cookie"].split(";")[0]
            assert cookie.startswith("session="), cookie
            assert client.get("/me", headers={"cookie": cookie}).text == "5 True"
            assert client.get("/async-me", headers={"cookie": cookie}).text == "async user 5"
            assert client.get("/who").text == "anonymous"
        """
    )


def test_flask_wtf_csrf_and_validation() -> None:
    check(
        """
        from extension_apps import make_wtf_app
        client = make_wtf_app().test_client()
        page = client.get("/note").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post("/note", data={"title": "t", "stars": "3"})
        assert response.status_code == 400 and "The CSRF token is missing." in response.text, response.text
        response = client.post("/note", data={"title": "t", "stars": "3", "csrf_token": "forged"})
        assert response.status_code == 400 and "The CSRF token is invalid." in response.text, response.text
        response = client.post("/note", data={"title": "t", "stars": "3", "csrf_token": token})
        assert response.json == {"title": "t", "stars": 3}, response.text
        response = client.post("/note", data={"title": "", "stars": "9", "csrf_token": token})
        errors = re.search("<errors>(.*)</errors>", response.text).group(1)
        assert response.status_code == 200 and "title" in errors and "stars" in errors, response.text
        # The AJAX way: the token from the template global, sent in a header.
        header_token = client.get("/token").text
        response = client.post("/note", data={"title": "x", "stars": "1"}, headers={"X-CSRFToken": header_token})
        assert response.json == {"title": "x", "stars": 1}, response.text
        assert client.post("/hook").text == "exempt"
        """
    )


def test_flask_wtf_asgi() -> None:
    check(
        """
        from extension_apps import make_wtf_app
        with ASGIClient(make_wtf_app()) as client:
            response = client.get("/token")
            cookie = response.headers["Set-Cookie"].split(";")[0]
            form = {"title": "t", "stars": "2", "csrf_token": response.text}
            body = "&".join(f"{key}={value}" for key, value in form.items())
            headers = {"cookie": cookie, "content-type": "application/x-www-form-urlencoded"}
            assert client.post("/note", data=body, headers=headers).json == {"title": "t", "stars": 2}
            response = client.post("/note", data="title=t&stars=2", headers=headers)
            assert response.status_code == 400, response.status_code
        """
    )


def test_flask_sqlalchemy() -> None:
    check(
        """
        from extension_apps import make_sqlalchemy_app
        app, db, Note = make_sqlalchemy_app()
        client = app.test_client()
        assert client.post("/notes", json={"text": "a"}).json == ["a"]
        for text in "bcd":
            client.post("/notes", json={"text": text})
        assert client.get("/notes/2").text == "b"
        assert client.get("/notes/99").status_code == 404
        assert client.get("/page?page=2").json == {"page": 2, "pages": 2, "items": ["c", "d"]}
        assert client.get("/page?page=9").status_code == 404
        # Each request's session is removed when its app context ends; the rows stay.
        with app.app_context():
            assert db.session.scalar(db.select(db.func.count(Note.id))) == 4
        with ASGIClient(app) as asgi:
            assert asgi.post("/notes", json={"text": "e"}).json == ["a", "b", "c", "d", "e"]
            assert asgi.get("/notes/5").text == "e"
            assert asgi.get("/notes/6").status_code == 404
        """
    )


def test_flask_cors() -> None:
    check(
        """
        from extension_apps import make_cors_app
        app = make_cors_app()
        client = app.test_client()
        good = {"Origin": "https://good.example"}
        response = client.get("/api/items", headers=good)
        assert response.headers["Access-Control-Allow-Origin"] == "https://good.example", response.headers
        assert response.headers["Access-Control-Allow-Credentials"] == "true"
        response = client.get("/api/items", headers={"Origin": "https://evil.example"})
        assert "Access-Control-Allow-Origin" not in response.headers
        preflight = client.options("/api/items", headers={**good, "Access-Control-Request-Method": "POST"})
        assert preflight.status_code == 200 and "POST" in preflight.headers["Access-Control-Allow-Methods"]
        # cross_origin() allows any origin and, without send_wildcard, echoes it (and varies on it).
        response = client.get("/open", headers={"Origin": "https://x.example"})
        assert response.headers["Access-Control-Allow-Origin"] == "https://x.example", response.headers
        assert response.headers["Vary"] == "Origin"
        assert "Access-Control-Allow-Origin" not in client.get("/private", headers=good).headers
        with ASGIClient(app) as asgi:
            response = asgi.get("/api/items", headers={"origin": "https://good.example"})
            assert response.headers["Access-Control-Allow-Origin"] == "https://good.example", response.headers
        """
    )


def test_flask_caching() -> None:
    check(
        """
        from extension_apps import make_caching_app
        app, cache, calls = make_caching_app()
        client = app.test_client()
        assert [client.get("/page").text for _ in range(2)] == ["render 1", "render 1"]
        assert client.get("/search?q=a").text == "a 2"
        assert client.get("/search?q=a").text == "a 2"
        assert client.get("/search?q=b").text == "b 3"
        assert [client.get("/square/4").text for _ in range(2)] == ["16", "16"] and calls["square"] == 1
        with app.app_context():
            cache.clear()
        assert client.get("/page").text == "render 4"
        with ASGIClient(app) as asgi:
            assert asgi.get("/page").text == "render 4"
        """
    )


def test_flask_restful() -> None:
    # Flask-RESTful replaces the app's handle_exception and handle_user_exception on the instance.
    check(
        """
        from extension_apps import make_restful_app
        app = make_restful_app()
        client = app.test_client()
        assert client.get("/things/5").json == {"id": 5}
        response = client.get("/things/0")
        assert response.status_code == 404 and response.json == {"message": "thing 0 is missing"}, response.text
        app.logger.disabled = True
        response = client.get("/things/1")
        assert response.status_code == 500 and response.json == {"message": "Internal Server Error"}, response.text
        response = client.get("/things/2")
        assert response.status_code == 403 and response.json["message"].startswith("You don't have the permission")
        response = client.put("/things/3", json={"count": "x"})
        assert response.status_code == 400 and "count" in response.json["message"], response.text
        response = client.put("/things/3", json={"count": 4})
        assert response.status_code == 201 and response.json == {"id": 3, "count": 4}, response.text
        response = client.post("/things/3")
        assert response.status_code == 405 and "message" in response.json, response.text
        assert {"GET", "PUT"} <= set(response.headers["Allow"].split(", "))
        # Routes outside the API keep the app's own answers.
        assert client.get("/plain").text == "plain"
        assert client.get("/nothing").mimetype == "text/html"
        with ASGIClient(app) as asgi:
            assert asgi.get("/things/0").json == {"message": "thing 0 is missing"}
            assert asgi.get("/things/5").json == {"id": 5}
        """
    )


def test_flask_session_server_side() -> None:
    check(
        """
        from extension_apps import make_server_session_app
        app, store = make_server_session_app()
        client = app.test_client()
        assert [client.get("/count").text for _ in range(3)] == ["1", "2", "3"]
        session_id = client.get_cookie("session").value
        assert store.get("session:" + session_id) is not None, "the data is in the server-side store"
        store.clear()
        assert client.get("/count").text == "1"
        with ASGIClient(app) as asgi:
            cookie = asgi.get("/count").headers["Set-Cookie"].split(";")[0]
            assert asgi.get("/count", headers={"cookie": cookie}).text == "2"
        """
    )


def test_flask_migrate_commands(tmp_path: Path) -> None:
    check(
        f"""
        import sqlite3
        from extension_apps import make_migrate_app
        database, migrations = {str(tmp_path / "app.db")!r}, {str(tmp_path / "migrations")!r}
        runner = make_migrate_app(database).test_cli_runner()
        for args in (["db", "init", "-d", migrations], ["db", "migrate", "-d", migrations, "-m", "books"],
                     ["db", "upgrade", "-d", migrations]):
            result = runner.invoke(args=args)
            assert result.exit_code == 0, (args, result.output, result.exception)
        tables = {{name for (name,) in sqlite3.connect(database).execute("select name from sqlite_master")}}
        assert {{"book", "alembic_version"}} <= tables, tables
        result = runner.invoke(args=["db", "downgrade", "base", "-d", migrations])
        assert result.exit_code == 0, (result.output, result.exception)
        tables = {{name for (name,) in sqlite3.connect(database).execute("select name from sqlite_master")}}
        assert "book" not in tables, tables
        """
    )


def test_flask_jwt_extended_and_limiter() -> None:
    check(
        """
        from extension_apps import make_jwt_limiter_app
        app = make_jwt_limiter_app()
        client = app.test_client()
        response = client.get("/whoami")
        assert response.status_code == 401 and response.json == {"msg": "Missing Authorization Header"}
        token = client.get("/token/bob").json["token"]
        assert client.get("/whoami", headers={"Authorization": f"Bearer {token}"}).json == {"who": "bob"}
        response = client.get("/whoami", headers={"Authorization": "Bearer not.a.token"})
        assert response.status_code == 422, response.status_code
        statuses = [client.get("/limited") for _ in range(3)]
        assert [r.status_code for r in statuses] == [200, 200, 429]
        assert statuses[0].headers["X-RateLimit-Limit"] == "2" and statuses[1].headers["X-RateLimit-Remaining"] == "0"
        with ASGIClient(app) as asgi:
            assert asgi.get("/whoami", headers={"authorization": f"Bearer {token}"}).json == {"who": "bob"}
            assert asgi.get("/limited").status_code == 429
        """
    )


def test_flask_admin() -> None:
    # Blueprints with their own templates and static folder, WTForms forms, Flask-Babel in templates.
    check(
        """
        from extension_apps import make_admin_app
        app, db, Book = make_admin_app()
        client = app.test_client()
        response = client.get("/admin/")
        assert response.status_code == 200 and "Library" in response.text, response.status_code
        response = client.get("/admin/book/")
        assert response.status_code == 200 and "Dune" in response.text
        assert 'name="title"' in client.get("/admin/book/new/").text
        response = client.post("/admin/book/new/", data={"title": "Emma"})
        assert response.status_code == 302 and response.headers["Location"] == "/admin/book/", response.headers
        assert "Emma" in client.get("/admin/book/").text
        response = client.post("/admin/book/new/", data={"title": ""})
        assert response.status_code == 200 and "This field is required." in response.text
        with app.app_context():
            assert sorted(book.title for book in db.session.scalars(db.select(Book))) == ["Dune", "Emma"]
        response = client.get("/admin/static/admin/js/helpers.js")
        assert response.status_code == 200 and response.mimetype == "text/javascript", response.mimetype
        with ASGIClient(app) as asgi:
            assert "Emma" in asgi.get("/admin/book/").text
        """
    )


def test_flask_httpauth_compress_talisman_babel() -> None:
    check(
        """
        import base64, gzip
        from extension_apps import make_web_security_app
        app = make_web_security_app()
        client = app.test_client()
        response = client.get("/private")
        assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Basic"), response
        credentials = base64.b64encode(b"ann:secret").decode()
        assert client.get("/private", headers={"Authorization": f"Basic {credentials}"}).text == "hello ann"
        response = client.get("/big", headers={"Accept-Encoding": "gzip"})
        assert response.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in response.headers["Vary"]
        assert gzip.decompress(response.data) == b"erlen " * 1000
        assert "Content-Encoding" not in client.get("/big").headers
        assert response.headers["Content-Security-Policy"] == "default-src 'self'"
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert client.get("/when").text == "Date: Jan 2, 2020, 3:04:05\\u202fAM", client.get("/when").text
        assert client.get("/when?lang=de").text == "Date: 02.01.2020, 03:04:05", client.get("/when?lang=de").text
        with ASGIClient(app) as asgi:
            response = asgi.get("/big", headers={"accept-encoding": "gzip"})
            assert gzip.decompress(response.data) == b"erlen " * 1000
            assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
        """
    )
