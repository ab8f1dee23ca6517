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
