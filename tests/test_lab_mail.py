"""The MX, reverse DNS and HELO checks against the DNS lab (tests/lab/README.md).

Every mail check of every lab domain is asserted, so a check that fires on the wrong
domain fails here too; then the same domains are read from the zone files, which
must give the same outcomes, and the suite is run end to end through the plugin.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time

import pytest

from mailtests.audit import Audit
from mailtests.dnslayer import DnsLayer, Server, WireSource
from mailtests.result import Outcome
from tests.lab.lab import domain_names

P, F, W, S = Outcome.PASS, Outcome.FAIL, Outcome.WARN, Outcome.SKIP
MX = ("mx.present", "mx.null-mx", "mx.hostname", "mx.not-alias", "mx.resolve", "mx.ipv4")
PTR = ("ptr.present", "ptr.forward-confirmed")
HELO = ("helo.syntax", "helo.fqdn-in-tld", "helo.resolves", "helo.matches-ptr")
MAIL_CHECKS = MX + PTR + HELO

#: domain -> the mail checks that do not pass there (README: "A check not named in a row passes"). Where the
#: README says "n/a" the outcome this suite gives is pinned here too.
BROKEN: dict[str, dict[str, Outcome]] = {
    "no-mx.com": {"mx.present": F, **{c: S for c in MX[1:]}},
    "implicit-mx.com": {"mx.present": W, **{c: S for c in MX[1:]}},
    "null-mx.com": {**{c: S for c in MX[2:] + PTR + HELO}},
    "bad-null-mx.com": {"mx.null-mx": F},
    "mx-ip.com": {"mx.hostname": F, "mx.resolve": F},
    "mx-cname.com": {"mx.not-alias": F},
    "mx-noaddr.com": {"mx.resolve": F},
    "mx-v6only.com": {"mx.ipv4": W},
    "no-ptr.com": {"ptr.present": F, "ptr.forward-confirmed": W},
    "ptr-mismatch.com": {"ptr.forward-confirmed": W},
    "helo-local.com": {"helo.fqdn-in-tld": F, "helo.resolves": W, "helo.matches-ptr": W},
    "helo-syntax.com": {"helo.syntax": F, **{c: S for c in HELO[1:]}},
    "helo-noaddr.com": {"helo.resolves": W, "helo.matches-ptr": W},
    "helo-mismatch.com": {"helo.matches-ptr": W},
    "helo-literal.com": {"helo.fqdn-in-tld": S, "helo.resolves": S},
    "cname-loop.com": {"mx.not-alias": F, "mx.resolve": F, "mx.ipv4": S},
}

#: What a finding must say: which name, what is wrong with it.
MESSAGES = [
    ("no-mx.com", "mx.present", "no-mx.com publishes no MX records and no address record"),
    ("implicit-mx.com", "mx.present", "its address record(s) (192.0.2.28) as an implicit MX"),
    ("null-mx.com", "mx.resolve", "null-mx.com publishes a null MX (RFC 7505): it accepts no mail"),
    ("bad-null-mx.com", "mx.null-mx", "it also publishes 1 other MX record(s) (mx1.healthy.com)"),
    ("mx-ip.com", "mx.hostname", "`192.0.2.25.` (the address 192.0.2.25)"),
    ("mx-ip.com", "mx.resolve", "192.0.2.25 (an IP address written as a name: mx.hostname)"),
    ("mx-cname.com", "mx.not-alias", "mail.mx-cname.com (CNAME to host.mx-cname.com)"),
    ("mx-noaddr.com", "mx.resolve", "without an A or AAAA record: mail.mx-noaddr.com."),
    ("mx-v6only.com", "mx.ipv4", "no exchange of mx-v6only.com has an A record (exchanges: mail.mx-v6only.com)"),
    ("no-ptr.com", "ptr.present", "without a PTR record: 192.0.2.66 (66.2.0.192.in-addr.arpa: NXDOMAIN)"),
    ("ptr-mismatch.com", "ptr.forward-confirmed",
     "192.0.2.77 (PTR gw.ptr-mismatch.com: no A record back to 192.0.2.77)"),
    ("null-mx.com", "ptr.present", "no sending IP of null-mx.com is known"),
    ("helo-local.com", "helo.fqdn-in-tld", "'exchange.local' (ends in .local, reserved for multicast DNS"),
    ("helo-syntax.com", "helo.syntax", "'bad_name..example' (the label 'bad_name' has '_'"),
    ("helo-noaddr.com", "helo.resolves", "mail.helo-noaddr.com (NXDOMAIN: the name does not exist)"),
    ("helo-mismatch.com", "helo.matches-ptr",
     "mail.helo-mismatch.com (resolves to 198.51.100.50). The sending IPs are 192.0.2.43, whose PTR names are "
     "out.helo-mismatch.com."),
    ("null-mx.com", "helo.syntax", "no HELO name listed in the domains file"),
    ("cname-loop.com", "mx.not-alias",
     "a.cname-loop.com (a CNAME loop: a.cname-loop.com -> b.cname-loop.com -> a.cname-loop.com)"),
    ("cname-loop.com", "mx.ipv4", "no exchange of cname-loop.com has any address (mx.resolve reports it)"),
]


def outcomes(audit: Audit, domain: str) -> dict[str, Outcome]:
    return {check_id: audit.result(domain, check_id).outcome for check_id in MAIL_CHECKS}


def expected(domain: str) -> dict[str, Outcome]:
    return {check_id: BROKEN.get(domain, {}).get(check_id, P) for check_id in MAIL_CHECKS}


def test_every_broken_domain_is_a_lab_domain(lab_config):
    assert set(BROKEN) <= {entry.name for entry in lab_config.domains}


@pytest.mark.parametrize("domain", domain_names())
def test_each_lab_domain_breaks_exactly_its_mail_checks(live, domain):
    found = outcomes(live, domain)
    assert found == expected(domain), {c: live.result(domain, c).message for c in MAIL_CHECKS if found[c] is not P}


@pytest.mark.parametrize(("domain", "check_id", "fragment"), MESSAGES)
def test_findings_name_the_culprit(live, domain, check_id, fragment):
    assert fragment in live.result(domain, check_id).message


@pytest.mark.parametrize("domain", domain_names())
def test_zone_files_give_the_same_outcomes(files, domain):
    assert outcomes(files, domain) == expected(domain)


def test_hostile_domains_are_judged_quickly(lab, lab_config):
    """A CNAME loop, 253-character names and a 5 KB TXT RRset: clear findings, no hang (a fresh cache)."""
    audit = Audit(DnsLayer(WireSource([Server(*lab.resolver)], timeout=2)), lab_config)
    started = time.monotonic()
    for domain in ("cname-loop.com", "long-names.com", "huge-txt.com", "markup.com"):
        for check_id in MAIL_CHECKS:
            assert audit.result(domain, check_id).outcome is not Outcome.ERROR, (domain, check_id)
    assert time.monotonic() - started < 20


def test_the_cname_loop_is_shown_by_its_cname_records(live):
    """Unbound answers SERVFAIL for the looping A question; the CNAME questions asked next are the evidence."""
    result = live.result("cname-loop.com", "mx.not-alias")
    asked = {(a.qname.to_text(), a.rdtype, a.rcode) for a in result.evidence}
    assert ("a.cname-loop.com.", "A", "SERVFAIL") in asked
    assert {("a.cname-loop.com.", "CNAME", "NOERROR"), ("b.cname-loop.com.", "CNAME", "NOERROR")} <= asked


def test_the_253_character_names_pass(live):
    long = live.result("long-names.com", "helo.resolves")
    assert long.outcome is P
    (name,) = long.details["addresses"]
    assert len(name) == 253 and long.details["addresses"][name] == ["192.0.2.64"]


def test_ptr_evidence_and_sending_ips_are_recorded(live):
    result = live.result("healthy.com", "ptr.present")
    assert result.details["sending_ips"] == ["192.0.2.10", "2001:db8::10"]
    assert result.details["sending_ips_source"] == "listed in the domains file"
    asked = {(a.server, a.qname.to_text(), a.rdtype) for a in result.evidence}
    assert ("127.53.0.53:53", "10.2.0.192.in-addr.arpa.", "PTR") in asked
    nibbles = "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."  # 2001:db8::10
    assert ("127.53.0.53:53", nibbles, "PTR") in asked


@pytest.mark.parametrize("check_id", PTR + ("helo.matches-ptr",))
def test_without_listed_ips_the_mx_hosts_are_assumed_and_the_report_says_so(lab, lab_config, check_id):
    entries = tuple(dataclasses.replace(e, sending_ips=()) if e.name == "healthy.com" else e
                    for e in lab_config.domains)
    layer = DnsLayer(WireSource([Server(*lab.resolver)], timeout=2))
    audit = Audit(layer, dataclasses.replace(lab_config, domains=entries))
    result = audit.result("healthy.com", check_id)
    assert result.outcome is P, result.message
    assert result.details["sending_ips"] == ["192.0.2.10", "2001:db8::10", "192.0.2.11", "2001:db8::11"]
    assert result.details["sending_ips_source"].startswith("assumed: the addresses of the domain's MX hosts")
    assert "Sending IPs assumed" in result.message


# -- end to end through the pytest plugin --------------------------------------------------------------------


def test_suite_run_reports_the_mail_findings(lab, tmp_path):
    """``pytest --pyargs mailtests`` on the lab: FAIL fails the test, WARN passes with a ComplianceWarning."""
    domains = ("healthy.com", "mx-ip.com", "mx-v6only.com", "null-mx.com")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "mailtests", "--domains", str(lab.domains_file),
         "--resolver", lab.resolver[0], "-m", "mx or ptr or helo", "-k", " or ".join(f"[{d}]" for d in domains),
         "-p", "no:cacheprovider", "-p", "no:html", "-o", "addopts=", "--reports", str(tmp_path), "-rA", "-q"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # mx-ip.com fails mx.hostname and mx.resolve
    failed = {line.split()[1].rsplit("/", 1)[-1] for line in proc.stdout.splitlines() if line.startswith("FAILED ")}
    assert failed == {"test_mx.py::test_mx_hostname[mx-ip.com]", "test_mx.py::test_mx_resolve[mx-ip.com]"}
    assert "ComplianceWarning: mx.ipv4 [mx-v6only.com]" in proc.stdout
    records = json.loads((tmp_path / "results.json").read_text())["results"]
    found = {(r["domain"], r["check"]): r["outcome"] for r in records}
    assert found == {(d, c): expected(d)[c].value for d in domains for c in MAIL_CHECKS}
