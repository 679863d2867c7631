"""The terminal view of a small audit: each domain, each of its areas on a line with its verdict, then what failed.

    example.net  FAIL  2 failed, 1 warning, 14 passed, 6 skipped
      ns       PASS   5 passed
      mx       FAIL   1 failed, 1 passed
        FAIL mx.resolve: MX host(s) of example.net without an A or AAAA record: ... publish ...

Made for a mail administrator who named one or a few domains (``mailtests example.com``):
read at a glance, the worst first within a domain's failures, one line per cause. Colour
comes from pytest's terminal writer (on a terminal, off when piped, ``--color``); every
message from DNS goes through :func:`mailtests.summary.printable`.
"""

from __future__ import annotations

from .catalog import AREAS
from .causes import Group, notable_groups, printable
from .render import worst as worst_of

#: ``--summary-view auto`` shows this view up to this many domains, the one-line summary above.
VIEW_UP_TO = 10
_COLOUR = {"pass": {"green": True}, "fail": {"red": True, "bold": True}, "error": {"red": True, "bold": True},
           "warn": {"yellow": True}, "skip": {}}
_WORDS = {"pass": "passed", "fail": "failed", "error": "could not run", "warn": "warning", "skip": "skipped"}


def counts_text(outcomes: list[str]) -> str:
    parts = []
    for o in ("fail", "error", "warn", "pass", "skip"):
        n = outcomes.count(o)
        if n:
            parts.append(f"{n} {_WORDS[o]}{'s' if o == 'warn' and n > 1 else ''}")
    return ", ".join(parts)


def view_lines(records: list[dict]) -> list[tuple[str, str]]:
    """The view as (text, outcome that colours it, or "") pairs, domains in their order of first result."""
    by_domain: dict[str, list[dict]] = {}
    for r in records:
        by_domain.setdefault(r["domain"], []).append(r)
    order = {area: i for i, area in enumerate(AREAS)}
    width = max((len(a) for a in AREAS), default=8)
    lines: list[tuple[str, str]] = []
    for domain, rows in by_domain.items():
        outcomes = [r["outcome"] for r in rows]
        worst = worst_of(outcomes)
        lines.append((f"{domain}  {worst.upper()}  {counts_text(outcomes)}", worst))
        areas: dict[str, list[dict]] = {}
        for r in rows:
            areas.setdefault(r["check"].split(".", 1)[0], []).append(r)
        by_area: dict[str | None, list[Group]] = {}
        for group in notable_groups(rows):  # a cause shared across areas is told once, under the domain
            group_areas = {check.split(".", 1)[0] for check in group.checks}
            by_area.setdefault(group_areas.pop() if len(group_areas) == 1 else None, []).append(group)
        lines += [(f"  {_group_text(g)}", g.outcome) for g in by_area.get(None, [])]
        for area in sorted(areas, key=lambda a: order.get(a, len(order))):
            area_outcomes = [r["outcome"] for r in areas[area]]
            area_verdict = worst_of(area_outcomes)
            lines.append((f"  {area:<{width}} {area_verdict.upper():<5}  {counts_text(area_outcomes)}", area_verdict))
            lines += [(f"    {_group_text(g)}", g.outcome) for g in by_area.get(area, [])]
    return [(printable(text), outcome) for text, outcome in lines]


def _group_text(group: Group) -> str:
    mark = f" [{group.change}]" if group.change else ""
    if len(group.records) == 1:
        return f"{group.outcome.upper()} {group.checks[0]}{mark}: {group.records[0]['message']}"
    return f"{group.outcome.upper()} {group.text()}{mark}"


def write_domain_view(tr, records: list[dict]) -> None:
    subjects: dict[str, set[str]] = {}
    for r in records:
        subjects.setdefault(r["domain"], set()).add(r["check"].split(".", 1)[0])
    resolvers = sum(1 for areas in subjects.values() if areas == {"resolver"})  # resolver health: once per run
    domains = len(subjects) - resolvers
    title = f"mailtests: {domains} domain{'s' if domains != 1 else ''}"
    if resolvers:
        title += f", {resolvers} resolver{'s' if resolvers != 1 else ''}"
    tr.write_sep("=", title)
    for text, outcome in view_lines(records):
        tr.write_line(text, **_COLOUR.get(outcome, {}))
