"""DMARC (RFC 9989) without I/O: the record grammar and the DNS Tree Walk of policy discovery."""

from .record import POLICIES, RANK, DmarcRecord, ReportUri, is_dmarc, parse, parse_uri
from .walk import MAX_QUERIES, Step, Walk, dmarc_name, targets, walk

__all__ = ["MAX_QUERIES", "POLICIES", "RANK", "DmarcRecord", "ReportUri", "Step", "Walk", "dmarc_name", "is_dmarc",
           "parse", "parse_uri", "targets", "walk"]
