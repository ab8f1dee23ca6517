"""Serve ``module:attribute`` on Werkzeug's development server (threaded), as `erlen run` would."""

from __future__ import annotations

import importlib
import sys

from werkzeug.serving import run_simple


def main() -> None:
    target, port = sys.argv[1], int(sys.argv[2])
    module_name, _, attribute = target.partition(":")
    app = getattr(importlib.import_module(module_name), attribute or "app")
    run_simple("127.0.0.1", port, app, threaded=True)


if __name__ == "__main__":
    main()
