"""A DKIM key record (RFC 6376 §3.6.1) parsed and judged, its key loaded with ``cryptography``.

The key is never sized by the length of its base64: an RSA key is loaded as the
SubjectPublicKeyInfo (or PKCS#1 RSAPublicKey) DER it must be and its modulus read
(``key_size``); an ed25519 key is the raw 32-octet public key of RFC 8463 §4.2,
loaded with ``Ed25519PublicKey.from_public_bytes``.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from ..spf.record import short
from .tags import TagError, tag_list

KEY_TYPES = ("rsa", "ed25519")
HASHES = ("sha1", "sha256")
SERVICES = ("*", "email")
_WSP = re.compile(r"[ \t\r\n]+")


@dataclass
class KeyRecord:
    """One key record: its tags, what is wrong with it, and the key it holds (type and size)."""

    text: str
    tags: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    key_type: str = "rsa"  # the k= tag (default rsa)
    bits: int | None = None  # RSA modulus size, or 256 for ed25519; None when no key could be loaded
    key_octets: int | None = None  # the length of the decoded p= value

    @property
    def revoked(self) -> bool:
        """§3.6.1: an empty ``p=`` means the key has been revoked."""
        return "p" in self.tags and not _WSP.sub("", self.tags["p"])

    @property
    def hashes(self) -> list[str] | None:
        """The ``h=`` algorithms, or None when the tag is absent (every algorithm allowed)."""
        if "h" not in self.tags:
            return None
        return [h.strip().lower() for h in self.tags["h"].split(":") if h.strip()]

    @property
    def flags(self) -> list[str]:
        return [f.strip().lower() for f in self.tags.get("t", "").split(":") if f.strip()]

    @property
    def testing(self) -> bool:
        """§3.6.1: ``t=y``: the domain is testing DKIM; verifiers treat signed mail as unsigned."""
        return "y" in self.flags

    def summary(self) -> str:
        """``RSA 2048 bits``, ``ed25519 (32 octets)``, ``revoked (empty p=)`` or ``no usable key``."""
        if self.revoked:
            return "revoked (empty p=)"
        if self.bits is None:
            return "no usable key"
        if self.key_type == "ed25519":
            return "ed25519 (32 octets)"
        return f"RSA {self.bits} bits"

    def to_dict(self) -> dict:
        return {"tags": {k: short(v, 80) for k, v in self.tags.items()}, "key": self.summary(),
                "key_type": self.key_type, "bits": self.bits, "errors": list(self.errors)}


def parse_key(text: str) -> KeyRecord:
    """Parse a key record; problems are collected in ``errors`` (RFC 6376 §3.6.1, RFC 8463 §4.2), never raised."""
    record = KeyRecord(text)
    try:
        record.tags = tag_list(text)
    except TagError as exc:
        record.errors.append(str(exc))
        return record
    tags = record.tags
    if "v" in tags:
        if next(iter(tags)) != "v":
            record.errors.append("v= is not the first tag: when present it MUST be first (§3.6.1)")
        if tags["v"] != "DKIM1":
            record.errors.append(f"v={short(tags['v'], 20)!r}: the version MUST be 'DKIM1' (§3.6.1)")
    record.key_type = tags.get("k", "rsa").strip().lower() or "rsa"
    if record.key_type not in KEY_TYPES:
        record.errors.append(f"k={short(record.key_type, 20)!r} is not a key type verifiers know "
                             "(rsa, ed25519: RFC 6376 §3.6.1, RFC 8463 §4.2)")
    for tag, known, what in (("h", HASHES, "hash algorithm"), ("s", SERVICES, "service type")):
        if tag in tags:
            values = [v.strip().lower() for v in tags[tag].split(":")]
            unknown = [v for v in values if v not in known]
            if unknown or not values:
                named = ", ".join(repr(short(u, 20)) for u in unknown) or "no value"
                record.errors.append(f"{tag}={short(tags[tag], 40)!r}: {named} is not a known {what} "
                                     f"({', '.join(known)}) (§3.6.1)")
    if "p" not in tags:
        record.errors.append("no p= tag: a key record MUST hold the public key in p= (§3.6.1)")
        return record
    if record.revoked:
        return record
    _load(record, _WSP.sub("", tags["p"]))
    return record


def _load(record: KeyRecord, value: str) -> None:
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        record.errors.append(f"p={short(value, 40)!r} is not valid base64 (§3.6.1)")
        return
    record.key_octets = len(data)
    if record.key_type == "ed25519":
        try:
            ed25519.Ed25519PublicKey.from_public_bytes(data)
        except ValueError:
            record.errors.append(f"p= holds {len(data)} octets where an ed25519 key is the raw 32-octet public key "
                                 "(RFC 8463 §4.2; not a SubjectPublicKeyInfo)")
            return
        record.bits = 256
    elif record.key_type == "rsa":
        try:
            key = load_der_public_key(data)
        except Exception as exc:  # ValueError, UnsupportedAlgorithm: whatever the DER holds, it is no key
            record.errors.append(f"p= does not hold an RSA public key (DER SubjectPublicKeyInfo): "
                                 f"{short(str(exc), 80)} (§3.6.1)")
            return
        if not isinstance(key, rsa.RSAPublicKey):
            record.errors.append(f"p= holds a {type(key).__name__.removesuffix('PublicKey')} key, not the RSA key k= "
                                 "names (§3.6.1)")
            return
        record.bits = key.key_size
