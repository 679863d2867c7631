"""The MTA-STS policy file (RFC 8461 §3.2) and MX pattern matching (§4.1)."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: RFC 8461 §3.3: senders read at most 64 KB of a policy.
MAX_POLICY_BYTES = 64 * 1024
#: RFC 8461 §3.2: max_age is at most 31557600 seconds (a year).
MAX_AGE_MAX = 31557600
MODES = ("enforce", "testing", "none")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PATTERN = re.compile(rf"(?:\*\.)?{_LABEL}(?:\.{_LABEL})+\.?")
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")


def policy_url(domain: str) -> str:
    """RFC 8461 §3.3: where a domain's policy is fetched."""
    return f"https://mta-sts.{domain.rstrip('.')}/.well-known/mta-sts.txt"


@dataclass(frozen=True)
class Policy:
    version: str | None
    mode: str | None
    max_age: int | None
    mx: tuple[str, ...]
    errors: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.errors


def parse_policy(text: str) -> Policy:
    """The fields of a policy (``key: value`` lines ended by LF or CRLF) and what is wrong with it."""
    errors: list[str] = []
    values: dict[str, list[str]] = {}
    for n, raw in enumerate(text.split("\n"), 1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        if not colon or not _KEY.fullmatch(key):
            errors.append(f"line {n} `{line[:80]}` is not a `key: value` field")
            continue
        values.setdefault(key, []).append(value.strip(" \t"))

    def one(key: str) -> str | None:
        found = values.get(key, [])
        if len(found) > 1:
            errors.append(f"`{key}` appears {len(found)} times")
        return found[0] if found else None

    version, mode, max_age_text = one("version"), one("mode"), one("max_age")
    if version != "STSv1":
        errors.append("`version: STSv1` is missing" if version is None else f"the version `{version}` is not STSv1")
    if mode not in MODES:
        errors.append("`mode` is missing" if mode is None else
                      f"the mode `{mode}` is not enforce, testing or none")
    max_age = None
    if max_age_text is None:
        errors.append("`max_age` is missing")
    elif not re.fullmatch(r"[0-9]{1,10}", max_age_text) or int(max_age_text) > MAX_AGE_MAX:
        errors.append(f"max_age `{max_age_text}` is not a number of seconds from 0 to {MAX_AGE_MAX}")
    else:
        max_age = int(max_age_text)
    mx = tuple(values.get("mx", ()))
    for pattern in mx:
        if not _PATTERN.fullmatch(pattern):
            errors.append(f"mx `{pattern}` is not a host name or `*.` followed by one")
    if not mx and mode in ("enforce", "testing"):
        errors.append(f"mode {mode} needs at least one `mx` line")
    return Policy(version, mode, max_age, mx, tuple(errors))


def mx_matches(pattern: str, host: str) -> bool:
    """RFC 8461 §4.1: ``host`` matches ``pattern`` exactly, or ``*.rest`` with exactly one label in place of ``*``.

    Case-insensitive, final dots ignored; ``mail.example.com.evil.net`` never matches ``mail.example.com``.
    """
    pattern = pattern.rstrip(".").lower()
    host = host.rstrip(".").lower()
    if pattern.startswith("*."):
        label, dot, rest = host.partition(".")
        return bool(label) and bool(dot) and rest == pattern[2:]
    return host == pattern
