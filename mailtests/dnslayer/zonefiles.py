"""Zone files as a DNS source: proposed zones answered as their authoritative server would.

Files are read in the BIND master-file format (RFC 1035 §5.1) by dnspython, with
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

import re
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
from .zonebounds import BoundError, Budget, better_message, decode, read_error

#: Largest TTL kept as written; larger ones count as zero (RFC 2181 §8).
MAX_TTL = 2**31 - 1
#: Deepest ``$INCLUDE`` nesting; deeper counts as a loop.
MAX_INCLUDE_DEPTH = 16

_DIRECTIVES = ("$ORIGIN", "$TTL", "$GENERATE")  # BIND's; $INCLUDE is handled here, $UNICODE is dnspython's own
_INCLUDE = re.compile(r"\$INCLUDE(?=[\s;]|$)", re.IGNORECASE)
_CAUGHT = re.compile(r"^caught exception <class '[\w.]+'>: ")
_EXTRA = re.compile(r'^expected EOL or EOF, got \d+ "(.*)"$')
_READER_STATE = (  # what an $INCLUDE saves and restores, as dnspython's own $INCLUDE does
    "current_origin", "last_name", "last_ttl", "last_ttl_known", "default_ttl", "default_ttl_known",
    "default_ttl_from_soa",
)
_IN = dns.rdataclass.IN
_DS = dns.rdatatype.DS
_RRSIG = dns.rdatatype.RRSIG
_A, _AAAA, _ANY, _CNAME, _NS, _SOA = (dns.rdatatype.A, dns.rdatatype.AAAA, dns.rdatatype.ANY, dns.rdatatype.CNAME,
                                      dns.rdatatype.NS, dns.rdatatype.SOA)
# Outcomes of a lookup inside one zone.
_DATA, _ALIAS, _NODATA, _NONAME = "data", "alias", "nodata", "noname"


class ZoneFileError(Exception):
    """A zone file that cannot be loaded; ``str()`` is ``path:line: message`` (line 0 when not known)."""

    def __init__(self, path: Path | str, line: int, message: str) -> None:
        super().__init__(path, line, message)
        self.path = Path(path)
        self.line = line
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class _DataError(Exception):
    """A record that breaks a rule of the zone as a whole; located by the caller."""


class _Tokenizer(dns.tokenizer.Tokenizer):
    """dnspython's tokenizer, started at a given line of the file; errors are placed where dnspython puts them."""

    def __init__(self, text: str, filename: str, first_line: int) -> None:
        super().__init__(text, filename)
        self.line_number = first_line

    def record_line(self) -> int:
        """The line of the record just read (dnspython's guess: the current line)."""
        return self.line_number

    def bound_line(self) -> int:
        """The line of the record just added, for a bound it broke: the record's end of line is read by then."""
        return self.line_number if self.eof else self.line_number - 1

    def where_error(self, message: str) -> tuple[int, str]:
        """The line to name for an error raised now, and the message to give."""
        return self.line_number, message


class _BindTokenizer(_Tokenizer):
    """A tokenizer that keeps the line of each token, to report errors where BIND does.

    dnspython reports the line after a record's newline; BIND reports the line of
    the last token it accepted (also inside multi-line records), or the end of the
    input. Finding where a quoted string ends needs two private methods of
    dnspython's tokenizer (checked with dnspython 2.9). It costs about a sixth of
    the reading time, so a file is read with it only after it failed to load.
    """

    def __init__(self, text: str, filename: str, first_line: int) -> None:
        super().__init__(text, filename, first_line)
        self.token_line = self.previous_line = self._char_line = self._before = first_line
        self.last: dns.tokenizer.Token | None = None  # last identifier or string read
        self.entry: list[tuple[dns.tokenizer.Token, int]] = []  # identifiers and strings of the entry, with lines
        self._entry_done = False

    def _get_char(self) -> str:
        c = super()._get_char()
        if c not in " \t\n":  # "" (end of input) counts as blank too
            self._before, self._char_line = self._char_line, self.line_number
        return c

    def _unget_char(self, c: str) -> None:
        super()._unget_char(c)
        if c not in " \t\n":
            self._char_line = self._before

    def get(self, want_leading: bool = False, want_comment: bool = False) -> dns.tokenizer.Token:
        token = super().get(want_leading, want_comment)
        if (token.is_identifier() or token.is_quoted_string()) and token is not self.last:
            if self._entry_done:
                self.entry.clear()
                self._entry_done = False
            self.last = token
            self.previous_line, self.token_line = self.token_line, self._char_line
            self.entry.append((token, self.token_line))
        elif token.is_eol_or_eof():
            self._entry_done = True
        return token

    def record_line(self) -> int:
        return self.token_line

    def bound_line(self) -> int:
        return self.token_line

    def where_error(self, message: str) -> tuple[int, str]:
        """The line BIND names for an error raised now, and the message with the token it was near."""
        extra = _EXTRA.match(message)
        if extra:  # BIND puts the extra token back first: the line is the previous token's
            return self.previous_line, f"near {_shorten(extra.group(1))}: extra input text"
        if message == "string too long":  # BIND's lexer stops on it: the line is the previous token's
            for index, (token, line) in enumerate(self.entry):
                if len(token.unescape_to_bytes().value) > 255:
                    return self.entry[index - 1][1] if index else line, f"near {_shorten(token.value)}: {message}"
        line = self.line_number if self.eof else self.token_line
        if self.last is not None and self.last.value not in message:
            message = f"near {_shorten(self.last.value)}: {message}"
        return line, message


def _shorten(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


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
    budget = Budget()
    text = _read_text(path, path, 0, "", budget)
    own_bytes = budget.bytes
    if origin is not None:
        if not origin.is_absolute():
            raise ValueError(f"the origin {origin} is not absolute")
        apex, source = origin, "given"
    else:
        apex, source = _apex(path, text)
    try:
        zone = _ZoneReader(apex, _Tokenizer, budget).read(path, text)
    except ZoneFileError as plain:
        if getattr(plain, "final", False):
            raise  # a bound or an unreadable file: its line is known, and reading again costs as much again
        try:  # again, to name the line BIND names
            budget.bytes, budget.records = own_bytes, 0
            _ZoneReader(apex, _BindTokenizer, budget).read(path, text)
        except ZoneFileError as error:
            raise error from None
        raise plain
    try:
        zone.check_origin()
    except dns.zone.NoSOA:
        raise ZoneFileError(path, 0, f"no SOA record at the zone apex {apex} (apex {source})") from None
    except dns.zone.NoNS:
        raise ZoneFileError(path, 0, f"no NS records at the zone apex {apex}") from None
    loaded = _Zone.build(zone, path)
    _check_apex_ns(loaded)
    return loaded


def _apex(path: Path, text: str) -> tuple[dns.name.Name, str]:
    """The apex from a ``$ORIGIN`` before the first record, else from the file name."""
    name = path.name.removesuffix(".zone")
    name = name[3:] if name.startswith("db.") else name
    try:
        apex = dns.name.from_text(name)
    except dns.exception.DNSException as exc:
        raise ZoneFileError(path, 0, f"no zone name in the file name {path.name!r}: {exc}") from None
    tok = dns.tokenizer.Tokenizer(text, str(path))
    try:
        while True:
            token = tok.get()
            if token.is_eol():
                continue
            word = token.value.upper() if token.is_identifier() else ""
            if word == "$TTL":
                while not tok.get().is_eol_or_eof():
                    pass
            elif word == "$ORIGIN":
                return tok.get_name(apex), "from $ORIGIN"
            else:
                return apex, "from the file name"
    except dns.exception.DNSException:  # the real read reports it
        return apex, "from the file name"


def _final(error: ZoneFileError) -> ZoneFileError:
    """Mark an error whose line needs no second reading (see :func:`_load`)."""
    error.final = True  # type: ignore[attr-defined]
    return error


def _read_text(path: Path, where: Path, line: int, shown: str, budget: Budget | None = None) -> str:
    """The file's text; a failure is reported at ``where:line`` (the ``$INCLUDE`` line for included files).

    Only regular files, within the zone's byte budget (:mod:`.zonebounds`)."""
    try:
        data = (budget or Budget()).read(path)
    except InputError as exc:
        raise _final(ZoneFileError(where, line, read_error(exc, shown))) from None
    try:
        return decode(path, data)
    except UnicodeDecodeError as exc:
        raise ZoneFileError(path, data[: exc.start].count(b"\n") + 1, "not UTF-8 text") from None


class _ZoneReader:
    """dnspython's master-file reader, with ``$INCLUDE`` done here (RFC 1035 §5.1) relative to the including file."""

    def __init__(self, apex: dns.name.Name, tokenizer: type[_Tokenizer], budget: Budget | None = None) -> None:
        self.zone = dns.zone.Zone(apex, relativize=False)
        self.tokenizer = tokenizer
        self.reader: dns.zonefile.Reader
        self.budget = budget or Budget()

    def read(self, path: Path, text: str) -> dns.zone.Zone:
        with self.zone.writer(replacement=True) as txn:
            txn.check_put_rdataset(_check_singleton)
            txn.check_put_rdataset(self.budget.check_put)
            self.reader = dns.zonefile.Reader(self.tokenizer("", str(path), 1), _IN, txn, allow_directives=_DIRECTIVES)
            self._read_file(path, text, ())
        return self.zone

    def _read_file(self, path: Path, text: str, stack: tuple[Path, ...]) -> None:
        lines = text.split("\n")
        start = 0
        for index, line in enumerate(lines):
            too_many = self.budget.generate_error(line)
            if too_many:  # before dnspython expands it: the records made so far count
                self._read_part(path, "\n".join(lines[start:index]) + "\n", start + 1)
                raise _final(ZoneFileError(path, index + 1, too_many))
            if _INCLUDE.match(line):
                self._read_part(path, "\n".join(lines[start:index]) + "\n", start + 1)
                self._include(path, line, index + 1, stack or (path.resolve(),))
                start = index + 1
        self._read_part(path, "\n".join(lines[start:]), start + 1)

    def _read_part(self, path: Path, text: str, first_line: int) -> None:
        reader = self.reader
        tok = reader.tok = self.tokenizer(text, str(path), first_line)
        try:
            reader.read()
        except dns.exception.SyntaxError as exc:  # dnspython prefixes "file:line: "
            message = _CAUGHT.sub("", str(exc).removeprefix(f"{tok.filename}:{tok.line_number}: ")) or "syntax error"
            raise ZoneFileError(path, *tok.where_error(better_message(message))) from None
        except dns.zonefile.CNAMEAndOtherData:
            raise ZoneFileError(path, tok.record_line(), f"{reader.last_name}: CNAME and other data") from None
        except BoundError as exc:
            raise _final(ZoneFileError(path, tok.bound_line(), str(exc))) from None
        except _DataError as exc:
            raise ZoneFileError(path, tok.record_line(), str(exc)) from None
        except ValueError as exc:  # the transaction refuses an SOA away from the apex
            message = f"SOA record not at top of zone ({reader.last_name})" if "SOA" in str(exc) else str(exc)
            raise ZoneFileError(path, tok.record_line(), message) from None
        except dns.exception.DNSException as exc:
            raise ZoneFileError(path, *tok.where_error(better_message(str(exc)))) from None

    def _include(self, path: Path, line: str, number: int, stack: tuple[Path, ...]) -> None:
        """``$INCLUDE <file> [<origin>]``: read the file, then restore origin, owner and TTLs."""
        reader = self.reader
        tok = _Tokenizer(line, str(path), number)
        try:
            tok.get()
            token = tok.get()
            if not (token.is_identifier() or token.is_quoted_string()):
                raise dns.exception.SyntaxError("$INCLUDE without a file name")
            filename = token.value
            token = tok.get()
            origin = reader.current_origin
            if token.is_identifier():
                origin = dns.name.from_text(token.value, reader.current_origin)
                tok.get_eol()
            elif not token.is_eol_or_eof():
                raise dns.exception.SyntaxError("bad origin in $INCLUDE")
        except dns.exception.DNSException as exc:
            raise ZoneFileError(path, number, str(exc)) from None
        included = path.parent / filename
        if included.resolve() in stack or len(stack) > MAX_INCLUDE_DEPTH:
            raise ZoneFileError(path, number, f"{filename}: $INCLUDE loop")
        text = _read_text(included, path, number, filename, self.budget)
        saved = [getattr(reader, attr) for attr in _READER_STATE]
        reader.current_origin = origin
        self._read_file(included, text, stack + (included.resolve(),))
        for attr, value in zip(_READER_STATE, saved, strict=True):
            setattr(reader, attr, value)


def _check_singleton(txn: dns.transaction.Transaction, name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> None:
    """One CNAME (or other singleton type) per name (RFC 1034 §3.6.2, RFC 2181 §10.1)."""
    if dns.rdatatype.is_singleton(rdataset.rdtype):
        old = txn.get(name, rdataset.rdtype, rdataset.covers)
        if old is not None and old[0] != rdataset[0]:
            raise _DataError(f"{name}: multiple RRs of singleton type")


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
