"""DKIM key record checks (RFC 6376 §3.6, RFC 8301, RFC 8463).

Selectors cannot be discovered from DNS: they come from domains.yaml
(``dkim_selectors``, per domain or as the file's default) or ``--dkim-selector``.
Each selector's record at ``<selector>._domainkey.<domain>`` is fetched and parsed
once per domain (:mod:`mailtests.dkim`, shared as ``dkim.keys``); a CNAME to a
provider's record is followed, as verifiers do. Each finding's ``details`` list
every selector with its name, CNAME chain, tags, key type and size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import dns.exception
import dns.name

from ..catalog import Severity
from ..dkim import KeyRecord, parse_key
from ..result import Finding, failed, passed, skipped
from ..spf.record import short
from . import check
from .common import display, listing
from .context import Context

MIN_BITS = 1024  # RFC 8301 §3.2: verifiers MUST NOT consider signatures with shorter RSA keys valid
GOOD_BITS = 2048  # RFC 8301 §3.2: signers SHOULD use at least 2048 bits


@dataclass
class Selector:
    """One selector's key record as DNS gave it: the name asked, the CNAME chain, the TXT records, the parse."""

    selector: str
    name: str
    chain: list[str] = field(default_factory=list)
    records: list[str] = field(default_factory=list)
    key: KeyRecord | None = None  # the one record, when there is exactly one
    problem: str | None = None  # why there is no record to judge

    @property
    def where(self) -> str:
        via = f" (CNAME to {' -> '.join(self.chain[1:])})" if len(self.chain) > 1 else ""
        return f"{self.name}{via}"

    def to_dict(self) -> dict:
        out: dict = {"selector": self.selector, "name": self.name}
        if len(self.chain) > 1:
            out["cname_chain"] = self.chain
        if self.problem:
            out["problem"] = self.problem
        if self.key is not None:
            out.update(self.key.to_dict())
        elif len(self.records) > 1:
            out["records"] = [short(r, 120) for r in self.records]
        return out


def _fetch(ctx: Context, selector: str) -> Selector:
    try:
        name = dns.name.from_text(f"{selector}._domainkey.{ctx.domain}")
    except dns.exception.DNSException as exc:
        return Selector(selector, f"{selector}._domainkey.{ctx.domain}", problem=f"not a DNS name ({exc})")
    found = Selector(selector, display(name))
    answer = ctx.lookup(name, "TXT")
    found.chain = [display(n) for n in answer.cname_chain()]
    found.records = [b"".join(rd.strings).decode("utf-8", "replace") for rd in answer.rdatas()]
    if answer.nxdomain:
        found.problem = "the name does not exist (NXDOMAIN)"
    elif not found.records:
        found.problem = "no TXT record at the name (NODATA)"
    elif len(found.records) == 1:
        found.key = parse_key(found.records[0])
    return found


def selectors(ctx: Context) -> list[Selector] | Finding:
    """Every listed selector's record (fetched once per domain), or the skip when the domains file lists none."""
    listed = tuple(getattr(ctx.entry, "dkim_selectors", ()) or ())
    if not listed:
        return skipped(f"no DKIM selectors are listed for {ctx.domain}: selectors cannot be discovered from DNS. "
                       "List them in domains.yaml (`dkim_selectors: [s2026]` under the domain, or at the top for "
                       "every domain) or give --dkim-selector NAME")
    return list(ctx.shared(("dkim.keys", listed), lambda c: [_fetch(c, s) for s in listed]))


def _details(found: list[Selector]) -> dict:
    return {"selectors": [s.to_dict() for s in found]}


def _per_key(ctx: Context, judge: Callable[[Selector, KeyRecord], str | None], good: str, bad: str, fix: str,
             severity: Severity | None = None, judged_if: Callable[[KeyRecord], bool] = lambda key: True) -> Finding:
    """Judge each selector's key: ``judge`` says what is wrong (or None); selectors without a key are skipped here
    (dkim.key-present reports them)."""
    found = selectors(ctx)
    if isinstance(found, Finding):
        return found
    judged = [(s, s.key) for s in found if s.key is not None and not s.key.revoked and judged_if(s.key)]
    if not judged:
        return skipped(f"no selector of {ctx.domain} has a key record to judge (dkim.key-present and dkim.syntax "
                       "report why)",
                       **_details(found))
    problems = [f"{s.selector} ({s.where}): {why}" for s, key in judged if (why := judge(s, key))]
    if problems:
        return failed(f"{bad}: {'; '.join(problems)}. {fix}", severity=severity, **_details(found))
    return passed(f"{good}: {listing(f'{s.selector} ({key.summary()})' for s, key in judged)}", **_details(found))


@check("dkim.key-present")
def dkim_key_present(ctx: Context) -> Finding:
    """RFC 6376 §3.6.2.2: the key is the TXT record at ``<selector>._domainkey.<domain>`` (§6.1.2: exactly one
    usable); §3.6.1: an empty p= means the key was revoked."""
    found = selectors(ctx)
    if isinstance(found, Finding):
        return found
    problems = []
    for s in found:
        if s.problem:
            problems.append(f"{s.selector}: no key record at {s.where}: {s.problem}")
        elif len(s.records) > 1:
            problems.append(f"{s.selector}: {len(s.records)} TXT records at {s.where}, where verifiers expect one "
                            "key record (RFC 6376 §6.1.2)")
        elif s.key is not None and s.key.revoked:
            problems.append(f"{s.selector}: the key at {s.where} is revoked (empty p=)")
    if problems:
        return failed(f"DKIM key records of {ctx.domain} are missing or unusable: {'; '.join(problems)}. Publish the "
                      "public key of each selector you sign with as one TXT record \"v=DKIM1; k=rsa; p=<base64>\" "
                      "at <selector>._domainkey." + ctx.domain + ", or remove the selector from the domains file",
                      **_details(found))
    return passed(f"every listed selector of {ctx.domain} has one key record: "
                  f"{listing(f'{s.selector} at {s.where}' for s in found)}", **_details(found))


@check("dkim.syntax")
def dkim_syntax(ctx: Context) -> Finding:
    """RFC 6376 §3.6.1 (tag list, v=, p=, k=, h=, s=), RFC 8463 §4.2 (ed25519 keys)."""
    return _per_key(
        ctx, lambda s, key: "; ".join(key.errors) or None,
        f"the DKIM key records of {ctx.domain} parse", f"DKIM key records of {ctx.domain} do not parse",
        "Publish \"v=DKIM1; k=rsa; p=<base64 of the DER SubjectPublicKeyInfo>\" (or k=ed25519 with the raw "
        "32-octet key), with h= sha256 and s= * or email when given")


def _strength(s: Selector, key: KeyRecord) -> str | None:
    if key.key_type == "ed25519" and key.bits is None and key.key_octets is not None:
        return f"an ed25519 key of {key.key_octets} octets: ed25519 public keys are 32 octets (RFC 8463 §3, §4.2)"
    if key.bits is None or key.key_type != "rsa":
        return None
    if key.bits < MIN_BITS:
        return f"RSA {key.bits} bits: under 1024 bits, verifiers MUST NOT accept its signatures (RFC 8301 §3.2)"
    if key.bits < GOOD_BITS:
        return f"RSA {key.bits} bits: signers SHOULD use at least 2048 bits (RFC 8301 §3.2)"
    return None


def _too_weak(key: KeyRecord) -> bool:
    """A key verifiers must reject: RSA under 1024 bits, or an ed25519 key that is not 32 octets."""
    if key.key_type == "rsa":
        return key.bits is not None and key.bits < MIN_BITS
    return key.key_type == "ed25519" and key.bits is None and key.key_octets is not None


@check("dkim.key-strength")
def dkim_key_strength(ctx: Context) -> Finding:
    """RFC 8301 §3.2: RSA keys of at least 1024 bits (MUST), 2048 (SHOULD); RFC 8463 §3: ed25519 keys."""
    found = selectors(ctx)
    if isinstance(found, Finding):
        return found
    fatal = any(_too_weak(s.key) for s in found if s.key is not None and not s.key.revoked)
    return _per_key(ctx, _strength, f"the DKIM keys of {ctx.domain} are strong enough",
                    f"DKIM keys of {ctx.domain} are too short",
                    "Generate a 2048-bit RSA key (or an ed25519 key beside it), publish it under a new selector, "
                    "sign with it, then revoke the old one (empty p=)",
                    severity=None if fatal else Severity.WARN,
                    judged_if=lambda key: key.bits is not None or _too_weak(key))


@check("dkim.hash")
def dkim_hash(ctx: Context) -> Finding:
    """RFC 8301 §3.1: verifiers MUST NOT accept rsa-sha1 signatures, so a key restricted to sha1 verifies nothing."""
    return _per_key(
        ctx, lambda s, key: (f"h={short(key.tags['h'], 30)} does not allow sha256" if key.hashes is not None
                             and "sha256" not in key.hashes else None),
        f"the DKIM keys of {ctx.domain} allow sha256", f"DKIM keys of {ctx.domain} cannot verify any signature",
        "Remove h= from the key record, or write h=sha256, and sign with rsa-sha256 (RFC 8301 §3.1)")


@check("dkim.testing")
def dkim_testing(ctx: Context) -> Finding:
    """RFC 6376 §3.6.1: t=y: the domain is testing DKIM, verifiers MUST NOT treat its signed mail differently."""
    return _per_key(
        ctx, lambda s, key: f"t={short(key.tags['t'], 20)}: testing mode" if key.testing else None,
        f"no DKIM key of {ctx.domain} is in testing mode", f"DKIM keys of {ctx.domain} are in testing mode (t=y)",
        "Remove y from the t= tag once signing works: verifiers treat signed mail as unsigned while it is there")
