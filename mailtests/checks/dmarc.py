"""DMARC checks (RFC 9989, RFC 9990 §4, RFC 9991 §5).

The policy is found once per domain by the DNS Tree Walk (:mod:`mailtests.dmarc.walk`,
RFC 9989 §4.10), shared by every dmarc.* and bimi.* check as ``dmarc.walk``; each
finding's ``details`` say where it was found, which of p/sp/np applies and the parsed
tags. The Organizational Domain of a report destination is walked once per run.
"""

from __future__ import annotations

import dns.exception
import dns.name

from ..catalog import Severity
from ..dmarc import RANK, Walk, dmarc_name, is_dmarc, walk
from ..dmarc.record import DmarcRecord, ReportUri
from ..dnslayer.layer import OFFLINE
from ..result import Finding, failed, passed, skipped
from ..spf import parse as parse_spf
from ..spf.record import short
from . import check
from .common import display, is_null_mx, mx_set, real_exchanges, spf_records
from .context import Context


def txt_texts(ctx: Context, name: dns.name.Name | str) -> list[str]:
    """The TXT records at a name, each one's strings joined without separator (RFC 9989 §4.10 step 2)."""
    return [b"".join(rd.strings).decode("utf-8", "replace") for rd in ctx.lookup(name, "TXT").rdatas()]


def walk_texts(ctx: Context, name: dns.name.Name) -> list[str] | None:
    """:func:`txt_texts` for the tree walk: None for a name an offline run cannot ask (the walk stops there)."""
    answer = ctx.dns.query(name, "TXT")
    if answer.rcode == OFFLINE:
        return None
    return txt_texts(ctx, name)


def dmarc_walk(ctx: Context) -> Walk:
    """The tree walk from the domain, once per domain (RFC 9989 §4.10)."""
    return ctx.shared("dmarc.walk", _walk)


def _walk(ctx: Context) -> Walk:
    exists = not ctx.lookup(ctx.domain, "MX").nxdomain  # the question mx.present asks: asked once per run
    return walk(ctx.name, lambda name: walk_texts(ctx, name), exists=exists)


def organizational_domain(ctx: Context, host: str) -> dns.name.Name:
    """The Organizational Domain of any name (§4.10.2), walked once per run."""
    name = dns.name.from_text(host)
    return ctx.shared(("dmarc.org", name), lambda c: walk(name, lambda n: walk_texts(c, n)).organizational_domain,
                      run_wide=True)


def _found(ctx: Context) -> tuple[Walk, DmarcRecord] | Finding:
    found = dmarc_walk(ctx)
    if found.record is None:
        return skipped(f"no DMARC policy applies to {ctx.domain} (dmarc.present reports it)", **found.to_dict())
    return found, found.record


def _where(found: Walk) -> str:
    """``_dmarc.example.com`` and how the walk got there."""
    at = display(dmarc_name(found.found_at)) if found.found_at else "nowhere"
    if found.found_at == found.domain:
        return at
    return f"{at}, found by the DNS tree walk ({found.path_text()})"


def _example(domain: str) -> str:
    return f'"v=DMARC1; p=reject; rua=mailto:dmarc-reports@{domain}"'


@check("dmarc.present")
def dmarc_present(ctx: Context) -> Finding:
    """RFC 9989 §4.10, §5.1.4: a policy applies when the tree walk from the domain finds a DMARC record."""
    found = dmarc_walk(ctx)
    record = found.record
    if record is not None and found.policy is None:
        return failed(f"the DMARC record at {_where(found)} has no valid policy and no valid rua, so receivers apply "
                      f"no DMARC to {ctx.domain} (RFC 9989 §4.10.1; dmarc.syntax says why). Publish "
                      f"{_example(ctx.domain)}", **found.to_dict())
    if record is not None:
        return passed(f"a DMARC policy applies to {ctx.domain}: the record at {_where(found)}; "
                      f"{found.applies}={found.policy} applies to {ctx.domain}", **found.to_dict())
    notes = []
    for step in found.discarded:
        notes.append(f"the {len(step.records)} DMARC records at {display(dmarc_name(step.name))} were discarded: a "
                     "name with more than one is treated as having none (§4.10; dmarc.single)")
    try:
        near = sorted(t for t in txt_texts(ctx, dmarc_name(ctx.name)) if "dmarc" in t.lower() and not is_dmarc(t))
    except dns.name.NameTooLong:
        near = []
    if near:
        notes.append(f"TXT records at _dmarc.{ctx.domain} that do not start with 'v=DMARC1', so receivers ignore "
                     f"them: {', '.join(repr(short(t, 60)) for t in near[:3])}")
    note = f" ({'; '.join(notes)})" if notes else ""
    return failed(f"no DMARC policy applies to {ctx.domain}: the tree walk found no DMARC record "
                  f"({found.path_text()}){note}. Publish one TXT record at _dmarc.{ctx.domain}, such as "
                  f"{_example(ctx.domain)}", **found.to_dict())


@check("dmarc.single")
def dmarc_single(ctx: Context) -> Finding:
    """RFC 9989 §4.10 step 2: "If multiple DMARC records are returned, they are all discarded"."""
    found = dmarc_walk(ctx)
    if found.discarded:
        names = "; ".join(f"{display(dmarc_name(s.name))} has {len(s.records)}: "
                          f"{', '.join(repr(short(r, 50)) for r in sorted(s.records)[:4])}" for s in found.discarded)
        after = (f"discovery moved up and found the record at {_where(found)}" if found.record is not None
                 else "no DMARC policy applies")
        return failed(f"more than one DMARC record at a name of {ctx.domain}'s tree walk ({names}): receivers "
                      f"discard them all, so {after}. Merge them into one 'v=DMARC1' TXT record",
                      **found.to_dict())
    if found.record is None:
        return skipped(f"no DMARC record at _dmarc.{ctx.domain} or above (dmarc.present reports it)",
                       **found.to_dict())
    return passed(f"exactly one DMARC record at {display(dmarc_name(found.found_at))}", **found.to_dict())


def _effect(record: DmarcRecord) -> str:
    if record.policies_valid:
        return ""
    if record.effective is not None:
        return (" With an invalid or missing policy and a valid rua, receivers act as if p=none were published "
                "(§4.10.1).")
    return " With an invalid or missing policy and no valid rua, receivers apply no DMARC at all (§4.10.1)."


@check("dmarc.syntax")
def dmarc_syntax(ctx: Context) -> Finding:
    """RFC 9989 §4.7, §4.8: the tags and their values; §4.10.1: an invalid policy; App. C.5.2: removed tags."""
    got = _found(ctx)
    if isinstance(got, Finding):
        return got
    found, record = got
    details = found.to_dict()
    shown = "; ".join(f"{k}={short(v, 40)}" for k, v in record.tags.items())
    notes = f" Note: {'; '.join(record.notes)}." if record.notes else ""
    if record.errors:
        errors = "; ".join(record.errors)
        return failed(f"the DMARC record at {_where(found)} has errors: {errors}.{_effect(record)}"
                      " Publish p=, sp= and np= as none, quarantine or reject, adkim=/aspf= r or s, t= y or n, "
                      f"psd= y, n or u, and rua=/ruf= as mailto: URIs with ',' and '!' percent-encoded.{notes}",
                      **details)
    if record.warnings:
        return failed(f"the DMARC record at {_where(found)} ({shown}) uses what RFC 9989 removed or left optional: "
                      f"{'; '.join(record.warnings)}.{_effect(record)}{notes}",
                      severity=Severity.WARN, **details)
    return passed(f"the DMARC record at {_where(found)} parses: {shown}.{notes}", **details)


def parked(ctx: Context) -> bool:
    """A domain that neither receives (a null MX only, RFC 7505) nor sends mail (its SPF record is ``v=spf1 -all``)."""
    exchanges = mx_set(ctx)
    if not is_null_mx(exchanges) or real_exchanges(exchanges):
        return False
    records = spf_records(ctx, ctx.domain)
    if len(records) != 1:
        return False
    terms = parse_spf(records[0]).terms
    return len(terms) == 1 and terms[0].name == "all" and terms[0].qualifier == "-"


@check("dmarc.policy")
def dmarc_policy(ctx: Context) -> Finding:
    """RFC 9989 §4.7, §5.1.4-§5.1.7: quarantine or reject, not t=y, sp/np no weaker than p; M3AAWG's parked domains
    best practice: a domain that sends and receives no mail publishes p=reject."""
    got = _found(ctx)
    if isinstance(got, Finding):
        return got
    found, record = got
    details = found.to_dict()
    policy, applies = found.policy, found.applies
    if policy is None:
        return failed(f"receivers apply no DMARC to {ctx.domain}: the record at {_where(found)} has no valid policy "
                      f"and no valid rua (§4.10.1; dmarc.syntax). Publish {_example(ctx.domain)}", **details)
    problems = []
    is_parked = parked(ctx)
    if is_parked and policy != "reject":
        problems.append(f"{ctx.domain} sends and receives no mail (a null MX and 'v=spf1 -all'), so nothing "
                        f"legitimate can fail DMARC: publish p=reject (M3AAWG parked domains), not {applies}={policy}")
    elif policy == "none":
        problems.append(f"{applies}=none only monitors: receivers deliver mail that fails DMARC as if there were no "
                        "policy. Once the aggregate reports show your own mail aligned, publish p=quarantine, then "
                        "p=reject")
    if record.testing:
        problems.append("t=y (test mode): receivers do not apply quarantine or reject to failing mail (§4.7); "
                        "remove t=y or write t=n")
    effective = record.effective or {}
    p = effective.get("p", "none")
    for tag in ("sp", "np"):
        value = effective.get(tag)
        if tag in record.tags and value is not None and RANK[value] < RANK[p]:
            which = "subdomains that do not exist" if tag == "np" else "subdomains"
            problems.append(f"{tag}={value} is weaker than p={p}: {which} are less protected than "
                            f"{display(found.found_at)} itself; write {tag}={p} or drop it")
    where = _where(found)
    if problems:
        return failed(f"the DMARC policy of {ctx.domain} ({applies}={policy}, from {where}) is weak: "
                      f"{'; '.join(problems)}", parked=is_parked, **details)
    return passed(f"{applies}={policy} applies to {ctx.domain} (from {where})"
                  + (", as a parked domain should" if is_parked else ""), parked=is_parked, **details)


@check("dmarc.reporting")
def dmarc_reporting(ctx: Context) -> Finding:
    """RFC 9989 §4.7, §5.1.3: aggregate reports go to the rua URIs; without a valid one none are sent."""
    got = _found(ctx)
    if isinstance(got, Finding):
        return got
    found, record = got
    valid = record.valid_rua
    if valid:
        return passed(f"the DMARC record at {_where(found)} asks for aggregate reports at "
                      f"{', '.join(short(u.text, 60) for u in valid)}", **found.to_dict())
    listed = ", ".join(repr(short(u.text, 40)) for u in record.rua)
    why = "it has no rua= tag" if not record.rua else f"none of its rua URIs is a valid mailto: address ({listed})"
    return failed(f"no aggregate reports are sent for {ctx.domain}: the DMARC record at {_where(found)} {why}. Add "
                  f"rua=mailto:dmarc-reports@{display(found.found_at)} (RFC 9990)", **found.to_dict())


def _report_name(policy_domain: dns.name.Name, host: str) -> dns.name.Name:
    """RFC 9990 §4: ``<policy domain>._report._dmarc.<host domain>``."""
    return dns.name.Name(policy_domain.labels[:-1] + (b"_report", b"_dmarc") + dns.name.from_text(host).labels)


@check("dmarc.external-reports")
def dmarc_external_reports(ctx: Context) -> Finding:
    """RFC 9990 §4, RFC 9991 §5: a report destination in another Organizational Domain must authorize the domain
    with a ``v=DMARC1`` TXT record at ``<domain>._report._dmarc.<destination host>`` (a wildcard counts)."""
    got = _found(ctx)
    if isinstance(got, Finding):
        return got
    found, record = got
    details = found.to_dict()
    own = found.organizational_domain
    uris: list[tuple[str, ReportUri]] = [("rua", u) for u in record.rua] + [("ruf", u) for u in record.ruf]
    external, unauthorized, checked = [], [], {}
    for tag, uri in uris:
        if not uri.deliverable or uri.host in checked:
            continue
        if organizational_domain(ctx, uri.host) == own:
            checked[uri.host] = "same organizational domain"
            continue
        try:
            name = _report_name(found.found_at, uri.host)
        except dns.exception.DNSException:
            unauthorized.append(f"{tag} {short(uri.text, 60)} (the authorization name would exceed 255 octets)")
            checked[uri.host] = "unauthorizable"
            continue
        ok = any(is_dmarc(t) for t in txt_texts(ctx, name))
        checked[uri.host] = f"{display(name)}: {'authorized' if ok else 'no v=DMARC1 record'}"
        external.append(display(name))
        if not ok:
            unauthorized.append(f"{tag} {short(uri.text, 60)} (no 'v=DMARC1' TXT record at {display(name)})")
    details["destinations"] = checked
    if unauthorized:
        return failed(f"report destinations of {ctx.domain} outside its organizational domain "
                      f"({display(own)}) do not authorize it, so receivers must not send them reports (RFC 9990 §4): "
                      f"{'; '.join(unauthorized)}. The destination's owner publishes a TXT record \"v=DMARC1\" at "
                      "each name given (or at *._report._dmarc.<host>), or use an address in your own domain",
                      **details)
    if external:
        return passed(f"every external report destination of {ctx.domain} authorizes it: {', '.join(external)}",
                      **details)
    if not checked:
        return passed(f"the DMARC record at {_where(found)} names no mailto: report destination", **details)
    return passed(f"every report destination of {ctx.domain} is within its organizational domain ({display(own)})",
                  **details)
