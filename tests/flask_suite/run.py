"""Run Flask 3.1.3's own test suite, unedited, against Erlen and compare with the expected-failures list.

How this works: the sdist is fetched once with pip into ``.cache/flask-suite/`` and unpacked. pytest runs
inside the unpacked tree (so Flask's own pytest config applies) with two plugins: ``erlen.compat_pytest``
makes ``import flask`` give Erlen before Flask's conftest is imported, and ``erlen_suite_report`` (next to
this file) writes every outcome to JSON. The outcomes are compared with ``expected_failures.txt``:

- a test that fails and is not listed fails the run;
- a listed test that passes fails the run (remove it from the list: the list only shrinks);
- a listed node id that no longer exists fails the run (full runs only).

``--extensions`` also runs the test suites of the Flask extensions in ``EXTENSION_SUITES``, each from the sdist
of the version installed in the venv (the Makefile pins them), with node ids under ``extensions/<name>/`` in
the same list.

Usage (from the repo root, with the venv's Python)::

    .venv/bin/python tests/flask_suite/run.py                      # the whole suite
    .venv/bin/python tests/flask_suite/run.py tests/test_views.py  # one file (or node id)
    .venv/bin/python tests/flask_suite/run.py -k session -- -x --tb=long --show-output
    .venv/bin/python tests/flask_suite/run.py --tutorial           # also Flask's tutorial example
    .venv/bin/python tests/flask_suite/run.py --extensions         # also the extensions' own suites
    .venv/bin/python tests/flask_suite/run.py --update             # rewrite the list to today's failures
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

FLASK_VERSION = "3.1.3"
HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
CACHE_DIR = REPO_ROOT / ".cache" / "flask-suite"
EXPECTED_FILE = HERE / "expected_failures.txt"
#: The extension suites' own list, kept apart so that Flask's list only ever shrinks.
EXTENSIONS_EXPECTED_FILE = HERE / "expected_failures_extensions.txt"
TUTORIAL_PREFIX = "examples/tutorial/"
EXTENSIONS_PREFIX = "extensions/"
#: Extensions whose own suites run on Erlen with ``--extensions`` (distribution names). Flask-SQLAlchemy's and
#: Flask-Caching's suites are left out (most of them need database and cache servers), and so is flask-talisman's
#: (its tests sit inside the package); tests/test_extensions.py covers those three.
EXTENSION_SUITES = (
    "Flask-Login",
    "Flask-WTF",
    "flask-cors",
    "Flask-JWT-Extended",
    "Flask-HTTPAuth",
    "Flask-Compress",
)
FAILED = frozenset({"failed", "error"})
PASSED = frozenset({"passed", "xpassed"})
DEFAULT_TIMEOUT = 600


# ----------------------------------------------------------------------------------------------------------
# The expected-failures list


@dataclasses.dataclass
class ExpectedList:
    """``expected_failures.txt``: node id -> reason, in file order, plus the leading comment block."""

    entries: dict[str, str]
    header: list[str]


_ENTRY_LINE = re.compile(r"^(?P<nodeid>\S(?:.*?\S)?)(?:\s+#\s?(?P<reason>.*))?$")


def parse_expected(text: str) -> ExpectedList:
    """Parse the list; each entry is ``<node id>  # reason``. Comments and blank lines are allowed."""
    entries: dict[str, str] = {}
    header: list[str] = []
    for line_number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            if not entries:
                header.append(raw.rstrip())
            continue
        match = _ENTRY_LINE.match(line)
        if match is None:  # pragma: no cover - the pattern accepts any non-blank line
            raise ValueError(f"{EXPECTED_FILE.name}:{line_number}: cannot parse {raw!r}")
        nodeid = match["nodeid"]
        if nodeid in entries:
            raise ValueError(f"{EXPECTED_FILE.name}:{line_number}: {nodeid} is listed twice")
        entries[nodeid] = (match["reason"] or "").strip()
    while header and not header[-1]:
        header.pop()
    return ExpectedList(entries, header)


def format_expected(expected: ExpectedList) -> str:
    """Write the list back: header, then entries grouped by file with a blank line between files."""
    lines = list(expected.header)
    previous_file = None
    for nodeid, reason in sorted(expected.entries.items(), key=lambda item: _sort_key(item[0])):
        test_file = nodeid.split("::", 1)[0]
        if test_file != previous_file:
            lines.append("")
            previous_file = test_file
        lines.append(f"{nodeid}  # {reason or 'TODO reason'}")
    return "\n".join(lines).lstrip("\n") + "\n"


def _sort_key(nodeid: str) -> tuple[str, str]:
    test_file, _, rest = nodeid.partition("::")
    return test_file, rest


# ----------------------------------------------------------------------------------------------------------
# Comparing a run with the list


@dataclasses.dataclass
class Comparison:
    """What one run says about the list."""

    outcomes: dict[str, str]
    unexpected: list[str]  # failed, not listed
    fixed: list[str]  # listed, passed
    stale: list[str]  # listed, no longer exists
    listed_not_failing: list[str]  # listed, skipped (does not fail the run)
    not_run: list[str]  # listed, outside this run's selection

    @property
    def ok(self) -> bool:
        return not (self.unexpected or self.fixed or self.stale)


def _file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def compare(
    outcomes: dict[str, str],
    collected: Iterable[str],
    expected: dict[str, str],
    *,
    scope_prefixes: Sequence[str],
    full_run: bool,
) -> Comparison:
    """Compare ``outcomes`` (node id -> outcome) with ``expected`` for the listed ids in this run's scope.

    ``scope_prefixes`` says which suites ran (``tests/``, ``examples/tutorial/``). On a ``full_run`` a listed
    id that was neither collected nor reported is stale, unless its whole file failed to collect.
    """
    known = set(collected) | set(outcomes)
    broken_files = {_file_of(n) for n, outcome in outcomes.items() if "::" not in n and outcome == "error"}
    unexpected = [n for n, outcome in outcomes.items() if outcome in FAILED and n not in expected]
    fixed: list[str] = []
    stale: list[str] = []
    listed_not_failing: list[str] = []
    not_run: list[str] = []
    for nodeid in expected:
        outcome = outcomes.get(nodeid)
        in_scope = nodeid.startswith(tuple(scope_prefixes))
        if outcome in PASSED:
            fixed.append(nodeid)
        elif outcome in FAILED:
            continue
        elif outcome is not None or nodeid in known:
            listed_not_failing.append(nodeid)
        elif in_scope and full_run and _file_of(nodeid) not in broken_files:
            stale.append(nodeid)
        else:
            not_run.append(nodeid)
    return Comparison(outcomes, unexpected, fixed, stale, listed_not_failing, not_run)


def updated_list(expected: ExpectedList, comparison: Comparison) -> ExpectedList:
    """Today's failures, keeping known reasons; new ones get ``TODO reason``; ids not run are kept."""
    entries: dict[str, str] = {}
    for nodeid, outcome in comparison.outcomes.items():
        if outcome in FAILED:
            entries[nodeid] = expected.entries.get(nodeid) or "TODO reason"
    for nodeid in comparison.not_run + comparison.listed_not_failing:
        entries[nodeid] = expected.entries[nodeid]
    return ExpectedList(entries, expected.header)


# ----------------------------------------------------------------------------------------------------------
# Reporting


def per_file_rows(outcomes: dict[str, str], expected: dict[str, str]) -> list[tuple[str, int, int, int, int]]:
    """(file, passed, failed, skipped, listed) per test file, sorted by file."""
    counts: dict[str, list[int]] = {}
    for nodeid, outcome in outcomes.items():
        row = counts.setdefault(_file_of(nodeid), [0, 0, 0, 0])
        if outcome in PASSED:
            row[0] += 1
        elif outcome in FAILED:
            row[1] += 1
        else:
            row[2] += 1
    for nodeid in expected:
        if _file_of(nodeid) in counts:
            counts[_file_of(nodeid)][3] += 1
    return [(name, row[0], row[1], row[2], row[3]) for name, row in sorted(counts.items())]


def totals_line(label: str, outcomes: dict[str, str], expected: dict[str, str]) -> str:
    passed = sum(1 for o in outcomes.values() if o in PASSED)
    failing = [n for n, o in outcomes.items() if o in FAILED]
    skipped = len(outcomes) - passed - len(failing)
    listed = sum(1 for n in failing if n in expected)
    line = f"{label}: {passed} passed, {len(failing)} failed ({listed} expected)"
    return line + (f", {skipped} skipped" if skipped else "")


def render_report(
    label: str, comparison: Comparison, expected: dict[str, str], details: dict[str, str], *, full: bool
) -> str:
    """The table, the totals and what is wrong; ``full`` adds every failure with its reason and detail."""
    rows = per_file_rows(comparison.outcomes, expected)
    width = max([len("file"), *(len(r[0]) for r in rows)])
    out = [f"{'file':<{width}}  passed  failed  skipped  listed"]
    for name, passed, failed, skipped, listed in rows:
        out.append(f"{name:<{width}}  {passed:>6}  {failed:>6}  {skipped:>7}  {listed:>6}")
    out.append(totals_line(label, comparison.outcomes, expected))
    sections = [
        ("UNEXPECTED FAILURES (fix them, or list them with a reason)", comparison.unexpected, True),
        ("LISTED BUT NOW PASSING (remove from expected_failures.txt)", comparison.fixed, False),
        ("LISTED BUT NO LONGER EXIST (remove from expected_failures.txt)", comparison.stale, False),
        ("listed but skipped or xfailed (not an error)", comparison.listed_not_failing, False),
    ]
    for title, nodeids, with_detail in sections:
        if not nodeids:
            continue
        out += ["", f"{title}: {len(nodeids)}"]
        for nodeid in nodeids:
            out.append(f"  {nodeid}")
            if with_detail and details.get(nodeid):
                out.append(_indent(_last_lines(details[nodeid], 12 if not full else 60), "      "))
    if full:
        expected_failures = [n for n, o in comparison.outcomes.items() if o in FAILED and n in expected]
        if expected_failures:
            out += ["", f"expected failures: {len(expected_failures)}"]
            for nodeid in expected_failures:
                out.append(f"  {nodeid}  # {expected[nodeid]}")
                if details.get(nodeid):
                    out.append(_indent(_last_lines(details[nodeid], 30), "      "))
    return "\n".join(out)


def _last_lines(text: str, count: int) -> str:
    return "\n".join(text.rstrip().splitlines()[-count:])


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


# ----------------------------------------------------------------------------------------------------------
# Getting the sdist


def ensure_sdist(
    cache_dir: Path, local: Path | None = None, dist: str = "flask", version: str = FLASK_VERSION
) -> Path:
    """The unpacked sdist of ``dist`` ``version`` (Flask's by default), downloaded with pip the first time (or
    taken from ``local``)."""
    target = cache_dir / f"{dist.lower()}-{version}"
    if (target / "tests").is_dir():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    if local is not None and local.is_dir():
        shutil.copytree(local, target)
        return target
    archive = local
    if archive is None:
        with tempfile.TemporaryDirectory(dir=cache_dir) as download:
            print(f"flask suite: downloading the {dist} {version} sdist into {cache_dir}", flush=True)
            subprocess.run(
                [
                    sys.executable,
                    *("-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:"),
                    *(f"{dist}=={version}", "--dest", download),
                ],
                check=True,
            )
            (downloaded,) = Path(download).iterdir()
            archive = cache_dir / downloaded.name
            os.replace(downloaded, archive)
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp, tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(tmp, filter="data")
        else:  # pragma: no cover - Python < 3.10.12
            tar.extractall(tmp)
        (unpacked,) = Path(tmp).iterdir()  # one top-level directory, however the project spells its name
        try:
            os.replace(unpacked, target)
        except OSError:
            if not (target / "tests").is_dir():  # not a concurrent run's unpacking
                raise
    return target


def installed_version(dist: str) -> str:
    """The version of ``dist`` in this venv, whose suite is run."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit(
            f"flask suite: {dist} is not installed in {sys.prefix}; `make venv` installs it"
        ) from None


def ensure_tutorial(sdist: Path, cache_dir: Path) -> Path:
    """A fresh copy of the tutorial app, installed editable (without deps: Flask must stay out)."""
    copy = cache_dir / "tutorial"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(sdist / "examples" / "tutorial", copy)
    try:
        direct_url = importlib.metadata.distribution("flaskr").read_text("direct_url.json") or ""
        installed_here = copy.resolve().as_uri() in direct_url
    except importlib.metadata.PackageNotFoundError:
        installed_here = False
    if not installed_here:
        print("flask suite: installing the tutorial app (flaskr) into the venv", flush=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(copy)], check=True
        )
    return copy


def refuse_real_flask() -> None:
    """Fail loudly if a real Flask distribution is installed where the suite runs."""
    try:
        dist = importlib.metadata.distribution("flask")
    except importlib.metadata.PackageNotFoundError:
        return
    raise SystemExit(
        f"flask suite: a real Flask {dist.version} is installed in {sys.prefix}; the suite must run "
        f"against Erlen only. Run this script with the project's venv (.venv/bin/python), and if Flask is "
        f"installed there, remove it: {sys.executable} -m pip uninstall flask"
    )


# ----------------------------------------------------------------------------------------------------------
# Running pytest


@dataclasses.dataclass
class SuiteRun:
    exitstatus: int
    outcomes: dict[str, str]
    details: dict[str, str]
    collected: list[str]
    summary: str


def run_pytest(
    rootdir: Path,
    selection: Sequence[str],
    extra: Sequence[str],
    *,
    report_path: Path,
    log_path: Path,
    id_prefix: str,
    show_output: bool,
    timeout: float,
) -> SuiteRun:
    """Run pytest in ``rootdir`` with the compat and report plugins; node ids get ``id_prefix``.

    The run writes into a private directory and publishes ``report_path`` and ``log_path`` at the end, so
    two runs at once (two developers' terminals, an editor's test runner) do not read each other's files.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    private = Path(tempfile.mkdtemp(prefix="run-", dir=log_path.parent))
    try:
        return _run_pytest_in(
            rootdir,
            selection,
            extra,
            report_path=private / report_path.name,
            log_path=private / log_path.name,
            shown_log_path=log_path,
            id_prefix=id_prefix,
            show_output=show_output,
            timeout=timeout,
        )
    finally:
        for produced, public in (
            (private / report_path.name, report_path),
            (private / log_path.name, log_path),
        ):
            if produced.is_file():
                os.replace(produced, public)
        shutil.rmtree(private, ignore_errors=True)


def _run_pytest_in(
    rootdir: Path,
    selection: Sequence[str],
    extra: Sequence[str],
    *,
    report_path: Path,
    log_path: Path,
    shown_log_path: Path,
    id_prefix: str,
    show_output: bool,
    timeout: float,
) -> SuiteRun:
    # A project without a pytest configuration of its own must not pick up the nearest one above it (when the
    # cache sits inside this repository, ours: warnings as errors).
    own_config = [] if has_pytest_config(rootdir) else ["-c", os.devnull]
    command = [
        sys.executable,
        *("-m", "pytest", "-p", "erlen.compat_pytest", "-p", "erlen_suite_report", *own_config),
        *("--rootdir", str(rootdir), "--erlen-report", str(report_path), "-p", "no:cacheprovider"),
        # One file that fails to import must not hide the results of all the others.
        *("-q", "--tb=short", "-rfE", "--continue-on-collection-errors"),
        *extra,
        *selection,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "ERLEN_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
    with log_path.open("w", encoding="utf-8") as log:
        log.write("$ " + " ".join(command) + f"\n  (cwd {rootdir})\n")
        log.flush()
        process = subprocess.Popen(
            command,
            cwd=rootdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        assert process.stdout is not None
        copier = threading.Thread(target=_copy_lines, args=(process.stdout, log, show_output), daemon=True)
        copier.start()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired as timed_out:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            copier.join(5)
            raise SystemExit(
                f"flask suite: pytest did not finish within {timeout:.0f}s; see {shown_log_path}"
            ) from timed_out
        copier.join()
    output = log_path.read_text(encoding="utf-8")
    if not report_path.is_file():
        sys.stdout.write(_last_lines(output, 40) + "\n")
        raise SystemExit(
            f"flask suite: pytest exited with {process.returncode} and wrote no report; see {shown_log_path}"
        )
    data: dict[str, Any] = json.loads(report_path.read_text(encoding="utf-8"))
    outcomes = {id_prefix + n: entry["outcome"] for n, entry in data["outcomes"].items()}
    details = {id_prefix + n: entry["detail"] for n, entry in data["outcomes"].items() if entry["detail"]}
    collected = [id_prefix + n for n in data["collected"]]
    return SuiteRun(process.returncode, outcomes, details, collected, _pytest_summary(output))


#: Where pytest finds a configuration in a project's root: file name -> the section that makes it one.
_PYTEST_CONFIG_SECTIONS = {
    "pytest.ini": "",
    ".pytest.ini": "",
    "pytest.toml": "",
    ".pytest.toml": "",
    "pyproject.toml": "[tool.pytest",  # [tool.pytest.ini_options], or pytest 9's [tool.pytest]
    "tox.ini": "[pytest]",
    "setup.cfg": "[tool:pytest]",
}


def has_pytest_config(root: Path) -> bool:
    """Whether pytest, run in ``root``, would find its configuration there."""
    for name, section in _PYTEST_CONFIG_SECTIONS.items():
        path = root / name
        if path.is_file() and section in path.read_text(encoding="utf-8", errors="replace"):
            return True
    return False


def _copy_lines(source: IO[str], log: IO[str], echo: bool) -> None:
    for line in source:
        log.write(line)
        if echo:
            sys.stdout.write(line)
            sys.stdout.flush()


def _pytest_summary(output: str) -> str:
    """pytest's own last line (``3 failed, 450 passed in 4.1s``)."""
    for line in reversed(output.splitlines()):
        if re.search(r"\b(passed|failed|error|errors|skipped|no tests ran)\b.* in [\d.]+s", line):
            return line.strip("= ")
    return "(no pytest summary line)"


# ----------------------------------------------------------------------------------------------------------
# Command line


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Run Flask's test suite against Erlen.", epilog="Arguments after -- go to pytest."
    )
    parser.add_argument("paths", nargs="*", help="test files or node ids, relative to the sdist (tests/...)")
    parser.add_argument("-k", dest="keyword", help="pytest -k expression")
    parser.add_argument("--update", action="store_true", help="rewrite expected_failures.txt to this run")
    parser.add_argument("--tutorial", action="store_true", help="also run Flask's tutorial example tests")
    parser.add_argument("--extensions", action="store_true", help="also run the extensions' own test suites")
    parser.add_argument("--show-output", action="store_true", help="stream pytest's output")
    parser.add_argument("--sdist", type=Path, help="a local Flask sdist (.tar.gz or unpacked dir)")
    parser.add_argument("--cache-dir", type=Path, default=CACHE_DIR)
    parser.add_argument("--expected", type=Path, default=EXPECTED_FILE)
    parser.add_argument("--extensions-expected", type=Path, default=EXTENSIONS_EXPECTED_FILE)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per pytest run")
    own, extra = _split_passthrough(list(argv))
    args = parser.parse_args(own)
    args.extra = extra
    return args


def _split_passthrough(argv: list[str]) -> tuple[list[str], list[str]]:
    if "--" in argv:
        index = argv.index("--")
        return argv[:index], argv[index + 1 :]
    return argv, []


def _normalise_path(path: str) -> str:
    """``test_views.py`` -> ``tests/test_views.py``; tutorial paths stay as they are."""
    if path.startswith(("tests/", TUTORIAL_PREFIX)) or os.path.isabs(path):
        return path
    return "tests/" + path


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    refuse_real_flask()
    cache_dir: Path = args.cache_dir
    sdist = ensure_sdist(cache_dir, args.sdist)
    expected = _read_expected(args.expected)
    extensions_expected = _read_expected(args.extensions_expected)
    if args.extensions:
        expected = ExpectedList({**expected.entries, **extensions_expected.entries}, expected.header)

    paths = [_normalise_path(p) for p in args.paths]
    suite_paths = [p for p in paths if not p.startswith(TUTORIAL_PREFIX)]
    tutorial_paths = [p[len(TUTORIAL_PREFIX) :] for p in paths if p.startswith(TUTORIAL_PREFIX)]
    run_suite = not paths or bool(suite_paths)
    run_tutorial = (args.tutorial and not paths) or bool(tutorial_paths)
    selection_extra = (["-k", args.keyword] if args.keyword else []) + list(args.extra)
    full_run = not paths and not selection_extra

    runs: list[tuple[str, str, SuiteRun]] = []
    if run_suite:
        runs.append(
            (
                "flask suite",
                "tests/",
                run_pytest(
                    sdist,
                    suite_paths or ["tests"],
                    selection_extra,
                    report_path=cache_dir / "outcomes.json",
                    log_path=cache_dir / "pytest-output.txt",
                    id_prefix="",
                    show_output=args.show_output,
                    timeout=args.timeout,
                ),
            )
        )
    if run_tutorial:
        tutorial = ensure_tutorial(sdist, cache_dir)
        runs.append(
            (
                "flask tutorial",
                TUTORIAL_PREFIX,
                run_pytest(
                    tutorial,
                    tutorial_paths or ["tests"],
                    selection_extra,
                    report_path=cache_dir / "tutorial-outcomes.json",
                    log_path=cache_dir / "tutorial-pytest-output.txt",
                    id_prefix=TUTORIAL_PREFIX,
                    show_output=args.show_output,
                    timeout=args.timeout,
                ),
            )
        )

    if args.extensions and not paths:
        for dist in EXTENSION_SUITES:
            version = installed_version(dist)
            name = dist.lower()
            runs.append(
                (
                    f"{dist} {version} suite",
                    f"{EXTENSIONS_PREFIX}{name}/",
                    run_pytest(
                        ensure_sdist(cache_dir, dist=dist, version=version),
                        ["tests"],
                        selection_extra,
                        report_path=cache_dir / f"{name}-outcomes.json",
                        log_path=cache_dir / f"{name}-pytest-output.txt",
                        id_prefix=f"{EXTENSIONS_PREFIX}{name}/",
                        show_output=args.show_output,
                        timeout=args.timeout,
                    ),
                )
            )

    ok = True
    report_parts: list[str] = []
    all_comparisons: list[Comparison] = []
    for label, prefix, run in runs:
        comparison = compare(
            run.outcomes, run.collected, expected.entries, scope_prefixes=[prefix], full_run=full_run
        )
        # Each suite judges only its own listed ids.
        comparison.not_run = [n for n in comparison.not_run if n.startswith(prefix)]
        comparison.fixed = [n for n in comparison.fixed if n.startswith(prefix)]
        comparison.listed_not_failing = [n for n in comparison.listed_not_failing if n.startswith(prefix)]
        all_comparisons.append(comparison)
        print(f"pytest ({label}): {run.summary}")
        print(render_report(label, comparison, expected.entries, run.details, full=False))
        report_parts.append(f"pytest ({label}): {run.summary}\n")
        report_parts.append(render_report(label, comparison, expected.entries, run.details, full=True) + "\n")
        if run.exitstatus not in (0, 1):
            print(f"{label}: pytest exited with status {run.exitstatus} (see {cache_dir}/*pytest-output.txt)")
            ok = False
        ok = ok and comparison.ok

    report_file = cache_dir / "report.txt"
    partial_report = report_file.with_name(f"report.txt.{os.getpid()}")
    partial_report.write_text("\n".join(report_parts), encoding="utf-8")
    os.replace(partial_report, report_file)
    print(f"full report: {report_file}")

    if args.update:
        merged = _merge_for_update(expected, all_comparisons, [prefix for _, prefix, _ in runs])
        # Each file gets its own ids back; the extensions' file is rewritten only when their suites ran.
        targets = [(args.expected, expected.header, False)]
        if args.extensions:
            targets.append((args.extensions_expected, extensions_expected.header, True))
        for path, header, extension_ids in targets:
            entries = {
                n: r for n, r in merged.entries.items() if n.startswith(EXTENSIONS_PREFIX) == extension_ids
            }
            path.write_text(format_expected(ExpectedList(entries, header)), encoding="utf-8")
            print(f"updated {path} ({len(entries)} entries)")
        return 0
    if not ok:
        print(
            "flask suite: FAILED (see above; developers: tests/flask_suite/run.py --update rewrites the list)"
        )
        return 1
    return 0


def _read_expected(path: Path) -> ExpectedList:
    return parse_expected(path.read_text(encoding="utf-8")) if path.exists() else ExpectedList({}, [])


def _merge_for_update(
    expected: ExpectedList, comparisons: list[Comparison], prefixes: list[str]
) -> ExpectedList:
    """One new list from each suite's comparison; ids of suites that did not run are kept unchanged."""
    entries = {n: r for n, r in expected.entries.items() if not n.startswith(tuple(prefixes))}
    for comparison in comparisons:
        entries.update(updated_list(expected, comparison).entries)
    return ExpectedList(entries, expected.header)


if __name__ == "__main__":
    sys.exit(main())
