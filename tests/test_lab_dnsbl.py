"""The DNS blocklist checks against the lab's lists (tests/lab/zones: bl.spamcop.net, list.dnswl.org,
zen.spamhaus.org, b.barracudacentral.org, dnsbl.sorbs.net, dbl.spamhaus.org)."""

from __future__ import annotations

import pytest

from mailtests.audit import Audit
from mailtests.catalog import Severity
from mailtests.config import load_config
from mailtests.dnslayer import DnsLayer, Server, WireSource
from mailtests.result import Outcome

DOMAINS = """
domains:
  - name: healthy.com  # 192.0.2.10 is on the allowlist list.dnswl.org
    sending_ips: [192.0.2.10, "2001:db8::10"]
  - name: dnsbl-listed.com  # 192.0.2.99 is on bl.spamcop.net; the domain is on dbl.spamhaus.org
    sending_ips: [192.0.2.99]
  - name: null-mx.com  # sends no mail
"""

ALL_LISTS = """
dnsbl:
  subscription: true
  lists:
    - {zone: bl.spamcop.net, kind: ip}
    - {zone: list.dnswl.org, kind: ip, allowlist: true}
    - {zone: zen.spamhaus.org, kind: ip}           # refuses the lab's resolver: 127.255.255.254
    - {zone: b.barracudacentral.org, kind: ip}     # lists everything
    - {zone: dnsbl.sorbs.net, kind: ip}            # never answers
    - {zone: dbl.spamhaus.org, kind: domain}
"""


def audit_for(lab, tmp_path_factory, text: str) -> Audit:
    path = tmp_path_factory.mktemp("dnsbl") / "domains.yaml"
    path.write_text(text)
    return Audit(DnsLayer(WireSource([Server(*lab.resolver)], timeout=2)), load_config(path))


@pytest.fixture(scope="module")
def default_lists(lab, tmp_path_factory) -> Audit:
    """The default configuration: bl.spamcop.net, and list.dnswl.org as an allowlist."""
    return audit_for(lab, tmp_path_factory, DOMAINS)


@pytest.fixture(scope="module")
def all_lists(lab, tmp_path_factory) -> Audit:
    """Every lab list, with a subscription: one refuses, one lists everything, one never answers."""
    return audit_for(lab, tmp_path_factory, ALL_LISTS + DOMAINS)


# -- the default lists ------------------------------------------------------------------------------------------


def test_the_default_lists_are_healthy(default_lists):
    result = default_lists.result("healthy.com", "dnsbl.list-healthy")
    assert result.outcome is Outcome.PASS, result.message
    assert "bl.spamcop.net" in result.message and "list.dnswl.org" in result.message


def test_a_listed_sending_ip_fails_with_the_lists_reason(default_lists):
    result = default_lists.result("dnsbl-listed.com", "dnsbl.not-listed")
    assert result.outcome is Outcome.FAIL
    assert "192.0.2.99 is listed on bl.spamcop.net: SpamCop: reported as a spam source (127.0.0.2)" in result.message
    assert "https://www.spamcop.net/bl.shtml?192.0.2.99" in result.message  # the TXT reason
    assert any(a.qname.to_text() == "99.2.0.192.bl.spamcop.net." and a.rdtype == "TXT" for a in result.evidence)


def test_an_allowlist_hit_is_info_and_passes(default_lists):
    result = default_lists.result("healthy.com", "dnsbl.not-listed")
    assert (result.outcome, result.severity) == (Outcome.PASS, Severity.INFO), result.message
    assert "192.0.2.10 is on the allowlist list.dnswl.org" in result.message
    assert "not listed on bl.spamcop.net" in result.message


def test_no_domain_list_by_default(default_lists):
    result = default_lists.result("dnsbl-listed.com", "dnsbl.domain-not-listed")
    assert result.outcome is Outcome.SKIP and "no domain blocklist is configured" in result.message


def test_a_domain_without_sending_ips_skips(default_lists):
    result = default_lists.result("null-mx.com", "dnsbl.not-listed")
    assert result.outcome is Outcome.SKIP and "no sending IPs known for null-mx.com" in result.message


# -- every lab list ------------------------------------------------------------------------------------------------


def test_broken_lists_fail_list_healthy(all_lists):
    result = all_lists.result("healthy.com", "dnsbl.list-healthy")
    assert result.outcome is Outcome.FAIL
    assert "b.barracudacentral.org: lists everything" in result.message
    assert "dnsbl.sorbs.net: does not answer" in result.message
    assert "zen.spamhaus.org: REFUSED the query: 127.255.255.254 means query via a public/open resolver" \
        in result.message


def test_a_refused_query_is_a_warning_that_says_why(all_lists):
    result = all_lists.result("healthy.com", "dnsbl.not-listed")
    assert (result.outcome, result.severity) == (Outcome.WARN, Severity.WARN), result.message
    assert "zen.spamhaus.org REFUSED the query: 127.255.255.254 means query via a public/open resolver" \
        in result.message
    assert "is listed" not in result.message


def test_untrusted_lists_are_not_used(all_lists):
    result = all_lists.result("dnsbl-listed.com", "dnsbl.not-listed")
    assert result.outcome is Outcome.FAIL
    assert "192.0.2.99 is listed on bl.spamcop.net" in result.message
    assert "listed on b.barracudacentral.org" not in result.message
    assert "b.barracudacentral.org was not trusted" in result.message
    assert "dnsbl.sorbs.net was not trusted" in result.message
    assert not any(a.qname.to_text() == "99.2.0.192.b.barracudacentral.org." for a in result.evidence)


def test_a_domain_on_the_domain_list_fails(all_lists):
    result = all_lists.result("dnsbl-listed.com", "dnsbl.domain-not-listed")
    assert result.outcome is Outcome.FAIL
    assert "dnsbl-listed.com is listed on dbl.spamhaus.org: DBL: spam domain (127.0.1.2)" in result.message
    assert "https://www.spamhaus.org/query/domain/dnsbl-listed.com" in result.message


def test_a_domain_not_on_the_domain_list_passes(all_lists):
    result = all_lists.result("healthy.com", "dnsbl.domain-not-listed")
    assert result.outcome is Outcome.PASS, result.message
    assert result.message == "healthy.com: not listed on dbl.spamhaus.org"
