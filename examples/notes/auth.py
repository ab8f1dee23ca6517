"""Register, log in and out; ``login_required`` for the other blueprints."""

from __future__ import annotations

import functools
import sqlite3
import typing as t

from werkzeug.security import check_password_hash

from erlen import Blueprint, flash, g, redirect, render_template, request, session, url_for

from .db import get_db, hash_password

bp = Blueprint("auth", __name__, url_prefix="/auth")

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


@bp.before_app_request
def load_logged_in_user() -> None:
    """Put the logged-in user's row (or None) on ``g.user`` for every request."""
    user_id = session.get("user_id")
    g.user = None
    if user_id is not None:
        g.user = get_db().execute("SELECT id, username FROM user WHERE id = ?", (user_id,)).fetchone()


def login_required(view: F) -> F:
    """Send anonymous visitors to the login page, and back here after they log in."""

    @functools.wraps(view)
    def wrapped_view(*args: t.Any, **kwargs: t.Any) -> t.Any:
        if g.user is None:
            flash("Please log in first.", "warning")
            return redirect(url_for("auth.login", next=request.path))
        return view(*args, **kwargs)

    return t.cast(F, wrapped_view)


def _start_session(user_id: int) -> None:
    # A fresh session on login (and so a fresh CSRF token): nothing from before carries over.
    session.clear()
    session["user_id"] = user_id


def _safe_next(target: str | None) -> str:
    """Only same-site paths: ``next=https://evil.example`` must not become an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("notes.index")


@bp.route("/register", methods=("GET", "POST"))
def register() -> t.Any:
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        error = None
        if not username:
            error = "Username is required."
        elif len(password) < 4:
            error = "Password must have at least 4 characters."
        if error is None:
            conn = get_db()
            try:
                cursor = conn.execute(
                    "INSERT INTO user (username, password_hash) VALUES (?, ?)",
                    (username, hash_password(password)),
                )
                conn.commit()
            except sqlite3.IntegrityError:
                error = f"User {username} is already registered."
            else:
                assert cursor.lastrowid is not None
                _start_session(cursor.lastrowid)
                flash(f"Welcome, {username}! Your account is ready.", "success")
                return redirect(url_for("notes.index"))
        flash(error, "error")
    return render_template("auth/register.html")


@bp.route("/login", methods=("GET", "POST"))
def login() -> t.Any:
    if request.method == "POST":
        username = request.form.get("username", "")
        user = get_db().execute("SELECT * FROM user WHERE username = ?", (username,)).fetchone()
        if user is None or not check_password_hash(user["password_hash"], request.form.get("password", "")):
            # One message for both cases, so the form does not reveal which usernames exist.
            flash("Incorrect username or password.", "error")
        else:
            _start_session(user["id"])
            flash(f"Logged in as {user['username']}.", "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html")


@bp.post("/logout")
def logout() -> t.Any:
    # POST (with the CSRF token): a link or an <img> on another site cannot log the user out.
    session.clear()
    flash("You have been logged out.", "info")
    return redirect(url_for("auth.login"))
