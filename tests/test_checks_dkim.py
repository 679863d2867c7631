"""DKIM key records and BIMI records by example: the grammar, the key loaded with cryptography, and the checks."""

from __future__ import annotations

import base64
import re
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from mailtests.audit import Audit
from mailtests.bimi import parse as parse_bimi
from mailtests.config import DomainEntry
from mailtests.dkim import parse_key, tag_list
from mailtests.dkim.tags import TagError
from mailtests.dnslayer import DnsLayer
from mailtests.dnslayer.zonefiles import ZoneSource
from mailtests.result import Outcome

# real keys of the lab: a 1024-bit RSA key and an ed25519 key
LAB_ZONES = Path(__file__).parent / "lab" / "zones"
RSA_1024 = re.search(r"k=rsa; p=([A-Za-z0-9+/=]+)", (LAB_ZONES / "dkim-1024.com.zone").read_text())[1]
ED25519 = re.search(r"k=ed25519; p=([A-Za-z0-9+/=]+)", (LAB_ZONES / "dkim-ed25519.com.zone").read_text())[1]


def spki(key) -> str:
    return base64.b64encode(key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).decode()


@pytest.fixture(scope="module")
def rsa_2048() -> str:
    return spki(rsa.generate_private_key(65537, 2048).public_key())


def test_tag_lists_come_from_dkimpy():
    assert tag_list("v=DKIM1; k=rsa; p=abc;") == {"v": "DKIM1", "k": "rsa", "p": "abc"}
    with pytest.raises(TagError, match="appears more than once"):
        tag_list("p=a; p=b")
    with pytest.raises(TagError, match="is not a tag=value pair"):
        tag_list("v=DKIM1; garbage")


def test_key_sizes_are_read_from_the_key_not_its_length(rsa_2048):
    assert parse_key(f"v=DKIM1; p={RSA_1024}").bits == 1024
    assert parse_key(f"v=DKIM1; k=rsa; p={rsa_2048}").summary() == "RSA 2048 bits"
    assert parse_key(f"v=DKIM1; k=ed25519; p={ED25519}").summary() == "ed25519 (32 octets)"
    folded = " ".join(RSA_1024[i:i + 20] for i in range(0, len(RSA_1024), 20))  # whitespace inside p= is allowed
    assert parse_key(f"p={folded}").bits == 1024


@pytest.mark.parametrize(("text", "error"), [
    ("v=DKIM1; p=!!!", "is not valid base64"),
    ("k=rsa; v=DKIM1; p=AAAA", "v= is not the first tag"),
    ("v=DKIM2; p=AAAA", "the version MUST be 'DKIM1'"),
    ("v=DKIM1; k=dsa; p=AAAA", "k='dsa' is not a key type"),
    ("v=DKIM1; h=md5; p=AAAA", "'md5' is not a known hash algorithm"),
    ("v=DKIM1; s=web; p=AAAA", "'web' is not a known service type"),
    ("v=DKIM1; k=rsa", "no p= tag"),
    ("v=DKIM1; k=rsa; p=AAAA", "does not hold an RSA public key"),
    (f"v=DKIM1; k=ed25519; p={base64.b64encode(bytes(31)).decode()}", "31 octets where an ed25519 key"),
])
def test_key_record_errors_are_named(text, error):
    assert any(error in e for e in parse_key(text).errors), parse_key(text).errors


def test_an_ec_key_is_not_the_rsa_key_k_names():
    key = spki(ec.generate_private_key(ec.SECP256R1()).public_key())
    assert any("not the RSA key k= names" in e for e in parse_key(f"p={key}").errors)


def test_an_ed25519_key_in_spki_form_is_wrong():
    key = spki(ed25519.Ed25519PrivateKey.generate().public_key())
    assert any("44 octets" in e for e in parse_key(f"k=ed25519; p={key}").errors)


def test_revoked_testing_and_hashes():
    assert parse_key("v=DKIM1; p=").revoked and parse_key("v=DKIM1; p= ").revoked
    assert parse_key(f"v=DKIM1; t=y:s; p={RSA_1024}").testing
    assert parse_key(f"v=DKIM1; h=sha1:sha256; p={RSA_1024}").hashes == ["sha1", "sha256"]


def zone_audit(tmp_path: Path, body: str, selectors=("s1",)) -> Audit:
    text = ("$ORIGIN example.com.\n$TTL 3600\n@ SOA ns1.example.invalid. h.example.invalid. 1 7200 900 1209600 3600\n"
            "@ NS ns1.example.invalid.\n" + textwrap.dedent(body))
    (tmp_path / "example.com.zone").write_text(text)
    (tmp_path / "com.zone").write_text("$ORIGIN com.\n$TTL 3600\n@ SOA a.invalid. h.invalid. 1 7200 900 1209600 3600\n"
                                       "@ NS a.invalid.\n")
    entry = DomainEntry("example.com", "example.com", dkim_selectors=tuple(selectors))
    return Audit(DnsLayer(None, ZoneSource([tmp_path]), offline=True), SimpleNamespace(domains=(entry,)))


DKIM = ("dkim.key-present", "dkim.syntax", "dkim.key-strength", "dkim.hash", "dkim.testing")


@pytest.mark.parametrize("check_id", DKIM)
def test_a_healthy_key_passes_and_no_selectors_skip(tmp_path, rsa_2048, check_id):
    audit = zone_audit(tmp_path, f's1._domainkey TXT "v=DKIM1; k=rsa; p={rsa_2048[:200]}" "{rsa_2048[200:]}"\n')
    assert audit.result("example.com", check_id).outcome is Outcome.PASS
    skipped = zone_audit(tmp_path, "", selectors=()).result("example.com", check_id)
    assert skipped.outcome is Outcome.SKIP and "dkim_selectors: [s2026]" in skipped.message


def test_two_records_at_a_selector_fail(tmp_path):
    body = f's1._domainkey TXT "p={RSA_1024}"\ns1._domainkey TXT "v=DKIM1; p={RSA_1024}"\n'
    result = zone_audit(tmp_path, body).result("example.com", "dkim.key-present")
    assert result.outcome is Outcome.FAIL and "2 TXT records" in result.message


def test_weak_keys_warn_and_very_weak_fail(tmp_path):
    result = zone_audit(tmp_path, f's1._domainkey TXT "p={RSA_1024}"\n').result("example.com", "dkim.key-strength")
    assert result.outcome is Outcome.WARN and result.details["selectors"][0]["bits"] == 1024
    bad = base64.b64encode(bytes(16)).decode()
    result = zone_audit(tmp_path, f's1._domainkey TXT "k=ed25519; p={bad}"\n').result("example.com",
                                                                                       "dkim.key-strength")
    assert result.outcome is Outcome.FAIL and "ed25519 public keys are 32 octets" in result.message


# -- BIMI ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "error"), [
    ("v=BIMI1; l=http://example.com/logo.svg", "is not an https URI"),
    ("v=BIMI1; l=https://example.com/logo.svg; a=ftp://example.com/vmc.pem", "a='ftp://example.com/vmc.pem'"),
    ("l=https://example.com/logo.svg; v=BIMI1", "does not start with 'v=BIMI1'"),
    ("v=BIMI1; a=", "no l= tag"),
    ("v=BIMI1; l=https://example.com/<script>.svg", "is not a URI"),
])
def test_bimi_errors(text, error):
    assert any(error in e for e in parse_bimi(text).errors), parse_bimi(text).errors


def test_bimi_declination_and_notes():
    assert parse_bimi("v=BIMI1; l=; a=;").declined and not parse_bimi("v=BIMI1; l=;").errors
    assert "does not end in .svg" in parse_bimi("v=BIMI1; l=https://example.com/logo.png").notes[0]


def test_bimi_needs_enforcement_of_the_organizational_domain(tmp_path):
    body = '''
        @ TXT "v=spf1 -all"
        _dmarc TXT "v=DMARC1; p=reject; sp=none; rua=mailto:d@example.com"
        default._bimi.mail TXT "v=BIMI1; l=https://example.com/logo.svg"
        _dmarc.mail TXT "v=DMARC1; p=reject; rua=mailto:d@example.com"
    '''
    audit = zone_audit(tmp_path, body)
    audit.entries["mail.example.com"] = DomainEntry("mail.example.com", "mail.example.com")
    result = audit.result("mail.example.com", "bimi.dmarc-enforced")
    assert result.outcome is Outcome.FAIL, result.message
    assert "its organizational domain example.com's record at _dmarc.example.com has sp=none" in result.message


def test_dkim_selector_option_replaces_the_default_not_a_domains_own(tmp_path):
    from mailtests.config import load_config
    from mailtests.session import SettingsError, with_selectors

    path = tmp_path / "domains.yaml"
    path.write_text("dkim_selectors: [old]\ndomains:\n  - a.example\n  - name: b.example\n"
                    "    dkim_selectors: [own]\n  - c.example\n", encoding="utf-8")
    config = with_selectors(load_config(path), ["S2026", "google", "s2026"])
    assert {e.name: e.dkim_selectors for e in config.domains} == {
        "a.example": ("s2026", "google"), "b.example": ("own",), "c.example": ("s2026", "google")}
    assert with_selectors(load_config(path), None).domains[0].dkim_selectors == ("old",)
    with pytest.raises(SettingsError, match="not a DKIM selector"):
        with_selectors(load_config(path), ["bad selector"])
