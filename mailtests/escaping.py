"""Text from strangers, made safe for each output: the one place every report escapes through.

Record data, server banners, file names and the error text of libraries that quote
them (pyspf, dnspython, ssl) are written by whoever controls a zone, a server or a
file. A terminal obeys the control characters in them (ESC ``[2J`` clears the
screen, OSC ``]0;...`` BEL sets the window title), XML 1.0 forbids most of them
(a JUnit file with one is unreadable), and HTML parsers turn NUL into U+FFFD.

So every such character is shown as its escape (``\\x1b``, ``\\x00``, ``\\x9b``,
``\\u202e``) wherever text is written:

* :func:`terminal`: C0 controls (tab and line feed included: a message is one line),
  DEL, C1 controls, and the Unicode bidirectional overrides and isolates that reorder
  what a terminal shows ("Trojan Source", CVE-2021-42574). An ANSI or OSC sequence
  loses its ESC (or CSI/OSC C1 byte) and is shown as text.
* :func:`xml`: the same, plus what XML 1.0 §2.2 forbids (surrogates, U+FFFE/U+FFFF).
* :func:`html`: :func:`terminal`, then ``html.escape`` (``<``, ``>``, ``&``, quotes).

Results carry their messages escaped for the terminal from the start
(:mod:`mailtests.audit`), so every output that prints a message (the failure line, the
summary, ComplianceWarning, JUnit XML, pytest-html, audit.html) shows the same text;
the evidence keeps the data as it came, and the HTML reports escape it here.
"""

from __future__ import annotations

import html as _html
import re

# C0 (tab and line feed too), DEL, C1, bidi embeddings/overrides/isolates and the marks that steer them.
_TERMINAL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# XML 1.0 §2.2 Char, and the terminal's set: what is left is printable in a JUnit file too.
_XML = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: object) -> str:
    """``text`` with every control character shown as its escape (see the module docstring); one line."""
    return _TERMINAL.sub(_escape, str(text))


def xml(text: object) -> str:
    """``text`` with no character XML 1.0 forbids, nor any control character (shown escaped)."""
    return _XML.sub(_escape, str(text))


def html(text: object, quote: bool = True) -> str:
    """``text`` escaped for HTML content or a quoted attribute, controls shown as escapes (no raw NUL)."""
    return _html.escape(xml(text), quote=quote)


def is_clean(text: str) -> bool:
    """True when ``text`` has nothing :func:`xml` would escape."""
    return _XML.search(text) is None
