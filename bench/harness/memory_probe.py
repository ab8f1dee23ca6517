"""Run in a fresh interpreter: import one framework, build its main benchmark app, report RSS.

Prints one JSON line: RSS (KiB) at start, after import + build, and after serving one hello request
(frameworks that import lazily pay on the first request, so both figures are shown).
"""

from __future__ import annotations

import io
import json
import sys
from typing import Any


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def build(framework: str) -> Any:
    if framework == "python":
        return None
    if framework in ("erlen", "flask"):
        import importlib

        from apps.flask_api import make_main_app

        return make_main_app(importlib.import_module(framework))
    if framework == "bottle":
        from apps.bottle_app import make_main_app as make_bottle

        return make_bottle()
    if framework == "falcon":
        from apps.falcon_app import make_main_app as make_falcon

        return make_falcon()
    raise SystemExit(f"unknown framework {framework!r}")


def hello_once(app: Any) -> None:
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    result = app(environ, lambda status, headers, exc_info=None: None)
    b"".join(result)
    close = getattr(result, "close", None)
    if close is not None:
        close()


def main() -> None:
    framework = sys.argv[1]
    start = rss_kib()
    app = build(framework)
    built = rss_kib()
    if app is not None:
        hello_once(app)
    served = rss_kib()
    print(json.dumps({"start": start, "built": built, "served": served, "modules": len(sys.modules)}))


if __name__ == "__main__":
    main()
