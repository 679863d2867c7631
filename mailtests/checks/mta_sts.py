"""MTA-STS checks (RFC 8461): the `_mta-sts` record, the policy fetched over HTTPS, its mode and MX patterns."""

from __future__ import annotations

from ..catalog import Severity
from ..mtasts import mx_matches, parse_sts_record, policy_url
from ..mtasts.policy import MAX_AGE_MAX
from ..result import Finding, failed, passed, skipped
from . import check
from .common import display, listing, mx_set, real_exchanges
from .context import Context
from .transport import PolicyFetch, sts_policy, sts_records

WEEK = 604800
EXAMPLE = 'v=STSv1; id=20260101T000000'


@check("mta-sts.record")
def mta_sts_record(ctx: Context) -> Finding:
    """RFC 8461 §3.1: `_mta-sts.<domain>` has exactly one TXT record `v=STSv1; id=...;` (others are discarded)."""
    name = f"_mta-sts.{ctx.domain}"
    records = sts_records(ctx)
    if not records:
        return failed(
            f"{ctx.domain} publishes no MTA-STS record at {name}: senders cannot learn that it requires TLS. "
            f'Publish `{name}. TXT "{EXAMPLE}"` and the policy at {policy_url(ctx.domain)}',
            severity=Severity.WARN)
    if len(records) > 1:
        return failed(
            f"{name} has {len(records)} MTA-STS records ({listing(f'`{r}`' for r in records)}): senders then "
            f'assume there is no policy (RFC 8461 §3.1). Keep exactly one, e.g. `"{EXAMPLE}"`',
            severity=Severity.FAIL, records=records)
    record = parse_sts_record(records[0])
    if not record.valid:
        return failed(
            f"the MTA-STS record of {ctx.domain} `{records[0]}` is malformed: {'; '.join(record.errors)}. "
            f'Senders then assume there is no policy. Publish `"{EXAMPLE}"` (the id: 1 to 32 letters or digits, '
            "changed whenever the policy changes)", severity=Severity.FAIL, records=records)
    return passed(f"{name} publishes one valid MTA-STS record (id {record.id})", records=records)


def _fetched(ctx: Context) -> PolicyFetch | Finding:
    if not sts_records(ctx):
        return skipped(f"{ctx.domain} publishes no MTA-STS record (mta-sts.record reports it), so there is no "
                       "policy to fetch")
    return sts_policy(ctx)


def _evidence(found: PolicyFetch) -> dict:
    return {"fetch": found.fetch.summary()} if found.fetch is not None else {}


@check("mta-sts.policy")
def mta_sts_policy(ctx: Context) -> Finding:
    """RFC 8461 §3.3: the policy answers 200 over HTTPS with a valid certificate, no redirect, text/plain, <= 64 KB;
    §3.2: it has version STSv1, a mode, max_age 0-31557600 and an mx line unless the mode is none."""
    found = _fetched(ctx)
    if isinstance(found, Finding):
        return found
    url = policy_url(ctx.domain)
    if found.problem:
        return failed(f"the MTA-STS policy of {ctx.domain} at {url} is unusable: {found.problem}. Serve the policy "
                      "there as `text/plain` with status 200, over a certificate valid for "
                      f"mta-sts.{ctx.domain}, in at most 64 KB, without redirects", **_evidence(found))
    policy = found.policy
    assert policy is not None
    if not policy.valid:
        return failed(f"the MTA-STS policy of {ctx.domain} at {url} is malformed: {'; '.join(policy.errors)}. "
                      "Publish e.g. `version: STSv1`, `mode: enforce`, `mx: mail.example.com`, "
                      f"`max_age: {WEEK}`, one field a line", **_evidence(found))
    return passed(f"the MTA-STS policy of {ctx.domain} is served correctly at {url}: mode {policy.mode}, "
                  f"max_age {policy.max_age}, mx {listing(policy.mx) or '(none)'}", **_evidence(found))


def _valid_policy(ctx: Context):
    found = _fetched(ctx)
    if isinstance(found, Finding):
        return found
    if found.problem or found.policy is None or not found.policy.valid:
        return skipped(f"{ctx.domain} has no usable MTA-STS policy (mta-sts.policy reports it)")
    return found


@check("mta-sts.mode")
def mta_sts_mode(ctx: Context) -> Finding:
    """RFC 8461 §5: only mode enforce makes senders require TLS; §3.2: a max_age of weeks, not seconds."""
    found = _valid_policy(ctx)
    if isinstance(found, Finding):
        return found
    policy = found.policy
    problems = []
    if policy.mode != "enforce":
        problems.append(f"the mode is {policy.mode}: senders {'only report' if policy.mode == 'testing' else 'ignore'}"
                        " failures and still deliver without TLS")
    if policy.max_age is not None and policy.max_age < WEEK:
        problems.append(f"max_age is {policy.max_age} s, less than a week ({WEEK} s): the policy expires from "
                        "senders' caches between visits")
    if problems:
        return failed(f"the MTA-STS policy of {ctx.domain} protects little: {'; '.join(problems)}. Publish "
                      f"`mode: enforce` and a max_age of at least {WEEK} (up to {MAX_AGE_MAX})",
                      mode=policy.mode, max_age=policy.max_age)
    return passed(f"the MTA-STS policy of {ctx.domain} is in enforce mode with max_age {policy.max_age}",
                  mode=policy.mode, max_age=policy.max_age)


@check("mta-sts.mx-match")
def mta_sts_mx_match(ctx: Context) -> Finding:
    """RFC 8461 §4.1: every MX host matches an `mx` pattern of the policy; `*.` stands for one leftmost label."""
    found = _valid_policy(ctx)
    if isinstance(found, Finding):
        return found
    policy = found.policy
    if policy.mode == "none":
        return skipped(f"the MTA-STS policy of {ctx.domain} is in mode none: senders match no MX host against it")
    hosts = [e.host for e in real_exchanges(mx_set(ctx))]
    if not hosts:
        return skipped(f"{ctx.domain} has no MX host to match (mx.present reports it)")
    unmatched = [h for h in hosts if not any(mx_matches(p, display(h)) for p in policy.mx)]
    if unmatched:
        return failed(
            f"MX host(s) of {ctx.domain} match no `mx` pattern of its MTA-STS policy ({listing(policy.mx)}): "
            f"{listing(unmatched)}. Senders in {policy.mode} mode "
            f"{'refuse to deliver to them' if policy.mode == 'enforce' else 'report them'}. Add "
            f"`mx: {display(unmatched[0])}` to the policy (`*.` covers exactly one label)",
            patterns=list(policy.mx), unmatched=[display(h) for h in unmatched])
    return passed(f"every MX host of {ctx.domain} matches a pattern of its MTA-STS policy: {listing(hosts)}",
                  patterns=list(policy.mx))
