"""DANE for SMTP (RFC 7672, RFC 7671): the TLSA records of the MX hosts, and the chains the hosts present."""

from __future__ import annotations

from cryptography import x509

from ..catalog import Severity
from ..dane.tlsa import MATCHING, SELECTORS, USAGES, Tlsa, matching_record
from ..dnssec import INSECURE, SECURE
from ..mtasts import mx_matches
from ..result import Finding, failed, passed, skipped
from . import check
from .common import display, listing
from .context import Context
from .dnssec_status import rrset_security
from .transport import mx_sessions, session_details, tlsa_name, tlsa_sets, where

SECURITY_EFFECT = {
    "insecure": "senders ignore TLSA records that are not DNSSEC-signed",
    "bogus": "the records fail DNSSEC validation, so DANE senders defer all mail",
    "indeterminate": "their DNSSEC status could not be established",
}


def _no_tlsa(ctx: Context) -> Finding:
    return skipped(f"no MX host of {ctx.domain} publishes TLSA records at _25._tcp.<host>: DANE is not deployed")


@check("dane.tlsa")
def dane_tlsa(ctx: Context) -> Finding:
    """RFC 7672 §2.2.3: the TLSA RRset validates as DNSSEC secure; §3.1, §3.1.3: usages DANE-TA(2)/DANE-EE(3)
    (PKIX-TA/PKIX-EE are unusable for SMTP), known selectors and matching types, a SHA2-256 record among them."""
    sets = tlsa_sets(ctx)
    if not sets:
        return _no_tlsa(ctx)
    fails, warns = [], []
    for host, records in sets.items():
        name = tlsa_name(host)
        security = rrset_security(ctx, name, "TLSA")
        if security.state != "secure":
            fails.append(f"{display(name)} is {security.state} ({security.reason}): "
                         f"{SECURITY_EFFECT.get(security.state, '')}")
        odd = [r for r in records if r.selector not in SELECTORS or r.mtype not in MATCHING or r.usage not in USAGES]
        if odd:
            fails.append(f"{display(name)} has records of unknown usage, selector or matching type: "
                         f"{listing(f'`{r}`' for r in odd)}")
        pkix = [r for r in records if r.usage in (0, 1)]
        if pkix:
            warns.append(f"{display(name)} has PKIX usages, which SMTP senders do not use (RFC 7672 §3.1.3): "
                         f"{listing(f'`{r}`' for r in pkix)}")
        if not any(r.mtype == 1 for r in records):
            fails.append(f"{display(name)} has no SHA2-256 record (matching type 1), the one every sender supports")
    details = {"tlsa": {display(tlsa_name(h)): [str(r) for r in rs] for h, rs in sets.items()}}
    if fails or warns:
        return failed(f"TLSA records of {ctx.domain}'s MX hosts are unusable: {'; '.join(fails + warns)}. Publish "
                      "`3 1 1 <SHA-256 of the server's public key>` (DANE-EE) or `2 0 1 <SHA-256 of the issuing "
                      "CA>` (DANE-TA) in a DNSSEC-signed zone", severity=None if fails else Severity.WARN, **details)
    return passed(f"the TLSA records of {ctx.domain}'s MX hosts are DNSSEC-secure and usable: "
                  f"{listing(display(tlsa_name(h)) for h in sets)}", **details)


def _names(der: bytes) -> list[str]:
    try:
        cert = x509.load_der_x509_certificate(der)
        return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName)
    except (ValueError, x509.ExtensionNotFound):
        return []


def chain_matches(records: list[Tlsa], chain: list[bytes], host: str) -> str | None:
    """Why ``chain`` matches no usable record for ``host`` (RFC 7672 §3.1, §3.2.2), or None when one matches."""
    found = matching_record(records, chain)
    if found is None:
        return "the presented chain matches no usable TLSA record"
    record, _ = found
    if record.usage == 2 and not any(mx_matches(n, host) for n in _names(chain[0])):
        return f"the chain matches `{record}` (DANE-TA) but the certificate does not name {host}"
    return None


@check("dane.match")
def dane_match(ctx: Context) -> Finding:
    """RFC 7672 §3.2: the chain each MX host presents matches a usable TLSA record (DANE-EE against the leaf without
    name checks, §3.1.1; DANE-TA against the chain, with the name checked). §2.2: senders use only a secure TLSA
    RRset; they ignore an insecure one, and do not deliver to a host whose RRset is bogus or indeterminate."""
    sets = tlsa_sets(ctx)
    if not sets:
        return _no_tlsa(ctx)
    sessions = mx_sessions(ctx)
    if isinstance(sessions, Finding):
        return sessions
    by_host, bad, ignored = {}, [], []
    for host, records in sets.items():
        security = rrset_security(ctx, tlsa_name(host), "TLSA")
        if security.state == INSECURE:
            ignored.append(display(tlsa_name(host)))
        elif security.state != SECURE:
            bad.append(f"{display(tlsa_name(host))} is {security.state} ({security.reason}), so DANE senders do not "
                       f"deliver to {display(host)} whatever certificate it presents")
        elif any(r.usable for r in records):
            by_host[display(host)] = records
    good = []
    for s in sessions:
        records = by_host.get(s.host)
        if records is None:
            continue
        if not s.tls:
            bad.append(f"{where(s)}: no TLS session ({s.connect_error or s.error or s.tls_error or 'no STARTTLS'})")
            continue
        why = chain_matches(records, s.chain, s.host)
        found = None if why else matching_record(records, s.chain)
        (bad if why else good).append(f"{where(s)}: {why}" if why else f"{where(s)} matches `{found[0]}`")
    if bad:
        return failed(f"MX host(s) of {ctx.domain} fail DANE authentication: {listing(bad)}; DANE senders defer "
                      "all mail to them. Publish TLSA records for the certificate the server presents (keep both "
                      "old and new during a rollover), in a zone that validates",
                      **session_details(sessions))
    if not by_host and ignored:
        return skipped(f"the TLSA records of {ctx.domain}'s MX hosts are not DNSSEC-signed (insecure: "
                       f"{listing(ignored)}): senders ignore them and use TLS without authenticating the host "
                       "(dane.tlsa reports it)")
    if not by_host:
        return skipped(f"no MX host of {ctx.domain} publishes a usable TLSA record (DANE-TA or DANE-EE; dane.tlsa "
                       "reports it): DANE senders then use TLS without authenticating the host")
    if not good:
        return skipped(f"no MX address of {ctx.domain} with TLSA records was reached")
    return passed(f"the chain of every MX address of {ctx.domain} with secure TLSA records matches one: "
                  f"{listing(good)}", **session_details(sessions))
