"""``import erlen`` and serving a sync WSGI app must not load asyncio (memory target of issue 4)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

#: Modules only an ASGI app (or an async view) needs.
HEAVY = ("asyncio", "concurrent.futures", "erlen.aio", "erlen.asgi_environ")


def _loaded_after(code: str) -> dict[str, bool]:
    script = textwrap.dedent(code) + textwrap.dedent(
        f"""
        import json, sys
        print(json.dumps({{name: name in sys.modules for name in {HEAVY!r}}}))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_erlen_does_not_load_asyncio() -> None:
    assert _loaded_after("import erlen") == {name: False for name in HEAVY}


def test_sync_wsgi_request_does_not_load_asyncio() -> None:
    loaded = _loaded_after(
        """
        from erlen import Erlen, websocket
        app = Erlen("lazy")

        @app.route("/")
        def index():
            return "hi"

        assert app.test_client().get("/").data == b"hi"
        """
    )
    assert loaded == {name: False for name in HEAVY}


def test_first_asgi_call_loads_asyncio_and_serves() -> None:
    loaded = _loaded_after(
        """
        from erlen import Erlen
        from erlen.asgi_testing import ASGIClient
        app = Erlen("lazy")

        @app.route("/")
        def index():
            return "hi"

        with ASGIClient(app) as client:
            assert client.get("/").data == b"hi"
        """
    )
    assert loaded["asyncio"]
