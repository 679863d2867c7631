"""What a mail administrator checks of a certificate, read from DER with ``cryptography``. No I/O."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timezone

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def _utc(cert: x509.Certificate, attr: str) -> datetime:
    value = getattr(cert, attr + "_utc", None)
    return value if value is not None else getattr(cert, attr).replace(tzinfo=timezone.utc)


def describe(der: bytes) -> dict:
    """Subject, SANs, issuer, validity and SPKI SHA-256 of one certificate (values as text)."""
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError as exc:
        return {"error": f"unparseable certificate: {exc}"}
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [*sans.get_values_for_type(x509.DNSName), *map(str, sans.get_values_for_type(x509.IPAddress))]
    except x509.ExtensionNotFound:
        names = []
    except ValueError:
        names = ["(unparseable SAN extension)"]
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return {
        "subject": cert.subject.rfc4514_string(),
        "sans": names,
        "issuer": cert.issuer.rfc4514_string(),
        "not_before": _utc(cert, "not_valid_before").isoformat().replace("+00:00", "Z"),
        "not_after": _utc(cert, "not_valid_after").isoformat().replace("+00:00", "Z"),
        "spki_sha256": base64.b64encode(hashlib.sha256(spki).digest()).decode(),
        "sha256": hashlib.sha256(der).hexdigest(),
    }
