"""The suite as a user runs it: pytest with the mailtests plugin, on zone files (no network)."""

import json
import os
import shutil
import sys

import pytest

from mailtests.results import evidence_of
from tests.demo import DEMO_DOMAINS, DEMO_ZONES

pytest_plugins = ["pytester"]



@pytest.fixture
def audit(pytester: pytest.Pytester):
    """Run the suite in a fresh folder holding a domains file and the demo zones."""
    shutil.copytree(DEMO_ZONES, pytester.path / "zones")
    pytester.makefile(".yaml", domains=DEMO_DOMAINS)

    def run(*args: str, domains: str | None = None) -> pytest.RunResult:
        if domains is not None:
            (pytester.path / "domains.yaml").write_text(domains, encoding="utf-8")
        options = ("-o", "addopts=", "-p", "no:cacheprovider", "-p", "no:html")
        # a subprocess, as a user runs it: an in-process run would share (and drop) imported modules
        return pytester.runpytest_subprocess("--pyargs", "mailtests", *options, *args)

    return run


def results(pytester: pytest.Pytester) -> dict:
    return json.loads((pytester.path / "reports" / "results.json").read_text(encoding="utf-8"))


def test_one_test_per_domain_and_check_named_by_the_catalog(audit):
    run = audit("--collect-only", "-q")
    ids = {line.split("::")[-1] for line in run.outlines if "::" in line}
    assert {"test_mx_present[example.com]", "test_mx_resolve[example.net]", "test_spf_present[example.org]",
            "test_ns_present[example.org]"} <= ids


def test_k_picks_a_domain_and_m_an_area(audit):
    run = audit("--collect-only", "-q", "-k", "example.net", "-m", "spf")
    selected = [line for line in run.outlines if "::" in line]
    assert selected and all("[example.net]" in line and "test_spf_" in line for line in selected)


def test_the_demo_gives_the_outcomes_the_catalog_predicts(audit, pytester):
    run = audit()
    assert run.ret == pytest.ExitCode.TESTS_FAILED
    outcomes = {(r["domain"], r["check"]): r["outcome"] for r in results(pytester)["results"]}
    assert outcomes[("example.com", "mx.resolve")] == "pass"
    assert outcomes[("example.net", "mx.resolve")] == "fail"  # the MX host has no address
    assert outcomes[("example.net", "spf.present")] == "fail"  # no v=spf1 record
    assert outcomes[("example.org", "mx.present")] == "warn"  # implicit MX
    assert outcomes[("example.org", "mx.resolve")] == "skip"
    run.stdout.fnmatch_lines(["*FAIL*example.net mx.resolve: MX host(s) of example.net without an A or AAAA*"])


def test_every_record_carries_its_evidence_and_the_run_its_metadata(audit, pytester):
    audit()
    doc = results(pytester)
    for record in doc["results"]:
        assert set(record) >= {"domain", "check", "severity", "outcome", "message", "evidence"}
        assert record["outcome"] in {"pass", "fail", "warn", "skip", "error"}
    mx = next(r for r in doc["results"] if (r["domain"], r["check"]) == ("example.com", "mx.present"))
    first = evidence_of(doc, mx)[0]
    assert first["server"].startswith("zone:") and first["records"] and first["type"] == "MX"
    run = doc["run"]
    assert run["started"] <= run["finished"] and run["offline"] is True
    assert len(run["domains_file_sha256"]) == 64 and run["versions"]["dnspython"]


@pytest.mark.parametrize("mode", ["threads", "off"])
def test_the_warm_up_changes_nothing_but_speed(audit, pytester, mode):
    def comparable(doc):
        out = []
        for r in doc["results"]:
            evidence = [{k: v for k, v in e.items() if k != "time_ms"} for e in evidence_of(doc, r)]
            out.append({**r, "evidence": evidence})
        return out

    audit()  # the default: where it can, a warm-up process streams the results
    default = results(pytester)
    # the run's own process decides, where it has one thread: Linux with 2+ cores (the default pairs from 20 domains)
    can_fork = sys.platform == "linux" and hasattr(os, "fork") and (os.cpu_count() or 1) > 1
    assert default["run"]["warmup"] == ("process" if can_fork else "threads")
    audit(f"--warmup={mode}")
    other = results(pytester)
    assert other["run"]["warmup"] == mode
    assert comparable(default) == comparable(other)
    assert default["run"]["dns_questions"]["sent"] == other["run"]["dns_questions"]["sent"]


def test_a_warning_passes_unless_warnings_are_made_failures(audit):
    run = audit("-k", "test_mx_present and example.org")
    assert run.ret == pytest.ExitCode.OK and run.parseoutcomes()["passed"] == 1
    run.stdout.fnmatch_lines(["*ComplianceWarning: mx.present [[]example.org[]]: example.org publishes no MX*"])
    assert audit("-k", "test_mx_present and example.org", "--fail-on-warn").ret == pytest.ExitCode.TESTS_FAILED
    strict = audit("-k", "test_mx_present and example.org", "-W", "error::mailtests.ComplianceWarning")
    assert strict.ret == pytest.ExitCode.TESTS_FAILED


def test_a_broken_domains_file_is_one_line_naming_file_line_and_key(audit):
    run = audit(domains="domains:\n  - name: example.com\n    sending_ips: [192.0.2.1, 300.1.2.3]\n")
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    run.stderr.fnmatch_lines(
        ["ERROR: *domains.yaml:3: example.com: sending_ips[[]1[]]: '300.1.2.3' is not an IP address"]
    )
    assert "Traceback" not in run.stdout.str() + run.stderr.str()


def test_unicode_domains_become_lowercase_a_labels_in_test_ids(audit):
    run = audit("--collect-only", "-q", domains="zones: [zones]\noffline: true\ndomains: [Bücher.EXAMPLE.com]\n")
    assert any("[xn--bcher-kva.example.com]" in line for line in run.outlines)


def test_an_unreachable_resolver_stops_the_run_at_once_with_one_message(audit, pytester):
    """At once: no domain's check runs (none waits for its own timeouts), only the resolver's record is kept
    (a timing bound here flaked on a loaded machine: the records say it without a clock)."""
    run = audit("--resolver", "127.0.0.1:9", "--dns-timeout", "1", domains="domains: [example.com]\n")
    assert run.ret == pytest.ExitCode.INTERRUPTED
    run.stdout.fnmatch_lines(["*no configured resolver answers (127.0.0.1:9: *"])
    assert [r["check"] for r in results(pytester)["results"]] == ["resolver.reachable"]


def test_junitxml_carries_the_check_and_outcome(audit, pytester):
    audit("--junitxml", "junit.xml", "-k", "example.net")
    xml = (pytester.path / "junit.xml").read_text(encoding="utf-8")
    assert 'name="check" value="mx.resolve"' in xml and 'name="outcome" value="fail"' in xml
    assert "mailtests_result" not in xml


def test_offline_without_zone_files_is_a_usage_error(audit):
    run = audit("--offline", domains="domains: [example.com]\n")
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    run.stderr.fnmatch_lines(["ERROR: --offline asks only zone files: give --zones PATH*"])


def test_skip_marks_added_to_a_compliance_test_are_honoured(audit, pytester):
    """A compliance test runs a lean protocol, except where pytest's per-phase hooks have work: a skip mark."""
    pytester.makepyfile(skipper="""
        import pytest

        def pytest_collection_modifyitems(items):
            for item in items:
                if item.name == "test_mx_resolve[example.net]":
                    item.add_marker(pytest.mark.skip(reason="known, ticket 42"))
    """)
    run = audit("-p", "skipper", "-rs", "-k", "mx_resolve")
    run.assert_outcomes(passed=1, skipped=2)  # example.org's is skipped by its check (no MX)
    run.stdout.fnmatch_lines(["*known, ticket 42*"])


def test_exitfirst_stops_at_the_first_failure(audit):
    run = audit("-x", "-k", "example.net")
    assert run.ret == pytest.ExitCode.TESTS_FAILED
    run.stdout.fnmatch_lines(["*stopping after 1 failures*"])
    assert run.parseoutcomes()["failed"] == 1
