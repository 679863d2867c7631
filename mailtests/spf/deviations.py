"""Where pyspf reads a record otherwise than RFC 7208, and how the RFC's reading is evaluated anyway.

The project grades SPF by RFC 7208; receivers that evaluate with pyspf (postfix-policyd-spf-python,
and the libraries that share its reading) may return another result for the same record.
``spf.authorizes-senders`` evaluates each sending IP both ways and, where they differ,
says which the RFC gives, which pyspf-based receivers return, and why. The known
deviations of pyspf 2.0.14 (found by a campaign that compared generated records with the
project's parser, kept in tests/test_properties.py; tests/test_spf_deviations.py has a
test per row):

=========================  ======================================  ==========================================
deviation                  RFC 7208                                pyspf 2.0.14
=========================  ======================================  ==========================================
duplicate-modifier         §6: unknown modifiers are ignored,      permerror "foo= MUST appear at most once"
``foo=1 foo=2``            however often they appear               (its rule for redirect= applied to all)
modifier-case              §4.6.1, §12: names are case-insensitive ``REDIRECT=``/``EXP=`` taken as unknown
``REDIRECT=b.example``     ``REDIRECT=`` is redirect=              modifiers: ignored (neutral, not the target's
                                                                   result); ``redirect= REDIRECT=`` no duplicate
control-characters         §12: terms are visible ASCII separated  an LF or TAB inside an unknown modifier's
``foo=a<TAB>b``,           by spaces: anything else is a syntax    value, an LF after a CIDR length (Python's
``a/24<LF>``               error (permerror, §4.6)                 ``$``) accepted; ``v=spf1<LF>`` counted as an
                                                                   SPF record (§4.5)
bad-macro                  §7.1, §7.3: ``%{d0}`` (a zero digit     accepted: ``%{d0}`` as all labels, any
``%{d0}``, ``%{d!}``,      transformer), ``%{d!}`` (a delimiter    delimiter, ``%{`` as literal text
``%{``                     outside ``.-+,/_=``) and an unclosed
                           ``%{`` are syntax errors (permerror)
percent-at-end             §7.1: domain-end may be a macro-expand, permerror "invalid-macro-char" (its check
``a:example.com%%``        and ``%%`` is one: the name ends in %   for a lone ``%`` at the end matches ``%%``)
=========================  ======================================  ==========================================

The RFC's result is computed with pyspf itself, over the RFC's reading of each record
(:func:`rfc_reading`): a record with a syntax error becomes one pyspf rejects too; unknown
modifiers (ignored by the RFC) are dropped; ``redirect``/``exp`` names are lowercased; a
domain-spec ending in ``%%`` is expanded by :class:`RfcQuery`. Everything else about the
evaluation (lookup limits, void lookups, macros) stays pyspf's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import spf as pyspf

from .record import KNOWN_MODIFIERS, is_spf, parse

#: The stand-in for a record with a syntax error: pyspf rejects it ("Unknown mechanism found").
SYNTAX_ERROR = "mailtests-rfc7208-syntax-error"


@dataclass(frozen=True)
class Deviation:
    """One row of the table above."""

    name: str
    section: str
    rfc: str
    pyspf: str
    fix: str


DUPLICATE_MODIFIER = Deviation(
    "duplicate-modifier", "RFC 7208 §6", "unknown modifiers are ignored however often they appear",
    "pyspf returns permerror for a modifier name that appears twice", "remove the repeated modifier")
MODIFIER_CASE = Deviation(
    "modifier-case", "RFC 7208 §4.6.1", "modifier names are case-insensitive (REDIRECT= is redirect=)",
    "pyspf takes redirect=/exp= only in lowercase and ignores the others", "write redirect= and exp= in lowercase")
CONTROL_CHARACTERS = Deviation(
    "control-characters", "RFC 7208 §12", "a record is visible ASCII terms separated by spaces: an LF or TAB is "
    "a syntax error", "pyspf accepts an LF or TAB in a modifier's value, an LF after a CIDR length, and counts "
    "'v=spf1' followed by an LF as an SPF record", "remove the line feeds and tabs")
BAD_MACRO = Deviation(
    "bad-macro", "RFC 7208 §7.1, §7.3", "%{d0}, a delimiter outside .-+,/_= and an unclosed %{ are syntax errors",
    "pyspf accepts them", "write each macro as %{letter[digits][r][delimiters]} with a nonzero digit")
PERCENT_AT_END = Deviation(
    "percent-at-end", "RFC 7208 §7.1", "a domain-spec may end in the macro %% (a name ending in %)",
    "pyspf returns permerror (invalid-macro-char)", "do not end a domain with %%")
KNOWN = (DUPLICATE_MODIFIER, MODIFIER_CASE, CONTROL_CHARACTERS, BAD_MACRO, PERCENT_AT_END)

_PYSPF_SPF = re.compile(r"^v=spf1$|^v=spf1 ", re.IGNORECASE)  # pyspf's RE_SPF: `$` also before a final LF
_MODIFIER_NAME = re.compile(r"^([a-z][a-z0-9_\-.]*)=", re.IGNORECASE)  # pyspf's RE_MODIFIER


def found_in(text: str) -> list[Deviation]:
    """The known deviations a record shows (a record pyspf and the RFC may read differently)."""
    found: list[Deviation] = []
    if ("\n" in text or "\t" in text) and (_PYSPF_SPF.match(text) or is_spf(text)):
        found.append(CONTROL_CHARACTERS)
    if not is_spf(text):
        return found
    record = parse(text)
    names = [m.group(1) for m in map(_MODIFIER_NAME.match, text[6:].split(" ")) if m]
    if any(names.count(n) > 1 and n.lower() not in KNOWN_MODIFIERS for n in set(names)):
        found.append(DUPLICATE_MODIFIER)
    if any(n.lower() in KNOWN_MODIFIERS and n != n.lower() for n in names):
        found.append(MODIFIER_CASE)
    if any("macro" in e and "explanation text only" not in e for e in record.errors):
        found.append(BAD_MACRO)
    if not record.errors and any(t.value and _ends_in_percent(t.value) for t in record.terms):
        found.append(PERCENT_AT_END)
    return found


def rfc_reading(text: str, index: int = 0) -> str | None:
    """The TXT string pyspf should see to evaluate ``text`` as RFC 7208 reads it (None: no SPF record).

    A record with a syntax error becomes ``v=spf1 <SYNTAX_ERROR>-<index>`` (permerror, and its
    explanation names ``index``); unknown modifiers are dropped (§6: ignored) and the names of
    redirect and exp lowercased (§4.6.1).
    """
    if not is_spf(text):
        return None if _PYSPF_SPF.match(text) else text  # what the RFC does not count, pyspf must not either
    record = parse(text)
    if record.errors:
        return f"v=spf1 {SYNTAX_ERROR}-{index}"
    terms = [f"{t.name}={t.value}" if t.modifier else t.text for t in record.terms
             if not t.modifier or t.name in KNOWN_MODIFIERS]
    return " ".join(["v=spf1", *terms])


def _ends_in_percent(value: str) -> bool:
    """True when a domain-spec ends in the macro ``%%`` (an even run of ``%`` at its end)."""
    run = len(value) - len(value.rstrip("%"))
    return run >= 2 and run % 2 == 0


class RfcQuery(pyspf.query):
    """pyspf's evaluation, with a domain-spec that ends in ``%%`` expanded as RFC 7208 §7.1 reads it."""

    def expand(self, s: str, stripdot: bool = True) -> str:
        if _ends_in_percent(s):
            return super().expand(s[:-2], stripdot) + "%" if s[:-2] else "%"
        return super().expand(s, stripdot)

    def expand_domain(self, arg: str) -> str:
        if _ends_in_percent(arg):
            return self.expand(arg)
        return super().expand_domain(arg)
