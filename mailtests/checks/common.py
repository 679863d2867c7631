"""Facts several checks share: the MX set, the sending IPs, SPF records at a name."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

import dns.name
import dns.rdatatype

from ..dnslayer.answer import MAX_CNAME_CHAIN, Answer, chain_trouble, name_text
from ..result import DnsFailure
from .context import Context

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Exchange:
    preference: int
    host: dns.name.Name


def mx_set(ctx: Context) -> list[Exchange]:
    """The domain's MX records, lowest preference first (RFC 5321 §5.1)."""
    return list(ctx.shared("mx_set", _mx_set))


def _mx_set(ctx: Context) -> list[Exchange]:
    answer = ctx.lookup(ctx.domain, "MX")
    found = [Exchange(rd.preference, rd.exchange) for rd in answer.rdatas()]
    return sorted(found, key=lambda e: (e.preference, e.host.to_text()))


def is_null_mx(exchanges: list[Exchange]) -> bool:
    """RFC 7505 §3: a null MX has the root as its exchange ("0 .")."""
    return any(e.host == dns.name.root for e in exchanges)


def real_exchanges(exchanges: list[Exchange]) -> list[Exchange]:
    return [e for e in exchanges if e.host != dns.name.root]


def addresses(ctx: Context, host: dns.name.Name | str) -> list[IPAddress]:
    """The A and AAAA addresses of a host (a lookup failure raises DnsFailure)."""
    found: list[IPAddress] = []
    for rdtype in ("A", "AAAA"):
        found.extend(ipaddress.ip_address(t) for t in ctx.lookup(host, rdtype).texts())
    return found


def sending_ips(ctx: Context) -> tuple[list[IPAddress], str]:
    """The IPs the domain sends from, and where they came from (catalog, "Sending IPs").

    The ones listed in domains.yaml; where none are listed, the addresses of the
    domain's MX hosts, the usual gateway that sends and receives. Found once per domain.
    """
    ips, source = ctx.shared("sending_ips", _sending_ips)
    return list(ips), source


def _sending_ips(ctx: Context) -> tuple[list[IPAddress], str]:
    listed = list(getattr(ctx.entry, "sending_ips", ()) or ())
    if listed:
        return listed, "listed in the domains file"
    ips: list[IPAddress] = []
    for exchange in real_exchanges(mx_set(ctx)):
        for ip in host_addresses(ctx, exchange.host)[0]:  # a looping exchange has no address: mx.resolve says so
            if ip not in ips:
                ips.append(ip)
    return ips, "assumed: the addresses of the domain's MX hosts (none listed in the domains file)"


def spf_records(ctx: Context, name: dns.name.Name | str) -> list[str]:
    """The ``v=spf1`` records at a name: TXT strings joined without spaces (RFC 7208 §3.3, §4.5)."""
    records = []
    for rd in ctx.lookup(name, "TXT").rdatas():
        text = b"".join(rd.strings).decode("utf-8", "replace")
        if text.lower() == "v=spf1" or text.lower().startswith("v=spf1 "):
            records.append(text)
    return records


def display(name: dns.name.Name | str) -> str:
    """A name as a message shows it: without the final dot, so that a sentence can end after it."""
    return name_text(name, omit_final_dot=True) if isinstance(name, dns.name.Name) else str(name).rstrip(".")


def names(hosts) -> str:
    """A short list of names for a message: at most MAX_LISTED, then how many more (:func:`listing`)."""
    return listing(hosts)


#: Names listed in one message at most; the rest are counted (a domain may publish hundreds of records).
MAX_LISTED = 10


def listing(items: Iterable[object], limit: int = MAX_LISTED, sep: str = ", ") -> str:
    """A readable list for a message: names as text, at most ``limit`` of them, then how many more.

    Every list that reaches a message goes through here (a domain may publish a thousand NS records);
    the finding's details keep the whole list."""
    texts = [display(i) if isinstance(i, dns.name.Name) else str(i) for i in items]
    shown = sep.join(texts[:limit])
    return shown + (f" and {len(texts) - limit} more" if len(texts) > limit else "")


def follow_cnames(ctx: Context, name: dns.name.Name) -> list[dns.name.Name]:
    """The CNAME chain from ``name``, one CNAME question at a time (a resolver answers those without following
    them); it ends at a name that is no alias, at a repeated name (a loop) or after MAX_CNAME_CHAIN hops."""
    chain = [name]
    while len(chain) <= MAX_CNAME_CHAIN and len(chain) == len(set(chain)):
        answer = ctx.dns.query(chain[-1], "CNAME")
        targets = [r.rdata.target for r in answer.records
                   if r.name == chain[-1] and r.rdata.rdtype == dns.rdatatype.CNAME]
        if not answer.ok or not targets:
            break
        chain.append(targets[0])
    return chain


def is_loop(chain: list[dns.name.Name]) -> bool:
    return len(chain) != len(set(chain)) or len(chain) > MAX_CNAME_CHAIN


def loop_text(chain: list[dns.name.Name]) -> str:
    """What is wrong with a CNAME chain that ends nowhere: a loop, or a chain longer than is followed."""
    return chain_trouble(chain)


def lookup_or_loop(ctx: Context, name: dns.name.Name | str, rdtype: str) -> tuple[Answer, list[dns.name.Name]]:
    """The answer to (name, type), and the CNAME chain when the name is a CNAME loop ([] otherwise).

    RFC 1034 §3.6.2 has resolvers detect loops; most then answer SERVFAIL, which
    says nothing, so a failed answer is followed up with CNAME questions: a loop is a
    finding about the data, any other failure raises DnsFailure.
    """
    qname = name if isinstance(name, dns.name.Name) else dns.name.from_text(name)
    answer = ctx.dns.query(qname, rdtype)
    if answer.cname_loop:
        return answer, answer.cname_chain()
    if answer.ok:
        return answer, []
    chain = follow_cnames(ctx, qname)
    if is_loop(chain):
        return answer, chain
    raise DnsFailure(answer)


def host_addresses(ctx: Context, host: dns.name.Name) -> tuple[list[IPAddress], list[dns.name.Name]]:
    """The A and AAAA addresses of a host (RFC 5321 §5.1), and its CNAME chain when that loops."""
    found, loop = ctx.shared(("host_addresses", host), lambda c: _host_addresses(c, host))
    return list(found), list(loop)


def _host_addresses(ctx: Context, host: dns.name.Name) -> tuple[list[IPAddress], list[dns.name.Name]]:
    found: list[IPAddress] = []
    for rdtype in ("A", "AAAA"):
        answer, loop = lookup_or_loop(ctx, host, rdtype)
        if loop:
            return [], loop
        found.extend(ipaddress.ip_address(t) for t in answer.texts())
    return found, []

