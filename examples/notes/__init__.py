"""Notes: a small Erlen application served by ``make demo``.

A user logs in, writes notes, attaches files to them and reads them back, in the browser or through the
JSON API under ``/api``. It uses only Erlen's public API (``import erlen``), the way a Flask app would.

Run it with ``erlen --app examples/notes run`` (the database is created on first run in the instance
folder, with a ``demo``/``demo`` user) and reset it with ``erlen --app examples/notes init-db``.
"""

from __future__ import annotations

import os
import secrets
import typing as t

from werkzeug.wrappers import Response

from erlen import Erlen, redirect, url_for

from . import api, auth, csrf, db, notes

#: Uploads larger than this are refused with 413 before the view runs.
MAX_UPLOAD_BYTES = 1024 * 1024


def create_app(test_config: t.Mapping[str, t.Any] | None = None, instance_path: str | None = None) -> Erlen:
    """Build the app. ``test_config`` replaces the instance config file and ``NOTES_*`` variables.

    The instance folder (database, uploads, secret key) defaults to ``examples/instance``.
    """
    app = Erlen(__name__, instance_path=instance_path, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(
        DATABASE=os.path.join(app.instance_path, "notes.sqlite"),
        UPLOAD_FOLDER=os.path.join(app.instance_path, "uploads"),
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
    )
    if test_config is None:
        # Deployment settings: instance/config.py, then NOTES_SECRET_KEY, NOTES_DATABASE, ...
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("NOTES")
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(app.instance_path)

    db.init_app(app)
    csrf.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(notes.bp)
    app.register_blueprint(api.bp)

    @app.route("/")
    def index() -> Response:
        return redirect(url_for("notes.index"))

    db.create_on_first_run(app)
    return app


def _instance_secret_key(instance_path: str) -> str:
    """A random key kept in the instance folder, so sessions survive restarts but no key is shipped."""
    path = os.path.join(instance_path, "secret_key")
    try:
        with open(path, encoding="ascii") as f:
            key = f.read().strip()
    except FileNotFoundError:
        key = ""
    if not key:
        key = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(key)
    return key
