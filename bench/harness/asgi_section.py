"""The ASGI section: ``bench/asgi_bench.py`` (ASGI scenarios, Starlette/Quart/Falcon, uvicorn and granian).

Two ways in. A module that defines ``run_sections(args, framework_names) -> list[Section]`` is imported
and called. Otherwise the script runs in its own interpreter (its own event loops and servers, bounded by
a timeout) with ``--json``; its markdown becomes the section's body and its checks join the targets table.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
from typing import Any

from harness.report import Section, Target

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(BENCH_DIR, "asgi_bench.py")
TIMEOUT_SECONDS = 420
TITLE = "ASGI (bench/asgi_bench.py)"


def _from_script(args: argparse.Namespace) -> list[Section]:
    with tempfile.TemporaryDirectory(prefix="erlen-asgi-bench-") as work:
        json_path = os.path.join(work, "asgi.json")
        command = [sys.executable, SCRIPT, "--json", json_path]
        if args.quick:
            command.append("--quick")
        if args.no_server:
            command.append("--no-servers")
        try:
            proc = subprocess.run(
                command, cwd=BENCH_DIR, capture_output=True, text=True, timeout=TIMEOUT_SECONDS
            )
        except subprocess.TimeoutExpired:
            return [Section(TITLE, [f"asgi_bench.py did not finish within {TIMEOUT_SECONDS} s.", ""])]
        if proc.returncode != 0:
            last = next((ln for ln in reversed(proc.stderr.splitlines()) if ln.strip()), "no output")
            return [Section(TITLE, [f"asgi_bench.py exited with {proc.returncode}: {last.strip()}", ""])]
        checks: list[Any] = []
        if os.path.exists(json_path):
            with open(json_path) as data:
                checks = json.load(data).get("targets", [])
    body: list[str] = []
    for line in proc.stdout.splitlines():
        if line.startswith("## Targets"):
            break  # its checks join the targets table below
        body.append("#" + line if line.startswith("## ") else line)
    while body and not body[-1].strip():
        body.pop()
    targets = []
    for text, ok in checks:
        match = re.match(r"(.*?)\s*\(([^()]*)\)\s*$", text)
        description, figures = (match.group(1), match.group(2)) if match else (text, "")
        targets.append(Target(f"ASGI: {description}", bool(ok), figures))
    return [Section(TITLE, [*body, ""], targets)]


def sections(args: argparse.Namespace, framework_names: list[str]) -> list[Section]:
    if args.no_asgi or args.only or not os.path.exists(SCRIPT):
        return []
    with open(SCRIPT) as source:
        pluggable = "def run_sections(" in source.read()
    if pluggable:
        module = importlib.import_module("asgi_bench")
        return list(module.run_sections(args, framework_names))
    return _from_script(args)
