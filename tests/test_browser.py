"""Both reports of a run on hostile DNS data, opened in headless Chromium: no injected script runs.

The zone of markup.example (tests/test_reports.py) holds TXT records that would set
``document.title`` to PWNED or add an element with the id ``pwned`` if they ran as
markup. Chromium loads each report (pytest-html's with its script running) and dumps
the DOM: the title is the report's own, no such element exists, no element carries an
event handler, and the payloads are there as text. Skipped when Chromium is missing,
except in CI (``CI`` set), where a missing Chromium fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_reports import MARKERS, PAYLOADS, run_hostile_suite, scan

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed (CI must run the browser tests: apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return found


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    run_hostile_suite(root)
    return root / "reports"


def open_in_chromium(chromium: str, page: Path, tmp_path: Path, *extra: str) -> str:
    """Load a page headless with a fresh profile and return the DOM after its scripts ran (--dump-dom)."""
    profile = tmp_path / f"profile-{page.stem}-{len(extra)}"
    done = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *extra, "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert done.returncode == 0 and "</html>" in done.stdout, done.stderr[-2000:]
    return done.stdout


def assert_nothing_ran(dom: str, title: str) -> None:
    found = scan(dom)
    shown_title = re.search(r"<title[^>]*>(.*?)</title>", dom, re.S)[1]
    assert "PWNED" not in shown_title and title in shown_title
    for tag, attrs in found.tags:
        assert attrs.get("id") != "pwned" and tag not in ("svg", "iframe"), (tag, attrs)
        assert all(not name.startswith("on") or value == "location.reload()" for name, value in attrs.items()), attrs
        assert not (attrs.get("href") or "").strip().lower().startswith("javascript:"), attrs
        if tag == "img":  # pytest-html's media viewer holds one empty image per row
            assert attrs.get("src") in ("", None), attrs
    for payload in [*PAYLOADS, *MARKERS]:
        assert payload in found.text, payload


def test_audit_html_shows_the_markup_as_text(chromium: str, reports: Path, tmp_path: Path) -> None:
    dom = open_in_chromium(chromium, reports / "audit.html", tmp_path)
    assert_nothing_ran(dom, "mailtests audit")
    assert "markup.example" in scan(dom).text


def test_audit_html_is_safe_without_its_content_security_policy(chromium: str, reports: Path,
                                                               tmp_path: Path) -> None:
    """The policy forbids scripts; the escaping alone must be enough: the page without it is inert too."""
    bare = tmp_path / "audit-no-csp.html"
    html = (reports / "audit.html").read_text(encoding="utf-8")
    bare.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html), encoding="utf-8")
    assert "Content-Security-Policy" not in bare.read_text(encoding="utf-8")
    assert_nothing_ran(open_in_chromium(chromium, bare, tmp_path), "mailtests audit")


def test_pytest_html_report_shows_the_markup_as_text(chromium: str, reports: Path, tmp_path: Path) -> None:
    dom = open_in_chromium(chromium, reports / "report.html", tmp_path)
    assert_nothing_ran(dom, "mailtests compliance report")
    rows = scan(dom)
    assert sum(1 for tag, attrs in rows.tags if tag == "tbody" and "results-table-row" in (attrs.get("class") or "")
               ) > 10  # pytest-html's script rendered the rows


def test_audit_html_renders(chromium: str, reports: Path, tmp_path: Path) -> None:
    """A screenshot of the top of the report: the page lays out and paints (no script needed)."""
    shot = tmp_path / "audit.png"
    subprocess.run([chromium, *FLAGS, f"--user-data-dir={tmp_path / 'profile-shot'}", "--window-size=1280,2000",
                    f"--screenshot={shot}", (reports / "audit.html").as_uri()],
                   capture_output=True, timeout=180, cwd=tmp_path, check=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
