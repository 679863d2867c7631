"""TLSA matching (RFC 6698 §2.1, RFC 7672 §3.1) on certificate chains made with trustme: pure functions, no I/O."""

from __future__ import annotations

import hashlib

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from mailtests.checks.dane import chain_matches
from mailtests.dane.tlsa import Tlsa, association, chain_links, matching_record
from mailtests.probes.certs import describe


def der(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)


@pytest.fixture(scope="module")
def chain() -> list[bytes]:
    """leaf (mx.example.com) <- intermediate <- root: DER, leaf first, the root included."""
    root = trustme.CA()
    intermediate = root.create_child_ca()
    leaf = intermediate.issue_cert("mx.example.com")
    return [der(p.bytes()) for p in leaf.cert_chain_pems] + [der(root.cert_pem.bytes())]


def spki(cert: bytes) -> bytes:
    return x509.load_der_x509_certificate(cert).public_key().public_bytes(Encoding.DER,
                                                                         PublicFormat.SubjectPublicKeyInfo)


def test_the_chain_is_leaf_intermediate_root(chain):
    assert len(chain) == 3 and chain_links(chain)
    assert not chain_links([chain[0], chain[2]])  # the root did not sign the leaf


@pytest.mark.parametrize(("selector", "mtype", "digest"), [
    (0, 0, lambda d: d), (0, 1, lambda d: hashlib.sha256(d).digest()), (0, 2, lambda d: hashlib.sha512(d).digest()),
])
def test_association_data_of_the_whole_certificate(chain, selector, mtype, digest):
    assert association(chain[0], selector, mtype) == digest(chain[0])


def test_association_data_of_the_public_key(chain):
    assert association(chain[0], 1, 1) == hashlib.sha256(spki(chain[0])).digest()


def test_dane_ee_3_1_1_matches_the_leaf_only(chain):
    ee = Tlsa(3, 1, 1, hashlib.sha256(spki(chain[0])).digest())
    assert matching_record([ee], chain) == (ee, 0)
    other = Tlsa(3, 1, 1, hashlib.sha256(spki(chain[1])).digest())
    assert matching_record([other], chain) is None  # the intermediate's key is no DANE-EE match


def test_dane_ee_needs_no_name_check(chain):
    ee = Tlsa(3, 1, 1, hashlib.sha256(spki(chain[0])).digest())
    assert chain_matches([ee], chain, "another-host.example.net") is None  # RFC 7672 §3.1.1


@pytest.mark.parametrize("index", [1, 2])
def test_dane_ta_2_0_1_matches_a_ca_of_the_chain_and_checks_the_name(chain, index):
    ta = Tlsa(2, 0, 1, hashlib.sha256(chain[index]).digest())
    assert matching_record([ta], chain) == (ta, index)
    assert chain_matches([ta], chain, "mx.example.com") is None
    assert "does not name other.example.com" in chain_matches([ta], chain, "other.example.com")


def test_dane_ta_does_not_match_the_leaf(chain):
    assert matching_record([Tlsa(2, 0, 1, hashlib.sha256(chain[0]).digest())], chain) is None


def test_pkix_unknown_and_mismatching_records_match_nothing(chain):
    digest = hashlib.sha256(spki(chain[0])).digest()
    records = [Tlsa(1, 1, 1, digest), Tlsa(0, 0, 1, hashlib.sha256(chain[2]).digest()), Tlsa(3, 2, 1, digest),
               Tlsa(3, 1, 9, digest), Tlsa(3, 1, 1, bytes(32))]
    assert matching_record(records, chain) is None
    assert chain_matches(records, chain, "mx.example.com") == "the presented chain matches no usable TLSA record"
    assert matching_record(records, []) is None


def test_certificate_description(chain):
    leaf = describe(chain[0])
    assert leaf["sans"] == ["mx.example.com"]
    assert leaf["spki_sha256"] and leaf["not_after"].endswith("Z") and leaf["issuer"] != leaf["subject"]
    assert describe(b"junk") == {"error": describe(b"junk")["error"]}
