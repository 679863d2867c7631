"""The pytest glue: options, parametrization by domain, the warm-up, result records and reports.

Registered through the ``pytest11`` entry point, so ``pytest --pyargs mailtests``
runs the suite anywhere the package is installed. Nothing here runs unless the
compliance tests in :mod:`mailtests.suite` are collected.
"""

from __future__ import annotations

import gc
import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .catalog import AREAS, BY_TEST_NAME
from .escaping import terminal
from .grouping import DOMAIN_TEST, Selection, SuiteCheck, grouped, suite_check
from .items import RESULT_KEY, CheckItem, DomainItem, run_lean
from .largerun import html_rows, make_large
from .options import add_command_line_options, check_path_options
from .record_store import PACK_ABOVE, RecordStore
from .result import FAILING
from .runkeys import QUIET_ABOVE, RECORD_PROPERTY, RUN_KEY
from .session import Engine, Settings, SettingsError
from .workers import mine, pack_records, worker_index

_NO_KEYWORDS: dict = {}  # the keywords of every compliance test's report (see pytest_runtest_makereport)
_current_run: Run | None = None  # pytest_runtest_logreport gets no config: the run of the current session


@dataclass
class Run:
    """What the run keeps across hooks: settings and engine (made on first need) and the records."""

    config: pytest.Config
    started: str = ""
    settings: Settings | None = None
    engine: Engine | None = None
    # every record of the run, packed in a large one (record_store.PACK_ABOVE); once the reports are written, the
    # document's list of them
    records: RecordStore | list[dict] = field(default_factory=RecordStore)
    dns_stats: dict[str, int] = field(default_factory=lambda: {"sent": 0, "cached": 0})
    results_path: Path | None = None
    document: dict | None = None  # the results document once written: htmlreport reads its metadata
    large: bool = False  # more than QUIET_ABOVE compliance tests: the heavy per-test outputs are trimmed
    html_pointer: Path | None = None  # a large run's report.html: a page pointing to audit.html (pytest-html off)
    warmup_failure: str | None = None  # why the warm-up process stopped early (its results were computed here)
    warmed: dict[str, list[str]] = field(default_factory=dict)  # -n N: the domains each xdist worker warmed up
    bulk: bool = False  # an xdist worker that sends its records all at once at the end (see _send_in_bulk)
    grouped: bool | None = None  # a test per domain rather than per (domain, check): mailtests.grouping
    suite_checks: list[SuiteCheck] = field(default_factory=list)  # what a domain test asserts (grouped runs)

    def get_settings(self) -> Settings:
        if self.settings is None:
            try:
                self.settings = Settings.from_pytest(self.config)
            except SettingsError as exc:
                raise pytest.UsageError(terminal(str(exc))) from None
        return self.settings

    def is_grouped(self) -> bool:
        if self.grouped is None:
            self.grouped = grouped(self.config, len(self.get_settings().domains))
        return self.grouped

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
    group.addoption("--test-per", choices=("auto", "check", "domain"), default="auto", dest="test_per",
                    help="collect a test per (domain, check), or one per domain asserting each of its checks (auto, "
                         "the default: per domain above 100 domains); results.json has a record per check either way")
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
    from . import xdisthooks

    config.pluginmanager.register(xdisthooks, "mailtests-xdist")
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
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj) -> list[pytest.Item] | None:
    """Each compliance test runs once per domain (or, for resolver health, once per resolver); in a grouped run
    (mailtests.grouping) a domain's checks are asserted by one test, collected from ``test_domains.py``."""
    if name == DOMAIN_TEST and getattr(obj, "__module__", "") == "mailtests.suite.test_domains":
        run = collector.config.stash[RUN_KEY]
        if not run.is_grouped():
            return []
        return [DomainItem.from_parent(collector, name=f"{name}[{entry.name}]", function=obj, subject=entry.name)
                for entry in run.get_settings().domains]
    if not _is_suite_function(name, obj):
        return None
    if list(inspect.signature(obj).parameters) != ["result"]:
        raise pytest.UsageError(f"{obj.__module__}.{name}: a compliance test takes one argument, `result`")
    run = collector.config.stash[RUN_KEY]
    settings = run.get_settings()
    spec = BY_TEST_NAME[name]
    if not spec.per_run and run.is_grouped():  # asserted by each domain's test
        run.suite_checks.append(suite_check(collector, name, obj, spec.id))
        return []
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


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]):
    """A grouped run's domain tests are kept out of pytest's ``-k``/``-m``, which would judge a domain as a whole:
    each is given the checks the expressions select for it (mailtests.grouping), and left out when none."""
    run = config.stash[RUN_KEY]
    if not run.grouped:
        return (yield)
    if not run.suite_checks:  # test_domains.py named alone: its tests would assert nothing
        items[:] = [item for item in items if not isinstance(item, DomainItem)]
        return (yield)
    domains = [item for item in items if isinstance(item, DomainItem)]
    if not domains:  # the suite's modules named one by one, without test_domains.py: a test per domain still
        from .suite.test_domains import test_domain

        parent = run.suite_checks[0].collector
        domains = [DomainItem.from_parent(parent, name=f"{DOMAIN_TEST}[{entry.name}]", function=test_domain,
                                          subject=entry.name) for entry in run.get_settings().domains]
    first = next((i for i, item in enumerate(items) if isinstance(item, DomainItem)), len(items))
    before = {id(item) for item in items[:first]}
    items[:] = [item for item in items if not isinstance(item, DomainItem)]
    result = yield
    selection = Selection.of(config)
    checks = tuple(selection.by_mark(run.suite_checks))
    kept, dropped = [], []
    for item in domains:
        item.checks = tuple(selection.for_domain(checks, item.subject))
        (kept if item.checks else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    at = sum(1 for item in items if id(item) in before)
    items[at:at] = kept
    return result


def pytest_collection_finish(session: pytest.Session) -> None:
    pairs = [pair for item in session.items if isinstance(item, (CheckItem, DomainItem)) for pair in item.pairs]
    if not pairs or session.config.option.collectonly:
        return
    run = session.config.stash[RUN_KEY]
    collected = len(pairs)
    if collected > PACK_ABOVE and isinstance(run.records, RecordStore):
        run.records.pack_from_now()
    engine = run.get_engine()
    dead = engine.check_resolvers()
    if dead:
        message, results = dead
        if run.get_settings().runs_per_run_checks:  # a shard other than 1 leaves resolver health to shard 1
            run.records.extend(r.to_dict() for r in results)
        pytest.exit(terminal(f"resolver.reachable: {message}"), returncode=pytest.ExitCode.INTERRUPTED)
    # What collection made lives until the end: out of the collector's way before the warm-up forks (a collection
    # after the fork would touch, and so copy, every page the two processes share)
    gc.collect()
    gc.freeze()
    mode = session.config.getoption("warmup")
    if mode != "off":
        share = worker_index(session.config)
        if share is not None:  # -n N, scheduled by domain share: this worker computes its own domains only
            pairs = [pair for pair in pairs if mine(*pair, *share)]
        # an xdist worker runs beside others already: threads, no process of its own
        engine.warm_up(pairs, "threads" if hasattr(session.config, "workerinput") else mode,
                       session.config.getoption("warmup_processes"))
    large = collected > QUIET_ABOVE  # as the controller of xdist's workers judges it: by all the tests
    if large:
        make_large(session.config)
    if hasattr(session.config, "workerinput"):
        run.bulk = not html_rows(session.config, large)
    # So do the answers and results of a warm-up in threads (later full collections, and pytest's gc.collect() at
    # exit, no longer walk them)
    gc.freeze()


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session):
    """A large run's test loop goes without the cyclic GC: results stream in from the warm-up process and
    each full collection would walk all of them again (4 s of 1,000 domains' run). What the loop made lives
    until the end of the run: it joins the frozen generation, out of the way of pytest's collections at exit."""
    with _collector_paused(session.config.stash[RUN_KEY].large):
        return (yield)


@contextmanager
def _collector_paused(large: bool) -> Iterator[None]:
    """No cyclic GC in a large run's phase (``large``); what the phase made joins the frozen generation."""
    pause = large and gc.isenabled()
    if pause:
        gc.disable()
    try:
        yield
    finally:
        if pause:
            gc.freeze()
            gc.enable()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if call.when == "teardown":
        found = item.stash.get(RESULT_KEY, None)
        if found is not None:  # the test is over: its record (made below or before) is all the run keeps
            del item.stash[RESULT_KEY]
    if isinstance(item, (CheckItem, DomainItem)):
        # pytest copies the item's keywords into each of its three reports, and the terminal keeps every report
        # to the end (a third of a GiB at 10,000 domains); no reader of a compliance test's report uses them.
        report.keywords = _NO_KEYWORDS
    found = item.stash.get(RESULT_KEY, None)
    if found is None:
        return report
    final = call.when == "call" or (call.when == "setup" and report.skipped)
    if final:
        report.user_properties += [(RECORD_PROPERTY, r.to_dict()) for r in found]
        if item.config.getoption("xmlpath", None):  # --junitxml: its test cases carry the check and outcome
            if isinstance(item, CheckItem):
                item.user_properties += [("check", found[0].check), ("outcome", found[0].outcome.value)]
            else:
                item.user_properties += [("checks", str(len(found))),
                                         ("failed", " ".join(r.check for r in found if r.outcome in FAILING))]
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    records = []
    kept = []
    for name, value in report.user_properties:
        if name == RECORD_PROPERTY:
            records.append(value)
        else:
            kept.append((name, value))
    if not records:
        return
    if _current_run is not None and hasattr(_current_run.config, "workerinput") and not _current_run.bulk:
        return  # an xdist worker sends the record on with the report: the controller keeps it
    report.user_properties[:] = kept
    if _current_run is not None:
        _current_run.records.extend(records)


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
    from .results import utc_now

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
    # the document and the files go without the cyclic GC too (a 10,000-domain run spent 4.7 s in full
    # collections outside its test loop), and what they made joins the frozen generation, which pytest's
    # collections at exit skip
    with _collector_paused(run.large):
        from .outputs import write_reports

        forked = run.engine is not None and run.engine.forked is not None  # results from warm-up processes
        document = run.document = write_reports(meta, run.records, out, forked=forked)
        run.records = document["results"]  # the same records, now citing the document's answers by number
        run.results_path = out / "results.json"
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
