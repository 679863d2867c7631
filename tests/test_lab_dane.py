"""DANE for SMTP on the real DNSSEC validator (tests/lab/README.md, "DANE"): TLSA RRsets the lab signs (secure),
tampers with (bogus) or leaves unsigned (insecure), judged from the lab root's key, and the chains the transport
lab's servers present matched against them (DANE-EE 3 1 1 on Postfix's key, DANE-TA 2 0 1 on the lab CA).

Every smtp.* and dane.* check of every DANE lab domain is asserted, with the words that name the reason; Unbound,
validating from the same anchor, agrees on each TLSA RRset; the `mailtests` command passes dane-ok.com.
"""

from __future__ import annotations

import dataclasses

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import pytest

from mailtests.audit import Audit
from mailtests.checks.context import Context
from mailtests.checks.dnssec_status import rrset_verdict
from mailtests.config import load_config
from mailtests.dnslayer import DnsLayer, Server, WireSource
from mailtests.dnslayer.layer import Recorder
from mailtests.result import Outcome
from tests.lab.lab import HERE
from tests.test_cli import mailtests

P, F, W, S = Outcome.PASS, Outcome.FAIL, Outcome.WARN, Outcome.SKIP
DANE_DOMAINS = HERE / "dane.yaml"
CHECKS = ("tlsrpt.record", "smtp.reachable", "smtp.greeting", "smtp.starttls", "smtp.tls-version", "smtp.certificate",
          "dane.tlsa", "dane.match")
NO_TLS = {"smtp.starttls": W, "smtp.tls-version": S, "smtp.certificate": S}

#: domain -> the checks of CHECKS that do not pass there.
EXPECTED: dict[str, dict[str, Outcome]] = {
    # Postfix's certificate names good.mx-lab.net and the dane-*.mx-lab.net hosts, not mx.dane-ok.com: DANE-EE
    # needs no name (RFC 7672 §3.1.1), so DANE passes where PKIX name checks warn
    "dane-ok.com": {"smtp.certificate": W},
    "dane-alias.com": {"smtp.certificate": W},  # the same Postfix; its TLSA name is a CNAME into mx-lab.net
    "dane-ta.com": {},
    "dane-mismatch.com": {"dane.match": F},
    "dane-pkix.com": {"dane.tlsa": W, "dane.match": S},
    # no STARTTLS at mx.dane-bogus.com: a FAIL, as the TLSA records (bogus or not) tell DANE senders to require TLS
    "dane-bogus.com": {**NO_TLS, "smtp.starttls": F, "dane.tlsa": F, "dane.match": F},
    # the same server, but senders ignore insecure TLSA records: no STARTTLS stays a WARN
    "dane-unsigned.com": {**NO_TLS, "dane.tlsa": F, "dane.match": S},
}
#: What a finding must say.
MESSAGES = [
    ("dane-ok.com", "dane.tlsa", "DNSSEC-secure and usable: _25._tcp.mx.dane-ok.com"),
    ("dane-ok.com", "dane.match",
     "mx.dane-ok.com [127.25.0.10] matches `3 1 1 856962a186433db321fcc8937fabc2acae9e7746b801b7e83f4480a90cdc6660`"),
    ("dane-ok.com", "smtp.certificate", "Hostname mismatch"),
    ("dane-alias.com", "dane.match", "mx.dane-alias.com [127.25.0.10] matches `3 1 1 856962a1"),
    ("dane-ta.com", "dane.tlsa", "DNSSEC-secure and usable: _25._tcp.dane-ta.mx-lab.net"),
    ("dane-ta.com", "dane.match",
     "dane-ta.mx-lab.net [127.25.0.10] matches `2 0 1 "
     "25efc4a50cf8e1b60050b35ef767c12f1861633bd594e48be3eb071630e4146e`"),
    ("dane-mismatch.com", "dane.match", "dane-bad.mx-lab.net [127.25.0.10]: the presented chain matches no usable"),
    ("dane-pkix.com", "dane.tlsa", "_25._tcp.dane-pkix.mx-lab.net has PKIX usages, which SMTP senders do not use"),
    ("dane-pkix.com", "dane.match", "publishes a usable TLSA record"),
    ("dane-bogus.com", "dane.tlsa", "_25._tcp.mx.dane-bogus.com is bogus (RRSIG TLSA of _25._tcp.mx.dane-bogus.com"),
    ("dane-bogus.com", "dane.tlsa", "does not verify"),
    ("dane-bogus.com", "dane.match", "so DANE senders do not deliver to mx.dane-bogus.com whatever certificate"),
    ("dane-bogus.com", "smtp.starttls", "it publishes DANE TLSA records"),
    ("dane-unsigned.com", "dane.tlsa", "_25._tcp.mx.dane-unsigned.com is insecure ("),
    ("dane-unsigned.com", "dane.tlsa", "no DS record for dane-unsigned.com"),
    ("dane-unsigned.com", "dane.tlsa", "senders ignore TLSA records that are not DNSSEC-signed"),
    ("dane-unsigned.com", "dane.match", "not DNSSEC-signed (insecure: _25._tcp.mx.dane-unsigned.com)"),
]
#: TLSA owner -> how Unbound, validating from the lab root, answers it: (rcode, AD bit).
UNBOUND = {
    "_25._tcp.mx.dane-ok.com": (dns.rcode.NOERROR, True),
    "_25._tcp.dane-ta.mx-lab.net": (dns.rcode.NOERROR, True),
    "_25._tcp.mx.dane-alias.com": (dns.rcode.NOERROR, True),  # the CNAME and its target, both secure
    "_25._tcp.mx.dane-bogus.com": (dns.rcode.SERVFAIL, False),
    "_25._tcp.mx.dane-unsigned.com": (dns.rcode.NOERROR, False),
}


@pytest.fixture(scope="module")
def dane_config(lab):
    return dataclasses.replace(load_config(DANE_DOMAINS), trust_anchor=lab.trust_anchor)


@pytest.fixture(scope="module")
def dane(lab, smtp_lab, dane_config):
    audit = Audit(DnsLayer(WireSource([Server(*lab.resolver)], timeout=2)), dane_config)
    yield audit
    audit.probes.close(wait=True)


def test_every_dane_domain_is_asserted(dane_config):
    assert {e.name for e in dane_config.domains} == set(EXPECTED)


@pytest.mark.parametrize("domain", sorted(EXPECTED))
def test_each_dane_domain_gives_exactly_its_outcomes(dane, domain):
    found = {c: dane.result(domain, c) for c in CHECKS}
    want = {c: EXPECTED[domain].get(c, P) for c in CHECKS}
    assert {c: r.outcome for c, r in found.items()} == want, {c: r.message for c, r in found.items()}


@pytest.mark.parametrize(("domain", "check_id", "fragment"), MESSAGES)
def test_findings_name_the_reason(dane, domain, check_id, fragment):
    assert fragment in dane.result(domain, check_id).message


@pytest.mark.parametrize("owner", sorted(UNBOUND))
def test_unbound_agrees_on_each_tlsa_rrset(lab, owner):
    query = dns.message.make_query(owner, "TLSA", want_dnssec=True)
    reply = dns.query.udp(query, lab.resolver[0], port=lab.resolver[1], timeout=3)
    assert (reply.rcode(), bool(reply.flags & dns.flags.AD)) == UNBOUND[owner]


def test_the_validated_tlsa_rrset_is_evidence(dane):
    result = dane.result("dane-bogus.com", "dane.tlsa")
    tlsa = [a for a in result.evidence if a.rdtype == "TLSA"]
    assert any(a.rcode == "SERVFAIL" for a in tlsa)  # Unbound's answer, then the one asked with CD
    assert any(a.rcode == "NOERROR" and a.records and a.server.endswith(" +cd") for a in tlsa)
    assert result.details["tlsa"] == {"_25._tcp.mx.dane-bogus.com":
                                      ["3 1 1 856962a186433db321fcc8937fabc2acae9e7746b801b7e83f4480a90cdc6661"]}


def test_the_mailtests_command_passes_dane(lab, smtp_lab, tmp_path):
    done = mailtests(tmp_path, "dane-ok.com", "--resolver", f"{lab.resolver[0]}:{lab.resolver[1]}", "-p", "no:html",
                     f"--trust-anchor={lab.trust_anchor}", "--smtp", f"--ca-file={smtp_lab.ca_file}", script=True)
    lines = done.stdout.splitlines()
    assert any(line.split()[:2] == ["dane", "PASS"] for line in lines), done.stdout[-3000:]
    assert not [line for line in lines if line.strip().startswith(("FAIL dane.", "WARN dane.", "ERROR dane."))]
    assert "WARN smtp.certificate" in done.stdout  # Postfix's certificate does not name mx.dane-ok.com


def test_a_tlsa_name_behind_a_cname_is_validated_link_by_link(dane):
    """The CNAME in dane-alias.com and the TLSA RRset in mx-lab.net are each checked against their own zone's keys."""
    ctx = Context(domain="dane-alias.com", dns=Recorder(dane.layer), config=dane.config,
                  facts=dane.facts("dane-alias.com"), run_facts=dane._run_facts)
    verdict = rrset_verdict(ctx, dns.name.from_text("_25._tcp.mx.dane-alias.com."), "TLSA")
    assert verdict.state == "secure", verdict.reasons
    assert any("RRSIG CNAME alg 13 by dane-alias.com./" in line for line in verdict.chain), verdict.chain
    assert any("RRSIG TLSA alg 13 by mx-lab.net./" in line for line in verdict.chain), verdict.chain
