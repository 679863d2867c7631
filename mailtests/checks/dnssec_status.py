"""DNSSEC facts shared by checks: the validated chain of a zone, and the security of any RRset.

The public interface for other areas (DANE, RFC 7672 §2.1, needs to know whether a TLSA RRset is
secure) is :func:`rrset_security`. Everything here asks DNS through the check's context, so the
answers behind a verdict are the calling check's evidence, and shares its work run-wide
(``ctx.shared(..., run_wide=True)``): each zone of a chain is validated once per run, each RRset
once, and the validator (``mailtests.dnssec``) verifies each signature once.

A validating resolver answers SERVFAIL for bogus data; :func:`fetch` then asks again with the
CD bit (RFC 4035 §3.2.2) so that the data can be validated here and the reason named.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import dns.name

from ..dnslayer.answer import SERVFAIL, Answer
from ..dnslayer.layer import name_key, to_name
from ..dnssec import (
    BOGUS,
    INDETERMINATE,
    INSECURE,
    SECURE,
    RRsetVerdict,
    TrustAnchor,
    TrustAnchorError,
    Verifier,
    ZoneVerdict,
    alias_step,
    load_trust_anchor,
    rrset_step,
    zone_step,
)
from ..dnssec.chain import OFFLINE
from ..result import DnsFailure
from .context import Context

STATES = (SECURE, INSECURE, BOGUS, INDETERMINATE)


@dataclass(frozen=True)
class Security:
    """How far an RRset can be trusted: ``state`` is secure, insecure, bogus or indeterminate; ``reason`` says why
    (empty when secure)."""

    state: str
    reason: str


def fetch(ctx: Context, name: dns.name.Name, rdtype: str) -> Answer:
    """The answer to (name, type); after a SERVFAIL, the answer asked again with Checking Disabled."""
    answer = ctx.dns.query(name, rdtype)
    if answer.rcode == SERVFAIL and hasattr(ctx.dns, "query_cd"):
        again = ctx.dns.query_cd(name, rdtype)
        if again.ok:
            return again
    return answer


def verifier(ctx: Context) -> Verifier:
    return ctx.shared("dnssec.verifier", lambda c: Verifier(), run_wide=True)


def trust_anchor(ctx: Context) -> TrustAnchor:
    return ctx.shared("dnssec.anchor", lambda c: load_trust_anchor(getattr(c.config, "trust_anchor", None)),
                      run_wide=True, errors=(TrustAnchorError,))


def _is_apex(ctx: Context, name: dns.name.Name) -> bool:
    answer = fetch(ctx, name, "SOA")
    if answer.rcode == OFFLINE:
        return False
    if not answer.ok:
        raise DnsFailure(answer)
    return any(r.name == name and r.rdtype == "SOA" for r in answer.records)


def zone_apexes(ctx: Context, name: dns.name.Name | str) -> tuple[dns.name.Name, ...] | None:
    """The zones from the trust anchor's down to the one holding ``name`` (None: outside the anchor's tree)."""
    name = to_name(name)
    top = trust_anchor(ctx).name
    if not name.is_subdomain(top):
        return None
    found = [top]
    for depth in range(len(top.labels) + 1, len(name.labels) + 1):
        label = dns.name.Name(name.labels[-depth:])
        if ctx.shared(("dnssec.apex", name_key(label)), lambda c, n=label: _is_apex(c, n), run_wide=True):
            found.append(label)
    return tuple(found)


def zone_verdict(ctx: Context, apexes: tuple[dns.name.Name, ...]) -> ZoneVerdict:
    """The verdict of the last zone of ``apexes`` (each zone above it judged first, each once per run)."""
    return ctx.shared(("dnssec.zone", tuple(map(name_key, apexes))), lambda c: _zone_verdict(c, apexes),
                      run_wide=True)


def _zone_verdict(ctx: Context, apexes: tuple[dns.name.Name, ...]) -> ZoneVerdict:
    zone = apexes[-1]
    anchor = trust_anchor(ctx)
    parent = zone_verdict(ctx, apexes[:-1]) if len(apexes) > 1 else None
    at_anchor = anchor if zone == anchor.name else None
    ds_answer = None
    if at_anchor is None and parent is not None and (parent.state == SECURE or parent.offline):
        ds_answer = fetch(ctx, zone, "DS")
    dnskey_answer = fetch(ctx, zone, "DNSKEY")
    return zone_step(zone, parent, at_anchor, ds_answer, dnskey_answer, verifier(ctx))


def rrset_verdict(ctx: Context, name: dns.name.Name | str, rdtype: str) -> RRsetVerdict:
    """The verdict of the RRset (name, type) through the chain of trust, computed once per run."""
    name, rdtype = to_name(name), rdtype.upper()
    return ctx.shared(("dnssec.rrset", name_key(name), rdtype), lambda c: _rrset_verdict(c, name, rdtype),
                      run_wide=True)


def _rrset_verdict(ctx: Context, name: dns.name.Name, rdtype: str) -> RRsetVerdict:
    answer = fetch(ctx, name, rdtype)
    owner = answer.final_name if answer.ok and not answer.cname_loop else name  # an alias: the target's zone signs
    apexes = zone_apexes(ctx, owner)
    if apexes is None:
        return RRsetVerdict(name, rdtype, INSECURE, (f"{owner} is outside the trust anchor's tree",))
    found = rrset_step(zone_verdict(ctx, apexes), answer, verifier(ctx))
    if found.state != SECURE or not answer.is_alias or answer.cname_loop:
        return found
    for alias in answer.cname_chain()[:-1]:  # each alias on the way is signed by its own zone, or the answer is not
        link = _alias_verdict(ctx, answer, alias)
        found = dataclasses.replace(found, sigs=link.sigs + found.sigs, chain=link.chain + found.chain)
        if link.state != SECURE:
            where = alias.to_text(omit_final_dot=True)
            return dataclasses.replace(found, state=link.state, reasons=tuple(
                f"{where} is an alias (CNAME) whose own record is {link.state}: {r}" for r in link.reasons))
    return found


def _alias_verdict(ctx: Context, answer: Answer, alias: dns.name.Name) -> RRsetVerdict:
    apexes = zone_apexes(ctx, alias)
    if apexes is None:
        return RRsetVerdict(alias, "CNAME", INSECURE, (f"{alias} is outside the trust anchor's tree",))
    return alias_step(zone_verdict(ctx, apexes), answer, alias, verifier(ctx))


def rrset_security(ctx: Context, name: dns.name.Name, rdtype: str) -> Security:
    """Whether the RRset (name, type) validates from the trust anchor (RFC 4035 §5): secure, insecure, bogus or
    indeterminate, and why. The answers it used become the calling check's evidence."""
    try:
        verdict = rrset_verdict(ctx, name, rdtype)
    except DnsFailure as exc:
        return Security(INDETERMINATE, f"a lookup of the chain failed: {exc.answer.describe()}")
    except TrustAnchorError as exc:
        return Security(INDETERMINATE, str(exc))
    return Security(verdict.state, verdict.reason)


def servfail_cause(ctx: Context, answer: Answer) -> str | None:
    """Why a validating resolver answered SERVFAIL, when DNSSEC is the cause: ``DNSSEC: <zone> is bogus: ...``.

    The text names the broken zone (or RRset) and not the question, so every check of a domain whose
    answers are withheld for the same reason reports the same cause."""
    if answer.rcode != SERVFAIL or not hasattr(ctx.dns, "query_cd"):
        return None
    try:
        if not ctx.dns.query_cd(answer.qname, answer.rdtype).ok:
            return None  # the data is not there with CD either: a broken server, not a validation failure
        verdict = rrset_verdict(ctx, answer.qname, answer.rdtype)
    except Exception:  # the cause is a courtesy: the lookup's own error stands without it
        return None
    if verdict.state != BOGUS:
        return None
    return f"DNSSEC: bogus: {verdict.reason}; validating resolvers answer SERVFAIL"
