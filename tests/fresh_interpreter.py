"""Run test code in a new interpreter: for checks that change ``sys.modules`` (``install_as_flask``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a new interpreter (clean sys.modules) with this venv's Python."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "ERLEN_"))}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def run_json(code: str) -> Any:
    """Run ``code``, which prints one JSON document last, and return that document."""
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
