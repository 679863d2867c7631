"""Name server checks (RFC 1034 §4.2, RFC 2181 §10.3, RFC 2182 §5).

The zone-level checks read the NS RRset through the resolver. The server-level
checks (``ns.authoritative``, ``ns.serial-consistent``, ``ns.parent-match``) ask
each name server directly, without recursion, so they need live servers and skip
in zone-file mode.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import dns.name

from ..dnslayer.answer import TIMEOUT, Answer
from ..result import DnsFailure, Finding, failed, passed, skipped
from . import check
from .common import addresses, display, listing, loop_text, names
from .context import Context

#: Parent-zone servers asked for the delegation before the check gives up (each asked once).
PARENT_TRIES = 3


def ns_hosts(ctx: Context) -> list[dns.name.Name]:
    """The host names of the domain's NS RRset (RFC 1034 §4.2.1); empty when it has none."""
    return list(ctx.shared("ns_hosts", _ns_hosts))


def _ns_hosts(ctx: Context) -> list[dns.name.Name]:
    answer = ctx.lookup(ctx.domain, "NS")
    if answer.nxdomain or answer.is_alias:
        return []
    return sorted({rd.target for rd in answer.rdatas()})


def _no_ns(ctx: Context, check_id: str) -> Finding:
    return skipped(f"{ctx.domain} publishes no NS records (ns.present reports it), so {check_id} does not apply")


def _zone_mode(check_id: str) -> Finding:
    return skipped(f"{check_id} needs live name servers; zone-file mode answers from the files")


@check("ns.present")
def ns_present(ctx: Context) -> Finding:
    """RFC 1034 §4.2.1: a zone publishes the NS RRset of its name servers at its apex."""
    answer = ctx.lookup(ctx.domain, "NS")
    if answer.nxdomain:
        return failed(f"{ctx.domain} does not exist (NXDOMAIN): publish the domain's zone and delegate it")
    if answer.is_alias:
        return failed(
            f"{ctx.domain} is an alias (CNAME to {display(answer.final_name)}), so it cannot be a zone with its own "
            "name servers (RFC 1034 §3.6.2): replace the CNAME with the zone's SOA and NS records"
        )
    hosts = ns_hosts(ctx)
    if not hosts:
        zone = next((display(r.name) for r in answer.authority if r.rdtype == "SOA"), None)
        inside = f" it is a name inside the zone {zone}, not a zone of its own." if zone else ""
        return failed(
            f"{ctx.domain} publishes no NS records:{inside} Delegate it from its parent zone "
            "and list its name servers at the zone apex"
        )
    return passed(f"{ctx.domain} has {len(hosts)} name server(s): {names(hosts)}",
                  name_servers=[h.to_text() for h in hosts])


@check("ns.count")
def ns_count(ctx: Context) -> Finding:
    """RFC 1034 §4.1, RFC 2182 §5: a zone has at least two name servers, so one outage does not take it down."""
    hosts = ns_hosts(ctx)
    if not hosts:
        return _no_ns(ctx, "ns.count")
    if len(hosts) < 2:
        return failed(
            f"{ctx.domain} has a single name server ({names(hosts)}): when it is down the domain disappears and "
            "mail to it bounces. Add at least one more name server, ideally on another network (RFC 2182 §5)",
            name_servers=[h.to_text() for h in hosts],
        )
    return passed(f"{ctx.domain} has {len(hosts)} name servers: {names(hosts)}",
                  name_servers=[h.to_text() for h in hosts])


@check("ns.resolve")
def ns_resolve(ctx: Context) -> Finding:
    """RFC 1034 §4.2.2, RFC 2181 §10.3: every NS host has an address and is a real name, not a CNAME."""
    hosts = ns_hosts(ctx)
    if not hosts:
        return _no_ns(ctx, "ns.resolve")
    problems: list[str] = []
    found: dict[str, list[str]] = {}
    for host in hosts:
        a = ctx.lookup(host, "A")
        if a.cname_loop:
            problems.append(f"{display(host)} is {loop_text(a.cname_chain())}")
            continue
        if a.is_alias:
            problems.append(f"{display(host)} is an alias (CNAME to {display(a.final_name)})")
            continue
        found[display(host)] = [str(ip) for ip in addresses(ctx, host)]
        if a.nxdomain:
            problems.append(f"{display(host)} does not exist (NXDOMAIN)")
        elif not found[display(host)]:
            problems.append(f"{display(host)} has no A or AAAA record")
    if problems:
        return failed(
            f"name server(s) of {ctx.domain} that cannot be used: {listing(problems, sep='; ')}. Each NS record must "
            "name a host with its own A or AAAA record, never an alias (RFC 2181 §10.3): publish the address, or name "
            "the canonical host (the CNAME's target) in the NS record",
            problems=problems, addresses=found,
        )
    return passed(f"every name server of {ctx.domain} has an address: "
                  + listing((f"{h} {listing(ips)}" for h, ips in found.items()), sep="; "), addresses=found)


# -- asking each name server directly -------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """One name server address asked for the zone's SOA without recursion."""

    host: dns.name.Name
    address: str
    answer: Answer

    @property
    def serial(self) -> int | None:
        """The SOA serial of an authoritative answer, else None."""
        if self.problem is not None:
            return None
        return self.answer.rdatas()[0].serial

    @property
    def unreachable(self) -> bool:
        """True when this host could not even send the question (no route, e.g. no IPv6 here).

        That is a fact about where the suite runs, not about the server, so it is no lame delegation.
        """
        return self.answer.rcode == TIMEOUT and (self.answer.error or "").startswith("unreachable")

    @property
    def problem(self) -> str | None:
        """Why this server does not serve the zone (a lame delegation, RFC 8499 §7), or None when it does."""
        a = self.answer
        if a.rcode == TIMEOUT:
            return f"gave {a.error}"
        if a.error is not None:
            return f"answered {a.rcode}" + (f" ({a.error})" if a.rcode == "FORMERR" else "")
        if a.nxdomain:
            return "answered NXDOMAIN: it does not know the zone"
        if not a.authoritative:
            if any(r.rdtype == "NS" for r in a.authority):
                return "answered with a referral, not authoritatively (AA flag clear)"
            return "answered without the AA flag: not authoritatively (a cached or forwarded answer)"
        if not a.rdatas():
            return "answered authoritatively but without the zone's SOA record"
        return None

    def label(self) -> str:
        return f"{display(self.host)} ({self.address})"

    def to_dict(self) -> dict:
        return {"host": self.host.to_text(), "address": self.address, "rcode": self.answer.rcode,
                "authoritative": self.answer.authoritative, "serial": self.serial, "problem": self.problem}


def probe_servers(ctx: Context, hosts: list[dns.name.Name]) -> tuple[list[Probe], list[dns.name.Name]]:
    """Ask every address (A and AAAA) of every NS host for the zone's SOA, directly and without recursion.

    Returns the probes and the hosts that have no address to ask. The layer caches
    each server's answer, so the checks that share these probes ask once.
    """
    probes: list[Probe] = []
    unaddressed: list[dns.name.Name] = []
    for host in hosts:
        ips = addresses(ctx, host)
        if not ips:
            unaddressed.append(host)
        for ip in ips:
            probes.append(Probe(host, str(ip), ctx.dns.query_server(str(ip), ctx.domain, "SOA")))
    return probes, unaddressed


def shared_probes(ctx: Context, hosts: list[dns.name.Name]) -> tuple[list[Probe], list[dns.name.Name]]:
    """:func:`probe_servers` of the domain's NS hosts (``hosts`` is :func:`ns_hosts`), once per domain."""
    return ctx.shared("ns.probes", lambda c: probe_servers(c, hosts))


def _not_asked(unaddressed: list[dns.name.Name], unreachable: list[Probe]) -> str:
    notes = []
    if unaddressed:
        notes.append(f" Not asked (no address; ns.resolve reports it): {names(unaddressed)}.")
    if unreachable:
        notes.append(f" Not reachable from this host ({unreachable[0].answer.error}): "
                     f"{listing(p.label() for p in unreachable)}.")
    return "".join(notes)


@check("ns.authoritative")
def ns_authoritative(ctx: Context) -> Finding:
    """RFC 1034 §4.2.2, RFC 8499 §7: every listed server answers for the zone with the AA flag (else: lame)."""
    if ctx.zone_mode:
        return _zone_mode("ns.authoritative")
    hosts = ns_hosts(ctx)
    if not hosts:
        return _no_ns(ctx, "ns.authoritative")
    probes, unaddressed = shared_probes(ctx, hosts)
    if not probes:
        return skipped(f"no name server of {ctx.domain} has an address to ask (ns.resolve reports it)")
    unreachable = [p for p in probes if p.unreachable]
    asked = [p for p in probes if not p.unreachable]
    if not asked:
        raise DnsFailure(unreachable[0].answer)
    servers = [p.to_dict() for p in probes]
    notes = _not_asked(unaddressed, unreachable)
    lame = [p for p in asked if p.problem is not None]
    if lame:
        what = listing((f"{p.label()} {p.problem}" for p in lame), sep="; ")
        return failed(
            f"lame delegation of {ctx.domain}: asked directly for `{ctx.domain} SOA`, {what}. Every name server "
            "listed for the zone must serve it authoritatively: load the zone on that server (e.g. as a secondary) "
            f"or remove it from the zone's NS records and from the delegation at the parent.{notes}",
            servers=servers,
        )
    return passed(f"every name server address of {ctx.domain} answers its SOA authoritatively: "
                  f"{listing(p.label() for p in asked)}.{notes}", servers=servers)


def _serial_newer(a: int, b: int) -> bool:
    """RFC 1982 §3.2: serial ``a`` is greater than ``b`` in 32-bit serial number arithmetic."""
    return a != b and ((a < b and b - a > 2**31) or (a > b and a - b < 2**31))


@check("ns.serial-consistent")
def ns_serial_consistent(ctx: Context) -> Finding:
    """RFC 1034 §4.3.5: secondaries follow the primary's SOA serial, so all servers serve the same one."""
    if ctx.zone_mode:
        return _zone_mode("ns.serial-consistent")
    hosts = ns_hosts(ctx)
    if not hosts:
        return _no_ns(ctx, "ns.serial-consistent")
    probes, _ = shared_probes(ctx, hosts)
    by_serial: dict[int, list[Probe]] = {}
    for p in probes:
        if (serial := p.serial) is not None:
            by_serial.setdefault(serial, []).append(p)
    if not by_serial:
        return skipped(f"no name server of {ctx.domain} answered its SOA authoritatively (ns.authoritative "
                       "reports it), so there is no serial to compare")
    serials = {p.label(): p.serial for p in probes if p.serial is not None}
    left_out = [p.label() for p in probes if p.serial is None]
    note = f" Not compared (no authoritative answer): {listing(left_out)}." if left_out else ""
    if len(by_serial) == 1:
        (serial,) = by_serial
        return passed(f"every name server address of {ctx.domain} that answers serves SOA serial {serial}: "
                      f"{listing(serials)}.{note}", serials=serials)
    order = sorted(by_serial, key=functools.cmp_to_key(lambda a, b: -1 if _serial_newer(a, b) else 1))
    groups = listing((f"{s} on {listing(p.label() for p in by_serial[s])}" for s in order), sep="; ")
    behind = [p.label() for s in order[1:] for p in by_serial[s]]
    return failed(
        f"the name servers of {ctx.domain} serve different SOA serials: {groups}. {listing(behind)} "
        f"{'lags' if len(behind) == 1 else 'lag'} behind serial {order[0]}: check zone transfers from the primary "
        f"(NOTIFY, AXFR/IXFR, the secondary's allow-transfer and masters settings), or the copy loaded on "
        f"each server.{note}",
        serials=serials, newest=order[0],
    )


# -- the delegation at the parent ---------------------------------------------------------------------


def parent_zone(ctx: Context) -> tuple[dns.name.Name, list[dns.name.Name]]:
    """The closest ancestor of the domain that has an NS RRset (the parent zone), and its name servers."""
    name = ctx.name
    while name != dns.name.root:
        name = name.parent()
        answer = ctx.lookup(name, "NS")
        if not answer.is_alias and answer.rdatas():
            return name, sorted({rd.target for rd in answer.rdatas()})
    raise DnsFailure(Answer(ctx.name, "NS", "SERVFAIL", server="(resolver)",
                            error="the root zone publishes no NS records: no parent zone found"))


def _parent_addresses(ctx: Context, hosts: list[dns.name.Name]) -> Iterator[tuple[dns.name.Name, str]]:
    """The parent servers' addresses, IPv4 first, looked up only as far as they are needed."""
    for rdtype in ("A", "AAAA"):
        for host in hosts:
            for text in ctx.dns.query(host, rdtype).texts():
                yield host, text


def delegated_set(answer: Answer, domain: dns.name.Name) -> list[dns.name.Name]:
    """The NS names a parent server gives for the domain: a referral's AUTHORITY section (RFC 1034 §4.3.2),
    or the answer section when that server is authoritative for the child zone too."""
    ns = {r.rdata.target for r in answer.authority if r.name == domain and r.rdtype == "NS"}
    if not ns and answer.authoritative:
        ns = {rd.target for rd in answer.rdatas()}
    return sorted(ns)


@check("ns.parent-match")
def ns_parent_match(ctx: Context) -> Finding:
    """RFC 1034 §4.2.2: the NS RRset delegated by the parent zone equals the one published at the zone apex."""
    if ctx.zone_mode:
        return _zone_mode("ns.parent-match")
    own = ns_hosts(ctx)
    if not own:
        return _no_ns(ctx, "ns.parent-match")
    parent, parent_ns = parent_zone(ctx)
    last: Answer | None = None
    server = ""
    for tries, (host, address) in enumerate(_parent_addresses(ctx, parent_ns), start=1):
        last, server = ctx.dns.query_server(address, ctx.domain, "NS"), f"{display(host)} ({address})"
        if last.ok or tries >= PARENT_TRIES:
            break
    if last is None:
        raise DnsFailure(Answer(ctx.name, "NS", "SERVFAIL", server=f"parent zone {parent.to_text()}",
                                error=f"no address found for the parent's name servers {names(parent_ns)}"))
    if not last.ok:
        raise DnsFailure(last)
    delegated = delegated_set(last, ctx.name)
    details = {"parent_zone": parent.to_text(), "parent_server": server,
               "delegated": [n.to_text() for n in delegated], "zone": [n.to_text() for n in own]}
    where = "the root zone" if parent == dns.name.root else f"the parent zone {display(parent)}"
    if not delegated:
        why = "NXDOMAIN" if last.nxdomain else "no NS records for it"
        return failed(
            f"{where} does not delegate {ctx.domain}: {server} answered {why}. Register the delegation "
            f"(NS records {names(own)}) with the registrar of {ctx.domain}", **details)
    only_parent = [n for n in delegated if n not in own]
    only_zone = [n for n in own if n not in delegated]
    if only_parent or only_zone:
        diff = "; ".join(part for part in (
            f"only at the parent: {names(only_parent)}" if only_parent else "",
            f"only in the zone: {names(only_zone)}" if only_zone else "") if part)
        return failed(
            f"{where} delegates {ctx.domain} to {names(delegated)} (asked {server}), but the zone lists "
            f"{names(own)} ({diff}). Make the zone's NS records and the delegation at the registrar list the same "
            "servers", **details)
    return passed(f"{where} delegates {ctx.domain} to the name servers the zone lists: {names(own)} "
                  f"(asked {server})", **details)
