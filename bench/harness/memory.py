"""Resident memory of a fresh interpreter after importing a framework and building the benchmark app."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
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
    """Median over ``repeats`` fresh subprocesses; ``None`` if the probe failed."""
    built: list[int] = []
    served: list[int] = []
    modules = 0
    for _ in range(repeats):
        proc = subprocess.run(
            [sys.executable, "-m", "harness.memory_probe", framework],
            cwd=BENCH_DIR,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if proc.returncode != 0:
            return None
        figures = json.loads(proc.stdout.strip().splitlines()[-1])
        built.append(figures["built"])
        served.append(figures["served"])
        modules = figures["modules"]
    return MemoryFigure(framework, int(statistics.median(built)), int(statistics.median(served)), modules)
