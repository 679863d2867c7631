"""Results of one domain that fail for one and the same cause, told once (terminal, job summary, audit.html).

A domain whose name servers do not answer makes every check fail to run, and 25 lines
saying so hide the rest. :func:`cause_of` reads a record's cause: the message, less what
names the check itself (``DNS lookup failed, so mx.present could not be checked: ``) and,
for a lookup that failed, less the question (the same server failing for NS, MX and TXT
is one cause); other messages group when they are identical (a DNSSEC-bogus domain's
checks all say the same). results.json keeps one record per check; only the reports group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .escaping import terminal as printable  # noqa: F401  (the summary's, the view's and the job summary's)

_ORDER = {"fail": 0, "error": 1, "warn": 2}
_DNS_FAILURE = re.compile(r"DNS lookup failed, so \S+ could not be checked: (?P<question>\S+ \S+): (?P<cause>.*)",
                          re.S)
_VERB = {"error": "could not run", "fail": "failed", "warn": "warned"}


def cause_of(record: dict) -> tuple[str, str]:
    """The cause of a record's outcome, the same text for every check it stops, and the question that met it
    ("" when the cause is no failed lookup)."""
    message = record["message"]
    m = _DNS_FAILURE.fullmatch(message)
    if m:
        return m["cause"], m["question"]
    return message, ""


@dataclass
class Group:
    """Notable results of one domain with one outcome, change and cause."""

    domain: str
    outcome: str
    change: str | None
    cause: str
    records: list[dict] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)

    @property
    def checks(self) -> list[str]:
        return [r["check"] for r in self.records]

    def line(self) -> str:
        """``FAIL  example.net mx.resolve: message`` for one result; the count, cause and checks for more."""
        mark = f" [{self.change}]" if self.change else ""
        if len(self.records) == 1:
            r = self.records[0]
            return f"{self.outcome.upper():5} {self.domain} {r['check']}{mark}: {r['message']}"
        return f"{self.outcome.upper():5} {self.domain}{mark}: {self.text()}"

    def text(self) -> str:
        """``25 checks could not run: SERVFAIL ... (asked: ...; checks: ...)`` (without the domain)."""
        asked = ""
        if self.questions:
            shown = ", ".join(self.questions[:3]) + (f" and {len(self.questions) - 3} more"
                                                     if len(self.questions) > 3 else "")
            asked = f"asked: {shown}; "
        checks = ", ".join(self.checks[:6]) + (f" and {len(self.checks) - 6} more" if len(self.checks) > 6 else "")
        return f"{len(self.records)} checks {_VERB.get(self.outcome, self.outcome)}: {self.cause} ({asked}{checks})"


def notable_groups(records: list[dict]) -> list[Group]:
    """The failing, erring and warning results grouped by (domain, outcome, change, cause), in summary order:
    regressions first, then by domain, outcome (fail, error, warn) and first check."""
    notable = [r for r in records if r["outcome"] in _ORDER]
    notable.sort(key=lambda r: (r.get("change") != "regression", r["domain"], _ORDER[r["outcome"]], r["check"]))
    groups: dict[tuple, Group] = {}
    for r in notable:
        cause, question = cause_of(r)
        key = (r["domain"], r["outcome"], r.get("change"), cause)
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(r["domain"], r["outcome"], r.get("change"), cause)
        group.records.append(r)
        if question and question not in group.questions:
            group.questions.append(question)
    return list(groups.values())


