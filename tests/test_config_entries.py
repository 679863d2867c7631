"""The quick path of domain entries (mailtests.config_entries) gives the checks' entries and the checks' errors.

Generated domains files mix entries the quick path builds with every way an entry can be
wrong (names, duplicates, helo, DKIM selectors, sending addresses, unknown keys, keys with
no value, skips); each file is loaded with the quick path and without it (the schema and
the checks of mailtests.config for every entry), and the two give the same Config or the
same ``FILE:LINE`` error.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailtests.config import ConfigError, DomainEntry, parse_config
from mailtests.config_entries import QuickEntries
from mailtests.fastyaml import Mapping, Sequence

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "200"))
CAMPAIGN = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])

NAMES = ["a.example", "b.example", "Mixed.Example", "bücher.example", "xn--bcher-kva.example", "a.example.",
         "bad..example", "-bad.example", "1.2.3.4", "  ", "x" * 70 + ".example", "a_b.example", "c.example"]
TEXTS = ["mx.example", "[192.0.2.1]", "  ", "", "two words"]
SELECTORS = ["s1", "S1", "eu.s2", "bad sel", "_x", "-x", "", "s1 "]
IPS = ["192.0.2.1", "2001:db8::1", "192.0.2.1 ", "300.1.2.3", "fe80::1%eth0", "::ffff:192.0.2.1", "", "x"]


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


@st.composite
def entries(draw, broken: bool) -> str:
    """One entry of the ``domains`` list as YAML text (valid ones only unless ``broken``)."""
    names = st.sampled_from(NAMES if broken else [n for n in NAMES if n.strip() and "bad" not in n and "." in n
                                                 and "_" not in n and len(n) < 60 and n != "1.2.3.4"])
    if draw(st.booleans()):
        return f"  - {_q(draw(names))}\n"
    lines = [f"  - name: {_q(draw(names))}"]
    pick = st.sampled_from
    texts = TEXTS if broken else ["mx.example", "[192.0.2.1]", "two words"]
    sels = SELECTORS if broken else ["s1", "eu.s2", "_x", "s9"]
    ips = IPS if broken else ["192.0.2.1", "2001:db8::1"]
    keys = draw(st.lists(pick(["helo", "dkim_selectors", "sending_ips"] + (["skip", "colour"] if broken else [])),
                         unique=True, max_size=4))
    for key in keys:
        if key == "helo":
            listed = draw(st.lists(pick(texts), min_size=0 if broken else 1, max_size=2))
            value = _q(draw(pick(texts))) if draw(st.booleans()) else "[" + ", ".join(map(_q, listed)) + "]"
        elif key == "dkim_selectors":
            value = "[" + ", ".join(_q(s) for s in draw(st.lists(pick(sels), max_size=3, unique=not broken))) + "]"
        elif key == "sending_ips":
            value = "[" + ", ".join(_q(s) for s in draw(st.lists(pick(ips), min_size=0 if broken else 1, max_size=3,
                                                                 unique=not broken))) + "]"
        elif key == "skip":
            value = "\n      - check: dmarc\n        reason: not used"
        else:
            value = "red"
        if broken and draw(st.integers(0, 10)) == 0:
            value = draw(pick(["", "7", "{a: 1}"]))
        lines.append(f"    {key}: {value}")
    return "\n".join(lines) + "\n"


def files(broken: bool):
    return st.lists(entries(broken), min_size=1, max_size=8).map(
        lambda items: "dkim_selectors: [top]\ndomains:\n" + "".join(items))


BUILD = QuickEntries.build


def load(text: str, quick: bool, monkeypatch: pytest.MonkeyPatch):
    with monkeypatch.context() as patch:
        if not quick:
            patch.setattr(QuickEntries, "build", lambda self, items: None)
        try:
            return parse_config(text, Path("domains.yaml"))
        except ConfigError as exc:
            return str(exc)


@CAMPAIGN
@given(files(broken=True))
def test_the_quick_path_gives_the_checks_entries_and_errors(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    assert load(text, True, monkeypatch) == load(text, False, monkeypatch), text


@CAMPAIGN
@given(files(broken=False))
def test_valid_entries_are_built_by_the_quick_path(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    built = []

    def spy(self, items):
        out = BUILD(self, items)
        built.append(out)
        return out

    with monkeypatch.context() as patch:  # (undone after each example: hypothesis reuses the fixture)
        patch.setattr(QuickEntries, "build", spy)
        loaded = load(text, True, monkeypatch)
    assert isinstance(loaded, str) or all(e is not None for e in built[0]), text  # (a duplicate: an error)


def test_each_list_of_selectors_is_judged_once() -> None:
    quick = QuickEntries(DomainEntry)
    first = Sequence(["S1", "eu.s2"])
    assert quick.selector_list(first) == ("s1", "eu.s2")
    assert quick.selector_list(Sequence(["S1", "eu.s2"])) is quick.selector_list(first)
    assert quick.selector_list(Sequence(["s1", "S1"])) is None  # the same selector twice: the checks word it
    assert quick.selector_list(["s1"]) is None  # not the fast readers' list
    assert quick.selector_list(Sequence([Mapping(s="x")])) is None and quick.selector_list(Sequence([1])) is None


def test_the_entries_it_leaves_to_the_checks() -> None:
    quick = QuickEntries(DomainEntry)
    for item in ({"name": "a.example"}, Mapping(name="a.example", skip=[]), Mapping(name="a.example", helo=None),
                 Mapping(name="bad..example"), Mapping(name=7), "bad..example", 7, None):
        assert quick.entry(item, 0) is None, item
    assert quick.entry(Mapping(name="A.example", helo="mx.example"), 4) == DomainEntry(
        "a.example", "a.example", helo=("mx.example",), line=5)
