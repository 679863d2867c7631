"""Name server checks (RFC 1034 §4.2, RFC 2182 §5)."""

from __future__ import annotations

from ..result import Finding, failed, passed
from . import check
from .context import Context


@check("ns.present")
def ns_present(ctx: Context) -> Finding:
    """RFC 1034 §4.2.1: a zone publishes the NS RRset of its name servers at its apex."""
    answer = ctx.lookup(ctx.domain, "NS")
    if answer.nxdomain:
        return failed(f"{ctx.domain} does not exist (NXDOMAIN): publish the domain's zone and delegate it")
    hosts = [rd.target.to_text() for rd in answer.rdatas()]
    if not hosts or answer.is_alias:
        return failed(
            f"{ctx.domain} publishes no NS records: it is not a delegated zone. Delegate it from its parent zone "
            "and list its name servers at the zone apex"
        )
    return passed(f"{ctx.domain} has {len(hosts)} name server(s): {', '.join(sorted(hosts))}")
