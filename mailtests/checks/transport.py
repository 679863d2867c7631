"""Facts the transport checks share (MTA-STS, TLS-RPT, SMTP, DANE): records, the policy, TLSA sets, sessions.

Each is computed once per domain through :meth:`Context.shared`; the network work is
the probe layer's (:mod:`mailtests.probes`), made once per run however many domains
share an MX host.
"""

from __future__ import annotations

from concurrent.futures import as_completed
from dataclasses import dataclass

import dns.name

from ..dane.tlsa import Tlsa
from ..dnslayer.layer import Recorder
from ..dnssec import INSECURE
from ..mtasts import MAX_POLICY_BYTES, Policy, parse_policy, policy_url
from ..probes import Fetch, ProbeLayer, SmtpSession
from ..result import DnsFailure, Finding, skipped
from .common import addresses, host_addresses, mx_set, real_exchanges
from .context import Context
from .dnssec_status import fetch, rrset_security

SMTP_OFF = ("the SMTP probe is off (port 25 is blocked outbound on many networks): turn it on with --smtp or "
            "`smtp: true` in the domains file")
BLOCKED = ("port 25 looks blocked from this network: no MX host of any domain in the run accepted a connection "
           "on port 25, so the smtp checks are skipped (run from a network that allows outbound port 25)")


def txt_records(ctx: Context, name: str, prefix: str) -> list[str]:
    """The TXT records at ``name`` that start with ``prefix`` (strings joined, RFC 7208 §3.3 style)."""
    texts = [b"".join(rd.strings).decode("utf-8", "replace") for rd in ctx.lookup(name, "TXT").rdatas()]
    return [t for t in texts if t[: len(prefix)].lower() == prefix.lower()]


def sts_records(ctx: Context) -> list[str]:
    """RFC 8461 §3.1: the ``v=STSv1`` TXT records at ``_mta-sts.<domain>`` (others are discarded)."""
    return list(ctx.shared("sts_records", lambda c: txt_records(c, f"_mta-sts.{c.domain}", "v=STSv1")))


@dataclass(frozen=True)
class PolicyFetch:
    """The policy as fetched (``fetch``), what is wrong with the fetch (``problem``) and the parsed policy."""

    fetch: Fetch | None
    problem: str | None
    policy: Policy | None


def sts_policy(ctx: Context) -> PolicyFetch:
    """RFC 8461 §3.3: the policy fetched from ``https://mta-sts.<domain>/.well-known/mta-sts.txt``."""
    return ctx.shared("sts_policy", _sts_policy)


def _sts_policy(ctx: Context) -> PolicyFetch:
    url = policy_url(ctx.domain)
    host = dns.name.from_text(f"mta-sts.{ctx.domain}")
    ips, _ = host_addresses(ctx, host)
    if not ips:
        return PolicyFetch(None, f"mta-sts.{ctx.domain} has no A or AAAA record, so the policy cannot be fetched",
                           None)
    got = probes(ctx).fetch(url, [str(ip) for ip in ips])
    problem = None
    if got.verify_error:
        problem = (f"the certificate of mta-sts.{ctx.domain} is not valid for that host ({got.verify_error}); "
                   "senders refuse the policy")
    elif got.error:
        problem = f"the policy could not be fetched: {got.error}"
    elif got.status is not None and 300 <= got.status < 400:
        problem = (f"the server answers {got.status} {got.reason} (a redirect to {got.header('Location') or '?'}), "
                   "and senders must not follow redirects (RFC 8461 §3.3)")
    elif got.status != 200:
        problem = f"the server answers {got.status} {got.reason}, not 200"
    else:
        media = (got.header("Content-Type") or "").split(";")[0].strip().lower()
        if media != "text/plain":
            problem = f"the policy is served as `{media or '(no Content-Type)'}`, not `text/plain`"
        elif got.truncated:
            problem = f"the policy is larger than {MAX_POLICY_BYTES // 1024} KB; senders stop reading there"
    policy = None if problem else parse_policy(got.body.decode("utf-8", "replace"))
    return PolicyFetch(got, problem, policy)


def enforced(ctx: Context) -> str | None:
    """Why senders refuse to deliver without valid TLS: an MTA-STS policy in enforce mode, TLSA records, or None."""
    reasons = []
    if sts_records(ctx) and not getattr(ctx.probes, "offline", True):
        found = sts_policy(ctx)
        if found.policy is not None and found.policy.valid and found.policy.mode == "enforce":
            reasons.append("its MTA-STS policy is in enforce mode")
    if any(rrset_security(ctx, tlsa_name(h), "TLSA").state != INSECURE for h in tlsa_sets(ctx)):
        reasons.append("it publishes DANE TLSA records")  # RFC 7672 §2.2: senders ignore insecure ones
    return " and ".join(reasons) or None


def tlsa_sets(ctx: Context) -> dict[dns.name.Name, list[Tlsa]]:
    """RFC 7672 §2.2: MX host -> its TLSA records at ``_25._tcp.<host>`` (hosts without any are left out)."""
    return dict(ctx.shared("tlsa_sets", _tlsa_sets))


def _tlsa_sets(ctx: Context) -> dict[dns.name.Name, list[Tlsa]]:
    found = {}
    for exchange in real_exchanges(mx_set(ctx)):
        answer = fetch(ctx, tlsa_name(exchange.host), "TLSA")  # a bogus RRset: asked again with CD, to be judged
        if not answer.ok:
            raise DnsFailure(answer)
        records = [Tlsa(rd.usage, rd.selector, rd.mtype, rd.cert) for rd in answer.rdatas()]
        if records:
            found[exchange.host] = records
    return found


def tlsa_name(host: dns.name.Name) -> dns.name.Name:
    return dns.name.from_text("_25._tcp", host)


def probes(ctx: Context) -> ProbeLayer:
    layer = ctx.probes
    if layer is None:
        layer = ctx.probes = ProbeLayer.from_config(ctx.config)
    return layer  # type: ignore[return-value]


def mx_sessions(ctx: Context) -> list[SmtpSession] | Finding:
    """The SMTP session with every address of every MX host, or the skip of a check that cannot apply."""
    layer = probes(ctx)
    if not layer.smtp_enabled:
        return skipped(SMTP_OFF)
    from .mx import exchange_hosts

    hosts = exchange_hosts(ctx)
    if isinstance(hosts, Finding):
        return hosts
    futures = []
    for host in hosts:
        for ip in host_addresses(ctx, host)[0]:
            futures.append(layer.start_smtp(host.to_text(omit_final_dot=True), str(ip)))
    if not futures:
        return skipped(f"no MX host of {ctx.domain} has an address (mx.resolve reports it)")
    sessions = [f.result() for f in futures]
    if not any(s.connected for s in sessions) and port25_blocked(ctx, layer):
        return skipped(BLOCKED, port25_blocked=True)
    return sessions


def port25_blocked(ctx: Context, layer: ProbeLayer) -> bool:
    """True when no MX address of any domain of the run accepts a connection on port 25 (asked once a run).

    Every MX address of the run is probed (the smtp checks need them all anyway); the
    answer is False as soon as one connects. Its DNS answers are no check's evidence.
    """
    def compute() -> bool:
        quiet = Recorder(ctx.dns.layer) if isinstance(ctx.dns, Recorder) else ctx.dns
        futures = []
        for entry in getattr(ctx.config, "domains", ()) or ():
            sub = Context(domain=entry.name, dns=quiet, config=ctx.config, probes=layer)
            try:
                hosts = [e.host for e in real_exchanges(mx_set(sub))]
                for host in hosts:
                    futures += [layer.start_smtp(host.to_text(omit_final_dot=True), str(ip))
                                for ip in addresses(sub, host)]
            except DnsFailure:
                continue
        for future in as_completed(futures):
            if future.result().connected:
                return False
        return bool(futures)

    return layer.once(("port25-blocked",), compute)


def session_details(sessions: list[SmtpSession]) -> dict:
    return {"sessions": [s.summary() for s in sessions]}


def where(session: SmtpSession) -> str:
    return f"{session.host} [{session.address}]"
