"""The short terminal summary at the end of a run: one line per failure or warning (or per cause), regressions first.

The grouping by cause is :mod:`mailtests.causes`; a run of up to ten domains through the
``mailtests`` command shows :mod:`mailtests.domainview` in place of the lines.
"""

from __future__ import annotations

from pathlib import Path

from .causes import notable_groups, printable
from .domainview import VIEW_UP_TO, write_domain_view
from .results import summarize

__all__ = ["summary_lines", "write_summary", "printable"]


def summary_lines(records: list[dict]) -> list[str]:
    """One line per failing or warning result, or per cause shared by several of one domain; with
    --compare-live, regressions first and marked."""
    return [group.line() for group in notable_groups(records)]


def write_summary(tr, records: list[dict], dns_stats: dict[str, int], results_path: Path | None,
                  view: str = "lines") -> None:
    """The summary; ``view`` ``domains`` shows each domain with its areas (:mod:`mailtests.domainview`) in place
    of the lines, ``auto`` does so for up to 10 domains."""
    domains = {r["domain"] for r in records}
    if view == "domains" or (view == "auto" and len(domains) <= VIEW_UP_TO):
        write_domain_view(tr, records)
    else:
        tr.write_sep("=", "mailtests summary")
        for line in summary_lines(records):
            tr.write_line(printable(line))
    counts = summarize(records)
    regressions = sum(1 for r in records if r.get("change") == "regression")
    tail = f", {regressions} regression(s)" if any("change" in r for r in records) else ""
    tr.write_line(", ".join(f"{n} {k}" for k, n in counts.items()) + f" ({len(records)} results{tail})")
    tr.write_line(f"DNS: {dns_stats['sent']} questions asked, {dns_stats['cached']} answered from the run's cache")
    if results_path is not None:
        tr.write_line(f"results: {results_path}")
