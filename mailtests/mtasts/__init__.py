"""MTA-STS (RFC 8461) and SMTP TLS reporting (RFC 8460): record and policy grammars, MX pattern matching.

No I/O: the checks fetch, these modules judge. Written by hand because no well-kept
library parses the policy without also fetching it (postfix-mta-sts-resolver and
similar tools bundle their own asyncio HTTP client and cache).
"""

from .policy import MAX_AGE_MAX, MAX_POLICY_BYTES, Policy, mx_matches, parse_policy, policy_url
from .records import StsRecord, TlsRptRecord, parse_sts_record, parse_tlsrpt_record

__all__ = ["MAX_AGE_MAX", "MAX_POLICY_BYTES", "Policy", "StsRecord", "TlsRptRecord", "mx_matches", "parse_policy",
           "parse_sts_record", "parse_tlsrpt_record", "policy_url"]
