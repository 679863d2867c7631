"""A pytest plugin for measuring proposed changes to mailtests without editing it (``-p experiments``).

Each change is switched on by an environment variable; the figures are in RESULTS.md,
the diffs that make them permanent in the report:

``BENCH_GC_FREEZE=1``
    ``gc.freeze()`` once the warm-up is done: the run's answers and results move to the
    permanent generation, so later collections (and pytest's five ``gc.collect()`` at
    exit) no longer walk them.
``BENCH_MEMO_TO_DICT=1``
    ``Answer.to_dict()`` computed once per answer: every record that cites an answer
    shares one dict (the run asks each question once; 1,000 domains cite 8,700 answers
    112,000 times).
``BENCH_AUTO_TB=N``
    above N compliance items, ``--tb=no -rN`` unless the command line or addopts chose
    ``--tb``/``-r`` (the terminal summary is quadratic in pytest 9.2, issue 13360).
``BENCH_WORKERS=N``
    the warm-up's thread count (the domains file's ``concurrency``, default 64).
``BENCH_HTML_EXTRAS=failing``
    pytest-html rows carry the DNS evidence only for results that did not pass (audit.html
    has all of it): the evidence of 31,000 passing rows is most of report.html's size, of
    pytest-html's memory and of Chromium's load time.
``BENCH_DNSSEC_STATS=DIR``
    not a change but a measurement: every DNSSEC signature verification of the run
    (``dns.dnssec.validate_rrsig``, which mailtests/dnssec/crypto.py calls once per
    (RRset, RRSIG, key)) counted and timed (CPU of the calling thread) by algorithm;
    each process that made any writes ``DIR/dnssec-<pid>.json`` as it leaves (the forked
    warm-up process leaves through ``os._exit``, so that is wrapped too).
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import shlex
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest


def _chose(config: pytest.Config, *flags: str) -> bool:
    """True when the command line, PYTEST_ADDOPTS or the ini file's addopts name one of the flags."""
    args = [*config.invocation_params.args, *shlex.split(os.environ.get("PYTEST_ADDOPTS", "")),
            *config.getini("addopts")]
    return any(a == f or a.startswith(f + "=") or (len(f) == 2 and a.startswith(f) and not a.startswith("--"))
               for a in map(str, args) for f in flags)


def _dnssec_stats(folder: Path) -> None:
    """Count and time dns.dnssec.validate_rrsig (see BENCH_DNSSEC_STATS), written per process as it leaves."""
    import dns.dnssec

    folder.mkdir(parents=True, exist_ok=True)
    validate = dns.dnssec.validate_rrsig
    stats: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])  # algorithm -> [calls, CPU s, wall s]
    lock = threading.Lock()

    def timed(rrset, rrsig, keys, *args, **kwargs):
        cpu, wall = time.thread_time(), time.perf_counter()
        try:
            return validate(rrset, rrsig, keys, *args, **kwargs)
        finally:
            cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
            with lock:
                entry = stats[dns.dnssec.algorithm_to_text(rrsig.algorithm)]
                entry[0] += 1
                entry[1] += cpu
                entry[2] += wall

    def dump() -> None:
        if stats:
            found = {alg: {"calls": int(c), "cpu_s": cpu, "wall_s": wall} for alg, (c, cpu, wall) in stats.items()}
            (folder / f"dnssec-{os.getpid()}.json").write_text(json.dumps(found))
            stats.clear()

    exit_now = os._exit

    def leave(status: int) -> None:
        try:
            dump()
        finally:
            exit_now(status)

    dns.dnssec.validate_rrsig = timed
    os._exit = leave
    atexit.register(dump)
    os.register_at_fork(after_in_child=stats.clear)  # a forked process counts its own verifications only


def pytest_configure(config: pytest.Config) -> None:
    stats = os.environ.get("BENCH_DNSSEC_STATS")
    if stats:
        _dnssec_stats(Path(stats))
    if os.environ.get("BENCH_MEMO_TO_DICT"):
        from mailtests.dnslayer.answer import Answer

        plain = Answer.to_dict

        def to_dict(self: Answer) -> dict:
            found = self.__dict__.get("_dict")
            if found is None:
                found = self.__dict__["_dict"] = plain(self)
            return found

        Answer.to_dict = to_dict  # type: ignore[method-assign]
    if os.environ.get("BENCH_HTML_EXTRAS") == "failing":
        from mailtests import htmlreport

        full = htmlreport.record_html
        htmlreport.record_html = lambda record: "" if record["outcome"] in ("pass", "skip") else full(record)
    workers = os.environ.get("BENCH_WORKERS")
    if workers:
        from mailtests import session

        original = session.Settings.from_pytest.__func__  # type: ignore[attr-defined]

        def from_pytest(cls, pyconfig):
            settings = original(cls, pyconfig)
            settings.concurrency = int(workers)
            return settings

        session.Settings.from_pytest = classmethod(from_pytest)  # type: ignore[method-assign]


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    limit = os.environ.get("BENCH_AUTO_TB")
    if limit and len(session.items) > int(limit):
        if not _chose(config, "--tb"):
            config.option.tbstyle = "no"
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and not _chose(config, "-r"):
            reporter.reportchars = ""
    if os.environ.get("BENCH_GC_FREEZE"):
        gc.collect()
        gc.freeze()
