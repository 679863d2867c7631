"""The HELO checks by example: the names a mail server may say in EHLO, and what the DNS says about them."""

from __future__ import annotations

import ipaddress
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from mailtests.audit import Audit
from mailtests.checks.helo import parse_helo, tld_problem
from mailtests.config import DomainEntry
from mailtests.dnslayer import DnsLayer
from mailtests.dnslayer.zonefiles import ZoneSource
from mailtests.result import Outcome, Result

HELO_CHECKS = ("helo.syntax", "helo.fqdn-in-tld", "helo.resolves", "helo.matches-ptr")
DOMAIN = """
    @     MX   10 mail
    mail  A    192.0.2.10
    mail  AAAA 2001:db8::10
    out   A    192.0.2.11
    other A    198.51.100.50
"""
REVERSE = "10 PTR mail.example.com.\n11 PTR out.example.com.\n"


def zone(origin: str, body: str) -> str:
    return (f"$ORIGIN {origin}.\n$TTL 3600\n@ SOA ns1.example.net. hostmaster.example.net. 1 7200 900 1209600 3600\n"
            f"@ NS ns1.example.net.\n{textwrap.dedent(body)}")


def check(tmp_path: Path, check_id: str, helo: tuple[str, ...], sending_ips: tuple[str, ...] = ("192.0.2.10",),
          reverse: str | None = REVERSE) -> Result:
    """Run a check for example.com, whose mail servers say ``helo`` and send from ``sending_ips``."""
    (tmp_path / "example.com.zone").write_text(zone("example.com", DOMAIN))
    if reverse is not None:
        (tmp_path / "2.0.192.in-addr.arpa.zone").write_text(zone("2.0.192.in-addr.arpa", reverse))
    layer = DnsLayer(None, ZoneSource([tmp_path]), offline=True)
    ips = tuple(ipaddress.ip_address(ip) for ip in sending_ips)
    entry = DomainEntry("example.com", "example.com", ips, helo)
    return Audit(layer, SimpleNamespace(domains=(entry,))).result("example.com", check_id)


# -- helo.syntax: RFC 5321 §4.1.2 Domain, §4.1.3 address-literal -----------------------------------------

@pytest.mark.parametrize(("text", "kind"), [
    ("mail.example.com", "domain"),
    ("MAIL.Example.COM", "domain"),
    ("mx-1.example.com", "domain"),
    ("1mail.example.com", "domain"),
    ("xn--bcher-kva.example", "domain"),
    ("mail", "domain"),  # valid syntax; helo.fqdn-in-tld says it is not fully qualified
    (".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61]), "domain"),  # 253 characters
    ("[192.0.2.1]", "ipv4"),
    ("[IPv6:2001:db8::1]", "ipv6"),
    ("[ipv6:2001:DB8::1]", "ipv6"),
    ("[IPv6:::ffff:192.0.2.1]", "ipv6"),
])
def test_valid_helo_names(text, kind):
    helo = parse_helo(text)
    assert (helo.kind, helo.error) == (kind, "")


@pytest.mark.parametrize(("text", "why"), [
    ("", "empty"),
    ("bad_name..example", "'_'"),
    ("mail..example.com", "empty label"),
    (".mail.example.com", "empty label"),
    ("mail.example.com.", "trailing dot"),
    ("-mail.example.com", "hyphen"),
    ("mail-.example.com", "hyphen"),
    ("mail server.example.com", "' '"),
    ("bücher.example", "A-label"),
    ("a" * 64 + ".example.com", "more than 63"),
    (".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 62]), "more than 253"),
    ("192.0.2.1", "write the address literal [192.0.2.1]"),
    ("2001:db8::1", "[IPv6:2001:db8::1]"),
    ("[2001:db8::1]", "write [IPv6:2001:db8::1]"),
    ("[192.0.2.256]", "0 to 255"),
    ("[192.0.2.1", "enclosed in [ and ]"),
    ("[IPv6:2001:db8::g]", "not an IPv6 address"),
    ("[IPv6:fe80::1%eth0]", "not an IPv6 address"),
    ("[X-Tag:whatever]", "no registered address-literal tag"),
    ("[mail.example.com]", "not an IPv4 address"),
])
def test_invalid_helo_names_say_why(text, why):
    helo = parse_helo(text)
    assert helo.kind == "invalid"
    assert why in helo.error


def test_helo_syntax_fails_with_the_rule_to_follow(tmp_path):
    result = check(tmp_path, "helo.syntax", ("bad_name..example", "mail.example.com"))
    assert result.outcome is Outcome.FAIL
    assert "'bad_name..example'" in result.message and "mail.example.com" not in result.details["invalid"][0]["name"]
    assert "[192.0.2.1]" in result.message and "[IPv6:2001:db8::1]" in result.message


def test_an_address_literal_is_valid_syntax(tmp_path):
    assert check(tmp_path, "helo.syntax", ("[192.0.2.10]",)).outcome is Outcome.PASS


@pytest.mark.parametrize("check_id", HELO_CHECKS)
def test_without_a_helo_name_every_helo_check_skips(tmp_path, check_id):
    result = check(tmp_path, check_id, ())
    assert result.outcome is Outcome.SKIP
    assert result.message.startswith("no HELO name listed in the domains file")


@pytest.mark.parametrize("check_id", HELO_CHECKS[1:])
def test_an_invalid_name_is_left_to_helo_syntax(tmp_path, check_id):
    result = check(tmp_path, check_id, ("bad_name..example",))
    assert result.outcome is Outcome.SKIP and "helo.syntax" in result.message


# -- helo.fqdn-in-tld: RFC 5321 §2.3.5, RFC 6761, RFC 6762 ------------------------------------------------

@pytest.mark.parametrize(("name", "why"), [
    ("mail", "not fully qualified"),
    ("exchange.local", ".local, reserved for multicast DNS"),
    ("host.internal", ".internal"),
    ("x.home.arpa", ".home.arpa, reserved for home networks (RFC 8375)"),
    ("mail.localhost", ".localhost"),
    ("mail.test", ".test"),
    ("mail.invalid", ".invalid"),
    ("mail.example", ".example"),
    ("abcdef.onion", ".onion"),
    ("mail.alt", ".alt"),
    ("1.2.0.192.in-addr.arpa", ".arpa"),
    ("mail.corp", ".corp is not a delegated top-level domain"),
    ("mail.lan", ".lan is not"),
])
def test_names_that_are_not_public_fqdns(name, why):
    assert why in tld_problem(name)


@pytest.mark.parametrize("name", ["mail.example.com", "MX1.Example.ORG", "smtp.example.co.uk", "mx.example.ck",
                                  "mail.example.xn--p1ai", "mail.example.museum"])
def test_names_in_delegated_tlds(name):
    assert tld_problem(name) == ""


def test_helo_fqdn_in_tld_fails_for_a_local_name(tmp_path):
    result = check(tmp_path, "helo.fqdn-in-tld", ("exchange.local",))
    assert result.outcome is Outcome.FAIL
    assert "'exchange.local' (ends in .local" in result.message and "mail.example.com" in result.message


def test_an_address_literal_skips_fqdn_in_tld(tmp_path):
    result = check(tmp_path, "helo.fqdn-in-tld", ("[192.0.2.10]",))
    assert result.outcome is Outcome.SKIP and "address literal" in result.message


# -- helo.resolves: RFC 5321 §2.3.5 ---------------------------------------------------------------------

def test_a_helo_name_with_an_address_resolves(tmp_path):
    result = check(tmp_path, "helo.resolves", ("mail.example.com",))
    assert result.outcome is Outcome.PASS
    assert result.details["addresses"] == {"mail.example.com": ["192.0.2.10", "2001:db8::10"]}


@pytest.mark.parametrize(("helo", "why"), [("nothing.example.com", "NXDOMAIN"), ("example.com", "no A or AAAA")])
def test_a_helo_name_without_an_address_is_a_warning(tmp_path, helo, why):
    result = check(tmp_path, "helo.resolves", (helo,))
    assert result.outcome is Outcome.WARN
    assert f"{helo} ({why}" in result.message


def test_offline_a_name_outside_the_zone_files_cannot_be_checked(tmp_path):
    result = check(tmp_path, "helo.resolves", ("mail.example.net",))
    assert result.outcome is Outcome.SKIP and "outside the zone files" in result.message


# -- helo.matches-ptr -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("helo", "sending_ips", "how"), [
    ("mail.example.com", ("192.0.2.10",), "is a PTR name of a sending IP"),
    ("MAIL.example.com", ("192.0.2.10",), "is a PTR name of a sending IP"),
    ("out.example.com", ("192.0.2.10", "192.0.2.11"), "is a PTR name of a sending IP"),
    ("mail.example.com", ("2001:db8::10",), "resolves to the sending IP 2001:db8::10"),  # no ip6.arpa zone here
    ("[192.0.2.10]", ("192.0.2.10",), "is the sending IP 192.0.2.10"),
    ("[IPv6:2001:db8:0::10]", ("2001:db8::10",), "is the sending IP 2001:db8::10"),
])
def test_helo_names_that_match_a_sending_ip(tmp_path, helo, sending_ips, how):
    result = check(tmp_path, "helo.matches-ptr", (helo,), sending_ips)
    assert result.outcome is Outcome.PASS, result.message
    assert result.details["matched"] == {helo: how}


def test_a_helo_name_that_resolves_elsewhere_is_a_warning(tmp_path):
    result = check(tmp_path, "helo.matches-ptr", ("other.example.com",))
    assert result.outcome is Outcome.WARN
    assert "other.example.com (resolves to 198.51.100.50)" in result.message
    assert "The sending IPs are 192.0.2.10, whose PTR names are mail.example.com." in result.message


def test_an_address_literal_of_another_ip_is_a_warning(tmp_path):
    result = check(tmp_path, "helo.matches-ptr", ("[192.0.2.99]",))
    assert result.outcome is Outcome.WARN and "not one of the sending IPs" in result.message


def test_matches_ptr_says_when_the_sending_ips_were_assumed(tmp_path):
    result = check(tmp_path, "helo.matches-ptr", ("mail.example.com",), sending_ips=())
    assert result.outcome is Outcome.PASS
    assert result.details["sending_ips"] == ["192.0.2.10", "2001:db8::10"]
    assert "assumed" in result.message and "assumed" in result.details["sending_ips_source"]
