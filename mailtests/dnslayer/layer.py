"""The one DNS layer every check and pyspf use: routing, run-wide cache, statistics.

A question goes to the zone files when they cover the name (the proposed zone
wins over what is live), else to the configured resolver; with ``offline`` a name
outside the zone files is an error that names it. Each (name, type) is asked once
per run: concurrent askers of the same question wait for the one in flight.
"""

from __future__ import annotations

import functools
import threading
import time
from concurrent.futures import Future
from typing import Protocol

import dns.name
import dns.rdatatype

from .answer import Answer, name_key
from .resolver import Server, WireSource, ask

OFFLINE = "OFFLINE"


class Source(Protocol):
    def query(self, qname: dns.name.Name, rdtype: str) -> Answer: ...


class DnsLayer:
    """Cached, thread-safe DNS answers for one run."""

    def __init__(self, resolver: WireSource | None = None, zones=None, offline: bool = False, timeout: float = 2.0,
                 upstream: DnsLayer | None = None):
        if resolver is None and upstream is None and not offline:
            raise ValueError("a DNS layer needs a resolver unless it is offline")
        self.resolver = resolver
        self.upstream = upstream  # names outside the zone files: asked through this layer and its cache
        self.zones = zones
        self.offline = offline
        self.timeout = timeout
        self._cache: dict[tuple, Future | Answer] = {}  # an answer once it is in; a Future while it is asked
        self._lock = threading.Lock()
        self.sent = 0  # questions that went to a source (resolver, server or zone file)
        self.cached = 0  # questions answered from the run's cache
        # in one of two warm-up processes: asks the other for the questions the other owns (mailtests.forked_pair)
        self.forward = None

    # -- public ------------------------------------------------------------------
    def query(self, name: dns.name.Name | str, rdtype: str) -> Answer:
        """The answer to (name, type), asked once per run."""
        qname = to_name(name)
        rdtype = rdtype.upper()
        return self._once(("q", name_key(qname), rdtype),
                          self._via(qname, "query", qname, rdtype, local=lambda: self._resolve(qname, rdtype)))

    def query_cd(self, name: dns.name.Name | str, rdtype: str) -> Answer:
        """The answer to (name, type) with Checking Disabled (RFC 4035 §3.2.2), asked once per run.

        Only for a question whose ordinary answer was SERVFAIL: a validating resolver withholds a
        bogus answer, and the DNSSEC checks need it to say why it is bogus. Zone files answer as ever.
        """
        qname = to_name(name)
        rdtype = rdtype.upper()
        return self._once(("cd", name_key(qname), rdtype),
                          self._via(qname, "query_cd", qname, rdtype, local=lambda: self._resolve_cd(qname, rdtype)))

    def query_server(self, address: str, name: dns.name.Name | str, rdtype: str, port: int = 53) -> Answer:
        """Ask one server directly, without recursion (RFC 1035 §4.1.1, RD clear); cached per server."""
        qname = to_name(name)
        rdtype = rdtype.upper()
        server = Server(address, port)
        key = ("s", str(server), name_key(qname), rdtype)
        return self._once(key, self._via(qname, "query_server", address, qname, rdtype, port,
                                         local=lambda: ask(server, qname, rdtype, self.timeout, False)))

    def describe_sources(self) -> dict:
        return {
            "resolvers": [str(s) for s in self.resolver.servers] if self.resolver else [],
            "zone_files": [str(p) for _, p in self.zones.zones.values()] if self.zones else [],
            "offline": self.offline,
        }

    # -- internals -----------------------------------------------------------------
    def _via(self, qname: dns.name.Name, method: str, *args, local):
        """How to fetch a question about ``qname``: ``local``, or in one of two warm-up processes, for a question the
        other owns, the other's answer to ``<method>(*args)`` (counted there, so here as answered from the run's
        cache; ``local`` if it gives none)."""
        forward = self.forward
        if forward is None:
            return local

        def forwarded() -> Answer:  # asked only when the run's cache has no answer: who owns it is decided then
            if forward.owns(qname):
                return local()
            answer = forward.ask(f"dns.{method}", *args)
            if answer is None:
                return local()
            with self._lock:
                self.sent -= 1
                self.cached += 1
            return answer

        return forwarded

    def _once(self, key: tuple, fetch) -> Answer:
        with self._lock:
            found = self._cache.get(key)
            if found is None:
                future = self._cache[key] = Future()
                self.sent += 1
            else:
                self.cached += 1
        if found is not None:
            return found.result() if type(found) is Future else found
        try:
            answer = fetch()
        except BaseException as exc:
            future.set_exception(exc)
            raise
        future.set_result(answer)  # for whoever waits for it now; later askers find the answer itself
        with self._lock:
            # a settled Future (its condition, lock and waiters) is 1.6 KB a question: a third of what a
            # warm-up process of 1,000 domains allocated
            self._cache[key] = answer
        return answer

    def _resolve(self, qname: dns.name.Name, rdtype: str) -> Answer:
        if self._in_zones(qname, rdtype):
            answer = self.zones.query(qname, rdtype)
            return self._finish_chain(answer)
        if self.upstream is not None:
            return self.upstream.query(qname, rdtype)
        if self.offline or self.resolver is None:
            return Answer(qname, rdtype, OFFLINE, server="(offline)",
                          error=f"{qname.to_text()} is outside the zone files and live lookups are off (--offline)")
        return self.resolver.query(qname, rdtype)

    def _resolve_cd(self, qname: dns.name.Name, rdtype: str) -> Answer:
        if self._in_zones(qname, rdtype):
            return self.query(qname, rdtype)
        if self.upstream is not None:
            return self.upstream.query_cd(qname, rdtype)
        if self.offline or self.resolver is None:
            return self.query(qname, rdtype)
        return self.resolver.query(qname, rdtype, cd=True)

    def _in_zones(self, qname: dns.name.Name, rdtype: str) -> bool:
        """True when the zone files answer (name, type): a DS is the parent's (RFC 4035 §2.4), so it is
        answered by the files when they hold the zone above the cut."""
        if self.zones is None:
            return False
        if rdtype == "DS" and qname != dns.name.root:
            return self.zones.covers(qname.parent())
        return self.zones.covers(qname)

    def _finish_chain(self, answer: Answer) -> Answer:
        """A CNAME in a zone file whose target lies outside the zone files: ask on for the target."""
        if answer.rcode != "NOERROR" or answer.rdatas() or answer.cname_loop or not answer.is_alias:
            return answer
        target = answer.final_name
        if self.zones.covers(target):  # the chain ended inside the zone files: their answer is final
            return answer
        rest = self.query(target, answer.rdtype)
        started = time.monotonic()
        return Answer(
            answer.qname, answer.rdtype, rest.rcode, answer.records + rest.records,
            server=f"{answer.server} + {rest.server}",
            elapsed=answer.elapsed + rest.elapsed + time.monotonic() - started,
            authoritative=answer.authoritative and rest.authoritative, error=rest.error,
            authority=rest.authority,
        )


class Recorder:
    """A view of the layer for one check: it asks the layer and keeps every answer as evidence."""

    def __init__(self, layer: DnsLayer):
        self.layer = layer
        self.answers: list[Answer] = []

    def _keep(self, answer: Answer) -> Answer:
        if not any(a is answer for a in self.answers):
            self.answers.append(answer)
        return answer

    def keep(self, answers) -> None:
        """Add answers asked elsewhere (a fact the checks share) to this evidence: once each, in order."""
        kept = self.answers
        if not kept:  # answers a recorder kept are already once each
            kept.extend(answers)
            return
        seen = {id(a) for a in kept}
        for answer in answers:
            if id(answer) not in seen:
                seen.add(id(answer))
                kept.append(answer)

    def query(self, name: dns.name.Name | str, rdtype: str) -> Answer:
        return self._keep(self.layer.query(name, rdtype))

    def query_cd(self, name: dns.name.Name | str, rdtype: str) -> Answer:
        return self._keep(self.layer.query_cd(name, rdtype))

    def query_server(self, address: str, name: dns.name.Name | str, rdtype: str, port: int = 53) -> Answer:
        return self._keep(self.layer.query_server(address, name, rdtype, port))


def to_name(name: dns.name.Name | str) -> dns.name.Name:
    if isinstance(name, dns.name.Name):
        return name if name.is_absolute() else name.concatenate(dns.name.root)
    return _from_text(name)


@functools.lru_cache(maxsize=1 << 16)
def _from_text(text: str) -> dns.name.Name:
    # Checks ask about the same few names many times (the domain, its MX hosts): parse each text once.
    return dns.name.from_text(text)
