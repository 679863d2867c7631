"""SPF verdicts that agree with each other (issue 16, items 6 and 7): a test per row of the deviation table.

spf.syntax and spf.authorizes-senders both follow RFC 7208; where pyspf reads a record
otherwise, spf.authorizes-senders says the RFC's result, grades by it, and says what
receivers that evaluate with pyspf return (a WARN when the RFC's result is a pass).
"""

from __future__ import annotations

import pytest

from mailtests.spf import deviations, parse
from tests.test_checks_spf import FAIL, PASS, WARN, run

TARGET = {"b.example.com": [{"TXT": "v=spf1 ip4:192.0.2.1 -all"}]}


def verdicts(record: str | list[str], ip: str = "192.0.2.1", more: dict | None = None):
    zone = {"example.com": [{"TXT": r} for r in ([record] if isinstance(record, str) else record)],
            **TARGET, **(more or {})}
    return run(zone, "spf.syntax"), run(zone, "spf.authorizes-senders", ips=[ip])


def test_every_row_of_the_table_is_in_the_docstring() -> None:
    for row in deviations.KNOWN:
        assert row.name in deviations.__doc__ and row.section.removeprefix("RFC 7208 ") in deviations.__doc__


def test_duplicate_unknown_modifiers_are_ignored_and_pyspf_is_a_warning() -> None:
    syntax, senders = verdicts("v=spf1 ip4:192.0.2.1 foo=1 foo=2 -all")
    assert syntax.outcome is PASS
    assert senders.outcome is WARN, senders.message
    assert "192.0.2.1 -> permerror" in senders.message and "RFC 7208 §6" in senders.message
    assert senders.details["results"][0]["result"] == "pass"
    assert senders.details["results"][0]["pyspf"]["result"] == "permerror"
    assert senders.details["pyspf_deviations"] == ["duplicate-modifier"]


def test_an_uppercase_redirect_is_a_redirect() -> None:
    syntax, senders = verdicts("v=spf1 REDIRECT=b.example.com")
    assert syntax.outcome is PASS
    assert senders.outcome is WARN, senders.message  # RFC: the target's pass; pyspf: neutral
    assert "192.0.2.1 -> neutral" in senders.message and "§4.6.1" in senders.message
    _, refused = verdicts("v=spf1 REDIRECT=b.example.com", ip="192.0.2.77")
    assert refused.outcome is FAIL and "192.0.2.77 -> fail" in refused.message  # the target's -all, by the RFC
    assert refused.details["results"][0]["pyspf"]["result"] == "neutral"


def test_redirect_twice_in_two_cases_is_a_permerror_for_both_checks() -> None:
    syntax, senders = verdicts("v=spf1 redirect=b.example.com REDIRECT=b.example.com")
    assert syntax.outcome is FAIL and senders.outcome is FAIL
    assert "permerror" in senders.message and "redirect= appears more than once" in senders.message
    assert "get another result: 192.0.2.1 -> pass" in senders.message


@pytest.mark.parametrize("record", ["v=spf1 ip4:192.0.2.1 foo=b\tar -all", "v=spf1 ip4:192.0.2.1 -all foo=bar\n",
                                    "v=spf1 a:b.example.com/24\n -all"])
def test_a_tab_or_line_feed_is_a_syntax_error_for_both_checks(record: str) -> None:
    syntax, senders = verdicts(record, more={"b.example.com": [{"A": "192.0.2.1"}]})
    assert syntax.outcome is FAIL and senders.outcome is FAIL, senders.message
    assert "192.0.2.1 -> permerror (syntax error" in senders.message
    assert "get another result: 192.0.2.1 -> pass" in senders.message
    assert "control-characters" in senders.details["pyspf_deviations"]


def test_spf1_and_a_line_feed_is_no_second_record() -> None:
    syntax, senders = verdicts(["v=spf1 ip4:192.0.2.1 -all", "v=spf1\n"])
    assert syntax.outcome is PASS and run({"example.com": [{"TXT": "v=spf1 -all"}, {"TXT": "v=spf1\n"}]},
                                          "spf.single").outcome is PASS
    assert senders.outcome is WARN and "192.0.2.1 -> permerror" in senders.message, senders.message


@pytest.mark.parametrize("record", ["v=spf1 ip4:192.0.2.1 a:%{d0}.example.com -all",
                                    "v=spf1 ip4:192.0.2.1 a:%{d!}.example.com -all",
                                    "v=spf1 ip4:192.0.2.1 a:%{.example.com -all"])
def test_bad_macros_are_a_permerror_for_both_checks(record: str) -> None:
    syntax, senders = verdicts(record)
    assert syntax.outcome is FAIL and senders.outcome is FAIL
    assert "192.0.2.1 -> permerror (syntax error" in senders.message and "-> pass" in senders.message
    assert senders.details["pyspf_deviations"] == ["bad-macro"]


def test_percent_percent_at_the_end_of_a_domain_is_valid() -> None:
    syntax, senders = verdicts("v=spf1 ip4:192.0.2.1 a:example.com%% -all")
    assert syntax.outcome is PASS
    assert senders.outcome is WARN and "192.0.2.1 -> permerror" in senders.message, senders.message
    assert senders.details["pyspf_deviations"] == ["percent-at-end"]
    _, refused = verdicts("v=spf1 ip4:192.0.2.9 a:example.com%% -all", ip="192.0.2.77")
    assert refused.outcome is FAIL and "192.0.2.77 -> fail" in refused.message  # looked up example.com%: no match


def test_a_record_both_read_alike_is_evaluated_once() -> None:
    syntax, senders = verdicts("v=spf1 ip4:192.0.2.1 -all")
    assert syntax.outcome is PASS and senders.outcome is PASS and "pyspf" not in senders.details["results"][0]


@pytest.mark.parametrize("letter", ["c", "r", "t", "C"])
def test_c_r_and_t_macros_only_in_explanation_text(letter: str) -> None:
    """RFC 7208 §7.2: an unknown modifier's value is a macro-string, not explanation text."""
    record = parse(f"v=spf1 foo=%{{{letter}}} -all")
    assert record.errors and "allowed in explanation text only (§7.2)" in record.errors[0]
    assert parse("v=spf1 foo=%{d}.%{i} -all").errors == []
    syntax, senders = verdicts(f"v=spf1 ip4:192.0.2.1 foo=%{{{letter}}} -all")
    assert syntax.outcome is FAIL and senders.outcome is FAIL
