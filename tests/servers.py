"""Start real servers (uvicorn, hypercorn, granian, gunicorn) on 127.0.0.1 for tests, always stopped.

Each server runs in its own process on a free port, is waited for until it accepts connections (bounded), and is
terminated (then killed) when the ``with`` block ends, whatever happened inside it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import typing as t
from pathlib import Path

BIN = Path(sys.executable).parent

#: server name -> (module or executable, argument builder); ``{app}`` is "module:attr", ``{port}`` the port.
COMMANDS: dict[str, list[str]] = {
    "uvicorn": [sys.executable, "-m", "uvicorn", "{app}", "--host", "127.0.0.1", "--port", "{port}",
                "--log-level", "warning", "--lifespan", "on"],
    "hypercorn": [sys.executable, "-m", "hypercorn", "{app}", "--bind", "127.0.0.1:{port}"],
    "granian-asgi": [str(BIN / "granian"), "--interface", "asgi", "--host", "127.0.0.1", "--port", "{port}",
                     "--workers", "1", "--log-level", "warning", "{app}"],
    "granian-wsgi": [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", "{port}",
                     "--workers", "1", "--log-level", "warning", "{app}"],
    "gunicorn": [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:{port}", "--workers", "1",
                 "--log-level", "warning", "{app}"],
}  # fmt: skip


def available(server: str) -> bool:
    """Whether ``server`` can be started from this environment."""
    command = COMMANDS[server]
    if command[0] == sys.executable:
        import importlib.util

        return importlib.util.find_spec(command[2]) is not None
    return shutil.which(command[0]) is not None or Path(command[0]).exists()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RunningServer:
    def __init__(self, name: str, port: int, process: subprocess.Popen[bytes], log: t.IO[bytes]) -> None:
        self.name = name
        self.port = port
        self.process = process
        self.log = log
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}"

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


@contextlib.contextmanager
def serve(
    server: str,
    app: str,
    app_dir: str | os.PathLike[str],
    start_timeout: float = 20,
    stop_timeout: float = 10,
) -> t.Iterator[RunningServer]:
    """Run ``app`` ("module:attr", importable from ``app_dir``) under ``server`` until the block ends."""
    import tempfile

    port = free_port()
    command = [part.format(app=app, port=port) for part in COMMANDS[server]]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(app_dir), env.get("PYTHONPATH")]))
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below, after the server stops
    process = subprocess.Popen(
        command, cwd=app_dir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    running = RunningServer(server, port, process, log)
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{server} exited with {process.returncode}:\n{running.output()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{server} did not start in {start_timeout}s:\n{running.output()}"
                    ) from None
                time.sleep(0.05)
        yield running
    finally:
        _stop(process, stop_timeout)
        log.close()


def _stop(process: subprocess.Popen[bytes], timeout: float) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)
