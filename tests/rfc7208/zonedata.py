"""A DNS source that answers from an RFC 7208 test-suite scenario's ``zonedata``.

It plugs into ``DnsLayer(None, zones=ZoneData(...), offline=True)`` (the layer asks
``covers(name)`` and ``query(name, rdtype)``), and follows the conventions of the
suite's reference harness, pyspf's ``test/testspf.py``:

* a name maps to a list of ``{TYPE: value}`` entries (TXT, SPF, A, AAAA, MX, PTR,
  CNAME) or the bare word ``TIMEOUT``;
* ``SPF`` entries answer TXT questions too, unless the name has a ``TXT`` entry
  (``TXT: NONE`` suppresses that and is no record itself);
* ``TIMEOUT`` makes a question time out, unless a record of the asked type came
  before it in the list (then the answer ends there); a name that is not listed is
  NXDOMAIN, except names starting with ``error.``, which time out; a listed name
  without records of the asked type is NODATA;
* a CNAME is followed, the chain in the answer like a recursive resolver gives it.

The unit tests use the same format for their hand-written records.
"""

from __future__ import annotations

from pathlib import Path

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
from ruamel.yaml import YAML

from mailtests.dnslayer.answer import MAX_CNAME_CHAIN, NOERROR, NXDOMAIN, TIMEOUT, Answer, Record

SUITE = Path(__file__).with_name("rfc7208-tests.yml")
SERVER = "zonedata"


def load_suite(path: Path = SUITE) -> list[dict]:
    """The scenarios of a test-suite file (YAML documents: description, tests, zonedata)."""
    with open(path, "rb") as fp:
        return list(YAML(typ="safe").load_all(fp))


def _rdata(rdtype: str, value) -> dns.rdata.Rdata | None:
    """One record from the suite's notation; TXT/SPF values are a string or a list of strings."""
    if rdtype in ("TXT", "SPF"):
        strings = [s.encode("utf-8") for s in ([value] if isinstance(value, str) else value)]
        if not strings:
            return None  # a record without strings cannot exist on the wire; pyspf skips it anyway
        chunks = [s[i:i + 255] for s in strings for i in range(0, max(len(s), 1), 255)]  # <= 255 octets each
        rdtype_ = dns.rdatatype.from_text(rdtype)
        return dns.rdata.get_rdata_class(dns.rdataclass.IN, rdtype_)(dns.rdataclass.IN, rdtype_, chunks)
    if rdtype == "MX":
        preference, exchange = value
        return dns.rdata.from_text(dns.rdataclass.IN, "MX", f"{preference} {_absolute(exchange)}")
    if rdtype in ("PTR", "CNAME"):
        return dns.rdata.from_text(dns.rdataclass.IN, rdtype, _absolute(value))
    return dns.rdata.from_text(dns.rdataclass.IN, rdtype, str(value))


def _absolute(name: str) -> str:
    return name if name.endswith(".") else name + "."


class ZoneData:
    """Answers from one scenario's zone data (or hand-written records in the same notation)."""

    def __init__(self, zonedata: dict[str, list]):
        self.names: dict[dns.name.Name, list] = {}
        for owner, entries in zonedata.items():
            name = dns.name.from_text(owner)
            items: list = []
            spf_as_txt: list = []
            has_txt = any(isinstance(e, dict) and "TXT" in e for e in entries)
            for entry in entries:
                if entry == "TIMEOUT":
                    items.append(entry)
                    continue
                for rdtype, value in entry.items():
                    if value == "NONE":
                        continue
                    if value == "TIMEOUT":
                        items.append((rdtype, "TIMEOUT"))
                        continue
                    rdata = _rdata(rdtype, value)
                    if rdata is not None:
                        items.append((rdtype, Record(name, 300, rdata)))
                        if rdtype == "SPF" and not has_txt:
                            txt = _rdata("TXT", value)
                            spf_as_txt.append(("TXT", Record(name, 300, txt)))
            self.names[name] = items + spf_as_txt

    def covers(self, name: dns.name.Name) -> bool:
        return True

    def _at(self, name: dns.name.Name, rdtype: str) -> tuple[str, list[Record], dns.name.Name | None]:
        """(rcode, records of the type, CNAME target) at one name."""
        items = self.names.get(name)
        if items is None:
            return (TIMEOUT if name.labels and name.labels[0].lower() == b"error" else NXDOMAIN), [], None
        found: list[Record] = []
        target = None
        for item in items:
            if item == "TIMEOUT":
                if not any(r.rdtype == rdtype for r in found):
                    return TIMEOUT, [], None
                break
            kind, record = item
            if record == "TIMEOUT":
                if kind == rdtype:
                    return TIMEOUT, [], None
                continue
            if kind == rdtype:
                found.append(record)
            elif kind == "CNAME":
                target = record.rdata.target
                found.append(record)
        return NOERROR, found, target

    def query(self, qname: dns.name.Name, rdtype: str) -> Answer:
        records: list[Record] = []
        name = qname
        for _ in range(MAX_CNAME_CHAIN + 1):
            rcode, found, target = self._at(name, rdtype)
            if rcode == TIMEOUT:
                return Answer(qname, rdtype, TIMEOUT, server=SERVER, error=f"TIMEOUT at {name} in the zone data")
            records.extend(found)
            if rcode != NOERROR or target is None or any(r.name == target for r in records):
                return Answer(qname, rdtype, rcode, tuple(records), server=SERVER, authoritative=True)
            name = target
        return Answer(qname, rdtype, NOERROR, tuple(records), server=SERVER, authoritative=True)
