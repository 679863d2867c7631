"""Shared fixtures: the DNS lab (tests/lab), started once per session."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Generator, Iterator

import pytest

from mailtests.audit import Audit
from mailtests.config import Config, load_config
from mailtests.dnslayer import DnsLayer, Server, WireSource
from mailtests.dnslayer.zonefiles import ZoneSource
from tests.lab.lab import Lab

LAB_KEY = pytest.StashKey[Lab]()
MARK_KEY = pytest.StashKey[dict[str, int]]()
LOG_LINES = 300  # per server, in a failing test's report


@pytest.fixture(scope="session")
def lab(pytestconfig: pytest.Config) -> Iterator[Lab]:
    """The running DNS lab: resolver ``lab.resolver``, servers ``lab.servers`` (see tests/lab/README.md)."""
    the_lab = Lab(private_netns="PYTEST_XDIST_WORKER" in os.environ)  # xdist: one lab per worker
    the_lab.start()
    pytestconfig.stash[LAB_KEY] = the_lab
    try:
        yield the_lab
    finally:
        the_lab.stop()


@pytest.fixture(scope="session")
def lab_config(lab: Lab) -> Config:
    """The lab's domains file (tests/lab/domains.yaml), loaded; DNSSEC validates from the lab root's key."""
    return dataclasses.replace(load_config(lab.domains_file), trust_anchor=lab.trust_anchor)


@pytest.fixture(scope="session")
def live(lab: Lab, lab_config: Config) -> Audit:
    """The lab domains through the lab resolver (Unbound), the name servers asked directly."""
    return Audit(DnsLayer(WireSource([Server(*lab.resolver)], timeout=2)), lab_config)


@pytest.fixture(scope="session")
def files(lab: Lab, lab_config: Config) -> Audit:
    """The lab domains from the lab's zone files (zone-file mode), the lab resolver for names outside them."""
    layer = DnsLayer(WireSource([Server(*lab.resolver)], timeout=2), ZoneSource([lab.zone_dir]))
    return Audit(layer, lab_config)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport,
                                                                                           pytest.TestReport]:
    """A failing test that used the lab gets the servers' logs (those written since its setup) in its report."""
    report = yield
    the_lab = item.config.stash.get(LAB_KEY, None)
    if the_lab is not None and "lab" in getattr(item, "fixturenames", ()):
        if call.when == "setup":
            item.stash[MARK_KEY] = the_lab.mark()
        if report.failed:
            since = item.stash.get(MARK_KEY, None) if call.when != "setup" else None
            report.sections.append(("DNS lab logs", the_lab.logs(since=since, max_lines=LOG_LINES)))
    return report


@pytest.fixture(scope="module")
def smtp_lab(lab: Lab) -> Iterator[object]:
    """The transport lab (tests/lab/smtp_lab.py): Postfix, scripted SMTP servers, the MTA-STS policy host.

    Per module: its threads end with the module (a later test may need this process to have one thread, as
    the forked warm-up does)."""
    from tests.lab.smtp_lab import SmtpLab

    servers = SmtpLab()
    servers.start()
    try:
        yield servers
    finally:
        servers.stop()
