"""octoDNS zone repositories: ``<zone>.yaml`` files read with octoDNS itself, answered like BIND zone files.

An octoDNS repository keeps one YAML file per zone (``config/example.com.yaml``),
records keyed by name relative to the zone (``''`` for the apex). The files are read by
octoDNS's own ``YamlProvider`` (the optional extra ``mailtests[octodns]``), so they mean
to mailtests exactly what they mean to ``octodns-sync``: its record types, defaults
(TTL 3600), value syntax and validation. Each record keeps the file and line octoDNS
gives it (``record.context``); :func:`load` turns the records into a dnspython zone for
:mod:`mailtests.dnslayer.zonefiles` and :func:`record_lines` gives the line of each
record for regressions and CI annotations (the line of the record's ``type:``).

What octoDNS leaves to the provider, mailtests cannot read from the file:

* the SOA: a placeholder is made at the apex (serial 1), as octoDNS providers make their own;
* the apex NS: octoDNS manages it only when the file lists it (``'': {type: NS, values: [...]}``);
  without it the zone cannot answer NS questions, and loading stops with a message saying so.
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.zone

Lines = dict[tuple[dns.name.Name, str, str], tuple[Path, int]]
_CONTEXT_LINE = re.compile(r", line (\d+), column \d+")
_PLACE = re.compile(r'\s*in "[^"]*"(?:, line \d+, column \d+)?')
_SOA_TEXT = "{ns} hostmaster.{apex} 1 3600 600 604800 3600"


class OctoDnsZoneError(Exception):
    """An octoDNS zone file that cannot be read; ``line`` 0 when not known."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(message)
        self.path, self.line, self.message = path, line, message


def is_octodns_file(path: Path) -> bool:
    """``<zone>.yaml``, octoDNS's name: a zone name with at least one dot, not hidden (``domains.yaml`` is none)."""
    name = Path(path).name
    stem = name.removesuffix(".yaml")
    return stem != name and "." in stem.strip(".") and not name.startswith(".")


@contextmanager
def _quiet():
    """octoDNS logs at INFO and WARNING, as a command line tool does, under loggers of its own names
    (``YamlProvider[id]``, ``Record`` ...); while it reads a file for mailtests those lines are noise."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)


def _line(context: object) -> int:
    m = _CONTEXT_LINE.search(str(context or ""))
    return int(m.group(1)) if m else 0


def _records(path: Path) -> tuple[dns.name.Name, list[tuple[dns.name.Name, int, str, list[str], int]]]:
    """The zone's apex and its records as (owner, ttl, type, rdata texts, line), read by octoDNS."""
    try:
        from octodns.provider.yaml import YamlProvider
        from octodns.zone import Zone
    except ImportError:
        raise OctoDnsZoneError(path, 0, "reading octoDNS zone files needs octoDNS: pip install 'mailtests[octodns]'") \
            from None
    stem = path.name.removesuffix(".yaml")
    try:
        apex = dns.name.from_text(stem)
    except dns.exception.DNSException as exc:
        raise OctoDnsZoneError(path, 0, f"no zone name in the file name {path.name!r}: {exc}") from None
    zone = Zone(apex.to_text(), [])
    try:
        with _quiet():
            provider = YamlProvider("mailtests", str(path.parent), enforce_order=False, supports_root_ns=True,
                                    escaped_semicolons=True)  # octoDNS 1.x default: `\;` in TXT values
            provider.populate(zone, lenient=False)
    except Exception as exc:  # octoDNS's ValidationError, YAML errors, ProviderException ...: one line each
        text = " ".join(str(exc).split())
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else _line(getattr(exc, "context", None) or text)
        text = _PLACE.sub("", _CONTEXT_LINE.sub("", text.replace(str(path), ""))).replace(",  - ", ": ").strip(" ,")
        raise OctoDnsZoneError(path, line, f"octoDNS: {text}") from None
    out = []
    for record in zone.records:
        rrset = record.to_rrset() if hasattr(record, "to_rrset") else None
        if rrset is not None:
            name, ttl, rdtype, rdatas = rrset.name, rrset.ttl, rrset._type, list(rrset.rdatas)
        else:  # pragma: no cover - octoDNS before 1.16
            name, ttl, rdtype, rdatas = record.rrs
        out.append((dns.name.from_text(name), int(ttl), str(rdtype), [str(r) for r in rdatas],
                    _line(record.context)))
    return apex, out


def load(path: Path) -> tuple[dns.zone.Zone, Lines]:
    """The zone of an octoDNS file with absolute names, and the file and line of each record."""
    path = Path(path)
    apex, records = _records(path)
    zone = dns.zone.Zone(apex, relativize=False)
    where: dict[tuple[dns.name.Name, str], int] = {}
    for owner, ttl, rdtype, texts, line in records:
        if rdtype == "SOA":
            continue
        try:
            rdataset = zone.find_rdataset(owner, rdtype, create=True)
            for text in texts:
                rdataset.add(dns.rdata.from_text(dns.rdataclass.IN, rdtype, text, origin=apex, relativize=False), ttl)
        except (dns.exception.DNSException, ValueError) as exc:
            raise OctoDnsZoneError(path, line, f"{owner} {rdtype}: {exc}") from None
        where[(owner, rdtype)] = line
    apex_node = zone.nodes.get(apex)
    ns = apex_node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NS) if apex_node is not None else None
    if ns is None:
        raise OctoDnsZoneError(path, 0, f"no NS records at the zone apex {apex}: octoDNS leaves them to the provider "
                                        "unless the file lists them; add them (`'': {type: NS, values: [...]}`) so "
                                        "that mailtests can answer for the zone")
    soa = zone.find_rdataset(apex, "SOA", create=True)
    soa.add(dns.rdata.from_text(dns.rdataclass.IN, "SOA", _SOA_TEXT.format(ns=ns[0].target, apex=apex)), 3600)
    lines: Lines = {}
    for name, node in zone.nodes.items():
        for rdataset in node:
            rdtype = dns.rdatatype.to_text(rdataset.rdtype)
            line = where.get((name, rdtype))
            if line:
                for rdata in rdataset:
                    lines[(name, rdtype, rdata.to_text())] = (path, line)
    return zone, lines


@cache
def _cached_lines(path: Path, mtime: float) -> Lines:
    return load(path)[1]


def record_lines(path: Path) -> Lines:
    """Every record of an octoDNS zone file with the file and line it stands on (read once per file version)."""
    path = Path(path)
    try:
        return _cached_lines(path, path.stat().st_mtime)
    except (OSError, OctoDnsZoneError):
        return {}
