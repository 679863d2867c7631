"""Trust anchors: the IANA root KSKs built in, or DS/DNSKEY records from a file (RFC 4033 §3.2, RFC 7958).

The built-in anchors are the DS records of the root KSKs IANA publishes in root-anchors.xml:
KSK-2017 (key tag 20326) and KSK-2024 (key tag 38696), both RSA/SHA-256 (algorithm 8), SHA-256 digests.
A file replaces them (``--trust-anchor FILE``, ``trust_anchor:``): DS or DNSKEY records in zone-file
format, all at one name (the root for a private root such as the test lab's; a lower name makes that
zone the top of every chain). dnspython's zone-file reader parses it, so a syntax error names its line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dns.exception
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.zonefile

IANA_ROOT_DS = (
    ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
    ". IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16",
)


class TrustAnchorError(ValueError):
    """A trust anchor file that cannot be used; the message names the file (and line)."""


@dataclass(frozen=True)
class TrustAnchor:
    """The records a chain of trust starts from: DS records and/or DNSKEY records, all owned by ``name``."""

    name: dns.name.Name
    ds: tuple = ()  # DS rdatas
    dnskeys: tuple = ()  # DNSKEY rdatas
    source: str = "the IANA root KSKs (built in)"

    def describe(self) -> str:
        tags = [f"DS {d.key_tag}" for d in self.ds] + [f"DNSKEY {_tag(k)}" for k in self.dnskeys]
        return f"{self.source}: {self.name.to_text()} {', '.join(tags)}"


def _tag(key) -> int:
    import dns.dnssec

    return dns.dnssec.key_id(key)


def parse_trust_anchor(text: str, source: str) -> TrustAnchor:
    try:
        rrsets = dns.zonefile.read_rrsets(text, name=None, ttl=None, rdclass=None, default_ttl=0,
                                          origin=dns.name.root, relativize=False)
    except dns.exception.DNSException as exc:
        raise TrustAnchorError(f"{source}: not DS or DNSKEY records in zone-file format: {exc}") from None
    ds, keys, names = [], [], set()
    for rrset in rrsets:
        if rrset.rdtype == dns.rdatatype.DS:
            ds.extend(rrset)
        elif rrset.rdtype == dns.rdatatype.DNSKEY:
            keys.extend(rrset)
        else:
            raise TrustAnchorError(f"{source}: {rrset.name} {dns.rdatatype.to_text(rrset.rdtype)}: a trust anchor "
                                   "holds only DS or DNSKEY records")
        names.add(rrset.name)
    if not names:
        raise TrustAnchorError(f"{source}: no DS or DNSKEY record")
    if len(names) > 1:
        raise TrustAnchorError(f"{source}: records at several names ({', '.join(sorted(map(str, names)))}); "
                               "give the anchors of one zone")
    return TrustAnchor(names.pop(), tuple(ds), tuple(keys), source)


def load_trust_anchor(path: Path | str | None) -> TrustAnchor:
    """The anchor in ``path``, or the built-in IANA root anchor when ``path`` is None."""
    if path is None:
        return IANA_ROOT_ANCHOR
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TrustAnchorError(f"trust anchor {path}: cannot read it ({exc})") from None
    return parse_trust_anchor(text, f"trust anchor {path}")


IANA_ROOT_ANCHOR = parse_trust_anchor("\n".join(IANA_ROOT_DS), "the IANA root KSKs (built in)")
