"""A second opinion on DNSSEC: Zonemaster (Debian's ``zonemaster-cli``) against the lab's DNSSEC domains.

Zonemaster walks from the lab root (``--hints``) and runs its DNSSEC test module on each domain.
Every DNSSEC defect it reports as ERROR or CRITICAL must be a FAIL of a dnssec.* check in
mailtests, and both must find the healthy domain clean. Where they disagree on purpose, DISAGREE
says why (mailtests checks more RRsets, and follows RFCs newer than Zonemaster's profile).
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from mailtests.audit import Audit
from mailtests.config import load_config
from mailtests.dnslayer import DnsLayer, Server, WireSource
from mailtests.result import Outcome
from tests.test_lab_dnssec import DNSSEC_DOMAINS, EXPECTED, IDS

pytestmark = pytest.mark.skipif(shutil.which("zonemaster-cli") is None,
                                reason="zonemaster-cli is not installed (scripts/test installs it)")

SIGNED = [d for d in EXPECTED if d not in ("healthy.com", "dane-unsigned.com")]
HEALTHY = "dnssec-ok.com"
#: domain -> why mailtests FAILs there while Zonemaster reports no ERROR/CRITICAL (tags it gives, if any).
DISAGREE = {
    "dnssec-nomxsig.com": "Zonemaster's DNSSEC module verifies the signatures over DNSKEY, SOA and the NSEC chain, not "
                          "the MX RRset; mailtests verifies SOA, NS, MX and TXT, the RRsets mail depends on",
    "dnssec-rsasha1.com": "Zonemaster's profile follows RFC 8624 (algorithm 5 'NOT RECOMMENDED': a WARNING, "
                          "ALGORITHM_NOT_RECOMMENDED); RFC 9905 (November 2025) says MUST NOT sign: a mailtests FAIL",
    "dnssec-nsec3.com": "Zonemaster accepts 10 NSEC3 iterations and a salt at ERROR level; RFC 9276 §3.1 requires 0 "
                        "iterations (a FAIL in mailtests; a salt is a WARN)",
}


def zonemaster(lab, domain: str) -> list[tuple[str, str, str]]:
    """(level, test case, tag) of each ERROR/CRITICAL message of Zonemaster's DNSSEC module for ``domain``."""
    proc = subprocess.run(
        ["zonemaster-cli", "--hints", str(lab.workdir / "root.hints"), "--test", "DNSSEC", "--raw", "--level",
         "ERROR", "--no-ipv6", "--show-testcase", "--no-progress", domain],
        capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = []
    for line in proc.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[1] in ("ERROR", "CRITICAL"):
            found.append((fields[1], fields[2], fields[3]))
    return found


@pytest.fixture(scope="module")
def mailtests(lab) -> Audit:
    config = dataclasses.replace(load_config(DNSSEC_DOMAINS), trust_anchor=lab.trust_anchor)
    return Audit(DnsLayer(WireSource([Server(*lab.resolver)], timeout=2)), config)


@pytest.fixture(scope="module")
def opinions(lab) -> dict[str, list[tuple[str, str, str]]]:
    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(zip(SIGNED, pool.map(lambda d: zonemaster(lab, d), SIGNED), strict=True))


@pytest.mark.parametrize("domain", SIGNED)
def test_every_zonemaster_error_is_a_mailtests_failure(opinions, mailtests, domain):
    found = {c: mailtests.result(domain, c) for c in IDS}
    failures = [c for c, r in found.items() if r.outcome is Outcome.FAIL]
    if opinions[domain]:
        assert failures, (opinions[domain], {c: r.message for c, r in found.items()})
        assert "dnssec.valid" in failures  # each of the lab's Zonemaster errors is a broken chain
    elif failures:
        assert domain in DISAGREE, (domain, failures, "mailtests fails where Zonemaster is silent: say why")


def test_both_find_the_healthy_domain_clean(opinions, mailtests):
    assert opinions[HEALTHY] == []
    assert all(mailtests.result(HEALTHY, c).outcome is Outcome.PASS for c in IDS)


def test_the_disagreements_are_still_disagreements(opinions, mailtests):
    """If Zonemaster starts reporting these, the reasons in DISAGREE are stale: remove them."""
    for domain in DISAGREE:
        assert opinions[domain] == [], (domain, opinions[domain])
        assert any(mailtests.result(domain, c).outcome is Outcome.FAIL for c in IDS)
