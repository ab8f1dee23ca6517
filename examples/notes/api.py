"""A JSON API on MethodViews: ``/api/notes`` (list, create) and ``/api/notes/<id>`` (get, delete).

It shares the browser's session: log in through the form, read the CSRF token from ``GET /api/me``
and send it in the ``X-CSRF-Token`` header with every POST or DELETE. Errors are JSON too.
"""

from __future__ import annotations

import sqlite3
import typing as t

from werkzeug.exceptions import HTTPException

from erlen import Blueprint, g, jsonify, request, url_for
from erlen.views import MethodView
from erlen.wrappers import Response

from .csrf import csrf_token
from .db import get_db
from .notes import create_note, delete_note, get_owned_note, validate_title

bp = Blueprint("api", __name__, url_prefix="/api")


def note_json(row: sqlite3.Row) -> dict[str, t.Any]:
    return {
        "id": row["id"],
        "title": row["title"],
        "body": row["body"],
        "created": str(row["created"]),
        "url": url_for("api.note", note_id=row["id"]),
    }


def json_error(status: int, message: str) -> tuple[Response, int]:
    return jsonify(error=message), status


class LoginRequiredAPI(MethodView):
    """Base view: 401 in JSON instead of the HTML login redirect."""

    def dispatch_request(self, **kwargs: t.Any) -> t.Any:
        if g.user is None:
            return json_error(
                401, "Log in first (POST /auth/login), then call the API with the session cookie."
            )
        return super().dispatch_request(**kwargs)


class NoteListAPI(LoginRequiredAPI):
    def get(self) -> Response:
        rows = (
            get_db()
            .execute("SELECT * FROM note WHERE owner_id = ? ORDER BY created DESC, id DESC", (g.user["id"],))
            .fetchall()
        )
        return jsonify(notes=[note_json(row) for row in rows])

    def post(self) -> t.Any:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return json_error(400, 'Send a JSON object such as {"title": "...", "body": "..."}.')
        title, body = data.get("title"), data.get("body", "")
        if not isinstance(title, str) or not isinstance(body, str):
            return json_error(400, "'title' and 'body' must be strings.")
        error = validate_title(title.strip())
        if error is not None:
            return json_error(400, error)
        note_id = create_note(title.strip(), body.strip())
        row = get_owned_note(note_id)
        return note_json(row), 201, {"Location": url_for("api.note", note_id=note_id)}


class NoteAPI(LoginRequiredAPI):
    def get(self, note_id: int) -> t.Any:
        return note_json(get_owned_note(note_id))

    def delete(self, note_id: int) -> t.Any:
        get_owned_note(note_id)
        delete_note(note_id)
        return "", 204


@bp.get("/me")
def me() -> t.Any:
    """Who is logged in, and the CSRF token API clients must send back."""
    user = None if g.user is None else {"id": g.user["id"], "username": g.user["username"]}
    return {"user": user, "csrf_token": csrf_token()}


bp.add_url_rule("/notes", view_func=NoteListAPI.as_view("notes"))
bp.add_url_rule("/notes/<int:note_id>", view_func=NoteAPI.as_view("note"))


@bp.app_errorhandler(HTTPException)
def json_errors_under_api(error: HTTPException) -> t.Any:
    """Errors for ``/api/...`` URLs in JSON, including 404 and 405 raised before a view was found."""
    if not request.path.startswith(t.cast(str, bp.url_prefix) + "/"):
        return error
    response = jsonify(error=error.description)
    response.status_code = error.code or 500
    if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response
