"""The engine: runs catalog checks for domains over one DNS layer, once each, concurrently on demand.

The pytest glue asks :meth:`Audit.result` for each (domain, check) test; before
the tests run, :meth:`Audit.warm_up` computes all of them with a thread pool so
that the DNS questions of all domains are in flight together. A result is
computed once either way, so a run with and without the warm-up is identical.

The checks of one domain share facts (:meth:`Context.shared`) through a store per
domain: the warm-up frees it once the domain's checks are done, and at most
:data:`MAX_FACT_DOMAINS` stores are kept otherwise (the oldest go first).
"""

from __future__ import annotations

import gc
import threading
import traceback
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import dns.exception
import dns.name

from .catalog import CHECKS
from .checks import REGISTRY, load_all
from .checks.context import Context, Facts
from .checks.dnssec_status import servfail_cause
from .dnslayer.layer import DnsLayer, Recorder
from .probes import ProbeFailure, ProbeLayer
from .result import DnsFailure, Finding, Outcome, Result, outcome_of

#: Domains whose shared facts are kept when results are asked one by one (no warm-up, or from other threads).
MAX_FACT_DOMAINS = 64


class Audit:
    def __init__(self, layer: DnsLayer, config=None, probes: ProbeLayer | None = None):
        load_all()
        self.layer = layer
        self.config = config
        if probes is None:
            probes = ProbeLayer.from_config(config, offline=getattr(layer, "offline", False))
        self.probes = probes
        self.entries = {e.name: e for e in getattr(config, "domains", ())}
        self._results: dict[tuple[str, str], Result] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()
        self._facts: OrderedDict[str, Facts] = OrderedDict()  # per domain, most recently used last
        self._run_facts = Facts()  # facts that depend on no domain (a blocklist's health)
        self._facts_kept = MAX_FACT_DOMAINS

    def result(self, domain: str, check_id: str) -> Result:
        """The verdict of one check for one domain, computed once per run."""
        key = (domain, check_id)
        with self._guard:
            if key in self._results:
                return self._results[key]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._results:
                self._results[key] = self._run(domain, check_id)
            return self._results[key]

    def compute(self, domain: str, check_id: str) -> Result:
        """The verdict of one check for one domain, computed now and not kept: for a caller that asks each
        (domain, check) once and keeps the results itself (the warm-up process)."""
        return self._run(domain, check_id)

    def warm_up(self, pairs: Iterable[tuple[str, str]], workers: int = 64) -> None:
        """Compute many results at once; one task per domain keeps a domain's shared answers together."""
        by_domain: dict[str, list[str]] = {}
        for domain, check_id in pairs:
            by_domain.setdefault(domain, []).append(check_id)
        if not by_domain:
            return
        workers = max(1, min(workers, len(by_domain)))
        self.keep_facts(workers)  # a domain in progress in every worker keeps its facts

        def run_domain(domain: str) -> None:
            try:
                for check_id in by_domain[domain]:
                    self.result(domain, check_id)
            finally:
                self.forget_facts(domain)  # the domain's results are in: what they shared is no longer needed

        # The checks make no cyclic garbage, while each full collection of the cyclic GC walks every result and
        # answer made so far (a tenth of the warm-up's CPU on 1,000 domains): reference counting frees the rest.
        collecting = gc.isenabled()
        gc.disable()
        try:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                for _ in pool.map(run_domain, by_domain):
                    pass
        finally:
            if collecting:
                gc.enable()

    def facts(self, domain: str) -> Facts:
        """The facts the checks of ``domain`` share (created on first use; the least recently used are dropped)."""
        with self._guard:
            found = self._facts.get(domain)
            if found is None:
                found = self._facts[domain] = Facts()
                while len(self._facts) > self._facts_kept:
                    self._facts.popitem(last=False)
            else:
                self._facts.move_to_end(domain)
            return found

    def keep_facts(self, domains: int) -> None:
        """Keep the shared facts of at least ``domains`` domains at once (e.g. those in progress together);
        the bound only grows. Whoever runs a domain's checks should :meth:`forget_facts` when they are done."""
        with self._guard:
            self._facts_kept = max(self._facts_kept, domains + MAX_FACT_DOMAINS)

    def forget_facts(self, domain: str) -> None:
        """Drop what the checks of ``domain`` shared (all its results are in; a later check would compute anew)."""
        with self._guard:
            self._facts.pop(domain, None)

    def _in_zones(self, domain: str) -> bool:
        """True when the zone files answer for the domain (its answers are not from live servers)."""
        zones = self.layer.zones
        if zones is None:
            return False
        try:
            return zones.covers(dns.name.from_text(domain))
        except dns.exception.DNSException:
            return False

    def _run(self, domain: str, check_id: str) -> Result:
        spec = CHECKS[check_id]
        entry = self.entries.get(domain)
        recorder = Recorder(self.layer)
        reason = (getattr(entry, "skip", None) or {}).get(check_id)
        if reason is not None:
            return Result(domain, check_id, spec.severity, Outcome.SKIP, f"skipped by the domains file: {reason}")
        fn = REGISTRY.get(check_id)
        if fn is None:
            return Result(domain, check_id, spec.severity, Outcome.ERROR, f"{check_id} is not implemented")
        ctx = Context(domain=domain, dns=recorder, entry=entry, config=self.config, zone_mode=self._in_zones(domain),
                      facts=self.facts(domain), run_facts=self._run_facts, probes=self.probes)
        try:
            finding: Finding = fn(ctx)
        except DnsFailure as exc:
            cause = servfail_cause(ctx, exc.answer)  # a bogus zone: the same DNSSEC cause for every check of it
            if cause is not None:
                return Result(domain, check_id, spec.severity, Outcome.ERROR, cause, evidence=recorder.answers,
                              details={"cause": cause, "lookup": exc.answer.describe()})
            return Result(
                domain, check_id, spec.severity, Outcome.ERROR,
                f"DNS lookup failed, so {check_id} could not be checked: {exc.answer.describe()}",
                evidence=recorder.answers,
            )
        except ProbeFailure as exc:  # a probe not made (--offline): a server check cannot be judged from zone files
            return Result(domain, check_id, spec.severity, Outcome.SKIP,
                          f"{check_id} asks a live server, and {exc}", evidence=recorder.answers)
        except Exception as exc:  # a bug or hostile data the check did not expect: report, never crash the run
            return Result(
                domain, check_id, spec.severity, Outcome.ERROR, f"internal error in {check_id}: {exc!r}",
                evidence=recorder.answers, details={"traceback": traceback.format_exc()},
            )
        severity = finding.severity or spec.severity
        return Result(domain, check_id, severity, outcome_of(finding, severity), finding.message,
                      evidence=recorder.answers, details=finding.details)
