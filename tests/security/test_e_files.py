"""Matrix rows E: static files and send_from_directory, through real servers (docs/security.md)."""

from __future__ import annotations

import os
import typing as t
import urllib.parse

import pytest
from security_checks import assert_healthy
from security_http import Reply, build_request, get, raw, request
from security_servers import APPS_DIR, SERVER_KINDS, RunningServer

APP_MODULE = "sec_files_app"

TRAVERSALS = [
    "../sec_files_app.py",
    "..%2fsec_files_app.py",
    "%2e%2e%2fsec_files_app.py",
    "%2e%2e/sec_files_app.py",
    "..%5csec_files_app.py",
    "..\\sec_files_app.py",
    "/etc/passwd",
    "%2fetc%2fpasswd",
    "a.txt%00.png",
    "a.txt\x00",
    "a" * 5000,
    "x/" * 2500,
    "....//sec_files_app.py",
]


def refused(server: RunningServer, path: str) -> Reply:
    """The reply to ``path``: 400/404 (414 when the server refuses a long line), or a same-host redirect
    (Werkzeug merges ``//``) whose target is itself refused."""
    reply = raw(server.port, build_request("GET", path))
    if reply.status == 308:
        location = urllib.parse.urlsplit(reply.header("location") or "")
        assert location.netloc in ("", "127.0.0.1"), location
        assert location.path.startswith(path[: path.index("/", 1) + 1]), location
        return refused(server, location.path)
    assert reply.status in (400, 404, 414), (reply.status, reply.body[:200])
    return reply


@pytest.mark.parametrize("prefix", ["/static/", "/download/"])
@pytest.mark.parametrize("name", TRAVERSALS, ids=[f"t{i}" for i in range(len(TRAVERSALS))])
def test_e1_paths_leaving_the_folder_are_404(server: RunningServer, prefix: str, name: str) -> None:
    reply = refused(server, prefix + name)
    assert b"import" not in reply.body and b"root:" not in reply.body


def test_e1_a_real_static_file_is_served(server: RunningServer) -> None:
    assert get(server.port, "/static/a.txt").body == b"static a\n"
    assert get(server.port, "/download/a.txt").body == b"static a\n"
    assert_healthy(server)


@pytest.mark.parametrize(
    "path", ["/static/../static_x/a", "/static/..%2fstatic_x/a", "/static/%2e%2e/static_x/a"]
)
def test_e3_sibling_folder_with_a_shared_prefix_is_404(server: RunningServer, path: str) -> None:
    reply = refused(server, path)
    assert b"secret x" not in reply.body


# E2: Windows names, with os.name faked to "nt" in the server's safe_join --------------------------------------


@pytest.fixture(scope="module")
def nt_server(server_kind: str) -> t.Iterator[RunningServer]:
    running = RunningServer(SERVER_KINDS[server_kind], APP_MODULE, env={"SEC_FAKE_NT": "1"})
    running.start()
    try:
        yield running
    finally:
        running.cleanup()


WINDOWS_NAMES = [
    "CON",
    "CON.txt",
    "con .txt",
    "b/NUL",
    "COM1",
    "LPT9.log",
    "NUL:",
    "AUX:stream",
    "CONIN$",
    "//srv/share",
    "%2f%2fsrv/share",
    "\\\\srv\\share",
    "%5c%5csrv%5cshare",
    "a\\..\\..\\x",
]


STATIC_DIR = str(APPS_DIR / "static")
DEVICE_NAMES = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in range(10)
}


def _device_stem(part: str) -> str:
    return part.partition(":")[0].partition(".")[0].strip().upper()


def touched(server: RunningServer) -> list[str]:
    return list(get(server.port, "/_state").json().get("touched", []))


@pytest.mark.parametrize("prefix", ["/static/", "/download/"])
@pytest.mark.parametrize("name", WINDOWS_NAMES)
def test_e2_windows_device_names_and_unc_paths_are_404_without_touching_the_filesystem(
    nt_server: RunningServer, prefix: str, name: str
) -> None:
    request(nt_server.port, "POST", "/_state/reset")
    refused(nt_server, prefix + name)
    for path in touched(nt_server):
        # Only the merged-slash redirect target (a plain path inside static/) may be looked up.
        relative = os.path.relpath(path, STATIC_DIR)
        assert not relative.startswith(".."), path
        assert not any(_device_stem(part) in DEVICE_NAMES for part in relative.split("/")), path


def test_e2_the_probe_records_a_real_file(nt_server: RunningServer) -> None:
    request(nt_server.port, "POST", "/_state/reset")
    assert get(nt_server.port, "/download/a.txt").status == 200
    assert any(path.endswith("a.txt") for path in touched(nt_server))
    assert_healthy(nt_server)
