"""The DMARC grammar, the RFC 9989 tree walk and the dmarc.* checks by example (zone files, no network)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import SimpleNamespace

import dns.name
import pytest

from mailtests.audit import Audit
from mailtests.config import DomainEntry
from mailtests.dmarc import parse, parse_uri, targets, walk
from mailtests.dnslayer import DnsLayer
from mailtests.dnslayer.zonefiles import ZoneSource
from mailtests.result import Outcome

N = dns.name.from_text


def zone(origin: str, body: str) -> str:
    return (f"$ORIGIN {origin}.\n$TTL 3600\n@ SOA ns1.example.invalid. hostmaster.example.invalid. 1 7200 900 "
            f"1209600 3600\n@ NS ns1.example.invalid.\n{textwrap.dedent(body)}")


def audit(tmp_path: Path, zones: dict[str, str], *domains: str) -> Audit:
    """The zones given (origin -> body) and an empty com zone, offline; ``domains`` audited."""
    zones = {"com": "", **zones}
    for origin, body in zones.items():
        (tmp_path / f"{origin}.zone").write_text(zone(origin, body))
    layer = DnsLayer(None, ZoneSource([tmp_path]), offline=True)
    entries = tuple(DomainEntry(d, d) for d in domains or ("example.com",))
    return Audit(layer, SimpleNamespace(domains=entries))


# -- the grammar -------------------------------------------------------------------------------------------------

def test_a_full_record_parses():
    record = parse("v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=r; t=n; psd=n; fo=0:1:d:s; "
                   "rua=mailto:a@example.com,mailto:b@example.net; ruf=mailto:f@example.com")
    assert not record.errors and not record.warnings and not record.notes
    assert record.effective == {"p": "reject", "sp": "quarantine", "np": "reject"}
    assert [u.host for u in record.rua] == ["example.com", "example.net"]


@pytest.mark.parametrize(("text", "error"), [
    ("v=DMARC1; p=block", "p='block' is not none, quarantine or reject"),
    ("v=DMARC1; p=reject; sp=maybe", "sp='maybe'"),
    ("v=DMARC1; p=reject; adkim=x", "adkim='x' is not one of r, s"),
    ("v=DMARC1; p=reject; t=yes", "t='yes' is not one of y, n"),
    ("v=DMARC1; p=reject; psd=q", "psd='q' is not one of y, n, u"),
    ("v=DMARC1; p=reject; fo=2", "'2' is not one of 0, 1, d, s"),
    ("v=DMARC1; p=reject; rua=dmarc@example.com", "it has no scheme"),
    ("v=DMARC1; p=reject; rua=mailto:a,b@example.com", "does not hold an address"),
    ("v=DMARC1; p=reject; rua=mailto:a@example.com!x", "'!' must be percent-encoded"),
    ("v=DMARC1; p=reject; rua=mailto:<script>@example.com", "characters outside RFC 3986"),
    ("v=DMARC1; p=reject; p=none", "appears more than once"),
    ("p=reject; v=DMARC1", "does not start with 'v=DMARC1'"),
])
def test_errors_are_named(text, error):
    record = parse(text)
    assert any(error in e for e in record.errors), record.errors


def test_removed_tags_and_size_suffix_are_warnings_and_unknown_tags_notes():
    record = parse("v=DMARC1; p=reject; pct=20; rf=afrf; ri=86400; foo=1; rua=mailto:a@example.com!10m")
    assert not record.errors
    assert "obsolete '!size' suffix" in record.warnings[0]
    assert [w.split("=")[0] for w in record.warnings[1:]] == ["pct", "rf", "ri"]
    assert "foo" in record.notes[0]
    assert record.rua[0].deliverable and record.rua[0].size_suffix


@pytest.mark.parametrize(("text", "effective"), [
    ("v=DMARC1; p=block; rua=mailto:a@example.com", {"p": "none", "sp": "none", "np": "none"}),  # §4.10.1
    ("v=DMARC1; p=block", None),  # no valid rua: no DMARC processing
    ("v=DMARC1; rua=mailto:a@example.com", {"p": "none", "sp": "none", "np": "none"}),  # p missing
    ("v=DMARC1; p=reject; sp=bad; rua=mailto:a@example.com", {"p": "none", "sp": "none", "np": "none"}),
    ("v=DMARC1; p=quarantine", {"p": "quarantine", "sp": "quarantine", "np": "quarantine"}),
    ("v=DMARC1; p=reject; sp=none", {"p": "reject", "sp": "none", "np": "none"}),  # np falls back to sp
])
def test_invalid_policy_means_none_only_with_a_valid_rua(text, effective):
    assert parse(text).effective == effective


def test_uri_parts():
    uri = parse_uri(" mailto:dmarc%2Breports@Example.COM?subject=x ")
    assert uri.deliverable and uri.address == "dmarc+reports@Example.COM" and uri.host == "example.com"
    assert not parse_uri("https://example.com/report").deliverable and parse_uri("https://example.com/r").valid


# -- the tree walk -----------------------------------------------------------------------------------------------

def test_targets_jump_to_seven_labels_and_stop_at_eight_questions():
    long = N("a.b.c.d.e.f.g.h.i.example.com")
    found = [t.to_text() for t in targets(long)]
    assert len(found) == 8 and found[1] == "e.f.g.h.i.example.com." and found[-1] == "com."
    assert [t.to_text() for t in targets(N("example.com"))] == ["example.com.", "com."]


def fake_dns(records: dict[str, list[str]]):
    asked = []

    def txt(name):
        asked.append(name.to_text())
        return records.get(name.to_text(), [])

    return txt, asked


def test_the_first_record_up_the_tree_is_the_policy_and_sp_applies():
    txt, asked = fake_dns({"_dmarc.example.com.": ["v=DMARC1; p=reject; sp=quarantine"]})
    found = walk(N("a.b.example.com"), txt)
    assert found.found_at == N("example.com") and found.applies == "sp" and found.policy == "quarantine"
    assert asked == ["_dmarc.a.b.example.com.", "_dmarc.b.example.com.", "_dmarc.example.com.", "_dmarc.com."]
    assert found.organizational_domain == N("example.com")


def test_np_applies_to_a_domain_that_does_not_exist():
    txt, _ = fake_dns({"_dmarc.example.com.": ["v=DMARC1; p=reject; sp=quarantine; np=none"]})
    assert walk(N("gone.example.com"), txt, exists=False).policy == "none"


def test_two_records_are_discarded_and_discovery_moves_up():
    txt, _ = fake_dns({"_dmarc.a.example.com.": ["v=DMARC1; p=none", "v=DMARC1; p=reject"],
                       "_dmarc.example.com.": ["v=DMARC1; p=quarantine"],
                       "_dmarc.a.example.com.x": ["ignored"]})
    found = walk(N("a.example.com"), txt)
    assert found.found_at == N("example.com") and found.policy == "quarantine"
    assert [s.name for s in found.discarded] == [N("a.example.com")]


def test_psd_records_end_the_walk_and_set_the_organizational_domain():
    txt, asked = fake_dns({"_dmarc.b.example.gov.": ["v=DMARC1; p=none; psd=n"],
                           "_dmarc.gov.": ["v=DMARC1; p=reject; psd=y"]})
    found = walk(N("a.b.example.gov"), txt)
    assert found.organizational_domain == N("b.example.gov") and asked[-1] == "_dmarc.b.example.gov."
    txt, asked = fake_dns({"_dmarc.gov.": ["v=DMARC1; p=reject; psd=y"]})
    found = walk(N("a.b.example.gov"), txt)
    assert found.organizational_domain == N("example.gov") and found.policy == "reject"


def test_without_any_record_the_domain_is_its_own_organizational_domain():
    txt, _ = fake_dns({"_dmarc.example.com.": ["not dmarc"]})
    found = walk(N("a.example.com"), txt)
    assert found.record is None and found.organizational_domain == N("a.example.com") and found.policy is None


def test_non_dmarc_txt_records_are_ignored():
    txt, _ = fake_dns({"_dmarc.example.com.": ["google-site-verification=x", "v=DMARC1; p=reject"]})
    assert walk(N("example.com"), txt).policy == "reject"


# -- the checks, from zone files -------------------------------------------------------------------------------

HEALTHY = """
    @       MX  10 mail
    mail    A   192.0.2.10
    @       TXT "v=spf1 mx -all"
    _dmarc  TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"
"""


@pytest.mark.parametrize("check_id", ["dmarc.present", "dmarc.single", "dmarc.syntax", "dmarc.policy",
                                      "dmarc.reporting", "dmarc.external-reports"])
def test_a_healthy_record_passes_every_check(tmp_path, check_id):
    result = audit(tmp_path, {"example.com": HEALTHY}).result("example.com", check_id)
    assert result.outcome is Outcome.PASS, result.message
    assert result.details["found_at"] == "_dmarc.example.com." and result.details["applies"] == "p"


def test_no_record_warns_and_says_what_to_publish(tmp_path):
    body = '@ MX 10 mail\nmail A 192.0.2.1\n_dmarc TXT "v=dmarc1; p=reject"\n'
    result = audit(tmp_path, {"example.com": body}).result("example.com", "dmarc.present")
    assert result.outcome is Outcome.WARN
    assert '"v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com"' in result.message
    assert "do not start with 'v=DMARC1'" in result.message
    assert [a.qname.to_text() for a in result.evidence if a.rdtype == "TXT"][:2] == ["_dmarc.example.com.",
                                                                                     "_dmarc.com."]


def test_a_parked_domain_must_reject(tmp_path):
    body = '@ MX 0 .\n@ TXT "v=spf1 -all"\n_dmarc TXT "v=DMARC1; p=quarantine; rua=mailto:d@example.com"\n'
    result = audit(tmp_path, {"example.com": body}).result("example.com", "dmarc.policy")
    assert result.outcome is Outcome.WARN and "publish p=reject (M3AAWG parked domains)" in result.message
    body = body.replace("p=quarantine", "p=reject")
    result = audit(tmp_path, {"example.com": body}).result("example.com", "dmarc.policy")
    assert result.outcome is Outcome.PASS and result.details["parked"] is True


def test_external_reports_need_the_destination_to_authorize(tmp_path):
    body = HEALTHY.replace("mailto:dmarc@example.com", "mailto:r@reports.example.org,mailto:x@other.example.net")
    zones = {"example.com": body,
             "example.org": '*._report._dmarc.reports TXT "v=DMARC1"\n',
             "example.net": 'example.com._report._dmarc.other TXT "not dmarc"\n'}
    (tmp_path / "org.zone").write_text(zone("org", ""))
    (tmp_path / "net.zone").write_text(zone("net", ""))
    result = audit(tmp_path, zones).result("example.com", "dmarc.external-reports")
    assert result.outcome is Outcome.FAIL
    assert "example.com._report._dmarc.other.example.net" in result.message
    assert "reports.example.org" not in result.message.split("do not authorize it")[1]
    assert result.details["destinations"]["reports.example.org"].endswith("authorized")


def test_a_name_too_long_for_dmarc_is_no_crash(tmp_path):
    label = "a" * 63
    long = f"{label}.{label}.{label}.{'b' * 46}.example.com"  # 250 characters: no room for _dmarc.
    result = audit(tmp_path, {"example.com": HEALTHY}, long).result(long, "dmarc.present")
    assert result.outcome is Outcome.PASS, result.message
    assert result.details["tree_walk"][0]["outcome"] == "too long to be a DNS name"
