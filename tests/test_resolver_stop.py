"""No resolver answers: the run stops at once with one message, and tells a broken local setup apart."""

import time

import pytest

pytest_plugins = ["pytester"]


def run_suite(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    options = ("-o", "addopts=", "-p", "no:html", "-p", "no:cacheprovider", "--dns-timeout", "1")
    return pytester.runpytest_subprocess("--pyargs", "mailtests", *options, *args)


def test_a_dead_local_resolver_with_a_live_fallback_is_called_a_broken_local_configuration(pytester, lab):
    pytester.makefile(".yaml", domains="fallback_resolvers: ['127.53.0.53']\ndomains: [healthy.com]\n")
    started = time.monotonic()
    run = run_suite(pytester, "--resolver", "127.0.0.1:9")
    assert time.monotonic() - started < 10
    assert run.ret == pytest.ExitCode.INTERRUPTED
    run.stdout.fnmatch_lines(["*no configured resolver answers (127.0.0.1:9: no answer within 1 s)*"
                              "fallback resolver 127.53.0.53:53 answers: the local resolver configuration is broken*"])


def test_one_dead_resolver_among_live_ones_does_not_stop_the_run(pytester, lab):
    pytester.makefile(".yaml", domains="domains: [healthy.com]\n")
    run = run_suite(pytester, "--resolver", "127.0.0.1:9", "--resolver", "127.53.0.53", "-m", "resolver")
    outcomes = run.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1 and outcomes.get("passed", 0) >= 1  # the dead one fails its own rows
    run.stdout.fnmatch_lines(["*FAIL*127.0.0.1:9 resolver.reachable*"])
