"""Name servers (RFC 1034 §4.2, RFC 2182)."""

import pytest

pytestmark = pytest.mark.ns


def test_ns_present(result):
    """The domain publishes an NS RRset (RFC 1034 §4.2.1)."""
    assert result.compliant, result.message
