"""The DNSSEC validator and checks offline: signed zone files (tests/dnssec_zones.py) from a private root.

Each defect domain must give exactly its outcome; the chain is the evidence; the same signature
is verified once per run; a SERVFAIL of a bogus zone becomes an error naming DNSSEC as the cause.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import dns.dnssec
import dns.name
import pytest

from mailtests.audit import Audit
from mailtests.checks.context import Context
from mailtests.checks.dnssec_status import Security, rrset_security
from mailtests.config import Config, load_config
from mailtests.dnslayer import DnsLayer
from mailtests.dnslayer.answer import Answer
from mailtests.dnslayer.layer import Recorder
from mailtests.dnslayer.zonefiles import ZoneSource
from mailtests.dnssec import TrustAnchorError, load_trust_anchor
from mailtests.dnssec.anchors import IANA_ROOT_ANCHOR, parse_trust_anchor
from mailtests.dnssec.rules import nsec3_problems, rsa_bits
from mailtests.result import Outcome
from tests.dnssec_zones import DOMAINS, write_tree

P, F, W, S, E = Outcome.PASS, Outcome.FAIL, Outcome.WARN, Outcome.SKIP, Outcome.ERROR
IDS = ("dnssec.signed", "dnssec.valid", "dnssec.signature-validity", "dnssec.algorithms", "dnssec.nsec3-parameters")

#: domain -> outcomes of IDS, in order.
EXPECTED = {
    "ok.com": (P, P, P, P, P),
    "expired.com": (P, F, W, P, P),
    "future.com": (P, F, W, P, P),
    "dsnokey.com": (P, F, S, P, P),
    "dsunsigned.com": (W, F, S, S, S),
    "nomxsig.com": (P, F, P, P, P),
    "rsasha1.com": (P, P, P, F, P),
    "nsec3.com": (P, P, P, P, F),
    "expiring.com": (P, P, W, P, P),
    "sha1ds.com": (P, P, P, F, P),
    "unsigned.com": (S, S, S, S, S),  # zone-file mode: an unsigned proposed zone may be signed by its server
}

MESSAGES = [
    ("expired.com", "dnssec.valid", "RRSIG DNSKEY of expired.com (algorithm 13 (ECDSAP256SHA256), key"),
    ("expired.com", "dnssec.valid", ") expired 20"),
    ("future.com", "dnssec.valid", "is not valid before 20"),
    ("dsnokey.com", "dnssec.valid", "of dsnokey.com matches no DNSKEY of the zone (its keys, tag/algorithm:"),
    ("dsunsigned.com", "dnssec.valid", "serves no DNSKEY: a DS over an unsigned zone"),
    ("nomxsig.com", "dnssec.valid", "the MX RRset of nomxsig.com has no RRSIG"),
    ("rsasha1.com", "dnssec.algorithms", "5 (RSASHA1)"),
    ("rsasha1.com", "dnssec.algorithms", "(1024 bits)"),
    ("nsec3.com", "dnssec.nsec3-parameters", "10 additional iteration(s)"),
    ("nsec3.com", "dnssec.nsec3-parameters", "salt ABCD"),
    ("expiring.com", "dnssec.signature-validity", "expires in 6.0 hours"),
    ("sha1ds.com", "dnssec.algorithms", "its DS records use only SHA-1 digests"),
    ("unsigned.com", "dnssec.valid", "the proposed zone file of unsigned.com is unsigned"),
]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_tree(tmp_path_factory.mktemp("signed") / "zones")


def _config(tree: dict[str, Path], anchor: Path | None = None) -> Config:
    folder = tree["."].parent
    path = folder.parent / f"domains-{(anchor or tree['anchor']).stem}.yaml"
    path.write_text(f"zones: [{folder}]\noffline: true\ntrust_anchor: {anchor or tree['anchor']}\n"
                    f"domains: [{', '.join(d.name for d in DOMAINS)}]\n")
    return load_config(path)


def _audit(tree: dict[str, Path], layer_cls=DnsLayer, anchor: Path | None = None) -> Audit:
    return Audit(layer_cls(None, ZoneSource([tree["."].parent]), offline=True), _config(tree, anchor))


@pytest.fixture(scope="module")
def audit(tree) -> Audit:
    return _audit(tree)


@pytest.mark.parametrize("domain", list(EXPECTED))
def test_outcomes(audit: Audit, domain: str) -> None:
    got = tuple(audit.result(domain, c).outcome for c in IDS)
    assert got == EXPECTED[domain], {c: audit.result(domain, c).message for c in IDS}


@pytest.mark.parametrize(("domain", "check_id", "text"), MESSAGES)
def test_messages(audit: Audit, domain: str, check_id: str, text: str) -> None:
    assert text in audit.result(domain, check_id).message


def test_chain_is_evidence(audit: Audit) -> None:
    result = audit.result("ok.com", "dnssec.valid")
    chain = "\n".join(result.details["chain"])
    assert "; . secure (chain starts at trust anchor" in chain
    assert "com.\tDS\t" in chain and "ok.com.\tDNSKEY\t257 3 13 ; key tag" in chain
    assert "ok.com.\tRRSIG MX alg 13 by ok.com./" in chain and ": ok" in chain
    asked = {(a.qname.to_text(), a.rdtype) for a in result.evidence}
    assert {("ok.com.", "DS"), ("ok.com.", "DNSKEY"), ("com.", "DNSKEY"), (".", "DNSKEY"), ("ok.com.", "MX")} <= asked
    mx = next(a for a in result.evidence if a.rdtype == "MX")
    assert mx.signatures and all(r.rdtype == "RRSIG" for r in mx.signatures)
    assert [r.rdtype for r in mx.records] == ["MX"]  # other checks still see only the type they asked for


def test_each_signature_verified_once(tree) -> None:
    fresh = _audit(tree)
    for check_id in IDS:
        fresh.result("ok.com", check_id)
    verifier = fresh._run_facts.fact("dnssec.verifier").value
    first = verifier.verified
    assert first > 0
    for check_id in IDS:
        fresh.compute("ok.com", check_id)  # computed again: the zone's verdicts and signatures are the run's
    assert verifier.verified == first


def test_wrong_trust_anchor_makes_the_root_bogus(tree) -> None:
    iana = tree["anchor"].parent / "iana.ds"
    iana.write_text("\n".join(f". IN DS {d.to_text()}" for d in IANA_ROOT_ANCHOR.ds) + "\n")
    found = _audit(tree, anchor=iana).result("ok.com", "dnssec.valid")
    assert found.outcome == F
    assert "DS 20326/8/SHA-256 of the root matches no DNSKEY" in found.message


def _ctx(audit: Audit, domain: str = "ok.com") -> Context:
    return Context(domain=domain, dns=Recorder(audit.layer), config=audit.config, zone_mode=True,
                   facts=audit.facts(domain), run_facts=audit._run_facts)


def test_rrset_security(audit: Audit) -> None:
    ctx = _ctx(audit)
    tlsa = dns.name.from_text("_25._tcp.mx.ok.com.")
    assert rrset_security(ctx, tlsa, "TLSA") == Security("secure", "")
    assert {(a.qname.to_text(), a.rdtype) for a in ctx.dns.answers} >= {(tlsa.to_text(), "TLSA"), ("ok.com.", "DS")}
    bogus = rrset_security(ctx, dns.name.from_text("nomxsig.com."), "MX")
    assert bogus.state == "bogus" and "has no RRSIG" in bogus.reason
    assert rrset_security(ctx, dns.name.from_text("_25._tcp.mx.expired.com."), "TLSA").state == "bogus"
    alias = dns.name.from_text("_25._tcp.mx2.ok.com.")  # a CNAME to expiring.com: that zone's keys sign the TLSA
    assert rrset_security(ctx, alias, "TLSA") == Security("secure", "")
    expired = rrset_security(ctx, dns.name.from_text("_25._tcp.mx3.ok.com."), "TLSA")
    assert expired.state == "bogus" and "expired.com" in expired.reason
    insecure = rrset_security(ctx, dns.name.from_text("_25._tcp.mx.unsigned.com."), "TLSA")
    assert insecure.state == "insecure" and "com publishes no DS record for unsigned.com" in insecure.reason
    assert dataclasses.is_dataclass(Security) and Security.__dataclass_params__.frozen


class ValidatingLayer(DnsLayer):
    """The zone files as a validating resolver serves them: SERVFAIL for the bogus domains, the data with CD."""

    BOGUS = ("expired.com.", "nomxsig.com.")

    def _resolve(self, qname, rdtype):
        answer = super()._resolve(qname, rdtype)
        if (qname.to_text() in self.BOGUS and rdtype in ("MX", "DNSKEY", "SOA")) or (
                qname.to_text() == "nomxsig.com." and rdtype == "MX"):
            if qname.to_text() == "nomxsig.com." and rdtype != "MX":
                return answer
            return Answer(qname, rdtype, "SERVFAIL", server="validator", error="server answered SERVFAIL")
        return answer

    def _resolve_cd(self, qname, rdtype):
        return super()._resolve(qname, rdtype)


def test_bogus_domain_errors_name_dnssec(tree) -> None:
    audit = _audit(tree, ValidatingLayer)
    mx = audit.result("nomxsig.com", "mx.present")
    assert mx.outcome == E
    assert mx.message.startswith("DNSSEC: bogus: the MX RRset of nomxsig.com has no RRSIG"), mx.message
    causes = {audit.result("expired.com", c).message for c in ("mx.present", "mx.resolve", "mx.null-mx")}
    assert len(causes) == 1 and next(iter(causes)).startswith("DNSSEC: bogus: RRSIG DNSKEY of expired.com"), causes
    assert audit.result("ok.com", "mx.present").outcome == P  # a secure domain is untouched


def test_trust_anchor_files(tmp_path: Path) -> None:
    keyfile = tmp_path / "root.key"
    keyfile.write_text("; a DNSKEY anchor\n. 172800 IN DNSKEY 257 3 13 "
                       "FYJko8iiq79oUnaL+L47FaoMcRBx1cvbTmXvdRQi4BW1Zux9cIhzI8oVrYWImlEXyj74ImbUD3lpLyE1BoO7Cg==\n")
    anchor = load_trust_anchor(keyfile)
    assert anchor.name == dns.name.root and len(anchor.dnskeys) == 1 and not anchor.ds
    assert {d.key_tag for d in load_trust_anchor(None).ds} == {20326, 38696}
    with pytest.raises(TrustAnchorError, match="only DS or DNSKEY"):
        parse_trust_anchor(". IN A 192.0.2.1", "x")
    with pytest.raises(TrustAnchorError, match="cannot read"):
        load_trust_anchor(tmp_path / "missing")


def test_rules() -> None:
    assert nsec3_problems(0, b"") == (None, None)
    fail, warn = nsec3_problems(5, b"\x01")
    assert "5 additional" in fail and "salt 01" in warn
    import dns.dnssec
    from cryptography.hazmat.primitives.asymmetric import rsa

    for bits in (1024, 2048):
        key = dns.dnssec.make_dnskey(rsa.generate_private_key(65537, bits).public_key(), 8)
        assert rsa_bits(key) == bits


def test_a_signed_zone_file_alone_is_validated_against_its_own_keys(tree, tmp_path) -> None:
    """Offline, without the parent's zone file: the zone's own KSKs stand in for the DS (said in the message)."""
    import shutil

    folder = tmp_path / "alone"
    folder.mkdir()
    shutil.copy(tree["ok.com"], folder)
    shutil.copy(tree["nomxsig.com"], folder)
    audit = Audit(DnsLayer(None, ZoneSource([folder]), offline=True), _config(tree))
    signed = audit.result("ok.com", "dnssec.signed")
    assert signed.outcome == P and "ok.com's own KSKs (the parent's DS is not available offline" in signed.message
    assert audit.result("ok.com", "dnssec.valid").outcome == P
    assert "has no RRSIG" in audit.result("nomxsig.com", "dnssec.valid").message


def test_reports_escape_the_chain() -> None:
    from mailtests.render import record_html, record_text

    record = {"check": "dnssec.valid", "domain": "x.com", "outcome": "fail", "severity": "FAIL", "message": "m",
              "reference": "RFC 4035 §5", "details": {"chain": ["; <script>alert(1)</script>.x.com. bogus"]}}
    html = record_html(record, [])
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;.x.com. bogus" in html
    assert "DNSSEC chain of trust\n; <script>" in record_text(record, [])


def test_an_algorithm_the_library_cannot_verify_is_indeterminate_not_bogus() -> None:
    """ECC-GOST (12): dnspython has no implementation; the signature is 'unsupported', the RRset indeterminate."""
    import dns.rdata
    import dns.rrset

    from mailtests.dnslayer.answer import Record
    from mailtests.dnssec import Verifier
    from mailtests.dnssec.chain import INDETERMINATE, ZoneVerdict, rrset_step

    name = dns.name.from_text("gost.example.")
    key = dns.rdata.from_text("IN", "DNSKEY", "257 3 12 " + "A" * 88)
    tag = dns.dnssec.key_id(key)
    sig = dns.rdata.from_text("IN", "RRSIG", f"MX 12 2 3600 20991231000000 20200101000000 {tag} gost.example. "
                              + "B" * 88)
    mx = dns.rdata.from_text("IN", "MX", "10 mx.gost.example.")
    verifier = Verifier()
    check = verifier.check(dns.rrset.from_rdata_list(name, 3600, [mx]), sig, [key])
    assert check.status == "unsupported" and "cannot verify" in check.reason()
    answer = Answer(name, "MX", "NOERROR", (Record(name, 3600, mx),), signatures=(Record(name, 3600, sig),))
    verdict = rrset_step(ZoneVerdict(name, "secure", keys=(key,), signed=True), answer, verifier)
    assert verdict.state == INDETERMINATE and "algorithm 12" in verdict.reason


def test_a_domain_outside_the_anchor_tree_is_insecure(tree, tmp_path) -> None:
    anchor = tmp_path / "org.ds"
    anchor.write_text("org. IN DS 12345 13 2 " + "AB" * 32 + "\n")
    from mailtests.checks.dnssec import dnssec_signed, dnssec_valid

    ctx = dataclasses.replace(_ctx(_audit(tree, anchor=anchor)), zone_mode=False)  # as for a live domain
    valid = dnssec_valid(ctx)
    assert valid.skipped and "ok.com is outside the trust anchor's tree" in valid.message
    assert not dnssec_signed(ctx).ok
