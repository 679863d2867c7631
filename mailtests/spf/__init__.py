"""SPF (RFC 7208) without DNS evaluation: the record grammar and the static include-tree walk."""

from .record import Record, Term, is_spf, parse
from .tree import MAX_LOOKUPS, MAX_VOIDS, Node, Tree, walk

__all__ = ["MAX_LOOKUPS", "MAX_VOIDS", "Node", "Record", "Term", "Tree", "is_spf", "parse", "walk"]
