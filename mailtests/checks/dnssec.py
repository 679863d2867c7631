"""DNSSEC checks (RFC 4033-4035, RFC 9904, RFC 9905, RFC 9906, RFC 9276).

mailtests validates the chain itself from the trust anchor (``checks/dnssec_status.py`` asks,
``mailtests/dnssec`` judges): the DS at the parent, the DNSKEY RRset, and the domain's SOA, NS,
MX and TXT RRsets. The verdict is computed once per domain and shared by the five checks; the
chain walked is every check's evidence (``details["chain"]``).
"""

from __future__ import annotations

from dataclasses import dataclass

import dns.dnssec
import dns.name

from ..catalog import Severity
from ..dnssec import BOGUS, INDETERMINATE, INSECURE, SECURE, RRsetVerdict, SigCheck, ZoneVerdict, rrset_step
from ..dnssec.crypto import OK, utc
from ..dnssec.rules import (
    EXPIRY_MARGIN,
    MIN_RSA_BITS,
    digest_name,
    forbidden_algorithms,
    nsec3_problems,
    only_weak_digests,
    rsa_bits,
)
from ..result import Finding, failed, passed, skipped
from . import check
from .common import display
from .context import Context
from .dnssec_status import fetch, verifier, zone_apexes, zone_verdict

#: The RRsets of the domain whose signatures are checked (catalog: dnssec.valid).
APEX_TYPES = ("SOA", "NS")
DOMAIN_TYPES = ("MX", "TXT")


@dataclass(frozen=True)
class ZoneReport:
    """The DNSSEC state of the zone holding a domain: its chain from the anchor, and its RRsets' verdicts."""

    chain: tuple[ZoneVerdict, ...]  # from the trust anchor's zone down to the domain's zone
    rrsets: tuple[RRsetVerdict, ...]
    nsec3params: tuple = ()
    now: float = 0.0

    @property
    def zone(self) -> ZoneVerdict:
        return self.chain[-1]

    @property
    def state(self) -> str:
        if self.zone.state != SECURE:
            return self.zone.state
        states = {v.state for v in self.rrsets}
        return BOGUS if BOGUS in states else INDETERMINATE if INDETERMINATE in states else SECURE

    @property
    def reasons(self) -> list[str]:
        if self.zone.state != SECURE:
            return list(self.zone.reasons)
        return [r for v in self.rrsets for r in v.reasons if v.state != SECURE]

    def own_sigs(self) -> list[SigCheck]:
        """The RRSIGs the zone itself made (DNSKEY and the domain's RRsets), for their validity window."""
        zone = self.zone.zone
        return [s for s in [*self.zone.sigs, *(c for v in self.rrsets for c in v.sigs)] if s.signer == zone]

    def lines(self) -> list[str]:
        out: list[str] = []
        for verdict in self.chain:
            head = f"; {verdict.zone.to_text()} {verdict.state}"
            if verdict.anchored:
                head += f" (chain starts at {verdict.anchored})"
            if verdict.state != SECURE and verdict.reason:
                head += f": {verdict.reason}"
            out.append(head)
            out.extend(verdict.chain)
        for v in self.rrsets:
            out.append(f"; {v.name.to_text()} {v.rdtype} {v.state}" + (f": {v.reason}" if v.reason else ""))
            out.extend(v.chain)
        return out


def zone_report(ctx: Context) -> ZoneReport:
    return ctx.shared("dnssec.report", _zone_report)


def _zone_report(ctx: Context) -> ZoneReport:
    apexes = zone_apexes(ctx, ctx.name)
    if apexes is None:  # a trust anchor below the root that does not cover the domain
        outside = ZoneVerdict(ctx.name, INSECURE, (f"{ctx.domain} is outside the trust anchor's tree",))
        return ZoneReport((outside,), (), (), verifier(ctx).now)
    chain = tuple(zone_verdict(ctx, apexes[:i]) for i in range(1, len(apexes) + 1))
    zone = chain[-1]
    rrsets = []
    if zone.signed or zone.state != INSECURE:
        for owner, types in ((zone.zone, APEX_TYPES), (ctx.name, DOMAIN_TYPES)):
            for rdtype in types:
                rrsets.append(rrset_step(zone, fetch(ctx, owner, rdtype), verifier(ctx)))
    nsec3 = tuple(fetch(ctx, zone.zone, "NSEC3PARAM").rdatas()) if zone.signed else ()
    return ZoneReport(chain, tuple(rrsets), nsec3, verifier(ctx).now)


def _unsigned_proposal(ctx: Context, report: ZoneReport) -> Finding | None:
    """Zone-file mode: a proposed zone without DNSKEY records is signed later by its server, or not at all."""
    if ctx.zone_mode and not report.zone.signed and not report.zone.ds:
        return skipped(f"the proposed zone file of {display(report.zone.zone)} is unsigned (no DNSKEY records): if "
                       "its server signs it (BIND's dnssec-policy or inline signing), DNSSEC is checked against the "
                       "live, signed zone", chain=report.lines())
    return None


def _not_signed(ctx: Context, report: ZoneReport, keys_optional: bool = False) -> Finding | None:
    found = _unsigned_proposal(ctx, report)
    if found is None and not report.zone.signed and not keys_optional:
        found = skipped(f"{display(report.zone.zone)} serves no DNSKEY records: nothing to judge (dnssec.signed and "
                        "dnssec.valid report it)", chain=report.lines())
    if found is None and report.zone.state == INSECURE:
        found = skipped(f"{display(report.zone.zone)} is not covered by a chain of trust "
                        f"({report.zone.reason}): nothing to validate (dnssec.signed reports it)", chain=report.lines())
    return found


def _judged(ctx: Context, keys_optional: bool = False, proposal_only: bool = False) -> ZoneReport | Finding:
    """The domain's zone report, or the skip of a check that has nothing to judge there."""
    report = zone_report(ctx)
    found = _unsigned_proposal(ctx, report) if proposal_only else _not_signed(ctx, report, keys_optional)
    return report if found is None else found


def _ds_advice(report: ZoneReport) -> str:
    zone = report.zone
    ksks = [k for k in zone.keys if k.flags & 0x0001] or list(zone.keys)
    lines = [f"{zone.zone.to_text()} DS {dns.dnssec.make_ds(zone.zone, k, 'SHA256').to_text()}" for k in ksks]
    return "; ".join(lines[:3])


@check("dnssec.signed")
def dnssec_signed(ctx: Context) -> Finding:
    """RFC 4033 §5, RFC 4035 §5: a signed zone with a DS at its parent is covered by a chain of trust from the root."""
    report = _judged(ctx, proposal_only=True)
    if isinstance(report, Finding):
        return report
    zone, chain = report.zone, report.lines()
    name = display(zone.zone)
    if zone.signed and zone.anchored:
        return passed(f"{name} is signed; its chain starts at {zone.anchored}", chain=chain)
    if zone.signed and zone.ds:
        return passed(f"{name} is signed (DNSKEY key tags {', '.join(str(dns.dnssec.key_id(k)) for k in zone.keys)}) "
                      f"and its parent publishes DS record(s) ({', '.join(str(d.key_tag) for d in zone.ds)})",
                      chain=chain)
    if zone.signed:
        return failed(f"{name} is signed but no chain of trust reaches it ({zone.reason}), so validators treat it as "
                      f"unsigned. Publish its DS record(s) at the parent (through the registrar): {_ds_advice(report)}",
                      chain=chain)
    if zone.ds:
        return failed(f"the parent publishes DS record(s) for {name}, but the zone is not signed (dnssec.valid: a DS "
                      "over an unsigned zone makes it bogus). Sign the zone, or remove the DS at the registrar",
                      chain=chain)
    return failed(f"{name} is not signed ({zone.reason}): its answers (MX, SPF, TLSA) can be forged on the way to a "
                  "sender. Sign the zone (e.g. BIND `dnssec-policy default;`, or your DNS host's DNSSEC switch) and "
                  "publish the DS record at the registrar", chain=chain)


def _advice(reasons: list[str]) -> str:
    text = " ".join(reasons)
    hints = []
    if "expired" in text or "not valid before" in text:
        hints.append("re-sign the zone and make sure the signer keeps running (dnssec-policy, inline signing)")
    if "matches no DNSKEY" in text:
        hints.append("publish the key the DS names again, or replace the DS at the registrar with the DS of the "
                     "zone's current KSK")
    if "serves no DNSKEY" in text:
        hints.append("remove the DS at the registrar, or sign the zone")
    if "no RRSIG" in text or "does not verify" in text:
        hints.append("re-sign the zone, so that every RRset carries a valid RRSIG (data edited after signing breaks "
                     "it)")
    return "; ".join(hints) or "fix the signatures so that the chain validates"


@check("dnssec.valid")
def dnssec_valid(ctx: Context) -> Finding:
    """RFC 4035 §5: a DS at the parent matches a DNSKEY that signs the DNSKEY RRset, and the zone's SOA, NS, MX and
    TXT RRsets carry valid, unexpired signatures; a DS over an unsigned zone is bogus (Zonemaster DNSSEC02, 08, 11)."""
    report = _judged(ctx, keys_optional=True)
    if isinstance(report, Finding):
        return report
    state, reasons, chain = report.state, report.reasons, report.lines()
    name = display(report.zone.zone)
    if state == SECURE:
        checked = ", ".join(f"{v.rdtype}" for v in report.rrsets)
        return passed(f"the chain of trust of {name} validates from {display(report.chain[0].zone) or '.'} down to "
                      f"its DNSKEY RRset and its {checked} RRsets", chain=chain)
    if state == BOGUS:
        return failed(f"{name} is bogus (validating resolvers answer SERVFAIL, so mail to {ctx.domain} stops): "
                      f"{'; '.join(reasons[:4])}. To fix: {_advice(reasons)}", state=state, reasons=reasons,
                      chain=chain)
    return failed(f"the chain of trust of {name} could not be decided: {'; '.join(reasons[:4])}",
                  severity=Severity.WARN, state=state, reasons=reasons, chain=chain)


@check("dnssec.signature-validity")
def dnssec_signature_validity(ctx: Context) -> Finding:
    """RFC 4035 §5.3.1: a signature is valid only until its expiration; the earliest one more than 12 hours away
    (Zonemaster DNSSEC04)."""
    report = _judged(ctx)
    if isinstance(report, Finding):
        return report
    sigs = report.own_sigs()
    chain = report.lines()
    if not sigs:
        return skipped(f"no RRSIG made by {display(report.zone.zone)} was found to judge", chain=chain)
    outside = [s for s in sigs if s.status in ("expired", "not yet valid")]
    if outside:
        return failed(f"signature(s) of {display(report.zone.zone)} outside their validity period: "
                      f"{'; '.join(s.reason() for s in outside[:4])}. Re-sign the zone (dnssec.valid reports the "
                      "outage)", chain=chain)
    earliest = min((s for s in sigs if s.status == OK), key=lambda s: s.expiration, default=None)
    if earliest is None:
        return skipped("no signature of the zone verifies (dnssec.valid reports why)", chain=chain)
    left = earliest.expiration - report.now
    what = f"RRSIG {earliest.covered} of {display(earliest.owner)} expires {utc(earliest.expiration)}"
    if left < EXPIRY_MARGIN:
        return failed(f"the earliest signature of {display(report.zone.zone)} expires in {left / 3600:.1f} hours: "
                      f"{what}. If the signer has stopped, every validating resolver answers SERVFAIL then: check "
                      "that re-signing runs, and re-sign with a validity of days (e.g. dnssec-policy's "
                      "signatures-validity)", chain=chain)
    return passed(f"the earliest signature expires in {left / 86400:.1f} days ({what})", chain=chain)


@check("dnssec.algorithms")
def dnssec_algorithms(ctx: Context) -> Finding:
    """RFC 9904 §3, RFC 9905 §2, RFC 9906: algorithms 1, 3, 5, 6, 7, 12 must not sign; the DS digests include one
    other than SHA-1 and GOST; RSA keys under 2048 bits are a WARN."""
    report = _judged(ctx)
    if isinstance(report, Finding):
        return report
    zone, chain = report.zone, report.lines()
    name = display(zone.zone)
    keys = [k for k in zone.keys if k.flags & 0x0100]
    problems = []
    bad = forbidden_algorithms([k.algorithm for k in keys] + [s.algorithm for s in report.own_sigs()])
    if bad:
        problems.append(f"it signs with algorithm(s) that must not sign: {', '.join(bad)} (RFC 9904, RFC 9905, "
                        "RFC 9906)")
    if zone.ds and only_weak_digests(d.digest_type for d in zone.ds):
        problems.append(f"its DS records use only {', '.join(sorted({digest_name(d.digest_type) for d in zone.ds}))}"
                        " digests")
    small = [f"key {dns.dnssec.key_id(k)} ({bits} bits)" for k in keys
             if (bits := rsa_bits(k)) is not None and bits < MIN_RSA_BITS]
    if small and problems:
        problems.append(f"RSA keys under {MIN_RSA_BITS} bits: {', '.join(small)}")
    advice = ("Roll the keys to ECDSAP256SHA256 (13) or ED25519 (15) (an algorithm rollover, RFC 6781 §4.1.4) and "
              "publish a SHA-256 (2) DS at the registrar")
    if problems:
        return failed(f"{name}: {'; '.join(problems)}. {advice}", chain=chain)
    if small:
        return failed(f"{name} signs with RSA keys under {MIN_RSA_BITS} bits: {', '.join(small)}. Use RSA keys of "
                      f"at least {MIN_RSA_BITS} bits, or better ECDSAP256SHA256 (13)", severity=Severity.WARN,
                      chain=chain)
    algs = sorted({int(k.algorithm) for k in keys})
    digests = sorted({digest_name(d.digest_type) for d in zone.ds})
    return passed(f"{name} signs with algorithm(s) {', '.join(map(str, algs))}"
                  + (f"; DS digests: {', '.join(digests)}" if digests else ""), chain=chain)


@check("dnssec.nsec3-parameters")
def dnssec_nsec3_parameters(ctx: Context) -> Finding:
    """RFC 9276 §3.1: NSEC3 with 0 additional iterations (MUST) and an empty salt (SHOULD)."""
    report = _judged(ctx)
    if isinstance(report, Finding):
        return report
    name = display(report.zone.zone)
    if not report.nsec3params:
        return passed(f"{name} publishes no NSEC3PARAM: it denies existence with NSEC (RFC 9276 does not apply)")
    param = report.nsec3params[0]
    fail, warn = nsec3_problems(int(param.iterations), bytes(param.salt))
    fix = "Publish NSEC3PARAM `1 0 0 -` (e.g. `dnssec-signzone -3 - -H 0`, or nsec3param iterations 0 salt-length 0)"
    if fail:
        return failed(f"{name} uses NSEC3 with {fail}" + (f"; and {warn}" if warn else "") + f". {fix}",
                      nsec3param=param.to_text())
    if warn:
        return failed(f"{name} uses NSEC3 with {warn}. {fix}", severity=Severity.WARN, nsec3param=param.to_text())
    return passed(f"{name} uses NSEC3 with 0 additional iterations and an empty salt ({param.to_text()})")
