"""audit.html: the checks of one domain that failed for one and the same cause, as one row of its findings.

A domain whose name servers do not answer makes each of its checks fail to run; its
section then says so once ("25 checks could not run: SERVFAIL ...", the checks named
and linked) instead of 25 rows saying the same. Grouping is :mod:`mailtests.summary`'s,
shared with the terminal and the job summary; results.json keeps one record per check.
"""

from __future__ import annotations

from html import escape

from .causes import Group, notable_groups
from .render import anchor


def shared_causes(records: list[dict], refs: list[list[int]]) -> dict[int, tuple[Group | None, list[int]]]:
    """For each record of a group of two or more: (its group, the evidence of the whole group) for the first
    record met of the group, (None, []) for the others; records alone in their group are left out."""
    out: dict[int, tuple[Group | None, list[int]]] = {}
    evidence = {id(r): ref for r, ref in zip(records, refs, strict=True)}
    position = {id(r): i for i, r in enumerate(records)}
    for group in notable_groups(records):
        if len(group.records) < 2:
            continue
        first = min(group.records, key=lambda r: position[id(r)])
        cited = list(dict.fromkeys(i for r in group.records for i in evidence[id(r)]))
        for r in group.records:
            out[id(r)] = (group, cited) if r is first else (None, [])
    return out


def cause_row(group: Group, refs: list[int], anc: str, local: dict[int, int], shared: dict[int, int],
              cell: str) -> str:
    """The row of a group: its verdict (``cell``), the checks (linked to the catalog), the cause and the evidence."""
    checks = ", ".join(f'<a href="#{anchor(c, "c-")}">{escape(c)}</a>' for c in group.checks)
    change = f"[{escape(group.change)}] " if group.change else ""
    row = [f"<tr>{cell}<td>{len(group.records)} checks<br><small>{checks}</small>"
           f"<td>{change}{escape(group.text())}<br><small>"]
    if refs:
        links = (f'<a href="#s-{shared[i]}">S{shared[i]}</a>' if i in shared else
                 f'<a href="#{anc}~{local[i]}">{local[i]}</a>' for i in refs if i in shared or i in local)
        row.append("evidence " + " ".join(links))
    row.append("</small>\n")
    return "".join(row)
