"""Load and validate ``domains.yaml``: the domains to test and how to reach the DNS.

Everything is checked here, before the first DNS question is asked: first against the
file's JSON Schema (``mailtests/data/domains.schema.json``, :mod:`mailtests.config_schema`),
the one source of its keys, types, ranges and defaults; then what a schema cannot say
(addresses, IDNA names, DKIM selectors, duplicates, files that must exist, catalog ids,
subscription lists). A broken file stops the run with one line naming the first problem::

    domains.yaml:7: example.com: sending_ips[1]: '300.1.2.3' is not an IP address

The error format is ``FILE:LINE: [DOMAIN: ][KEY: ]MESSAGE``:

* ``FILE`` is the path as the caller gave it; ``LINE`` is 1-based. Problems that
  have no line (the file cannot be read, is too large, a required key is missing
  from the top level) leave out ``:LINE`` (``domains.yaml: cannot read: ...``).
* ``DOMAIN`` appears for errors inside a ``domains`` entry once the entry's name is
  known; it is the name as written in the file. An entry's name is checked before
  its other keys, so errors in ``name`` itself carry no ``DOMAIN``.
* ``KEY`` is the path to the offending key: inside a domain entry relative to the
  entry (``name``, ``sending_ips[1]``, ``helo[0]``, ``skip[0].check``), elsewhere
  from the top (``timeout``, ``resolvers[2]``, ``dnsbl.lists[1].kind``,
  ``domains[3]`` for an entry as a whole). YAML-level errors have no key.

Hostile input is refused rather than parsed: anything but a regular file (a FIFO,
``/dev/zero``: :mod:`mailtests.inputs`), files over :data:`MAX_FILE_BYTES`, lines over
:data:`MAX_LINE_CHARS`, more than :data:`MAX_YAML_NODES` values (:data:`MAX_RUAMEL_NODES` for YAML
that only ruamel reads, :mod:`mailtests.fastyaml`), nesting deeper than
:data:`MAX_YAML_DEPTH`, and any YAML alias (``*name``), which rules out "billion laughs"
bombs. The bounds are what make parsing time bounded: ruamel.yaml is pure Python (on the
project's shared 2-core machine, 10 MB of comments took 7 s and 100,000 values 15 s: the
worst a file within the limits costs), and its time grows with the square of the length
of a comment line before the first value (1.6 MB on one line: 33 s; 64 KiB: 0.1 s), so a
longer line is refused before parsing.
"""

from __future__ import annotations

import difflib
import hashlib
import ipaddress
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

from mailtests.catalog import AREAS, CHECKS
from mailtests.config_entries import QuickEntries
from mailtests.config_model import (  # noqa: F401  (the model is this module's too)
    BLOCKLIST_KINDS,
    DEFAULT_CONCURRENCY,
    DEFAULT_DNSBL,
    DEFAULT_LATENCY_THRESHOLD,
    DEFAULT_SMTP_CONCURRENCY,
    DEFAULT_SMTP_TIMEOUT,
    DEFAULT_TIMEOUT,
    DOMAIN_KEYS,
    MAX_CONCURRENCY,
    MAX_TIMEOUT,
    SUBSCRIPTION_ZONES,
    TOP_KEYS,
    Blocklist,
    Config,
    DomainEntry,
)
from mailtests.config_read import (  # noqa: F401  (ConfigError and the bounds are this module's too)
    MAX_FILE_BYTES,
    MAX_LINE_CHARS,
    MAX_RUAMEL_NODES,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
    ConfigError,
    check_lines,
    load_yaml,
    without_gc,
)
from mailtests.config_schema import first_error
from mailtests.config_schema import item_line as _item_line
from mailtests.config_schema import key_line as _key_line
from mailtests.config_schema import kind as _kind
from mailtests.config_values import (  # noqa: F401  (the values are this module's too)
    NOT_A_SELECTOR,
    IPAddress,
    Resolver,
    is_selector,
    normalize_domain,
    parse_resolver,
)
from mailtests.domainlist import DomainListError, is_domain_list, parse_domain_list
from mailtests.inputs import InputError, exists, is_file, read_regular

# -- validation ------------------------------------------------------------------------------------
# The schema (mailtests/data/domains.schema.json, through mailtests.config_schema) checks keys, types, ranges
# and empty values first; what follows checks what a schema cannot say: addresses, IDNA names, DKIM selector
# syntax after lowercasing, duplicates, files that must exist, catalog ids, subscription lists.


def _short(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters for a message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Validator:
    """Turns the loaded YAML tree into a Config, raising ConfigError at the first problem."""

    def __init__(self, display: str, path: Path) -> None:
        self.display = display
        self.path = path
        self.base = path.parent
        self.domain: str | None = None  # the entry being checked, for messages
        self.own_selectors: set[str] = set()  # domains that list their own dkim_selectors
        self.quick: list[DomainEntry | None] | None = None  # the domains built by the quick path (config_entries)

    def fail(self, line0: int | None, key: str, message: str) -> NoReturn:
        """Raise the ConfigError for a 0-based line (None: no line)."""
        raise ConfigError(self.display, 0 if line0 is None else line0 + 1, key, message, self.domain)

    def no_merge(self, mapping: Any) -> None:
        """Refuse YAML merge keys (``<<``): checked on every mapping the schema allows, as it is reached."""
        if getattr(mapping, "merge", None):
            self.fail(mapping.lc.line, "", "merge keys (<<) are not allowed")

    # -- top level -------------------------------------------------------------------------------

    def config(self, data: Any, sha256: str) -> Config:
        if data is None:
            self.fail(None, "", "the file is empty: it should be a mapping with at least a 'domains' list")
        if not isinstance(data, dict):
            self.fail(0, "", f"the top level must be a mapping (key: value), got {_kind(data)}")
        self.no_merge(data)
        self.quick = QuickEntries(DomainEntry).build(data.get("domains"))  # the common entries: judged and built
        problem = first_error(data, self.quick)
        if problem is not None:
            line0, key, self.domain, message = problem
            self.fail(line0, key, message)
        out: dict[str, Any] = {}
        handlers: dict[str, Callable[[Any, int], Any]] = {
            "resolvers": lambda v, n: self.resolvers(v, "resolvers"),
            "fallback_resolvers": lambda v, n: self.resolvers(v, "fallback_resolvers"),
            "timeout": lambda v, n: float(v),
            "latency_threshold": lambda v, n: float(v),
            "concurrency": lambda v, n: int(v),
            "zones": self.zones,
            "offline": lambda v, n: bool(v),
            "dnsbl": self.dnsbl,
            "dkim_selectors": lambda v, n: self.selectors(v, "dkim_selectors"),
            "trust_anchor": lambda v, n: self.file(v, n, "trust_anchor"),
            "smtp": lambda v, n: bool(v),
            "smtp_timeout": lambda v, n: float(v),
            "smtp_concurrency": lambda v, n: int(v),
            "ehlo_name": self.ehlo_name,
            "ca_file": lambda v, n: self.file(v, n, "ca_file"),
            "domains": self.domains,
        }
        for key, value in data.items():
            out[key] = handlers[key](value, _key_line(data, key))
        # offline: true without zones: is judged with the command line (--zones=DIR): Settings.from_pytest
        lists, subscription = out.pop("dnsbl", (DEFAULT_DNSBL, False))
        if out.get("dkim_selectors"):
            default = out["dkim_selectors"]
            out["domains"] = tuple(e if e.name in self.own_selectors else replace(e, dkim_selectors=default)
                                   for e in out["domains"])
        return Config(path=self.path, sha256=sha256, dnsbl=lists, dnsbl_subscription=subscription, **out)

    def resolvers(self, items: list, key: str) -> tuple[Resolver, ...]:
        out: list[Resolver] = []
        for i, item in enumerate(items):
            n, k = _item_line(items, i), f"{key}[{i}]"
            try:
                resolver = parse_resolver(item)
            except ValueError as exc:
                self.fail(n, k, str(exc))
            if resolver in out:
                self.fail(n, k, f"{resolver} is listed twice")
            out.append(resolver)
        return tuple(out)

    def file(self, text: str, line0: int, key: str) -> Path:
        path = Path(os.path.abspath(self.base / Path(text).expanduser()))
        try:
            found = is_file(path)
        except InputError as exc:
            self.fail(line0, key, f"{_short(text)!r}: {exc}")
        if not found:
            self.fail(line0, key, f"{text!r} is not a file (looked for {path})")
        return path

    def ehlo_name(self, text: str, line0: int) -> str:
        try:
            return normalize_domain(text)[0]
        except ValueError as exc:
            self.fail(line0, "ehlo_name", f"{_short(text)!r} is not a valid host name: {exc}")

    def selectors(self, items: list, key: str) -> tuple[str, ...]:
        """DKIM selectors (RFC 6376 §3.1: a selector is one or more labels, ``s2026`` or ``eu.s1``)."""
        out: list[str] = []
        for i, item in enumerate(items):
            n, k = _item_line(items, i), f"{key}[{i}]"
            text = item.strip().lower()
            if not is_selector(text):
                self.fail(n, k, f"{_short(text)!r} is {NOT_A_SELECTOR}")
            if text in out:
                self.fail(n, k, f"{text} is listed twice")
            out.append(text)
        return tuple(out)

    def zones(self, value: Any, line0: int) -> tuple[Path, ...]:
        items = [value] if isinstance(value, str) else value
        out: list[Path] = []
        for i, text in enumerate(items):
            n, k = (line0, "zones") if isinstance(value, str) else (_item_line(items, i), f"zones[{i}]")
            zone = Path(os.path.abspath(self.base / Path(text).expanduser()))
            try:
                found = exists(zone)
            except InputError as exc:  # too long, NUL, a loop of links: refused here, never read
                self.fail(n, k, f"{_short(text)!r}: {exc}")
            if not found:
                self.fail(n, k, f"{text!r} does not exist (looked for {zone})")
            if zone not in out:
                out.append(zone)
        return tuple(out)

    def dnsbl(self, dnsbl: dict, line0: int) -> tuple[tuple[Blocklist, ...], bool]:
        self.no_merge(dnsbl)
        subscription = bool(dnsbl.get("subscription", False))
        if "lists" not in dnsbl:
            return DEFAULT_DNSBL, subscription
        items = dnsbl["lists"]
        out: dict[str, Blocklist] = {}
        for i, entry in enumerate(items):
            k = f"dnsbl.lists[{i}]"
            self.no_merge(entry)
            zline = _key_line(entry, "zone")
            try:
                zone = normalize_domain(entry["zone"])[0]
            except ValueError as exc:
                self.fail(zline, f"{k}.zone", f"{entry['zone']!r} is not a valid zone name: {exc}")
            if zone in out:
                self.fail(zline, f"{k}.zone", f"{zone} is listed twice")
            paid = any(zone == z or zone.endswith("." + z) for z in SUBSCRIPTION_ZONES)
            if "subscription" in entry:
                paid = bool(entry["subscription"])
            if paid and not subscription:
                where = "subscription" if "subscription" in entry else "zone"
                self.fail(_key_line(entry, where), f"{k}.{where}",
                          f"{zone} is a subscription list: set 'dnsbl: subscription: true' if the site holds "
                          "a subscription, else remove it")
            out[zone] = Blocklist(zone, str(entry["kind"]), bool(entry.get("allowlist", False)), paid)
        return tuple(out.values()), subscription

    # -- domains ---------------------------------------------------------------------------------

    def domains(self, items: list, line0: int) -> tuple[DomainEntry, ...]:
        seen: dict[str, int] = {}
        out = []
        for i, built in enumerate(self.quick or [None] * len(items)):
            if built is None or built.name in seen:  # the checks below, and their words for any problem
                out.append(self.domain_entry(items, i, seen))
                continue
            item = items[i]
            seen[built.name] = (built.line if item.__class__ is str else _key_line(item, "name") + 1)
            if item.__class__ is not str and "dkim_selectors" in item:
                self.own_selectors.add(built.name)
            out.append(built)
        self.domain = None
        return tuple(out)

    def domain_entry(self, items: list[Any], index: int, seen: dict[str, int]) -> DomainEntry:
        self.domain = None
        item, line0 = items[index], _item_line(items, index)
        entry: Any = {}
        if isinstance(item, str):
            text, name_line = item, line0
        else:
            entry = item
            self.no_merge(entry)
            text, name_line = entry["name"], _key_line(entry, "name")
        try:
            name, unicode_name = normalize_domain(text)
        except ValueError as exc:
            self.fail(name_line, "name", f"{_short(text)!r} is not a valid domain name: {exc}")
        if name in seen:
            self.fail(name_line, "name", f"duplicate domain {name} (first at line {seen[name]})")
        seen[name] = name_line + 1
        if not entry:
            return DomainEntry(name, unicode_name, line=line0 + 1)
        self.domain = text.strip()
        fields: dict[str, Any] = {}
        for key, value in dict.items(entry):
            if key == "dkim_selectors":
                fields[key] = self.selectors(value, key)
                self.own_selectors.add(name)
            elif key != "name":
                fields[key] = getattr(self, key)(value)
        return DomainEntry(name, unicode_name, line=line0 + 1, **fields)

    def sending_ips(self, items: list) -> tuple[IPAddress, ...]:
        out: list[IPAddress] = []
        for i, item in enumerate(items):
            n, k = _item_line(items, i), f"sending_ips[{i}]"
            try:
                ip = ipaddress.ip_address(item.strip())
            except ValueError:
                self.fail(n, k, f"{str(item)!r} is not an IP address")
            if getattr(ip, "scope_id", None):
                self.fail(n, k, f"{str(item)!r}: scoped IPv6 addresses (%zone) are not sending addresses")
            if ip in out:
                self.fail(n, k, f"{ip} is listed twice")
            out.append(ip)
        return tuple(out)

    def helo(self, value: Any) -> tuple[str, ...]:
        return (str(value),) if isinstance(value, str) else tuple(str(v) for v in value)

    def skip(self, items: list) -> dict[str, str]:
        out: dict[str, str] = {}
        first: dict[str, int] = {}
        for i, entry in enumerate(items):
            k = f"skip[{i}]"
            self.no_merge(entry)
            cline = _key_line(entry, "check")
            check = str(entry["check"])
            if check in AREAS:
                ids = [cid for cid, spec in CHECKS.items() if spec.area == check]
            elif check in CHECKS:
                ids = [check]
            else:
                close = difflib.get_close_matches(check, [*CHECKS, *AREAS], n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; areas: {', '.join(AREAS)}"
                self.fail(cline, f"{k}.check", f"unknown check {check!r}{hint}")
            if any(CHECKS[cid].per_run for cid in ids):
                self.fail(cline, f"{k}.check", f"{check!r} runs once per run and cannot be skipped per domain")
            if check in first:
                self.fail(cline, f"{k}.check", f"{check!r} is already skipped at line {first[check]}")
            first[check] = cline + 1
            reason = str(entry["reason"]).strip()
            for cid in ids:
                out.setdefault(cid, reason)
        return out


# -- entry points ----------------------------------------------------------------------------------


def parse_config(text: str, path: Path) -> Config:
    """Validate configuration ``text`` read from ``path`` (used for messages and to resolve ``zones``)."""
    return _parse(text, text.encode("utf-8", "surrogatepass"), Path(path), str(path))


def load_config(path: str | Path) -> Config:
    """Read and validate the configuration file at ``path``; every problem is a ConfigError."""
    display, path = str(path), Path(path)
    try:
        data = read_regular(path, MAX_FILE_BYTES)
    except InputError as exc:
        if exc.missing:
            raise ConfigError(display, 0, "", "cannot read: No such file or directory") from None
        reason = exc.reason if exc.too_big else f"cannot read: {exc.reason}"
        raise ConfigError(display, 0, "", reason) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(display, line, "", f"not UTF-8 text (byte {data[exc.start]:#04x})") from None
    return _parse(text, data, path, display)


def _parse(text: str, data: bytes, path: Path, display: str) -> Config:
    with without_gc():  # the tree and the entries hold no cycles: the collector's passes over them are wasted
        return _parse_text(text, data, path, display)


def _parse_text(text: str, data: bytes, path: Path, display: str) -> Config:
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(display, 0, "", f"the file is larger than the limit of {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    check_lines(text, display)
    if is_domain_list(path):  # domains.txt: one domain a line
        try:
            listed = parse_domain_list(text, normalize_domain)
        except DomainListError as exc:
            raise ConfigError(display, exc.line, "", exc.message) from None
        return Config(path=path, sha256=hashlib.sha256(data).hexdigest(),
                      domains=tuple(DomainEntry(name, uname, line=n) for name, uname, n in listed))
    tree = load_yaml(text, display)
    return _Validator(display, path).config(tree, hashlib.sha256(data).hexdigest())
