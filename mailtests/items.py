"""The compliance test items and the lean protocol they run (the pytest glue's per-test part).

:mod:`mailtests.plugin` collects a :class:`CheckItem` per (subject, check), or in a large run
(:mod:`mailtests.grouping`) a :class:`DomainItem` per domain, and hands each to
:func:`run_lean` from its ``pytest_runtest_protocol`` hook.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import pytest

from . import ComplianceWarning
from .escaping import terminal
from .grouping import SuiteCheck
from .result import Outcome, Result
from .runkeys import RUN_KEY

#: The results a test asserts, from its setup until its record is made (a CheckItem: one; a DomainItem: its domain's).
RESULT_KEY = pytest.StashKey[list[Result]]()
_NO_EXTRA_KEYWORDS: frozenset[str] = frozenset()


class CheckItem(pytest.Item):
    """One compliance test: a suite function (the requirement, in words) asserted on one subject's result.

    The suite's functions are collected as one light item per (subject, check) rather
    than as a parametrized ``pytest.Function``: at 31 tests a domain, the fixture request
    each function item builds was a third of pytest's own time per test. Node ids
    (``test_ns_present[example.com]``), ``-k``, ``-m``, markers and reports are those
    of a function parametrized by subject.
    """

    def __init__(self, *, function, subject: str, check_id: str, **kwargs) -> None:
        super().__init__(**kwargs)
        # pytest only reads this set (``-k`` matching); one empty set for all is 200 bytes less per test
        self.extra_keyword_matches = _NO_EXTRA_KEYWORDS
        self.obj = function
        self.subject = subject
        self.check_id = check_id
        for mark in getattr(function, "pytestmark", ()):
            self.add_marker(mark)

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return [(self.subject, self.check_id)]

    def setup(self) -> None:
        """Fetch the verdict (computed once per run, usually by the warm-up); skips and gating decide here."""
        engine = self.config.stash[RUN_KEY].get_engine()
        found = engine.result(self.subject, self.check_id)
        self.stash[RESULT_KEY] = [found]
        if found.outcome is Outcome.SKIP:
            pytest.skip(found.message)
        if _excused(engine, found):
            pytest.xfail(f"{found.change} (not a regression of the proposed zones): {found.message}")

    def runtest(self) -> None:
        found = self.stash[RESULT_KEY][0]
        self.obj(result=found)
        if found.outcome is Outcome.WARN:
            _warn(self.obj, found)

    def reportinfo(self):
        return self.path, self.obj.__code__.co_firstlineno - 1, self.name

    def repr_failure(self, excinfo, style=None):
        """A failed assertion shows the suite function's frame, as pytest shows a test function's."""
        if not self.config.getoption("fulltrace", False):
            code = self.obj.__code__
            cut = excinfo.traceback.cut(path=code.co_filename, firstlineno=code.co_firstlineno - 1)
            if len(cut):
                excinfo.traceback = cut
        return super().repr_failure(excinfo, style)


def _excused(engine, found: Result) -> bool:
    """A failure that fails no test: with ``--fail-on regression``, one that is no regression of the proposed zones."""
    return engine.settings.fail_on == "regression" and not found.compliant and not found.is_regression


def _warn(function, found: Result) -> None:
    """A WARN finding, attributed to its suite function as a warning raised in its body."""
    code = function.__code__
    warnings.warn_explicit(ComplianceWarning(f"{found.check} [{found.domain}]: {found.message}"),
                           ComplianceWarning, code.co_filename, code.co_firstlineno, function.__module__)


class DomainItem(pytest.Item):
    """A large run's test: every selected check of one domain, each asserted by its own suite function.

    Collected from ``test_domains.py::test_domain`` as ``test_domain[<domain>]``; ``checks``
    (the checks ``-k``/``-m`` chose for this domain) is set once the whole suite is
    collected. The test fails when one of them fails, and names each that did; every
    check still makes its own result record.
    """

    def __init__(self, *, function, subject: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.extra_keyword_matches = _NO_EXTRA_KEYWORDS
        self.obj = function
        self.subject = subject
        self.checks: tuple[SuiteCheck, ...] = ()

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return [(self.subject, check.check_id) for check in self.checks]

    def setup(self) -> None:
        engine = self.config.stash[RUN_KEY].get_engine()
        found = [engine.result(self.subject, check.check_id) for check in self.checks]
        self.stash[RESULT_KEY] = found
        if all(r.outcome is Outcome.SKIP for r in found):
            pytest.skip(f"all {len(found)} checks skipped; {found[0].check}: {found[0].message}" if found
                        else "no check selected")

    def runtest(self) -> None:
        engine = self.config.stash[RUN_KEY].get_engine()
        failures: list[str] = []
        excused: list[Result] = []
        judged = 0
        for check, found in zip(self.checks, self.stash[RESULT_KEY], strict=True):
            if found.outcome is Outcome.SKIP:
                continue
            judged += 1
            if _excused(engine, found):
                excused.append(found)
                continue
            try:
                check.function(result=found)
                if found.outcome is Outcome.WARN:
                    _warn(check.function, found)
            except (AssertionError, ComplianceWarning):  # a failed check; a WARN under --fail-on-warn
                failures.append(terminal(f"{found.check} [{found.outcome.value}]: {found.message}"))
        self.obj(failures=failures, judged=judged)
        if excused:
            pytest.xfail(f"{len(excused)} failing checks are no regression of the proposed zones: "
                         + ", ".join(r.check for r in excused))

    def reportinfo(self):
        return self.path, self.obj.__code__.co_firstlineno - 1, self.name

    def repr_failure(self, excinfo, style=None):
        """The failed checks, one line each, in place of a traceback (every domain's would be the same)."""
        if isinstance(excinfo.value, AssertionError) and not self.config.getoption("fulltrace", False):
            return f"{terminal(self.subject)}: {excinfo.value}"  # each failure's line escaped in runtest
        return super().repr_failure(excinfo, style)


#: Marks only pytest's own per-phase hooks act on: an item that has one runs the full protocol.
_PHASE_MARKS = frozenset({"skip", "skipif", "xfail", "usefixtures"})
#: Options under which pytest's per-phase hooks show or change something: the full protocol for every item.
_PHASE_OPTIONS = ("setupshow", "setuponly", "setupplan")


@dataclass(frozen=True)
class _LeanProtocol:
    """What the lean protocol needs of the run's options, read once per run rather than three times a test."""

    reraise: tuple[type[BaseException], ...]  # as pytest's runner: KeyboardInterrupt goes to --pdb when it is on
    reporter: object | None  # the terminal, which keeps every report until the end

    def phase(self, item: pytest.Item, when: str, func) -> pytest.TestReport:
        """Run one phase and report it, as pytest's runner does (``call_and_report``)."""
        call = pytest.CallInfo.from_call(func, when=when, reraise=self.reraise)
        ihook = item.ihook
        report = ihook.pytest_runtest_makereport(item=item, call=call)
        ihook.pytest_runtest_logreport(report=report)
        if (call.excinfo is not None and not hasattr(report, "wasxfail")
                and not isinstance(call.excinfo.value, pytest.skip.Exception)):
            ihook.pytest_exception_interact(node=item, call=call, report=report)
        if when != "call" and report.passed:
            self.let_go(report)
        return report

    def let_go(self, report: pytest.TestReport) -> None:
        """pytest's terminal keeps every report to the end, passed setups and teardowns too (``stats[""]``,
        which it never reads): a compliance test's are let go, half of the reports of a run."""
        kept = self.reporter.stats.get("") if self.reporter is not None else None
        if kept and kept[-1] is report:
            kept.pop()


_LEAN_KEY = pytest.StashKey["_LeanProtocol | None"]()


def _lean_protocol(config: pytest.Config) -> _LeanProtocol | None:
    """The run's lean protocol; None under options for which pytest's per-phase hooks show something."""
    if _LEAN_KEY not in config.stash:
        lean = None
        if not any(config.getoption(name, False) for name in _PHASE_OPTIONS):
            reraise: tuple[type[BaseException], ...] = (pytest.exit.Exception,)
            if not config.getoption("usepdb", False):
                reraise += (KeyboardInterrupt,)
            lean = _LeanProtocol(reraise, config.pluginmanager.get_plugin("terminalreporter"))
        config.stash[_LEAN_KEY] = lean
    return config.stash[_LEAN_KEY]


def run_lean(item: pytest.Item) -> bool | None:
    """A compliance test runs a lean protocol: its three phases, each reported through pytest's hooks.

    pytest's own protocol calls ``pytest_runtest_setup``/``call``/``teardown`` around each
    phase, where the capture, logging and fixture plugins switch their machinery on and off:
    at 31 tests a domain that was over a third of the time of a run. A compliance test
    has no fixtures, prints nothing and logs nothing, so its phases are called directly;
    each phase's report is still made and logged by the usual hooks
    (``pytest_runtest_makereport``, ``pytest_runtest_logreport``, ``pytest_exception_interact``),
    which is what the terminal, junitxml, pytest-html, pytest-xdist, ``-x`` and ``--pdb`` use.
    Wrappers of the whole protocol (warnings, faulthandler, pytest-timeout) still wrap it.
    """
    if not isinstance(item, (CheckItem, DomainItem)):
        return None
    lean = _lean_protocol(item.config)
    if lean is None or any(mark.name in _PHASE_MARKS for mark in item.iter_markers()):
        return None
    ihook = item.ihook
    ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    if lean.phase(item, "setup", item.setup).passed:
        lean.phase(item, "call", item.runtest)
    lean.phase(item, "teardown", item.teardown)
    ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True
