"""Mail exchanger checks (RFC 5321 §5.1, RFC 7505)."""

from __future__ import annotations

from ..catalog import Severity
from ..result import Finding, failed, passed, skipped
from . import check
from .common import addresses, is_null_mx, mx_set, names, real_exchanges
from .context import Context


@check("mx.present")
def mx_present(ctx: Context) -> Finding:
    """RFC 5321 §5.1: mail goes to the MX hosts; with no MX, to the domain's own address (implicit MX).

    A null MX (RFC 7505) says the domain accepts no mail, which is a valid answer.
    """
    answer = ctx.lookup(ctx.domain, "MX")
    if answer.nxdomain:
        return failed(f"{ctx.domain} does not exist (NXDOMAIN): no mail can be delivered to it")
    exchanges = mx_set(ctx)
    if is_null_mx(exchanges):
        return passed(f"{ctx.domain} publishes a null MX (RFC 7505): it accepts no mail")
    if exchanges:
        return passed(f"{ctx.domain} has {len(exchanges)} MX record(s): {names(e.host for e in exchanges)}")
    own = addresses(ctx, ctx.domain)
    if own:
        return failed(
            f"{ctx.domain} publishes no MX records; senders fall back to its address record(s) "
            f"({', '.join(map(str, own))}) as an implicit MX (RFC 5321 §5.1). Publish an MX record, "
            "or a null MX (`0 .`) if the domain accepts no mail",
            severity=Severity.WARN,
        )
    return failed(
        f"{ctx.domain} publishes no MX records and no address record: mail to it cannot be delivered. "
        "Publish MX records naming the mail hosts, or a null MX (`0 .`) if the domain accepts no mail"
    )


@check("mx.resolve")
def mx_resolve(ctx: Context) -> Finding:
    """RFC 5321 §5.1: each exchange is looked up for its A/AAAA address; one without is unusable."""
    exchanges = mx_set(ctx)
    if is_null_mx(exchanges):
        return skipped(f"{ctx.domain} publishes a null MX: it accepts no mail")
    if not exchanges:
        return skipped(f"{ctx.domain} publishes no MX records (mx.present reports it)")
    missing = []
    for exchange in real_exchanges(exchanges):
        a = ctx.dns.query(exchange.host, "A")
        if a.cname_loop:
            missing.append(f"{exchange.host.to_text()} (CNAME loop)")
        elif not addresses(ctx, exchange.host):
            missing.append(exchange.host.to_text())
    if missing:
        return failed(
            f"MX host(s) of {ctx.domain} without an A or AAAA record: {', '.join(missing)}. "
            "Publish an address record for each exchange, or remove the MX record"
        )
    return passed(f"every exchange of {ctx.domain} has an address")
