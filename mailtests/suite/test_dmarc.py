"""DMARC (RFC 9989, RFC 9990, RFC 9991)."""

import pytest

pytestmark = pytest.mark.dmarc


def test_dmarc_present(result):
    """A DMARC policy applies to the domain: a v=DMARC1 record at _dmarc.<domain> or found by the DNS tree walk
    above it (RFC 9989 §4.10)."""
    assert result.compliant, result.message


def test_dmarc_single(result):
    """Exactly one v=DMARC1 record where the policy is found; with two or more all are discarded (RFC 9989 §4.10)."""
    assert result.compliant, result.message


def test_dmarc_syntax(result):
    """The record parses: v=DMARC1 first, valid p/sp/np, adkim/aspf, t, psd, fo, and rua/ruf URIs; removed tags
    (pct, rf, ri) and !size warn (RFC 9989 §4.7)."""
    assert result.compliant, result.message


def test_dmarc_policy(result):
    """The policy that applies is quarantine or reject, not t=y, sp/np no weaker than p; a parked domain rejects
    (RFC 9989 §5.1.4-§5.1.7)."""
    assert result.compliant, result.message


def test_dmarc_reporting(result):
    """The record has at least one valid rua URI, or no aggregate reports are sent (RFC 9989 §5.1.3)."""
    assert result.compliant, result.message


def test_dmarc_external_reports(result):
    """Each report destination in another organizational domain authorizes the domain at
    <domain>._report._dmarc.<host> (RFC 9990 §4)."""
    assert result.compliant, result.message
