"""Facts several checks share: the MX set, the sending IPs, SPF records at a name."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import dns.name

from .context import Context

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Exchange:
    preference: int
    host: dns.name.Name


def mx_set(ctx: Context) -> list[Exchange]:
    """The domain's MX records, lowest preference first (RFC 5321 §5.1)."""
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
    domain's MX hosts, the usual gateway that sends and receives.
    """
    listed = list(getattr(ctx.entry, "sending_ips", ()) or ())
    if listed:
        return listed, "listed in the domains file"
    from .mx import host_addresses  # a looping exchange has no address (mx.resolve reports it), not an error

    ips: list[IPAddress] = []
    for exchange in real_exchanges(mx_set(ctx)):
        for ip in host_addresses(ctx, exchange.host)[0]:
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
    return name.to_text(omit_final_dot=True) if isinstance(name, dns.name.Name) else str(name).rstrip(".")


def names(hosts) -> str:
    """A short list of names for a message."""
    return ", ".join(display(h) for h in hosts)
