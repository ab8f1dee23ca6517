"""Rows E: static files and send_from_directory.

With ``SEC_FAKE_NT=1`` the path checks run as on Windows (``os.name == "nt"`` and ``\\`` as a separator) in
Werkzeug's safe_join only, and every filesystem probe send_from_directory makes is recorded, so a test can
prove that device names are refused without touching the filesystem.
"""

from __future__ import annotations

import os
import typing as t

import werkzeug.security
import werkzeug.utils
from sec_common import STATE, STATE_LOCK, make_app

from erlen import send_from_directory

app = make_app("sec_files")


@app.get("/download/<path:name>")
def download(name: str) -> t.Any:
    return send_from_directory(os.path.join(app.root_path, "static"), name)


class _Overlay:
    """An object that answers like ``real`` except for the attributes given."""

    def __init__(self, real: t.Any, **overrides: t.Any) -> None:
        self._real = real
        self.__dict__.update(overrides)

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._real, name)


def _recording(function: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    def probe(path: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        with STATE_LOCK:
            STATE.setdefault("touched", []).append(os.fspath(path))
        return function(path, *args, **kwargs)

    return probe


if os.environ.get("SEC_FAKE_NT") == "1":
    werkzeug.security.os = _Overlay(os, name="nt")  # type: ignore[attr-defined]
    werkzeug.security._os_alt_seps = ["\\"]  # type: ignore[attr-defined]
    werkzeug.utils.os = _Overlay(  # type: ignore[attr-defined]
        os,
        stat=_recording(os.stat),
        path=_Overlay(os.path, isfile=_recording(os.path.isfile), exists=_recording(os.path.exists)),
    )
