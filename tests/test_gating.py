"""Gating a zone repository: the proposed zone files against live DNS (the lab), regressions first."""

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest

import mailtests

pytest_plugins = ["pytester"]

LAB_ZONES = Path(__file__).parent / "lab" / "zones"

DOMAINS = """\
zones: [zones]
domains:
  - name: healthy.com
    sending_ips: [192.0.2.10]
    helo: mx1.healthy.com
  - name: mx-noaddr.com
    sending_ips: [192.0.2.31]
    helo: out.mx-noaddr.com
  - name: no-mx.com
    sending_ips: [192.0.2.27]
    helo: mail.no-mx.com
"""


def propose(root: Path, edits: dict[str, list[tuple[str, str]]]) -> Path:
    """Copy the lab's live zones of the domains under test into root/zones, with edits applied."""
    zones = root / "zones"
    zones.mkdir()
    for zone in ("healthy.com", "mx-noaddr.com", "no-mx.com"):
        text = (LAB_ZONES / f"{zone}.zone").read_text(encoding="utf-8")
        for old, new in edits.get(zone, []):
            assert old in text, f"{old!r} not in {zone}"
            text = text.replace(old, new)
        (zones / f"{zone}.zone").write_text(text, encoding="utf-8")
    (root / "domains.yaml").write_text(DOMAINS, encoding="utf-8")
    return zones


BREAK_MX = ("@\tIN\tMX\t10 mx1\n", "@\tIN\tMX\t10 mx3\n")  # mx3 has no address
DROP_NS = ("@\tIN\tNS\tns2.dnsprovider.net.\n", "")
FIX_MX = ("$TTL 3600\n", "$TTL 3600\nmail\tIN\tA\t192.0.2.31\n")


@pytest.fixture
def gate(pytester: pytest.Pytester, lab):
    def run(*args: str) -> tuple[pytest.RunResult, dict]:
        options = ("-o", "addopts=", "-p", "no:cacheprovider", "-p", "no:html", "-m", "not dnsbl")
        result = pytester.runpytest_subprocess("--pyargs", "mailtests", "--resolver", "127.53.0.53", *options, *args)
        doc = json.loads((pytester.path / "reports" / "results.json").read_text(encoding="utf-8"))
        return result, {(r["domain"], r["check"]): r for r in doc["results"]}

    return run


def test_each_result_is_marked_against_live_dns(gate, pytester):
    propose(pytester.path, {"healthy.com": [BREAK_MX, DROP_NS], "mx-noaddr.com": [FIX_MX]})
    run, results = gate("--compare-live")
    assert results[("healthy.com", "mx.resolve")]["change"] == "regression"
    assert results[("healthy.com", "ns.count")]["change"] == "regression"  # a new WARN is a regression too
    assert results[("mx-noaddr.com", "mx.resolve")]["change"] == "fixed"
    assert results[("no-mx.com", "mx.present")]["change"] == "still failing"
    assert results[("healthy.com", "spf.present")]["change"] == "unchanged"
    assert run.ret == pytest.ExitCode.TESTS_FAILED


def test_the_reports_show_the_regressions_first(gate, pytester):
    propose(pytester.path, {"healthy.com": [BREAK_MX], "mx-noaddr.com": [FIX_MX]})
    gate("--compare-live")
    reports = pytester.path / "reports"
    schema = json.loads((Path(mailtests.__file__).parent / "data" / "results.schema.json").read_text("utf-8"))
    jsonschema.validate(json.loads((reports / "results.json").read_text("utf-8")), schema)
    page = (reports / "audit.html").read_text(encoding="utf-8")
    changes = page[page.index('id="changes"'):page.index('id="matrix"')]
    assert changes.index("regression") < changes.index("fixed")
    assert "healthy.com" in changes and "mx.resolve" in changes
    matrix = page[page.index('id="matrix"'):page.index('id="checks"')]
    assert matrix.index("healthy.com") < matrix.index("no-mx.com")  # the regressed domain leads


def test_a_regression_names_the_zone_file_line_that_caused_it(gate, pytester):
    propose(pytester.path, {"healthy.com": [BREAK_MX]})
    run, results = gate("--compare-live")
    mx = results[("healthy.com", "mx.resolve")]
    line = next(n for n, text in enumerate((pytester.path / "zones" / "healthy.com.zone").read_text().splitlines(), 1)
                if re.match(r"@\s+IN\s+MX\s+10 mx3", text))
    assert f"zones/healthy.com.zone:{line}: healthy.com. MX 10 mx3.healthy.com." in mx["details"]["zone_changes"]
    assert f"healthy.com.zone:{line}" in mx["message"]
    assert mx["live"]["outcome"] == "pass"
    summary = run.stdout.str().split("mailtests summary", 1)[1].splitlines()
    assert "healthy.com mx.resolve [regression]" in summary[1]  # regressions come first


PER = pytest.mark.parametrize("per", ["--test-per=check", "--test-per=domain"])


@PER
def test_fail_on_regression_gates_only_what_the_change_breaks(gate, pytester, per):
    propose(pytester.path, {"mx-noaddr.com": [FIX_MX]})  # a fix; no-mx.com stays broken as it is live
    run, results = gate("--compare-live", "--fail-on", "regression", per)
    assert results[("no-mx.com", "mx.present")]["outcome"] == "fail"
    assert run.ret == pytest.ExitCode.OK
    assert run.parseoutcomes()["xfailed"] >= 1  # no-mx.com's failures: not regressions of the proposed zones
    assert gate("--compare-live", per)[0].ret == pytest.ExitCode.TESTS_FAILED  # --fail-on any, the default


@PER
def test_fail_on_regression_fails_on_a_regression(gate, pytester, per):
    propose(pytester.path, {"healthy.com": [BREAK_MX]})
    run, _ = gate("--compare-live", "--fail-on", "regression", per)
    assert run.ret == pytest.ExitCode.TESTS_FAILED
    assert run.parseoutcomes()["failed"] == 1


def test_server_checks_skip_in_zone_mode_and_run_live_when_comparing(gate, pytester):
    propose(pytester.path, {})
    _, zone_only = gate()
    assert zone_only[("healthy.com", "ns.authoritative")]["outcome"] == "skip"
    _, compared = gate("--compare-live")
    assert compared[("healthy.com", "ns.authoritative")]["outcome"] == "pass"
    assert "live servers" in compared[("healthy.com", "ns.authoritative")]["message"]


def test_compare_live_needs_zone_files(pytester):
    pytester.makefile(".yaml", domains="domains: [healthy.com]\n")
    run = pytester.runpytest_subprocess("--pyargs", "mailtests", "-p", "no:html", "--compare-live",
                                        "--resolver", "127.0.0.1")
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    run.stderr.fnmatch_lines(["ERROR: --compare-live compares the zone files with live DNS*"])


def test_zone_syntax_errors_stop_the_run_before_any_check(pytester):
    zones = pytester.path / "zones"
    zones.mkdir()
    shutil.copy(LAB_ZONES / "healthy.com.zone", zones)
    (zones / "broken.com.zone").write_text(
        "$ORIGIN broken.com.\n$TTL 3600\n@ IN SOA ns1.broken.com. h.broken.com. 1 2 3 4 5\n@ IN NS ns1\n"
        "ns1 IN A 192.0.2.300\n", encoding="utf-8")
    pytester.makefile(".yaml", domains="zones: [zones]\noffline: true\ndomains: [healthy.com]\n")
    run = pytester.runpytest_subprocess("--pyargs", "mailtests", "-p", "no:html", "-o", "addopts=")
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    run.stderr.fnmatch_lines(["ERROR: *broken.com.zone:5: *"])
    assert not (pytester.path / "reports" / "results.json").exists()


WEAKEN_DMARC = ('"v=DMARC1; p=reject; rua=mailto:dmarc-reports@healthy.com"',
                '"v=DMARC1; p=none; rua=mailto:dmarc-reports@healthy.com"')


def test_a_dmarc_regression_names_its_zone_file_line(gate, pytester):
    propose(pytester.path, {"healthy.com": [WEAKEN_DMARC]})
    run, results = gate("--compare-live", "-m", "dmarc")
    policy = results[("healthy.com", "dmarc.policy")]
    assert policy["change"] == "regression" and policy["live"]["outcome"] == "pass" and policy["outcome"] == "warn"
    line = next(n for n, text in enumerate((pytester.path / "zones" / "healthy.com.zone").read_text().splitlines(), 1)
                if text.startswith("_dmarc"))
    assert f"zones/healthy.com.zone:{line}: _dmarc.healthy.com. TXT" in policy["message"]
    assert results[("healthy.com", "dmarc.present")]["change"] == "unchanged"
