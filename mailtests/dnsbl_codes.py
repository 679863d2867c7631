"""What a DNS blocklist's answer means: the per-list return codes and test entries.

RFC 5782 §2.1: a listed entry has an A record, conventionally 127.0.0.2; lists
that split their data into sub-lists say which one with other 127.0.0.0/8 values.
Some operators also answer with an error code when they refuse to serve the
question (a public resolver, a typo in the zone name, over the free quota); such
an answer is a refusal and must never be read as a listing.

Tables are matched by zone suffix, so the subscription (DQS) zones
``<key>.zen.dq.spamhaus.net`` decode like ``zen.spamhaus.org``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    """One A record of a list's answer, decoded: what it means, and whether it is a refusal."""

    address: str
    meaning: str
    refused: bool = False
    valid: bool = True  # False: not a DNSxL answer at all (outside 127.0.0.0/8)

    def __str__(self) -> str:
        return f"{self.meaning} ({self.address})"


Decoder = Callable[[str], Code]

SPAMHAUS_REFUSALS = {
    "127.255.255.252": "typing error in the DNSBL zone name",
    "127.255.255.254": "query via a public/open resolver, or one with generic or no reverse DNS",
    "127.255.255.255": "excessive number of queries",
}

ZEN = {
    "127.0.0.2": "SBL: Spamhaus Block List (a spam source or spam operation)",
    "127.0.0.3": "SBL CSS: Spamhaus snowshoe / low-reputation sender list",
    **{f"127.0.0.{n}": "XBL: Exploits Block List (a hijacked or infected host, an open proxy)" for n in (4, 5, 6, 7)},
    "127.0.0.9": "DROP: Don't Route Or Peer (a hijacked or criminal network)",
    "127.0.0.10": "PBL: Policy Block List, set by the ISP (an end-user address that should not send mail directly)",
    "127.0.0.11": "PBL: Policy Block List, set by Spamhaus (an end-user address that should not send mail directly)",
}

DBL = {
    "127.0.1.2": "DBL: spam domain",
    "127.0.1.4": "DBL: phishing domain",
    "127.0.1.5": "DBL: malware domain",
    "127.0.1.6": "DBL: botnet command-and-control domain",
    "127.0.1.102": "DBL: abused legitimate domain (spam)",
    "127.0.1.103": "DBL: abused legitimate domain (spammed redirector)",
    "127.0.1.104": "DBL: abused legitimate domain (phishing)",
    "127.0.1.105": "DBL: abused legitimate domain (malware)",
    "127.0.1.106": "DBL: abused legitimate domain (botnet command and control)",
}

DNSWL_CATEGORIES = {
    2: "financial services", 3: "email service providers", 4: "organisations", 5: "service/network providers",
    6: "personal/private servers", 7: "travel/leisure industry", 8: "public sector/governments",
    9: "media and tech companies", 10: "special cases", 11: "education, academic", 12: "healthcare",
    13: "manufacturing/industrial", 14: "retail/wholesale/services", 15: "email marketing providers",
    20: "added through self-service, no category",
}
DNSWL_TRUST = {0: "none", 1: "low", 2: "medium", 3: "high"}


def table(codes: dict[str, str], refusals: dict[str, str] | None = None) -> Decoder:
    """A decoder for a list that documents each return value."""

    def decode(address: str) -> Code:
        if refusals and address in refusals:
            return Code(address, refusals[address], refused=True)
        return Code(address, codes.get(address, "listed (a return code this list does not document)"))

    return decode


def dnswl(address: str) -> Code:
    """list.dnswl.org: 127.0.x.y, x the category, y the trust level 0-3; 127.0.0.255 is over the free limit."""
    if address == "127.0.0.255":
        return Code(address, "over the free usage limit (too many queries from this resolver)", refused=True)
    octets = [int(o) for o in address.split(".")]
    category = DNSWL_CATEGORIES.get(octets[2], f"category {octets[2]}")
    trust = DNSWL_TRUST.get(octets[3], f"level {octets[3]}")
    return Code(address, f"dnswl category {category}, trust {trust}")


def uribl(address: str) -> Code:
    """URIBL: a bit mask in the last octet (2 black, 4 grey, 8 red); bit 1 (127.0.0.1) means "query refused"."""
    last = int(address.rsplit(".", 1)[1])
    if last & 1:
        return Code(address, "query refused (public resolver, or over the free usage limit)", refused=True)
    names = [name for bit, name in ((2, "black"), (4, "grey"), (8, "red")) if last & bit]
    return Code(address, f"URIBL {'+'.join(names) or 'listed'}")


DECODERS: dict[str, Decoder] = {
    **{zone: table(ZEN, SPAMHAUS_REFUSALS) for zone in (
        "zen.spamhaus.org", "sbl.spamhaus.org", "xbl.spamhaus.org", "pbl.spamhaus.org", "sbl-xbl.spamhaus.org",
        "zen.dq.spamhaus.net")},
    **{zone: table(DBL, SPAMHAUS_REFUSALS) for zone in ("dbl.spamhaus.org", "dbl.dq.spamhaus.net")},
    "bl.spamcop.net": table({"127.0.0.2": "SpamCop: reported as a spam source"}),
    "b.barracudacentral.org": table({"127.0.0.2": "Barracuda Reputation Block List: poor sender reputation"}),
    "list.dnswl.org": dnswl,
    "uribl.com": uribl,
}

#: RFC 5782 §5: a domain list's listed test entry is ``test``; these lists use their own.
TEST_DOMAINS: dict[str, str] = {
    "dbl.spamhaus.org": "dbltest.com",
    "dbl.dq.spamhaus.net": "dbltest.com",
    "uribl.com": "test.uribl.com",
}


def _for_zone(mapping: dict, zone: str):
    zone = zone.lower().rstrip(".")
    for key, value in mapping.items():
        if zone == key or zone.endswith("." + key):
            return value
    return None


def decode(zone: str, address: str) -> Code:
    """What the A record ``address`` in an answer of the list ``zone`` means."""
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        return Code(address, "not an IPv4 address", valid=False)
    if ip not in ipaddress.IPv4Network("127.0.0.0/8"):
        return Code(address, "outside 127.0.0.0/8: not a DNSxL answer (a wildcard or parked zone?)", valid=False)
    decoder = _for_zone(DECODERS, zone)
    return decoder(address) if decoder else Code(address, "listed")


def listed_test_domain(zone: str) -> str:
    """The domain a domain list must list (RFC 5782 §5: ``test``, or the operator's own test entry)."""
    return _for_zone(TEST_DOMAINS, zone) or "test"
