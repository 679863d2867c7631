"""Reading BIND master files (RFC 1035 §5.1) into dnspython zones, with BIND's errors and line numbers.

dnspython's reader does the parsing; this module adds what BIND does and dnspython does
not: ``$INCLUDE`` relative to the including file, the line BIND names in an error (a
second reading with BIND's line counting), the singleton-type rule, and the bounds of
:mod:`.zonebounds`. :mod:`.zonefiles` answers questions from the zones read here.
"""

from __future__ import annotations

import re
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

from ..inputs import InputError
from .zonebounds import BoundError, Budget, better_message, decode, read_error

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


def read_zone(path: Path, origin: dns.name.Name | None) -> tuple[dns.zone.Zone, str]:
    """The zone in a master file, and where its apex came from (``given``, ``from $ORIGIN``, ``from the file name``).

    A syntax error is read a second time with BIND's line counting, to name the line BIND names.
    """
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
        return _ZoneReader(apex, _Tokenizer, budget).read(path, text), source
    except ZoneFileError as plain:
        if getattr(plain, "final", False):
            raise  # a bound or an unreadable file: its line is known, and reading again costs as much again
        try:  # again, to name the line BIND names
            budget.bytes, budget.records = own_bytes, 0
            _ZoneReader(apex, _BindTokenizer, budget).read(path, text)
        except ZoneFileError as error:
            raise error from None
        raise plain


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
