"""BIMI (draft-brand-indicators-for-message-identification)."""

import pytest

pytestmark = pytest.mark.bimi


def test_bimi_syntax(result):
    """Where default._bimi.<domain> publishes a record: one, v=BIMI1 first, l= an https SVG logo URI or empty,
    a= empty or https (BIMI draft §4.3)."""
    assert result.compliant, result.message


def test_bimi_dmarc_enforced(result):
    """A domain with a BIMI record has a DMARC policy of quarantine or reject, for it and its organizational
    domain, sp not none, not in test mode (BIMI draft §7.1)."""
    assert result.compliant, result.message
