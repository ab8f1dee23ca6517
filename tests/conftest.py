"""Shared fixtures for Erlen's own tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from erlen import Erlen
    from erlen.testing import ErlenClient


@pytest.fixture
def app() -> Erlen:
    """A fresh app in testing mode with a secret key, so sessions and flashing work."""
    from erlen import Erlen

    app = Erlen("test_app")
    app.config.update(TESTING=True, SECRET_KEY="test key")
    return app


@pytest.fixture
def client(app: Erlen) -> ErlenClient:
    """The app's test client."""
    return app.test_client()


@pytest.fixture(autouse=True)
def _restore_environ() -> Iterator[None]:
    """Start each test without the brand variables, and roll back whatever the test set in the environment.

    The CLI writes ERLEN_DEBUG and ERLEN_RUN_FROM_CLI; without this, one test's debug flag leaks into the next.
    """
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(("ERLEN_", "FLASK_")):
            del os.environ[name]
    yield
    os.environ.clear()
    os.environ.update(saved)
