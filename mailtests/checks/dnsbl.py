"""DNS blocklist checks (RFC 5782): are the lists sound, and are the domain's senders or name on one?

A list is asked by name: the reversed IPv4 octets (§2.1), the reversed IPv6 nibbles
(§2.4) or the domain (§2.3), followed by the list's zone. An A record means listed,
NXDOMAIN means not listed; a TXT record at the same name gives the reason (§2.1).
Before its answers are believed, a list must pass its §5 test entries; a list that
lists everything, lists nothing or does not answer is not trusted, and the
per-domain checks say so rather than use it. Answers are cached run-wide by the
DNS layer, so each list is tested once per run however many domains use it.
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass, field

import dns.exception
import dns.name

from ..catalog import Severity
from ..config import DEFAULT_DNSBL, Blocklist
from ..dnsbl_codes import Code, decode, listed_test_domain
from ..dnslayer.answer import Answer
from ..dnslayer.layer import OFFLINE
from ..result import Finding, failed, passed, skipped
from . import check
from .common import IPAddress, listing, sending_ips
from .context import Context

IPV4_LISTED, IPV4_UNLISTED = ipaddress.ip_address("127.0.0.2"), ipaddress.ip_address("127.0.0.1")
IPV6_LISTED, IPV6_UNLISTED = ipaddress.ip_address("::ffff:7f00:2"), ipaddress.ip_address("::ffff:7f00:1")


OFFLINE_REASON = "DNS blocklists are live services, and this run asks no live DNS (offline)"


class Offline(Exception):
    """Live lookups are off: blocklists, live services, cannot be asked."""


# -- asking a list ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _zone_name(zone: str) -> dns.name.Name:
    return dns.name.from_text(zone.rstrip("."))


def query_name(subject: IPAddress | str, zone: str) -> dns.name.Name:
    """The name to ask: reversed octets (§2.1), reversed nibbles (§2.4) or ``<domain>.<zone>`` (§2.3)."""
    if isinstance(subject, ipaddress.IPv4Address):
        labels = [o.encode() for o in reversed(str(subject).split("."))]
    elif isinstance(subject, ipaddress.IPv6Address):
        labels = [n.encode() for n in reversed(subject.exploded.replace(":", ""))]
    else:
        return dns.name.from_text(f"{subject.rstrip('.')}.{zone.rstrip('.')}")
    return dns.name.Name([*labels, *_zone_name(zone).labels])  # digits and hex: no text to parse


@dataclass
class Lookup:
    """One question to one list: the answer, the decoded A records and the TXT reason."""

    answer: Answer
    codes: list[Code] = field(default_factory=list)
    reason: str = ""

    @property
    def listed(self) -> bool:
        return bool(self.codes)

    @property
    def refusal(self) -> Code | None:
        return next((c for c in self.codes if c.refused), None)

    def describe(self) -> str:
        what = "; ".join(map(str, self.codes))
        return f"{what}: {self.reason!r}" if self.reason else what


def ask(ctx: Context, bl: Blocklist, subject: IPAddress | str, with_reason: bool = True) -> Lookup:
    """Ask one list about one subject; a listing or refusal fetches the TXT reason too (§2.1)."""
    name = query_name(subject, bl.zone)
    answer = ctx.dns.query(name, "A")
    if answer.rcode == OFFLINE:
        raise Offline(answer.error or "live lookups are off")
    found = Lookup(answer, [decode(bl.zone, t) for t in answer.texts()] if answer.ok else [])
    if found.codes and (with_reason or found.refusal is not None):
        txt = ctx.dns.query(name, "TXT")
        if txt.ok:
            found.reason = " ".join(b"".join(rd.strings).decode("utf-8", "replace") for rd in txt.rdatas())
    return found


# -- list health (RFC 5782 §5) ----------------------------------------------------------------------------


@dataclass
class Health:
    """A list's verdict on its test entries: ``trusted``, ``refused`` (with why) or ``broken`` (with why)."""

    bl: Blocklist
    state: str
    why: str = ""
    ipv6: bool = False  # the list serves IPv6 entries (::FFFF:7F00:2 is listed)

    @property
    def trusted(self) -> bool:
        return self.state == "trusted"

    def __str__(self) -> str:
        return f"{self.bl.zone}: {self.why}"


def _probe(ctx: Context, bl: Blocklist, subject: IPAddress | str, must_be_listed: bool, health: Health) -> bool | None:
    """Ask one test entry; on a broken or refused answer set ``health`` and return None, else whether listed."""
    found = ask(ctx, bl, subject, with_reason=False)
    if not found.answer.ok:
        health.state, health.why = "broken", f"does not answer: {found.answer.describe()}"
        return None
    refusal = found.refusal
    if refusal is not None:
        health.state = "refused"
        health.why = f"REFUSED the query: {refusal.address} means {refusal.meaning}" + (
            f" ({found.reason!r})" if found.reason else "")
        return None
    bogus = next((c for c in found.codes if not c.valid), None)
    if bogus is not None:
        health.state, health.why = "broken", f"answers {subject} with {bogus}"
        return None
    if found.listed and not must_be_listed:
        health.state = "broken"
        health.why = f"lists everything: it lists the test entry {subject}, which must not be listed"
        return None
    return found.listed


def list_health(ctx: Context, bl: Blocklist) -> Health:
    """RFC 5782 §5: IPv4 lists list 127.0.0.2 and not 127.0.0.1; IPv6 lists ::FFFF:7F00:2 and not
    ::FFFF:7F00:1; domain lists list ``test`` (Spamhaus DBL: ``dbltest.com``) and not ``invalid``.

    A list whose IPv6 test entry is not listed simply serves no IPv6 entries.
    """
    health = Health(bl, "trusted")
    if bl.kind == "domain":
        probes = [(listed_test_domain(bl.zone), True), ("invalid", False)]
    else:
        probes = [(IPV4_LISTED, True), (IPV4_UNLISTED, False)]
    for subject, must in probes:
        listed = _probe(ctx, bl, subject, must, health)
        if listed is None:
            return health
        if must and not listed:
            health.state, health.why = "broken", f"lists nothing: the test entry {subject} is not listed"
            return health
    if bl.kind == "ip":
        listed6 = _probe(ctx, bl, IPV6_LISTED, True, health)
        if listed6 is None:
            return health
        if listed6 and _probe(ctx, bl, IPV6_UNLISTED, False, health) is None:
            return health
        health.ipv6 = listed6
    health.why = "answers its test entries" + ("" if bl.kind == "domain" or health.ipv6 else " (IPv4 only)")
    return health


def shared_health(ctx: Context, bl: Blocklist) -> Health:
    """:func:`list_health`, once per run: a list's answers to its test entries are the same for every domain."""
    return ctx.shared(("dnsbl.health", bl), lambda c: list_health(c, bl), run_wide=True, errors=(Offline,))


def configured_lists(ctx: Context, kind: str | None = None) -> tuple[list[Blocklist], list[str]]:
    """The lists to use (of one kind), and notes on any left out (a subscription list without a subscription)."""
    config = ctx.config
    lists = list(getattr(config, "dnsbl", DEFAULT_DNSBL) if config is not None else DEFAULT_DNSBL)
    subscribed = bool(getattr(config, "dnsbl_subscription", False))
    notes = [f"{bl.zone} not asked: a subscription list, and the configuration holds no subscription"
             for bl in lists if bl.subscription and not subscribed and (kind is None or bl.kind == kind)]
    use = [bl for bl in lists if (kind is None or bl.kind == kind) and (subscribed or not bl.subscription)]
    return use, notes


# -- the checks --------------------------------------------------------------------------------------------------


@check("dnsbl.list-healthy")
def dnsbl_list_healthy(ctx: Context) -> Finding:
    """RFC 5782 §5: every configured list answers its test entries; otherwise it is not trusted."""
    lists, notes = configured_lists(ctx)
    if not lists:
        return skipped("no DNS blocklist is configured" + "".join(f"; {n}" for n in notes))
    try:
        healths = [shared_health(ctx, bl) for bl in lists]
    except Offline:
        return skipped(OFFLINE_REASON)
    details = {"lists": {h.bl.zone: {"state": h.state, "why": h.why, "ipv6": h.ipv6} for h in healths},
               "left_out": notes}
    broken = [h for h in healths if h.state == "broken"]
    refused = [h for h in healths if h.state == "refused"]
    if broken:
        head = "not trusted, so their answers are not used (RFC 5782 §5): " + "; ".join(map(str, broken))
        return failed(_join([head], list(map(str, refused)), notes), **details)
    if refused:
        head = "; ".join(map(str, refused)) + ": the list could not be tested, so its answers are not used"
        return failed(_join([head], notes), severity=Severity.WARN, **details)
    head = f"{len(healths)} list(s) answer their RFC 5782 §5 test entries: " + ", ".join(map(str, healths))
    return passed(_join([head], notes), **details)


def _screen(ctx: Context, kind: str, subjects: list, who: str) -> Finding:
    """Ask every configured list of ``kind`` about ``subjects``; one finding for all (shared by both checks).

    FAIL: a blocklist lists a subject, or a trusted list gave no usable answer. WARN: a list
    REFUSED the query (its error code is never a listing), or no blocklist could be trusted.
    INFO: an allowlist lists a subject. Otherwise a pass. ``who`` names the subjects in messages.
    """
    lists, notes = configured_lists(ctx, kind)
    try:
        healths = [shared_health(ctx, bl) for bl in lists]
    except Offline:
        return skipped(OFFLINE_REASON)
    listed: list[str] = []
    problems: list[str] = []
    allowed: list[str] = []
    refused = [f"{h.bl.zone} {h.why}" for h in healths if h.state == "refused"]
    untrusted = [f"{h.bl.zone} was not trusted ({h.why}; see dnsbl.list-healthy)"
                 for h in healths if h.state == "broken"]
    v6 = [str(s) for s in subjects if isinstance(s, ipaddress.IPv6Address)]
    v4_only = [h.bl.zone for h in healths if h.trusted and not h.ipv6]
    if v6 and v4_only:
        notes.append(f"{listing(v6)} not asked of {', '.join(v4_only)}: no IPv6 entries there (RFC 5782 §2.4)")
    for health in (h for h in healths if h.trusted):
        bl = health.bl
        for subject in subjects:
            if isinstance(subject, ipaddress.IPv6Address) and not health.ipv6:
                continue
            try:
                found = ask(ctx, bl, subject)
            except dns.exception.DNSException as exc:  # the name would be too long to ask
                problems.append(f"{subject} could not be asked of {bl.zone}: {exc}")
                continue
            if not found.answer.ok:
                problems.append(f"{bl.zone} gave no answer for {subject}: {found.answer.describe()}")
            elif found.refusal is not None:
                refused.append(f"{bl.zone} REFUSED the query for {subject}: {found.describe()}")
            elif any(not c.valid for c in found.codes):
                problems.append(f"{bl.zone} answered {subject} with {found.describe()}: not a DNSxL answer")
            elif found.listed and bl.allowlist:
                allowed.append(f"{subject} is on the allowlist {bl.zone}: {found.describe()}")
            elif found.listed:
                listed.append(f"{subject} is listed on {bl.zone}: {found.describe()}")
    details = {"subjects": [str(s) for s in subjects], "listed": listed, "problems": problems,
               "refused": refused, "untrusted": untrusted, "allowlisted": allowed, "notes": notes}

    if listed or problems:
        return failed(_join(listed, problems, refused, untrusted, allowed, notes), **details)
    if refused:
        head = "; ".join(refused) + ": the listing status there is unknown (a refusal is never a listing)"
        return failed(_join([head], untrusted, allowed, notes), severity=Severity.WARN, **details)
    used = [h.bl.zone for h in healths if h.trusted and not h.bl.allowlist]
    if not used and untrusted:
        head = f"{who} could not be checked: no blocklist could be trusted"
        return failed(_join([head], untrusted, allowed, notes), severity=Severity.WARN, **details)
    head = f"{who}: not listed on {', '.join(used)}" if used else f"{who}: no blocklist configured, allowlists only"
    if allowed:
        return failed(_join([head], allowed, untrusted, notes), severity=Severity.INFO, **details)
    return passed(_join([head], untrusted, notes), **details)


def _join(*groups: list[str]) -> str:
    return "; ".join(part for group in groups for part in group)


@check("dnsbl.not-listed")
def dnsbl_not_listed(ctx: Context) -> Finding:
    """RFC 5782 §2.1, §2.4: no sending IP is on a trusted IP blocklist; return codes are decoded."""
    if not configured_lists(ctx, "ip")[0]:
        return skipped("no IP blocklist is configured")
    ips, how = sending_ips(ctx)
    if not ips:
        return skipped(f"no sending IPs known for {ctx.domain}: none are listed in the domains file "
                       "and no MX host address was found", sending_ips_source=how)
    ips = [(ip.ipv4_mapped or ip) if isinstance(ip, ipaddress.IPv6Address) else ip for ip in ips]
    finding = _screen(ctx, "ip", ips, f"sending IPs of {ctx.domain} ({listing(ips)}; {how})")
    finding.details["sending_ips"] = [str(ip) for ip in ips]
    finding.details["sending_ips_source"] = how
    return finding


@check("dnsbl.domain-not-listed")
def dnsbl_domain_not_listed(ctx: Context) -> Finding:
    """RFC 5782 §2.3: the domain is not on a trusted domain blocklist (only where one is configured)."""
    lists, notes = configured_lists(ctx, "domain")
    if not lists:
        return skipped("no domain blocklist is configured" + "".join(f"; {n}" for n in notes))
    return _screen(ctx, "domain", [ctx.domain], ctx.domain)
