"""A test per domain in large runs: when to group, and which of a domain's checks ``-k`` and ``-m`` select.

pytest's own cost per test item is the limit of a large run: on the project's machine
(2 cores, benchmarks/RESULTS.md) 61,003 empty test functions take pytest 67.8 s, and
the suite's lean items still cost 0.57 ms each at 61 checks a domain, 35 of the 56 s
of a 1,000-domain run. Above :data:`GROUP_ABOVE` domains (or with ``--test-per=domain``)
the suite therefore collects one test per domain, ``test_domains.py::test_domain[DOMAIN]``,
that asserts each selected check of the domain; every (domain, check) keeps its own
result record in results.json, audit.html, the terminal summary and the annotations.

``-k`` and ``-m`` keep choosing checks, not domains: each (domain, check) is judged as
pytest judges the test ``test_<check>[<domain>]`` of a smaller run, with pytest's own
expression and matchers (the names of the module chain and of the test, the markers in
scope), and a domain test holds just the checks selected. pytest has no public API for
those matchers; :mod:`_pytest.mark` is imported for them, as pytest-xdist and other
plugins import its internals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

#: Above this many domains, ``--test-per=auto`` (the default) collects one test per domain.
GROUP_ABOVE = 100
#: The module and function of the per-domain test (mailtests/suite/test_domains.py).
DOMAIN_TEST = "test_domain"


@dataclass(frozen=True)
class SuiteCheck:
    """A compliance test function as a domain test asserts it: its check, and what ``-k``/``-m`` match it by."""

    function: object
    check_id: str
    test_name: str
    names: frozenset[str]  # the module chain's names and the markers' (``-k``), the test's own name apart
    marks: tuple  # the markers in scope (``-m``)
    collector: pytest.Collector = field(compare=False)


def suite_check(collector: pytest.Collector, name: str, function, check_id: str) -> SuiteCheck:
    """The names and markers pytest's ``-k``/``-m`` would see on ``name[<domain>]`` collected under ``collector``."""
    chain = [node.name for node in collector.listchain()
             if not isinstance(node, pytest.Session)
             and not (isinstance(node, pytest.Directory) and isinstance(node.parent, pytest.Session))]
    marks = tuple([*getattr(function, "pytestmark", ()), *collector.iter_markers()])
    return SuiteCheck(function, check_id, name, frozenset([*chain, *(mark.name for mark in marks)]), marks,
                      collector)


def grouped(config: pytest.Config, domains: int) -> bool:
    """Whether the run collects a test per domain rather than a test per (domain, check)."""
    choice = config.getoption("test_per", "auto")
    return choice == "domain" or (choice == "auto" and domains > GROUP_ABOVE)


@dataclass
class Selection:
    """The run's ``-k`` and ``-m`` expressions, applied to (domain, check) pairs."""

    keyword: object | None  # a compiled expression, or None when not given
    mark: object | None

    @classmethod
    def of(cls, config: pytest.Config) -> Selection:
        from _pytest.mark import _parse_expression

        keyword = (config.option.keyword or "").lstrip()
        mark = config.option.markexpr or ""
        return cls(_parse_expression(keyword, "Wrong expression passed to '-k'") if keyword else None,
                   _parse_expression(mark, "Wrong expression passed to '-m'") if mark else None)

    def by_mark(self, checks: Sequence[SuiteCheck]) -> Sequence[SuiteCheck]:
        """The checks ``-m`` selects (markers do not depend on the domain)."""
        if self.mark is None:
            return checks
        from _pytest.mark import MarkMatcher

        return [c for c in checks if self.mark.evaluate(MarkMatcher.from_markers(c.marks))]

    def for_domain(self, checks: Sequence[SuiteCheck], domain: str) -> Sequence[SuiteCheck]:
        """Of ``checks`` (already chosen by ``-m``), those ``-k`` selects for ``domain``."""
        if self.keyword is None:
            return checks
        from _pytest.mark import KeywordMatcher

        return [c for c in checks
                if self.keyword.evaluate(KeywordMatcher(c.names | {f"{c.test_name}[{domain}]"}))]
