"""The quick path of domains.yaml's domain entries: the common shapes judged and built in one step.

A registrar's 100,000 domains are entries of one or two shapes: a name, or a mapping of
``name``, ``helo``, ``dkim_selectors`` and ``sending_ips``. :class:`QuickEntries` builds the
entry of such a shape with no error in it directly (about a third of the time of the
checks of :mod:`mailtests.config`, key by key); for anything else (another key, a value of
another type, any problem at all) it returns None and leaves the entry to those checks,
which word the error. So it can only ever accept what they accept and build what they
build: tests/test_config_entries.py holds the two to the same entries and the same errors.
Lists of selectors recur from entry to entry (``[s2026]``): each is judged once.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from mailtests.config_values import is_selector, normalize_domain
from mailtests.fastyaml import Mapping, Sequence

_QUICK_KEYS = frozenset({"name", "helo", "dkim_selectors", "sending_ips"})


class QuickEntries:
    """Builds the common domain entries (``make`` is DomainEntry); None for any other (see the module docstring)."""

    def __init__(self, make: Callable[..., Any]) -> None:
        self.make = make
        self.selectors: dict[tuple, tuple[str, ...]] = {}  # the lists already judged, as written -> as used

    def build(self, items: Any) -> list[Any] | None:
        """Each entry of the ``domains`` list built, or None where the schema and the checks must judge it; None
        for a list this path does not read (ruamel's tree). Duplicates are for the caller to find."""
        if items.__class__ is not Sequence:
            return None
        entry, at = self.entry, items.lc._at
        return [entry(item, at[i][0]) for i, item in enumerate(items)]

    def entry(self, item: Any, line0: int) -> Any:
        """One entry of the list (at 0-based ``line0``), or None."""
        if item.__class__ is str:
            name = self.name(item)
            return None if name is None else self.make(name[0], name[1], line=line0 + 1)
        if item.__class__ is not Mapping or not _QUICK_KEYS.issuperset(item) or "name" not in item:
            return None
        if None in dict.values(item):
            return None  # a key with no value: the checks word it
        text = item["name"]
        name = self.name(text) if text.__class__ is str else None
        if name is None:
            return None
        fields: dict[str, Any] = {}
        helo = item.get("helo")
        if helo is not None:
            if helo.__class__ is str and helo.strip():
                fields["helo"] = (helo,)
            elif helo.__class__ is Sequence and helo and all(h.__class__ is str and h.strip() for h in helo):
                fields["helo"] = tuple(helo)
            else:
                return None
        written = item.get("dkim_selectors")
        if written is not None:
            selectors = self.selector_list(written)
            if selectors is None:
                return None
            fields["dkim_selectors"] = selectors
        ips = item.get("sending_ips")
        if ips is not None:
            addresses = _addresses(ips)
            if addresses is None:
                return None
            fields["sending_ips"] = addresses
        return self.make(name[0], name[1], line=line0 + 1, **fields)

    @staticmethod
    def name(text: str) -> tuple[str, str] | None:
        try:
            return normalize_domain(text)
        except ValueError:
            return None

    def selector_list(self, written: Any) -> tuple[str, ...] | None:
        """The selectors of a list that is valid as written (each lowercased, none twice), else None."""
        if written.__class__ is not Sequence:
            return None
        key = tuple(written)
        try:
            known = self.selectors.get(key)  # a list seen before: judged then
        except TypeError:  # a mapping or list in it
            return None
        if known is None:
            if not all(s.__class__ is str for s in written):
                return None
            names = tuple(s.strip().lower() for s in written)
            if len(set(names)) != len(names) or not all(s.strip() and is_selector(s) for s in names):
                return None
            known = self.selectors[key] = names
        return known


def _addresses(written: Any) -> tuple[Any, ...] | None:
    """The sending addresses of a list that is valid as written (none scoped, none twice), else None."""
    if written.__class__ is not Sequence or not written:
        return None
    out = []
    for text in written:
        if text.__class__ is not str:
            return None
        try:
            ip = ipaddress.ip_address(text.strip())
        except ValueError:
            return None
        if getattr(ip, "scope_id", None) or ip in out:
            return None
        out.append(ip)
    return tuple(out)
