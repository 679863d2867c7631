"""A fast reader for large domains files: libyaml's parser (through PyYAML) builds the tree the validator reads.

ruamel.yaml, which :mod:`mailtests.config` uses for its line numbers, is pure Python:
about 2.4 s per 10,000 domains, so a registrar's 100,000 could not be loaded in time.
PyYAML's C parser (libyaml) gives the same events with their positions in a fraction
of that; this module builds from them mappings and lists that carry ruamel's line
information (``.lc.line``, ``.lc.key(k)``, ``.lc.item(i)``), so the validator and its
``FILE:LINE`` messages are the same whichever parser read the file.

It reads only what both parsers read alike: plain scalars are typed as ruamel's YAML 1.2
round-trip loader types them where that is certain (names, addresses, ``true``,
``null``, ``2.0``, ``64``), and anything else (tags, anchors and aliases, merge keys,
duplicate keys, several documents, a scalar such as ``0777`` or ``2026-01-05`` that
ruamel types its own way) raises :class:`Fallback`: the caller then parses the file with
ruamel, which also words every YAML error (for files up to :data:`RUAMEL_ERRORS_UP_TO`
bytes; a larger file's syntax error is worded from libyaml's, with its line).
"""

from __future__ import annotations

import re
from typing import Any

#: Up to this size a file libyaml refuses is parsed again by ruamel, for ruamel's wording of the error.
RUAMEL_ERRORS_UP_TO = 1024 * 1024

_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_WORDS = _NULL | _TRUE | _FALSE
_INT = re.compile(r"0|[1-9][0-9]*")
_FLOAT = re.compile(r"(?:0|[1-9][0-9]*)\.[0-9]+")
#: Plain scalars starting with a digit that are strings to ruamel: IPv4 addresses (two dots or more), anything with
#: a colon (IPv6, ADDR:PORT), names with a letter (not a number's e/x/o/b, not a date).
_DIGIT_STRING = re.compile(r"[0-9][0-9.]*\.[0-9.]*\.[0-9.:]*|[0-9][0-9A-Za-z.]*:[0-9A-Za-z:.\[\]]*"
                           r"|[0-9][0-9a-z.-]*[ac-dfgh-np-wyz][0-9a-z.-]*")
_DATE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")


class Fallback(Exception):
    """The file uses YAML this reader leaves to ruamel (see the module docstring)."""


class Refused(Exception):
    """A bound of the file (values, depth) is exceeded: ``line0`` is 0-based."""

    def __init__(self, message: str, line0: int) -> None:
        super().__init__(message)
        self.message, self.line0 = message, line0


class LineCol:
    """ruamel's line information of a mapping or list: its own start, and its keys' or items' (0-based)."""

    __slots__ = ("line", "col", "_at")

    def __init__(self, line: int, col: int) -> None:
        self.line, self.col = line, col
        self._at: dict | list = []

    def key(self, key: Any) -> tuple[int, int]:
        return self._at[key]  # type: ignore[index]

    def item(self, index: int) -> tuple[int, int]:
        return self._at[index]  # type: ignore[index]


class Mapping(dict):
    """A YAML mapping with its line information (``merge`` is always empty: merge keys are refused)."""

    __slots__ = ("lc",)
    merge: tuple = ()


class Sequence(list):
    """A YAML list with its line information."""

    __slots__ = ("lc",)


def _plain(value: str) -> Any:
    """A plain scalar as ruamel's round-trip loader types it; Fallback where this reader is not sure."""
    first = value[:1]
    if value in _NULL:
        return None
    if first.isalpha() or first == "_":
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        return value
    if first == "/" or value.startswith(("./", "../", "~/")):  # paths (zones:, trust_anchor:)
        return value
    if first.isdigit() and len(value) <= 30:  # a longer number: ruamel's path words the refusal
        if _INT.fullmatch(value):
            return int(value)
        if _FLOAT.fullmatch(value):
            return float(value)
        if _DIGIT_STRING.fullmatch(value) and not _DATE.match(value) and not value.startswith(("0x", "0o", "0b")):
            return value
    raise Fallback


def load(text: str, max_values: int, max_depth: int) -> Any:
    """The document's tree (None for an empty one). Raises Fallback, Refused or ``yaml.YAMLError``."""
    import yaml  # here: a file mailtests.lineyaml reads needs no PyYAML
    from yaml.events import (
        AliasEvent,
        DocumentStartEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
    )

    if not getattr(yaml, "__with_libyaml__", False):  # PyYAML built without libyaml: ruamel is as fast
        raise Fallback
    stack: list[Any] = []  # open mappings and lists
    keys: list[Any] = []  # per open mapping: the key waiting for its value (_AWAITING while a key is awaited)
    root: Any = None
    documents = 0
    values = 0
    awaiting = _AWAITING
    words = _WORDS
    parser = yaml.CSafeLoader(text)
    try:
        get = parser.get_event
        while (event := get()) is not None:
            kind = event.__class__
            if kind is ScalarEvent:
                value = event.value
                if event.style:
                    node: Any = value
                elif value[:1].isalpha() and value not in words:  # a name: the common case, typed at once
                    node = value
                else:
                    node = _plain(value)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if len(stack) >= max_depth:
                    raise Refused(f"nested too deep (more than {max_depth} levels)", event.start_mark.line)
                node = Mapping() if kind is MappingStartEvent else Sequence()
                mark = event.start_mark
                node.lc = LineCol(mark.line, mark.column)
                if kind is MappingStartEvent:
                    node.lc._at = {}
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                stack.pop()
                keys.pop()
                continue
            elif kind is AliasEvent:
                raise Fallback
            else:
                if kind is DocumentStartEvent:
                    documents += 1
                    if documents > 1:
                        raise Fallback
                continue
            if event.anchor is not None or event.tag is not None:
                raise Fallback
            values += 1
            if values > max_values:
                raise Refused(f"too many values (more than {max_values})", event.start_mark.line)
            if stack:
                parent = stack[-1]
                if parent.__class__ is Mapping:
                    key = keys[-1]
                    if key is awaiting:
                        if kind is not ScalarEvent or node in parent:  # a complex or duplicate key: ruamel's words
                            raise Fallback
                        keys[-1] = node
                        mark = event.start_mark
                        parent.lc._at[node] = (mark.line, mark.column)
                    else:
                        parent[key] = node
                        keys[-1] = awaiting
                else:
                    parent.append(node)
                    mark = event.start_mark
                    parent.lc._at.append((mark.line, mark.column))
            else:
                root = node
            if kind is not ScalarEvent:
                stack.append(node)
                keys.append(awaiting)
    finally:
        parser.dispose()
    return root


_AWAITING = object()
