"""What audit.html is rendered from: the run's subjects (domains, resolvers) and its evidence, counted once.

:mod:`mailtests.audit_html` renders these; they hold no HTML.
"""

from __future__ import annotations

from .catalog import CHECKS
from .render import RANK, worst


class Evidence:
    """The run's answers (the document's ``answers``, numbered by their index there) and how many subjects
    (domains, resolvers) used each."""

    def __init__(self, answers: list[dict]) -> None:
        self.answers = answers
        self.users: list[int] = [0] * len(answers)
        self._last: list[int] = [-1] * len(answers)
        self.shared_label: dict[int, int] = {}

    def refs(self, indexes: list[int], subject: int) -> list[int]:
        """One record's evidence (indexes into ``answers``), counting ``subject`` as a user of each answer."""
        users, last = self.users, self._last
        for i in indexes:
            if last[i] != subject:
                last[i] = subject
                users[i] += 1
        return indexes

    def shared(self, i: int) -> int:
        """The S-number of a shared answer, numbered in order of first mention."""
        label = self.shared_label.get(i)
        if label is None:
            label = self.shared_label[i] = len(self.shared_label) + 1
        return label


class Subject:
    """One domain (or resolver) of the run, with its records sorted worst first."""

    __slots__ = ("name", "records", "refs", "worst", "areas", "resolver")

    def __init__(self, name: str) -> None:
        self.name = name
        self.records: list[dict] = []
        self.refs: list[list[int]] = []
        self.worst = "skip"
        self.areas: dict[str, list[str]] = {}
        self.resolver = False


def collect(results: list[dict], evidence: Evidence) -> list[Subject]:
    """The run's subjects, resolvers first, then the worst first; the subjects using each answer counted in
    ``evidence``."""
    by_name: dict[str, Subject] = {}
    for record in results:
        subject = by_name.get(record["domain"])
        if subject is None:
            subject = by_name[record["domain"]] = Subject(record["domain"])
        subject.records.append(record)
    subjects = list(by_name.values())
    for index, subject in enumerate(subjects):
        subject.records.sort(key=lambda r: (-RANK.get(r["outcome"], 5), r["check"]))
        subject.refs = [evidence.refs(r.get("evidence") or [], index) for r in subject.records]
        for r in subject.records:
            subject.areas.setdefault(r["check"].split(".", 1)[0], []).append(r["outcome"])
        subject.worst = worst(r["outcome"] for r in subject.records)
        specs = [CHECKS[r["check"]] for r in subject.records if r["check"] in CHECKS]
        subject.resolver = bool(specs) and all(spec.per_run for spec in specs)
    regressed = {r["domain"] for r in results if r.get("change") == "regression"}
    subjects.sort(key=lambda s: (not s.resolver, s.name not in regressed, -RANK.get(s.worst, 5), s.name))
    return subjects
