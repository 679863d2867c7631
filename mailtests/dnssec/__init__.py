"""DNSSEC validation without I/O (RFC 4033-4035): trust anchors, signature checks, the chain of trust,
and the algorithm rules of RFC 9904/9905/9906 and RFC 9276.

The checks' layer (``mailtests.checks.dnssec_status``) asks the questions and hands the answers
in; nothing here opens a socket, so every verdict can be reproduced from recorded answers.
"""

from .anchors import IANA_ROOT_ANCHOR, TrustAnchor, TrustAnchorError, load_trust_anchor
from .chain import BOGUS, INDETERMINATE, INSECURE, SECURE, RRsetVerdict, ZoneVerdict, alias_step, rrset_step, zone_step
from .crypto import SigCheck, Verifier

__all__ = [
    "BOGUS", "INDETERMINATE", "INSECURE", "SECURE", "IANA_ROOT_ANCHOR", "RRsetVerdict", "SigCheck", "TrustAnchor",
    "TrustAnchorError", "Verifier", "ZoneVerdict", "alias_step", "load_trust_anchor", "rrset_step", "zone_step",
]
