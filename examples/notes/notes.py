"""The HTML side: list, create and delete notes, attach files and download them again."""

from __future__ import annotations

import os
import sqlite3
import typing as t
import uuid

from werkzeug.utils import secure_filename

from erlen import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)

from .auth import login_required
from .db import get_db

bp = Blueprint("notes", __name__, url_prefix="/notes")

TITLE_MAX = 200


def get_owned_note(note_id: int) -> sqlite3.Row:
    """The logged-in user's note, or 404: another user's note is as invisible as a missing one."""
    note: sqlite3.Row | None = (
        get_db()
        .execute("SELECT * FROM note WHERE id = ? AND owner_id = ?", (note_id, g.user["id"]))
        .fetchone()
    )
    if note is None:
        abort(404, description=f"Note {note_id} does not exist.")
    return note


def create_note(title: str, body: str) -> int:
    conn = get_db()
    cursor = conn.execute(
        "INSERT INTO note (owner_id, title, body) VALUES (?, ?, ?)", (g.user["id"], title, body)
    )
    conn.commit()
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def delete_note(note_id: int) -> None:
    """Delete the note's row and its attachments' files."""
    conn = get_db()
    stored = [
        row["stored_name"]
        for row in conn.execute("SELECT stored_name FROM attachment WHERE note_id = ?", (note_id,))
    ]
    conn.execute("DELETE FROM note WHERE id = ?", (note_id,))
    conn.commit()
    for name in stored:
        try:
            os.remove(os.path.join(current_app.config["UPLOAD_FOLDER"], name))
        except FileNotFoundError:
            pass


def validate_title(title: str) -> str | None:
    if not title:
        return "A note needs a title."
    if len(title) > TITLE_MAX:
        return f"Titles have at most {TITLE_MAX} characters."
    return None


@bp.get("/")
@login_required
def index() -> str:
    user_notes = (
        get_db()
        .execute(
            "SELECT n.id, n.title, n.body, n.created, COUNT(a.id) AS attachments"
            " FROM note n LEFT JOIN attachment a ON a.note_id = n.id"
            " WHERE n.owner_id = ? GROUP BY n.id ORDER BY n.created DESC, n.id DESC",
            (g.user["id"],),
        )
        .fetchall()
    )
    return render_template("notes/index.html", notes=user_notes)


@bp.post("/")
@login_required
def create() -> t.Any:
    title = request.form.get("title", "").strip()
    body = request.form.get("body", "").strip()
    error = validate_title(title)
    if error is not None:
        flash(error, "error")
        return redirect(url_for("notes.index"))
    note_id = create_note(title, body)
    flash(f"Note “{title}” created.", "success")
    # POST/redirect/GET: reloading the next page does not submit the form again.
    return redirect(url_for("notes.detail", note_id=note_id))


@bp.get("/<int:note_id>")
@login_required
def detail(note_id: int) -> str:
    note = get_owned_note(note_id)
    attachments = (
        get_db().execute("SELECT * FROM attachment WHERE note_id = ? ORDER BY id", (note_id,)).fetchall()
    )
    return render_template("notes/detail.html", note=note, attachments=attachments)


@bp.post("/<int:note_id>/delete")
@login_required
def delete(note_id: int) -> t.Any:
    note = get_owned_note(note_id)
    delete_note(note_id)
    flash(f"Note “{note['title']}” deleted.", "info")
    return redirect(url_for("notes.index"))


@bp.post("/<int:note_id>/attachments")
@login_required
def upload(note_id: int) -> t.Any:
    get_owned_note(note_id)
    upload = request.files.get("file")
    # secure_filename drops path parts and odd characters: "../../etc/passwd" becomes "etc_passwd".
    filename = secure_filename(upload.filename or "") if upload is not None else ""
    if upload is None or not filename:
        flash("Choose a file to attach.", "error")
        return redirect(url_for("notes.detail", note_id=note_id))
    # A random prefix keeps two uploads of "report.pdf" apart and makes stored names unguessable.
    stored_name = f"{uuid.uuid4().hex}-{filename}"
    folder = current_app.config["UPLOAD_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    upload.save(os.path.join(folder, stored_name))
    conn = get_db()
    conn.execute(
        "INSERT INTO attachment (note_id, filename, stored_name) VALUES (?, ?, ?)",
        (note_id, filename, stored_name),
    )
    conn.commit()
    flash(f"Attached {filename}.", "success")
    return redirect(url_for("notes.detail", note_id=note_id))


@bp.get("/<int:note_id>/attachments/<int:attachment_id>")
@login_required
def download(note_id: int, attachment_id: int) -> t.Any:
    get_owned_note(note_id)
    attachment = (
        get_db()
        .execute("SELECT * FROM attachment WHERE id = ? AND note_id = ?", (attachment_id, note_id))
        .fetchone()
    )
    if attachment is None:
        abort(404, description="No such attachment.")
    return send_from_directory(
        current_app.config["UPLOAD_FOLDER"],
        attachment["stored_name"],
        as_attachment=True,
        download_name=attachment["filename"],
    )
