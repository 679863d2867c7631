"""The DNS Tree Walk of RFC 9989 §4.10: where a domain's DMARC policy is found, and its Organizational Domain.

No public suffix list: the walk asks ``_dmarc.<name>`` for the domain, then for names
above it (a name of 8 or more labels jumps to its last 7), at most 8 questions, and
stops at a record with ``psd=n`` or (above the first name) ``psd=y``. A name with two
or more DMARC records counts as having none (§4.10 step 2). The walk is pure: it asks
through the function it is given, and records every step for the report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import dns.name

from .record import DmarcRecord, is_dmarc, parse

MAX_QUERIES = 8
JUMP_LABELS = 7  # §4.10 step 5: a name of 8 or more labels is shortened to 7


def dmarc_name(name: dns.name.Name) -> dns.name.Name:
    return dns.name.Name((b"_dmarc",) + name.labels)


def targets(domain: dns.name.Name) -> list[dns.name.Name]:
    """The names the walk may ask about, in order: the domain, then up the tree (§4.10 steps 4-8)."""
    out = [domain]
    current = domain
    while len(current.labels) > 2 and len(out) < MAX_QUERIES:  # labels include the root's empty one
        count = len(current.labels) - 1
        keep = JUMP_LABELS if count >= JUMP_LABELS + 1 else count - 1
        current = dns.name.Name(current.labels[-(keep + 1):])
        out.append(current)
    return out


@dataclass
class Step:
    """One question of the walk: the name, the DMARC records there, and what the walk made of them."""

    name: dns.name.Name
    records: list[str] = field(default_factory=list)
    record: DmarcRecord | None = None  # the one record, when there is exactly one
    unasked: str | None = None  # why the name was not asked (outside the zone files of an offline run)

    @property
    def discarded(self) -> bool:
        return len(self.records) > 1

    def to_dict(self) -> dict:
        if self.unasked:
            outcome = f"not asked: {self.unasked}"
        elif not self.records:
            outcome = "no DMARC record"
        else:
            outcome = "one record" if self.record is not None else f"{len(self.records)} records: all discarded (§4.10)"
        try:
            shown = dmarc_name(self.name).to_text()
        except dns.name.NameTooLong:
            shown, outcome = f"_dmarc.{self.name.to_text()}", "too long to be a DNS name"
        return {"name": shown, "outcome": outcome}


@dataclass
class Walk:
    """The walk from ``domain``: every step, the policy record (the first found) and the Organizational Domain."""

    domain: dns.name.Name
    steps: list[Step] = field(default_factory=list)
    exists: bool = True  # False when the domain itself is NXDOMAIN (np then applies)

    @property
    def policy_step(self) -> Step | None:
        """§4.10.1: the first name of the walk with exactly one DMARC record holds the policy."""
        return next((s for s in self.steps if s.record is not None), None)

    @property
    def record(self) -> DmarcRecord | None:
        step = self.policy_step
        return step.record if step else None

    @property
    def found_at(self) -> dns.name.Name | None:
        step = self.policy_step
        return step.name if step else None

    @property
    def applies(self) -> str | None:
        """Which policy tag applies to the domain (§5.1.4-§5.1.7): p at the domain itself; above it, sp, or np
        for a domain that does not exist (each falling back as §4.7 says, see ``DmarcRecord.effective``)."""
        found = self.found_at
        if found is None:
            return None
        if found == self.domain:
            return "p"
        return "sp" if self.exists else "np"

    @property
    def policy(self) -> str | None:
        """The policy that applies (none, quarantine, reject), or None: no DMARC processing."""
        record, applies = self.record, self.applies
        if record is None or applies is None:
            return None
        effective = record.effective
        return effective[applies] if effective else None

    @property
    def discarded(self) -> list[Step]:
        """Names whose several DMARC records were discarded, up to where the policy was found."""
        out = []
        for step in self.steps:
            if step.discarded:
                out.append(step)
            if step.record is not None:
                break
        return out

    @property
    def organizational_domain(self) -> dns.name.Name:
        """§4.10.2: where psd=n was found; one label below a psd=y record; else the record with the fewest labels;
        without any record, the domain itself."""
        found = [s for s in self.steps if s.record is not None]
        for step in found:
            psd = step.record.psd if step.record else "u"
            if psd == "n":
                return step.name
            if psd == "y" and step.name != self.domain:
                return dns.name.Name(self.domain.labels[-(len(step.name.labels) + 1):])
        if found:
            return min(found, key=lambda s: len(s.name.labels)).name
        return self.domain

    def path_text(self) -> str:
        """``_dmarc.a.example.com. (no DMARC record) -> _dmarc.example.com. (one record)``."""
        return " -> ".join(f"{d['name']} ({d['outcome']})" for d in (s.to_dict() for s in self.steps))

    def to_dict(self) -> dict:
        record = self.record
        return {
            "tree_walk": [s.to_dict() for s in self.steps],
            "found_at": dmarc_name(self.found_at).to_text() if self.found_at else None,
            "applies": self.applies,
            "policy": self.policy,
            "organizational_domain": self.organizational_domain.to_text(omit_final_dot=True),
            **({"record": record.text, "parsed": record.to_dict()} if record else {}),
        }


def walk(domain: dns.name.Name, txt: Callable[[dns.name.Name], list[str] | None], exists: bool = True) -> Walk:
    """Walk from ``domain``; ``txt(name)`` gives the TXT strings at a name (each record's strings joined), or None
    when the name cannot be asked (outside the zone files of an offline run): the walk ends there."""
    result = Walk(domain, exists=exists)
    for i, name in enumerate(targets(domain)):
        try:
            qname = dmarc_name(name)
        except dns.name.NameTooLong:  # a name of 248+ octets has no room for _dmarc: nothing can be published there
            result.steps.append(Step(name))
            continue
        texts = txt(qname)
        if texts is None:
            result.steps.append(Step(name, unasked="outside the zone files, and live DNS is off"))
            break
        step = Step(name, [t for t in texts if is_dmarc(t)])
        if len(step.records) == 1:
            step.record = parse(step.records[0])
        result.steps.append(step)
        psd = step.record.psd if step.record else "u"
        if psd == "n" or (psd == "y" and i > 0):
            break
    return result
