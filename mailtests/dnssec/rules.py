"""What may sign, what a DS may digest with, how NSEC3 is set up, how soon signatures expire.

RFC 9904 (DNSSEC algorithm recommendations, updating RFC 8624) and RFC 9905/9906 retire the
algorithms below for signing (MUST NOT sign); a DS whose only digests are SHA-1 or GOST is
no longer enough (RFC 9904 §3.2). RFC 9276 §3.1: NSEC3 with 0 additional iterations (MUST) and an
empty salt (SHOULD). The 12-hour margin for the earliest expiry is Zonemaster DNSSEC04's spirit:
a signer that stopped re-signing leaves less than a day before every validator answers SERVFAIL.
"""

from __future__ import annotations

#: Algorithms that must not sign (RFC 9904 §3.1, RFC 9905, RFC 9906).
MUST_NOT_SIGN = {1: "RSAMD5", 3: "DSA", 5: "RSASHA1", 6: "DSA-NSEC3-SHA1", 7: "RSASHA1-NSEC3-SHA1", 12: "ECC-GOST"}
#: DS digest types that must not be the only ones (RFC 9904 §3.2, RFC 9905).
WEAK_DIGESTS = {1: "SHA-1", 3: "GOST R 34.11-94"}
DIGEST_NAMES = {1: "SHA-1", 2: "SHA-256", 3: "GOST R 34.11-94", 4: "SHA-384"}
RSA_ALGORITHMS = frozenset({1, 5, 7, 8, 10})
MIN_RSA_BITS = 2048
EXPIRY_MARGIN = 12 * 3600  # seconds


def digest_name(digest_type: int) -> str:
    return DIGEST_NAMES.get(int(digest_type), f"digest type {int(digest_type)}")


def rsa_bits(key) -> int | None:
    """The modulus size of an RSA DNSKEY (RFC 3110 §2: exponent length, exponent, modulus), else None."""
    if int(key.algorithm) not in RSA_ALGORITHMS:
        return None
    data = key.key
    if not data:
        return 0
    start = 1 + data[0] if data[0] else 3 + int.from_bytes(data[1:3], "big")
    modulus = data[start:]
    return int.from_bytes(modulus, "big").bit_length() if modulus else 0


def forbidden_algorithms(algorithms) -> list[str]:
    """The signing algorithms that must not sign, as ``5 (RSASHA1)``."""
    return [f"{a} ({MUST_NOT_SIGN[a]})" for a in sorted(set(map(int, algorithms))) if a in MUST_NOT_SIGN]


def only_weak_digests(digest_types) -> bool:
    types = set(map(int, digest_types))
    return bool(types) and types <= set(WEAK_DIGESTS)


def nsec3_problems(iterations: int, salt: bytes) -> tuple[str | None, str | None]:
    """(the FAIL, the WARN) of RFC 9276 §3.1 for one NSEC3PARAM, in words; None where it holds."""
    fail = (f"{iterations} additional iteration(s): RFC 9276 §3.1 requires 0 (validators may treat more as "
            "insecure or answer SERVFAIL)") if iterations else None
    warn = (f"salt {salt.hex().upper()}: RFC 9276 §3.1 recommends an empty salt (`-`), which protects nothing less"
            ) if salt else None
    return fail, warn
