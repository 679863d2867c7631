"""The name server checks by example, on a DNS built in memory.

``FakeDns`` plays both sides of what a check asks: the resolver (``query``: a flat
table of records, CNAMEs followed) and the name servers asked one by one without
recursion (``query_server``: one behaviour per address). The checks run through
:class:`~mailtests.audit.Audit`, so the outcomes are the ones a run reports.
"""

from __future__ import annotations

from collections.abc import Callable

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest

from mailtests.audit import Audit
from mailtests.dnslayer.answer import NOERROR, NXDOMAIN, TIMEOUT, Answer, Record
from mailtests.dnslayer.layer import to_name
from mailtests.result import Outcome, Result

Behaviour = Callable[[dns.name.Name, str], Answer]


def records(text: str) -> list[Record]:
    """Parse ``owner TYPE data`` lines (absolute names, TTL 3600)."""
    found = []
    for line in text.strip().splitlines():
        owner, rdtype, data = line.split(None, 2)
        rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), data)
        found.append(Record(dns.name.from_text(owner), 3600, rdata))
    return found


class ZoneFiles:
    """Zone files that cover every name: what the engine sees in zone-file mode."""

    def covers(self, name: dns.name.Name) -> bool:
        return True


class FakeDns:
    """A DNS layer without a network: the resolver's view of ``text``, and ``servers`` by address."""

    def __init__(self, text: str, servers: dict[str, Behaviour] | None = None):
        self.records = records(text)
        self.servers = servers or {}
        self.asked: list[tuple[str, str, str]] = []
        self.zones: ZoneFiles | None = None  # the engine asks it whether a domain's answers come from zone files

    def query(self, name: dns.name.Name | str, rdtype: str) -> Answer:
        qname = current = to_name(name)
        found: list[Record] = []
        for _ in range(8):
            cname = [r for r in self.records if r.name == current and r.rdtype == "CNAME"]
            if not cname:
                break
            found += cname
            current = cname[0].rdata.target
        found += [r for r in self.records if r.name == current and r.rdtype == rdtype]
        exists = any(r.name.is_subdomain(current) for r in self.records)
        return Answer(qname, rdtype, NOERROR if exists else NXDOMAIN, tuple(found), server="resolver")

    def query_server(self, address: str, name: dns.name.Name | str, rdtype: str, port: int = 53) -> Answer:
        self.asked.append((address, to_name(name).to_text(), rdtype))
        answer = self.servers.get(address, silent)(to_name(name), rdtype)
        return Answer(answer.qname, rdtype, answer.rcode, answer.records, server=f"{address}:{port}",
                      authoritative=answer.authoritative, error=answer.error, authority=answer.authority)


# -- how a name server behaves when asked directly ---------------------------------------------------


def serves(serial: int = 2024060101) -> Behaviour:
    """An authoritative server of the zone: AA set, the SOA with this serial."""

    def answer(qname: dns.name.Name, rdtype: str) -> Answer:
        soa = records(f"{qname} SOA ns1.example.net. hostmaster.{qname} {serial} 7200 900 1209600 3600")
        return Answer(qname, rdtype, NOERROR, tuple(soa), authoritative=True)

    return answer


def cached_copy(qname: dns.name.Name, rdtype: str) -> Answer:
    """A recursive server that answers the SOA from its cache: no AA flag."""
    return Answer(qname, rdtype, NOERROR, serves()(qname, rdtype).records, authoritative=False)


def refuses(qname: dns.name.Name, rdtype: str) -> Answer:
    return Answer(qname, rdtype, "REFUSED", error="server answered REFUSED")


def silent(qname: dns.name.Name, rdtype: str) -> Answer:
    return Answer(qname, rdtype, TIMEOUT, error="no answer within 2 s")


def delegates(text: str) -> Behaviour:
    """A parent-zone server: a referral (AUTHORITY section) for the delegations in ``text``, else NXDOMAIN."""
    delegation = records(text)

    def answer(qname: dns.name.Name, rdtype: str) -> Answer:
        ns = tuple(r for r in delegation if r.name == qname)
        return Answer(qname, rdtype, NOERROR if ns else NXDOMAIN, authority=ns, authoritative=not ns)

    return answer


# -- the world most examples start from --------------------------------------------------------------

HEALTHY = """
com. NS a.gtld.test.
a.gtld.test. A 192.0.2.53
example.com. NS ns1.example.net.
example.com. NS ns2.example.net.
ns1.example.net. A 192.0.2.1
ns2.example.net. A 192.0.2.2
ns2.example.net. AAAA 2001:db8::2
"""
PARENT = delegates("example.com. NS ns1.example.net.\nexample.com. NS ns2.example.net.")


def world(text: str = HEALTHY, **servers: Behaviour) -> FakeDns:
    """The DNS of ``text``; by default every name server address serves the zone and 192.0.2.53 serves com.

    ``servers`` replaces the behaviour of some addresses: ``world(**{"192.0.2.2": refuses})``.
    """
    defaults = {"192.0.2.1": serves(), "192.0.2.2": serves(), "2001:db8::2": serves(), "192.0.2.53": PARENT}
    return FakeDns(text, {**defaults, **servers})


def run(check_id: str, fake: FakeDns, domain: str = "example.com", zone_mode: bool = False) -> Result:
    """The check's result as a run reports it; ``zone_mode``: the domain's answers come from zone files."""
    fake.zones = ZoneFiles() if zone_mode else None
    return Audit(fake).result(domain, check_id)  # type: ignore[arg-type]


# -- ns.present --------------------------------------------------------------------------------------


def test_present_passes_with_an_ns_rrset():
    result = run("ns.present", world())
    assert result.outcome is Outcome.PASS
    assert "ns1.example.net, ns2.example.net" in result.message


def test_present_fails_for_a_name_without_ns_records():
    result = run("ns.present", world(HEALTHY + "www.example.com. A 192.0.2.80"), domain="www.example.com")
    assert result.outcome is Outcome.FAIL
    assert "publishes no NS records" in result.message


def test_present_fails_for_a_missing_domain():
    result = run("ns.present", world(), domain="nowhere.com")
    assert result.outcome is Outcome.FAIL
    assert "NXDOMAIN" in result.message


def test_present_fails_for_an_alias():
    result = run("ns.present", world(HEALTHY + "alias.com. CNAME example.com."), domain="alias.com")
    assert result.outcome is Outcome.FAIL
    assert "CNAME to example.com" in result.message


def test_present_is_an_error_when_the_lookup_times_out():
    class Down(FakeDns):
        def query(self, name, rdtype):
            return Answer(to_name(name), rdtype, TIMEOUT, server="127.0.0.1:53", error="no answer within 2 s")

    result = run("ns.present", Down(HEALTHY))
    assert result.outcome is Outcome.ERROR
    assert "example.com. NS: TIMEOUT (no answer within 2 s) from 127.0.0.1:53" in result.message


# -- ns.count ----------------------------------------------------------------------------------------


def test_count_passes_with_two_name_servers():
    assert run("ns.count", world()).outcome is Outcome.PASS


def test_count_warns_about_a_single_name_server():
    result = run("ns.count", world(HEALTHY.replace("example.com. NS ns2.example.net.\n", "")))
    assert result.outcome is Outcome.WARN
    assert "single name server (ns1.example.net)" in result.message


def test_count_skips_without_ns_records():
    result = run("ns.count", world(), domain="nowhere.com")
    assert result.outcome is Outcome.SKIP
    assert "ns.present reports it" in result.message


# -- ns.resolve --------------------------------------------------------------------------------------


def test_resolve_passes_when_every_host_has_an_address():
    result = run("ns.resolve", world())
    assert result.outcome is Outcome.PASS
    assert result.details["addresses"]["ns2.example.net"] == ["192.0.2.2", "2001:db8::2"]


def test_resolve_fails_for_a_host_without_address():
    text = HEALTHY + "example.com. NS ns3.example.net.\nns3.example.net. TXT \"no address\""
    result = run("ns.resolve", world(text))
    assert result.outcome is Outcome.FAIL
    assert "ns3.example.net has no A or AAAA record" in result.message


def test_resolve_fails_for_a_host_that_does_not_exist():
    result = run("ns.resolve", world(HEALTHY + "example.com. NS ns-gone.example.net."))
    assert result.outcome is Outcome.FAIL
    assert "ns-gone.example.net does not exist (NXDOMAIN)" in result.message


def test_resolve_fails_for_an_alias_even_when_it_leads_to_an_address():
    text = HEALTHY + "example.com. NS dns.example.net.\ndns.example.net. CNAME ns1.example.net."
    result = run("ns.resolve", world(text))
    assert result.outcome is Outcome.FAIL
    assert "dns.example.net is an alias (CNAME to ns1.example.net)" in result.message


# -- ns.authoritative --------------------------------------------------------------------------------


def test_authoritative_asks_every_address_of_every_host_without_recursion():
    fake = world()
    result = run("ns.authoritative", fake)
    assert result.outcome is Outcome.PASS
    assert sorted(fake.asked) == [(a, "example.com.", "SOA") for a in ("192.0.2.1", "192.0.2.2", "2001:db8::2")]
    assert [e.server for e in result.evidence if e.server.startswith(("192", "2001"))] == [
        "192.0.2.1:53", "192.0.2.2:53", "2001:db8::2:53"]


def test_authoritative_fails_for_a_server_that_refuses():
    result = run("ns.authoritative", world(**{"192.0.2.2": refuses}))
    assert result.outcome is Outcome.FAIL
    assert "lame delegation of example.com" in result.message
    assert "ns2.example.net (192.0.2.2) answered REFUSED" in result.message
    problems = {s["address"]: s["problem"] for s in result.details["servers"]}
    assert problems == {"192.0.2.1": None, "192.0.2.2": "answered REFUSED", "2001:db8::2": None}


def test_authoritative_fails_for_an_answer_without_the_aa_flag():
    result = run("ns.authoritative", world(**{"2001:db8::2": cached_copy}))
    assert result.outcome is Outcome.FAIL
    assert "ns2.example.net (2001:db8::2) answered without the AA flag" in result.message


def test_authoritative_timeout_is_a_finding_about_the_server_not_a_run_error():
    result = run("ns.authoritative", world(**{"192.0.2.1": silent}))
    assert result.outcome is Outcome.FAIL
    assert "ns1.example.net (192.0.2.1) gave no answer within 2 s" in result.message
    assert {s["address"]: s["rcode"] for s in result.details["servers"]}["192.0.2.1"] == TIMEOUT


def unroutable(qname: dns.name.Name, rdtype: str) -> Answer:
    """What a host without IPv6 gets when it asks an IPv6 address."""
    return Answer(qname, rdtype, TIMEOUT, error="unreachable: Network is unreachable")


def test_authoritative_leaves_out_addresses_this_host_cannot_reach():
    result = run("ns.authoritative", world(**{"2001:db8::2": unroutable}))
    assert result.outcome is Outcome.PASS
    assert "Not reachable from this host (unreachable: Network is unreachable): ns2.example.net (2001:db8::2)" in (
        result.message)


def test_authoritative_is_an_error_when_no_address_can_be_reached():
    fake = world(**{a: unroutable for a in ("192.0.2.1", "192.0.2.2", "2001:db8::2")})
    assert run("ns.authoritative", fake).outcome is Outcome.ERROR


def test_authoritative_skips_in_zone_file_mode():
    result = run("ns.authoritative", world(), zone_mode=True)
    assert result.outcome is Outcome.SKIP
    assert "needs live name servers" in result.message


def test_authoritative_skips_without_ns_records():
    assert run("ns.authoritative", world(), domain="nowhere.com").outcome is Outcome.SKIP


# -- ns.serial-consistent ----------------------------------------------------------------------------


def test_serial_consistent_passes_when_all_serve_one_serial():
    result = run("ns.serial-consistent", world())
    assert result.outcome is Outcome.PASS
    assert set(result.details["serials"].values()) == {2024060101}


def test_serial_consistent_warns_and_names_the_stale_server():
    result = run("ns.serial-consistent", world(**{"192.0.2.2": serves(2024050101)}))
    assert result.outcome is Outcome.WARN
    assert "2024060101 on ns1.example.net (192.0.2.1), ns2.example.net (2001:db8::2)" in result.message
    assert "2024050101 on ns2.example.net (192.0.2.2)" in result.message
    assert result.details["newest"] == 2024060101


def test_serial_consistent_compares_in_serial_arithmetic():
    """RFC 1982: after a wrap-around, 5 is newer than 4294967290."""
    wrapped = {"192.0.2.1": serves(4294967290), "192.0.2.2": serves(5), "2001:db8::2": serves(5)}
    result = run("ns.serial-consistent", world(**wrapped))
    assert result.outcome is Outcome.WARN
    assert result.details["newest"] == 5


def test_serial_consistent_leaves_out_lame_servers():
    result = run("ns.serial-consistent", world(**{"192.0.2.1": refuses}))
    assert result.outcome is Outcome.PASS
    assert "Not compared (no authoritative answer): ns1.example.net (192.0.2.1)" in result.message


def test_serial_consistent_skips_when_no_server_answers():
    fake = world(**{"192.0.2.1": refuses, "192.0.2.2": refuses, "2001:db8::2": refuses})
    assert run("ns.serial-consistent", fake).outcome is Outcome.SKIP


# -- ns.parent-match ---------------------------------------------------------------------------------


def test_parent_match_passes_for_the_same_set_in_any_case():
    fake = world(**{"192.0.2.53": delegates("example.com. NS NS1.Example.NET.\nexample.com. NS ns2.example.net.")})
    result = run("ns.parent-match", fake)
    assert result.outcome is Outcome.PASS
    assert result.details["parent_zone"] == "com."
    assert ("192.0.2.53", "example.com.", "NS") in fake.asked


def test_parent_match_warns_about_a_server_only_the_zone_lists():
    result = run("ns.parent-match", world(HEALTHY + "example.com. NS ns3.example.net.\nns3.example.net. A 192.0.2.3"))
    assert result.outcome is Outcome.WARN
    assert "only in the zone: ns3.example.net" in result.message
    assert result.details["delegated"] == ["ns1.example.net.", "ns2.example.net."]


def test_parent_match_warns_when_the_parent_does_not_delegate():
    result = run("ns.parent-match", world(**{"192.0.2.53": delegates("other.com. NS ns1.example.net.")}))
    assert result.outcome is Outcome.WARN
    assert "the parent zone com does not delegate example.com" in result.message


def test_parent_match_is_an_error_when_no_parent_server_answers():
    result = run("ns.parent-match", world(**{"192.0.2.53": silent}))
    assert result.outcome is Outcome.ERROR
    assert "example.com. NS: TIMEOUT (no answer within 2 s) from 192.0.2.53:53" in result.message


@pytest.mark.parametrize("check_id", ["ns.parent-match", "ns.serial-consistent"])
def test_server_checks_skip_in_zone_file_mode(check_id):
    assert run(check_id, world(), zone_mode=True).outcome is Outcome.SKIP
