"""Placeholder demo app served by `make demo` until examples/notes/ exists."""

from __future__ import annotations

from erlen import Erlen

app = Erlen(__name__)


@app.route("/")
def index() -> str:
    return "<h1>Hello from Erlen</h1><p>This is the placeholder demo app (examples/hello/app.py).</p>"
