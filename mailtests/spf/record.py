"""Parsing one SPF record against the ABNF of RFC 7208 §12.

:func:`parse` never raises: it returns every term it recognised and, in
``errors``, one sentence per term that breaks the grammar (RFC 7208 §4.6: a
record with a syntax error evaluates to ``permerror`` before any mechanism is
tried). It makes no DNS query; the include tree is walked by :mod:`.tree`.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
#: RFC 7208 §4.6.4: the terms that cause DNS queries and count against the limit of 10.
LOOKUP_TERMS = frozenset({"include", "a", "mx", "ptr", "exists", "redirect"})
KNOWN_MODIFIERS = ("redirect", "exp")

_VERSION = re.compile(r"v=spf1(?= |\Z)", re.IGNORECASE)
# §12: name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ), followed by "=" for a modifier.
_MODIFIER = re.compile(r"([A-Za-z][A-Za-z0-9_.-]*)=(.*)", re.DOTALL)
_MECHANISM = re.compile(r"([+\-~?]?)([A-Za-z][A-Za-z0-9]*)([:/].*)?", re.DOTALL)
_MISTAKES = {"ip": "ip4", "ipv4": "ip4", "ipv6": "ip6", "prt": "ptr", "inc": "include", "includes": "include",
             "redirect": "redirect=", "exp": "exp="}
# §12: qnum, no leading zeros.
_QNUM = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_IP4 = re.compile(rf"{_QNUM}(?:\.{_QNUM}){{3}}")
# §12: toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
_TOPLABEL = re.compile(r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9]")
# §7.1: macro-expand = "%{" macro-letter transformers *delimiter "}" / "%%" / "%_" / "%-"
_MACRO = re.compile(r"%\{([A-Za-z])([0-9]*)([rR]?)([.\-+,/_=]*)\}|%[%_-]")
_LETTERS = "slodiphcrtv"
_EXP_ONLY_LETTERS = "crt"  # §7.2: allowed in explanation text only
# §12: dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]; the numbers are checked later.
_CIDR_TAIL = re.compile(r"(?:/([0-9]+))?(?://([0-9]+))?$")


@dataclass(frozen=True)
class Term:
    """One directive or modifier of a record (RFC 7208 §4.6.1).

    ``name`` is lowercase (names are case-insensitive); ``value`` is the
    domain-spec, network or modifier value as written (``None`` when absent).
    """

    text: str
    name: str
    modifier: bool = False
    qualifier: str = "+"
    value: str | None = None
    cidr4: int | None = None
    cidr6: int | None = None

    @property
    def queries_dns(self) -> bool:
        """§4.6.4: include, a, mx, ptr, exists and redirect cause DNS queries."""
        if self.modifier:
            return self.name == "redirect"
        return self.name in LOOKUP_TERMS

    @property
    def has_macro(self) -> bool:
        return self.value is not None and "%" in self.value

    def target(self, domain: str) -> str:
        """The domain the term names; ``a``, ``mx`` and ``ptr`` default to the current domain (§5)."""
        return self.value if self.value is not None else domain


@dataclass
class Record:
    """A parsed record: its terms in order, and the grammar errors found (empty when valid)."""

    text: str
    terms: list[Term] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    def mechanisms(self, name: str | None = None) -> list[Term]:
        return [t for t in self.terms if not t.modifier and (name is None or t.name == name)]

    def modifier(self, name: str) -> Term | None:
        return next((t for t in self.terms if t.modifier and t.name == name), None)

    @property
    def all(self) -> Term | None:
        """The first ``all`` mechanism: evaluation stops there (§5.1)."""
        found = self.mechanisms("all")
        return found[0] if found else None

    @property
    def redirect(self) -> Term | None:
        """The ``redirect`` modifier, unless an ``all`` mechanism makes it ignored (§6.1)."""
        return None if self.all else self.modifier("redirect")

    def lookup_terms(self) -> list[Term]:
        """The terms that count against the limit of 10 (§4.6.4), an ignored redirect excluded."""
        return [t for t in self.terms if t.queries_dns and (t.name != "redirect" or self.redirect is t)]


def short(text: str, limit: int = 60) -> str:
    """A term as it may appear in a message: printable, and cut when long."""
    shown = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def quoted(text: str, limit: int = 60) -> str:
    """:func:`short` in quotes, for a message."""
    return f"'{short(text, limit)}'"


def is_spf(text: str) -> bool:
    """§4.5: a record is an SPF record when it starts with ``v=spf1`` followed by a space or its end."""
    return bool(_VERSION.match(text))


def parse(text: str) -> Record:
    """Parse an SPF record (RFC 7208 §4.6.1, §12); grammar errors are collected, never raised."""
    record = Record(text)
    if not is_spf(text):
        record.errors.append(f"the record does not start with 'v=spf1': '{short(text)}' (§4.5)")
        return record
    seen: dict[str, int] = {}
    for token in text[6:].split(" "):  # §12: terms are separated by 1*SP, nothing else
        if not token:
            continue
        term, error = _parse_term(token)
        if error:
            record.errors.append(f"'{short(token)}': {error}")
            continue
        assert term is not None
        if term.modifier and term.name in KNOWN_MODIFIERS:
            seen[term.name] = seen.get(term.name, 0) + 1
            if seen[term.name] == 2:
                record.errors.append(f"{term.name}= appears more than once: it MUST appear at most once (§6)")
        elif term.modifier and term.name in MECHANISMS:
            record.notes.append(
                f"'{short(token)}' is an unknown modifier and is ignored (§6); "
                f"did you mean '{term.name}:{short(term.value or '')}'?"
            )
        record.terms.append(term)
    return record


def _parse_term(token: str) -> tuple[Term | None, str | None]:
    bad = next((c for c in token if not "\x21" <= c <= "\x7e"), None)
    if bad is not None:
        return None, f"contains the character {bad!r}; a record holds visible ASCII separated by single spaces (§12)"
    mod = _MODIFIER.fullmatch(token)
    if mod:
        name, value = mod.group(1).lower(), mod.group(2)
        if name in KNOWN_MODIFIERS:
            if not value:
                return None, f"{name}= needs a domain (§6)"
            error = domain_spec_error(value)
        else:
            error = macro_string_error(value)  # §7.2: c, r and t only in exp text, not in other modifiers
        return (None, error) if error else (Term(token, name, modifier=True, value=value), None)
    mech = _MECHANISM.fullmatch(token)
    if not mech:
        return None, "is neither a mechanism ([qualifier]name[:value]) nor a modifier (name=value) (§4.6.1)"
    qualifier, name, rest = mech.group(1) or "+", mech.group(2).lower(), mech.group(3) or ""
    if name not in MECHANISMS:
        hint = f" (did you mean {_MISTAKES[name]}?)" if name in _MISTAKES else ""
        return None, f"unknown mechanism '{name}'{hint}; the mechanisms are {', '.join(MECHANISMS)} (§5)"
    value, cidr4, cidr6, error = _arguments(name, rest)
    if error:
        return None, error
    return Term(token, name, qualifier=qualifier, value=value, cidr4=cidr4, cidr6=cidr6), None


def _arguments(name: str, rest: str) -> tuple[str | None, int | None, int | None, str | None]:
    """Split and check what follows a mechanism name: ``:value`` and CIDR lengths (§5, §12)."""
    cidr4 = cidr6 = None
    if name in ("a", "mx", "ip4", "ip6"):
        tail = _CIDR_TAIL.search(rest)
        assert tail is not None
        first, second = tail.group(1), tail.group(2)
        if second is not None and name in ("ip4", "ip6"):
            return None, None, None, f"{name} takes one CIDR length, not a dual one (§5.6)"
        for text, top in ((first, 128 if name == "ip6" else 32), (second, 128)):
            if text is not None and (int(text) > top or (len(text) > 1 and text[0] == "0")):
                return None, None, None, f"CIDR length /{text} is invalid: it must be 0-{top}, no leading zero (§5.6)"
        if name == "ip6":
            cidr6 = int(first) if first is not None else None
        else:
            cidr4 = int(first) if first is not None else None
            cidr6 = int(second) if second is not None else None
        rest = rest[: tail.start()]
    if not rest:
        if name in ("include", "exists", "ip4", "ip6"):
            what = "a network" if name.startswith("ip") else "a domain"
            return None, None, None, f"{name} needs ':' and {what} (§5)"
        return None, cidr4, cidr6, None
    if name == "all":
        return None, None, None, "all takes no argument (§5.1)"
    if not rest.startswith(":"):
        if name in ("a", "mx"):
            return None, None, None, "invalid CIDR length (§5.6: /0 to /32 for IPv4, //0 to //128 for IPv6)"
        return None, None, None, f"unexpected '{short(rest)}' after {name}: it takes no CIDR length (§12)"
    value = rest[1:]
    if name == "ip4":
        error = None if _IP4.fullmatch(value) else f"'{short(value)}' is not an IPv4 address (§5.6)"
    elif name == "ip6":
        error = None if _is_ip6(value) else f"'{short(value)}' is not an IPv6 address (§5.6)"
    else:
        error = domain_spec_error(value) if value else f"{name}: needs a domain after ':' (§5)"
    return (None, None, None, error) if error else (value, cidr4, cidr6, None)


def _is_ip6(text: str) -> bool:
    """§12: ip6-network is an address as in RFC 4291 §2.2 (no zone index, no prefix)."""
    if "%" in text or "/" in text:
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def macro_string_error(text: str, exp: bool = False) -> str | None:
    """§7.1: literals are visible ASCII except ``%``; macros are ``%{...}``, ``%%``, ``%_``, ``%-``."""
    pos = 0
    while True:
        at = text.find("%", pos)
        if at < 0:
            return None
        m = _MACRO.match(text, at)
        if not m:
            return f"invalid macro at '{short(text[at:at + 12])}': a '%' starts %{{...}}, %%, %_ or %- (§7.1)"
        letter, digits = (m.group(1) or "").lower(), m.group(2)
        if m.group(1) is not None:
            if letter not in _LETTERS:
                return f"unknown macro letter {m.group(0)!r}; the letters are {', '.join(_LETTERS)} (§7.2)"
            if letter in _EXP_ONLY_LETTERS and not exp:
                return f"macro {m.group(0)!r} is allowed in explanation text only (§7.2)"
            if digits and int(digits) == 0:
                return f"macro {m.group(0)!r}: a digit transformer must be nonzero (§7.3)"
        pos = m.end()


def domain_spec_error(spec: str) -> str | None:
    """§7.1: domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand."""
    error = macro_string_error(spec)
    if error:
        return error
    if any(m.end() == len(spec) for m in _MACRO.finditer(spec)):
        return None
    if _IP4.fullmatch(spec):
        return f"'{spec}' is an IP address, not a domain: write ip4:{spec} (§5.6)"
    body = spec[:-1] if spec.endswith(".") else spec
    if "." not in body or not _TOPLABEL.fullmatch(body.rsplit(".", 1)[1]):
        return (
            f"'{short(spec)}' is not a fully qualified domain name: it must end with a dot and a top-level "
            "label that is not all digits, as in '.com' (§7.1, §12)"
        )
    return None
