"""The WSGI target a server loads: ``BENCH_FRAMEWORK`` names the framework whose main app to serve."""

from __future__ import annotations

import importlib
import os
from typing import Any


def _load(framework: str) -> Any:
    if framework == "raw":
        from apps.raw_wsgi import app as raw_app

        return raw_app
    if framework in ("erlen", "flask"):
        from apps.flask_api import make_main_app

        return make_main_app(importlib.import_module(framework))
    if framework == "bottle":
        from apps.bottle_app import make_main_app as make_bottle

        return make_bottle()
    if framework == "falcon":
        from apps.falcon_app import make_main_app as make_falcon

        return make_falcon()
    raise ValueError(f"unknown framework {framework!r}")


app = _load(os.environ.get("BENCH_FRAMEWORK", "raw"))
