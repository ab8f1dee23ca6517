"""Shared fixtures for Erlen's own tests."""

from __future__ import annotations

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
