"""Fixtures for the browser tests: Debian's headless Chromium (through Selenium) and a real server.

The browser is ``/usr/bin/chromium`` driven by ``/usr/bin/chromedriver`` (Debian's ``chromium`` and
``chromium-driver`` packages, which ``make test`` installs), so the driver always matches the browser and
nothing is downloaded. Under ``CI`` a missing browser fails the tests; on a developer machine they are
skipped with a loud reason.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import typing as t
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

if t.TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("ERLEN_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("ERLEN_E2E_CHROMEDRIVER", "/usr/bin/chromedriver")
#: Flags that keep Chromium headless, offline (no update, sync or field-trial traffic) and container-safe.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)
SERVER_START_SECONDS = 30.0
_RUNNING_ON = re.compile(r"Running on http://127\.0\.0\.1:(\d+)")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _browser_problem() -> str | None:
    """Why the browser tests cannot run here, or None."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            return f"{path} not found (Debian package {package}; `make browser-deps` installs it)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed in this venv (`make venv` installs it)"
    return None


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    """A fresh headless Chromium with its own profile directory, quit after the test."""
    problem = _browser_problem()
    if problem is not None:
        if _in_ci():
            pytest.fail(f"browser tests cannot run under CI: {problem}", pytrace=False)
        message = f"END-TO-END BROWSER TESTS SKIPPED: {problem}"
        print(f"\n{'!' * 20} {message} {'!' * 20}", file=sys.stderr)
        pytest.skip(message)

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    service = Service(CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@dataclass
class Server:
    """A dev server running in a subprocess, and the file its output goes to."""

    url: str
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[t.Callable[..., Server]]:
    """Start ``erlen --app <app> [--debug] run`` on 127.0.0.1 with a free port; always stopped.

    The app's database, uploads and secret key go in ``tmp_path`` through ``NOTES_*`` variables,
    the way a deployment configures the demo.
    """
    processes: list[subprocess.Popen[bytes]] = []

    def start(app: str, *, debug: bool = False) -> Server:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("ERLEN_", "FLASK_", "WERKZEUG_", "NOTES_"))
        }
        env.update(
            PYTHONUNBUFFERED="1",
            NOTES_DATABASE=str(tmp_path / "notes.sqlite"),
            NOTES_UPLOAD_FOLDER=str(tmp_path / "uploads"),
            NOTES_SECRET_KEY="e2e-secret",
        )
        log_path = tmp_path / f"server-{len(processes)}.log"
        command = [sys.executable, "-m", "erlen", "--app", app]
        if debug:
            command.append("--debug")
        command += ["run", "--host", "127.0.0.1", "--port", "0", "--no-reload"]
        with open(log_path, "wb") as log:
            # A session of its own: stopping it stops anything it started, and Ctrl-C here stays here.
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        processes.append(process)
        server = Server(url="", log_path=log_path)
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            match = _RUNNING_ON.search(server.output())
            if match:
                server.url = f"http://127.0.0.1:{match.group(1)}"
                return server
            if process.poll() is not None:
                pytest.fail(f"{' '.join(command)} exited with {process.returncode}:\n{server.output()}")
            time.sleep(0.05)
        _stop(process)
        pytest.fail(f"{' '.join(command)} did not start in {SERVER_START_SECONDS}s:\n{server.output()}")

    try:
        yield start
    finally:
        for process in processes:
            _stop(process)
