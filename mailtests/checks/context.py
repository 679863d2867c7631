"""What a check sees: one domain, its configuration, and the DNS through a recorder.

Checks of one domain share facts (the SPF tree, the name server probes, the sending
IPs) through :meth:`Context.shared`: computed once per run, while every check that
uses a fact still lists the DNS answers behind it as its own evidence.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TypeVar

import dns.name

from ..dnslayer.answer import Answer
from ..dnslayer.layer import Recorder, to_name
from ..result import DnsFailure

T = TypeVar("T")


class _Fact:
    """One shared fact: computed once under its lock; its value or error, and the answers it took."""

    __slots__ = ("lock", "done", "value", "error", "answers")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done = False
        self.value: object = None
        self.error: BaseException | None = None
        self.answers: tuple[Answer, ...] = ()


class Facts:
    """The facts a set of checks share (those of one domain, or of the whole run); thread-safe.

    Each fact is computed by the first check that asks for it; a check asking at the same
    time waits for that result instead of computing it again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._facts: dict[Hashable, _Fact] = {}

    def __contains__(self, key: Hashable) -> bool:
        return key in self._facts

    def fact(self, key: Hashable) -> _Fact:
        with self._lock:
            found = self._facts.get(key)
            if found is None:
                found = self._facts[key] = _Fact()
            return found


def _fresh(error: BaseException) -> BaseException:
    """A copy of a remembered exception, so that each check raises its own (tracebacks are per raise)."""
    copy = error.__class__.__new__(error.__class__)
    copy.args = error.args
    copy.__dict__.update(error.__dict__)
    return copy


@dataclass
class Context:
    """The input of a check. ``dns`` records each answer as the check's evidence."""

    domain: str  # lowercase A-label, no trailing dot
    dns: Recorder
    entry: object | None = None  # mailtests.config.DomainEntry (None for run-wide checks)
    config: object | None = None  # mailtests.config.Config
    zone_mode: bool = False  # answers for this domain come from zone files, not live servers
    notes: dict = field(default_factory=dict)
    facts: Facts | None = None  # shared by the checks of this domain (None: nothing is shared)
    run_facts: Facts | None = None  # shared by all checks of the run
    probes: object | None = None  # mailtests.probes.ProbeLayer: SMTP sessions and HTTPS fetches, once per run

    @property
    def name(self) -> dns.name.Name:
        return to_name(self.domain)

    def lookup(self, name: dns.name.Name | str, rdtype: str) -> Answer:
        """An answer that must be definite: a timeout or SERVFAIL raises :class:`DnsFailure`."""
        answer = self.dns.query(name, rdtype)
        if not answer.ok:
            raise DnsFailure(answer)
        return answer

    def shared(self, key: Hashable, compute: Callable[[Context], T], *, run_wide: bool = False,
               errors: tuple[type[BaseException], ...] = (DnsFailure,)) -> T:
        """``compute(ctx)``, computed once per domain (``run_wide``: once per run) and shared under ``key``.

        ``compute`` asks DNS through its own recorder; its answers are added to this
        check's evidence on every call, in the order it asked them, so the check lists
        the same answers as if it had computed the fact itself. An exception of a type
        in ``errors`` is remembered and raised again for every caller; any other one is
        not remembered (the next caller computes again) and propagates unchanged.
        A run-wide fact must not depend on the domain.
        """
        facts = self.run_facts if run_wide else self.facts
        if facts is None or not isinstance(self.dns, Recorder):
            return compute(self)
        fact = facts.fact(key)
        with fact.lock:
            if not fact.done:
                sub = dataclasses.replace(self, dns=Recorder(self.dns.layer))
                try:
                    value = compute(sub)
                except errors as exc:
                    fact.error = exc.with_traceback(None)  # no cycle through this frame; callers raise copies
                except BaseException:
                    self.dns.keep(sub.dns.answers)
                    raise
                else:
                    fact.value = value
                fact.answers = tuple(sub.dns.answers)
                fact.done = True
        self.dns.keep(fact.answers)
        if fact.error is not None:
            raise _fresh(fact.error)
        return fact.value  # type: ignore[return-value]
