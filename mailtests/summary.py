"""The short terminal summary at the end of a run: one line per failure or warning, regressions first."""

from __future__ import annotations

from pathlib import Path

from .escaping import terminal
from .results import summarize

_ORDER = {"fail": 0, "error": 1, "warn": 2}


def summary_lines(records: list[dict]) -> list[str]:
    """One line per failing or warning result; with --compare-live, regressions first and marked."""
    notable = [r for r in records if r["outcome"] in _ORDER]
    notable.sort(key=lambda r: (r.get("change") != "regression", r["domain"], _ORDER[r["outcome"]], r["check"]))
    lines = []
    for r in notable:
        mark = f" [{r['change']}]" if r.get("change") else ""
        lines.append(terminal(f"{r['outcome'].upper():5} {r['domain']} {r['check']}{mark}: {r['message']}"))
    return lines


def write_summary(tr, records: list[dict], dns_stats: dict[str, int], results_path: Path | None) -> None:
    tr.write_sep("=", "mailtests summary")
    for line in summary_lines(records):
        tr.write_line(line)
    counts = summarize(records)
    regressions = sum(1 for r in records if r.get("change") == "regression")
    tail = f", {regressions} regression(s)" if any("change" in r for r in records) else ""
    tr.write_line(", ".join(f"{n} {k}" for k, n in counts.items()) + f" ({len(records)} results{tail})")
    tr.write_line(f"DNS: {dns_stats['sent']} questions asked, {dns_stats['cached']} answered from the run's cache")
    if results_path is not None:
        tr.write_line(f"results: {results_path}")
