"""Signature checks with dnspython's ``dns.dnssec`` (on ``cryptography``), each made once per run.

:class:`Verifier` separates the two questions RFC 4035 §5.3 asks of an RRSIG: is it in its validity
window *now* (inception <= now <= expiration: arithmetic, asked every time), and does it verify
with the key (a public-key operation, cached per (RRset, RRSIG, key), so the same signature is
never verified twice in a run however many checks and domains use it). An algorithm the installed
``cryptography`` cannot verify is reported as such (``unsupported``), never as a bad signature.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import dns.dnssec
import dns.name
import dns.rdataset
import dns.rrset

OK, EXPIRED, NOT_YET_VALID, BAD, UNSUPPORTED = "ok", "expired", "not yet valid", "does not verify", "unsupported"


@functools.lru_cache(maxsize=4096)
def utc(ts: int | float) -> str:
    """A signature time as an auditor reads it: ``2026-11-01 12:00:00 UTC``. Made once per time: a zone's
    signatures share their inception and expiry, and strftime takes 6 µs."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def algorithm_text(alg: int) -> str:
    try:
        return f"{int(alg)} ({dns.dnssec.algorithm_to_text(alg)})"
    except Exception:  # an unknown number
        return str(int(alg))


@dataclass(frozen=True)
class SigCheck:
    """One RRSIG over one RRset and what became of it (``status``: ok, expired, not yet valid ...)."""

    owner: dns.name.Name
    covered: str  # the type the RRSIG covers
    signer: dns.name.Name
    key_tag: int
    algorithm: int
    inception: int
    expiration: int
    status: str

    @property
    def ok(self) -> bool:
        return self.status == OK

    def line(self) -> str:
        """A dig-like evidence line: ``example.com. RRSIG MX 13 by example.com./12345 2026-11-01 .. : ok``."""
        return (f"{self.owner.to_text()}\tRRSIG {self.covered} alg {self.algorithm} by {self.signer.to_text()}/"
                f"{self.key_tag}\tinception {utc(self.inception)}, expiry {utc(self.expiration)}: {self.status}")

    def reason(self) -> str:
        """Why this signature does not make its RRset secure, in words."""
        what = (f"RRSIG {self.covered} of {self.owner.to_text(omit_final_dot=True)} "
                f"(algorithm {algorithm_text(self.algorithm)}, key {self.key_tag})")
        if self.status == EXPIRED:
            return f"{what} expired {utc(self.expiration)}"
        if self.status == NOT_YET_VALID:
            return f"{what} is not valid before {utc(self.inception)}"
        if self.status == UNSUPPORTED:
            return f"{what} uses an algorithm the installed cryptography library cannot verify"
        if self.status == BAD:
            return f"{what} does not verify with that key (the data or the signature was changed after signing)"
        return f"{what}: {self.status}"


class Verifier:
    """The run's signature checks: the validation time, and the result of every public-key verification."""

    def __init__(self, now: float | None = None):
        self.now = time.time() if now is None else now
        self._done: dict[tuple, str] = {}
        self._lock = threading.Lock()
        self.verified = 0  # public-key operations made (the rest came from the cache)

    def check(self, rrset: dns.rrset.RRset, rrsig, keys) -> SigCheck:
        """``rrsig`` over ``rrset`` with the candidate ``keys`` (DNSKEY rdatas of the signer)."""
        status = self._status(rrset, rrsig, keys)
        return SigCheck(rrset.name, dns.rdatatype.to_text(rrsig.type_covered), rrsig.signer, rrsig.key_tag,
                        int(rrsig.algorithm), rrsig.inception, rrsig.expiration, status)

    def _status(self, rrset: dns.rrset.RRset, rrsig, keys) -> str:
        candidates = [k for k in keys if k.algorithm == rrsig.algorithm and dns.dnssec.key_id(k) == rrsig.key_tag]
        if not candidates:
            return "made by no key of the zone"
        verdict = BAD
        for key in candidates:
            verdict = self._verify(rrset, rrsig, key)
            if verdict == OK:
                break
        if verdict != OK:
            return verdict
        if rrsig.expiration < self.now:
            return EXPIRED
        if rrsig.inception > self.now:
            return NOT_YET_VALID
        return OK

    def _verify(self, rrset: dns.rrset.RRset, rrsig, key) -> str:
        data = tuple(sorted(rd.to_digestable() for rd in rrset))
        cache_key = (rrset.name.canonicalize(), rrset.rdtype, data,
                     rrsig.to_digestable(), key.to_digestable())
        with self._lock:
            found = self._done.get(cache_key)
        if found is not None:
            return found
        keyset = dns.rdataset.from_rdata_list(0, [key])
        try:  # the window is judged by _status: here only the mathematics, at a time inside it
            dns.dnssec.validate_rrsig(rrset, rrsig, {rrsig.signer: keyset}, now=rrsig.inception,
                                      policy=dns.dnssec.allow_all_policy)
            result = OK
        except dns.dnssec.UnsupportedAlgorithm:
            result = UNSUPPORTED
        except dns.dnssec.ValidationFailure:
            result = BAD
        except Exception:  # a malformed key or signature from the network
            result = BAD
        with self._lock:
            self._done[cache_key] = result
            self.verified += 1
        return result
