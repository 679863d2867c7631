"""The short terminal summary at the end of a run: one line per failure or warning, and DNS statistics."""

from __future__ import annotations

from pathlib import Path

from .results import summarize


def write_summary(tr, records: list[dict], dns_stats: dict[str, int], results_path: Path | None) -> None:
    counts = summarize(records)
    tr.write_sep("=", "mailtests summary")
    notable = [r for r in records if r["outcome"] in ("fail", "error", "warn")]
    order = {"fail": 0, "error": 1, "warn": 2}
    for r in sorted(notable, key=lambda r: (r["domain"], order[r["outcome"]], r["check"])):
        tr.write_line(f"{r['outcome'].upper():5} {r['domain']} {r['check']}: {r['message']}")
    tr.write_line(", ".join(f"{n} {k}" for k, n in counts.items()) + f" ({len(records)} results)")
    tr.write_line(f"DNS: {dns_stats['sent']} questions asked, {dns_stats['cached']} answered from the run's cache")
    if results_path is not None:
        tr.write_line(f"results: {results_path}")
