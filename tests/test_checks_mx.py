"""The MX checks by example: a zone as an administrator would write it, and what each check says about it."""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import SimpleNamespace

import dns.name
import dns.rdata
import pytest

from mailtests.audit import Audit
from mailtests.checks.mx import ip_written_as_name
from mailtests.config import DomainEntry
from mailtests.dnslayer import Answer, DnsLayer, Record
from mailtests.dnslayer.zonefiles import ZoneSource
from mailtests.result import Outcome, Result

MX_CHECKS = ("mx.present", "mx.null-mx", "mx.hostname", "mx.not-alias", "mx.resolve", "mx.ipv4")
OTHER_MX_CHECKS = ("mx.hostname", "mx.not-alias", "mx.resolve", "mx.ipv4")


def zone(origin: str, body: str) -> str:
    """A zone file: SOA and NS (served from outside the zone), then ``body``."""
    return (f"$ORIGIN {origin}.\n$TTL 3600\n@ SOA ns1.example.net. hostmaster.example.net. 1 7200 900 1209600 3600\n"
            f"@ NS ns1.example.net.\n{textwrap.dedent(body)}")


class Broken:
    """A resolver for the names outside the zone files: every question gets ``rcode`` (SERVFAIL, NXDOMAIN...)."""

    def __init__(self, rcode: str = "SERVFAIL"):
        self.rcode = rcode

    def query(self, qname: dns.name.Name, rdtype: str) -> Answer:
        error = None if self.rcode in ("NOERROR", "NXDOMAIN") else f"server answered {self.rcode}"
        return Answer(qname, rdtype, self.rcode, server="192.0.2.53:53", error=error)


def audit(tmp_path: Path, body: str | None, resolver: Broken | None = None) -> Audit:
    """example.com as ``body`` describes it (None: no zone file), the rest of the DNS offline or ``resolver``."""
    if body is not None:
        (tmp_path / "example.com.zone").write_text(zone("example.com", body))
    layer = DnsLayer(resolver, ZoneSource([tmp_path]), offline=resolver is None)
    entry = DomainEntry("example.com", "example.com")
    return Audit(layer, SimpleNamespace(domains=(entry,)))


def check(tmp_path: Path, check_id: str, body: str | None, resolver: Broken | None = None) -> Result:
    return audit(tmp_path, body, resolver).result("example.com", check_id)


HEALTHY = """
    @     MX   10 mx1
    @     MX   20 mx2
    mx1   A    192.0.2.10
    mx1   AAAA 2001:db8::10
    mx2   A    192.0.2.11
"""


@pytest.mark.parametrize("check_id", MX_CHECKS)
def test_a_healthy_mx_set_passes_every_check(tmp_path, check_id):
    result = check(tmp_path, check_id, HEALTHY)
    assert result.outcome is Outcome.PASS, result.message


def test_mx_present_lists_the_exchanges(tmp_path):
    result = check(tmp_path, "mx.present", HEALTHY)
    assert "MX record(s): mx1.example.com, mx2.example.com" in result.message
    assert result.details["exchanges"] == ["10 mx1.example.com.", "20 mx2.example.com."]
    assert [a.rdtype for a in result.evidence] == ["MX"]  # the evidence is the question asked


def test_no_mx_but_an_address_is_an_implicit_mx_warning(tmp_path):
    result = check(tmp_path, "mx.present", "@ A 192.0.2.1\n")
    assert result.outcome is Outcome.WARN
    assert "implicit MX" in result.message and "192.0.2.1" in result.message and "`0 .`" in result.message


def test_no_mx_and_no_address_fails(tmp_path):
    result = check(tmp_path, "mx.present", "@ TXT \"v=spf1 -all\"\n")
    assert result.outcome is Outcome.FAIL
    assert "no MX records and no address record" in result.message


def test_a_domain_that_does_not_exist_fails(tmp_path):
    result = check(tmp_path, "mx.present", None, Broken("NXDOMAIN"))
    assert result.outcome is Outcome.FAIL and "NXDOMAIN" in result.message


@pytest.mark.parametrize("check_id", (*OTHER_MX_CHECKS, "mx.null-mx"))
def test_without_mx_records_the_other_checks_skip_and_say_why(tmp_path, check_id):
    result = check(tmp_path, check_id, "@ A 192.0.2.1\n")
    assert result.outcome is Outcome.SKIP
    assert "no MX records" in result.message


def test_a_null_mx_passes(tmp_path):
    for check_id in ("mx.present", "mx.null-mx"):
        result = check(tmp_path, check_id, "@ MX 0 .\n")
        assert result.outcome is Outcome.PASS, result.message
        assert "null MX" in result.message


@pytest.mark.parametrize("check_id", OTHER_MX_CHECKS)
def test_a_null_mx_makes_the_other_mx_checks_skip(tmp_path, check_id):
    result = check(tmp_path, check_id, "@ MX 0 .\n")
    assert result.outcome is Outcome.SKIP
    assert "null MX" in result.message and "accepts no mail" in result.message


def test_a_null_mx_beside_other_mx_records_fails(tmp_path):
    body = "@ MX 0 .\n@ MX 10 mx1\nmx1 A 192.0.2.10\n"
    result = check(tmp_path, "mx.null-mx", body)
    assert result.outcome is Outcome.FAIL
    assert "MUST NOT publish any other MX record" in result.message and "(mx1.example.com)" in result.message
    # the ordinary exchange is still one senders may use, so it is still checked
    assert check(tmp_path, "mx.resolve", body).outcome is Outcome.PASS
    assert "mx.null-mx reports" in check(tmp_path, "mx.present", body).message


def test_a_null_mx_of_another_preference_fails(tmp_path):
    result = check(tmp_path, "mx.null-mx", "@ MX 10 .\n")
    assert result.outcome is Outcome.FAIL and "`10 .`" in result.message and "`0 .`" in result.message


def test_an_exchange_written_as_an_ipv4_address_fails(tmp_path):
    body = "@ MX 10 192.0.2.25.\n@ MX 20 mail\nmail A 192.0.2.29\n"
    result = check(tmp_path, "mx.hostname", body)
    assert result.outcome is Outcome.FAIL
    assert "192.0.2.25." in result.message and "mail.example.com." not in result.details["ip_exchanges"][0]


def test_an_address_without_the_final_dot_gets_the_origin_appended_and_fails(tmp_path):
    result = check(tmp_path, "mx.hostname", "@ MX 10 192.0.2.25\n")
    assert result.outcome is Outcome.FAIL
    assert "`192.0.2.25.example.com.` (the address 192.0.2.25)" in result.message


def test_a_real_host_named_after_its_address_passes(tmp_path):
    result = check(tmp_path, "mx.hostname", "@ MX 10 192.0.2.25\n192.0.2.25 A 192.0.2.25\n")
    assert result.outcome is Outcome.PASS, result.message


@pytest.mark.parametrize(("exchange", "ip"), [
    ("192.0.2.25.", "192.0.2.25"),
    ("2001:db8::25.", "2001:db8::25"),
    ("[192.0.2.25].", "192.0.2.25"),
    ("[IPv6:2001:db8::25].", "2001:db8::25"),
    ("192.0.2.25.example.com.", "192.0.2.25"),
    ("mail.example.com.", None),
    ("25.example.com.", None),
    ("192.0.2.25.example.net.", None),  # another zone's host: a name, whatever it spells
])
def test_which_exchange_names_spell_an_ip_address(exchange, ip):
    assert ip_written_as_name(dns.name.from_text(exchange), dns.name.from_text("example.com.")) == ip


def test_an_exchange_that_is_a_cname_fails_not_alias_but_resolves(tmp_path):
    body = "@ MX 10 mail\nmail CNAME host\nhost A 192.0.2.30\n"
    result = check(tmp_path, "mx.not-alias", body)
    assert result.outcome is Outcome.FAIL
    assert "mail.example.com (CNAME to host.example.com)" in result.message
    assert check(tmp_path, "mx.resolve", body).outcome is Outcome.PASS


def test_a_cname_loop_at_an_exchange_is_reported_not_followed_forever(tmp_path):
    body = "@ MX 10 a\na CNAME b\nb CNAME a\n"
    results = {cid: check(tmp_path, cid, body) for cid in OTHER_MX_CHECKS}
    assert results["mx.not-alias"].outcome is Outcome.FAIL and "CNAME loop" in results["mx.not-alias"].message
    assert results["mx.resolve"].outcome is Outcome.FAIL and "CNAME loop" in results["mx.resolve"].message
    assert results["mx.hostname"].outcome is Outcome.PASS
    assert results["mx.ipv4"].outcome is Outcome.SKIP and "mx.resolve" in results["mx.ipv4"].message


def test_an_exchange_without_an_address_fails(tmp_path):
    body = "@ MX 10 mail\n@ MX 20 out\nout A 192.0.2.31\nmail TXT \"no address here\"\n"
    result = check(tmp_path, "mx.resolve", body)
    assert result.outcome is Outcome.FAIL
    assert result.details["unresolved"] == ["mail.example.com"]
    assert "Publish an address record" in result.message


def test_an_ipv6_only_mx_set_is_a_warning(tmp_path):
    result = check(tmp_path, "mx.ipv4", "@ MX 10 mail\nmail AAAA 2001:db8::31\n")
    assert result.outcome is Outcome.WARN
    assert "has an A record (exchanges: mail.example.com)" in result.message


def test_a_253_character_exchange_name_is_checked_like_any_other(tmp_path):
    long = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 49])  # + ".example.com" = 253 characters
    assert len(f"{long}.example.com") == 253
    body = f"@ MX 10 {long}\n{long} A 192.0.2.64\n"
    for check_id in MX_CHECKS:
        assert check(tmp_path, check_id, body).outcome is Outcome.PASS


def test_tens_of_exchanges_give_one_short_message(tmp_path):
    body = "".join(f"@ MX {i} mx{i}\n" for i in range(60))
    result = check(tmp_path, "mx.resolve", body)
    assert result.outcome is Outcome.FAIL
    assert len(result.details["unresolved"]) == 60
    assert "and 50 more" in result.message and len(result.message) < 600


def test_a_failed_lookup_is_an_error_never_a_pass(tmp_path):
    body = "@ MX 10 mail.example.net.\n"  # the exchange's zone is not here: its lookups SERVFAIL
    for check_id in OTHER_MX_CHECKS:
        result = check(tmp_path, check_id, body, Broken("SERVFAIL"))
        if check_id == "mx.hostname":
            assert result.outcome is Outcome.PASS  # needs no lookup of the exchange
            continue
        assert result.outcome is Outcome.ERROR, check_id
        assert "mail.example.net. A: SERVFAIL" in result.message


class LoopingResolver:
    """Like Unbound on a CNAME loop: SERVFAIL for the address, but a CNAME question gets the one record."""

    loop = {"a.example.net.": "b.example.net.", "b.example.net.": "a.example.net."}

    def query(self, qname: dns.name.Name, rdtype: str) -> Answer:
        target = self.loop.get(qname.to_text())
        if rdtype == "CNAME" and target:
            record = Record(qname, 300, dns.rdata.from_text("IN", "CNAME", target))
            return Answer(qname, rdtype, "NOERROR", (record,), server="192.0.2.53:53")
        return Answer(qname, rdtype, "SERVFAIL", server="192.0.2.53:53", error="server answered SERVFAIL")


def test_a_resolver_that_answers_servfail_to_a_cname_loop_still_gives_a_clear_finding(tmp_path):
    body = "@ MX 10 a.example.net.\n"
    result = check(tmp_path, "mx.not-alias", body, LoopingResolver())
    assert result.outcome is Outcome.FAIL
    assert "a CNAME loop: a.example.net -> b.example.net -> a.example.net" in result.message
    assert {(a.qname.to_text(), a.rdtype) for a in result.evidence} >= {("a.example.net.", "A"),
                                                                         ("b.example.net.", "CNAME")}
    assert check(tmp_path, "mx.resolve", body, LoopingResolver()).outcome is Outcome.FAIL
    assert check(tmp_path, "mx.ipv4", body, LoopingResolver()).outcome is Outcome.SKIP


def test_an_overlong_cname_chain_counts_as_a_loop(tmp_path):
    body = "@ MX 10 c0\n" + "".join(f"c{i} CNAME c{i + 1}\n" for i in range(30)) + "c30 A 192.0.2.1\n"
    result = check(tmp_path, "mx.resolve", body)
    assert result.outcome is Outcome.FAIL
    assert "c0.example.com -> c1.example.com -> ... ->" in result.message
