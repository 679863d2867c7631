"""Runs of more than 1,000 compliance tests keep pytest's outputs to what stays fast (issue: performance).

pytest's failure summary is quadratic in the number of reports and pytest-html's report
of thousands of rows takes a browser minutes to open: above ``QUIET_ABOVE`` tests the
run reports failures one line each, and report.html points to audit.html unless the
user asked for pytest-html's report on the command line.
"""

import json
import shutil

import pytest

from mailtests.plugin import QUIET_ABOVE
from tests.demo import DEMO_ZONES

pytest_plugins = ["pytester"]

HTML = "--html=reports/report.html"


@pytest.fixture
def large(pytester: pytest.Pytester):
    """A folder whose domains file lists enough names (hosts in the demo's example.net zone) for a large run."""
    shutil.copytree(DEMO_ZONES, pytester.path / "zones")
    count = QUIET_ABOVE // 30 + 2
    names = "".join(f"  - host{i}.example.net\n" for i in range(count))
    pytester.makefile(".yaml", domains=f"zones: [zones]\noffline: true\ndomains:\n{names}")

    def run(*args: str, addopts: str = "") -> pytest.RunResult:
        return pytester.runpytest_subprocess("--pyargs", "mailtests", "-p", "no:cacheprovider", "-o",
                                             f"addopts={addopts}", *args)

    return run


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["one process", "xdist"])
def test_a_large_run_points_report_html_to_audit_html(large, pytester, workers):
    run = large(*workers, addopts=f"{HTML} --self-contained-html")
    assert run.ret == pytest.ExitCode.TESTS_FAILED
    page = (pytester.path / "reports" / "report.html").read_text(encoding="utf-8")
    assert '<a href="audit.html">audit.html</a>' in page and "pytest-html" in page and "<script" not in page
    assert len(page) < 4000
    assert (pytester.path / "reports" / "audit.html").stat().st_size > 100_000
    run.stdout.fnmatch_lines(["report.html: *report.html points to audit.html*"])
    assert "Generated html report" not in run.stdout.str()
    # failures one line each, in the mailtests summary; no tracebacks, no short summary of each failure
    assert "AssertionError" not in run.stdout.str() and "short test summary info" not in run.stdout.str()
    run.stdout.fnmatch_lines(["FAIL  host0.example.net mx.present: *"])


CARRIED = """
import pytest
from mailtests.runkeys import RECORD_PROPERTY

controller = False

def pytest_configure(config):
    global controller
    controller = not hasattr(config, "workerinput")

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report):
    if controller:
        with open("carried.txt", "a") as fh:
            fh.write(f"{sum(1 for name, _ in report.user_properties if name == RECORD_PROPERTY)}\\n")
"""


@pytest.mark.parametrize("html", ["ini", "command line"])
def test_xdist_workers_send_a_large_runs_records_once_at_the_end(large, pytester, html):
    """Without pytest-html's rows (a large run) xdist's workers send their records at the end, each DNS answer once,
    not with each test's report: execnet's pure-Python serializer took 60 % of the controller's time at 1,000
    domains. With ``--html`` on the command line pytest-html's rows still read them from the reports."""
    pytester.makeconftest(CARRIED)
    args = ("-n", "2", HTML) if html == "command line" else ("-n", "2")
    run = large(*args, addopts=f"{HTML} --self-contained-html")
    assert run.ret == pytest.ExitCode.TESTS_FAILED
    carried = [int(n) for n in (pytester.path / "carried.txt").read_text().split()]
    results = json.loads((pytester.path / "reports" / "results.json").read_text(encoding="utf-8"))["results"]
    assert len(carried) > QUIET_ABOVE  # every test's report reached the controller
    assert len(results) > QUIET_ABOVE and len({r["domain"] for r in results}) == QUIET_ABOVE // 30 + 2
    if html == "ini":
        assert sum(carried) == 0
    else:
        assert sum(carried) == len(results)


def test_html_on_the_command_line_still_writes_pytest_htmls_report(large, pytester):
    run = large(HTML, "--self-contained-html")
    assert run.ret == pytest.ExitCode.TESTS_FAILED
    page = (pytester.path / "reports" / "report.html").read_text(encoding="utf-8")
    assert "pytest-html" in page and "data-jsonblob" in page and len(page) > 100_000
    assert "points to audit.html" not in run.stdout.str()


def test_the_traceback_style_the_user_chose_is_kept(large):
    run = large("-p", "no:html", "--tb=line", "-k", "mx_present")
    assert run.ret == pytest.ExitCode.TESTS_FAILED
    run.stdout.fnmatch_lines(["*suite/test_mx.py:*: AssertionError: *host0.example.net*"])


def test_a_small_run_keeps_pytest_htmls_report_from_the_ini_file(large, pytester):
    (pytester.path / "domains.yaml").write_text("zones: [zones]\noffline: true\ndomains: [example.com]\n")
    run = large(addopts=f"{HTML} --self-contained-html")
    assert run.ret == pytest.ExitCode.OK
    assert "data-jsonblob" in (pytester.path / "reports" / "report.html").read_text(encoding="utf-8")
