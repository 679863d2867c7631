"""SPF (RFC 7208)."""

import pytest

pytestmark = pytest.mark.spf


def test_spf_present(result):
    """The domain publishes a v=spf1 TXT record (RFC 7208 §3)."""
    assert result.compliant, result.message


def test_spf_single(result):
    """The domain publishes exactly one v=spf1 record; two or more are a permerror (RFC 7208 §4.5)."""
    assert result.compliant, result.message


def test_spf_syntax(result):
    """The record and every record it includes parse: known mechanisms and modifiers, valid CIDR lengths and
    macros, no duplicate redirect= or exp= (RFC 7208 §12)."""
    assert result.compliant, result.message


def test_spf_lookup_limit(result):
    """At most 10 DNS-querying terms (include, a, mx, ptr, exists, redirect) over the whole include tree
    (RFC 7208 §4.6.4)."""
    assert result.compliant, result.message


def test_spf_void_lookups(result):
    """At most 2 lookups in the tree return no answer (NXDOMAIN or no data) (RFC 7208 §4.6.4)."""
    assert result.compliant, result.message


def test_spf_includes_valid(result):
    """Every include and redirect target publishes one valid SPF record, without loops (RFC 7208 §5.2, §6.1)."""
    assert result.compliant, result.message


def test_spf_all_policy(result):
    """The record ends in -all or ~all; +all, which authorises every host, fails (RFC 7208 §5.1)."""
    assert result.compliant, result.message


def test_spf_no_ptr(result):
    """The tree uses no ptr mechanism (RFC 7208 §5.5: SHOULD NOT be used)."""
    assert result.compliant, result.message


def test_spf_size(result):
    """The record fits a 512-octet UDP answer: about 450 octets of record (RFC 7208 §3.4)."""
    assert result.compliant, result.message


def test_spf_authorizes_senders(result):
    """Every sending IP of the domain, with its HELO name, evaluates to SPF pass (RFC 7208 §2.6)."""
    assert result.compliant, result.message
