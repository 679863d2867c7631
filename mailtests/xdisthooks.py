"""pytest-xdist's hooks of the plugin (``-n N``): the size of the run, scheduling by domain share, workers' output.

Registered by :mod:`mailtests.plugin` as ``mailtests-xdist``; the hooks are optional, so
they do nothing where pytest-xdist is not installed.
"""

from __future__ import annotations

import pytest

from .largerun import chose, make_large
from .runkeys import QUIET_ABOVE, RUN_KEY
from .workers import SHARE_KEY, make_scheduler, results_in, unpack_records


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids: list[str]) -> None:
    """pytest-xdist's controller collects nothing itself: it learns the size of the run from a worker."""
    run = node.config.stash.get(RUN_KEY, None)
    if run is not None and not run.large and results_in(ids) > QUIET_ABOVE:
        make_large(node.config)


def _share_scheduling(config: pytest.Config) -> bool:
    """``-n N`` without ``--dist``: the controller sends each worker its share of the domains (mailtests.workers)."""
    return (config.getoption("dist", "no") == "load" and config.getoption("numprocesses", None) is not None
            and not chose(config, "--dist", "-d"))


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    return make_scheduler(config, log) if _share_scheduling(config) else None


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """Tell each worker that it gets its share of the domains, so that it warms up those only."""
    if _share_scheduling(node.config):
        node.workerinput[SHARE_KEY] = True


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """Add a worker's DNS statistics to the run's, its records, and note the domains it warmed up."""
    output = getattr(node, "workeroutput", {})
    run = node.config.stash.get(RUN_KEY, None)
    if run is None:
        return
    for key, count in (output.get("mailtests_dns") or {}).items():
        if key in ("sent", "cached"):
            run.dns_stats[key] += count
    if "mailtests_warmed" in output:
        run.warmed[str(node.gateway.id)] = list(output["mailtests_warmed"])
    if "mailtests_records" in output:
        run.records.extend(unpack_records(output["mailtests_records"]))
