"""Real servers for the security suite: start one on 127.0.0.1, bounded in time, always stopped.

A server kind is a command line that serves ``module:attribute`` on a port. The WSGI kinds are here; ASGI kinds
(uvicorn, granian --interface asgi) are added to ``SERVER_KINDS`` with ``interface="asgi"`` and a target that
names the app's ASGI callable, and every module that asks for ``DEFAULT_KINDS`` runs on them too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import typing as t
from pathlib import Path

APPS_DIR = Path(__file__).parent / "apps"
REPO_ROOT = Path(__file__).resolve().parents[2]

#: A server that outlives this many seconds is killed, whatever the test does.
SERVER_LIFETIME_LIMIT = 150.0
#: Starting must answer /health within this many seconds.
STARTUP_LIMIT = 20.0


@dataclasses.dataclass(frozen=True)
class ServerKind:
    """How to run one server: its name, its interface, and its command line."""

    name: str
    interface: str
    command: t.Callable[[str, int], list[str]]

    def target(self, module: str) -> str:
        """The app target this kind serves for an app module in ``tests/security/apps``."""
        return f"{module}:app" if self.interface == "wsgi" else f"{module}:asgi_app"


def _gunicorn(worker: str) -> t.Callable[[str, int], list[str]]:
    def command(target: str, port: int) -> list[str]:
        extra = ["--threads", "4"] if worker == "gthread" else []
        return [
            sys.executable, "-m", "gunicorn", "-k", worker, *extra, "-w", "1",
            "-b", f"127.0.0.1:{port}", "--timeout", "30", "--graceful-timeout", "2",
            # Header limits large enough that Erlen, not gunicorn, meets the 40-60 kB header rows; loopback is not
            # a trusted proxy (gunicorn trusts 127.0.0.1's X-Forwarded-Proto by default).
            "--limit-request-field_size", "131072", "--forwarded-allow-ips", "192.0.2.1",
            "--no-control-socket", "--chdir", str(APPS_DIR), target,
        ]  # fmt: skip

    return command


def _granian(interface: str) -> t.Callable[[str, int], list[str]]:
    def command(target: str, port: int) -> list[str]:
        return [
            sys.executable, "-m", "granian", "--interface", interface, "--host", "127.0.0.1",
            "--port", str(port), "--workers", "1", "--blocking-threads", "4",
            "--working-dir", str(APPS_DIR), "--log-level", "info", target,
        ]  # fmt: skip

    return command


def _werkzeug_dev(target: str, port: int) -> list[str]:
    return [sys.executable, str(APPS_DIR / "devserver.py"), target, str(port)]


SERVER_KINDS: dict[str, ServerKind] = {
    "gunicorn-sync": ServerKind("gunicorn-sync", "wsgi", _gunicorn("sync")),
    "gunicorn-gthread": ServerKind("gunicorn-gthread", "wsgi", _gunicorn("gthread")),
    "granian-wsgi": ServerKind("granian-wsgi", "wsgi", _granian("wsgi")),
    "werkzeug-dev": ServerKind("werkzeug-dev", "wsgi", _werkzeug_dev),
}

#: The production servers every row runs on; the dev server only where the matrix marks it.
DEFAULT_KINDS: tuple[str, ...] = ("gunicorn-sync", "gunicorn-gthread", "granian-wsgi")


def free_port() -> int:
    """A port nothing listens on right now (the server binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RunningServer:
    """A started server process with its port and a log file of everything it printed."""

    def __init__(self, kind: ServerKind, module: str, env: dict[str, str] | None = None) -> None:
        self.kind = kind
        self.module = module
        self.port = 0
        self._extra_env = env or {}
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed by cleanup())
            prefix=f"erlen-sec-{kind.name}-", suffix=".log", delete=False
        )
        self.log_path = Path(self._log.name)
        self.proc: subprocess.Popen[bytes] | None = None
        self._watchdog: threading.Timer | None = None

    def start(self) -> None:
        """Start the server and wait until ``/health`` answers; retry once on a port clash."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(APPS_DIR), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        env["PYTHONUNBUFFERED"] = "1"
        env.update(self._extra_env)
        for _attempt in range(3):
            self.port = free_port()
            self.proc = subprocess.Popen(
                self.kind.command(self.kind.target(self.module), self.port),
                stdout=self._log,
                stderr=subprocess.STDOUT,
                cwd=APPS_DIR,
                env=env,
                start_new_session=True,
            )
            if self._wait_ready():
                self._watchdog = threading.Timer(SERVER_LIFETIME_LIMIT, self.stop)
                self._watchdog.daemon = True
                self._watchdog.start()
                return
            self.stop()
        raise RuntimeError(f"{self.kind.name} did not start for {self.module}:\n{self.log_text()[-3000:]}")

    def _wait_ready(self) -> bool:
        from security_http import get

        deadline = time.monotonic() + STARTUP_LIMIT
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                return False
            with contextlib.suppress(OSError):
                if get(self.port, "/health", timeout=1.0).status == 200:
                    return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        """Terminate the whole process group (master and workers); kill it if it lingers."""
        if self._watchdog is not None:
            self._watchdog.cancel()
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)

    def log_text(self) -> str:
        """Everything the server and the app printed so far."""
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def cleanup(self) -> None:
        self.stop()
        self._log.close()
        with contextlib.suppress(OSError):
            self.log_path.unlink()
