"""Make the SMTP/HTTPS lab's certificates (run once; the output is committed, so TLSA records in zones/ stay valid).

    .venv/bin/python tests/lab/certs/make_certs.py

trustme makes the lab CA and the certificates it issues (valid 2000-3000 unless said);
the self-signed certificate is made with cryptography. Each ``<name>.pem`` holds the
private key, the certificate and, for postfix.pem, the CA certificate, in that order.
Prints the TLSA data the zones use.
"""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HERE = Path(__file__).resolve().parent
#: The MX host names Postfix answers for (all at 127.25.0.10).
POSTFIX_NAMES = ("good.mx-lab.net", "dane-ee.mx-lab.net", "dane-ta.mx-lab.net", "dane-bad.mx-lab.net",
                 "dane-pkix.mx-lab.net", "dual.mx-lab.net",
                 "mx1.healthy.com", "mx2.healthy.com")
#: The MTA-STS policy hosts served with a valid certificate (127.25.1.1).
STS_DOMAINS = ("sts-enforce.com", "sts-testing.com", "sts-none.com", "sts-redirect.com", "sts-mediatype.com",
               "sts-oversize.com", "sts-mxmismatch.com", "sts-wildcard.com", "smtp-enforce-nostarttls.com",
               "smtp-enforce-badcert.com", "sts-malformed.com", "sts-duplicate.com", "healthy.com")


def _write(name: str, leaf: trustme.LeafCert, root: trustme.CA | None = None) -> None:
    """Key, certificate and (``root``: for a DANE-TA record, RFC 7672 §3.1.2) the CA certificate."""
    blobs = [leaf.private_key_pem, *leaf.cert_chain_pems, *([root.cert_pem] if root else [])]
    (HERE / f"{name}.pem").write_bytes(b"".join(blob.bytes() for blob in blobs))


def _self_signed(name: str) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(datetime.datetime(2020, 1, 1)).not_valid_after(datetime.datetime(3000, 1, 1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()) + cert.public_bytes(serialization.Encoding.PEM))


def main() -> None:
    ca = trustme.CA(organization_name="mailtests lab CA")
    ca.cert_pem.write_to_path(str(HERE / "ca.pem"))
    _write("postfix", ca.issue_cert(*POSTFIX_NAMES), root=ca)
    _write("greet", ca.issue_cert("greet.mx-lab.net"))
    _write("tls10", ca.issue_cert("tls10.mx-lab.net"))
    _write("expired", ca.issue_cert("expired.mx-lab.net", not_before=datetime.datetime(2020, 1, 1),
                                    not_after=datetime.datetime(2021, 1, 1)))
    _write("wrongname", ca.issue_cert("www.example.net"))
    _write("mta-sts", ca.issue_cert(*(f"mta-sts.{d}" for d in STS_DOMAINS)))
    (HERE / "selfsigned.pem").write_bytes(_self_signed("selfsigned.mx-lab.net"))
    leaf = x509.load_pem_x509_certificates((HERE / "postfix.pem").read_bytes())[0]
    spki = leaf.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    root = x509.load_pem_x509_certificate((HERE / "ca.pem").read_bytes()).public_bytes(serialization.Encoding.DER)
    print("3 1 1", hashlib.sha256(spki).hexdigest())
    print("2 0 1", hashlib.sha256(root).hexdigest())


if __name__ == "__main__":
    main()
