"""Resident memory of a fresh interpreter after importing a framework and building the benchmark app.

Every framework is measured running from bytecode, as a deployed app does. Compiling a module from source
allocates several times the module's own size for a moment, and those freed pages stay in the process: on a
machine with ``PYTHONDONTWRITEBYTECODE`` set, an editable install (Erlen's working tree) compiles on every
start while a wheel (Flask) ships its bytecode, and the comparison would measure the compiler instead. So the
probes share a private bytecode cache (``PYTHONPYCACHEPREFIX``), filled by one unmeasured process per framework.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class MemoryFigure:
    framework: str
    built_kib: int
    served_kib: int
    #: Modules in ``sys.modules`` after the first request: what the import graph costs.
    modules: int


def probe(framework: str, repeats: int = 3) -> MemoryFigure | None:
    """Median over ``repeats`` fresh subprocesses, after one that fills the bytecode cache; ``None`` if the
    probe failed."""
    with tempfile.TemporaryDirectory(prefix="erlen-bench-pycache-") as cache:
        env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        if _probe_once(framework, env) is None:
            return None
        runs = [_probe_once(framework, env) for _ in range(repeats)]
    measured = [figures for figures in runs if figures is not None]
    if len(measured) < repeats:
        return None
    built = [figures["built"] for figures in measured]
    served = [figures["served"] for figures in measured]
    modules = measured[-1]["modules"]
    return MemoryFigure(framework, int(statistics.median(built)), int(statistics.median(served)), modules)


def _probe_once(framework: str, env: dict[str, str]) -> dict[str, int] | None:
    proc = subprocess.run(
        [sys.executable, "-m", "harness.memory_probe", framework],
        cwd=BENCH_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if proc.returncode != 0:
        return None
    figures: dict[str, int] = json.loads(proc.stdout.strip().splitlines()[-1])
    return figures
