"""DNSSEC against the lab (tests/lab/README.md, "DNSSEC"): the lab signs its root, com, net, org and the
DNSSEC domains at start, and Unbound validates from the lab root's key, as a real resolver would.

Every dnssec.* check of every DNSSEC lab domain is asserted; Unbound's own verdict (AD bit, SERVFAIL)
is compared with mailtests'; the other checks of a bogus domain name DNSSEC as the cause; the signed
zone files give the same verdicts offline; a proposed zone that drops the key the live DS names is a
regression; the unsigned lab domains only get dnssec.signed WARN.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import dns.dnssec
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.zone
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from mailtests.audit import Audit
from mailtests.checks.context import Context
from mailtests.checks.dnssec_status import Security, rrset_security
from mailtests.config import load_config
from mailtests.dnslayer import DnsLayer, Server, WireSource
from mailtests.dnslayer.layer import Recorder
from mailtests.dnslayer.zonefiles import ZoneSource
from mailtests.result import Outcome
from mailtests.session import Engine
from tests.lab.lab import HERE, domain_names

P, F, W, S, E = Outcome.PASS, Outcome.FAIL, Outcome.WARN, Outcome.SKIP, Outcome.ERROR
IDS = ("dnssec.signed", "dnssec.valid", "dnssec.signature-validity", "dnssec.algorithms", "dnssec.nsec3-parameters")
DNSSEC_DOMAINS = HERE / "dnssec.yaml"

#: domain -> the outcomes of IDS, in order (README: "DNSSEC").
EXPECTED = {
    "dnssec-ok.com": (P, P, P, P, P),
    "dnssec-expired.com": (P, F, W, P, P),
    "dnssec-future.com": (P, F, W, P, P),
    "dnssec-dsnokey.com": (P, F, S, P, P),
    "dnssec-dsunsigned.com": (W, F, S, S, S),
    "dnssec-nomxsig.com": (P, F, P, P, P),
    "dnssec-rsasha1.com": (P, P, P, F, P),
    "dnssec-nsec3.com": (P, P, P, P, F),
    "dnssec-expiring.com": (P, P, W, P, P),
    "dane-ok.com": (P, P, P, P, P),
    "dane-bogus.com": (P, P, P, P, P),  # only its TLSA RRset is bogus, and dnssec.valid does not ask for TLSA
    "dane-unsigned.com": (W, S, S, S, S),
    "healthy.com": (W, S, S, S, S),
}
MESSAGES = [
    ("dnssec-expired.com", "dnssec.valid", "RRSIG DNSKEY of dnssec-expired.com (algorithm 13 (ECDSAP256SHA256), key "),
    ("dnssec-future.com", "dnssec.valid", "is not valid before"),
    ("dnssec-dsnokey.com", "dnssec.valid", "of dnssec-dsnokey.com matches no DNSKEY of the zone"),
    ("dnssec-dsunsigned.com", "dnssec.valid", "at its parent but serves no DNSKEY: a DS over an unsigned zone"),
    ("dnssec-nomxsig.com", "dnssec.valid", "the MX RRset of dnssec-nomxsig.com has no RRSIG"),
    ("dnssec-rsasha1.com", "dnssec.algorithms", "must not sign: 5 (RSASHA1)"),
    ("dnssec-nsec3.com", "dnssec.nsec3-parameters", "10 additional iteration(s)"),
    ("dnssec-nsec3.com", "dnssec.nsec3-parameters", "salt ABCD"),
    ("dnssec-ok.com", "dnssec.nsec3-parameters", "0 additional iterations and an empty salt (1 0 0 -)"),
    ("dnssec-expiring.com", "dnssec.signature-validity", "expires in 6.0 hours"),
    ("healthy.com", "dnssec.signed", "com publishes no DS record for healthy.com"),
]
BOGUS = ("dnssec-expired.com", "dnssec-future.com", "dnssec-dsnokey.com", "dnssec-dsunsigned.com", "dnssec-nomxsig.com")


@pytest.fixture(scope="module")
def dnssec_config(lab):
    return dataclasses.replace(load_config(DNSSEC_DOMAINS), trust_anchor=lab.trust_anchor)


@pytest.fixture(scope="module")
def dnssec_live(lab, dnssec_config) -> Audit:
    return Audit(DnsLayer(WireSource([Server(*lab.resolver)], timeout=2)), dnssec_config)


def outcomes(audit: Audit, domain: str) -> tuple[Outcome, ...]:
    return tuple(audit.result(domain, c).outcome for c in IDS)


@pytest.mark.parametrize("domain", list(EXPECTED))
def test_each_dnssec_domain_gives_exactly_its_outcomes(dnssec_live, domain):
    assert outcomes(dnssec_live, domain) == EXPECTED[domain], {c: dnssec_live.result(domain, c).message for c in IDS}


@pytest.mark.parametrize(("domain", "check_id", "fragment"), MESSAGES)
def test_findings_name_the_culprit(dnssec_live, domain, check_id, fragment):
    assert fragment in dnssec_live.result(domain, check_id).message


@pytest.mark.parametrize("domain", list(EXPECTED))
def test_unbound_agrees(lab, dnssec_live, domain):
    """Unbound validates from the same anchor: SERVFAIL for MX exactly where mailtests finds the MX RRset bogus,
    the AD bit exactly where mailtests finds the domain secure."""
    query = dns.message.make_query(domain, "MX", want_dnssec=True)
    reply = dns.query.udp(query, lab.resolver[0], port=lab.resolver[1], timeout=3)
    valid = dnssec_live.result(domain, "dnssec.valid")
    if valid.outcome is F:
        assert reply.rcode() == dns.rcode.SERVFAIL, valid.message
    else:
        assert reply.rcode() == dns.rcode.NOERROR
        assert bool(reply.flags & dns.flags.AD) == (valid.outcome is P), valid.message


@pytest.mark.parametrize("domain", BOGUS)
def test_other_checks_of_a_bogus_domain_name_dnssec_as_the_cause(dnssec_live, domain):
    causes = {dnssec_live.result(domain, c).message for c in ("mx.present", "mx.resolve", "mx.ipv4", "mx.null-mx")}
    assert len(causes) == 1, causes  # one cause, word for word, for the summary to group
    (cause,) = causes
    assert cause.startswith("DNSSEC: bogus: ") and cause.endswith("validating resolvers answer SERVFAIL")
    assert dnssec_live.result(domain, "mx.present").outcome is E
    reason = dnssec_live.result(domain, "dnssec.valid").details["reasons"][0]
    assert reason in cause


def test_the_chain_is_the_evidence(dnssec_live):
    result = dnssec_live.result("dnssec-ok.com", "dnssec.valid")
    chain = "\n".join(result.details["chain"])
    assert "; . secure (chain starts at trust anchor" in chain
    for fragment in ("com.\tDS\t", "dnssec-ok.com.\tDS\t", "dnssec-ok.com.\tDNSKEY\t257 3 13 ; key tag ",
                     "dnssec-ok.com.\tRRSIG MX alg 13 by dnssec-ok.com./"):
        assert fragment in chain
    mx = next(a for a in result.evidence if a.rdtype == "MX" and a.qname.to_text() == "dnssec-ok.com.")
    assert [r.rdtype for r in mx.records] == ["MX"] and [r.rdtype for r in mx.signatures] == ["RRSIG"]
    cd = dnssec_live.result("dnssec-nomxsig.com", "dnssec.valid").evidence
    assert any(a.rdtype == "MX" and a.rcode == "SERVFAIL" for a in cd)  # the resolver's answer, then CD's
    assert any(a.rdtype == "MX" and a.rcode == "NOERROR" and a.records and a.server.endswith(" +cd") for a in cd)


def test_rrset_security_for_dane(dnssec_live, dnssec_config):
    ctx = Context(domain="dane-ok.com", dns=Recorder(dnssec_live.layer), config=dnssec_config,
                  facts=dnssec_live.facts("dane-ok.com"), run_facts=dnssec_live._run_facts)
    assert rrset_security(ctx, dns.name.from_text("_25._tcp.mx.dane-ok.com."), "TLSA") == Security("secure", "")
    assert any(a.rdtype == "TLSA" for a in ctx.dns.answers)
    bogus = rrset_security(ctx, dns.name.from_text("_25._tcp.mx.dane-bogus.com."), "TLSA")
    assert bogus.state == "bogus" and "RRSIG TLSA of _25._tcp.mx.dane-bogus.com" in bogus.reason
    assert "does not verify" in bogus.reason
    insecure = rrset_security(ctx, dns.name.from_text("_25._tcp.mx.dane-unsigned.com."), "TLSA")
    assert insecure.state == "insecure" and "no DS record for dane-unsigned.com" in insecure.reason


@pytest.mark.parametrize("domain", domain_names())
def test_unsigned_lab_domains_warn_and_nothing_else(live, domain):
    """The lab's other domains are unsigned (insecure below a signed com/net): dnssec.signed WARN, the rest skip."""
    assert outcomes(live, domain) == (W, S, S, S, S), {c: live.result(domain, c).message for c in IDS}


def test_unsigned_zone_files_skip_with_the_reason(files):
    for check_id in IDS:
        result = files.result("healthy.com", check_id)
        assert result.outcome is S and "the proposed zone file of healthy.com is unsigned" in result.message


@pytest.fixture(scope="module")
def signed_files(lab, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("signed-zones")
    for zone, path in lab.signed_zones.items():
        (folder / ("root.zone" if zone == "." else f"{zone}zone")).write_text(f"$ORIGIN {zone}\n" + path.read_text())
    for unsigned in ("dnssec-dsunsigned.com", "dane-unsigned.com", "healthy.com"):
        shutil.copy(lab.zone_dir / f"{unsigned}.zone", folder)
    return folder


@pytest.mark.parametrize("domain", list(EXPECTED))
def test_signed_zone_files_give_the_same_verdicts_offline(lab, signed_files, dnssec_config, domain):
    audit = Audit(DnsLayer(None, ZoneSource([signed_files]), offline=True), dnssec_config)
    expected = EXPECTED[domain]
    if domain in ("dane-unsigned.com", "healthy.com"):
        expected = (S,) * 5  # an unsigned proposed zone: its server may sign it
    assert outcomes(audit, domain) == expected, {c: audit.result(domain, c).message for c in IDS}


def test_removing_the_key_the_live_ds_names_is_a_regression(lab, dnssec_config, tmp_path):
    """--compare-live: the proposed dnssec-ok.com is signed with a new key; com still names the old one."""
    zone = dns.zone.from_file(str(lab.zone_dir / "dnssec-ok.com.zone"), "dnssec-ok.com.", relativize=False)
    private = ec.generate_private_key(ec.SECP256R1())
    key = dns.dnssec.make_dnskey(private.public_key(), 13, flags=257)
    with zone.writer() as txn:
        dns.dnssec.sign_zone(zone, txn, keys=[(private, key)], lifetime=30 * 86400)
    proposed = tmp_path / "dnssec-ok.com.zone"
    proposed.write_text("$ORIGIN dnssec-ok.com.\n" + zone.to_text(relativize=False))
    settings = type("S", (), {})()  # the Settings an Engine reads
    settings.__dict__.update(zones=[proposed], compare_live=True, offline=False, timeout=2, config=dnssec_config,
                             concurrency=8, resolver_servers=lambda: [Server(*lab.resolver)])
    result = Engine(settings).result("dnssec-ok.com", "dnssec.valid")
    assert result.change == "regression", result.message
    assert "matches no DNSKEY of the zone" in result.message
    assert f"{proposed.name}:" in result.message and "DNSKEY 257 3 13" in result.message  # the zone-file line
    assert "removed (live only): dnssec-ok.com. DNSKEY" in result.message


def test_suite_run_reports_dnssec(lab, tmp_path):
    """``pytest --pyargs mailtests --trust-anchor=...``: a bogus domain fails dnssec.valid, its chain is in the
    reports (escaped), and its other checks are errors naming DNSSEC."""
    domains = ("dnssec-ok.com", "dnssec-expired.com", "healthy.com")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "mailtests", f"--domains={DNSSEC_DOMAINS}",
         "--resolver", lab.resolver[0], f"--trust-anchor={lab.trust_anchor}", "-m", "dnssec or mx",
         "-k", " or ".join(f"[{d}]" for d in domains), "-p", "no:cacheprovider", "-p", "no:html", "-o", "addopts=",
         f"--reports={tmp_path}", "-rA", "-q"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    failed = {line.split()[1].rsplit("::", 1)[-1] for line in proc.stdout.splitlines() if line.startswith("FAILED ")}
    assert "test_dnssec_valid[dnssec-expired.com]" in failed and "test_mx_present[dnssec-expired.com]" in failed
    assert not any("dnssec-ok.com" in f for f in failed)
    document = json.loads((tmp_path / "results.json").read_text())
    records = {(r["domain"], r["check"]): r for r in document["results"]}
    assert records[("dnssec-expired.com", "mx.present")]["outcome"] == "error"
    assert records[("dnssec-expired.com", "mx.present")]["message"].startswith("DNSSEC: bogus: RRSIG DNSKEY of ")
    chain = records[("dnssec-ok.com", "dnssec.valid")]["details"]["chain"]
    assert any("RRSIG DNSKEY" in line for line in chain)
    assert any(a.get("signatures") for a in document["answers"])
    html = (tmp_path / "audit.html").read_text()
    assert "DNSSEC chain of trust" in html and "dnssec-ok.com.\tDNSKEY\t257 3 13 ; key tag" in html
