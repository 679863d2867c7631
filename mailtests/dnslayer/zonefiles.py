"""Zone files as a DNS source: proposed zones answered as their authoritative server would.

Files are read in the BIND master-file format (RFC 1035 §5.1) by dnspython (:mod:`.zoneread`), with
``$ORIGIN``, ``$TTL``, ``$INCLUDE`` and ``$GENERATE``. Answers follow the
authoritative part of the RFC 1034 §4.3.2 algorithm: exact match, CNAME (RFC
1034 §3.6.2; chains followed through every loaded zone), NODATA and NXDOMAIN with
the SOA in the authority section (RFC 2308 §3), empty non-terminals (RFC 8499
§7), wildcards (RFC 4592) and delegation cuts (RFC 1034 §4.2.1).

The zone's apex (origin) is, in order: the ``origin`` argument; the file's
``$ORIGIN`` when it comes before the first record (only ``$TTL`` lines and
comments may precede it); the file name, less a ``.zone`` suffix and a ``db.``
prefix (``example.com.zone``, ``db.example.com`` and ``example.com`` all give
``example.com.``). The SOA must sit at that apex.

A file is rejected where ``named-checkzone`` (BIND 9.18, default options) rejects
it: syntax errors, unknown types and classes, bad rdata, a missing TTL, a missing
``$INCLUDE`` file, CNAME and other data at a name (RFC 2181 §10.1), more than one
record of a singleton type, an SOA away from the apex, no SOA or no NS at the
apex, and an apex NS target inside the zone that is a CNAME or has no address.
The line numbers are BIND's (the line of the last token read). Known differences:

* ``$INCLUDE`` names a file relative to the including file's folder; BIND takes it
  relative to its working directory (``named-checkzone -w``).
* Out-of-zone records are dropped silently; BIND drops them with a warning.
* Records of one RRset with different TTLs keep the smallest; BIND keeps the
  first (RFC 2181 §5.2 wants them equal; both only warn).
* TTLs above 2^31-1 load, and answers give them as 0 (RFC 2181 §8); BIND sets them
  to 0 with a warning. dnspython rejects TTLs above 2^32-1, BIND does too.
* Files must be UTF-8 (a byte-order mark at the start is skipped); BIND reads bytes.
* Only regular files are read, within bounds on a zone's bytes, records, RRset size
  and ``$GENERATE`` ranges (:mod:`.zonebounds`, BIND's limits where BIND has one).
* ``$INCLUDE`` is recognised only at the start of a line, not inside parentheses.
* What BIND only warns about is accepted silently: MX/NS targets written as
  addresses, MX/SRV/delegation NS targets that are CNAMEs or lack addresses,
  check-names, occluded data below a cut or a DNAME.
* DNAME (RFC 6672) is stored but not applied to answers, and a DS question at a
  cut is not answered from the parent side (RFC 4035 §3.1.4.1).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import dns.exception
import dns.name
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.tokenizer
import dns.transaction
import dns.zone
import dns.zonefile

from ..inputs import InputError, is_dir
from . import octodns_zones
from .answer import MAX_CNAME_CHAIN, NOERROR, NXDOMAIN, Answer, Record
from .zoneread import ZoneFileError, read_zone

#: Largest TTL kept as written; larger ones count as zero (RFC 2181 §8).
MAX_TTL = 2**31 - 1
_IN = dns.rdataclass.IN
_DS = dns.rdatatype.DS
_RRSIG = dns.rdatatype.RRSIG
_A, _AAAA, _ANY, _CNAME, _NS, _SOA = (dns.rdatatype.A, dns.rdatatype.AAAA, dns.rdatatype.ANY, dns.rdatatype.CNAME,
                                      dns.rdatatype.NS, dns.rdatatype.SOA)
# Outcomes of a lookup inside one zone.
_DATA, _ALIAS, _NODATA, _NONAME = "data", "alias", "nodata", "noname"


@dataclass(frozen=True)
class _Zone:
    """One loaded zone with what answering needs precomputed (RFC 1034 §4.3.2)."""

    apex: dns.name.Name
    zone: dns.zone.Zone
    path: Path
    names: frozenset[dns.name.Name]  # names owning data, and the empty non-terminals above them
    cuts: frozenset[dns.name.Name]  # delegation points: NS RRsets below the apex
    negative_soa: Record  # SOA for the authority section of NODATA/NXDOMAIN (RFC 2308 §3)

    @classmethod
    def build(cls, zone: dns.zone.Zone, path: Path) -> _Zone:
        apex = zone.origin
        assert apex is not None
        names: set[dns.name.Name] = set()
        cuts: set[dns.name.Name] = set()
        for name, node in zone.nodes.items():
            if not len(node):
                continue
            if name != apex and node.get_rdataset(_IN, _NS) is not None:
                cuts.add(name)
            while name not in names:
                names.add(name)
                if name == apex:
                    break
                name = name.parent()
        soa = zone.nodes[apex].find_rdataset(_IN, _SOA)
        negative = Record(apex, _ttl(min(soa.ttl, soa[0].minimum)), soa[0])
        return cls(apex, zone, path, frozenset(names), frozenset(cuts), negative)

    def below_cut(self, name: dns.name.Name) -> bool:
        """True when ``name`` is at or below a delegation cut of this zone (``name`` must be in the zone)."""
        if not self.cuts:
            return False
        while name != self.apex:
            if name in self.cuts:
                return True
            name = name.parent()
        return False

    def lookup(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> tuple[str, list[Record]]:
        """Step 3 of RFC 1034 §4.3.2 for a name in the zone and not below a cut.

        Gives ``(_DATA, records)``, ``(_ALIAS, [cname])``, ``(_NODATA, [])`` or
        ``(_NONAME, [])``. A wildcard ``*.<closest encloser>`` answers for a name
        that does not exist, with records owned by that name (RFC 4592 §3.3.1);
        an existing name or empty non-terminal blocks it.
        """
        node = self.zone.nodes.get(name)
        if node is None or not len(node):
            if name in self.names:
                return _NODATA, []  # empty non-terminal
            encloser = name.parent()
            while encloser not in self.names:
                encloser = encloser.parent()
            node = self.zone.nodes.get(dns.name.Name((b"*",) + encloser.labels))
            if node is None:
                return _NONAME, []
        if rdtype == _ANY:
            return _DATA, [Record(name, _ttl(rds.ttl), rd) for rds in node for rd in rds]
        rdataset = node.get_rdataset(_IN, rdtype)
        if rdataset is not None:
            return _DATA, [Record(name, _ttl(rdataset.ttl), rd) for rd in rdataset]
        cname = node.get_rdataset(_IN, _CNAME)
        if cname is not None:
            return _ALIAS, [Record(name, _ttl(cname.ttl), cname[0])]
        return _NODATA, []


def _ttl(ttl: int) -> int:
    return ttl if ttl <= MAX_TTL else 0


# -- loading -------------------------------------------------------------------------


def load_zone_file(path: Path, origin: dns.name.Name | None = None) -> dns.zone.Zone:
    """Load one master file (RFC 1035 §5) as a zone with absolute names; raise :class:`ZoneFileError`.

    The apex is ``origin``, else a leading ``$ORIGIN``, else the file name (see the
    module docstring). ``$INCLUDE`` files are found relative to the including file.
    """
    return _load(Path(path), origin).zone


def _load(path: Path, origin: dns.name.Name | None) -> _Zone:
    zone, source = read_zone(path, origin)
    apex = zone.origin
    try:
        zone.check_origin()
    except dns.zone.NoSOA:
        raise ZoneFileError(path, 0, f"no SOA record at the zone apex {apex} (apex {source})") from None
    except dns.zone.NoNS:
        raise ZoneFileError(path, 0, f"no NS records at the zone apex {apex}") from None
    loaded = _Zone.build(zone, path)
    _check_apex_ns(loaded)
    return loaded


def _check_apex_ns(zone: _Zone) -> None:
    """An apex NS target inside the zone needs an address and must not be a CNAME (RFC 2181 §10.3)."""
    for rdata in zone.zone.nodes[zone.apex].find_rdataset(_IN, _NS):
        target = rdata.target
        if not target.is_subdomain(zone.apex) or zone.below_cut(target):
            continue
        outcomes = {zone.lookup(target, _A)[0], zone.lookup(target, _AAAA)[0]}
        shown = target.to_text(omit_final_dot=True)
        if _ALIAS in outcomes:
            raise ZoneFileError(zone.path, 0, f"NS '{shown}' is a CNAME (illegal)")
        if _DATA not in outcomes:
            raise ZoneFileError(zone.path, 0, f"NS '{shown}' has no address records (A or AAAA)")


def _zone_files(paths: Iterable[Path]) -> list[Path]:
    """Files as given, and in each folder the files named ``*.zone`` or ``db.*`` (not hidden, not ``*.jnl``)."""
    found: list[Path] = []
    for path in map(Path, paths):
        try:
            folder = is_dir(path)
        except InputError as exc:  # a path too long, with a NUL ...: one line, never a traceback
            raise ZoneFileError(path, 0, exc.reason) from None
        if folder:
            found.extend(sorted(p for p in path.iterdir() if p.is_file() and _is_zone_file(p.name)))
        else:
            found.append(path)
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)  # a file given twice (alone and in its folder) loads once
    return list(unique.values())


def _is_zone_file(name: str) -> bool:
    return ((name.endswith(".zone") or name.startswith("db.")) and not name.startswith(".")
            and not name.endswith(".jnl")) or octodns_zones.is_octodns_file(Path(name))


def _load_any(path: Path) -> _Zone:
    """A BIND zone file, or an octoDNS ``<zone>.yaml`` read by octoDNS (:mod:`mailtests.dnslayer.octodns_zones`)."""
    if not octodns_zones.is_octodns_file(path):
        return _load(path, None)
    try:
        zone = _Zone.build(octodns_zones.load(path)[0], path)
    except octodns_zones.OctoDnsZoneError as exc:
        raise ZoneFileError(exc.path, exc.line, exc.message) from None
    _check_apex_ns(zone)
    return zone


# -- answering -----------------------------------------------------------------------


class ZoneSource:
    """Zone files answering questions as their authoritative servers would (RFC 1034 §4.3.2).

    ``paths`` are zone files and folders. A folder gives the files directly in it
    whose name ends in ``.zone`` or starts with ``db.`` (not hidden files, not BIND
    journals ``*.jnl``; sub-folders, e.g. of ``$INCLUDE`` files, are not read), in
    name order. Raises :class:`ZoneFileError` for the first broken file, and for a
    second file with the apex of one already loaded.
    """

    def __init__(self, paths: Iterable[Path]) -> None:
        self.zones: dict[dns.name.Name, tuple[dns.zone.Zone, Path]] = {}
        self._loaded: dict[dns.name.Name, _Zone] = {}
        for path in _zone_files(paths):
            zone = _load_any(path)
            if zone.apex in self._loaded:
                first = self._loaded[zone.apex].path
                raise ZoneFileError(path, 0, f"zone {zone.apex} is already loaded from {first}")
            self._loaded[zone.apex] = zone
            self.zones[zone.apex] = (zone.zone, path)

    def apex_for(self, name: dns.name.Name) -> dns.name.Name | None:
        """The apex of the most specific loaded zone at or above ``name``, cuts ignored (see :meth:`covers`)."""
        zone, _ = self._closest(name)
        return zone.apex if zone else None

    def covers(self, name: dns.name.Name) -> bool:
        """True when a loaded zone is authoritative for ``name``: at or below its apex, not at or below a
        delegation cut of it (RFC 1034 §4.2.1) unless the child zone is loaded too."""
        return self._authority(name) is not None

    def delegation(self, name: dns.name.Name) -> list[dns.name.Name]:
        """The NS targets with which the loaded parent zone delegates ``name``, in file order; [] when none."""
        if name == dns.name.root:
            return []
        parent = self._authority(name.parent())
        if parent is None or name not in parent.cuts:
            return []
        return [rd.target for rd in parent.zone.nodes[name].find_rdataset(_IN, _NS)]

    def query(self, name: dns.name.Name, rdtype: str) -> Answer:
        """Answer (name, type) authoritatively (RFC 1034 §4.3.2 step 3); ValueError when not :meth:`covers`.

        A CNAME chain is followed while its targets are covered, for at most
        :data:`MAX_CNAME_CHAIN` CNAMEs and until a name repeats (RFC 1034 §3.6.2);
        the rcode is that of the last name (RFC 6604 §2.1). NODATA and NXDOMAIN
        carry the zone's SOA in ``authority`` with the negative TTL (RFC 2308 §3).
        """
        started = time.perf_counter()
        qtype = dns.rdatatype.from_text(rdtype)
        zone = self._authority(name.parent() if qtype == _DS and name != dns.name.root else name)
        if zone is None:
            raise ValueError(f"{name} is not covered by the zone files")
        server = f"zone:{zone.path}"
        records: list[Record] = []
        authority: tuple[Record, ...] = ()
        rcode = NOERROR
        seen = {name}
        current = name
        while True:
            outcome, found = zone.lookup(current, qtype)
            records.extend(found)
            if outcome in (_NODATA, _NONAME):
                authority = (zone.negative_soa,)
                rcode = NXDOMAIN if outcome == _NONAME else NOERROR
            if outcome != _ALIAS:
                break
            current = found[0].rdata.target
            if current in seen or len(seen) >= MAX_CNAME_CHAIN:
                break
            seen.add(current)
            zone = self._authority(current)
            if zone is None:
                break  # the chain leaves the zone files: no data of the type here
        return Answer(name, dns.rdatatype.to_text(qtype), rcode, tuple(records), server=server,
                      elapsed=time.perf_counter() - started, authoritative=True, authority=authority,
                      signatures=tuple(self._signatures(records)))

    def _signatures(self, records: list[Record]) -> list[Record]:
        """The RRSIGs a signed zone file holds over the answer's RRsets (as a server answers a DO query)."""
        found: list[Record] = []
        for name, rdtype in dict.fromkeys((r.name, r.rdata.rdtype) for r in records):
            zone = self._authority(name.parent() if rdtype == _DS and name != dns.name.root else name)
            node = zone.zone.nodes.get(name) if zone else None
            sigs = node.get_rdataset(_IN, _RRSIG, rdtype) if node is not None else None
            if sigs is not None:
                found.extend(Record(name, _ttl(sigs.ttl), rd) for rd in sigs)
        return found

    # -- internals ---------------------------------------------------------------------
    def _closest(self, name: dns.name.Name) -> tuple[_Zone | None, list[dns.name.Name]]:
        """The most specific loaded zone at or above ``name``, and the names from ``name`` up to below its apex."""
        if not name.is_absolute():
            raise ValueError(f"{name} is not an absolute name")
        between: list[dns.name.Name] = []
        while (zone := self._loaded.get(name)) is None:
            if name == dns.name.root:
                return None, between
            between.append(name)
            name = name.parent()
        return zone, between

    def _authority(self, name: dns.name.Name) -> _Zone | None:
        zone, between = self._closest(name)
        if zone is None or (zone.cuts and not zone.cuts.isdisjoint(between)):
            return None
        return zone
