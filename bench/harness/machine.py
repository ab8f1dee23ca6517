"""A one-line description of the machine and the software measured."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess

from harness.frameworks import version_of

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=BENCH_DIR, capture_output=True, text=True, timeout=5
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _wrk_version() -> str:
    try:
        out = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return "absent"
    text = (out.stdout or out.stderr).strip().split()
    return text[1] if len(text) > 1 else "present"


def _load_average() -> str:
    """Other work on the machine skews figures; the 1-minute load says how busy it was."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "unknown"


def describe() -> str:
    packages = ", ".join(
        f"{name} {version_of(name)}"
        for name in ("erlen", "Flask", "Werkzeug", "Jinja2", "bottle", "falcon", "granian")
    )
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{cpu_model()}, {os.cpu_count()} cores; {platform.python_implementation()} {platform.python_version()}; "
        f"{packages}; wrk {_wrk_version()}; erlen commit {_git_commit()}; {now}; "
        f"load average at start {_load_average()}"
    )
