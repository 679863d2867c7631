"""pytest-html hooks: each test row carries its DNS evidence, escaped (DNS data is written by strangers)."""

from __future__ import annotations

from .render import evidence_html


def pytest_html_results_table_html(report, data):
    found = getattr(report, "mailtests_result", None)
    if found is not None:
        data.append(evidence_html(found))
