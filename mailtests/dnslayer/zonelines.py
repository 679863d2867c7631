"""Where each record stands in its zone file: (owner, type) -> lines, for reports that name a line.

dnspython's zone reader keeps no line numbers, so the files are scanned once more
with its tokenizer (RFC 1035 §5.1 master-file syntax: owner, optional TTL and
class, type, data; parentheses continue a record over lines).
"""

from __future__ import annotations

from pathlib import Path

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.tokenizer
import dns.ttl

from . import octodns_zones

Lines = dict[tuple[dns.name.Name, str, str], tuple[Path, int]]  # (owner, type, data) -> (file, line)


def record_lines(path: Path, origin: dns.name.Name) -> Lines:
    """Every record of a zone file (and its $INCLUDEs) with the file and line it starts on; for an octoDNS
    ``<zone>.yaml``, the line octoDNS gives the record."""
    if octodns_zones.is_octodns_file(path):
        return octodns_zones.record_lines(path)
    found: Lines = {}
    _scan(path, origin, found, depth=0)
    return found


def _scan(path: Path, origin: dns.name.Name, found: Lines, depth: int) -> None:
    if depth > 8:
        return
    tok = dns.tokenizer.Tokenizer(path.read_text(encoding="utf-8"), filename=str(path))
    owner = origin
    try:
        while True:
            token = tok.get(want_leading=True)
            if token.is_eof():
                return
            if token.is_eol():
                continue
            line = tok.line_number
            if token.is_whitespace():
                token = tok.get()
                if token.is_eol_or_eof():
                    continue
            elif token.value.startswith("$"):
                origin = _directive(token.value.upper(), tok, path, origin, found, depth)
                continue
            else:
                owner = origin if token.value == "@" else dns.name.from_text(token.value, origin)
                token = tok.get()
            while token.is_identifier() and _is_ttl_or_class(token.value):
                token = tok.get()
            try:
                rdtype = dns.rdatatype.from_text(token.value)
                rdata = dns.rdata.from_text(dns.rdataclass.IN, rdtype, tok, origin, relativize=False)
            except dns.exception.DNSException:
                _skip_line(tok)
                continue
            found.setdefault((owner, dns.rdatatype.to_text(rdtype), rdata.to_text()), (path, line))
    except (dns.exception.DNSException, OSError, UnicodeDecodeError):
        return  # the zone loader reports syntax errors; this index keeps what it read


def _directive(word: str, tok, path: Path, origin: dns.name.Name, found: Lines, depth: int) -> dns.name.Name:
    args = []
    while True:
        token = tok.get()
        if token.is_eol_or_eof():
            break
        args.append(token.value)
    if word == "$ORIGIN" and args:
        return dns.name.from_text(args[0], origin)
    if word == "$INCLUDE" and args:
        included = (path.parent / args[0]).resolve()
        sub_origin = dns.name.from_text(args[1], origin) if len(args) > 1 else origin
        if included.is_file():
            _scan(included, sub_origin, found, depth + 1)
    return origin


def _is_ttl_or_class(word: str) -> bool:
    try:
        dns.rdataclass.from_text(word)
        return True
    except dns.exception.DNSException:
        pass
    try:
        dns.ttl.from_text(word)
        return True
    except dns.exception.DNSException:
        return False


def _skip_line(tok) -> None:
    while not tok.get().is_eol_or_eof():
        pass
