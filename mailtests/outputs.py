"""The run's two report files, results.json and audit.html, written at its end from one document."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .aside import beside
from .audit_html import write_audit_html
from .results import results_document, write_results
from .runkeys import QUIET_ABOVE

#: From QUIET_ABOVE up to this many results of forked warm-up processes, results.json is written in a forked child
#: beside audit.html (mailtests/aside.py). Below, both take milliseconds (less than a fork); above, the child
#: would copy too much of the run's memory (the page of every record it reads). With the warm-up in the pytest
#: process (threads, off) or in xdist's controller, that process holds the run's whole heap, and the child copied
#: a good share of it (at 1,000 domains: 417 MiB for all processes with --warmup=threads, 267 MiB without the
#: child; 1,368 against 940 MiB with -n 2): there, one file after the other.
WRITE_BESIDE_UP_TO = 100_000


def write_reports(meta: dict, records: Iterable[dict], out: Path, forked: bool) -> dict:
    """Write ``out``/results.json and ``out``/audit.html of ``records`` (which become the document's, citing its
    answers by number) and return the document. ``forked``: the results came from forked warm-up processes."""
    document = results_document(meta, records, consume=True)
    beside_ok = forked and QUIET_ABOVE < len(document["results"]) <= WRITE_BESIDE_UP_TO
    with beside(lambda: write_results(out / "results.json", document), fork=beside_ok):
        write_audit_html(out / "audit.html", document)
    return document
