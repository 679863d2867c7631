"""The vendored RFC 7208 test suite and the DNS source that serves its zone data."""
