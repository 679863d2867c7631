"""The name server and resolver health checks against the DNS lab (tests/lab/README.md).

Each lab domain breaks one thing; every NS check of every domain is asserted, so a
check that fires on the wrong domain fails here too. The same domains are then
read from the zone files, where the server-level checks skip.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from mailtests.audit import Audit
from mailtests.result import Outcome

P, F, W, S = Outcome.PASS, Outcome.FAIL, Outcome.WARN, Outcome.SKIP
NS_CHECKS = ("ns.present", "ns.count", "ns.resolve", "ns.authoritative", "ns.serial-consistent", "ns.parent-match")
SERVER_CHECKS = ("ns.authoritative", "ns.serial-consistent", "ns.parent-match")

#: domain -> the checks that do not pass there, with their outcome (README: "A check not named in a row passes").
BROKEN: dict[str, dict[str, Outcome]] = {
    "healthy.com": {},
    "single-ns.com": {"ns.count": W},
    "ns-noaddr.com": {"ns.resolve": F},
    "ns-cname.com": {"ns.resolve": F},
    "lame.com": {"ns.authoritative": F},
    "serial-drift.com": {"ns.serial-consistent": W},
    "parent-mismatch.com": {"ns.parent-match": W},
    "nons.healthy.com": {"ns.present": F, **{c: S for c in NS_CHECKS[1:]}},
}

#: What the message must say: which name, which server, what came back.
MESSAGES = [
    ("single-ns.com", "ns.count", "single-ns.com has a single name server (ns1.dnsprovider.net)"),
    ("ns-noaddr.com", "ns.resolve", "ns-missing.dnsprovider.net does not exist (NXDOMAIN)"),
    ("ns-cname.com", "ns.resolve", "ns-alias.dnsprovider.net is an alias (CNAME to ns2.dnsprovider.net)"),
    ("lame.com", "ns.authoritative", "ns.lame.net (127.53.1.3) answered REFUSED"),
    ("serial-drift.com", "ns.serial-consistent", "2024050101 on ns3.dnsprovider.net (127.53.1.4)"),
    ("parent-mismatch.com", "ns.parent-match", "only in the zone: ns5.dnsprovider.net"),
    ("nons.healthy.com", "ns.present", "it is a name inside the zone healthy.com"),
]


def outcomes(audit: Audit, domain: str) -> dict[str, Outcome]:
    return {check_id: audit.result(domain, check_id).outcome for check_id in NS_CHECKS}


@pytest.mark.parametrize("domain", BROKEN)
def test_each_lab_domain_breaks_exactly_its_ns_check(live, domain):
    expected = {check_id: BROKEN[domain].get(check_id, P) for check_id in NS_CHECKS}
    assert outcomes(live, domain) == expected


@pytest.mark.parametrize(("domain", "check_id", "fragment"), MESSAGES)
def test_findings_name_the_culprit(live, domain, check_id, fragment):
    assert fragment in live.result(domain, check_id).message


def test_lame_server_evidence_is_recorded(live):
    result = live.result("lame.com", "ns.authoritative")
    asked = {(a.server, a.qname.to_text(), a.rdtype, a.rcode) for a in result.evidence}
    assert ("127.53.1.3:53", "lame.com.", "SOA", "REFUSED") in asked
    assert ("127.53.1.1:53", "lame.com.", "SOA", "NOERROR") in asked
    assert {s["address"]: s["problem"] for s in result.details["servers"]}["127.53.1.3"] == "answered REFUSED"


def test_serials_are_reported_per_server(live):
    serials = live.result("serial-drift.com", "ns.serial-consistent").details["serials"]
    assert serials == {"ns1.dnsprovider.net (127.53.1.1)": 2024060101, "ns2.dnsprovider.net (127.53.1.2)": 2024060101,
                       "ns3.dnsprovider.net (127.53.1.4)": 2024050101}


def test_parent_match_asks_the_com_server_for_the_referral(live):
    result = live.result("parent-mismatch.com", "ns.parent-match")
    assert result.details["parent_zone"] == "com."
    assert result.details["parent_server"] == "a.gtld-servers.net (127.53.0.2)"
    assert result.details["delegated"] == ["ns1.dnsprovider.net.", "ns2.dnsprovider.net."]


@pytest.mark.parametrize("domain", BROKEN)
def test_zone_files_give_the_same_zone_level_outcomes(files, domain):
    expected = {check_id: BROKEN[domain].get(check_id, P) for check_id in NS_CHECKS}
    expected.update({check_id: S for check_id in SERVER_CHECKS})
    found = outcomes(files, domain)
    assert found == expected
    assert "zone-file mode" in files.result(domain, "ns.authoritative").message or domain == "nons.healthy.com"


# -- resolver health -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("check_id", ["resolver.reachable", "resolver.latency", "resolver.caching"])
def test_the_lab_resolver_is_healthy(live, check_id):
    result = live.result("127.53.0.53:53", check_id)
    assert result.outcome is P, result.message
    assert result.evidence, "the questions asked of the resolver are the evidence"


def test_caching_sees_unbound_count_the_ttl_down(live):
    ttl_first, ttl_second = live.result("127.53.0.53:53", "resolver.caching").details["ttl"]
    assert ttl_second < ttl_first


def test_a_dead_resolver_fails_reachable_and_latency(lab, live):
    dead = f"{lab.dead}:53"  # nothing listens there
    audit = Audit(live.layer, dataclasses.replace(live.config, timeout=0.3))
    reachable = audit.result(dead, "resolver.reachable")
    assert reachable.outcome is F
    assert f"the resolver {dead} does not answer queries (`. NS`: no answer within 0.3 s" in reachable.message
    assert audit.result(dead, "resolver.latency").outcome is F
    assert audit.result(dead, "resolver.caching").outcome is Outcome.ERROR  # no data: never a pass


# -- end to end through the pytest plugin --------------------------------------------------------------------


def test_suite_run_for_healthy_com_passes_every_ns_and_resolver_test(lab, tmp_path):
    """``pytest --pyargs mailtests`` on the lab: the tests are named by check id and subject, results.json agrees."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "mailtests", "--domains", str(lab.domains_file),
         "--resolver", lab.resolver[0], "-m", "ns or resolver", "-k", "[healthy.com] or [127.53.0.53:53]",
         "-p", "no:cacheprovider", "-p", "no:html", "-o", "addopts=", "--reports", str(tmp_path), "-rA", "-q"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    passed = {line.rsplit("/", 1)[-1] for line in proc.stdout.splitlines() if line.startswith("PASSED ")}
    assert {"test_ns.py::test_ns_parent_match[healthy.com]",
            "test_resolver.py::test_resolver_caching[127.53.0.53:53]"} <= passed
    records = json.loads((tmp_path / "results.json").read_text())["results"]
    found = {(r["domain"], r["check"]): r["outcome"] for r in records}
    expected = {("healthy.com", c): "pass" for c in NS_CHECKS}
    expected.update({("127.53.0.53:53", c): "pass" for c in ("resolver.reachable", "resolver.latency",
                                                              "resolver.caching")})
    assert found == expected
