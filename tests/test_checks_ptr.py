"""The reverse DNS checks by example: sending IPs, their PTR records, and the names those resolve to."""

from __future__ import annotations

import ipaddress
import textwrap
from pathlib import Path
from types import SimpleNamespace

import dns.name
import pytest

from mailtests.audit import Audit
from mailtests.config import DomainEntry
from mailtests.dnslayer import Answer, DnsLayer
from mailtests.dnslayer.zonefiles import ZoneSource
from mailtests.result import Outcome, Result

V6_REVERSE = "8.b.d.0.1.0.0.2.ip6.arpa"  # 2001:db8::/32
V6_NIBBLES_10 = "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0"  # ::10 below it

DOMAIN = """
    @     MX   10 mail
    mail  A    192.0.2.10
    mail  AAAA 2001:db8::10
"""
REVERSE4 = "10 PTR mail.example.com.\n"
REVERSE6 = f"{V6_NIBBLES_10} PTR mail.example.com.\n"


def zone(origin: str, body: str) -> str:
    return (f"$ORIGIN {origin}.\n$TTL 3600\n@ SOA ns1.example.net. hostmaster.example.net. 1 7200 900 1209600 3600\n"
            f"@ NS ns1.example.net.\n{textwrap.dedent(body)}")


class Servfail:
    """The resolver for names outside the zone files: it answers SERVFAIL to everything."""

    def query(self, qname: dns.name.Name, rdtype: str) -> Answer:
        return Answer(qname, rdtype, "SERVFAIL", server="192.0.2.53:53", error="server answered SERVFAIL")


def check(tmp_path: Path, check_id: str, *, domain: str = DOMAIN, reverse4: str | None = REVERSE4,
          reverse6: str | None = REVERSE6, sending_ips: tuple[str, ...] = (), resolver: Servfail | None = None,
          zones: dict[str, str] | None = None) -> Result:
    """Run a check for example.com; ``None`` leaves a reverse zone out of the zone files."""
    files = {"example.com": domain, "2.0.192.in-addr.arpa": reverse4, V6_REVERSE: reverse6, **(zones or {})}
    for origin, body in files.items():
        if body is not None:
            (tmp_path / f"{origin}.zone").write_text(zone(origin, body))
    layer = DnsLayer(resolver, ZoneSource([tmp_path]), offline=resolver is None)
    entry = DomainEntry("example.com", "example.com", tuple(ipaddress.ip_address(ip) for ip in sending_ips))
    return Audit(layer, SimpleNamespace(domains=(entry,))).result("example.com", check_id)


@pytest.mark.parametrize("check_id", ["ptr.present", "ptr.forward-confirmed"])
def test_listed_ipv4_and_ipv6_with_matching_ptr_records_pass(tmp_path, check_id):
    result = check(tmp_path, check_id, sending_ips=("192.0.2.10", "2001:db8::10"))
    assert result.outcome is Outcome.PASS, result.message
    assert result.details["sending_ips"] == ["192.0.2.10", "2001:db8::10"]
    assert result.details["sending_ips_source"] == "listed in the domains file"
    assert "assumed" not in result.message


def test_the_reverse_names_are_in_addr_arpa_and_ip6_arpa_nibbles(tmp_path):
    result = check(tmp_path, "ptr.present", sending_ips=("192.0.2.10", "2001:db8::10"))
    asked = [(a.qname.to_text(), a.rdtype) for a in result.evidence if a.rdtype == "PTR"]
    assert asked == [("10.2.0.192.in-addr.arpa.", "PTR"), (f"{V6_NIBBLES_10}.{V6_REVERSE}.", "PTR")]
    assert result.details["ptr"] == {"192.0.2.10": ["mail.example.com."], "2001:db8::10": ["mail.example.com."]}


def test_without_listed_ips_the_mx_hosts_addresses_are_assumed_and_the_report_says_so(tmp_path):
    result = check(tmp_path, "ptr.present")
    assert result.outcome is Outcome.PASS
    assert result.details["sending_ips"] == ["192.0.2.10", "2001:db8::10"]
    assert result.details["sending_ips_source"].startswith("assumed: the addresses of the domain's MX hosts")
    assert "assumed" in result.message


@pytest.mark.parametrize("check_id", ["ptr.present", "ptr.forward-confirmed"])
def test_no_sending_ips_at_all_skips_with_the_reason(tmp_path, check_id):
    result = check(tmp_path, check_id, domain="@ MX 0 .\n")
    assert result.outcome is Outcome.SKIP
    assert "no sending IP" in result.message and "sending_ips" in result.message
    assert result.details["sending_ips"] == []


def test_an_ip_without_a_ptr_record_fails_and_cannot_be_forward_confirmed(tmp_path):
    present = check(tmp_path, "ptr.present", sending_ips=("192.0.2.66", "192.0.2.10"))
    assert present.outcome is Outcome.FAIL
    assert "192.0.2.66 (66.2.0.192.in-addr.arpa: NXDOMAIN)" in present.message
    assert "192.0.2.10" not in present.message.split(":")[1]  # only the one without
    fcrdns = check(tmp_path, "ptr.forward-confirmed", sending_ips=("192.0.2.66",))
    assert fcrdns.outcome is Outcome.WARN and "ptr.present reports it" in fcrdns.message


def test_a_ptr_name_that_resolves_elsewhere_is_a_warning(tmp_path):
    domain = "@ MX 10 mail\nmail A 192.0.2.77\ngw A 192.0.2.78\n"
    reverse = "77 PTR gw.example.com.\n"
    assert check(tmp_path, "ptr.present", domain=domain, reverse4=reverse).outcome is Outcome.PASS
    result = check(tmp_path, "ptr.forward-confirmed", domain=domain, reverse4=reverse)
    assert result.outcome is Outcome.WARN
    assert "192.0.2.77 (PTR gw.example.com: no A record back to 192.0.2.77)" in result.message


def test_at_most_ten_ptr_names_are_tried(tmp_path):
    reverse = "".join(f"10 PTR host{i}.example.com.\n" for i in range(12))
    domain = "".join(f"host{i} A 192.0.2.{100 + i}\n" for i in range(12))
    result = check(tmp_path, "ptr.forward-confirmed", domain=domain, reverse4=reverse, sending_ips=("192.0.2.10",))
    assert result.outcome is Outcome.WARN
    assert "only the first 10 of 12 tried" in result.message
    assert sum(a.rdtype == "A" for a in result.evidence) == 10


def test_a_classless_delegation_cname_is_followed(tmp_path):
    """RFC 2317: the /24's owner points 10.2.0.192.in-addr.arpa at the customer's zone with a CNAME."""
    reverse = "10 CNAME 10.0-25.2.0.192.in-addr.arpa.\n0-25 NS ns1.example.net.\n"
    classless = "10 PTR mail.example.com.\n"
    result = check(tmp_path, "ptr.forward-confirmed", reverse4=reverse, sending_ips=("192.0.2.10",),
                   zones={"0-25.2.0.192.in-addr.arpa": classless})
    assert result.outcome is Outcome.PASS, result.message


def test_a_failed_reverse_lookup_is_an_error(tmp_path):
    result = check(tmp_path, "ptr.present", reverse4=None, sending_ips=("192.0.2.10",), resolver=Servfail())
    assert result.outcome is Outcome.ERROR
    assert "10.2.0.192.in-addr.arpa. PTR: SERVFAIL" in result.message


def test_a_failed_forward_lookup_is_an_error_unless_another_name_confirms(tmp_path):
    reverse = "10 PTR mail.example.net.\n"  # outside the zone files: its A lookup SERVFAILs
    result = check(tmp_path, "ptr.forward-confirmed", reverse4=reverse, sending_ips=("192.0.2.10",),
                   resolver=Servfail())
    assert result.outcome is Outcome.ERROR and "mail.example.net. A: SERVFAIL" in result.message
    reverse += "10 PTR mail.example.com.\n"
    result = check(tmp_path, "ptr.forward-confirmed", reverse4=reverse, sending_ips=("192.0.2.10",),
                   resolver=Servfail())
    assert result.outcome is Outcome.PASS, result.message


@pytest.mark.parametrize("check_id", ["ptr.present", "ptr.forward-confirmed"])
def test_offline_without_the_reverse_zone_the_check_skips(tmp_path, check_id):
    result = check(tmp_path, check_id, reverse4=None, sending_ips=("192.0.2.10",))
    assert result.outcome is Outcome.SKIP
    assert "not in the zone files" in result.message and "192.0.2.10" in result.message
