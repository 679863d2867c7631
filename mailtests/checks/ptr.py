"""Reverse DNS of the sending IPs (RFC 1912 §2.1, RFC 1035 §3.5, RFC 3596 §2.5, RFC 7208 §5.5)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import dns.name
import dns.reversename

from ..dnslayer.answer import Answer
from ..dnslayer.layer import OFFLINE
from ..result import DnsFailure, Finding, failed, passed, skipped
from . import check
from .common import IPAddress, display, listing, lookup_or_loop, loop_text, mx_set, real_exchanges, sending_ips
from .context import Context

#: RFC 7208 §4.6.4 / §5.5: at most 10 PTR names of one address are looked up.
MAX_PTR_NAMES = 10


@dataclass
class Reverse:
    """What the reverse tree says about one IP: its PTR names, or why there are none."""

    ip: IPAddress
    answer: Answer
    names: list[dns.name.Name] = field(default_factory=list)
    loop: list[dns.name.Name] = field(default_factory=list)  # the CNAME chain, when it loops

    @property
    def offline(self) -> bool:
        """The reverse zone is outside the zone files and live lookups are off: nothing can be said."""
        return self.answer.rcode == OFFLINE

    def why_missing(self) -> str:
        if self.loop:
            return f"{self.ip} ({display(self.answer.qname)} is {loop_text(self.loop)})"
        what = "NXDOMAIN" if self.answer.nxdomain else "no PTR record"
        return f"{self.ip} ({display(self.answer.qname)}: {what})"


def reverse(ctx: Context, ip: IPAddress) -> Reverse:
    """The PTR names of an IP: ``in-addr.arpa`` for IPv4 (RFC 1035 §3.5), ``ip6.arpa`` nibbles for IPv6 (RFC 3596
    §2.5). A CNAME to a classless delegation (RFC 2317) is followed. A failed lookup raises DnsFailure.
    Looked up once per domain and IP (ptr.* and helo.matches-ptr share it)."""
    return ctx.shared(("ptr.reverse", ip), lambda c: _reverse(c, ip))


def _reverse(ctx: Context, ip: IPAddress) -> Reverse:
    name = dns.reversename.from_address(str(ip))
    answer = ctx.dns.query(name, "PTR")
    if answer.rcode == OFFLINE:
        return Reverse(ip, answer)
    answer, loop = lookup_or_loop(ctx, name, "PTR")
    return Reverse(ip, answer, list(dict.fromkeys(rd.target for rd in answer.rdatas())), loop)


def sending_ips_or_skip(ctx: Context) -> tuple[list[IPAddress], dict] | Finding:
    """The sending IPs with the ``details`` that say which were used and why, or the skip when none are known."""
    ips, source = sending_ips(ctx)
    details = {"sending_ips": [str(ip) for ip in ips], "sending_ips_source": source}
    if not ips:
        exchanges = mx_set(ctx)
        if not exchanges:
            why = "it publishes no MX records to assume them from"
        elif not real_exchanges(exchanges):
            why = "it publishes a null MX (it accepts no mail, and likely sends none)"
        else:
            why = "its MX hosts have no address"
        return skipped(f"no sending IP of {ctx.domain} is known: none is listed in the domains file and {why}. "
                       "List the domain's `sending_ips` to check them", **details)
    return ips, details


def assumed_note(details: dict) -> str:
    """A closing sentence when the sending IPs were assumed from the MX hosts (catalog, "Sending IPs")."""
    source = details["sending_ips_source"]
    return "" if source.startswith("listed") else f" Sending IPs {source}."


def _offline_skip(ctx: Context, unchecked: list[Reverse], details: dict) -> Finding:
    return skipped(
        f"the reverse zone of {listing(r.ip for r in unchecked)} is not in the zone files and live lookups are off: "
        f"the reverse DNS of {ctx.domain}'s sending IPs cannot be checked.{assumed_note(details)}", **details)


@check("ptr.present")
def ptr_present(ctx: Context) -> Finding:
    """RFC 1912 §2.1: every address that sends mail has a PTR record (it need not match; receivers check it)."""
    found = sending_ips_or_skip(ctx)
    if isinstance(found, Finding):
        return found
    ips, details = found
    reverses = [reverse(ctx, ip) for ip in ips]
    missing = [r for r in reverses if not r.offline and not r.names]
    details["ptr"] = ptr_details(reverses)
    if missing:
        return failed(
            f"sending IP(s) of {ctx.domain} without a PTR record: {listing(r.why_missing() for r in missing)}. "
            "Ask whoever holds the address block (your ISP or hosting provider) to publish a PTR record naming "
            f"the mail host, e.g. mail.{ctx.domain}.{assumed_note(details)}",
            **details,
        )
    unchecked = [r for r in reverses if r.offline]
    if unchecked:
        return _offline_skip(ctx, unchecked, details)
    shown = listing(f"{r.ip} -> {listing(r.names, 3)}" for r in reverses)
    return passed(f"every sending IP of {ctx.domain} has a PTR record: {shown}.{assumed_note(details)}", **details)


def ptr_details(reverses: list[Reverse]) -> dict[str, list[str]]:
    """Each looked-up IP's PTR names, for the ``details`` of a finding."""
    return {str(r.ip): [n.to_text() for n in r.names] for r in reverses if not r.offline}


def forward_confirmed(ctx: Context, rev: Reverse) -> tuple[dns.name.Name | None, list[Answer]]:
    """The first PTR name (of at most 10, RFC 7208 §5.5) whose A/AAAA records include the IP, and the lookups that
    failed on the way (a CNAME loop is no failure: the name simply does not confirm)."""
    rdtype = "A" if rev.ip.version == 4 else "AAAA"
    failures = []
    for name in rev.names[:MAX_PTR_NAMES]:
        try:
            answer, _loop = lookup_or_loop(ctx, name, rdtype)
        except DnsFailure as exc:
            failures.append(exc.answer)
            continue
        if rev.ip in {ipaddress.ip_address(t) for t in answer.texts()}:
            return name, failures
    return None, failures


@check("ptr.forward-confirmed")
def ptr_forward_confirmed(ctx: Context) -> Finding:
    """Forward-confirmed reverse DNS (M3AAWG; the validation of RFC 7208 §5.5): a PTR name of the IP resolves to it.

    At most 10 PTR names of an address are tried, as RFC 7208 §5.5 allows for the ``ptr`` mechanism.
    """
    found = sending_ips_or_skip(ctx)
    if isinstance(found, Finding):
        return found
    ips, details = found
    reverses = [reverse(ctx, ip) for ip in ips]
    details["ptr"] = ptr_details(reverses)
    unconfirmed, confirmed, failed_lookups = [], {}, []
    unchecked = [r for r in reverses if r.offline]
    for rev in reverses:
        if rev.offline:
            continue
        if not rev.names:
            unconfirmed.append(f"{rev.why_missing()}: ptr.present reports it")
            continue
        name, failures = forward_confirmed(ctx, rev)
        if name is not None:
            confirmed[str(rev.ip)] = display(name)
        elif any(f.rcode != OFFLINE for f in failures):
            failed_lookups.extend(f for f in failures if f.rcode != OFFLINE)
        elif failures:
            unchecked.append(rev)
        else:
            tried = rev.names[:MAX_PTR_NAMES]
            more = f", only the first {MAX_PTR_NAMES} of {len(rev.names)} tried" if len(tried) < len(rev.names) else ""
            unconfirmed.append(f"{rev.ip} (PTR {listing(tried, 3)}{more}: no "
                               f"{'A' if rev.ip.version == 4 else 'AAAA'} record back to {rev.ip})")
    details["confirmed"] = confirmed
    if unconfirmed:
        not_checked = [f.describe() for f in failed_lookups] + [f"{r.ip} (offline)" for r in unchecked]
        also = f" (not checked: {listing(not_checked, 3)})" if not_checked else ""
        return failed(
            f"sending IP(s) of {ctx.domain} whose PTR name does not resolve back to them: {listing(unconfirmed)}"
            f"{also}. Make the PTR name a host name whose A/AAAA record is the sending IP (forward-confirmed "
            f"reverse DNS); many large receivers reject or penalise mail without it.{assumed_note(details)}",
            unconfirmed=unconfirmed, **details,
        )
    if failed_lookups:
        raise DnsFailure(failed_lookups[0])
    if unchecked:
        return _offline_skip(ctx, unchecked, details)
    shown = listing(f"{ip} <-> {name}" for ip, name in confirmed.items())
    return passed(f"every sending IP of {ctx.domain} has forward-confirmed reverse DNS: {shown}."
                  f"{assumed_note(details)}", **details)
