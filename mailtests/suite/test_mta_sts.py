"""MTA-STS (RFC 8461)."""

import pytest

pytestmark = [pytest.mark.mta_sts, getattr(pytest.mark, "mta-sts")]


def test_mta_sts_record(result):
    """`_mta-sts.<domain>` has exactly one valid `v=STSv1; id=...;` TXT record (RFC 8461 §3.1)."""
    assert result.compliant, result.message


def test_mta_sts_policy(result):
    """The policy is served over valid HTTPS as text/plain, 200, no redirect, <= 64 KB, well formed (RFC 8461 §3.2,
    §3.3)."""
    assert result.compliant, result.message


def test_mta_sts_mode(result):
    """The policy is in enforce mode with a max_age of at least a week (RFC 8461 §3.2, §5)."""
    assert result.compliant, result.message


def test_mta_sts_mx_match(result):
    """Every MX host matches an `mx` pattern of the policy (RFC 8461 §4.1)."""
    assert result.compliant, result.message
