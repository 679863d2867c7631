"""The fastest reader of domains files: block YAML whose values fit on their line, read line by line.

libyaml through PyYAML (:mod:`mailtests.fastyaml`) hands Python an event object with two
mark objects for every value: for 100,000 domains (about 600,000 events) that alone takes
1.5 s, before any tree is built, and no YAML library for Python gives line numbers for less.
A generated or exported domains file is a narrow kind of YAML, though: block mappings and
lists, one value a line, as in::

    resolvers: ["127.53.0.53"]   # a one-line list of plain or simply quoted values
    domains:
      - name: example.com
        helo: mail.example.com
        dkim_selectors: [s2026]

This module reads exactly that kind, one regular expression a line, and builds the same
tree as :func:`mailtests.fastyaml.load` (its :class:`~mailtests.fastyaml.Mapping`,
:class:`~mailtests.fastyaml.Sequence` and line information, its typing of plain values):
about a third of libyaml's time. Anything else raises :class:`~mailtests.fastyaml.Fallback`
and the caller reads the file with fastyaml (then ruamel): tabs, carriage returns and other
line breaks, characters YAML does not print, flow mappings, quoted keys, escapes in quoted
values, values over several lines, block scalars (``|``, ``>``), anchors, tags, aliases,
``---`` and directives, nested lists (``- - x``), indentation that does not close a block
exactly, duplicate keys, a value fastyaml's typing is not sure of, and files past the value
bound (so that fastyaml words the refusal). A property test (tests/test_lineyaml.py) holds
it to fastyaml's trees and line numbers on generated files.
"""

from __future__ import annotations

import re
from typing import Any

from mailtests.fastyaml import _WORDS, Fallback, LineCol, Mapping, Sequence, _plain

#: A character outside what this reader accepts: tabs, CR and the other YAML line breaks, BOMs, what YAML does not
#: print (libyaml refuses it with its own words).
_ODD = re.compile("[^\n\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_TOKEN = r"[\w./~+=@()-]"
#: A plain value: words of token characters joined by single spaces or colons (``2001:db8::1``, ``http://x``).
_PLAIN = rf"[\w./~]{_TOKEN}*(?:(?: |:+){_TOKEN}+)*"
#: One line: indent, an optional "- ", an optional simple key and its ':', then the value and an optional comment.
_LINE = re.compile(
    r"(?P<ind> *)(?P<dash>- +)?(?:(?P<key>[A-Za-z_][\w-]{0,99}):(?: +|$))?"
    rf"(?:(?P<plain>{_PLAIN})|\"(?P<dq>[^\"\\]*)\"|'(?P<sq>[^']*)'"
    r"|\[(?P<flow>(?:[^\[\]{}#\"']|\"[^\"\\]*\"|'[^']*')*)\])?"
    r" *(?:(?<![^ ])#.*)?$")
#: The common line, matched first (a third of the time of the full expression above).
_SIMPLE = re.compile(rf"( *)(- +)?(?:([A-Za-z_][\w-]{{0,99}}):(?: +|$))?"
                     rf"([\w./~]{_TOKEN}*(?::+{_TOKEN}+)*|\[[^\[\]{{}}#]*\])?$")
_WORD = re.compile(rf"[\w./~]{_TOKEN}*")
_FLOW_ITEM = re.compile(rf" *(?:(?P<plain>{_PLAIN})|\"(?P<dq>[^\"\\,]*)\"|'(?P<sq>[^',]*)') *")


def _scalar(plain: str | None, dq: str | None, sq: str | None) -> Any:
    """A plain value typed as fastyaml types it, a quoted one as written."""
    if plain is not None:
        return _plain(plain)
    return dq if dq is not None else sq


def _flow(text: str, line0: int, col: int) -> Sequence:
    """``[a, "b", 'c']`` (``text`` between the brackets, starting at ``col``) as a Sequence."""
    seq = Sequence()
    seq.lc = LineCol(line0, col - 1)
    if _WORD.fullmatch(text):  # the common list: one plain word
        seq.append(text if text[:1].isalpha() and text not in _WORDS else _plain(text))
        seq.lc._at.append((line0, col))
        return seq
    if not text.strip(" "):
        return seq
    at = seq.lc._at
    start = col
    for part in text.split(","):
        found = _FLOW_ITEM.fullmatch(part)
        if not found:
            raise Fallback
        name = "plain" if found["plain"] is not None else ("dq" if found["dq"] is not None else "sq")
        seq.append(_scalar(*found.group("plain", "dq", "sq")))
        at.append((line0, start + found.start(name) - (name != "plain")))
        start += len(part) + 1
    return seq


class _Block:
    """An open block mapping or list: its indent, and for a list under a key at the key's own indent, that."""

    __slots__ = ("node", "indent", "indentless")

    def __init__(self, node: Any, indent: int, indentless: bool = False) -> None:
        self.node, self.indent, self.indentless = node, indent, indentless


def _parts(line: str) -> tuple[str, str | None, str | None, Any, int, int]:
    """(indent, "- ", key, value, a list's start and end) of one line through the full expression (comments, quotes,
    spaces)."""
    found = _LINE.match(line)
    if found is None:
        raise Fallback
    ind, dash, key, plain, dq, sq, flow = found.group("ind", "dash", "key", "plain", "dq", "sq", "flow")
    if flow is not None:
        return ind, dash, key, _FLOW, found.start("flow"), found.end("flow")
    if plain is None and dq is None and sq is None:
        return ind, dash, key, _NONE, 0, 0
    return ind, dash, key, _scalar(plain, dq, sq), 0, 0


_NONE = object()  # no value on the line
_FLOW = object()  # a one-line list: read from the line at its start


def load(text: str, max_values: int, max_depth: int) -> Any:
    """The tree of a file of the kind this module reads (see its docstring); Fallback for any other."""
    if _ODD.search(text):
        raise Fallback
    stack: list[_Block] = []
    pending: tuple[Mapping, str, int] | None = None  # a key with no value on its line, and its mapping's indent
    root: Any = None
    values = 0
    simple, words, none, flow_list = _SIMPLE.match, _WORDS, _NONE, _FLOW
    for line0, line in enumerate(text.split("\n")):
        found = simple(line)
        if found is not None:  # the common line: no comment, no quotes, a value of one word or a one-line list
            ind, dash, key, value = found.groups()
            if value is None:
                value = none
            elif value[0] == "[":
                value, start, stop = flow_list, found.start(4) + 1, found.end(4) - 1
            elif not value[:1].isalpha() or value in words:
                value = _plain(value)
        else:
            ind, dash, key, value, start, stop = _parts(line)
        if dash is None and key is None:
            if value is not none:
                raise Fallback  # a value alone on its line: the rest of a multi-line value, or a document of one
            continue  # a blank or comment line
        if value is flow_list:
            value = _flow(line[start:stop], line0, start)
            values += len(value)
        col = len(ind)
        if pending is not None:  # the line after "key:" opens its block value, or leaves the key null
            mapping, pkey, pindent = pending
            pending = None
            if col > pindent or (col == pindent and dash is not None):
                if len(stack) >= max_depth - 2:
                    raise Fallback  # fastyaml refuses it, with its line
                node: Any = Sequence() if dash is not None else Mapping()
                node.lc = LineCol(line0, col)
                if dash is None:
                    node.lc._at = {}
                mapping[pkey] = node
                stack.append(_Block(node, col, col == pindent))
            else:
                mapping[pkey] = None
            values += 1
        elif root is None:
            if col or dash is not None:
                raise Fallback
            root = Mapping()
            root.lc = LineCol(line0, 0)
            root.lc._at = {}
            stack.append(_Block(root, 0))
            values += 1
        top = stack[-1]
        while top.indent > col or (top.indentless and top.indent == col and dash is None):
            stack.pop()
            if not stack:
                raise Fallback
            top = stack[-1]
        if top.indent != col:
            raise Fallback
        parent = top.node
        if dash is not None:
            if parent.__class__ is not Sequence:
                raise Fallback
            if key is None:  # "- value"
                if value is none:
                    raise Fallback
                parent.append(value)
                parent.lc._at.append((line0, col + len(dash)))
                values += 1
                continue
            col += len(dash)  # "- key: ...": a mapping starts at the key
            if len(stack) >= max_depth - 2:
                raise Fallback  # fastyaml refuses it, with its line
            mapping = Mapping()
            mapping.lc = LineCol(line0, col)
            mapping.lc._at = {}
            parent.append(mapping)
            parent.lc._at.append((line0, col))
            stack.append(_Block(mapping, col))
            parent = mapping
            values += 1
        elif parent.__class__ is not Mapping:
            raise Fallback
        if key in words or key in parent:
            raise Fallback  # a key typed otherwise (true, null), or a duplicate: fastyaml's (ruamel's) words
        parent.lc._at[key] = (line0, col)
        values += 2
        if value is none:
            pending = (parent, key, col)
            values -= 1
        else:
            parent[key] = value
    if pending is not None:
        pending[0][pending[1]] = None
        values += 1
    if values > max_values:
        raise Fallback  # fastyaml refuses it, with its line
    return root
