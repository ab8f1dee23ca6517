"""The notes example (examples/notes, served by ``make demo``) through the test client and CLI runner."""

from __future__ import annotations

import io
import os
import re
import sqlite3
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest
from jinja2 import TemplateNotFound

from erlen import Erlen, render_template
from erlen.testing import ErlenClient

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from notes import create_app  # noqa: E402
from notes.db import DEMO_PASSWORD, DEMO_USERNAME  # noqa: E402

#: Real scrypt costs ~0.1 s per hash; the tests hash dozens of passwords.
FAST_HASH = "pbkdf2:sha256:1000"


@pytest.fixture
def notes_app(tmp_path: Path) -> Erlen:
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE": str(tmp_path / "notes.sqlite"),
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "PASSWORD_HASH_METHOD": FAST_HASH,
        }
    )


@pytest.fixture
def client(notes_app: Erlen) -> ErlenClient:
    return notes_app.test_client()


def token(client: ErlenClient) -> str:
    """The session's CSRF token, as a page's hidden field would carry it."""
    response = client.get("/api/me")
    value: str = response.get_json()["csrf_token"]
    return value


def log_in(client: ErlenClient, username: str = DEMO_USERNAME, password: str = DEMO_PASSWORD) -> t.Any:
    return client.post(
        "/auth/login", data={"username": username, "password": password, "csrf_token": token(client)}
    )


def add_note(client: ErlenClient, title: str = "Shopping", body: str = "milk") -> int:
    response = client.post("/notes/", data={"title": title, "body": body, "csrf_token": token(client)})
    assert response.status_code == 302
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


# ---- the database and the init-db command -------------------------------------------------------------


def test_database_created_on_first_run_with_demo_user(notes_app: Erlen) -> None:
    conn = sqlite3.connect(notes_app.config["DATABASE"])
    assert conn.execute("SELECT username FROM user").fetchall() == [(DEMO_USERNAME,)]
    conn.close()


def test_init_db_command_resets_data(notes_app: Erlen, client: ErlenClient) -> None:
    log_in(client)
    add_note(client)
    result = notes_app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Initialized the database" in result.output
    conn = sqlite3.connect(notes_app.config["DATABASE"])
    assert conn.execute("SELECT COUNT(*) FROM note").fetchone() == (0,)
    conn.close()


def test_existing_database_is_kept(tmp_path: Path) -> None:
    config = {
        "TESTING": True,
        "SECRET_KEY": "x",
        "DATABASE": str(tmp_path / "db.sqlite"),
        "PASSWORD_HASH_METHOD": FAST_HASH,
    }
    client = create_app(config).test_client()
    log_in(client)
    add_note(client, "kept")
    again = create_app(config).test_client()
    log_in(again)
    assert b"kept" in again.get("/notes/").data


def test_defaults_live_in_the_instance_folder(tmp_path: Path) -> None:
    # No config at all: database, uploads and a generated secret key all go in the instance folder.
    app = create_app({"PASSWORD_HASH_METHOD": FAST_HASH}, instance_path=str(tmp_path))
    assert app.config["DATABASE"] == str(tmp_path / "notes.sqlite")
    assert (tmp_path / "notes.sqlite").is_file()
    assert app.config["UPLOAD_FOLDER"] == str(tmp_path / "uploads")
    key = (tmp_path / "secret_key").read_text()
    assert app.config["SECRET_KEY"] == key and len(key) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert create_app({}, instance_path=str(tmp_path)).config["SECRET_KEY"] == key


def test_settings_from_notes_environment_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTES_DATABASE", str(tmp_path / "env.sqlite"))
    monkeypatch.setenv("NOTES_MAX_CONTENT_LENGTH", "2048")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["DATABASE"] == str(tmp_path / "env.sqlite")
    assert app.config["MAX_CONTENT_LENGTH"] == 2048
    assert (tmp_path / "env.sqlite").is_file()


# ---- login ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/notes/", "/notes/1"])
def test_login_required(client: ErlenClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_index_redirects_to_notes(client: ErlenClient) -> None:
    assert client.get("/").headers["Location"] == "/notes/"


def test_login_logout(client: ErlenClient) -> None:
    response = log_in(client)
    assert response.headers["Location"] == "/notes/"
    page = client.get("/notes/").get_data(as_text=True)
    assert "Logged in as demo." in page
    with client.session_transaction() as sess:
        assert "user_id" in sess
    response = client.post("/auth/logout", data={"csrf_token": token(client)}, follow_redirects=True)
    assert "You have been logged out." in response.get_data(as_text=True)
    with client.session_transaction() as sess:
        assert "user_id" not in sess


def test_login_follows_next_but_not_off_site(client: ErlenClient) -> None:
    data = {"username": DEMO_USERNAME, "password": DEMO_PASSWORD}
    response = client.post("/auth/login?next=/notes/7", data={**data, "csrf_token": token(client)})
    assert response.headers["Location"] == "/notes/7"
    client.post("/auth/logout", data={"csrf_token": token(client)})
    response = client.post("/auth/login?next=//evil.example/", data={**data, "csrf_token": token(client)})
    assert response.headers["Location"] == "/notes/"


def test_wrong_password(client: ErlenClient) -> None:
    response = log_in(client, password="nope")
    assert response.status_code == 200
    assert "Incorrect username or password." in response.get_data(as_text=True)


def test_register_then_duplicate(client: ErlenClient) -> None:
    response = client.post(
        "/auth/register", data={"username": "ada", "password": "lovelace", "csrf_token": token(client)}
    )
    assert response.headers["Location"] == "/notes/"
    client.post("/auth/logout", data={"csrf_token": token(client)})
    response = client.post(
        "/auth/register", data={"username": "ada", "password": "other", "csrf_token": token(client)}
    )
    assert "User ada is already registered." in response.get_data(as_text=True)


def test_login_rotates_csrf_token(client: ErlenClient) -> None:
    before = token(client)
    log_in(client)
    assert token(client) != before


# ---- CSRF -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sent", [None, "", "forged"])
def test_post_without_the_session_token_is_400(client: ErlenClient, sent: str | None) -> None:
    token(client)  # the session has a token; the form does not carry it (or carries another)
    data = {"username": DEMO_USERNAME, "password": DEMO_PASSWORD}
    if sent is not None:
        data["csrf_token"] = sent
    response = client.post("/auth/login", data=data)
    assert response.status_code == 400
    with client.session_transaction() as sess:
        assert "user_id" not in sess


def test_post_with_no_session_at_all_is_400(client: ErlenClient) -> None:
    assert client.post("/auth/login", data={"csrf_token": "guess"}).status_code == 400


def test_csrf_checked_on_logged_in_forms(client: ErlenClient) -> None:
    log_in(client)
    note_id = add_note(client)
    assert client.post("/notes/", data={"title": "x"}).status_code == 400
    assert client.post(f"/notes/{note_id}/delete").status_code == 400
    assert client.post("/auth/logout").status_code == 400
    assert "Shopping" in client.get("/notes/").get_data(as_text=True)


def test_forms_carry_the_token(client: ErlenClient) -> None:
    log_in(client)
    page = client.get("/notes/").get_data(as_text=True)
    assert f'name="csrf_token" value="{token(client)}"' in page


# ---- notes in the browser ---------------------------------------------------------------------------


def test_create_list_delete(client: ErlenClient) -> None:
    log_in(client)
    assert "No notes yet" in client.get("/notes/").get_data(as_text=True)
    note_id = add_note(client, "Shopping <list>", "milk & eggs")
    page = client.get(f"/notes/{note_id}").get_data(as_text=True)
    assert "Note “Shopping &lt;list&gt;” created." in page  # flashed, and escaped
    assert "milk &amp; eggs" in page
    assert "Shopping &lt;list&gt;" in client.get("/notes/").get_data(as_text=True)
    response = client.post(
        f"/notes/{note_id}/delete", data={"csrf_token": token(client)}, follow_redirects=True
    )
    assert "deleted." in response.get_data(as_text=True)
    assert client.get(f"/notes/{note_id}").status_code == 404


def test_create_needs_a_title(client: ErlenClient) -> None:
    log_in(client)
    response = client.post("/notes/", data={"title": " ", "csrf_token": token(client)}, follow_redirects=True)
    assert "A note needs a title." in response.get_data(as_text=True)


def test_other_users_notes_are_404(client: ErlenClient, notes_app: Erlen) -> None:
    log_in(client)
    note_id = add_note(client)
    other = notes_app.test_client()
    other.post("/auth/register", data={"username": "eve", "password": "secret", "csrf_token": token(other)})
    assert other.get(f"/notes/{note_id}").status_code == 404
    assert other.post(f"/notes/{note_id}/delete", data={"csrf_token": token(other)}).status_code == 404
    assert other.get(f"/api/notes/{note_id}").status_code == 404


# ---- uploads ----------------------------------------------------------------------------------------


def upload(client: ErlenClient, note_id: int, content: bytes, filename: str) -> t.Any:
    return client.post(
        f"/notes/{note_id}/attachments",
        data={"file": (io.BytesIO(content), filename), "csrf_token": token(client)},
        content_type="multipart/form-data",
    )


def test_upload_and_download(client: ErlenClient, notes_app: Erlen) -> None:
    log_in(client)
    note_id = add_note(client)
    response = upload(client, note_id, b"hello attachment", "../../etc/report 1.txt")
    assert response.status_code == 302
    page = client.get(f"/notes/{note_id}").get_data(as_text=True)
    assert "Attached etc_report_1.txt." in page
    stored = os.listdir(notes_app.config["UPLOAD_FOLDER"])
    assert len(stored) == 1 and stored[0].endswith("-etc_report_1.txt")
    download = client.get(f"/notes/{note_id}/attachments/1")
    assert download.status_code == 200
    assert download.data == b"hello attachment"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "etc_report_1.txt" in download.headers["Content-Disposition"]
    download.close()
    client.post(f"/notes/{note_id}/delete", data={"csrf_token": token(client)})
    assert os.listdir(notes_app.config["UPLOAD_FOLDER"]) == []


def test_upload_without_a_file(client: ErlenClient) -> None:
    log_in(client)
    note_id = add_note(client)
    response = client.post(
        f"/notes/{note_id}/attachments", data={"csrf_token": token(client)}, follow_redirects=True
    )
    assert "Choose a file to attach." in response.get_data(as_text=True)


def test_upload_too_large_is_413(client: ErlenClient, notes_app: Erlen) -> None:
    log_in(client)
    note_id = add_note(client)
    # A raw body (Werkzeug's multipart encoder would spool this to a temporary file it never closes).
    big = b"x" * (notes_app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post(
        f"/notes/{note_id}/attachments",
        data=big,
        content_type="multipart/form-data; boundary=b",
        headers={"X-CSRF-Token": token(client)},
    )
    assert response.status_code == 413


def test_upload_missing_attachment_is_404(client: ErlenClient) -> None:
    log_in(client)
    note_id = add_note(client)
    assert client.get(f"/notes/{note_id}/attachments/99").status_code == 404


# ---- JSON API ---------------------------------------------------------------------------------------


def api_headers(client: ErlenClient) -> dict[str, str]:
    return {"X-CSRF-Token": token(client)}


def test_api_requires_login(client: ErlenClient) -> None:
    response = client.get("/api/notes")
    assert response.status_code == 401
    assert "Log in first" in response.get_json()["error"]
    assert client.get("/api/me").get_json()["user"] is None


def test_api_create_list_get_delete(client: ErlenClient) -> None:
    log_in(client)
    response = client.post(
        "/api/notes", json={"title": "From the API", "body": "b"}, headers=api_headers(client)
    )
    assert response.status_code == 201
    created = response.get_json()
    assert created["title"] == "From the API"
    assert response.headers["Location"] == created["url"] == f"/api/notes/{created['id']}"
    listed = client.get("/api/notes").get_json()["notes"]
    assert [note["id"] for note in listed] == [created["id"]]
    assert client.get(created["url"]).get_json()["body"] == "b"
    assert client.delete(created["url"], headers=api_headers(client)).status_code == 204
    missing = client.get(created["url"])
    assert missing.status_code == 404
    assert missing.get_json() == {"error": f"Note {created['id']} does not exist."}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data": "not json", "content_type": "application/json"}, "Send a JSON object"),
        ({"json": ["a list"]}, "Send a JSON object"),
        ({"json": {"body": "no title"}}, "must be strings"),
        ({"json": {"title": 3}}, "must be strings"),
        ({"json": {"title": "   "}}, "A note needs a title."),
        ({"json": {"title": "x" * 201}}, "at most 200"),
    ],
)
def test_api_bad_input_is_400_json(client: ErlenClient, kwargs: dict[str, t.Any], message: str) -> None:
    log_in(client)
    response = client.post("/api/notes", headers=api_headers(client), **kwargs)
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_api_csrf_refused_in_json(client: ErlenClient) -> None:
    log_in(client)
    response = client.post("/api/notes", json={"title": "x"})
    assert response.status_code == 400
    assert "CSRF" in response.get_json()["error"]
    response = client.post("/api/notes", json={"title": "x"}, headers={"X-CSRF-Token": "forged"})
    assert response.status_code == 400


def test_api_unknown_url_and_method_are_json(client: ErlenClient) -> None:
    log_in(client)
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert "error" in response.get_json()
    response = client.put("/api/notes/1", json={}, headers=api_headers(client))
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "DELETE"}
    assert "error" in response.get_json()


def test_html_errors_stay_html(client: ErlenClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_static_stylesheet(client: ErlenClient) -> None:
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    response.close()


# ---- bad input never becomes a traceback for the user ------------------------------------------------


@pytest.fixture
def missing_template_app() -> Erlen:
    app = Erlen("missing_template")
    app.debug = False  # explicit: a leaked ERLEN_DEBUG=1 from another test must not turn debug on

    @app.route("/")
    def page() -> str:
        return render_template("no-such-template.html")

    return app


def test_missing_template_in_production_is_a_plain_500(missing_template_app: Erlen) -> None:
    response = missing_template_app.test_client().get("/")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Internal Server Error" in page
    assert "Traceback" not in page and "no-such-template" not in page


def test_missing_template_in_debug_is_template_not_found(missing_template_app: Erlen) -> None:
    missing_template_app.debug = True
    with pytest.raises(TemplateNotFound, match=r"no-such-template\.html"):
        missing_template_app.test_client().get("/")


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without app settings other tests may have left behind."""
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("ERLEN_", "FLASK_", "NOTES_"))
    }
    return {**env, **extra}


@pytest.mark.parametrize(
    ("app_arg", "named"),
    [
        ("no_such_module_here", "Could not import 'no_such_module_here'."),
        ("examples/no_such_file.py", "Could not import 'no_such_file'."),
        ("examples/notes:no_such_name", "Failed to find attribute 'no_such_name' in 'notes'."),
        ("examples/notes:create_app(1, 2, 3)", "could not be called with the specified arguments"),
        ("json", "Failed to find an application or factory in module 'json'."),
    ],
)
def test_bad_app_option_is_a_one_line_error(app_arg: str, named: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "erlen", "--app", app_arg, "routes"],
        cwd=EXAMPLES.parent,
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
    )
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and named in errors[0], result.stderr
    assert "Traceback" not in result.stderr


def test_routes_command_lists_the_demo_routes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "erlen", "--app", "examples/notes", "routes"],
        cwd=EXAMPLES.parent,
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(NOTES_DATABASE=":memory:"),
    )
    assert result.returncode == 0, result.stderr
    for endpoint, rule in [
        ("auth.login", "/auth/login"),
        ("notes.upload", "/notes/<int:note_id>/attachments"),
        ("api.notes", "/api/notes"),
        ("api.note", "/api/notes/<int:note_id>"),
    ]:
        assert re.search(rf"^{re.escape(endpoint)}\s+\S.*\s{re.escape(rule)}$", result.stdout, re.M), (
            result.stdout
        )
