"""The notes demo plus a route that raises, for the debugger test (``erlen --app`` this file)."""

from __future__ import annotations

import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from notes import create_app  # noqa: E402

app = create_app()


class DemoCrash(RuntimeError):
    """Raised on purpose, so the test can find its name on the debugger page."""


@app.route("/boom")
def boom() -> str:
    secret_local = "visible in the debugger's console"
    raise DemoCrash(f"this page raises on purpose ({len(secret_local)})")
