"""Resolver health, once per run and resolver (catalog, "Resolver health").

For these checks ``ctx.domain`` is the resolver as text (``127.0.0.1:53``,
``[::1]:53``). They ask the resolver directly with :func:`ask`, not through the
run's cache, because the point is to measure that resolver; each answer is added
to the evidence by hand.
"""

from __future__ import annotations

import time

import dns.name

from ..config import DEFAULT_LATENCY_THRESHOLD, DEFAULT_TIMEOUT, parse_resolver
from ..dnslayer.answer import TIMEOUT, Answer
from ..dnslayer.resolver import Server, ask
from ..result import DnsFailure, Finding, failed, passed
from . import check
from .context import Context

#: Longest wait between the two questions of resolver.caching: a cached TTL has counted down by then.
CACHE_WAIT = 1.1
#: How often the resolver is asked again while waiting: the check ends as soon as the TTL counts down.
CACHE_POLL = 0.1


def resolver_server(text: str) -> Server:
    """The server of a resolver text: ``ADDR``, ``ADDR:PORT`` or ``[IPV6]:PORT`` (port 53 by default)."""
    r = parse_resolver(text)
    return Server(r.address, r.port)


def _timeout(ctx: Context) -> float:
    return float(getattr(ctx.config, "timeout", DEFAULT_TIMEOUT))


def _ask(ctx: Context, server: Server, name: dns.name.Name | str, rdtype: str, timeout: float | None = None) -> Answer:
    """One recursive question straight to the resolver, kept as evidence."""
    qname = name if isinstance(name, dns.name.Name) else dns.name.from_text(name)
    answer = ask(server, qname, rdtype, _timeout(ctx) if timeout is None else timeout, recursive=True)
    ctx.dns.answers.append(answer)
    return answer


def _got(answer: Answer) -> str:
    """What came back, in words: ``REFUSED`` or ``no answer within 2 s``."""
    return answer.error if answer.rcode == TIMEOUT and answer.error else answer.rcode


@check("resolver.reachable")
def resolver_reachable(ctx: Context) -> Finding:
    """RFC 1034 §5.3.1, RFC 1123 §6.1.3.1: the stub resolver needs a recursive server that answers.

    Asks for the root's NS RRset, then its SOA, which every working resolver can answer.
    """
    server = resolver_server(ctx.domain)
    tried = []
    for rdtype in ("NS", "SOA"):
        answer = _ask(ctx, server, dns.name.root, rdtype)
        if answer.ok:
            return passed(f"the resolver {server} answers: `. {rdtype}` {answer.rcode} in "
                          f"{answer.elapsed * 1000:.0f} ms", elapsed_ms=round(answer.elapsed * 1000, 1))
        tried.append(answer)
    got = "; ".join(f"`. {a.rdtype}`: {_got(a)}" for a in tried)
    if any(a.rcode == "REFUSED" for a in tried):
        advice = ("it refuses this host: allow it in the resolver's access control "
                  "(BIND allow-recursion, Unbound access-control)")
    elif any(a.rcode == TIMEOUT for a in tried):
        advice = ("check that a resolver runs on that address and port and that no firewall drops DNS "
                  "(UDP and TCP port 53), or configure another resolver")
    else:
        advice = "it answers but cannot resolve the root: check its upstream servers, root hints and trust anchor"
    return failed(f"the resolver {server} does not answer queries ({got}): {advice}",
                  answers={f". {a.rdtype}": _got(a) for a in tried})


@check("resolver.latency")
def resolver_latency(ctx: Context) -> Finding:
    """RFC 1034 §5.3.1: a resolver answers quickly; the seed's `time dig -t ns` "should always be less than 1 second".

    Times the NS lookup of the first configured domain (the root when there is none).
    """
    server = resolver_server(ctx.domain)
    threshold = float(getattr(ctx.config, "latency_threshold", DEFAULT_LATENCY_THRESHOLD))
    domains = getattr(ctx.config, "domains", ()) or ()
    name = domains[0].name if domains else "."
    wait = max(_timeout(ctx), threshold)
    answer = _ask(ctx, server, name, "NS", timeout=wait)
    ms = answer.elapsed * 1000
    details = {"question": f"{name} NS", "elapsed_ms": round(ms, 1), "threshold_s": threshold}
    if answer.rcode == TIMEOUT:
        return failed(f"the resolver {server} did not answer `{name} NS` ({_got(answer)}); a lookup must answer "
                      f"within {threshold:g} s", **details)
    if answer.elapsed > threshold:
        return failed(
            f"`{name} NS` took {ms:.0f} ms through the resolver {server}, more than the {threshold:g} s allowed: "
            "mail servers time out on slow lookups. Use a caching resolver on or near this host", **details)
    return passed(f"`{name} NS` answered ({answer.rcode}) in {ms:.0f} ms through the resolver {server} "
                  f"(within {threshold:g} s)", **details)


def _ttl(answer: Answer) -> int | None:
    """The TTL of the asked record (the first of the answer section if there is none of that type)."""
    records = [r for r in answer.records if r.rdtype == answer.rdtype] or list(answer.records)
    return records[0].ttl if records else None


@check("resolver.caching")
def resolver_caching(ctx: Context) -> Finding:
    """RFC 1034 §5.3.1, RFC 1035 §7.4: a resolver caches answers and counts their TTL down.

    Asks for the root's SOA, then again every :data:`CACHE_POLL` seconds until the TTL
    counts down or :data:`CACHE_WAIT` seconds have passed: from a cache the second answer
    carries a smaller TTL, or comes much faster. The run does not wait a whole
    :data:`CACHE_WAIT` for a resolver whose TTL moves on sooner (0.5 s on average).
    """
    server = resolver_server(ctx.domain)
    first = _ask(ctx, server, dns.name.root, "SOA")
    if not first.ok:
        raise DnsFailure(first)
    started = time.monotonic()
    while True:
        time.sleep(max(0.0, min(CACHE_POLL, started + CACHE_WAIT - time.monotonic())))
        second = ask(server, dns.name.root, "SOA", _timeout(ctx), recursive=True)
        waited = time.monotonic() - started
        ttl1, ttl2 = _ttl(first), _ttl(second)
        if not second.ok or waited >= CACHE_WAIT or (ttl1 is not None and ttl2 is not None and ttl2 < ttl1):
            break
    ctx.dns.answers.append(second)
    if not second.ok:
        raise DnsFailure(second)
    ms1, ms2 = first.elapsed * 1000, second.elapsed * 1000
    details = {"ttl": [ttl1, ttl2], "elapsed_ms": [round(ms1, 1), round(ms2, 1)]}
    seen = f"`. SOA` asked twice {waited:.1f} s apart: TTL {ttl1} then {ttl2}, {ms1:.0f} ms then {ms2:.0f} ms"
    counting_down = ttl1 is not None and ttl2 is not None and ttl2 < ttl1
    faster = ms2 < ms1 / 2 and ms1 - ms2 >= 5
    if counting_down or faster:
        return passed(f"the resolver {server} caches ({seen})", **details)
    return failed(
        f"the resolver {server} does not seem to cache ({seen}: the TTL did not count down and the answer did not "
        "come faster). Every lookup then goes out to the authoritative servers: use a caching resolver "
        "(Unbound, BIND, systemd-resolved, dnsmasq with a cache) on or near the mail server", **details)
