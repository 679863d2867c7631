"""Facts the checks of one domain share (``Context.shared``): computed once, still evidence for every check.

The SPF tree, the name server probes, the MX set, the sending IPs and their reverse
names are computed once per domain (a blocklist's health once per run); each check
that uses one lists the DNS answers behind it as its own evidence, in the order it
would have asked them itself, and a lookup failure inside one is an error for each.
"""

from __future__ import annotations

import gc
import ipaddress
from types import SimpleNamespace

import pytest

from mailtests.audit import Audit
from mailtests.catalog import CHECKS
from mailtests.checks import dnsbl, spf
from mailtests.checks.context import Context, Facts
from mailtests.config import Blocklist
from mailtests.dnslayer import DnsLayer
from mailtests.dnslayer.layer import Recorder
from mailtests.result import DnsFailure, Outcome
from tests.rfc7208.zonedata import ZoneData

DOMAIN_IDS = [cid for cid, spec in CHECKS.items() if not spec.per_run]
TREE_IDS = ["spf.syntax", "spf.lookup-limit", "spf.void-lookups", "spf.includes-valid", "spf.all-policy", "spf.no-ptr"]
SPAMCOP = Blocklist("bl.spamcop.net", "ip")

ZONE = {
    "example.com": [{"TXT": "v=spf1 mx a:gone.example.com include:_spf.provider.example -all"},
                    {"MX": [10, "mx.example.com"]}, {"MX": [20, "mx2.example.com"]},
                    {"NS": "ns1.example.com"}, {"NS": "ns2.example.net"}],
    "mx.example.com": [{"A": "192.0.2.20"}, {"AAAA": "2001:db8::20"}],
    "mx2.example.com": [{"A": "192.0.2.21"}],
    "ns1.example.com": [{"A": "192.0.2.53"}],
    "ns2.example.net": [{"A": "198.51.100.53"}],
    "_spf.provider.example": [{"TXT": "v=spf1 ip4:198.51.100.0/24 include:_spf2.provider.example ~all"}],
    "_spf2.provider.example": [{"TXT": "v=spf1 ip4:203.0.113.0/24 -all"}],
    "20.2.0.192.in-addr.arpa": [{"PTR": "mx.example.com"}],
    "21.2.0.192.in-addr.arpa": [{"PTR": "mx2.example.com"}],
    "2.0.0.127.bl.spamcop.net": [{"A": "127.0.0.2"}],
    "other.example": [{"TXT": "v=spf1 mx -all"}, {"MX": [10, "mx.example.com"]}],
}


def audit_of(zone: dict, domains=("example.com",)) -> Audit:
    entries = [SimpleNamespace(name=d, sending_ips=(), helo=(), skip={}) for d in domains]
    config = SimpleNamespace(domains=entries, dnsbl=(SPAMCOP,), dnsbl_subscription=False)
    return Audit(DnsLayer(None, zones=ZoneData(zone), offline=True), config)


def asked(result) -> list[tuple[str, str]]:
    return [(a.qname.to_text(True), a.rdtype) for a in result.evidence]


def test_every_check_gives_the_result_it_gives_alone(monkeypatch):
    """Sharing changes nothing: each check computing every fact itself (an audit without stores) on the same
    DNS layer lists the very same answers, in the same order, and says the same."""
    shared = audit_of(ZONE, ("example.com", "other.example"))
    shared.warm_up([(d, c) for d in ("example.com", "other.example") for c in DOMAIN_IDS], workers=2)
    unshared = Audit(shared.layer, shared.config)
    monkeypatch.setattr(unshared, "facts", lambda domain: None)
    monkeypatch.setattr(unshared, "_run_facts", None)
    for domain in ("example.com", "other.example"):
        for check_id in DOMAIN_IDS:
            alone = unshared.result(domain, check_id)
            together = shared.result(domain, check_id)
            assert [id(a) for a in together.evidence] == [id(a) for a in alone.evidence], (domain, check_id)
            assert (together.outcome, together.message, together.details) == \
                (alone.outcome, alone.message, alone.details), (domain, check_id)


def test_the_spf_tree_is_walked_once_and_is_every_checks_evidence(monkeypatch):
    walks = []
    real = spf.walk
    monkeypatch.setattr(spf, "walk", lambda *a, **k: walks.append(a[1]) or real(*a, **k))
    audit = audit_of(ZONE)
    audit.warm_up([("example.com", c) for c in TREE_IDS])
    assert walks == ["example.com"]
    for check_id in TREE_IDS:
        evidence = asked(audit.result("example.com", check_id))
        assert evidence[0] == ("example.com", "TXT"), check_id
        for answer in [("mx.example.com", "A"), ("mx2.example.com", "A"), ("gone.example.com", "A"),
                       ("_spf.provider.example", "TXT"), ("_spf2.provider.example", "TXT")]:
            assert answer in evidence, (check_id, answer)
    assert "spf.trees" not in audit.facts("example.com")  # freed once the domain's checks were done


def test_each_domain_has_its_own_facts(monkeypatch):
    walks = []
    real = spf.walk
    monkeypatch.setattr(spf, "walk", lambda *a, **k: walks.append(a[1]) or real(*a, **k))
    audit = audit_of(ZONE, ("example.com", "other.example"))
    for domain in ("example.com", "other.example"):
        for check_id in TREE_IDS:
            audit.result(domain, check_id)
    assert sorted(walks) == ["example.com", "other.example"]
    assert ("other.example", "TXT") not in asked(audit.result("example.com", "spf.syntax"))


def test_a_lookup_failure_in_a_shared_fact_is_an_error_for_every_check(monkeypatch):
    computed = []
    real = spf._walk_all
    monkeypatch.setattr(spf, "_walk_all", lambda ctx: computed.append(ctx.domain) or real(ctx))
    audit = audit_of({"example.com": ["TIMEOUT"]})
    audit.warm_up([("example.com", c) for c in TREE_IDS])
    assert computed == ["example.com"]
    for check_id in TREE_IDS:
        result = audit.result("example.com", check_id)
        assert result.outcome is Outcome.ERROR, check_id
        assert "TIMEOUT" in result.message and check_id in result.message
        assert asked(result) == [("example.com", "TXT")] and result.evidence[0].rcode == "TIMEOUT"


def test_a_blocklists_health_is_tested_once_per_run(monkeypatch):
    tested = []
    real = dnsbl.list_health
    monkeypatch.setattr(dnsbl, "list_health", lambda ctx, bl: tested.append(bl.zone) or real(ctx, bl))
    audit = audit_of(ZONE, ("example.com", "other.example"))
    ids = ["dnsbl.list-healthy", "dnsbl.not-listed"]
    audit.warm_up([(d, c) for d in ("example.com", "other.example") for c in ids])
    assert tested == ["bl.spamcop.net"]
    for domain in ("example.com", "other.example"):
        for check_id in ids:
            result = audit.result(domain, check_id)
            assert result.outcome is Outcome.PASS, result.message
            assert ("2.0.0.127.bl.spamcop.net", "A") in asked(result)
            assert ("1.0.0.127.bl.spamcop.net", "A") in asked(result)


def test_the_warm_up_leaves_no_cyclic_garbage():
    """The warm-up runs without the cyclic GC (each full collection walks every result made so far), so no
    check may leave cycles behind: not a shared DNS failure, not pyspf's permerror, not a timeout."""
    zone = {**ZONE, "slow.example": ["TIMEOUT"], "t.example": ["TIMEOUT"],
            "x.example": [{"TXT": "v=spf1 include:bad..name ptr -all"}, {"MX": [10, "mx.example.com"]}],
            "y.example": [{"TXT": "v=spf1 include:slow.example -all"}, {"MX": [10, "mx.example.com"]}],
            "z.example": [{"TXT": "v=spf1 mx -all"}, {"TXT": "v=spf1 -all"}, {"MX": [10, "mx.example.com"]}]}
    domains = ("example.com", "t.example", "x.example", "y.example", "z.example")
    audit = audit_of(zone, domains)
    gc.collect()
    gc.disable()
    try:
        audit.warm_up([(d, c) for d in domains for c in DOMAIN_IDS], workers=2)
        assert not gc.isenabled()  # as it found it
        cycles = gc.collect()
    finally:
        gc.enable()
    assert cycles == 0
    outcomes = {audit.result(d, c).outcome for d in domains for c in DOMAIN_IDS}
    assert {Outcome.ERROR, Outcome.FAIL, Outcome.PASS} <= outcomes
    assert "permerror" in audit.result("x.example", "spf.authorizes-senders").message
    assert "permerror" in audit.result("z.example", "spf.authorizes-senders").message
    audit_of(ZONE).warm_up([("example.com", "spf.present")])
    assert gc.isenabled()


# -- Context.shared itself -------------------------------------------------------------------------------------


@pytest.fixture
def layer() -> DnsLayer:
    return DnsLayer(None, zones=ZoneData({"a.example": [{"A": "192.0.2.1"}], "slow.example": ["TIMEOUT"]}),
                    offline=True)


def contexts(layer: DnsLayer, n: int = 2) -> list[Context]:
    facts, run = Facts(), Facts()
    return [Context("a.example", Recorder(layer), facts=facts, run_facts=run) for _ in range(n)]


def test_shared_adds_the_facts_answers_after_the_callers_own(layer):
    first, second = contexts(layer)

    def compute(ctx: Context) -> list[str]:
        return ctx.lookup("a.example", "A").texts() + ctx.dns.query("b.example", "A").texts()

    second.dns.query("b.example", "A")
    assert first.shared("k", compute) == ["192.0.2.1"]
    assert second.shared("k", lambda ctx: pytest.fail("computed twice")) == ["192.0.2.1"]
    assert [a.qname.to_text(True) for a in first.dns.answers] == ["a.example", "b.example"]
    assert [a.qname.to_text(True) for a in second.dns.answers] == ["b.example", "a.example"]  # each once


def test_a_dns_failure_is_remembered_and_raised_for_each_caller(layer):
    calls = []

    def compute(ctx: Context) -> None:
        calls.append(1)
        ctx.lookup("a.example", "A")
        ctx.lookup("slow.example", "TXT")

    raised = []
    for ctx in contexts(layer, 3):
        with pytest.raises(DnsFailure) as caught:
            ctx.shared("k", compute)
        raised.append(caught.value)
        assert [(a.qname.to_text(True), a.rcode) for a in ctx.dns.answers] == [("a.example", "NOERROR"),
                                                                               ("slow.example", "TIMEOUT")]
    assert len(calls) == 1
    assert len({id(e) for e in raised}) == 3  # each caller raises its own copy
    assert {e.answer.qname.to_text(True) for e in raised} == {"slow.example"}


def test_other_exceptions_are_not_remembered(layer):
    calls = []

    def compute(ctx: Context) -> None:
        calls.append(1)
        ctx.lookup("a.example", "A")
        raise ValueError("a bug")

    for ctx in contexts(layer):
        with pytest.raises(ValueError, match="a bug"):
            ctx.shared("k", compute)
        assert [a.qname.to_text(True) for a in ctx.dns.answers] == ["a.example"]
    assert len(calls) == 2


def test_without_a_store_nothing_is_shared(layer):
    ctx = Context("a.example", Recorder(layer))
    calls = []
    for _ in range(2):
        ctx.shared("k", lambda c: calls.append(c) or 1)
    assert calls == [ctx, ctx]


def test_run_wide_facts_are_shared_across_domains(layer):
    run = Facts()
    one = Context("a.example", Recorder(layer), facts=Facts(), run_facts=run)
    two = Context("b.example", Recorder(layer), facts=Facts(), run_facts=run)
    assert one.shared("k", lambda c: c.domain, run_wide=True) == "a.example"
    assert two.shared("k", lambda c: c.domain, run_wide=True) == "a.example"
    assert two.shared("k", lambda c: c.domain) == "b.example"


def test_the_facts_of_domains_not_in_progress_are_bounded():
    audit = audit_of(ZONE)
    first = audit.facts("d0.example")
    for i in range(1, 200):
        audit.facts(f"d{i}.example")
    assert audit.facts("d0.example") is not first  # dropped long ago: a new, empty store
    audit.keep_facts(500)
    kept = audit.facts("e0.example")
    for i in range(1, 500):
        audit.facts(f"e{i}.example")
    assert audit.facts("e0.example") is kept


def test_sending_ips_are_not_shared_as_one_list(layer):
    ctx = contexts(layer, 1)[0]
    ctx.entry = SimpleNamespace(sending_ips=(ipaddress.ip_address("192.0.2.1"),))
    from mailtests.checks.common import sending_ips

    ips, _ = sending_ips(ctx)
    ips.append(ipaddress.ip_address("192.0.2.99"))
    assert sending_ips(ctx)[0] == [ipaddress.ip_address("192.0.2.1")]
