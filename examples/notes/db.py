"""SQLite access: one connection per app context, the schema, the ``init-db`` command."""

from __future__ import annotations

import os
import sqlite3

import click
from werkzeug.security import generate_password_hash

from erlen import Erlen, current_app, g
from erlen.cli import with_appcontext

#: The account ``init-db`` creates so a new user can log in straight away.
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"


def get_db() -> sqlite3.Connection:
    """The request's connection, opened on first use and closed when the app context ends."""
    if "db" not in g:
        conn = sqlite3.connect(current_app.config["DATABASE"], detect_types=sqlite3.PARSE_DECLTYPES)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        g.db = conn
    connection: sqlite3.Connection = g.db
    return connection


def close_db(exc: BaseException | None = None) -> None:
    conn: sqlite3.Connection | None = g.pop("db", None)
    if conn is not None:
        conn.close()


def hash_password(password: str) -> str:
    """Werkzeug's salted hash; tests set a cheap ``PASSWORD_HASH_METHOD`` to stay fast."""
    return generate_password_hash(password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def init_db() -> None:
    """Drop and recreate the tables, then add the demo user."""
    conn = get_db()
    with current_app.open_resource("schema.sql", "r") as f:
        conn.executescript(f.read())
    conn.execute(
        "INSERT INTO user (username, password_hash) VALUES (?, ?)",
        (DEMO_USERNAME, hash_password(DEMO_PASSWORD)),
    )
    conn.commit()


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Clear the existing data and create new tables (with the demo user)."""
    init_db()
    click.echo(f"Initialized the database; log in as {DEMO_USERNAME}/{DEMO_PASSWORD}.")


def init_app(app: Erlen) -> None:
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)


def create_on_first_run(app: Erlen) -> None:
    """Create the database file when it does not exist yet, so a fresh clone just runs."""
    path = app.config["DATABASE"]
    if os.path.exists(path):
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with app.app_context():
        init_db()
