"""pytest plugin that runs a Flask test suite against Erlen: ``pytest -p erlen.compat_pytest``.

``-p`` plugins are imported before any conftest, so installing the alias at import time means the suite's
``from flask import Flask`` already gets Erlen. The plugin refuses to run if ``flask`` turns out to be
anything else, so a stray real Flask can never make a conformance run look good.
"""

from __future__ import annotations

import importlib
import os

import pytest

import erlen
from erlen.compat import install_as_flask

install_as_flask()


def _flask_file() -> str | None:
    flask = importlib.import_module("flask")
    flask_file: str | None = getattr(flask, "__file__", None)
    return flask_file


def pytest_configure(config: pytest.Config) -> None:
    """Fail loudly unless ``import flask`` gives Erlen's package."""
    flask_file = _flask_file()
    erlen_file = erlen.__file__
    if (
        flask_file is None
        or erlen_file is None
        or os.path.realpath(flask_file) != os.path.realpath(erlen_file)
    ):
        raise pytest.UsageError(
            f"erlen.compat_pytest: `import flask` resolves to {flask_file!r}, not Erlen ({erlen_file!r})"
        )


def pytest_report_header(config: pytest.Config) -> str:
    return f"erlen compat: flask -> {os.path.dirname(erlen.__file__ or '?')}"
