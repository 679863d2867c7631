"""Resolver health, once per run and resolver (catalog, "Resolver health")."""

import pytest

pytestmark = pytest.mark.resolver


def test_resolver_reachable(result):
    """The resolver answers a query (RFC 1034 §5.3.1)."""
    assert result.compliant, result.message


def test_resolver_latency(result):
    """A lookup through the resolver answers within the latency threshold, 1 s by default (RFC 1034 §5.3.1)."""
    assert result.compliant, result.message


def test_resolver_caching(result):
    """The resolver caches: a repeated answer comes faster or with its TTL counting down (RFC 1035 §7.4)."""
    assert result.compliant, result.message
