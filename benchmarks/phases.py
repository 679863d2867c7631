"""A pytest plugin for the benchmark: wall-clock time of each phase of a run, written as JSON.

Loaded with ``-p phases`` (``benchmarks/`` on PYTHONPATH); writes to the file named by
``$MAILTESTS_BENCH_PHASES``. ``$MAILTESTS_BENCH_T0`` (a ``time.time()`` of the parent
just before it started pytest) gives the start-up phase: interpreter, imports and
plugin loading.
"""

from __future__ import annotations

import gc
import json
import os
import time

import pytest

_marks: dict[str, float] = {}
_gc = {"seconds": 0.0, "full": 0, "started": 0.0}


def _gc_callback(phase: str, info: dict) -> None:
    """Time spent in the cyclic garbage collector (all generations), and how many full collections."""
    if phase == "start":
        _gc["started"] = time.perf_counter()
    else:
        _gc["seconds"] += time.perf_counter() - _gc["started"]
        _gc["full"] += info.get("generation") == 2


gc.callbacks.append(_gc_callback)


def _mark(name: str) -> None:
    _marks.setdefault(name, time.time())


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    _mark("configure")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collection(session: pytest.Session):
    _mark("collection")
    return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collection_finish(session: pytest.Session):
    _mark("warm_up")  # mailtests' pytest_collection_finish runs the warm-up (or starts its process)
    result = yield
    _mark("warm_up_end")
    return result


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtestloop(session: pytest.Session):
    _mark("tests")
    result = yield
    _mark("tests_end")
    return result


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config):
    _mark("terminal_summary")
    result = yield
    _mark("terminal_summary_end")
    return result


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int):
    _mark("sessionfinish")
    from mailtests.plugin import RUN_KEY

    run = session.config.stash.get(RUN_KEY, None)
    forked = getattr(getattr(run, "engine", None), "forked", None)
    if forked is not None:  # before mailtests' sessionfinish closes it
        _gc["tests_waited"] = forked.waited
    result = yield
    _mark("sessionfinish_end")
    if forked is not None and "maxrss_kib" in forked.stats:  # read after mailtests' sessionfinish closed it
        _gc["child_maxrss_kib"] = forked.stats["maxrss_kib"]
    return result


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    _mark("unconfigure")
    path = os.environ.get("MAILTESTS_BENCH_PHASES")
    if path and not hasattr(config, "workerinput"):
        t0 = float(os.environ.get("MAILTESTS_BENCH_T0", _marks["configure"]))
        with open(path, "w", encoding="utf-8") as fh:
            json.dump({**{k: v - t0 for k, v in _marks.items()}, "gc_seconds": _gc["seconds"],
                       "gc_full_collections": _gc["full"],
                       **{k: _gc[k] for k in ("tests_waited", "child_maxrss_kib") if k in _gc}}, fh)


def phase_table(marks: dict[str, float], total: float) -> list[tuple[str, float]]:
    """(phase, seconds) from the marks of one run and its whole wall time."""

    def span(a: str, b: str) -> float:
        return max(0.0, marks.get(b, marks.get(a, 0.0)) - marks.get(a, 0.0))

    summary = span("terminal_summary", "terminal_summary_end")
    rows = [("start-up (interpreter, imports, plugins)", marks.get("configure", 0.0)),
            ("configure", span("configure", "collection")),
            ("collection (domains file, parametrize)", span("collection", "warm_up")),
            ("warm-up (all checks, DNS)", span("warm_up", "warm_up_end")),
            ("test loop (pytest per item, reports per item)", span("tests", "tests_end")),
            *([("of which waiting for the warm-up process's results", marks["tests_waited"])]
              if "tests_waited" in marks else []),
            ("terminal summary (failures, warnings, mailtests)", summary),
            ("session finish (results.json, audit.html, report.html)",
             span("sessionfinish", "sessionfinish_end") - summary),
            ("exit (unconfigure, interpreter teardown)", max(0.0, total - marks.get("sessionfinish_end", total)))]
    if "gc_seconds" in marks:
        rows.append((f"of which cyclic GC, all phases ({marks.get('gc_full_collections', 0)} full collections)",
                     marks["gc_seconds"]))
    return rows
