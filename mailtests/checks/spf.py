"""SPF checks (RFC 7208)."""

from __future__ import annotations

from ..result import Finding, failed, passed
from . import check
from .common import spf_records
from .context import Context


@check("spf.present")
def spf_present(ctx: Context) -> Finding:
    """RFC 7208 §3, §4.5: a domain's SPF policy is the TXT record at its name that starts with ``v=spf1``."""
    answer = ctx.lookup(ctx.domain, "TXT")
    if answer.nxdomain:
        return failed(f"{ctx.domain} does not exist (NXDOMAIN), so it has no SPF record")
    found = spf_records(ctx, ctx.domain)
    if not found:
        return failed(
            f"{ctx.domain} publishes no SPF record: add a TXT record such as "
            f'"v=spf1 mx -all" that lists the hosts allowed to send its mail'
        )
    return passed(f"{ctx.domain} publishes an SPF record: {found[0]}")
