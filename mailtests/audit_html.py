"""reports/audit.html: the auditor's static report (being written; see issue 4)."""

from __future__ import annotations

from pathlib import Path


def write_audit_html(path: Path, document: dict) -> Path | None:
    return None
