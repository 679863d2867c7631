"""The SPF checks against the DNS lab (tests/lab/README.md).

Every SPF check of every lab domain is asserted, so a check that fires on the wrong
domain fails here too; the same domains read from the zone files must give the same
outcomes; and the suite runs end to end through the plugin.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from mailtests.audit import Audit
from mailtests.catalog import Severity
from mailtests.dnslayer import DnsLayer, Server, WireSource
from mailtests.result import Outcome
from tests.lab.lab import domain_names

P, F, W, S = Outcome.PASS, Outcome.FAIL, Outcome.WARN, Outcome.SKIP
SPF = ("spf.present", "spf.single", "spf.syntax", "spf.lookup-limit", "spf.void-lookups", "spf.includes-valid",
       "spf.all-policy", "spf.no-ptr", "spf.size", "spf.authorizes-senders")

#: domain -> the SPF checks that do not pass there (README: "A check not named in a row passes"). Where the
#: README says "n/a" the outcome this suite gives is pinned here too.
BROKEN: dict[str, dict[str, Outcome]] = {
    "null-mx.com": {"spf.authorizes-senders": S},  # no sending IPs
    "no-spf.com": {"spf.present": F, **{c: S for c in SPF[1:]}},
    "two-spf.com": {"spf.single": F, "spf.authorizes-senders": F},
    "spf-syntax.com": {"spf.syntax": F, "spf.authorizes-senders": F},
    "spf-toomany.com": {"spf.lookup-limit": F},
    "spf-void.com": {"spf.void-lookups": F},
    "spf-badinclude.com": {"spf.includes-valid": F},
    "spf-plusall.com": {"spf.all-policy": F},
    "spf-neutral.com": {"spf.all-policy": W},
    "spf-ptr.com": {"spf.no-ptr": W},
    "spf-big.com": {"spf.size": W},
    "spf-unauth.com": {"spf.authorizes-senders": F},
    "spf-loop.com": {"spf.includes-valid": F, "spf.lookup-limit": F},
}

#: What a finding must say: which name, what is wrong, what to do.
MESSAGES = [
    ("no-spf.com", "spf.present", "no-spf.com publishes no SPF record: add a TXT record"),
    ("no-spf.com", "spf.all-policy", "no-spf.com publishes no SPF record (spf.present reports it)"),
    ("two-spf.com", "spf.single", "two-spf.com publishes 2 SPF records: "),  # in the order the answer gave them
    ("two-spf.com", "spf.single", "'v=spf1 ip4:192.0.2.51 -all'"),
    ("two-spf.com", "spf.single", "'v=spf1 mx -all'"),
    ("two-spf.com", "spf.authorizes-senders", "192.0.2.51 -> permerror (SPF Permanent Error: Two or more type TXT"),
    ("spf-syntax.com", "spf.syntax", "'ip4:192.0.2.0/33': CIDR length /33 is invalid"),
    ("spf-syntax.com", "spf.syntax", "'foo:bar': unknown mechanism 'foo'"),
    ("spf-toomany.com", "spf.lookup-limit",
     "needs 11 DNS-querying terms (spf-toomany.com 1, _spf1.spf-toomany.com 5, _spf2.spf-toomany.com 5)"),
    ("spf-void.com", "spf.void-lookups", "3 void lookups: a:nx1.spf-void.com (no address record); "
                                         "a:nx2.spf-void.com (no address record); mx:nx3.spf-void.com (NXDOMAIN)"),
    ("spf-badinclude.com", "spf.includes-valid",
     "include:no-spf.com (in the record of spf-badinclude.com): no-spf.com publishes no SPF record"),
    ("spf-plusall.com", "spf.all-policy", "ends in '+all': it authorises every host on the internet"),
    ("spf-neutral.com", "spf.all-policy", "ends in '?all'"),
    ("spf-ptr.com", "spf.no-ptr", "'ptr' in the record of spf-ptr.com"),
    ("spf-big.com", "spf.size", "is 468 octets"),
    ("spf-unauth.com", "spf.authorizes-senders", "198.51.100.9 -> fail (SPF fail - not authorized)"),
    ("spf-loop.com", "spf.includes-valid",
     "include:spf-loop.com (in the record of _loop.spf-loop.com): include loop: "
     "spf-loop.com → _loop.spf-loop.com → spf-loop.com"),
    ("spf-redirect.com", "spf.all-policy", "ends in '-all' (through redirect, the policy of healthy.com)"),
    ("spf-redirect.com", "spf.lookup-limit", "needs 4 DNS-querying terms"),
    ("healthy.com", "spf.authorizes-senders",
     "192.0.2.10 (matched ip4:192.0.2.0/28); 2001:db8::10 (matched ip6:2001:db8::/64)"),
]


def outcomes(audit: Audit, domain: str) -> dict[str, Outcome]:
    return {check_id: audit.result(domain, check_id).outcome for check_id in SPF}


def expected(domain: str) -> dict[str, Outcome]:
    return {check_id: BROKEN.get(domain, {}).get(check_id, P) for check_id in SPF}


def test_every_broken_domain_is_a_lab_domain(lab_config):
    assert set(BROKEN) <= {entry.name for entry in lab_config.domains}


def test_healthy_passes_all_ten(live):
    assert outcomes(live, "healthy.com") == dict.fromkeys(SPF, P)


@pytest.mark.parametrize("domain", domain_names())
def test_each_lab_domain_breaks_exactly_its_spf_checks(live, domain):
    found = outcomes(live, domain)
    assert found == expected(domain), {c: live.result(domain, c).message for c in SPF if found[c] is not P}


@pytest.mark.parametrize(("domain", "check_id", "fragment"), MESSAGES)
def test_findings_name_the_culprit(live, domain, check_id, fragment):
    assert fragment in live.result(domain, check_id).message


@pytest.mark.parametrize("domain", domain_names())
def test_zone_files_give_the_same_outcomes(files, domain):
    assert outcomes(files, domain) == expected(domain)


def test_plus_all_is_a_fail_and_neutral_a_warning(live):
    assert live.result("spf-plusall.com", "spf.all-policy").severity is Severity.FAIL
    assert live.result("spf-neutral.com", "spf.all-policy").severity is Severity.WARN


def test_the_include_tree_is_the_evidence(live):
    result = live.result("healthy.com", "spf.lookup-limit")
    assert result.details["lookups"] == 3
    tree = result.details["tree"]
    (provider,) = tree["children"]
    assert provider["domain"] == "_spf.mailhost.net" and provider["lookups"] == 2
    assert [c["domain"] for c in provider["children"]] == ["_spf1.mailhost.net", "_spf2.mailhost.net"]
    asked = {(a.server, a.qname.to_text(), a.rdtype) for a in result.evidence}
    assert ("127.53.0.53:53", "_spf2.mailhost.net.", "TXT") in asked


def test_pyspf_asks_through_the_dns_layer(live):
    """spf.authorizes-senders records pyspf's questions as its evidence: they went through the lab resolver."""
    result = live.result("spf-redirect.com", "spf.authorizes-senders")
    assert result.outcome is P
    asked = {(a.server, a.qname.to_text(), a.rdtype) for a in result.evidence}
    assert {("127.53.0.53:53", "spf-redirect.com.", "TXT"), ("127.53.0.53:53", "healthy.com.", "TXT")} <= asked


def test_hostile_domains_are_judged_quickly(lab, lab_config):
    """An include loop, a 5 KB TXT RRset (TCP), markup in records: clear findings, no hang (a fresh cache)."""
    audit = Audit(DnsLayer(WireSource([Server(*lab.resolver)], timeout=2)), lab_config)
    started = time.monotonic()
    for domain in ("spf-loop.com", "huge-txt.com", "markup.com", "long-names.com", "cname-loop.com"):
        for check_id in SPF:
            assert audit.result(domain, check_id).outcome is not Outcome.ERROR, (domain, check_id)
    assert time.monotonic() - started < 20


# -- end to end through the pytest plugin --------------------------------------------------------------------


def test_suite_run_reports_the_spf_findings(lab, tmp_path):
    """``pytest --pyargs mailtests -m spf``: FAIL fails the test, WARN passes with a ComplianceWarning."""
    domains = ("healthy.com", "spf-plusall.com", "spf-neutral.com", "no-spf.com")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "mailtests", "--domains", str(lab.domains_file),
         "--resolver", lab.resolver[0], "-m", "spf", "-k", " or ".join(f"[{d}]" for d in domains),
         "-p", "no:cacheprovider", "-p", "no:html", "-o", "addopts=", "--reports", str(tmp_path), "-rA", "-q"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    failed = {line.split()[1].rsplit("/", 1)[-1] for line in proc.stdout.splitlines() if line.startswith("FAILED ")}
    assert failed == {"test_spf.py::test_spf_all_policy[spf-plusall.com]", "test_spf.py::test_spf_present[no-spf.com]"}
    assert "ComplianceWarning: spf.all-policy [spf-neutral.com]" in proc.stdout
    records = json.loads((tmp_path / "results.json").read_text())["results"]
    found = {(r["domain"], r["check"]): r["outcome"] for r in records}
    assert found == {(d, c): expected(d)[c].value for d in domains for c in SPF}
