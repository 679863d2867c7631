"""pytest-html (4.x) hooks: the title, the run's metadata and a row per test (a (domain, check), or a domain).

Registered by :mod:`mailtests.plugin` only when pytest-html is active. pytest-html 4
does not escape test ids, ``extras.html`` or environment values, and DNS data and
the domains file are written by strangers: every such value is escaped here.

The records of a test (``Result.to_dict()``: one, or a domain test's one per check) travel in
``report.user_properties`` until the plugin's ``tryfirst`` ``pytest_runtest_logreport`` strips
them; the wrapper below runs before any ``tryfirst`` implementation, keeps them as
``report.mailtests_record`` and attaches the evidence extras, in the worker (xdist) or
the only process alike.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .escaping import html as escape
from .render import OUTCOMES, record_html, reference_html, verdict_html, worst
from .runkeys import QUIET_ABOVE as LARGE_RUN
from .runkeys import RECORD_PROPERTY, RUN_KEY

RECORD_ATTR = "mailtests_record"
#: pytest-html's ReportData, kept from the title hook to retitle it when the domains file is known.
_REPORT_KEY = pytest.StashKey[object]()
#: (data-column-type, heading, sortable) of the columns added after "Result".
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("domain", "Domain", True), ("check", "Check", True), ("severity", "Severity", True),
    ("reference", "Reference", False), ("message", "Message", False),
)


def records_of(report: pytest.TestReport) -> list[dict]:
    """The mailtests records a test report carries: one for a test per check, a domain's for a test per domain."""
    records = getattr(report, RECORD_ATTR, None)
    if records is None:
        records = [value for name, value in getattr(report, "user_properties", ()) if name == RECORD_PROPERTY]
    return records


def domain_row_cells(records: list[dict]) -> list[str]:
    """The added cells of a domain test's row: the domain, its checks counted by outcome, the failed ones named."""
    by = {o: [r["check"] for r in records if r["outcome"] == o] for o in OUTCOMES}
    named = "; ".join(f"{o}: {', '.join(by[o])}" for o in ("error", "fail", "warn") if by[o])
    counts = ", ".join(f"{len(by[o])} {o}" for o in OUTCOMES if by[o])
    verdict = verdict_html(worst(r["outcome"] for r in records))
    return [
        f'<td class="col-domain">{escape(records[0]["domain"])}</td>',
        f'<td class="col-check">{len(records)} checks</td>',
        '<td class="col-severity"></td>',
        '<td class="col-reference"></td>',
        f'<td class="col-message">{verdict}: {escape(counts)}{"; " + escape(named) if named else ""}</td>',
    ]


def row_cells(record: dict | list[dict] | None) -> list[str]:
    """The added cells of a row, escaped; empty cells for a report that is no compliance test. A list is a test's
    records: one is shown as that record, more as their domain's row."""
    if isinstance(record, list):
        if len(record) > 1:
            return domain_row_cells(record)
        record = record[0] if record else None
    if record is None:
        return [f'<td class="col-{col}"></td>' for col, _, _ in COLUMNS]
    return [
        f'<td class="col-domain">{escape(record["domain"])}</td>',
        f'<td class="col-check">{escape(record["check"])}</td>',
        f'<td class="col-severity">{escape(record["severity"])}</td>',
        f'<td class="col-reference">{reference_html(record["reference"])}</td>',
        f'<td class="col-message">{verdict_html(record["outcome"])}'
        f'{" [" + escape(record["change"]) + "]" if record.get("change") else ""}: {escape(record["message"])}</td>',
    ]


_writing = False  # whether this run writes an HTML report (--html): else the hooks below do nothing
_config: pytest.Config | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Called when the plugin registers this module (pytest_configure is historic)."""
    global _writing, _config
    _writing = bool(config.getoption("htmlpath", None))
    _config = config


def _with_evidence(record: dict) -> bool:
    """Every row carries its evidence, except passes and skips of a large run (audit.html has all of it):
    pytest-html keeps each row's HTML in memory and its page slows down with every row."""
    run = _config.stash.get(RUN_KEY, None) if _config is not None else None
    return record["outcome"] not in ("pass", "skip") or not getattr(run, "large", False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_logreport(report: pytest.TestReport):
    """Keep the record on the report and attach the evidence extra, before the plugin strips the record."""
    if _writing and getattr(report, RECORD_ATTR, None) is None:
        records = records_of(report)
        if records:
            from pytest_html import extras

            setattr(report, RECORD_ATTR, records)
            report.extras = [*getattr(report, "extras", []),
                             *(extras.html(record_html(r)) for r in records if _with_evidence(r))]
    return (yield)


def pytest_html_report_title(report) -> None:
    """The title names the suite and the domains file (pytest-html escapes the title itself)."""
    config = report.config
    config.stash[_REPORT_KEY] = report
    report.title = f"mailtests compliance report: {config.getoption('domains') or 'domains.yaml'}"


def pytest_html_results_table_header(cells: list[str]) -> None:
    cells[1:1] = [
        f'<th class="sortable" data-column-type="{col}">{head}</th>' if sortable else f"<th>{head}</th>"
        for col, head, sortable in COLUMNS
    ]


def pytest_html_results_table_row(report, cells: list[str]) -> None:
    """Add the record's columns and escape the test id (pytest-html 4 inserts it unescaped)."""
    test_id = report.nodeid if report.when == "call" else f"{report.nodeid}::{report.when}"
    cells[:] = [f'<td class="col-testId">{escape(test_id)}</td>' if c.startswith('<td class="col-testId">') else c
                for c in cells]
    cells[1:1] = row_cells(records_of(report))


def run_metadata(config: pytest.Config, exitstatus: int) -> dict | None:
    """The run's metadata as results.json has it (``run``), or None outside a mailtests run."""
    run = config.stash.get(RUN_KEY, None)
    if run is None or (not run.records and run.engine is None):
        return None
    document = getattr(run, "document", None)
    if document is not None:
        return document["run"]
    from .results import utc_now

    return run.get_settings().metadata(started=run.started, finished=utc_now(), exitstatus=int(exitstatus))


def _escaped(value: object) -> object:
    if isinstance(value, dict):
        return {escape(str(k)): escape(str(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return escape(", ".join(map(str, value)))
    return escape(value) if isinstance(value, str) else value


def environment(meta: dict) -> dict[str, object]:
    """The run's metadata as rows of pytest-html's Environment table (not yet escaped)."""
    versions = meta.get("versions") or {}
    from . import __version__

    suite = versions.get("mailtests")
    return {
        "Suite": f"mailtests {suite if suite and suite != 'not installed' else __version__}",
        "Started (UTC)": meta.get("started", ""),
        "Finished (UTC)": meta.get("finished", ""),
        "Domains file": meta.get("domains_file", ""),
        "Domains file SHA-256": meta.get("domains_file_sha256", ""),
        "Domains": meta.get("domains", ""),
        "Resolvers": ", ".join(meta.get("resolvers") or []) or "none",
        "Zone files": ", ".join(meta.get("zone_files") or []) or "none",
        "Offline": "yes" if meta.get("offline") else "no",
        "Versions": dict(versions),
    }


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Put the run's metadata at the top of the Environment table, every value escaped, before pytest-html renders.

    pytest-html renders in its own ``trylast`` ``pytest_sessionfinish``, so this plain
    implementation always runs first. It reads the run's results document when the
    plugin has kept it (``Run.document``), else asks the settings for the same metadata.
    """
    config = session.config
    if hasattr(config, "workerinput"):
        return
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:  # pragma: no cover - pytest-html 4 requires pytest-metadata
        return
    table = config.stash.get(metadata_key, None)
    meta = run_metadata(config, exitstatus)
    if table is None:
        return
    rows = {**environment(meta), **table} if meta is not None else dict(table)
    table.clear()
    table.update({key: _escaped(value) for key, value in rows.items()})
    report = config.stash.get(_REPORT_KEY, None)
    if meta is not None and report is not None:
        report.title = f"mailtests compliance report: {Path(str(meta.get('domains_file', ''))).name}"


# -- large runs ------------------------------------------------------------------------------------------------


def stand_down(config: pytest.Config) -> Path | None:
    """Take pytest-html's report out of this run; the path it would have written (None when it was off).

    pytest-html keeps every row in memory and renders them in the browser with script:
    a row per test is fine for a few domains and unusable for thousands (its report
    of 1,000 domains is 44 MB and took headless Chromium over a minute to open).
    """
    from pytest_html.basereport import BaseReport

    global _writing
    reports = [p for p in config.pluginmanager.get_plugins() if isinstance(p, BaseReport)]
    for plugin in reports:
        config.pluginmanager.unregister(plugin)
    _writing = False
    if reports:  # and the hooks that only feed its rows (called for each phase of each test)
        config.pluginmanager.unregister(name="mailtests-html")
        html = config.pluginmanager.get_plugin("html")
        if html is not None and hasattr(html, "pytest_runtest_makereport"):
            config.pluginmanager.unregister(html)
    return Path(reports[0]._report_path) if reports else None


def write_pointer(path: Path, audit: Path, results: Path, tests: int, meta: dict) -> Path:
    """A small report.html in place of pytest-html's, saying where this run's report is.

    Written rather than left alone, so that the file at the usual place never shows an earlier run.
    """
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)

    def link(target: Path) -> str:
        return escape(Path(os.path.relpath(target, folder)).as_posix())

    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        "<title>mailtests: the report of this run is audit.html</title></head>\n<body>\n"
        "<h1>mailtests compliance report</h1>\n"
        f"<p>Run of {escape(str(meta.get('domains_file', '')))}, finished {escape(str(meta.get('finished', '')))} "
        f"(UTC): {tests:,} compliance tests.</p>\n"
        f'<p>Its report is <a href="{link(audit)}">audit.html</a>: every result with its reason, RFC reference '
        f'and DNS evidence. For machines: <a href="{link(results)}">results.json</a>.</p>\n'
        f"<p>pytest-html's report (one row per test) is not written for runs of more than {LARGE_RUN:,} tests "
        "unless asked for on the command line: give <code>--html=PATH</code> there (not in an ini file's "
        "addopts) to write it anyway.</p>\n</body></html>\n"
    )
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path
