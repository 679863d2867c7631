"""The SPF checks by example: records served by a small in-memory zone, one check each.

Zones use the notation of the RFC 7208 test suite (tests/rfc7208/zonedata.py):
``{"name": [{"TXT": "v=spf1 ..."}, {"A": "192.0.2.1"}, "TIMEOUT"]}``; a name not
listed does not exist.
"""

from __future__ import annotations

import ipaddress
import time
import warnings
from types import SimpleNamespace

import pytest

from mailtests.audit import Audit
from mailtests.catalog import Severity
from mailtests.dnslayer import DnsLayer
from mailtests.result import Outcome, Result
from mailtests.spf import parse
from tests.rfc7208.zonedata import ZoneData

SPF_IDS = ["spf.present", "spf.single", "spf.syntax", "spf.lookup-limit", "spf.void-lookups", "spf.includes-valid",
           "spf.all-policy", "spf.no-ptr", "spf.size", "spf.authorizes-senders"]
PASS, FAIL, WARN, SKIP, ERROR = Outcome.PASS, Outcome.FAIL, Outcome.WARN, Outcome.SKIP, Outcome.ERROR

GOOD = {
    "example.com": [{"TXT": "v=spf1 ip4:192.0.2.0/28 mx include:_spf.provider.example -all"},
                    {"TXT": "google-site-verification=abc"}, {"MX": [10, "mx.example.com"]}],
    "mx.example.com": [{"A": "192.0.2.20"}, {"AAAA": "2001:db8::20"}],
    "_spf.provider.example": [{"TXT": "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:100::/48 ~all"}],
}


def run(zone: dict, check_id: str, domain: str = "example.com", ips=(), helo=()) -> Result:
    """One check for one domain over the zone, through the engine (as a run would)."""
    entry = SimpleNamespace(name=domain, sending_ips=tuple(ipaddress.ip_address(i) for i in ips),
                            helo=tuple(helo), skip={})
    audit = Audit(DnsLayer(None, zones=ZoneData(zone), offline=True), SimpleNamespace(domains=[entry]))
    return audit.result(domain, check_id)


def spf(record: str | list[str], more: dict | None = None) -> dict:
    """A zone where example.com publishes ``record`` (TXT strings as a list), plus the names in ``more``."""
    return {"example.com": [{"TXT": record}], **(more or {})}


# -- a good record ------------------------------------------------------------------------


@pytest.mark.parametrize("check_id", SPF_IDS)
def test_a_good_record_passes_every_check(check_id):
    result = run(GOOD, check_id, ips=["192.0.2.5", "198.51.100.7", "2001:db8:100::1"], helo=["mx.example.com"])
    assert result.outcome is PASS, result.message


def test_the_tree_is_evidence():
    result = run(GOOD, "spf.lookup-limit")
    assert result.details["lookups"] == 2
    tree = result.details["tree"]
    assert tree["domain"] == "example.com" and tree["lookups"] == 2
    assert tree["children"][0]["domain"] == "_spf.provider.example"
    assert tree["children"][0]["record"].startswith("v=spf1 ip4:198.51.100.0/24")
    assert {"_spf.provider.example", "mx.example.com"} <= {a.qname.to_text(True) for a in result.evidence}


# -- present and single --------------------------------------------------------------------


def test_no_record_fails_present_and_the_others_skip():
    zone = {"example.com": [{"TXT": "google-site-verification=abc"}, {"TXT": "spf1 mx -all"}]}
    result = run(zone, "spf.present")
    assert result.outcome is FAIL
    assert "look like SPF but do not start with 'v=spf1'" in result.message and "'spf1 mx -all'" in result.message
    assert "google" not in result.message
    for check_id in SPF_IDS[1:]:
        skipped = run(zone, check_id, ips=["192.0.2.1"])
        assert skipped.outcome is SKIP and "spf.present reports it" in skipped.message, check_id


def test_two_records_fail_single_and_permerror_for_senders():
    zone = spf("v=spf1 ip4:192.0.2.1 -all") | {"example.com": [{"TXT": "v=spf1 ip4:192.0.2.1 -all"},
                                                               {"TXT": "v=spf1 mx -all"}]}
    result = run(zone, "spf.single")
    assert result.outcome is FAIL and "2 SPF records" in result.message and "RFC 7208 §4.5" in result.message
    senders = run(zone, "spf.authorizes-senders", ips=["192.0.2.1"])
    assert senders.outcome is FAIL and "permerror" in senders.message
    assert run(zone, "spf.syntax").outcome is PASS  # each record is judged on its own


def test_tens_of_txt_records_at_one_name():
    zone = {"example.com": [{"TXT": f"site-verification-{i}=" + "x" * 200} for i in range(40)]
            + [{"TXT": "v=spf1 ip4:192.0.2.1 -all"}]}
    assert run(zone, "spf.single").outcome is PASS
    assert run(zone, "spf.size").outcome is PASS  # the record is small; the answer size is EDNS/TCP's business
    many = {"example.com": [{"TXT": f"v=spf1 ip4:192.0.2.{i} -all"} for i in range(30)]}
    result = run(many, "spf.single")
    assert result.outcome is FAIL and "30 SPF records" in result.message and "and 24 more" in result.message


# -- syntax ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("record", "says"), [
    ("v=spf1 ip4:192.0.2.0/33 -all", "CIDR length /33"),
    ("v=spf1 ip6:2001:db8::/129 -all", "CIDR length /129"),
    ("v=spf1 a/24//129 -all", "CIDR length /129"),
    ("v=spf1 ip4:192.0.2.1//64 -all", "not a dual one"),
    ("v=spf1 foo:bar -all", "unknown mechanism 'foo'"),
    ("v=spf1 ipv4:192.0.2.1 -all", "did you mean ip4?"),
    ("v=spf1 redirect:example.net", "did you mean redirect=?"),
    ("v=spf1 exists:%{i.spf.example.com -all", "invalid macro"),
    ("v=spf1 exists:%{z}.spf.example.com -all", "unknown macro letter"),
    ("v=spf1 a:%{d0}.example.com -all", "must be nonzero"),
    ("v=spf1 redirect=a.example.net redirect=b.example.net", "redirect= appears more than once"),
    ("v=spf1 -all exp=a.example.net exp=b.example.net", "exp= appears more than once"),
    ("v=spf1 a:mail.example -all", ""),  # valid: a top label of letters
    ("v=spf1 a:localhost -all", "not a fully qualified domain name"),
    ("v=spf1 include:192.0.2.1 -all", "write ip4:192.0.2.1"),
    ("v=spf1 ip4:192.0.2.1\tmx -all", "contains the character '\\t'"),
    ("v=spf1 all:example.com", "all takes no argument"),
    ("v=spf1 <script>alert(1)</script> -all", "neither a mechanism"),
])
def test_syntax_errors_are_named(record, says):
    result = run(spf(record), "spf.syntax")
    if not says:
        assert result.outcome is PASS, result.message
        return
    assert result.outcome is FAIL, result.message
    assert says in result.message and "permerror" in result.message


def test_syntax_error_in_an_included_record():
    zone = spf("v=spf1 include:_spf.example.net -all",
               {"_spf.example.net": [{"TXT": "v=spf1 ip4:198.51.100.1/40 -all"}]})
    result = run(zone, "spf.syntax")
    assert result.outcome is FAIL
    assert "the record of _spf.example.net (reached by include:_spf.example.net in example.com)" in result.message


def test_valid_grammar_corner_cases():
    record = parse("v=spf1 ?a:%{ir}.%{v}._spf.%{d2} mx:%%%_/.example.com/27//64 exists:%{l1r+-}.%{d} "
                   "ip6:::ffff:192.0.2.1/128 ptr:example.com. ~all moo=%{d}bar exp=explain.%{d}")
    assert record.valid, record.errors
    assert [t.name for t in record.lookup_terms()] == ["a", "mx", "exists", "ptr"]
    mx = record.terms[1]
    assert (mx.value, mx.cidr4, mx.cidr6) == ("%%%_/.example.com", 27, 64)
    assert parse("V=SPF1 MX -ALL").valid and parse("v=spf1").valid and parse("v=spf1   mx  -all ").valid
    assert parse("v=spf1 include=_spf.example.net -all").notes  # an unknown modifier: valid, but noted


# -- the lookup limit --------------------------------------------------------------------------


def test_more_than_10_lookups_through_nested_includes():
    hosts = {f"h{i}.example.com": [{"A": f"192.0.2.{i}"}] for i in range(1, 10)}
    zone = spf("v=spf1 ip4:192.0.2.53 include:_spf1.example.com -all", {
        "_spf1.example.com": [{"TXT": "v=spf1 include:_spf2.example.com a:h1.example.com a:h2.example.com "
                                      "a:h3.example.com a:h4.example.com -all"}],
        "_spf2.example.com": [{"TXT": "v=spf1 " + " ".join(f"a:h{i}.example.com" for i in range(5, 10)) + " -all"}],
        **hosts,
    })
    result = run(zone, "spf.lookup-limit")
    assert result.outcome is FAIL and result.details["lookups"] == 11
    assert "11 DNS-querying terms (example.com 1, _spf1.example.com 5, _spf2.example.com 5)" in result.message
    assert run(zone, "spf.authorizes-senders", ips=["192.0.2.53"]).outcome is PASS  # ip4 matches first


def test_terms_with_macros_count_but_are_not_resolved():
    zone = spf("v=spf1 exists:%{i}.rbl.example.net a:%{d}.example.net include:%{d2}.example.net -all")
    result = run(zone, "spf.lookup-limit")
    assert result.outcome is PASS and result.details["lookups"] == 3
    assert not [a for a in result.evidence if "example.net" in a.qname.to_text()]
    assert "not checked" in run(zone, "spf.includes-valid").message


def test_redirect_is_a_lookup_unless_all_makes_it_ignored():
    target = {"_spf.example.net": [{"TXT": "v=spf1 ip4:198.51.100.0/24 -all"}]}
    assert run(spf("v=spf1 mx redirect=_spf.example.net", target), "spf.lookup-limit").details["lookups"] == 2
    ignored = run(spf("v=spf1 mx redirect=_spf.example.net -all", target), "spf.lookup-limit")
    assert ignored.details["lookups"] == 1  # RFC 7208 §6.1: redirect is ignored when there is an all


def test_mx_with_more_than_10_exchanges():
    zone = spf("v=spf1 mx -all") | {"example.com": [{"TXT": "v=spf1 mx -all"}]
                                    + [{"MX": [i, f"mx{i}.example.com"]} for i in range(11)]}
    zone |= {f"mx{i}.example.com": [{"A": f"192.0.2.{i + 1}"}] for i in range(11)}
    result = run(zone, "spf.lookup-limit")
    assert result.outcome is FAIL and "11 MX records" in result.message


# -- loops ---------------------------------------------------------------------------------------


def test_include_loop_is_reported_without_hanging():
    zone = spf("v=spf1 ip4:192.0.2.61 include:_loop.example.com -all",
               {"_loop.example.com": [{"TXT": "v=spf1 include:example.com -all"}]})
    started = time.monotonic()
    result = run(zone, "spf.includes-valid")
    assert result.outcome is FAIL
    assert "include loop: example.com → _loop.example.com → example.com" in result.message
    assert run(zone, "spf.lookup-limit").outcome is FAIL
    assert run(zone, "spf.authorizes-senders", ips=["192.0.2.61"]).outcome is PASS
    assert run(zone, "spf.authorizes-senders", ips=["192.0.2.99"]).outcome is FAIL  # pyspf: permerror
    assert time.monotonic() - started < 5


def test_redirect_loop():
    zone = spf("v=spf1 redirect=a.example.net", {"a.example.net": [{"TXT": "v=spf1 redirect=example.com"}]})
    result = run(zone, "spf.includes-valid")
    assert result.outcome is FAIL and "redirect loop: example.com → a.example.net → example.com" in result.message
    assert run(zone, "spf.all-policy").outcome is WARN  # no policy can be found


def test_self_include():
    result = run(spf("v=spf1 include:example.com -all"), "spf.includes-valid")
    assert result.outcome is FAIL and "include loop" in result.message


def test_a_wide_diamond_of_includes_is_bounded():
    # each level includes the next level twice: 2**20 paths, but a bounded walk
    zone = spf("v=spf1 include:l1.example.net include:l1.example.net -all")
    zone |= {f"l{i}.example.net": [{"TXT": f"v=spf1 include:l{i + 1}.example.net include:l{i + 1}.example.net -all"}]
             for i in range(1, 20)}
    zone["l20.example.net"] = [{"TXT": "v=spf1 -all"}]
    started = time.monotonic()
    result = run(zone, "spf.lookup-limit")
    assert result.outcome is FAIL and "or more" in result.message and result.details["truncated"]
    assert time.monotonic() - started < 5


# -- void lookups and include targets ---------------------------------------------------------------


def test_three_void_lookups():
    zone = spf("v=spf1 ip4:192.0.2.54 a:nx1.example.com a:nx2.example.com mx:nx3.example.com -all")
    result = run(zone, "spf.void-lookups")
    assert result.outcome is FAIL and result.details["void_lookups"] == 3
    assert "a:nx1.example.com (no address record)" in result.message
    assert "mx:nx3.example.com (NXDOMAIN)" in result.message


def test_two_void_lookups_pass_with_a_note():
    zone = spf("v=spf1 a:nx1.example.com a:nx2.example.com -all")
    result = run(zone, "spf.void-lookups")
    assert result.outcome is PASS and "2 void lookup(s), within the limit" in result.message


@pytest.mark.parametrize(("target", "says"), [
    ([{"TXT": "google-site-verification=abc"}], "publishes no SPF record (only 1 other TXT record(s))"),
    (None, "does not exist (NXDOMAIN)"),
    ([{"TXT": "v=spf1 -all"}, {"TXT": "v=spf1 ~all"}], "publishes 2 SPF records"),
    ([{"TXT": "v=spf1 ip4:198.51.100.1 bogus -all"}], "does not parse"),
])
def test_include_target_without_one_valid_record(target, says):
    zone = spf("v=spf1 ip4:192.0.2.55 include:other.example.net -all")
    if target is not None:
        zone["other.example.net"] = target
    result = run(zone, "spf.includes-valid")
    assert result.outcome is FAIL, result.message
    assert f"include:other.example.net (in the record of example.com): other.example.net {says}" in result.message \
        or says in result.message


def test_include_target_lookup_timeout_is_an_error_not_a_pass():
    zone = spf("v=spf1 include:slow.example.net -all", {"slow.example.net": ["TIMEOUT"]})
    result = run(zone, "spf.includes-valid")
    assert result.outcome is ERROR and "slow.example.net" in result.message
    assert run(zone, "spf.syntax").outcome is ERROR


def test_root_timeout_is_an_error():
    result = run({"example.com": ["TIMEOUT"]}, "spf.present")
    assert result.outcome is ERROR and "TIMEOUT" in result.message


# -- the all policy --------------------------------------------------------------------------------


@pytest.mark.parametrize(("ending", "outcome", "severity"), [
    ("-all", PASS, Severity.WARN),
    ("~all", PASS, Severity.WARN),
    ("?all", WARN, Severity.WARN),
    ("+all", FAIL, Severity.FAIL),
    ("all", FAIL, Severity.FAIL),
    ("", WARN, Severity.WARN),
])
def test_all_policy(ending, outcome, severity):
    result = run(spf(f"v=spf1 ip4:192.0.2.1 {ending}".strip()), "spf.all-policy")
    assert (result.outcome, result.severity) == (outcome, severity), result.message


def test_all_policy_through_redirect():
    zone = spf("v=spf1 redirect=_spf.example.net", {"_spf.example.net": [{"TXT": "v=spf1 ip4:198.51.100.0/24 -all"}]})
    result = run(zone, "spf.all-policy")
    assert result.outcome is PASS and "through redirect" in result.message


def test_an_include_ending_in_plus_all_opens_the_record():
    zone = spf("v=spf1 include:_spf.example.net -all", {"_spf.example.net": [{"TXT": "v=spf1 +all"}]})
    result = run(zone, "spf.all-policy")
    assert (result.outcome, result.severity) == (FAIL, Severity.FAIL)
    assert "include:_spf.example.net" in result.message and "authorises every host" in result.message
    guarded = spf("v=spf1 ?include:_spf.example.net -all", {"_spf.example.net": [{"TXT": "v=spf1 +all"}]})
    assert run(guarded, "spf.all-policy").outcome is PASS


# -- ptr, size --------------------------------------------------------------------------------------


def test_ptr_is_a_warning():
    result = run(spf("v=spf1 ptr -all"), "spf.no-ptr")
    assert result.outcome is WARN and "'ptr' in the record of example.com" in result.message
    assert "RFC 7208 §5.5" in result.message


def test_a_500_octet_record_is_a_warning():
    ranges = " ".join(f"ip4:203.0.113.{i}" for i in range(1, 40))
    record = f"v=spf1 {ranges} -all"
    assert len(record) > 500
    result = run(spf([record[:250], record[250:]]), "spf.size")
    assert result.outcome is WARN and f"{len(record)} octets" in result.message
    assert run(spf(record[:440]), "spf.size").outcome is PASS


# -- hostile data -------------------------------------------------------------------------------------


def test_markup_in_records_is_data():
    zone = {"example.com": [{"TXT": "v=spf1 ip4:203.0.113.66 exp=<script>alert(1)</script>.example.com -all"},
                            {"TXT": "<script>alert(1)</script>"}, {"TXT": "<img src=x onerror=alert(1)>"}],
            "<script>alert(1)</script>.example.com": [{"TXT": "Not authorised: <b>%{i}</b>"}]}
    for check_id in SPF_IDS:
        result = run(zone, check_id, ips=["203.0.113.66"], helo=["mail.example.com"])
        assert result.outcome is PASS, (check_id, result.message)
    bad = run(spf("v=spf1 <script>alert(1)</script> -all"), "spf.syntax")
    assert bad.outcome is FAIL and "'<script>alert(1)</script>'" in bad.message


def test_a_huge_record_is_handled():
    record = "v=spf1 " + " ".join(f"a:h{i}.example.com" for i in range(3000)) + " -all"
    started = time.monotonic()
    for check_id in SPF_IDS:
        result = run(spf([record[i:i + 255] for i in range(0, len(record), 255)]), check_id, ips=["192.0.2.1"])
        assert result.outcome is not ERROR or "DNS" in result.message, (check_id, result.message)
    assert run(spf(record), "spf.lookup-limit").details["lookups"] == 3000
    assert time.monotonic() - started < 20


# -- authorised senders (pyspf over the DNS layer) -----------------------------------------------------


def test_senders_are_evaluated_with_pyspf_per_ip():
    zone = spf("v=spf1 ip4:192.0.2.60 -all")
    result = run(zone, "spf.authorizes-senders", ips=["192.0.2.60", "198.51.100.9"], helo=["mail.example.com"])
    assert result.outcome is FAIL
    assert "198.51.100.9 -> fail (SPF fail - not authorized)" in result.message and "ip4:198.51.100.9" in result.message
    rows = {r["ip"]: r for r in result.details["results"]}
    assert rows["192.0.2.60"]["result"] == "pass" and rows["192.0.2.60"]["mechanism"] == "ip4:192.0.2.60"
    assert result.details["helo"] == "mail.example.com"
    assert "example.com" in {a.qname.to_text(True) for a in result.evidence}


def test_senders_default_to_the_mx_hosts_and_the_domain_as_helo():
    zone = spf("v=spf1 mx -all") | {"example.com": [{"TXT": "v=spf1 mx -all"}, {"MX": [10, "mx.example.com"]}],
                                    "mx.example.com": [{"A": "192.0.2.20"}]}
    result = run(zone, "spf.authorizes-senders")
    assert result.outcome is PASS and "MX hosts" in result.message and result.details["helo"] == "example.com"


def test_no_sending_ips_is_a_skip():
    result = run(spf("v=spf1 -all"), "spf.authorizes-senders")
    assert result.outcome is SKIP and "no sending IPs" in result.message


def test_temperror_is_an_error_not_a_failure():
    zone = spf("v=spf1 a:slow.example.net -all", {"slow.example.net": ["TIMEOUT"]})
    result = run(zone, "spf.authorizes-senders", ips=["192.0.2.1"])
    assert result.outcome is ERROR and "slow.example.net" in result.message


def test_no_deprecation_warning_from_pyspf():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert run(GOOD, "spf.authorizes-senders", ips=["192.0.2.5"]).outcome is PASS


def test_a_redirect_target_that_times_out_is_an_error_not_a_warning():
    result = run(spf("v=spf1 redirect=slow.example.net", {"slow.example.net": ["TIMEOUT"]}), "spf.all-policy")
    assert result.outcome is ERROR and "slow.example.net" in result.message
