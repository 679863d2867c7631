"""BIMI checks (draft-brand-indicators-for-message-identification §4.3, §7.1).

The assertion record is the TXT record at ``default._bimi.<domain>``; the DMARC
enforcement a logo needs is read from the tree walk the dmarc.* checks share
(``dmarc.walk``), for the domain and for its Organizational Domain.
"""

from __future__ import annotations

from ..bimi import is_bimi, parse
from ..dmarc import Walk, dmarc_name, walk
from ..result import Finding, failed, passed, skipped
from ..spf.record import short
from . import check
from .common import display
from .context import Context
from .dmarc import dmarc_walk, txt_texts, walk_texts

ENFORCING = ("quarantine", "reject")


def _records(ctx: Context) -> tuple[str, list[str]]:
    name = f"default._bimi.{ctx.domain}"
    return name, [t for t in txt_texts(ctx, name) if is_bimi(t)]


@check("bimi.syntax")
def bimi_syntax(ctx: Context) -> Finding:
    """BIMI draft §4.3: one record, v=BIMI1 first, l= an https URI of an SVG logo (or empty), a= empty or https."""
    name, records = _records(ctx)
    if not records:
        return skipped(f"{ctx.domain} publishes no BIMI record at {name} (BIMI is optional)")
    if len(records) > 1:
        return failed(f"{len(records)} BIMI records at {name}: receivers use none of them (§4.3): "
                      f"{', '.join(repr(short(r, 60)) for r in records[:4])}. Publish one 'v=BIMI1; l=...' record",
                      records=[short(r, 200) for r in records])
    record = parse(records[0])
    details = {"bimi_record": record.text, "parsed": record.to_dict()}
    notes = f" Note: {'; '.join(record.notes)}." if record.notes else ""
    if record.errors:
        return failed(f"the BIMI record at {name} is invalid: {'; '.join(record.errors)}. Publish "
                      f"\"v=BIMI1; l=https://{ctx.domain}/logo.svg\" (add a=https://.../vmc.pem with a mark "
                      f"certificate).{notes}", **details)
    if record.declined:
        return passed(f"the BIMI record at {name} declines to show a logo (empty l=)", **details)
    return passed(f"the BIMI record at {name} parses: "
                  f"{'; '.join(f'{k}={short(v, 80)}' for k, v in record.tags.items())}.{notes}", **details)


def _org_walk(ctx: Context, found: Walk) -> Walk | None:
    """The walk from the Organizational Domain, when it differs from the domain (its policy must enforce too)."""
    org = found.organizational_domain
    if org == ctx.name:
        return None
    return ctx.shared(("dmarc.org-walk", org), lambda c: walk(org, lambda n: walk_texts(c, n)), run_wide=True)


def _judge(label: str, found: Walk, subdomains: bool) -> list[str]:
    """Why a walk's policy does not enforce: not quarantine/reject, sp=none, t=y."""
    record = found.record
    if record is None:
        return [f"{label} has no DMARC policy"]
    where = display(dmarc_name(found.found_at)) if found.found_at else "?"
    problems = []
    if found.policy not in ENFORCING:
        problems.append(f"{label}'s policy is {found.applies}={found.policy or 'none (invalid)'} (from {where})")
    effective = record.effective or {}
    if subdomains and "sp" in record.tags and effective.get("sp") == "none":
        problems.append(f"{label}'s record at {where} has sp=none")
    if record.testing:
        problems.append(f"{label}'s record at {where} is in test mode (t=y)")
    return problems


@check("bimi.dmarc-enforced")
def bimi_dmarc_enforced(ctx: Context) -> Finding:
    """BIMI draft §7.1: receivers show a logo only for a domain (and Organizational Domain) whose DMARC policy is
    quarantine or reject, with sp not none and not in test mode."""
    name, records = _records(ctx)
    if not records:
        return skipped(f"{ctx.domain} publishes no BIMI record at {name}, so no DMARC enforcement is needed for it")
    if len(records) == 1 and parse(records[0]).declined:
        return skipped(f"the BIMI record at {name} declines to show a logo")
    found = dmarc_walk(ctx)
    problems = _judge(ctx.domain, found, subdomains=True)
    org = _org_walk(ctx, found)
    if org is not None:
        problems += _judge(f"its organizational domain {display(org.domain)}", org, subdomains=True)
    details = {"dmarc": found.to_dict(), **({"organizational_domain_dmarc": org.to_dict()} if org else {})}
    if problems:
        return failed(f"receivers show no BIMI logo for {ctx.domain}: {'; '.join(problems)}. Publish "
                      f"\"v=DMARC1; p=reject; rua=mailto:dmarc-reports@{ctx.domain}\" (or p=quarantine), without "
                      "sp=none and t=y, at the domain and its organizational domain", **details)
    return passed(f"{ctx.domain} enforces DMARC ({found.applies}={found.policy}"
                  + (f"; its organizational domain {display(org.domain)}: {org.applies}={org.policy}" if org else "")
                  + "), as BIMI requires", **details)
