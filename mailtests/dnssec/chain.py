"""The chain of trust, one zone at a time (RFC 4035 §5): DS at the parent -> DNSKEY -> the zone's RRsets.

:func:`zone_step` judges one zone from its parent's verdict (or a trust anchor) and the DS and
DNSKEY answers; :func:`rrset_step` judges one RRset of a zone with the zone's verdict. Both take
answers (``mailtests.dnslayer.answer.Answer``, data only) and give a verdict with its reasons and
dig-like evidence lines; the questions are asked by the caller. States (RFC 4033 §5):
``secure``, ``insecure`` (provably unsigned, or below an unsigned zone), ``bogus`` (signed, but
the signatures or the DS do not hold: validating resolvers answer SERVFAIL), ``indeterminate``
(not decidable: a lookup failed, or an algorithm the installed cryptography cannot verify).
"""

from __future__ import annotations

from dataclasses import dataclass

import dns.dnssec
import dns.name
import dns.rdatatype
import dns.rrset

from ..dnslayer.answer import Answer
from .anchors import TrustAnchor
from .crypto import SigCheck, Verifier, algorithm_text
from .rules import digest_name, rsa_bits

SECURE, INSECURE, BOGUS, INDETERMINATE = "secure", "insecure", "bogus", "indeterminate"
OFFLINE = "OFFLINE"  # the DNS layer's rcode for a name outside the zone files with --offline
SEP = 0x0001  # DNSKEY flag: secure entry point (a KSK), RFC 4034 §2.1.1
ZONE_KEY = 0x0100
SUPPORTED_DIGESTS = frozenset({1, 2, 4})


@dataclass(frozen=True)
class ZoneVerdict:
    zone: dns.name.Name
    state: str
    reasons: tuple[str, ...] = ()
    keys: tuple = ()  # the zone's DNSKEY rdatas (trusted when secure)
    ds: tuple = ()  # the DS rdatas the parent (or the trust anchor) gives for the zone
    signed: bool = False  # the zone serves DNSKEY records
    anchored: str = ""  # what the chain starts from at this zone, when it starts here
    sigs: tuple[SigCheck, ...] = ()  # RRSIGs over the DS and DNSKEY RRsets
    chain: tuple[str, ...] = ()  # dig-like evidence lines of this level
    offline: bool = False  # the zone's data is not available (outside the zone files, --offline)

    @property
    def reason(self) -> str:
        return self.reasons[0] if self.reasons else ""


@dataclass(frozen=True)
class RRsetVerdict:
    name: dns.name.Name
    rdtype: str
    state: str
    reasons: tuple[str, ...] = ()
    sigs: tuple[SigCheck, ...] = ()
    chain: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        return self.reasons[0] if self.reasons else ""


def _text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True) if name != dns.name.root else "the root"


def key_line(zone: dns.name.Name, key) -> str:
    bits = rsa_bits(key)
    size = f", {bits} bits" if bits is not None else ""
    role = "KSK" if key.flags & SEP else "ZSK"
    return (f"{zone.to_text()}\tDNSKEY\t{key.flags} {key.protocol} {int(key.algorithm)} ; key tag "
            f"{dns.dnssec.key_id(key)}, {role}, algorithm {algorithm_text(key.algorithm)}{size}")


def ds_line(zone: dns.name.Name, ds, where: str) -> str:
    return f"{zone.to_text()}\tDS\t{ds.to_text()} ; {digest_name(ds.digest_type)}, {where}"


def _rrset(answer: Answer, name: dns.name.Name, rdtype: int) -> dns.rrset.RRset | None:
    records = [r for r in answer.records if r.name == name and r.rdata.rdtype == rdtype]
    if not records:
        return None
    return dns.rrset.from_rdata_list(name, min(r.ttl for r in records), [r.rdata for r in records])


def _sigs_over(answer: Answer, name: dns.name.Name, rdtype: int, signer: dns.name.Name, pool=None) -> list:
    pool = answer.signatures if pool is None else pool
    return [r.rdata for r in pool if r.rdtype == "RRSIG" and r.name == name and r.rdata.type_covered == rdtype
            and r.rdata.signer == signer]


def judge(verifier: Verifier, rrset: dns.rrset.RRset, rrsigs: list, keys, what: str
          ) -> tuple[bool, list[SigCheck], list[str]]:
    """(secure, the signature checks, the reasons it is not) for an RRset and its RRSIGs by the signer's keys."""
    checks = [verifier.check(rrset, sig, keys) for sig in rrsigs]
    if any(c.ok for c in checks):
        return True, checks, []
    if not checks:
        return False, checks, [f"the {what} has no RRSIG by a key of the zone"]
    return False, checks, [c.reason() for c in checks]


def _unsupported(checks: list[SigCheck]) -> bool:
    return bool(checks) and all(c.status == "unsupported" for c in checks)


def _verify_denial(verifier: Verifier, answer: Answer, signer: dns.name.Name, keys) -> tuple[bool, list[SigCheck]]:
    """The NSEC/NSEC3 records of a negative answer's authority section, checked against the signer's keys."""
    checks: list[SigCheck] = []
    for rdtype in (dns.rdatatype.NSEC, dns.rdatatype.NSEC3):
        for name in dict.fromkeys(r.name for r in answer.authority if r.rdata.rdtype == rdtype):
            rrset = dns.rrset.from_rdata_list(name, 0, [r.rdata for r in answer.authority
                                                        if r.name == name and r.rdata.rdtype == rdtype])
            sigs = _sigs_over(answer, name, rdtype, signer, answer.authority)
            checks.extend(verifier.check(rrset, sig, keys) for sig in sigs)
    return all(c.ok for c in checks), checks


def zone_step(zone: dns.name.Name, parent: ZoneVerdict | None, anchor: TrustAnchor | None,
              ds_answer: Answer | None, dnskey_answer: Answer | None, verifier: Verifier) -> ZoneVerdict:
    """The verdict of ``zone`` (RFC 4035 §5.2), from its parent's verdict or the trust anchor at it."""
    keys = tuple(dnskey_answer.rdatas()) if dnskey_answer is not None and dnskey_answer.ok else ()
    lines = [key_line(zone, k) for k in keys]
    base = {"zone": zone, "keys": keys, "signed": bool(keys)}
    if anchor is None and parent is not None and (
            parent.state in (INSECURE, BOGUS) or (parent.state == INDETERMINATE and not parent.offline)):
        return ZoneVerdict(state=parent.state, reasons=parent.reasons, chain=tuple(lines), **base)
    sigs: list[SigCheck] = []
    anchored = ""
    if dnskey_answer is not None and dnskey_answer.rcode == OFFLINE:
        return ZoneVerdict(state=INDETERMINATE, offline=True,
                           reasons=(f"{_text(zone)} is outside the zone files (offline)",), **base)
    if anchor is not None:
        ds_set = tuple(anchor.ds)
        anchored = anchor.describe()
        lines[:0] = [ds_line(zone, d, "trust anchor") for d in ds_set]
    elif parent is None or parent.offline or (ds_answer is not None and ds_answer.rcode == OFFLINE):
        if not keys:
            return ZoneVerdict(state=INSECURE, reasons=(f"{_text(zone)} is not signed: it has no DNSKEY records",),
                               chain=tuple(lines), **base)
        own = tuple(k for k in keys if k.flags & SEP) or keys  # the zone's own KSKs stand in for the parent's DS
        ds_set = tuple(dns.dnssec.make_ds(zone, k, "SHA256") for k in own)
        anchored = (f"{_text(zone)}'s own KSKs (the parent's DS is not available offline; give the parent's zone "
                    "file too to check the DS)")
    else:
        assert ds_answer is not None
        if not ds_answer.ok:
            return ZoneVerdict(state=INDETERMINATE, chain=tuple(lines), **base,
                               reasons=(f"the DS lookup failed: {ds_answer.describe()}",))
        ds_set = tuple(ds_answer.rdatas())
        lines[:0] = [ds_line(zone, d, f"at {_text(parent.zone)}") for d in ds_set]
        if not ds_set:
            denial_ok, denial = _verify_denial(verifier, ds_answer, parent.zone, parent.keys)
            lines[:0] = [c.line() for c in denial]
            if not denial_ok:
                return ZoneVerdict(state=BOGUS, sigs=tuple(denial), chain=tuple(lines), **base, reasons=tuple(
                    f"the proof that {_text(parent.zone)} has no DS for {_text(zone)} does not hold: {c.reason()}"
                    for c in denial if not c.ok))
            return ZoneVerdict(state=INSECURE, chain=tuple(lines), sigs=tuple(denial), **base, reasons=(
                f"{_text(parent.zone)} publishes no DS record for {_text(zone)}: no chain of trust reaches it",))
        rrset = _rrset(ds_answer, zone, dns.rdatatype.DS)
        assert rrset is not None
        ok, checks, why = judge(verifier, rrset, _sigs_over(ds_answer, zone, dns.rdatatype.DS, parent.zone),
                                parent.keys, f"DS RRset of {_text(zone)} at {_text(parent.zone)}")
        sigs.extend(checks)
        lines.extend(c.line() for c in checks)
        if not ok:
            state = INDETERMINATE if _unsupported(checks) else BOGUS
            return ZoneVerdict(state=state, reasons=tuple(why), ds=ds_set, sigs=tuple(sigs), chain=tuple(lines),
                               **base)
    return _keys_step(zone, ds_set, anchor, dnskey_answer, keys, verifier, sigs, lines, anchored, base)


def _keys_step(zone, ds_set, anchor, dnskey_answer, keys, verifier, sigs, lines, anchored, base) -> ZoneVerdict:
    """DS -> DNSKEY: a DS matches a key of the zone, and that key signs the DNSKEY RRset (RFC 4035 §5.2)."""
    def verdict(state: str, reasons) -> ZoneVerdict:
        return ZoneVerdict(state=state, reasons=tuple(reasons), ds=ds_set, sigs=tuple(sigs), chain=tuple(lines),
                           anchored=anchored, **base)

    usable = [d for d in ds_set if int(d.digest_type) in SUPPORTED_DIGESTS]
    if ds_set and not usable:
        return verdict(INDETERMINATE, [f"every DS of {_text(zone)} uses a digest the installed cryptography cannot "
                                       f"compute ({', '.join(digest_name(d.digest_type) for d in ds_set)})"])
    if dnskey_answer is None or not dnskey_answer.ok:
        what = dnskey_answer.describe() if dnskey_answer is not None else "not asked"
        return verdict(INDETERMINATE, [f"the DNSKEY lookup failed: {what}"])
    if not keys:
        tags = ", ".join(f"{d.key_tag}/{int(d.algorithm)}" for d in ds_set)
        return verdict(BOGUS, [f"{_text(zone)} has DS record(s) (key tag/algorithm {tags}) at its parent but serves "
                               "no DNSKEY: a DS over an unsigned zone"])
    trusted = {k for k in keys if anchor is not None and k in anchor.dnskeys}
    for d in usable:
        for k in keys:
            if dns.dnssec.key_id(k) == d.key_tag and k.algorithm == d.algorithm:
                try:
                    if dns.dnssec.make_ds(zone, k, int(d.digest_type), policy=dns.dnssec.allow_all_policy) == d:
                        trusted.add(k)
                except Exception:  # a digest dnspython cannot make
                    continue
    if not trusted:
        served = ", ".join(f"{dns.dnssec.key_id(k)}/{int(k.algorithm)}" for k in keys)
        return verdict(BOGUS, [
            f"DS {d.key_tag}/{int(d.algorithm)}/{digest_name(d.digest_type)} of {_text(zone)} matches no DNSKEY of "
            f"the zone (its keys, tag/algorithm: {served})" for d in usable or ds_set])
    rrset = _rrset(dnskey_answer, zone, dns.rdatatype.DNSKEY)
    assert rrset is not None
    ok, checks, why = judge(verifier, rrset, _sigs_over(dnskey_answer, zone, dns.rdatatype.DNSKEY, zone),
                            tuple(trusted), f"DNSKEY RRset of {_text(zone)} (by a key its DS matches)")
    sigs.extend(checks)
    lines.extend(c.line() for c in checks)
    if not ok:
        return verdict(INDETERMINATE if _unsupported(checks) else BOGUS, why)
    return verdict(SECURE, [])


def rrset_step(zone: ZoneVerdict, answer: Answer, verifier: Verifier) -> RRsetVerdict:
    """The verdict of the RRset an answer holds (its asked type at its final name), signed by ``zone``."""
    name, rdtype = answer.final_name, answer.rdtype

    def verdict(state: str, reasons, checks=()) -> RRsetVerdict:
        return RRsetVerdict(name, rdtype, state, tuple(reasons), tuple(checks), tuple(c.line() for c in checks))

    if zone.state != SECURE:
        return verdict(zone.state, zone.reasons)
    if not answer.ok:
        return verdict(INDETERMINATE, [f"the lookup failed: {answer.describe()}"])
    if answer.is_alias and not name.is_subdomain(zone.zone):  # the caller passes the zone of the alias's target
        return verdict(INDETERMINATE, [f"{answer.qname} is an alias of {name}, outside {_text(zone.zone)}"])
    want = dns.rdatatype.from_text(rdtype)
    rrset = _rrset(answer, name, want)
    if rrset is None:
        ok, denial = _verify_denial(verifier, answer, zone.zone, zone.keys)
        if not ok:
            return verdict(BOGUS, [f"the proof that {name} has no {rdtype} does not hold: {c.reason()}"
                                   for c in denial if not c.ok], denial)
        return verdict(SECURE, [], denial)
    return _signed(verifier, zone, answer, name, want, verdict)


def alias_step(zone: ZoneVerdict, answer: Answer, alias: dns.name.Name, verifier: Verifier) -> RRsetVerdict:
    """The verdict of the CNAME at ``alias``, a link of the answer's chain, signed by ``zone``, the zone holding it
    (RFC 4035 §5: an answer through aliases is secure only when every CNAME of the chain validates too)."""
    def verdict(state: str, reasons, checks=()) -> RRsetVerdict:
        return RRsetVerdict(alias, "CNAME", state, tuple(reasons), tuple(checks), tuple(c.line() for c in checks))

    if zone.state != SECURE:
        return verdict(zone.state, zone.reasons)
    return _signed(verifier, zone, answer, alias, dns.rdatatype.CNAME, verdict)


def _signed(verifier: Verifier, zone: ZoneVerdict, answer: Answer, name: dns.name.Name, want: int, verdict
            ) -> RRsetVerdict:
    """The verdict of the RRset (name, want) of ``answer``, which must be signed by a key of the secure ``zone``."""
    rdtype = dns.rdatatype.to_text(want)
    rrset = _rrset(answer, name, want)
    if rrset is None:
        return verdict(BOGUS, [f"the answer holds no {rdtype} RRset at {name.to_text(omit_final_dot=True)}"])
    sigs = _sigs_over(answer, name, want, zone.zone)
    ok, checks, why = judge(verifier, rrset, sigs, zone.keys, f"{rdtype} RRset of {name.to_text(omit_final_dot=True)}")
    if ok:
        return verdict(SECURE, [], checks)
    if not checks:
        why = [f"the {rdtype} RRset of {name.to_text(omit_final_dot=True)} has no RRSIG, though {_text(zone.zone)} "
               "is signed"]
    return verdict(INDETERMINATE if _unsupported(checks) else BOGUS, why, checks)
