"""The MTA-STS and TLS-RPT grammars (RFC 8461 §3.1, §3.2, §4.1; RFC 8460 §3): pure functions, no I/O."""

from __future__ import annotations

import pytest

from mailtests.mtasts import mx_matches, parse_policy, parse_sts_record, parse_tlsrpt_record, policy_url


@pytest.mark.parametrize("text", ["v=STSv1; id=20160831085700Z;", "v=STSv1;id=abc", "v=STSv1; id=1; ext=value",
                                  "v=STSv1 ;  id=" + "a" * 32])
def test_valid_sts_records(text):
    assert parse_sts_record(text).valid, parse_sts_record(text).errors


@pytest.mark.parametrize(("text", "error"), [
    ("v=STSv1; id=bad-id!", "the id `bad-id!` is not 1 to 32 letters or digits"),
    ("v=STSv1; id=" + "a" * 33, "is not 1 to 32 letters or digits"),
    ("v=STSv1", "no field after the version"),
    ("v=STSv1; ext=1", "no `id=` field"),
    ("v=STSv1; id=1; id=2", "2 `id=` fields"),
    ("id=1; v=STSv1", "must start with `v=STSv1`"),
    ("v=STSv1; id 1", "`id 1` is not a `name=value` field"),
    ("v=STSv1; id=1; ext=a b", "the value of `ext`"),
])
def test_malformed_sts_records(text, error):
    record = parse_sts_record(text)
    assert not record.valid and any(error in e for e in record.errors), record.errors


POLICY = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n"


def test_a_policy_with_crlf_lines_parses():
    policy = parse_policy(POLICY)
    assert policy.valid, policy.errors
    assert (policy.version, policy.mode, policy.max_age, policy.mx) == (
        "STSv1", "enforce", 604800, ("mail.example.com", "*.example.net"))


@pytest.mark.parametrize(("text", "error"), [
    (POLICY.replace("STSv1", "STSv2"), "the version `STSv2` is not STSv1"),
    (POLICY.replace("enforce", "strict"), "the mode `strict` is not enforce, testing or none"),
    (POLICY.replace("604800", "31557601"), "max_age `31557601` is not a number of seconds"),
    (POLICY.replace("604800", "-1"), "max_age `-1`"),
    (POLICY.replace("max_age: 604800\r\n", ""), "`max_age` is missing"),
    ("version: STSv1\nmode: enforce\nmax_age: 86400\n", "mode enforce needs at least one `mx` line"),
    (POLICY + "mode: none\n", "`mode` appears 2 times"),
    (POLICY.replace("*.example.net", "**.example.net"), "mx `**.example.net` is not a host name"),
    (POLICY + "just words\n", "is not a `key: value` field"),
])
def test_malformed_policies(text, error):
    policy = parse_policy(text)
    assert not policy.valid and any(error in e for e in policy.errors), policy.errors


def test_mode_none_needs_no_mx_and_unknown_fields_are_ignored():
    assert parse_policy("version: STSv1\nmode: none\nmax_age: 0\nextension: value\n").valid


@pytest.mark.parametrize(("pattern", "host", "matches"), [
    ("mail.example.com", "mail.example.com", True),
    ("mail.example.com", "MAIL.Example.COM.", True),
    ("mail.example.com", "mail.example.com.evil.net", False),
    ("mail.example.com", "evilmail.example.com", False),
    ("*.example.com", "mx1.example.com", True),
    ("*.example.com", "a.mx1.example.com", False),  # one label only
    ("*.example.com", "example.com", False),
    ("*.example.com", "mx1.example.com.evil.net", False),
    ("*.example.com", ".example.com", False),
])
def test_mx_patterns_per_rfc8461_section_4_1(pattern, host, matches):
    assert mx_matches(pattern, host) is matches


def test_the_policy_url():
    assert policy_url("example.com.") == "https://mta-sts.example.com/.well-known/mta-sts.txt"


@pytest.mark.parametrize("text", ["v=TLSRPTv1; rua=mailto:tls@example.com",
                                  "v=TLSRPTv1;rua=mailto:a@example.com,https://reports.example.com/tls",
                                  "v=TLSRPTv1; rua=mailto:a@example.com , mailto:b@example.net;"])
def test_valid_tlsrpt_records(text):
    assert parse_tlsrpt_record(text).valid, parse_tlsrpt_record(text).errors


@pytest.mark.parametrize(("text", "error"), [
    ("v=TLSRPTv1; rua=ftp://example.com/", "neither a mailto: nor an https: URI"),
    ("v=TLSRPTv1; rua=mailto:nobody", "does not name a mailbox"),
    ("v=TLSRPTv1; rua=https:///path", "has no host name"),
    ("v=TLSRPTv1", "no field after the version"),
    ("v=TLSRPTv1; ruf=mailto:a@example.com", "no `rua=` field"),
    ("v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com", "2 `rua=` fields"),
    ("v=tlsrptv1; rua=mailto:a@example.com", "must start with `v=TLSRPTv1`"),
])
def test_malformed_tlsrpt_records(text, error):
    record = parse_tlsrpt_record(text)
    assert not record.valid and any(error in e for e in record.errors), record.errors
