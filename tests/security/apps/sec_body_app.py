"""Rows A and B: one Erlen app per body-limit configuration, mounted under a prefix.

``/default`` keeps Erlen's defaults (MAX_CONTENT_LENGTH 16 MiB), ``/capped`` sets a 1 MiB body cap,
``/uncapped`` sets no body cap (only the form caps apply), ``/big`` allows 64 MiB for the linear-time rows.
"""

from __future__ import annotations

import hashlib
import os
import typing as t

from sec_common import make_app
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.utils import secure_filename

from erlen import Erlen, request

MIB = 1024 * 1024


def open_fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def add_body_views(app: Erlen) -> Erlen:
    @app.post("/data")
    def data() -> dict[str, t.Any]:
        body = request.get_data()
        return {"length": len(body), "sha256": hashlib.sha256(body).hexdigest()}

    @app.post("/stream")
    def stream() -> dict[str, t.Any]:
        digest = hashlib.sha256()
        length = 0
        while block := request.stream.read(65536):
            digest.update(block)
            length += len(block)
        return {"length": length, "sha256": digest.hexdigest()}

    @app.post("/json")
    def json_view() -> dict[str, t.Any]:
        value = request.get_json()
        return {"type": type(value).__name__, "size": len(value) if hasattr(value, "__len__") else None}

    @app.post("/form")
    def form() -> dict[str, t.Any]:
        return {
            "fields": len(request.form),
            "files": len(request.files),
            "sizes": {key: len(value) for key, value in request.form.items()},
            "filenames": [
                {"raw": f.filename, "secure": secure_filename(f.filename or "")}
                for f in request.files.getlist("file")
            ],
            "file_sizes": [len(f.read()) for f in request.files.values()],
            "values": {key: request.form.getlist(key) for key in list(request.form)[:5]},
        }

    @app.get("/fds")
    def fds() -> dict[str, int]:
        return {"open": open_fd_count()}

    return app


default_app = add_body_views(make_app("sec_body_default"))
capped_app = add_body_views(make_app("sec_body_capped", MAX_CONTENT_LENGTH=MIB))
uncapped_app = add_body_views(make_app("sec_body_uncapped", MAX_CONTENT_LENGTH=None))
big_app = add_body_views(make_app("sec_body_big", MAX_CONTENT_LENGTH=64 * MIB))

app = DispatcherMiddleware(
    default_app,
    {"/default": default_app, "/capped": capped_app, "/uncapped": uncapped_app, "/big": big_app},
)
