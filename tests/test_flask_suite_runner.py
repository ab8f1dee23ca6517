"""The Flask conformance runner's bookkeeping, checked on a fake list and a fake suite."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

RUNNER_PATH = Path(__file__).parent / "flask_suite" / "run.py"


def load_runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("flask_suite_run", RUNNER_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


runner = load_runner()

LIST_TEXT = """\
# header line one
# header line two

tests/test_a.py::test_one  # reason one
tests/test_a.py::test_two[x-y]   #   reason two
# a comment between entries
tests/test_b.py::TestC::test_three
"""


def test_parse_expected_reads_ids_reasons_and_header() -> None:
    parsed = runner.parse_expected(LIST_TEXT)
    assert parsed.entries == {
        "tests/test_a.py::test_one": "reason one",
        "tests/test_a.py::test_two[x-y]": "reason two",
        "tests/test_b.py::TestC::test_three": "",
    }
    assert parsed.header == ["# header line one", "# header line two"]


def test_parse_expected_rejects_duplicates() -> None:
    with pytest.raises(ValueError, match="listed twice"):
        runner.parse_expected("tests/a.py::t  # x\ntests/a.py::t  # y\n")


def test_format_then_parse_round_trips() -> None:
    parsed = runner.parse_expected(LIST_TEXT)
    text = runner.format_expected(parsed)
    assert runner.parse_expected(text).entries == {
        **parsed.entries,
        "tests/test_b.py::TestC::test_three": "TODO reason",
    }
    assert text.startswith(
        "# header line one\n# header line two\n\ntests/test_a.py::test_one  # reason one\n"
    )


def compare(outcomes: dict[str, str], expected: dict[str, str], *, full_run: bool = True) -> object:
    return runner.compare(outcomes, outcomes, expected, scope_prefixes=["tests/"], full_run=full_run)


def test_compare_flags_unexpected_fixed_and_stale() -> None:
    outcomes = {
        "tests/a.py::ok": "passed",
        "tests/a.py::listed_fails": "failed",
        "tests/a.py::new_failure": "failed",
        "tests/a.py::setup_error": "error",
        "tests/a.py::listed_passes": "passed",
        "tests/a.py::skipped": "skipped",
    }
    expected = {
        "tests/a.py::listed_fails": "r",
        "tests/a.py::listed_passes": "r",
        "tests/a.py::skipped": "r",
        "tests/a.py::gone": "r",
        "examples/tutorial/tests/test_x.py::t": "other suite",
    }
    result = compare(outcomes, expected)
    assert result.unexpected == ["tests/a.py::new_failure", "tests/a.py::setup_error"]
    assert result.fixed == ["tests/a.py::listed_passes"]
    assert result.stale == ["tests/a.py::gone"]
    assert result.listed_not_failing == ["tests/a.py::skipped"]
    assert result.not_run == ["examples/tutorial/tests/test_x.py::t"]
    assert not result.ok


def test_compare_partial_run_reports_missing_as_not_run() -> None:
    result = compare({"tests/a.py::t": "passed"}, {"tests/b.py::u": "r"}, full_run=False)
    assert result.stale == []
    assert result.not_run == ["tests/b.py::u"]
    assert result.ok


def test_compare_file_that_failed_to_collect_hides_its_tests() -> None:
    outcomes = {"tests/broken.py": "error"}
    expected = {"tests/broken.py": "imports a missing name", "tests/broken.py::test_x": "r"}
    result = compare(outcomes, expected)
    assert result.ok
    assert result.not_run == ["tests/broken.py::test_x"]


def test_updated_list_keeps_reasons_and_marks_new() -> None:
    expected = runner.ExpectedList({"tests/a.py::old": "known", "tests/a.py::fixed": "was broken"}, ["# h"])
    outcomes = {"tests/a.py::old": "failed", "tests/a.py::fixed": "passed", "tests/a.py::new": "error"}
    new = runner.updated_list(expected, compare(outcomes, expected.entries))
    assert new.entries == {"tests/a.py::old": "known", "tests/a.py::new": "TODO reason"}
    assert new.header == ["# h"]


def test_totals_line() -> None:
    outcomes = {"tests/a.py::p": "passed", "tests/a.py::f": "failed", "tests/a.py::s": "skipped"}
    line = runner.totals_line("flask suite", outcomes, {"tests/a.py::f": "r"})
    assert line == "flask suite: 1 passed, 1 failed (1 expected), 1 skipped"


# -- end to end, with a fake sdist whose tests import flask ------------------------------------------------

FAKE_TESTS = {
    "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["tests"]\nfilterwarnings = ["error"]\n',
    "tests/conftest.py": "import flask\n",
    "tests/test_fake.py": textwrap.dedent(
        """
        import erlen
        import flask
        import pytest


        def test_flask_is_erlen():
            assert flask is erlen


        def test_fails():
            assert False


        @pytest.fixture
        def broken():
            raise RuntimeError("setup breaks")


        def test_setup_error(broken):
            pass


        @pytest.mark.skip(reason="not here")
        def test_skipped():
            pass
        """
    ),
}


@pytest.fixture
def fake_sdist(tmp_path: Path) -> Path:
    root = tmp_path / "fake-sdist"
    for name, text in FAKE_TESTS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def run_runner(tmp_path: Path, sdist: Path, expected: str, *args: str) -> subprocess.CompletedProcess[str]:
    list_file = tmp_path / "expected.txt"
    if not list_file.exists():
        list_file.write_text(expected)
    return subprocess.run(
        [
            sys.executable,
            str(RUNNER_PATH),
            *("--sdist", str(sdist), "--cache-dir", str(tmp_path / "cache"), "--expected", str(list_file)),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


MATCHING_LIST = "# fake\ntests/test_fake.py::test_fails  # on purpose\ntests/test_fake.py::test_setup_error  # on purpose\n"


def test_runner_passes_when_failures_match_the_list(tmp_path: Path, fake_sdist: Path) -> None:
    result = run_runner(tmp_path, fake_sdist, MATCHING_LIST)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "flask suite: 1 passed, 2 failed (2 expected), 1 skipped" in result.stdout
    assert "pytest (flask suite): 1 failed, 1 passed, 1 skipped, 1 error" in result.stdout
    assert "tests/test_fake.py       1       2        1       2" in result.stdout
    assert (tmp_path / "cache" / "report.txt").read_text().count("on purpose") == 2


def test_runner_fails_on_unlisted_failure(tmp_path: Path, fake_sdist: Path) -> None:
    result = run_runner(tmp_path, fake_sdist, "tests/test_fake.py::test_fails  # on purpose\n")
    assert result.returncode == 1
    assert "UNEXPECTED FAILURES" in result.stdout
    assert "tests/test_fake.py::test_setup_error" in result.stdout
    assert "setup breaks" in result.stdout


def test_runner_fails_when_listed_test_passes_or_is_gone(tmp_path: Path, fake_sdist: Path) -> None:
    listed = (
        MATCHING_LIST + "tests/test_fake.py::test_flask_is_erlen  # x\ntests/test_fake.py::test_gone  # x\n"
    )
    result = run_runner(tmp_path, fake_sdist, listed)
    assert result.returncode == 1
    assert "LISTED BUT NOW PASSING" in result.stdout
    assert "LISTED BUT NO LONGER EXIST" in result.stdout


def test_runner_selection_does_not_call_unrun_ids_stale(tmp_path: Path, fake_sdist: Path) -> None:
    result = run_runner(tmp_path, fake_sdist, MATCHING_LIST + "tests/other.py::t  # x\n", "test_fake.py")
    assert result.returncode == 0, result.stdout + result.stderr
    result = run_runner(tmp_path, fake_sdist, "", "-k", "flask_is_erlen")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "flask suite: 1 passed, 0 failed (0 expected)" in result.stdout


def test_runner_update_rewrites_the_list(tmp_path: Path, fake_sdist: Path) -> None:
    listed = (
        "# my header\ntests/test_fake.py::test_fails  # known reason\ntests/test_fake.py::test_gone  # x\n"
    )
    result = run_runner(tmp_path, fake_sdist, listed, "--update")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "expected.txt").read_text() == (
        "# my header\n\n"
        "tests/test_fake.py::test_fails  # known reason\n"
        "tests/test_fake.py::test_setup_error  # TODO reason\n"
    )
    assert run_runner(tmp_path, fake_sdist, "").returncode == 0


def test_ensure_sdist_unpacks_whatever_the_top_directory_is_called(tmp_path: Path) -> None:
    # Extension sdists spell their directory differently (Flask-Login-0.6.3, flask_wtf-1.3.0).
    import tarfile

    source = tmp_path / "src" / "Flask_Thing-1.2"
    (source / "tests").mkdir(parents=True)
    (source / "tests" / "test_thing.py").write_text("def test_ok():\n    pass\n")
    archive = tmp_path / "flask_thing-1.2.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source, arcname=source.name)
    cache = tmp_path / "cache"
    unpacked = runner.ensure_sdist(cache, archive, dist="Flask-Thing", version="1.2")
    assert unpacked == cache / "flask-thing-1.2"
    assert (unpacked / "tests" / "test_thing.py").read_text() == "def test_ok():\n    pass\n"
    # A second call finds it unpacked and leaves it alone.
    assert runner.ensure_sdist(cache, None, dist="Flask-Thing", version="1.2") == unpacked


@pytest.mark.parametrize(
    ("name", "text", "found"),
    [
        ("pytest.ini", "", True),
        ("pyproject.toml", "[tool.pytest.ini_options]\naddopts = []\n", True),
        ("pyproject.toml", "[project]\nname = 'x'\n", False),
        ("pyproject.toml", "[tool.pytest]\nminversion = '9.0'\n", True),
        ("pytest.toml", "", True),
        ("tox.ini", "[pytest]\n", True),
        ("tox.ini", "[tox]\nenvlist = py3\n", False),
        ("setup.cfg", "[tool:pytest]\n", True),
        ("setup.cfg", "[metadata]\nname = x\n", False),
    ],
)
def test_has_pytest_config(tmp_path: Path, name: str, text: str, found: bool) -> None:
    (tmp_path / name).write_text(text)
    assert runner.has_pytest_config(tmp_path) is found
