"""What a check finds, and the record a run keeps of it.

A check returns a :class:`Finding` (did the requirement hold, and why); the
engine turns it into a :class:`Result` using the catalog's severity, so a check
states the RFC's rule and never decides what a failure does to the run.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from .catalog import CHECKS, Severity
from .dnslayer.answer import Answer
from .escaping import terminal

#: The longest message a result keeps (lists in messages are cut well before: checks.common.listing);
#: the evidence and details keep the whole data.
MAX_MESSAGE = 4000


class Outcome(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"
    ERROR = "error"  # the data could not be fetched: never a pass


@dataclass
class Finding:
    """A check's verdict: ``ok`` or not, in words; ``severity`` overrides the catalog's for this finding."""

    ok: bool
    message: str
    skipped: bool = False
    severity: Severity | None = None
    details: dict = field(default_factory=dict)


def passed(message: str, **details) -> Finding:
    return Finding(True, message, details=details)


def failed(message: str, severity: Severity | None = None, **details) -> Finding:
    return Finding(False, message, severity=severity, details=details)


def skipped(reason: str, **details) -> Finding:
    return Finding(True, reason, skipped=True, details=details)


class DnsFailure(Exception):
    """A lookup a check needed got no definite answer (timeout, SERVFAIL, REFUSED, offline)."""

    def __init__(self, answer: Answer):
        super().__init__(answer.describe())
        self.answer = answer


@dataclass
class Result:
    """One (domain, check) verdict with its evidence: a row of the report and a record of results.json."""

    domain: str
    check: str
    severity: Severity
    outcome: Outcome
    message: str
    evidence: list[Answer] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    change: str | None = None  # with --compare-live: regression, fixed, still failing, unchanged
    live: Result | None = None  # with --compare-live: the same check against live DNS

    def __post_init__(self) -> None:
        # every output prints the message: no control character from DNS or a library reaches any (escaping.py)
        message = terminal(self.message)
        if len(message) > MAX_MESSAGE:
            message = f"{message[:MAX_MESSAGE]}... ({len(message) - MAX_MESSAGE} more characters: see the details)"
        self.message = message

    def __repr__(self) -> str:  # short: pytest prints it under a failed assertion
        return f"<{self.check} [{self.domain}]: {self.outcome.value}>"

    @property
    def compliant(self) -> bool:
        """True when the requirement holds or only a non-gating finding was made."""
        return self.outcome in (Outcome.PASS, Outcome.WARN)

    @property
    def is_regression(self) -> bool:
        return self.change == REGRESSION

    def to_dict(self) -> dict:
        spec = CHECKS[self.check]
        return {
            "domain": self.domain,
            "check": self.check,
            "severity": self.severity.value,
            "outcome": self.outcome.value,
            "message": self.message,
            "reference": spec.reference,
            "requirement": spec.requirement,
            "evidence": [a.to_dict() for a in self.evidence],
            "details": self.details,
            **({"change": self.change, "live": {"outcome": self.live.outcome.value, "message": self.live.message}}
               if self.live is not None else {}),
        }


#: The outcomes that fail a test.
FAILING = frozenset({Outcome.FAIL, Outcome.ERROR})
REGRESSION, FIXED, STILL_FAILING, UNCHANGED = "regression", "fixed", "still failing", "unchanged"
_BADNESS = {Outcome.PASS: 0, Outcome.SKIP: 0, Outcome.WARN: 1, Outcome.FAIL: 2, Outcome.ERROR: 2}


def change_between(proposed: Result, live: Result) -> str:
    """How a proposed zone changes a check's verdict against what is live (issue: zone gating)."""
    before, after = _BADNESS[live.outcome], _BADNESS[proposed.outcome]
    if after > before:
        return REGRESSION
    if after < before:
        return FIXED
    return STILL_FAILING if after == 2 else UNCHANGED


def outcome_of(finding: Finding, severity: Severity) -> Outcome:
    """Catalog, "Severity": FAIL fails the test, WARN warns, INFO never gates."""
    if finding.skipped:
        return Outcome.SKIP
    if finding.ok:
        return Outcome.PASS
    return {Severity.FAIL: Outcome.FAIL, Severity.WARN: Outcome.WARN, Severity.INFO: Outcome.PASS}[severity]
