"""The tag=value list of RFC 6376 §3.2, shared by DKIM key records, DMARC (RFC 9989 §4.7) and BIMI records.

The parsing itself is dkimpy's (``dkim.util.parse_tag_value``): the reference
implementation's reading of §3.2 (trailing ``;`` allowed, duplicate tags an error).
This module only turns its exceptions into one sentence for a finding.
"""

from __future__ import annotations

from dkim.util import DuplicateTag, InvalidTagSpec, parse_tag_value

from ..spf.record import short


class TagError(ValueError):
    """The text is not a tag=value list; the message says which part and why."""


def tag_list(text: str, lowercase_names: bool = False) -> dict[str, str]:
    """The tags of a record, in order (``{"v": "DKIM1", "p": "..."}``); raises :class:`TagError`.

    Values are as written, surrounding whitespace removed. ``lowercase_names`` for the
    grammars whose tag names are case-insensitive (DMARC and BIMI: ABNF literals).
    """
    try:
        raw = parse_tag_value(text.encode("utf-8", "surrogateescape"))
    except DuplicateTag as exc:
        name = exc.args[0].decode("utf-8", "replace") if exc.args else "?"
        raise TagError(f"the tag {short(name, 20)!r} appears more than once (RFC 6376 §3.2)") from None
    except InvalidTagSpec as exc:
        spec = exc.args[0].decode("utf-8", "replace") if exc.args else ""
        raise TagError(f"{short(spec.strip(), 60)!r} is not a tag=value pair (RFC 6376 §3.2)") from None
    out: dict[str, str] = {}
    for key, value in raw.items():
        name = key.decode("utf-8", "replace")
        if lowercase_names:
            name = name.lower()
            if name in out:
                raise TagError(f"the tag {short(name, 20)!r} appears more than once (RFC 6376 §3.2)")
        out[name] = value.decode("utf-8", "replace")
    return out
