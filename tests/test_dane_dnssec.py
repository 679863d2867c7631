"""A TLSA RRset judged by the DNSSEC validator when it is reached through a CNAME (RFC 7672 §2.2.3, RFC 4035 §5):
every link of the chain must validate, not only the target; on zones dnspython signs, no I/O."""

from __future__ import annotations

from pathlib import Path

import dns.name
import pytest

from mailtests.audit import Audit
from mailtests.checks.context import Context
from mailtests.checks.dnssec_status import rrset_security
from mailtests.config import load_config
from mailtests.dnslayer import DnsLayer
from mailtests.dnslayer.answer import Answer
from mailtests.dnslayer.layer import Recorder
from mailtests.dnslayer.zonefiles import ZoneSource
from mailtests.result import Outcome
from tests.dnssec_zones import Signed, write_tree

ALIAS = "_25._tcp.alias CNAME _25._tcp.mx.ok.com."  # to a secure TLSA RRset in another zone
DOMAINS = [
    Signed("ok.com"),
    Signed("viaunsigned.com", signed=False, ds=False, extra=[ALIAS]),  # the alias itself is in an unsigned zone
    Signed("nocnamesig.com", drop_sig="CNAME", extra=[ALIAS]),  # a signed zone whose CNAME lost its RRSIG
    Signed("viasigned.com", extra=[ALIAS]),  # every link signed
]


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Context:
    made = write_tree(tmp_path_factory.mktemp("aliases") / "zones", domains=DOMAINS)
    folder: Path = made["."].parent
    domains = folder.parent / "domains.yaml"
    domains.write_text(f"zones: [{folder}]\noffline: true\ntrust_anchor: {made['anchor']}\ndomains: [ok.com]\n")
    audit = Audit(DnsLayer(None, ZoneSource([folder]), offline=True), load_config(domains))
    return Context(domain="ok.com", dns=Recorder(audit.layer), config=audit.config, zone_mode=True,
                   facts=audit.facts("ok.com"), run_facts=audit._run_facts)


def tlsa(ctx: Context, zone: str):
    return rrset_security(ctx, dns.name.from_text(f"_25._tcp.alias.{zone}."), "TLSA")


def test_an_alias_in_a_signed_zone_to_a_secure_tlsa_rrset_is_secure(ctx):
    assert tlsa(ctx, "viasigned.com").state == "secure"


def test_an_alias_in_an_unsigned_zone_makes_the_tlsa_rrset_insecure(ctx):
    found = tlsa(ctx, "viaunsigned.com")
    assert found.state == "insecure", found
    assert "_25._tcp.alias.viaunsigned.com is an alias" in found.reason
    assert "no DS record for viaunsigned.com" in found.reason


def test_an_alias_without_its_rrsig_makes_the_tlsa_rrset_bogus(ctx):
    found = tlsa(ctx, "nocnamesig.com")
    assert found.state == "bogus", found
    assert "the CNAME RRset of _25._tcp.alias.nocnamesig.com has no RRSIG" in found.reason


class ValidatingLayer(DnsLayer):
    """The zone files as a validating resolver serves them: SERVFAIL for the bogus TLSA RRset, its data with CD."""

    def _resolve(self, qname, rdtype):
        if qname.to_text() == "_25._tcp.mx.nosig.com." and rdtype == "TLSA":
            return Answer(qname, rdtype, "SERVFAIL", server="validator", error="server answered SERVFAIL")
        return super()._resolve(qname, rdtype)

    def _resolve_cd(self, qname, rdtype):
        return super()._resolve(qname, rdtype)


@pytest.fixture(scope="module")
def checks(tmp_path_factory: pytest.TempPathFactory) -> Audit:
    made = write_tree(tmp_path_factory.mktemp("tlsa") / "zones", domains=[
        Signed("ok.com"), Signed("nosig.com", drop_sig="TLSA"), Signed("unsigned.com", signed=False, ds=False)])
    folder: Path = made["."].parent
    domains = folder.parent / "domains.yaml"
    domains.write_text(f"zones: [{folder}]\noffline: true\ntrust_anchor: {made['anchor']}\n"
                       "domains: [ok.com, nosig.com, unsigned.com]\n")
    return Audit(ValidatingLayer(None, ZoneSource([folder]), offline=True), load_config(domains))


def test_a_bogus_tlsa_rrset_is_judged_not_an_error(checks):
    """The resolver withholds a bogus RRset (SERVFAIL): dane.tlsa asks again with CD and names the reason."""
    found = checks.result("nosig.com", "dane.tlsa")
    assert found.outcome is Outcome.FAIL, found.message
    assert "_25._tcp.mx.nosig.com is bogus (the TLSA RRset of _25._tcp.mx.nosig.com has no RRSIG" in found.message
    assert found.details["tlsa"] == {"_25._tcp.mx.nosig.com": [f"3 1 1 {'ab' * 32}"]}


@pytest.mark.parametrize(("domain", "outcome", "fragment"), [
    ("ok.com", Outcome.PASS, "DNSSEC-secure and usable"),
    ("unsigned.com", Outcome.FAIL, "_25._tcp.mx.unsigned.com is insecure (com publishes no DS record"),
])
def test_dane_tlsa_follows_the_validator(checks, domain, outcome, fragment):
    found = checks.result(domain, "dane.tlsa")
    assert (found.outcome, fragment in found.message) == (outcome, True), found.message
