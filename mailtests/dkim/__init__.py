"""DKIM key records (RFC 6376 §3.6.1, RFC 8301, RFC 8463): the tag-value grammar and the key, without I/O."""

from .key import KeyRecord, parse_key
from .tags import TagError, tag_list

__all__ = ["KeyRecord", "TagError", "parse_key", "tag_list"]
