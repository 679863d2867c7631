"""Evidence as text and as escaped HTML. DNS data is written by strangers: everything is escaped."""

from __future__ import annotations

import html

from .result import Result


def evidence_text(result: Result) -> str:
    """The DNS questions and answers behind a result, dig-like, one block per question."""
    if not result.evidence:
        return ";; no DNS question was needed"
    return "\n\n".join(answer.to_dig() for answer in result.evidence)


def evidence_html(result: Result) -> str:
    """An escaped ``<pre>`` block of :func:`evidence_text`, for pytest-html's extras."""
    head = html.escape(f"{result.check} [{result.domain}]: {result.outcome.value}: {result.message}")
    return f'<div class="mailtests-evidence"><p>{head}</p><pre>{html.escape(evidence_text(result))}</pre></div>'
