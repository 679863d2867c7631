"""BIMI assertion records (draft-brand-indicators-for-message-identification §4.3), without I/O."""

from .record import BimiRecord, is_bimi, parse

__all__ = ["BimiRecord", "is_bimi", "parse"]
