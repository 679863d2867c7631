"""SMTP checks: each MX address as a sender meets it (RFC 5321, RFC 3207, RFC 8996, RFC 8461 §4.2, RFC 6125).

The sessions come from the probe layer (one per MX host and address per run, only
with ``--smtp``); a missing STARTTLS or a bad certificate is a WARN, and a FAIL where
the domain's MTA-STS policy is in enforce mode or it publishes TLSA records.
"""

from __future__ import annotations

from ..catalog import Severity
from ..probes import SmtpSession
from ..result import Finding, failed, passed, skipped
from . import check
from .common import listing
from .context import Context
from .helo import _domain_error, tld_problem
from .transport import enforced, mx_sessions, session_details, where

MODERN = ("TLSv1.2", "TLSv1.3")


def _sessions(ctx: Context, need: str = "") -> list[SmtpSession] | Finding:
    found = mx_sessions(ctx)
    if isinstance(found, Finding):
        return found
    if need == "greeted":
        found = [s for s in found if s.greeted]
        if not found:
            return skipped(f"no MX address of {ctx.domain} greeted with 220 (smtp.reachable reports it)")
    elif need == "tls":
        found = [s for s in found if s.tls]
        if not found:
            return skipped(f"no MX address of {ctx.domain} completed STARTTLS (smtp.starttls reports it)")
    return found


@check("smtp.reachable")
def smtp_reachable(ctx: Context) -> Finding:
    """RFC 5321 §3.1, §4.2: every MX address accepts a connection on port 25 and greets with 220 in time."""
    sessions = _sessions(ctx)
    if isinstance(sessions, Finding):
        return sessions
    bad = []
    for s in sessions:
        if not s.connected:
            bad.append(f"{where(s)}: {s.connect_error}")
        elif not s.greeted:
            said = f"greets with `{s.greeting_code} {s.greeting.splitlines()[0][:100]}`" if s.greeting_code else (
                s.error or "sent no greeting")
            bad.append(f"{where(s)}: {said}")
    if bad:
        return failed(f"MX address(es) of {ctx.domain} do not accept mail on port 25: {listing(bad)}. Senders retry "
                      "and finally bounce; make each address listed for an MX host accept connections on port 25 "
                      "and greet with 220, or remove it from DNS", **session_details(sessions))
    return passed(f"every MX address of {ctx.domain} greets with 220 on port 25: {listing(where(s) for s in sessions)}",
                  **session_details(sessions))


def _name_problem(name: str) -> str:
    return _domain_error(name) or tld_problem(name)


@check("smtp.greeting")
def smtp_greeting(ctx: Context) -> Finding:
    """RFC 5321 §4.1.1.1, §4.3.1: the greeting and the EHLO reply name the server by a fully qualified domain name
    (§2.3.5: in a delegated TLD), ideally the MX host's own name."""
    sessions = _sessions(ctx, "greeted")
    if isinstance(sessions, Finding):
        return sessions
    bad, other = [], []
    for s in sessions:
        named = {"greeting": (s.greeting.split() or [""])[0]}
        if s.ehlo_code == 250 and s.ehlo_lines:
            named["EHLO reply"] = (s.ehlo_lines[0].split() or [""])[0]
        for what, name in named.items():
            problem = _name_problem(name)
            if problem:
                bad.append(f"{where(s)}: the {what} names {name!r} ({problem})")
            elif name.lower().rstrip(".") != s.host:
                other.append(f"{where(s)} calls itself {name}")
    if bad:
        return failed(f"MX host(s) of {ctx.domain} do not name themselves by a fully qualified domain name: "
                      f"{listing(bad)}. Set the server's host name (Postfix: myhostname) to the MX host's name",
                      **session_details(sessions))
    note = f" (not the MX host's name: {listing(other)})" if other else ""
    return passed(f"every MX host of {ctx.domain} names itself by a fully qualified domain name{note}",
                  **session_details(sessions))


@check("smtp.starttls")
def smtp_starttls(ctx: Context) -> Finding:
    """RFC 3207 §4: EHLO offers STARTTLS and the handshake completes; RFC 8461 §5 and RFC 7672 §2.2: senders
    under an MTA-STS policy in enforce mode or with TLSA records do not deliver without it."""
    sessions = _sessions(ctx, "greeted")
    if isinstance(sessions, Finding):
        return sessions
    bad = []
    for s in sessions:
        if not s.starttls_offered:
            bad.append(f"{where(s)}: {s.error or 'EHLO does not offer STARTTLS'}")
        elif not s.tls:
            why = s.tls_error or s.error or (f"STARTTLS answered `{s.starttls_reply}`" if s.starttls_reply else "")
            bad.append(f"{where(s)}: the TLS handshake does not complete ({why})")
    if bad:
        strict = enforced(ctx)
        consequence = (f"senders do not deliver at all, because {strict}" if strict
                       else "mail to it travels unencrypted")
        return failed(f"MX address(es) of {ctx.domain} offer no working STARTTLS: {listing(bad)}; {consequence}. "
                      "Enable STARTTLS with a valid certificate (Postfix: smtpd_tls_security_level = may, "
                      "smtpd_tls_chain_files)", severity=Severity.FAIL if strict else Severity.WARN,
                      **session_details(sessions))
    return passed(f"every MX address of {ctx.domain} completes STARTTLS: "
                  f"{listing(f'{where(s)} ({s.tls_version})' for s in sessions)}", **session_details(sessions))


@check("smtp.tls-version")
def smtp_tls_version(ctx: Context) -> Finding:
    """RFC 8996 §4, §5: TLS 1.2 or newer is negotiated and TLS 1.0 and 1.1 are refused (RFC 8461 §7.2)."""
    sessions = _sessions(ctx, "greeted")
    if isinstance(sessions, Finding):
        return sessions
    # a host that offers STARTTLS: its TLS session, or (when only TLS 1.0/1.1 works) the capped handshakes
    sessions = [s for s in sessions if s.tls or "accepted" in s.old_versions.values()]
    if not sessions:
        return skipped(f"no MX address of {ctx.domain} completed STARTTLS (smtp.starttls reports it)")
    bad, untested = [], []
    for s in sessions:
        if s.tls_version not in MODERN:
            bad.append(f"{where(s)} negotiates {s.tls_version or 'no TLS 1.2 or newer'}")
        accepted = [v for v, said in s.old_versions.items() if said == "accepted"]
        if accepted:
            bad.append(f"{where(s)} accepts {' and '.join(accepted)}")
        untested += [f"{where(s)} {v}: {said}" for v, said in s.old_versions.items() if said.startswith("not tested")]
    if bad:
        return failed(f"MX address(es) of {ctx.domain} allow deprecated TLS versions: {listing(bad)}. TLS 1.0 and "
                      "1.1 are broken (RFC 8996): accept only TLS 1.2 and 1.3 (Postfix: smtpd_tls_protocols = "
                      ">=TLSv1.2)", **session_details(sessions))
    note = f" (not tested here: {listing(untested)})" if untested else ""
    return passed(f"every MX address of {ctx.domain} negotiates TLS 1.2 or newer and refuses TLS 1.0 and 1.1{note}",
                  **session_details(sessions))


@check("smtp.certificate")
def smtp_certificate(ctx: Context) -> Finding:
    """RFC 8461 §4.2, RFC 6125 §6: the certificate chains to a trusted CA, names the MX host and is in its validity
    period; a WARN, a FAIL under an MTA-STS policy in enforce mode."""
    sessions = _sessions(ctx, "tls")
    if isinstance(sessions, Finding):
        return sessions
    bad = [f"{where(s)}: {s.verify_error}" for s in sessions if s.verify_error]
    if bad:
        strict = enforced(ctx)
        sts_enforced = bool(strict) and "MTA-STS" in strict
        consequence = ("senders under its MTA-STS policy (enforce) do not deliver" if sts_enforced
                       else "senders that validate certificates cannot authenticate the host")
        return failed(f"certificate(s) of MX host(s) of {ctx.domain} do not validate: {listing(bad)}; "
                      f"{consequence}. Install a certificate from a trusted CA naming the MX host, with its "
                      "intermediate certificates, and renew it before it expires",
                      severity=Severity.FAIL if sts_enforced else Severity.WARN, **session_details(sessions))
    return passed(f"every MX host of {ctx.domain} presents a certificate that validates for its name",
                  **session_details(sessions))
