"""A plain list of domains (``domains.txt``): one domain a line, as a registrar's database exports them.

``#`` starts a comment (a whole line, or the end of one), blank lines are skipped, and
each name is checked as a domains.yaml entry's is, with the same ``FILE:LINE`` errors::

    domains.txt:7: 'exa mple.com' is not a valid domain name: label 'exa mple': ...
    domains.txt:9: duplicate domain example.com (first at line 3)

Every other setting has its default (the system's resolvers, a 2 s timeout, ...) or
comes from the command line (``--resolver``, ``--zones``, ``--dkim-selector``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .config import Config, ConfigError, DomainEntry, _short, normalize_domain

#: File name endings read as a plain list (anything else is YAML).
SUFFIXES = (".txt", ".list")


def is_domain_list(path: Path) -> bool:
    return Path(path).suffix.lower() in SUFFIXES


def parse_domain_list(text: str, data: bytes, path: Path, display: str) -> Config:
    """The Config of a plain list of domains; ConfigError at the first bad or repeated name."""
    entries: list[DomainEntry] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        written = line.split("#", 1)[0].strip()
        if not written:
            continue
        try:
            name, unicode_name = normalize_domain(written)
        except ValueError as exc:
            raise ConfigError(display, number, "", f"{_short(written)!r} is not a valid domain name: {exc}") from None
        if name in seen:
            raise ConfigError(display, number, "", f"duplicate domain {name} (first at line {seen[name]})")
        seen[name] = number
        entries.append(DomainEntry(name, unicode_name, line=number))
    if not entries:
        raise ConfigError(display, 0, "", "no domains: list one domain a line (`#` starts a comment)")
    return Config(path=Path(path), sha256=hashlib.sha256(data).hexdigest(), domains=tuple(entries))
