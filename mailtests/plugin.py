"""The pytest glue: options, parametrization by domain, the warm-up, result records and reports.

Registered through the ``pytest11`` entry point, so ``pytest --pyargs mailtests``
runs the suite anywhere the package is installed. Nothing here runs unless the
compliance tests in :mod:`mailtests.suite` are collected.
"""

from __future__ import annotations

import gc
import inspect
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .catalog import AREAS, BY_TEST_NAME
from .escaping import terminal
from .items import RESULT_KEY, CheckItem, run_lean
from .options import add_command_line_options, check_path_options
from .runkeys import QUIET_ABOVE, RECORD_PROPERTY, RUN_KEY
from .session import Engine, Settings, SettingsError
from .workers import mine, pack_records, unpack_records, worker_index

_NO_KEYWORDS: dict = {}  # the keywords of every compliance test's report (see pytest_runtest_makereport)
_current_run: Run | None = None  # pytest_runtest_logreport gets no config: the run of the current session


@dataclass
class Run:
    """What the run keeps across hooks: settings and engine (made on first need) and the records."""

    config: pytest.Config
    started: str = ""
    settings: Settings | None = None
    engine: Engine | None = None
    records: list[dict] = field(default_factory=list)
    dns_stats: dict[str, int] = field(default_factory=lambda: {"sent": 0, "cached": 0})
    results_path: Path | None = None
    document: dict | None = None  # the results document once written: htmlreport reads its metadata
    large: bool = False  # more than QUIET_ABOVE compliance tests: the heavy per-test outputs are trimmed
    html_pointer: Path | None = None  # a large run's report.html: a page pointing to audit.html (pytest-html off)
    warmup_failure: str | None = None  # why the warm-up process stopped early (its results were computed here)
    warmed: dict[str, list[str]] = field(default_factory=dict)  # -n N: the domains each xdist worker warmed up
    bulk: bool = False  # an xdist worker that sends its records all at once at the end (see _send_in_bulk)

    def get_settings(self) -> Settings:
        if self.settings is None:
            try:
                self.settings = Settings.from_pytest(self.config)
            except SettingsError as exc:
                raise pytest.UsageError(terminal(str(exc))) from None
        return self.settings

    def get_engine(self) -> Engine:
        if self.engine is None:
            try:
                self.engine = Engine(self.get_settings())
            except SettingsError as exc:
                raise pytest.UsageError(terminal(str(exc))) from None
        return self.engine


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mailtests", "mailtests: DNS and email compliance")
    group.addoption("--domains", metavar="PATH", default=None,
                    help="the domains file to audit (default: domains.yaml)")
    group.addoption("--resolver", metavar="ADDR[:PORT]", action="append", default=None,
                    help="a resolver to ask (repeatable; overrides the domains file; default: the system's)")
    group.addoption("--dns-timeout", metavar="SECONDS", type=float, default=None,
                    help="seconds to wait for one DNS answer (default: the domains file's, else 2)")
    group.addoption("--dkim-selector", metavar="NAME", action="append", default=None, dest="dkim_selector",
                    help="a DKIM selector to check (repeatable): for the domains named on the command line, and for "
                         "every domain of a domains file that lists none of its own (replaces the file's top-level "
                         "dkim_selectors)")
    group.addoption("--zones", metavar="PATH", action="append", default=None,
                    help="a zone file or folder of zone files that answers for the names in it (repeatable)")
    group.addoption("--offline", action="store_true", default=None,
                    help="never ask live DNS: a name outside the zone files is an error")
    group.addoption("--compare-live", action="store_true", default=False,
                    help="check the zone files and live DNS; mark each result regression, fixed, still failing "
                         "or unchanged")
    group.addoption("--fail-on", choices=("any", "regression"), default="any",
                    help="what fails the run: any failure (default), or only regressions (with --compare-live)")
    group.addoption("--warmup", choices=("process", "threads", "off"), default="process",
                    help="how results are computed ahead of the tests: in a second process that streams them while "
                         "the tests run (default, where it can: Linux, 2+ cores), with threads before the tests, "
                         "or not at all, one test at a time (slowest). The results are the same")
    group.addoption("--fail-on-warn", action="store_true", default=False,
                    help="turn WARN findings (ComplianceWarning) into failures")
    group.addoption("--reports", metavar="DIR", default="reports",
                    help="where results.json (and audit.html) are written (default: reports)")
    group.addoption("--shard", metavar="K/N", default=None,
                    help="test only shard K of N of the domains (a stable split by domain name: reruns and "
                         "`mailtests merge` agree); the resolver checks run in shard 1")
    add_command_line_options(group)
    group.addoption("--trust-anchor", metavar="FILE", default=None,
                    help="DNSSEC trust anchor: DS or DNSKEY records in zone-file format, replacing the built-in IANA "
                         "root KSKs (default: `trust_anchor:` of the domains file, else the IANA root KSKs)")
    group.addoption("--smtp", action="store_true", default=None,
                    help="connect to every MX host on port 25 (smtp.* and dane.match checks; often blocked outbound)")
    group.addoption("--smtp-timeout", metavar="SECONDS", type=float, default=None,
                    help="seconds to wait for each step of an SMTP session (default: the file's smtp_timeout, else 10)")
    group.addoption("--ca-file", metavar="PATH", default=None,
                    help="CA certificates (PEM) for SMTP and MTA-STS certificates, instead of the system's store")


def pytest_configure(config: pytest.Config) -> None:
    from .results import utc_now

    global _current_run
    _current_run = config.stash[RUN_KEY] = Run(config, started=utc_now())
    for area in AREAS:
        config.addinivalue_line("markers", f"{area}: the catalog's {area} checks")
        if "-" in area:  # `-m mta-sts` and `-m mta_sts` both select the area
            config.addinivalue_line("markers", f"{area.replace('-', '_')}: the catalog's {area} checks")
    if config.pluginmanager.hasplugin("html"):
        from . import htmlreport

        config.pluginmanager.register(htmlreport, "mailtests-html")
    if config.getoption("fail_on_warn"):
        config.addinivalue_line("filterwarnings", "error::mailtests.ComplianceWarning")
    check_path_options(config)


SUITE_DIR = Path(__file__).parent / "suite"


def pytest_collectstart(collector: pytest.Collector) -> None:
    """Read and check the domains file before the first compliance module is collected.

    Here, outside any collector's error handling, a bad file stops the run with
    one line and pytest's usage-error exit code instead of a collection error.
    """
    if isinstance(collector, pytest.Module) and collector.path.parent == SUITE_DIR:
        collector.config.stash[RUN_KEY].get_settings()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    """A compliance test runs the lean protocol of :func:`mailtests.items.run_lean`."""
    return run_lean(item)


def _is_suite_function(name: str, obj) -> bool:
    return (name in BY_TEST_NAME and inspect.isfunction(obj)
            and getattr(obj, "__module__", "").startswith("mailtests.suite."))


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj) -> list[CheckItem] | None:
    """Each compliance test runs once per domain (or, for resolver health, once per resolver)."""
    if not _is_suite_function(name, obj):
        return None
    if list(inspect.signature(obj).parameters) != ["result"]:
        raise pytest.UsageError(f"{obj.__module__}.{name}: a compliance test takes one argument, `result`")
    settings = collector.config.stash[RUN_KEY].get_settings()
    spec = BY_TEST_NAME[name]
    if spec.per_run and not settings.runs_per_run_checks:
        subjects = []
    elif spec.per_run:
        try:
            subjects = [str(s) for s in settings.resolver_servers()]
        except SettingsError as exc:
            raise pytest.UsageError(terminal(str(exc))) from None
    else:
        subjects = [entry.name for entry in settings.domains]
    return [CheckItem.from_parent(collector, name=f"{name}[{subject}]", function=obj, subject=subject,
                                  check_id=spec.id) for subject in subjects]


def pytest_collection_finish(session: pytest.Session) -> None:
    pairs = [(item.subject, item.check_id) for item in session.items if isinstance(item, CheckItem)]
    if not pairs or session.config.option.collectonly:
        return
    run = session.config.stash[RUN_KEY]
    engine = run.get_engine()
    dead = engine.check_resolvers()
    if dead:
        message, results = dead
        if run.get_settings().runs_per_run_checks:  # a shard other than 1 leaves resolver health to shard 1
            run.records.extend(r.to_dict() for r in results)
        pytest.exit(terminal(f"resolver.reachable: {message}"), returncode=pytest.ExitCode.INTERRUPTED)
    mode = session.config.getoption("warmup")
    if mode != "off":
        share = worker_index(session.config)
        if share is not None:  # -n N, scheduled by domain share: this worker computes its own domains only
            pairs = [pair for pair in pairs if mine(*pair, *share)]
        # an xdist worker runs beside others already: threads, no process of its own
        engine.warm_up(pairs, "threads" if hasattr(session.config, "workerinput") else mode)
    if len(pairs) > QUIET_ABOVE:
        _large(session.config)
    if hasattr(session.config, "workerinput"):
        run.bulk = not session.config.pluginmanager.hasplugin("mailtests-html") or run.html_pointer is not None
    # The run's answers and results live until the end: move them out of the collector's way (later full
    # collections, and pytest's gc.collect() at exit, no longer walk them).
    gc.collect()
    gc.freeze()


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session):
    """A large run's test loop goes without the cyclic GC: results stream in from the warm-up process and
    each full collection would walk all of them again (4 s of 1,000 domains' run). What the loop made lives
    until the end of the run: it joins the frozen generation, out of the way of pytest's collections at exit."""
    run = session.config.stash[RUN_KEY]
    pause = run.large and gc.isenabled()
    if pause:
        gc.disable()
    try:
        return (yield)
    finally:
        if pause:
            gc.freeze()
            gc.enable()


def _chose(config: pytest.Config, *flags: str, ini: bool = True) -> bool:
    """True when the command line, PYTEST_ADDOPTS or (with ``ini``) the ini file's addopts give one of the flags."""
    args = [*config.invocation_params.args, *shlex.split(os.environ.get("PYTEST_ADDOPTS", "")),
            *(config.getini("addopts") if ini else ())]
    return any(a == f or a.startswith(f + "=") or (len(f) == 2 and a.startswith(f) and not a.startswith("--"))
               for a in map(str, args) for f in flags)


def _large(config: pytest.Config) -> None:
    """A run of more than QUIET_ABOVE compliance tests keeps pytest's outputs to what stays fast.

    Failures are reported as the mailtests summary does, one line each (``--tb=no -rN``),
    unless the user chose ``--tb``/``-r``: pytest 9.2's failure summary is quadratic in
    the number of reports (pytest issue 13360) and its tracebacks repeat the summary's
    messages. pytest-html's report is replaced by a page that points to audit.html,
    unless ``--html`` was given on the command line (not only in an ini file's addopts).
    """
    run = config.stash[RUN_KEY]
    run.large = True
    if not _chose(config, "--tb"):
        config.option.tbstyle = "no"
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and not _chose(config, "-r"):
        reporter.reportchars = ""
    if config.pluginmanager.hasplugin("mailtests-html") and not _chose(config, "--html", ini=False):
        from .htmlreport import stand_down

        run.html_pointer = stand_down(config)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids: list[str]) -> None:
    """pytest-xdist's controller collects nothing itself: it learns the size of the run from a worker."""
    run = node.config.stash.get(RUN_KEY, None)
    if run is not None and not run.large and len(ids) > QUIET_ABOVE:
        suite = sum(1 for nodeid in ids if nodeid.rsplit("::", 1)[-1].split("[", 1)[0] in BY_TEST_NAME)
        if suite > QUIET_ABOVE:
            _large(node.config)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if call.when == "teardown":
        found = item.stash.get(RESULT_KEY, None)
        if found is not None:  # the test is over: its record (made below or before) is all the run keeps
            del item.stash[RESULT_KEY]
    if isinstance(item, CheckItem):
        # pytest copies the item's keywords into each of its three reports, and the terminal keeps every report
        # to the end (a third of a GiB at 10,000 domains); no reader of a compliance test's report uses them.
        report.keywords = _NO_KEYWORDS
    found = item.stash.get(RESULT_KEY, None)
    if found is None:
        return report
    final = call.when == "call" or (call.when == "setup" and report.skipped)
    if final:
        report.user_properties.append((RECORD_PROPERTY, found.to_dict()))
        if item.config.getoption("xmlpath", None):  # --junitxml: its test cases carry the check and outcome
            item.user_properties += [("check", found.check), ("outcome", found.outcome.value)]
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    record = None
    kept = []
    for name, value in report.user_properties:
        if name == RECORD_PROPERTY:
            record = value
        else:
            kept.append((name, value))
    if record is None:
        return
    if _current_run is not None and hasattr(_current_run.config, "workerinput") and not _current_run.bulk:
        return  # an xdist worker sends the record on with the report: the controller keeps it
    report.user_properties[:] = kept
    if _current_run is not None:
        _current_run.records.append(record)


def _share_scheduling(config: pytest.Config) -> bool:
    """``-n N`` without ``--dist``: the controller sends each worker its share of the domains (mailtests.workers)."""
    return (config.getoption("dist", "no") == "load" and config.getoption("numprocesses", None) is not None
            and not _chose(config, "--dist", "-d"))


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    if not _share_scheduling(config):
        return None
    from .workers import make_scheduler

    return make_scheduler(config, log)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """Tell each worker that it gets its share of the domains, so that it warms up those only."""
    if _share_scheduling(node.config):
        from .workers import SHARE_KEY

        node.workerinput[SHARE_KEY] = True


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """pytest-xdist: add a worker's DNS statistics to the run's, and note the domains it warmed up."""
    output = getattr(node, "workeroutput", {})
    stats = output.get("mailtests_dns")
    if stats and _current_run:
        for k in ("sent", "cached"):
            _current_run.dns_stats[k] += stats.get(k, 0)
    if "mailtests_warmed" in output and _current_run:
        _current_run.warmed[str(node.gateway.id)] = list(output["mailtests_warmed"])
    if "mailtests_records" in output and _current_run:
        _current_run.records.extend(unpack_records(output["mailtests_records"]))


@pytest.hookimpl(tryfirst=True)  # before htmlreport's, which reads run.document, and pytest-html's
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash[RUN_KEY]
    if run.engine is not None:
        run.warmup_failure = run.engine.close()
        for key, count in run.engine.dns_counts().items():
            run.dns_stats[key] += count
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controller writes the reports
        session.config.workeroutput["mailtests_dns"] = dict(run.dns_stats)
        session.config.workeroutput["mailtests_warmed"] = run.engine.warmed if run.engine is not None else []
        if run.bulk:
            session.config.workeroutput["mailtests_records"] = pack_records(run.records)
        return
    if not run.records and run.engine is None:
        return
    from .audit_html import write_audit_html
    from .results import results_document, utc_now, write_results

    settings = run.get_settings()
    meta = settings.metadata(started=run.started, finished=utc_now(), exitstatus=int(exitstatus))
    meta["dns_questions"] = dict(run.dns_stats)
    meta["warmup"] = run.engine.warmup if run.engine is not None else "off"
    if run.warmed:  # -n N: how many domains each worker computed, and how many more than one worker did
        meta["warmup_workers"] = {worker: len(domains) for worker, domains in sorted(run.warmed.items())}
        seen = [d for domains in run.warmed.values() for d in set(domains)]
        meta["warmed_twice"] = len(seen) - len(set(seen))
    out = Path(session.config.getoption("reports"))
    if not out.is_absolute():
        out = Path(session.config.invocation_params.dir) / out
    document = run.document = results_document(meta, run.records, consume=True)
    run.records = document["results"]  # the same records, now citing the document's answers by number
    run.results_path = write_results(out / "results.json", document)
    write_audit_html(out / "audit.html", document)
    if run.html_pointer is not None:
        from .htmlreport import write_pointer

        write_pointer(run.html_pointer, out / "audit.html", run.results_path, len(run.records), meta)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(RUN_KEY, None)
    if run is None or (not run.records and run.engine is None) or hasattr(config, "workerinput"):
        return
    from .summary import write_summary

    write_summary(terminalreporter, run.records, run.dns_stats, run.results_path,
                  view=config.getoption("summary_view", "lines"))
    if run.document is not None:
        from . import github

        if github.enabled():  # GitHub Actions: annotations on the lines that cause them, and the job summary
            github.report(terminalreporter, run.document, run.engine, run.settings)
    if any(r.get("details", {}).get("port25_blocked") for r in run.records):
        from .checks.transport import BLOCKED

        terminalreporter.write_line(f"smtp: {BLOCKED}", yellow=True)
    if run.warmup_failure:
        terminalreporter.write_line(terminal(f"warm-up: {run.warmup_failure}; the tests computed their results "
                                             "themselves"),
                                    yellow=True)
    if run.html_pointer is not None:
        terminalreporter.write_line(
            f"report.html: {run.html_pointer} points to audit.html; pytest-html's per-test report is written for "
            f"runs of up to {QUIET_ABOVE:,} tests, or with --html=PATH on the command line")
