"""Plain pytest and path options: `--domains /abs/path` (two tokens) never silently collects other tests.

pytest reads a separate option value that names an existing path as a test path when it
chooses its root folder; the plugin stops that spelling with a usage error (exit 4) when it
could change what is collected, and `--domains=/abs/path` always audits the file.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.demo import DEMO_DOMAINS, DEMO_ZONES

ROOT = Path(__file__).resolve().parents[1]


def pytest_run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:html", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def audit_folder(tmp_path_factory) -> Path:
    """Somewhere outside the project: the demo's domains file and zones."""
    folder = tmp_path_factory.mktemp("audit")
    shutil.copytree(DEMO_ZONES, folder / "zones")
    (folder / "domains.yaml").write_text(DEMO_DOMAINS, encoding="utf-8")
    return folder


@pytest.fixture
def user_folder(tmp_path_factory) -> Path:
    """A folder with a failing test of its own, where a user runs pytest."""
    folder = tmp_path_factory.mktemp("user")
    (folder / "test_mine.py").write_text("def test_mine():\n    assert False, 'collected'\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("option, target", [("--domains", "domains.yaml"), ("--zones", "zones"),
                                            ("--reports", "zones")])
def test_a_separate_path_outside_the_project_folder_is_a_usage_error(audit_folder, option, target):
    path = str(audit_folder / target)
    done = pytest_run(ROOT, option, path, "--collect-only", "-q")
    assert done.returncode == 4, done.stdout[-2000:]
    assert f"write {option}={path}" in done.stderr
    assert "tests/" not in done.stdout


def test_the_same_path_with_equals_audits_it_in_the_project_folder(audit_folder):
    done = pytest_run(ROOT, "-o", "addopts=", f"--domains={audit_folder / 'domains.yaml'}", "--collect-only", "-q")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    ids = [line for line in done.stdout.splitlines() if "::" in line]
    assert ids and all(line.startswith("mailtests/suite/test_") for line in ids)
    assert any("[example.net]" in line for line in ids)


def test_a_separate_relative_path_inside_the_project_folder_still_works():
    done = pytest_run(ROOT, "-o", "addopts=", "--domains", "domains.yaml", "--collect-only", "-q")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert all(line.startswith("mailtests/suite/") for line in done.stdout.splitlines() if "::" in line)


@pytest.mark.parametrize("spelling", ["separate", "equals"])
def test_outside_the_project_folder_pyargs_audits_the_file_in_both_spellings(audit_folder, user_folder, spelling):
    path = str(audit_folder / "domains.yaml")
    domains = ["--domains", path] if spelling == "separate" else [f"--domains={path}"]
    done = pytest_run(user_folder, "--pyargs", "mailtests", *domains)
    assert done.returncode == 1, done.stdout[-2000:]
    assert "test_mine" not in done.stdout
    assert "FAIL  example.net mx.resolve" in done.stdout


def test_outside_the_project_folder_without_test_paths_the_separate_spelling_stops(audit_folder, user_folder):
    done = pytest_run(user_folder, "--domains", str(audit_folder / "domains.yaml"))
    assert done.returncode == 4
    assert "test_mine" not in done.stdout and "write --domains=" in done.stderr
