"""Mail exchanger checks (RFC 5321 §5.1, RFC 7505, RFC 2181 §10.3, RFC 3974)."""

from __future__ import annotations

import ipaddress

import dns.name
import dns.rdatatype

from ..catalog import Severity
from ..result import Finding, failed, passed, skipped
from . import check
from .common import (
    Exchange,
    display,
    host_addresses,
    is_null_mx,
    listing,
    lookup_or_loop,
    loop_text,
    mx_set,
    real_exchanges,
)
from .context import Context


def exchange_hosts(ctx: Context) -> list[dns.name.Name] | Finding:
    """The distinct exchange hosts mail goes to, or the skip of a check that cannot apply.

    A domain without MX records (mx.present reports it) or with only a null MX
    (RFC 7505 §3: it accepts no mail) has no exchange to check. With a null MX among
    ordinary ones (mx.null-mx reports that), the ordinary ones are still checked.
    """
    exchanges = mx_set(ctx)
    if not exchanges:
        return skipped(f"{ctx.domain} publishes no MX records, so there is no exchange to check (mx.present)")
    hosts = list(dict.fromkeys(e.host for e in real_exchanges(exchanges)))
    if not hosts:
        return skipped(f"{ctx.domain} publishes a null MX (RFC 7505): it accepts no mail, so there is no exchange "
                       "to check")
    return hosts


@check("mx.present")
def mx_present(ctx: Context) -> Finding:
    """RFC 5321 §5.1: mail goes to the MX hosts; with no MX, to the domain's own address (implicit MX).

    A null MX (RFC 7505) says the domain accepts no mail, which is a valid answer.
    """
    answer, loop = lookup_or_loop(ctx, ctx.name, "MX")
    if loop:
        return failed(f"{ctx.domain} is {loop_text(loop)}: no mail can be delivered to it. Remove "
                      "the CNAME records and publish MX records at the name")
    if answer.nxdomain:
        return failed(f"{ctx.domain} does not exist (NXDOMAIN): no mail can be delivered to it")
    exchanges = mx_set(ctx)
    real = real_exchanges(exchanges)
    if is_null_mx(exchanges) and not real:
        return passed(f"{ctx.domain} publishes a null MX (RFC 7505): it accepts no mail", null_mx=True)
    if exchanges:
        note = " (beside a null MX: mx.null-mx reports the conflict)" if is_null_mx(exchanges) else ""
        return passed(f"{ctx.domain} has {len(exchanges)} MX record(s): {listing(e.host for e in exchanges)}{note}",
                      exchanges=[f"{e.preference} {e.host.to_text()}" for e in exchanges])
    own = host_addresses(ctx, ctx.name)[0]
    if own:
        return failed(
            f"{ctx.domain} publishes no MX records; senders fall back to its address record(s) "
            f"({listing(own)}) as an implicit MX (RFC 5321 §5.1). Publish an MX record, "
            "or a null MX (`0 .`) if the domain accepts no mail",
            severity=Severity.WARN, implicit_mx=[str(ip) for ip in own],
        )
    return failed(
        f"{ctx.domain} publishes no MX records and no address record: mail to it cannot be delivered. "
        "Publish MX records naming the mail hosts, or a null MX (`0 .`) if the domain accepts no mail"
    )


@check("mx.null-mx")
def mx_null_mx(ctx: Context) -> Finding:
    """RFC 7505 §3: a null MX is one record of preference 0 and exchange "." and the domain's only MX record."""
    exchanges = mx_set(ctx)
    if not exchanges:
        return skipped(f"{ctx.domain} publishes no MX records (mx.present reports it)")
    nulls: list[Exchange] = [e for e in exchanges if e.host == dns.name.root]
    if not nulls:
        return passed(f"{ctx.domain} publishes no null MX, only ordinary MX records")
    problems = []
    others = real_exchanges(exchanges)
    if others:
        problems.append(f"it also publishes {len(others)} other MX record(s) ({listing(e.host for e in others)}); "
                        "a domain with a null MX MUST NOT publish any other MX record")
    if len(nulls) > 1 or nulls[0].preference != 0:
        problems.append(f"its null MX is written {listing(f'`{e.preference} .`' for e in nulls)}: "
                        "exactly one `0 .` record is a null MX")
    if problems:
        return failed(
            f"{ctx.domain} publishes a malformed null MX (RFC 7505 §3): {'; '.join(problems)}. If the domain "
            "accepts no mail, publish `0 .` as its only MX record; otherwise remove the record with exchange `.`",
            records=[f"{e.preference} {e.host.to_text()}" for e in exchanges],
        )
    return passed(f"{ctx.domain} publishes a null MX (`0 .`) as its only MX record: it accepts no mail")


def ip_written_as_name(host: dns.name.Name, domain: dns.name.Name) -> str | None:
    """The IP address an exchange name spells (``192.0.2.25.``, ``[192.0.2.25].``, ``2001:db8::25.``), if any.

    Also when the address lies just under the domain (``192.0.2.25.example.com.``):
    a zone file line ``MX 10 192.0.2.25`` without the final dot appends the zone's name.
    """
    candidates = [host]
    if host != domain and host.is_subdomain(domain):
        candidates.append(host.relativize(domain))
    for name in candidates:
        labels = [label.decode("ascii", "replace") for label in name.labels if label]
        text = ".".join(labels).strip("[]")
        if text[:5].lower() == "ipv6:":
            text = text[5:]
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            continue
    return None


@check("mx.hostname")
def mx_hostname(ctx: Context) -> Finding:
    """RFC 5321 §5.1: an MX names a host whose address records are looked up; an IP address is not a host name.

    Senders look up ``192.0.2.25.`` as a domain name, find nothing and cannot deliver.
    """
    hosts = exchange_hosts(ctx)
    if isinstance(hosts, Finding):
        return hosts
    bad = []
    for host in hosts:
        ip = ip_written_as_name(host, ctx.name)
        if ip is None:
            continue
        if host.is_subdomain(ctx.name) and host_addresses(ctx, host)[0]:
            continue  # a real host that happens to be named after its address
        bad.append(f"`{host.to_text()}` (the address {ip})")
    if bad:
        return failed(
            f"MX record(s) of {ctx.domain} name an IP address instead of a host: {listing(bad)}. Senders look the "
            "exchange up as a name and cannot deliver. Publish an A/AAAA record for a host name "
            f"(e.g. `mail.{ctx.domain}. A 192.0.2.25`) and name that host in the MX record",
            ip_exchanges=bad,
        )
    return passed(f"every exchange of {ctx.domain} is a host name: {listing(hosts)}")


@check("mx.not-alias")
def mx_not_alias(ctx: Context) -> Finding:
    """RFC 2181 §10.3: the exchange of an MX record must not be an alias (a CNAME); RFC 5321 §5.1."""
    hosts = exchange_hosts(ctx)
    if isinstance(hosts, Finding):
        return hosts
    aliases = []
    for host in hosts:
        answer, loop = lookup_or_loop(ctx, host, "A")
        if loop:
            aliases.append(f"{display(host)} ({loop_text(loop)})")
        elif answer.is_alias:
            aliases.append(f"{display(host)} (CNAME to {display(answer.cname_chain()[1])})")
    if aliases:
        return failed(
            f"MX exchange(s) of {ctx.domain} are aliases (CNAME): {listing(aliases)}. An MX record must name the "
            "host itself: name the CNAME's target in the MX record, or replace the CNAME with A/AAAA records",
            aliases=aliases,
        )
    return passed(f"no exchange of {ctx.domain} is an alias: {listing(hosts)}")


@check("mx.resolve")
def mx_resolve(ctx: Context) -> Finding:
    """RFC 5321 §5.1: each exchange is looked up for its A/AAAA address; one without is unusable."""
    hosts = exchange_hosts(ctx)
    if isinstance(hosts, Finding):
        return hosts
    missing, found = [], {}
    for host in hosts:
        ips, loop = host_addresses(ctx, host)
        found[host.to_text()] = [str(ip) for ip in ips]
        if loop:
            missing.append(f"{display(host)} ({loop_text(loop)})")
        elif not ips:
            hint = " (an IP address written as a name: mx.hostname)" if ip_written_as_name(host, ctx.name) else ""
            missing.append(display(host) + hint)
    if missing:
        return failed(
            f"MX host(s) of {ctx.domain} without an A or AAAA record: {listing(missing)}. "
            "Publish an address record for each exchange, or remove its MX record",
            unresolved=missing, addresses=found,
        )
    return passed(f"every exchange of {ctx.domain} has an address: {listing(hosts)}", addresses=found)


@check("mx.ipv4")
def mx_ipv4(ctx: Context) -> Finding:
    """RFC 3974 §3: an IPv6-only MX set is unreachable for IPv4-only senders, so at least one exchange has an A."""
    hosts = exchange_hosts(ctx)
    if isinstance(hosts, Finding):
        return hosts
    found = {host: host_addresses(ctx, host)[0] for host in hosts}
    with_a = [h for h, ips in found.items() if any(ip.version == 4 for ip in ips)]
    if with_a:
        return passed(f"{len(with_a)} of {len(hosts)} exchange(s) of {ctx.domain} have an IPv4 address: "
                      f"{listing(with_a)}")
    if not any(found.values()):
        return skipped(f"no exchange of {ctx.domain} has any address (mx.resolve reports it)")
    return failed(
        f"no exchange of {ctx.domain} has an A record (exchanges: {listing(hosts)}): senders that reach only IPv4 "
        "cannot deliver mail to it (RFC 3974 §3). Publish an A record for at least one exchange"
    )
