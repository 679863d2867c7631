"""HELO / EHLO name checks (RFC 5321 §2.3.5, §4.1.1.1, §4.1.2, §4.1.3; RFC 6761, RFC 6762)."""

from __future__ import annotations

import functools
import ipaddress
import re
import threading
from dataclasses import dataclass

import dns.name
from publicsuffixlist import PublicSuffixList

from ..dnslayer.layer import OFFLINE
from ..result import Finding, failed, passed, skipped
from . import check
from .common import IPAddress, listing, lookup_or_loop, loop_text
from .context import Context
from .ptr import assumed_note, ptr_details, reverse, sending_ips_or_skip

#: RFC 5321 §4.5.3.1.2 caps a domain at 255 octets on the wire: 253 characters of text.
MAX_NAME = 253
MAX_LABEL = 63  # RFC 5321 §4.5.3.1.1, RFC 1035 §2.3.4

#: Special-use names that are never delegated for public hosts: the suffix and why.
SPECIAL_USE: dict[str, str] = {
    "local": "reserved for multicast DNS on a local link (RFC 6762)",
    "localhost": "reserved for the loopback host (RFC 6761 §6.3)",
    "test": "reserved for testing (RFC 6761 §6.2)",
    "invalid": "reserved as an always-invalid name (RFC 6761 §6.4)",
    "example": "reserved for documentation (RFC 6761 §6.5)",
    "internal": "reserved by ICANN for private networks (never delegated)",
    "onion": "reserved for Tor onion services (RFC 7686)",
    "alt": "reserved for non-DNS name spaces (RFC 9476)",
    "home.arpa": "reserved for home networks (RFC 8375)",
    "arpa": "the infrastructure domain, not for hosts (RFC 3172)",
}

_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")  # RFC 5321 §4.1.2 sub-domain (Let-dig [Ldh-str])
_SNUM4 = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})")  # §4.1.3 IPv4-address-literal
_TAG = re.compile(r"([A-Za-z0-9-]*[A-Za-z0-9]):(.*)", re.S)  # §4.1.3 General-address-literal


@dataclass(frozen=True)
class Helo:
    """One HELO name as listed, what kind it is (``domain``, ``ipv4``, ``ipv6``) or why it is invalid."""

    text: str
    kind: str = "invalid"
    name: str = ""  # a domain, lowercase
    ip: IPAddress | None = None
    error: str = ""

    @property
    def literal(self) -> bool:
        return self.ip is not None

    def shown(self) -> str:
        """The name quoted for a message, cut short when long."""
        text = self.text if len(self.text) <= 80 else self.text[:77] + "..."
        return repr(text)


def parse_helo(text: str) -> Helo:
    """Classify an EHLO argument by RFC 5321 §4.1.1.1: ``Domain / address-literal`` (grammar of §4.1.2, §4.1.3)."""
    if text.startswith("["):
        return _parse_literal(text)
    bad = _domain_error(text)
    if bad:
        return Helo(text, error=bad)
    return Helo(text, "domain", name=text.lower())


def _parse_literal(text: str) -> Helo:
    """RFC 5321 §4.1.3: ``[`` IPv4-address-literal / IPv6-address-literal / General-address-literal ``]``."""
    if not text.endswith("]") or len(text) < 3:
        return Helo(text, error="an address literal is enclosed in [ and ]")
    inner = text[1:-1]
    m = _SNUM4.fullmatch(inner)
    if m:
        if any(int(part) > 255 for part in m.groups()):
            return Helo(text, error="an IPv4 address has four numbers from 0 to 255")
        ip = ipaddress.IPv4Address(".".join(str(int(part)) for part in m.groups()))
        return Helo(text, "ipv4", ip=ip)
    tag = _TAG.fullmatch(inner)
    if tag and tag.group(1).lower() == "ipv6":
        address = tag.group(2)
        try:
            if not re.fullmatch(r"[0-9A-Fa-f:.]+", address):
                raise ValueError(address)
            return Helo(text, "ipv6", ip=ipaddress.IPv6Address(address))
        except ValueError:
            return Helo(text, error=f"{address!r} is not an IPv6 address")
    try:
        ipaddress.IPv6Address(inner)
        return Helo(text, error=f"an IPv6 address literal carries the tag IPv6: write [IPv6:{inner}]")
    except ValueError:
        pass
    if tag:
        return Helo(text, error=f"{tag.group(1)!r} is no registered address-literal tag (only IPv6 is)")
    return Helo(text, error="not an IPv4 address nor an IPv6: address literal")


def _domain_error(text: str) -> str:
    """Why a text is not a ``Domain`` of RFC 5321 §4.1.2 (letters, digits, hyphens in dot-separated labels)."""
    if not text:
        return "the name is empty"
    if not text.isascii():
        return "the name has non-ASCII characters: an EHLO name uses the A-label (xn--) form"
    try:
        ip = ipaddress.ip_address(text)
        literal = f"[{ip}]" if ip.version == 4 else f"[IPv6:{ip}]"
        return f"an IP address is not a domain name: write the address literal {literal}"
    except ValueError:
        pass
    if text.endswith("."):
        return "an EHLO name has no trailing dot"
    if len(text) > MAX_NAME:
        return f"the name has {len(text)} characters, more than {MAX_NAME}"
    for label in text.split("."):
        if not label:
            return "the name has an empty label (a leading dot or two dots in a row)"
        if len(label) > MAX_LABEL:
            return f"a label has {len(label)} characters, more than {MAX_LABEL}"
        if not _LABEL.fullmatch(label):
            if label.startswith("-") or label.endswith("-"):
                return f"the label {label!r} starts or ends with a hyphen"
            odd = sorted({c for c in label if not (c.isalnum() or c == "-")})
            return f"the label {label!r} has {''.join(odd)!r}: a label is letters, digits and hyphens"
    return ""


def helo_names(ctx: Context) -> list[Helo] | Finding:
    """The domain's HELO names from the domains file, or the skip when none is listed."""
    listed = list(getattr(ctx.entry, "helo", ()) or ())
    if not listed:
        return skipped("no HELO name listed in the domains file: add `helo:` to the domain's entry (the name its "
                       "mail servers send in EHLO)")
    return [parse_helo(str(text)) for text in dict.fromkeys(listed)]


def _usable(ctx: Context, helos: list[Helo], literals: bool) -> list[Helo] | Finding:
    """The valid names a check applies to (domains, and literals when ``literals``), or why none is left."""
    valid = [h for h in helos if not h.error]
    usable = [h for h in valid if literals or not h.literal]
    if usable:
        return usable
    if not valid:
        return skipped(f"no HELO name of {ctx.domain} is valid (helo.syntax reports it)")
    return skipped(f"the HELO name(s) of {ctx.domain} are address literals ({listing(h.text for h in valid)}): "
                   "this check applies to domain names only")


def _details(helos: list[Helo]) -> dict:
    return {"helo": [h.text for h in helos]}


@check("helo.syntax")
def helo_syntax(ctx: Context) -> Finding:
    """RFC 5321 §4.1.1.1: the EHLO argument is a ``Domain`` (§4.1.2) or an ``address-literal`` (§4.1.3)."""
    helos = helo_names(ctx)
    if isinstance(helos, Finding):
        return helos
    invalid = [h for h in helos if h.error]
    if invalid:
        return failed(
            f"invalid HELO name(s) for {ctx.domain}: {listing(f'{h.shown()} ({h.error})' for h in invalid)}. "
            "An EHLO name is a domain name of letters, digits and hyphens (RFC 5321 §4.1.2), such as "
            f"mail.{ctx.domain}, or an address literal such as [192.0.2.1] or [IPv6:2001:db8::1] (§4.1.3): set "
            "the mail server's HELO name accordingly",
            invalid=[{"name": h.text, "problem": h.error} for h in invalid], **_details(helos),
        )
    return passed(f"every HELO name of {ctx.domain} is valid: {listing(h.text for h in helos)}", **_details(helos))


_ICANN_LOCK = threading.Lock()


@functools.cache
def _icann() -> PublicSuffixList:
    """The ICANN section of the Public Suffix List shipped with publicsuffixlist (nothing is downloaded).

    Parsed once per run: ``functools.cache`` alone lets every warm-up thread that asks before the first parse
    ends parse it too (16 parses, 0.8 s of CPU, in a run of 300 domains)."""
    with _ICANN_LOCK:
        return _parsed_icann()


@functools.cache
def _parsed_icann() -> PublicSuffixList:
    return PublicSuffixList(only_icann=True)


def tld_problem(name: str) -> str:
    """Why a syntactically valid domain is not a fully qualified name in a delegated TLD (RFC 5321 §2.3.5)."""
    labels = name.lower().split(".")
    if len(labels) < 2:
        return "not fully qualified: it has no domain part"
    for suffix, why in SPECIAL_USE.items():
        if name.lower() == suffix or name.lower().endswith("." + suffix):
            return f"ends in .{suffix}, {why}"
    tld = labels[-1]
    if _icann().publicsuffix(tld, accept_unknown=False) != tld:
        return f".{tld} is not a delegated top-level domain"
    return ""


@check("helo.fqdn-in-tld")
def helo_fqdn_in_tld(ctx: Context) -> Finding:
    """RFC 5321 §2.3.5: a domain name in EHLO is fully qualified and resolvable in the public DNS, so it ends in a
    delegated top-level domain; special-use names (RFC 6761, RFC 6762, RFC 8375, RFC 9476) never are."""
    helos = helo_names(ctx)
    if isinstance(helos, Finding):
        return helos
    domains = _usable(ctx, helos, literals=False)
    if isinstance(domains, Finding):
        return domains
    bad = [(h, tld_problem(h.name)) for h in domains]
    bad = [(h, why) for h, why in bad if why]
    if bad:
        return failed(
            f"HELO name(s) of {ctx.domain} that are not fully qualified public names: "
            f"{listing(f'{h.shown()} ({why})' for h, why in bad)}. Receivers reject such EHLO names: use the mail "
            f"host's public name, e.g. mail.{ctx.domain}",
            not_fqdn=[{"name": h.text, "problem": why} for h, why in bad], **_details(helos),
        )
    return passed(f"every HELO domain name of {ctx.domain} is fully qualified in a delegated TLD: "
                  f"{listing(h.name for h in domains)}", **_details(helos))


@dataclass
class Forward:
    """The addresses of a name, or why it has none; ``offline`` when it could not be asked."""

    addresses: list[IPAddress]
    why: str = ""
    offline: bool = False


def forward(ctx: Context, name: str) -> Forward:
    """A and AAAA of a name (RFC 5321 §2.3.5: an EHLO name resolves); a failed lookup raises DnsFailure."""
    found: list[IPAddress] = []
    for rdtype in ("A", "AAAA"):
        qname = dns.name.from_text(name)
        if ctx.dns.query(qname, rdtype).rcode == OFFLINE:
            return Forward([], "outside the zone files and live lookups are off", offline=True)
        answer, loop = lookup_or_loop(ctx, qname, rdtype)
        if loop:
            return Forward([], loop_text(loop))
        if answer.nxdomain:
            return Forward([], "NXDOMAIN: the name does not exist")
        found.extend(ipaddress.ip_address(t) for t in answer.texts())
    return Forward(found, "" if found else "no A or AAAA record")


@check("helo.resolves")
def helo_resolves(ctx: Context) -> Finding:
    """RFC 5321 §2.3.5: the EHLO domain is a name that resolves (has an A or AAAA record)."""
    helos = helo_names(ctx)
    if isinstance(helos, Finding):
        return helos
    domains = _usable(ctx, helos, literals=False)
    if isinstance(domains, Finding):
        return domains
    results = {h.name: forward(ctx, h.name) for h in domains}
    unresolved = [f"{name} ({f.why})" for name, f in results.items() if not f.addresses and not f.offline]
    details = {**_details(helos), "addresses": {n: [str(ip) for ip in f.addresses] for n, f in results.items()}}
    if unresolved:
        return failed(
            f"HELO name(s) of {ctx.domain} without an A or AAAA record: {listing(unresolved)}. Publish an address "
            "record (the sending host's IP) for each HELO name; many receivers reject an EHLO name that does not "
            "resolve", **details,
        )
    offline = [name for name, f in results.items() if f.offline]
    if offline:
        return skipped(f"HELO name(s) {listing(offline)} are outside the zone files and live lookups are off: "
                       "cannot check that they resolve", **details)
    return passed(f"every HELO name of {ctx.domain} resolves: "
                  f"{listing(f'{n} -> {listing(f.addresses, 3)}' for n, f in results.items())}", **details)


@check("helo.matches-ptr")
def helo_matches_ptr(ctx: Context) -> Finding:
    """Common receiver practice, which RFC 5321 §4.1.4 allows (a server MAY verify that the EHLO name corresponds
    to the client's IP): the name is the PTR name of a sending IP or resolves to one; a literal is a sending IP."""
    helos = helo_names(ctx)
    if isinstance(helos, Finding):
        return helos
    usable = _usable(ctx, helos, literals=True)
    if isinstance(usable, Finding):
        return usable
    found = sending_ips_or_skip(ctx)
    if isinstance(found, Finding):
        return found
    ips, details = found
    details.update(_details(helos))
    reverses = [reverse(ctx, ip) for ip in ips]
    ptr_names = {n for r in reverses for n in r.names}
    details["ptr"] = ptr_details(reverses)
    matched, unmatched, unknown = {}, [], []
    for helo in usable:
        if helo.literal:
            if helo.ip in ips:
                matched[helo.text] = f"is the sending IP {helo.ip}"
            else:
                unmatched.append(f"{helo.text} (not one of the sending IPs)")
            continue
        if dns.name.from_text(helo.name) in ptr_names:
            matched[helo.text] = "is a PTR name of a sending IP"
            continue
        fwd = forward(ctx, helo.name)
        hits = [ip for ip in fwd.addresses if ip in ips]
        if hits:
            matched[helo.text] = f"resolves to the sending IP {hits[0]}"
        elif fwd.offline or any(r.offline for r in reverses):
            unknown.append(helo.name)
        else:
            resolves = f"resolves to {listing(fwd.addresses, 3)}" if fwd.addresses else fwd.why
            unmatched.append(f"{helo.name} ({resolves})")
    details["matched"] = matched
    if unmatched:
        ptrs = f"whose PTR names are {listing(sorted(ptr_names))}" if ptr_names else "which have no PTR record"
        return failed(
            f"HELO name(s) of {ctx.domain} that neither are the PTR name of a sending IP nor resolve to one: "
            f"{listing(unmatched)}. The sending IPs are {listing(ips)}, {ptrs}. Use the sending host's PTR name as "
            f"its HELO name, or point the HELO name's A/AAAA record at the sending IP.{assumed_note(details)}",
            unmatched=unmatched, **details,
        )
    if unknown:
        return skipped(f"cannot tell whether {listing(unknown)} matches: its names or reverse zones are outside the "
                       "zone files and live lookups are off", **details)
    return passed(f"every HELO name of {ctx.domain} matches a sending IP: "
                  f"{listing(f'{n} {how}' for n, how in matched.items())}.{assumed_note(details)}", **details)
