"""What a large run changes in pytest's outputs, and how the plugin tells which options the user chose."""

from __future__ import annotations

import os
import shlex

import pytest

from .runkeys import RUN_KEY


def chose(config: pytest.Config, *flags: str, ini: bool = True) -> bool:
    """True when the command line, PYTEST_ADDOPTS or (with ``ini``) the ini file's addopts give one of the flags."""
    args = [*config.invocation_params.args, *shlex.split(os.environ.get("PYTEST_ADDOPTS", "")),
            *(config.getini("addopts") if ini else ())]
    return any(a == f or a.startswith(f + "=") or (len(f) == 2 and a.startswith(f) and not a.startswith("--"))
               for a in map(str, args) for f in flags)


def make_large(config: pytest.Config) -> None:
    """A run of more than QUIET_ABOVE compliance results keeps pytest's outputs to what stays fast.

    Failures are reported as the mailtests summary does, one line each (``--tb=no -rN``),
    unless the user chose ``--tb``/``-r``: pytest 9.2's failure summary is quadratic in
    the number of reports (pytest issue 13360) and its tracebacks repeat the summary's
    messages. pytest-html's report is replaced by a page that points to audit.html,
    unless ``--html`` was given on the command line (not only in an ini file's addopts).
    """
    run = config.stash[RUN_KEY]
    run.large = True
    if not chose(config, "--tb"):
        config.option.tbstyle = "no"
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and not chose(config, "-r"):
        reporter.reportchars = ""
    if config.pluginmanager.hasplugin("mailtests-html") and not chose(config, "--html", ini=False):
        from .htmlreport import stand_down

        run.html_pointer = stand_down(config)


def html_rows(config: pytest.Config, large: bool) -> bool:
    """Whether pytest-html writes a row per test in this run (its rows read the records from the test reports):
    ``--html`` is given, and the run is not ``large`` or ``--html`` is on the command line (:func:`make_large`).
    Asked in an xdist worker, where pytest-html is off (the controller writes the report)."""
    return (config.pluginmanager.hasplugin("mailtests-html") and bool(config.getoption("htmlpath", None))
            and (not large or chose(config, "--html", ini=False)))
