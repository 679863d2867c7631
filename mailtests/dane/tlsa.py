"""TLSA records (RFC 6698 §2, RFC 7671, RFC 7672 §3.1) and matching a presented chain against them.

Pure functions over DER certificates; the certificates are parsed with ``cryptography``.
Written here because no well-kept Python library matches TLSA records (dnspython only
parses them; ``dane`` checkers in other languages are programs, not libraries).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

USAGES = {0: "PKIX-TA", 1: "PKIX-EE", 2: "DANE-TA", 3: "DANE-EE"}
SELECTORS = {0: "Cert", 1: "SPKI"}
MATCHING = {0: "Full", 1: "SHA2-256", 2: "SHA2-512"}


@dataclass(frozen=True)
class Tlsa:
    usage: int
    selector: int
    mtype: int
    data: bytes

    def __str__(self) -> str:
        return f"{self.usage} {self.selector} {self.mtype} {self.data.hex()}"

    @property
    def usable(self) -> bool:
        """RFC 7672 §3.1.3: SMTP clients use only DANE-TA(2) and DANE-EE(3) with known selector and matching."""
        return self.usage in (2, 3) and self.selector in SELECTORS and self.mtype in MATCHING


def selected(der: bytes, selector: int) -> bytes:
    """RFC 6698 §2.1.2: the whole certificate (0) or its SubjectPublicKeyInfo (1), DER."""
    if selector == 0:
        return der
    cert = x509.load_der_x509_certificate(der)
    return cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def association(der: bytes, selector: int, mtype: int) -> bytes:
    """RFC 6698 §2.1.3: the selected data itself (0), or its SHA-256 (1) or SHA-512 (2)."""
    data = selected(der, selector)
    if mtype == 1:
        return hashlib.sha256(data).digest()
    if mtype == 2:
        return hashlib.sha512(data).digest()
    return data


def _issued_by(child: bytes, parent: bytes) -> bool:
    try:
        x509.load_der_x509_certificate(child).verify_directly_issued_by(x509.load_der_x509_certificate(parent))
        return True
    except (ValueError, TypeError, InvalidSignature):  # a bad signature, another issuer, an unsupported key
        return False


def matching_record(records: list[Tlsa], chain: list[bytes]) -> tuple[Tlsa, int] | None:
    """The first usable record the chain matches, and the index of the certificate it matched (RFC 7672 §3.1).

    DANE-EE(3) is matched against the leaf only, with no name or validity checks
    (§3.1.1). DANE-TA(2) is matched against a certificate of the chain other than the
    leaf, which must then sign its way down to the leaf (§3.1.2); the name check of
    DANE-TA is the caller's (RFC 7672 §3.2.2).
    """
    if not chain:
        return None
    for record in records:
        if not record.usable:
            continue
        indexes = [0] if record.usage == 3 else range(1, len(chain))
        for i in indexes:
            try:
                found = association(chain[i], record.selector, record.mtype)
            except ValueError:
                continue
            if found == record.data and (record.usage == 3 or chain_links(chain[: i + 1])):
                return record, i
    return None


def chain_links(chain: list[bytes]) -> bool:
    """Each certificate of ``chain`` (leaf first) is signed by the next one."""
    return all(_issued_by(chain[i], chain[i + 1]) for i in range(len(chain) - 1))
