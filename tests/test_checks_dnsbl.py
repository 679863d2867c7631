"""The DNS blocklist checks (RFC 5782), by example, over a tiny fake DNS view."""

from __future__ import annotations

import ipaddress
from types import SimpleNamespace

import dns.name
import dns.rdata
import pytest

from mailtests.catalog import CHECKS, Severity
from mailtests.checks.context import Context
from mailtests.checks.dnsbl import dnsbl_domain_not_listed, dnsbl_list_healthy, dnsbl_not_listed, query_name
from mailtests.config import Blocklist
from mailtests.dnsbl_codes import decode
from mailtests.dnslayer.answer import Answer, Record
from mailtests.result import Finding, Outcome, outcome_of

SPAMCOP = Blocklist("bl.spamcop.net", "ip")
DNSWL = Blocklist("list.dnswl.org", "ip", allowlist=True)
ZEN = Blocklist("zen.spamhaus.org", "ip", subscription=True)
DBL = Blocklist("dbl.spamhaus.org", "domain", subscription=True)


class FakeDns:
    """A tiny DNS view: names added with :meth:`add` answer, zones in ``wildcard`` answer every name,
    names under a ``dead`` zone time out; everything else is NXDOMAIN."""

    def __init__(self) -> None:
        self.records: dict[tuple[dns.name.Name, str], list[str]] = {}
        self.wildcard: dict[tuple[str, str], list[str]] = {}
        self.dead: dict[str, str] = {}  # zone -> rcode (TIMEOUT, SERVFAIL)
        self.offline = False
        self.answers: list[Answer] = []

    def add(self, name: str, rdtype: str, *texts: str) -> FakeDns:
        self.records[(dns.name.from_text(name), rdtype)] = list(texts)
        return self

    def query(self, name: dns.name.Name | str, rdtype: str) -> Answer:
        qname = name if isinstance(name, dns.name.Name) else dns.name.from_text(name)
        answer = self._answer(qname, rdtype)
        self.answers.append(answer)
        return answer

    def query_server(self, address: str, name: dns.name.Name | str, rdtype: str, port: int = 53) -> Answer:
        return self.query(name, rdtype)

    def _answer(self, qname: dns.name.Name, rdtype: str) -> Answer:
        if self.offline:
            return Answer(qname, rdtype, "OFFLINE", server="(offline)", error="live lookups are off (--offline)")
        for zone, rcode in self.dead.items():
            if qname.is_subdomain(dns.name.from_text(zone)):
                return Answer(qname, rdtype, rcode, server="192.0.2.53:53", error=f"server answered {rcode}")
        texts = self.records.get((qname, rdtype))
        if texts is None:
            texts = next((t for (zone, t_type), t in self.wildcard.items()
                          if t_type == rdtype and qname.is_subdomain(dns.name.from_text(zone))), None)
        if texts is None:
            known = any(n == qname for n, _ in self.records)
            return Answer(qname, rdtype, "NOERROR" if known else "NXDOMAIN", server="192.0.2.53:53")
        records = tuple(Record(qname, 300, dns.rdata.from_text("IN", rdtype, t)) for t in texts)
        return Answer(qname, rdtype, "NOERROR", records, server="192.0.2.53:53")


def healthy(fake: FakeDns, zone: str, code: str = "127.0.0.2") -> FakeDns:
    """A list that lists its RFC 5782 §5 test entry 127.0.0.2 (and not 127.0.0.1)."""
    return fake.add(f"2.0.0.127.{zone}", "A", code)


def context(fake: FakeDns, ips=("192.0.2.99",), lists=None, subscription=False, domain="example.com") -> Context:
    entry = SimpleNamespace(sending_ips=tuple(ipaddress.ip_address(ip) for ip in ips))
    config = None if lists is None else SimpleNamespace(dnsbl=tuple(lists), dnsbl_subscription=subscription)
    return Context(domain=domain, dns=fake, entry=entry, config=config)  # type: ignore[arg-type]


def outcome(finding: Finding, check_id: str) -> Outcome:
    return outcome_of(finding, finding.severity or CHECKS[check_id].severity)


@pytest.fixture
def fake() -> FakeDns:
    """The default lists, both healthy: bl.spamcop.net and the allowlist list.dnswl.org."""
    return healthy(healthy(FakeDns(), "bl.spamcop.net"), "list.dnswl.org", "127.0.10.0")


# -- query names (RFC 5782 §2.1, §2.3, §2.4) ----------------------------------------------------------------


def test_ipv4_is_asked_with_its_octets_reversed():
    assert query_name(ipaddress.ip_address("192.0.2.99"), "bl.spamcop.net").to_text() == "99.2.0.192.bl.spamcop.net."


def test_ipv6_is_asked_with_its_nibbles_reversed():
    name = query_name(ipaddress.ip_address("2001:db8::10"), "zen.spamhaus.org").to_text()
    assert name == "0.1.0.0." + "0." * 20 + "8.b.d.0.1.0.0.2.zen.spamhaus.org."  # 32 nibbles


def test_a_domain_is_asked_under_the_list_zone():
    assert query_name("example.com", "dbl.spamhaus.org").to_text() == "example.com.dbl.spamhaus.org."


# -- return codes ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("zone", "code", "says"), [
    ("zen.spamhaus.org", "127.0.0.2", "SBL"),
    ("zen.spamhaus.org", "127.0.0.3", "SBL CSS"),
    ("zen.spamhaus.org", "127.0.0.4", "XBL"),
    ("zen.spamhaus.org", "127.0.0.9", "DROP"),
    ("zen.spamhaus.org", "127.0.0.10", "PBL"),
    ("key.zen.dq.spamhaus.net", "127.0.0.11", "PBL"),
    ("dbl.spamhaus.org", "127.0.1.4", "phishing"),
    ("dbl.spamhaus.org", "127.0.1.104", "abused legitimate domain (phishing)"),
    ("bl.spamcop.net", "127.0.0.2", "SpamCop"),
    ("b.barracudacentral.org", "127.0.0.2", "Barracuda"),
    ("list.dnswl.org", "127.0.3.2", "email service providers, trust medium"),
    ("multi.uribl.com", "127.0.0.6", "URIBL black+grey"),
])
def test_return_codes_are_decoded_per_list(zone, code, says):
    assert says in decode(zone, code).meaning
    assert not decode(zone, code).refused


@pytest.mark.parametrize(("zone", "code", "why"), [
    ("zen.spamhaus.org", "127.255.255.252", "typing error"),
    ("zen.spamhaus.org", "127.255.255.254", "public/open resolver"),
    ("dbl.spamhaus.org", "127.255.255.255", "excessive number of queries"),
    ("list.dnswl.org", "127.0.0.255", "over the free usage limit"),
    ("black.uribl.com", "127.0.0.1", "query refused"),
])
def test_operator_error_codes_are_refusals_not_listings(zone, code, why):
    assert decode(zone, code).refused
    assert why in decode(zone, code).meaning


# -- dnsbl.list-healthy (RFC 5782 §5) -------------------------------------------------------------------------


def test_lists_that_answer_their_test_entries_are_healthy(fake):
    finding = dnsbl_list_healthy(context(fake))
    assert outcome(finding, "dnsbl.list-healthy") is Outcome.PASS
    assert "bl.spamcop.net" in finding.message and "list.dnswl.org" in finding.message


def test_a_list_that_lists_everything_is_not_trusted_and_not_used(fake):
    fake.wildcard[("b.barracudacentral.org", "A")] = ["127.0.0.2"]
    lists = [SPAMCOP, Blocklist("b.barracudacentral.org", "ip")]
    health = dnsbl_list_healthy(context(fake, lists=lists))
    assert outcome(health, "dnsbl.list-healthy") is Outcome.FAIL
    assert "b.barracudacentral.org: lists everything: it lists the test entry 127.0.0.1" in health.message
    listed = dnsbl_not_listed(context(fake, lists=lists))
    assert outcome(listed, "dnsbl.not-listed") is Outcome.PASS  # its "listing" of 192.0.2.99 is not believed
    assert "b.barracudacentral.org was not trusted" in listed.message


def test_a_list_that_lists_nothing_is_not_trusted():
    fake = FakeDns()
    finding = dnsbl_list_healthy(context(fake, lists=[SPAMCOP]))
    assert outcome(finding, "dnsbl.list-healthy") is Outcome.FAIL
    assert "lists nothing: the test entry 127.0.0.2 is not listed" in finding.message


@pytest.mark.parametrize("rcode", ["TIMEOUT", "SERVFAIL"])
def test_a_list_that_does_not_answer_is_not_trusted(fake, rcode):
    fake.dead["dnsbl.sorbs.net"] = rcode
    lists = [SPAMCOP, Blocklist("dnsbl.sorbs.net", "ip")]
    health = dnsbl_list_healthy(context(fake, lists=lists))
    assert outcome(health, "dnsbl.list-healthy") is Outcome.FAIL
    assert f"dnsbl.sorbs.net: does not answer: 2.0.0.127.dnsbl.sorbs.net. A: {rcode}" in health.message
    listed = dnsbl_not_listed(context(fake, ips=["192.0.2.1"], lists=lists))
    assert outcome(listed, "dnsbl.not-listed") is Outcome.PASS
    assert "not listed on bl.spamcop.net" in listed.message and "dnsbl.sorbs.net was not trusted" in listed.message


def test_with_no_trusted_blocklist_not_listed_is_never_a_plain_pass():
    fake = FakeDns()
    fake.dead["bl.spamcop.net"] = "TIMEOUT"
    finding = dnsbl_not_listed(context(fake, lists=[SPAMCOP]))
    assert (outcome(finding, "dnsbl.not-listed"), finding.severity) == (Outcome.WARN, Severity.WARN)
    assert "could not be checked: no blocklist could be trusted" in finding.message


def test_a_list_that_refuses_the_test_query_is_a_warning_not_a_verdict(fake):
    fake.wildcard[("zen.spamhaus.org", "A")] = ["127.255.255.254"]
    finding = dnsbl_list_healthy(context(fake, lists=[SPAMCOP, ZEN], subscription=True))
    assert outcome(finding, "dnsbl.list-healthy") is Outcome.WARN
    refused = "zen.spamhaus.org: REFUSED the query: 127.255.255.254 means query via a public/open resolver"
    assert refused in finding.message


def test_a_domain_list_is_tested_with_test_and_invalid():
    fake = FakeDns().add("test.rhsbl.example.net", "A", "127.0.0.2")
    finding = dnsbl_list_healthy(context(fake, lists=[Blocklist("rhsbl.example.net", "domain")]))
    assert outcome(finding, "dnsbl.list-healthy") is Outcome.PASS
    assert any(a.qname.to_text() == "invalid.rhsbl.example.net." for a in fake.answers)


def test_spamhaus_dbl_is_tested_with_dbltest_com():
    fake = FakeDns().add("dbltest.com.dbl.spamhaus.org", "A", "127.0.1.2")
    assert outcome(dnsbl_list_healthy(context(fake, lists=[DBL], subscription=True)),
                   "dnsbl.list-healthy") is Outcome.PASS


def test_the_test_entries_are_reported_as_evidence(fake):
    dnsbl_list_healthy(context(fake))
    asked = {a.qname.to_text() for a in fake.answers}
    assert {"2.0.0.127.bl.spamcop.net.", "1.0.0.127.bl.spamcop.net."} <= asked


def test_subscription_lists_are_not_asked_without_a_subscription(fake):
    finding = dnsbl_list_healthy(context(fake, lists=[SPAMCOP, ZEN], subscription=False))
    assert "zen.spamhaus.org not asked: a subscription list" in finding.message
    assert not any("spamhaus" in a.qname.to_text() for a in fake.answers)


# -- dnsbl.not-listed (RFC 5782 §2.1, §2.4) ----------------------------------------------------------------------


def test_the_default_lists_are_used_without_a_configuration(fake):
    finding = dnsbl_not_listed(context(fake, ips=["192.0.2.1"]))
    assert outcome(finding, "dnsbl.not-listed") is Outcome.PASS
    assert "not listed on bl.spamcop.net" in finding.message
    assert finding.details["sending_ips_source"] == "listed in the domains file"


def test_a_listed_sending_ip_fails_with_the_decoded_code_and_the_txt_reason(fake):
    fake.add("99.2.0.192.bl.spamcop.net", "A", "127.0.0.2")
    fake.add("99.2.0.192.bl.spamcop.net", "TXT", '"Blocked - see https://www.spamcop.net/bl.shtml?192.0.2.99"')
    finding = dnsbl_not_listed(context(fake))
    assert outcome(finding, "dnsbl.not-listed") is Outcome.FAIL
    assert finding.message.startswith("192.0.2.99 is listed on bl.spamcop.net: SpamCop: reported as a spam source "
                                      "(127.0.0.2): 'Blocked - see https://www.spamcop.net/bl.shtml?192.0.2.99'")


def test_a_zen_listing_names_the_sub_list(fake):
    healthy(fake, "zen.spamhaus.org").add("99.2.0.192.zen.spamhaus.org", "A", "127.0.0.4")
    finding = dnsbl_not_listed(context(fake, lists=[SPAMCOP, ZEN], subscription=True))
    assert outcome(finding, "dnsbl.not-listed") is Outcome.FAIL
    assert "192.0.2.99 is listed on zen.spamhaus.org: XBL: Exploits Block List" in finding.message


@pytest.mark.parametrize(("code", "why"), [("127.255.255.252", "typing error"),
                                           ("127.255.255.254", "public/open resolver"),
                                           ("127.255.255.255", "excessive number of queries")])
def test_a_spamhaus_error_code_is_a_refused_warning_never_a_listing(fake, code, why):
    healthy(fake, "zen.spamhaus.org").add("99.2.0.192.zen.spamhaus.org", "A", code)
    finding = dnsbl_not_listed(context(fake, lists=[SPAMCOP, ZEN], subscription=True))
    assert (outcome(finding, "dnsbl.not-listed"), finding.severity) == (Outcome.WARN, Severity.WARN)
    assert "zen.spamhaus.org REFUSED the query for 192.0.2.99" in finding.message and why in finding.message
    assert "is listed" not in finding.message


def test_a_list_refusing_every_query_is_a_warning_that_says_why(fake):
    fake.wildcard[("zen.spamhaus.org", "A")] = ["127.255.255.254"]
    fake.wildcard[("zen.spamhaus.org", "TXT")] = ['"Error: open resolver; https://check.spamhaus.org/returnc/pub/"']
    finding = dnsbl_not_listed(context(fake, lists=[SPAMCOP, ZEN], subscription=True))
    assert (outcome(finding, "dnsbl.not-listed"), finding.severity) == (Outcome.WARN, Severity.WARN)
    refused = "zen.spamhaus.org REFUSED the query: 127.255.255.254 means query via a public/open resolver"
    assert refused in finding.message
    assert "Error: open resolver" in finding.message


def test_dnswl_over_the_limit_is_a_refusal(fake):
    fake.add("99.2.0.192.list.dnswl.org", "A", "127.0.0.255")
    finding = dnsbl_not_listed(context(fake))
    assert (outcome(finding, "dnsbl.not-listed"), finding.severity) == (Outcome.WARN, Severity.WARN)
    assert "list.dnswl.org REFUSED the query for 192.0.2.99: over the free usage limit" in finding.message


def test_an_allowlist_hit_is_info_and_passes(fake):
    fake.add("10.2.0.192.list.dnswl.org", "A", "127.0.10.0")
    finding = dnsbl_not_listed(context(fake, ips=["192.0.2.10"]))
    assert (outcome(finding, "dnsbl.not-listed"), finding.severity) == (Outcome.PASS, Severity.INFO)
    assert "192.0.2.10 is on the allowlist list.dnswl.org: dnswl category special cases, trust none" \
        in finding.message


def test_ipv6_sending_ips_are_asked_by_nibbles_of_lists_that_serve_ipv6(fake):
    v6 = "2001:db8::10"
    fake.add(query_name(ipaddress.ip_address("::ffff:7f00:2"), "bl.spamcop.net").to_text(), "A", "127.0.0.2")
    fake.add(query_name(ipaddress.ip_address(v6), "bl.spamcop.net").to_text(), "A", "127.0.0.2")
    finding = dnsbl_not_listed(context(fake, ips=[v6]))
    assert outcome(finding, "dnsbl.not-listed") is Outcome.FAIL
    assert "2001:db8::10 is listed on bl.spamcop.net" in finding.message


def test_ipv6_sending_ips_are_not_asked_of_ipv4_only_lists(fake):
    finding = dnsbl_not_listed(context(fake, ips=["192.0.2.10", "2001:db8::10"]))
    assert outcome(finding, "dnsbl.not-listed") is Outcome.PASS
    assert "2001:db8::10 not asked of bl.spamcop.net, list.dnswl.org: no IPv6 entries there" in finding.message
    assert not any(a.qname.to_text().startswith("0.1.0.0.0") for a in fake.answers)


def test_without_listed_ips_the_mx_addresses_are_used_and_said(fake):
    fake.add("example.com", "MX", "10 mail.example.com.").add("mail.example.com", "A", "192.0.2.5")
    finding = dnsbl_not_listed(context(fake, ips=()))
    assert "192.0.2.5" in finding.message
    assert finding.details["sending_ips_source"].startswith("assumed: the addresses of the domain's MX hosts")


def test_no_sending_ips_skips_with_the_reason(fake):
    fake.add("example.com", "MX", "0 .")
    finding = dnsbl_not_listed(context(fake, ips=()))
    assert finding.skipped and "no sending IPs known for example.com" in finding.message


def test_offline_runs_skip_the_blocklists(fake):
    fake.offline = True
    finding = dnsbl_list_healthy(context(fake))
    assert finding.skipped and "this run asks no live DNS (offline)" in finding.message


# -- dnsbl.domain-not-listed (RFC 5782 §2.3) ------------------------------------------------------------------


def test_without_a_domain_list_the_domain_check_skips(fake):
    finding = dnsbl_domain_not_listed(context(fake))
    assert finding.skipped and finding.message == "no domain blocklist is configured"


def test_a_domain_on_the_dbl_fails_with_the_decoded_reason():
    fake = FakeDns().add("dbltest.com.dbl.spamhaus.org", "A", "127.0.1.2")
    fake.add("example.com.dbl.spamhaus.org", "A", "127.0.1.2")
    fake.add("example.com.dbl.spamhaus.org", "TXT", '"https://www.spamhaus.org/query/domain/example.com"')
    finding = dnsbl_domain_not_listed(context(fake, lists=[DBL], subscription=True))
    assert outcome(finding, "dnsbl.domain-not-listed") is Outcome.FAIL
    assert "example.com is listed on dbl.spamhaus.org: DBL: spam domain (127.0.1.2)" in finding.message


def test_a_domain_not_on_the_dbl_passes():
    fake = FakeDns().add("dbltest.com.dbl.spamhaus.org", "A", "127.0.1.2")
    finding = dnsbl_domain_not_listed(context(fake, lists=[DBL], subscription=True))
    assert outcome(finding, "dnsbl.domain-not-listed") is Outcome.PASS
    assert finding.message == "example.com: not listed on dbl.spamhaus.org"
