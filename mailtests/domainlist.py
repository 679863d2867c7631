"""A plain list of domains (``domains.txt``): one domain a line, as a registrar's database exports them.

``#`` starts a comment (a whole line, or the end of one), blank lines are skipped, and
each name is checked as a domains.yaml entry's is, with the same ``FILE:LINE`` errors::

    domains.txt:7: 'exa mple.com' is not a valid domain name: label 'exa mple': ...
    domains.txt:9: duplicate domain example.com (first at line 3)

Every other setting has its default (the system's resolvers, a 2 s timeout, ...) or
comes from the command line (``--resolver``, ``--zones``, ``--dkim-selector``).
:func:`mailtests.config.load_config` reads files ending in :data:`SUFFIXES` with it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

#: File name endings read as a plain list (anything else is YAML).
SUFFIXES = (".txt", ".list")


class DomainListError(ValueError):
    """A bad or repeated name: ``line`` is 1-based (0: the file as a whole)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


def is_domain_list(path: Path) -> bool:
    return Path(path).suffix.lower() in SUFFIXES


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_domain_list(text: str, normalize: Callable[[str], tuple[str, str]]) -> list[tuple[str, str, int]]:
    """``(a_label_name, unicode_name, line)`` of each domain listed, ``normalize`` giving the names (it raises
    ValueError for a bad one); DomainListError at the first bad or repeated name."""
    entries: list[tuple[str, str, int]] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        written = line.split("#", 1)[0].strip()
        if not written:
            continue
        try:
            name, unicode_name = normalize(written)
        except ValueError as exc:
            raise DomainListError(number, f"{_short(written)!r} is not a valid domain name: {exc}") from None
        if name in seen:
            raise DomainListError(number, f"duplicate domain {name} (first at line {seen[name]})")
        seen[name] = number
        entries.append((name, unicode_name, number))
    if not entries:
        raise DomainListError(0, "no domains: list one domain a line (`#` starts a comment)")
    return entries
