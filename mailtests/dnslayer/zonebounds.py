"""The bounds a zone file is read within: a hostile file is refused in seconds, in bounded memory.

BIND reads zone files of any size, and bounds what they may hold; the loader here
does the same, with BIND's limits where BIND has one (BIND 9.18/9.20, ``named.conf``
defaults) and its own where BIND has none:

================================  ==============  ==============================================
what                              limit           why
================================  ==============  ==============================================
bytes read for one zone           16 MiB          ours: files and their ``$INCLUDE`` files together;
                                                  only regular files (:mod:`mailtests.inputs`);
                                                  16 MiB of comments took 10 s to read
records in one zone               100,000         ours (BIND's ``max-records``, unlimited by default):
                                                  dnspython keeps ~1 KB and 30-300 µs a record
                                                  (200,000 took 58 s on the shared 2-core machine)
records in one RRset              100             BIND's ``max-records-per-rrset`` (CVE-2024-1737)
``$GENERATE`` range               0 to 2^31-1,    BIND's (``lib/dns/master.c``: ``%d-%d[/%d]``, start
                                  start <= stop,  and stop not negative, step at least 1); the records
                                  step >= 1       it makes count against the zone's
RDATA of one record               65,535 octets   RFC 1035 §3.2.1: RDLENGTH is 16 bits; BIND refuses
                                                  it too (``ran out of space``)
TTL                               2^32-1          RFC 2181 §8; above 2^31-1 counts as 0
================================  ==============  ==============================================

Checking a ``$GENERATE`` range before dnspython expands it keeps ``$GENERATE
1-99999999999999999999999`` from running until memory runs out; the RRset bound also
keeps the loader linear (dnspython merges each record into its RRset by copying it).
"""

from __future__ import annotations

import re
from pathlib import Path

import dns.name
import dns.rdataset
import dns.rdatatype
import dns.transaction

from ..inputs import InputError, read_regular, size_text

MAX_ZONE_BYTES = 16 * 1024 * 1024
MAX_ZONE_RECORDS = 100_000
MAX_RRSET_RECORDS = 100
MAX_RDATA_OCTETS = 65_535
MAX_GENERATE_VALUE = 2**31 - 1
MAX_TTL_TEXT = 2**32 - 1

#: Types whose data is at most a few names and numbers: never near MAX_RDATA_OCTETS, so not measured.
_SMALL_TYPES = frozenset(dns.rdatatype.from_text(t) for t in ("A", "AAAA", "NS", "CNAME", "PTR", "MX", "SOA", "SRV",
                                                               "DNAME", "AFSDB", "KX", "RP", "PX"))
_GENERATE = re.compile(r"\$GENERATE(?=[\s;]|$)", re.IGNORECASE)
_RANGE = re.compile(r"(\d+)-(\d+)(?:/(\d+))?")
_NUMBER_TYPE = re.compile(r"^(?:near '\d+': )?unknown rdatatype '(\d+)'$")


class BoundError(Exception):
    """A zone that goes over a bound; located by the caller."""


class Budget:
    """What one zone may still read: bytes of text and records (see the module docstring)."""

    def __init__(self) -> None:
        self.bytes = 0
        self.records = 0

    def read(self, path: Path) -> bytes:
        """The file's bytes, counted against the zone's; :class:`~mailtests.inputs.InputError` otherwise."""
        try:
            data = read_regular(path, MAX_ZONE_BYTES - self.bytes)
        except InputError as exc:
            if exc.too_big:
                raise InputError(f"the zone's text, its $INCLUDE files counted, is larger than the limit of "
                                 f"{size_text(MAX_ZONE_BYTES)}", too_big=True) from None
            raise
        self.bytes += len(data)
        return data

    def generate_error(self, line: str) -> str | None:
        """Why a ``$GENERATE`` line must not be expanded (its range, or the records it would make); None if fine."""
        if not _GENERATE.match(line):
            return None
        words = line.split(None, 2)
        if len(words) < 2:
            return None  # dnspython names what is missing
        found = _RANGE.fullmatch(words[1])
        if found is None:
            return f"$GENERATE: invalid range '{_cut(words[1])}' (START-STOP or START-STOP/STEP)"
        start, stop, step = int(found.group(1)), int(found.group(2)), int(found.group(3) or 1)
        if stop > MAX_GENERATE_VALUE or start > stop or step < 1:
            return (f"$GENERATE: invalid range '{_cut(words[1])}': START and STOP from 0 to {MAX_GENERATE_VALUE}, "
                    "START not above STOP, STEP at least 1 (as BIND)")
        count = (stop - start) // step + 1
        if self.records + count > MAX_ZONE_RECORDS:
            return (f"$GENERATE {_cut(words[1])} makes {count:,} records: the zone would hold more than "
                    f"{MAX_ZONE_RECORDS:,}")
        return None

    def check_put(self, txn: dns.transaction.Transaction, name: dns.name.Name,
                  rdataset: dns.rdataset.Rdataset) -> None:
        """Called by the transaction for every record added (``rdataset`` is its RRset so far)."""
        self.records += 1
        if self.records > MAX_ZONE_RECORDS:
            raise BoundError(f"more than {MAX_ZONE_RECORDS:,} records in the zone")
        if len(rdataset) > MAX_RRSET_RECORDS:
            raise BoundError(f"{name} {dns.rdatatype.to_text(rdataset.rdtype)}: more than {MAX_RRSET_RECORDS} "
                             "records in one RRset (BIND's max-records-per-rrset)")
        if rdataset.rdtype in _SMALL_TYPES:
            return  # an address or a few names: always far below the limit
        newest = rdataset[len(rdataset) - 1]
        size = len(newest.to_wire())
        if size > MAX_RDATA_OCTETS:
            raise BoundError(f"{name} {dns.rdatatype.to_text(rdataset.rdtype)}: the record's data is {size:,} "
                             f"octets, over the {MAX_RDATA_OCTETS:,} the wire format can carry (RFC 1035 §3.2.1)")


def decode(path: Path, data: bytes) -> str:
    """UTF-8 text of a zone file; a byte-order mark at its start is dropped (editors on Windows write one)."""
    text = data.decode("utf-8")
    return text[1:] if text.startswith("\ufeff") else text


def better_message(message: str) -> str:
    """dnspython's message, said as BIND would where dnspython misleads (a TTL out of range is no type)."""
    found = _NUMBER_TYPE.match(message)
    if found and int(found.group(1)) > MAX_TTL_TEXT:  # in the TTL's place, too large to be one: read as a type
        return (f"TTL {_cut(found.group(1))} is out of range: at most {MAX_TTL_TEXT} (2^32-1), and TTLs above "
                f"{MAX_GENERATE_VALUE} count as 0 (RFC 2181 §8)")
    return message


def read_error(exc: InputError, shown: str) -> str:
    """The message for a file that cannot be read: ``[NAME: ]reason``."""
    return f"{shown}{': ' if shown else ''}{exc.reason}"


def _cut(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
