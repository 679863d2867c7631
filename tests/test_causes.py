"""One line per cause: the checks of a domain that fail for one reason are one line, results.json one record each."""

from __future__ import annotations

from mailtests.audit_html import render_audit
from mailtests.causes import cause_of
from mailtests.summary import summary_lines

CAUSE = "DNS lookup failed, so {} could not be checked: dead-ns.example. {}: TIMEOUT (no answer within 2 s) from " \
        "192.0.2.53:53"


def record(check: str, outcome: str, message: str, domain: str = "dead-ns.example", evidence=()) -> dict:
    return {"domain": domain, "check": check, "severity": "FAIL", "outcome": outcome, "message": message,
            "reference": "RFC 1034 §4.2.1", "requirement": "r", "evidence": list(evidence), "details": {}}


def dead_ns_records(n: int = 25) -> list[dict]:
    checks = [f"area{i % 5}.check-{i}" for i in range(n)]
    return [record(c, "error", CAUSE.format(c, ("NS", "MX", "TXT")[i % 3]), evidence=[0]) for i, c in enumerate(checks)]


def test_the_cause_leaves_out_the_check_and_the_question():
    cause, question = cause_of(record("mx.present", "error", CAUSE.format("mx.present", "MX")))
    assert cause == "TIMEOUT (no answer within 2 s) from 192.0.2.53:53" and question == "dead-ns.example. MX"
    assert cause_of(record("mx.present", "fail", "no MX")) == ("no MX", "")


def test_25_errors_of_one_cause_are_one_line():
    lines = summary_lines(dead_ns_records())
    assert len(lines) == 1
    assert lines[0].startswith("ERROR dead-ns.example: 25 checks could not run: TIMEOUT (no answer within 2 s) from "
                               "192.0.2.53:53 (asked: dead-ns.example. NS, dead-ns.example. MX, dead-ns.example. TXT;")


def test_identical_messages_group_and_different_ones_do_not():
    bogus = "the DNSSEC chain of example.com is bogus: RRSIG expired"
    records = [record(c, "fail", bogus, "example.com") for c in ("mx.present", "spf.present", "dmarc.present")]
    records.append(record("ns.count", "warn", "one name server", "example.com"))
    records.append(record("mx.resolve", "fail", "MX host without address", "example.com"))
    lines = summary_lines(records)
    assert lines == [
        "FAIL  example.com: 3 checks failed: the DNSSEC chain of example.com is bogus: RRSIG expired "
        "(dmarc.present, mx.present, spf.present)",
        "FAIL  example.com mx.resolve: MX host without address",
        "WARN  example.com ns.count: one name server",
    ]


def test_one_cause_in_two_domains_is_a_line_each():
    records = dead_ns_records(3) + [dict(r, domain="other.example") for r in dead_ns_records(3)]
    assert len(summary_lines(records)) == 2


def test_audit_html_gives_a_cause_one_row():
    answers = [{"name": "dead-ns.example.", "type": "NS", "rcode": "TIMEOUT", "server": "192.0.2.53:53",
                "time_ms": 2000.0, "authoritative": False, "error": "no answer within 2 s", "records": []}]
    records = dead_ns_records() + [record("mx.resolve", "fail", "MX <b>host</b> without address")]
    html = "".join(render_audit({"run": {}, "summary": {"error": 25, "fail": 1}, "answers": answers,
                                 "results": records}))
    assert html.count("25 checks could not run: TIMEOUT") == 1 and "could not be checked" not in html
    assert 'href="#c-area0.check-0"' in html
    assert "MX &lt;b&gt;host&lt;/b&gt; without address" in html
