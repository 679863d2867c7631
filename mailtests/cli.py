"""The ``mailtests`` command: the suite through ``pytest.main``, from any folder, collecting nothing else.

    mailtests example.com example.net           audit domains named here (default settings)
    mailtests --domains=domains.yaml -k spf     audit a domains file; every pytest option passes through
    mailtests --list-checks [--format json]     the catalog: id, severity, requirement, reference
    mailtests merge OUT_DIR SHARDS...           merge the results.json of shards (see mailtests.merge)

pytest chooses its root folder and ini file from the command line before it knows the
plugin's options, so ``pytest --domains /abs/path`` may take the path for a test path.
This command never lets it guess: it gives pytest the package's own ini file
(``mailtests/data/mailtests.ini``, ``-c``), the suite folder as root folder and as the
only test path, and no conftest.py (``--noconftest``). Positional arguments are domain
names, passed on as ``--domain NAME``; which tokens are option values is read from
pytest's own option table, so ``-k example.com example.net`` names one domain.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

SUITE_DIR = Path(__file__).resolve().parent / "suite"
INI_FILE = Path(__file__).resolve().parent / "data" / "mailtests.ini"
#: What the command sets before the user's options (which come later and override the value options).
#: The command has imported mailtests before pytest starts, so pytest cannot rewrite the plugin's asserts (it
#: says so in a warning): the plugin has none to rewrite, the suite's modules are rewritten as usual.
#: Hypothesis's pytest plugin, where Hypothesis is installed, imports all of Hypothesis at the terminal summary of
#: every run (0.3 s; over 1 s where bytecode is not cached, as pytest rewrites the asserts of a plugin's package):
#: the suite has no Hypothesis tests.
DEFAULTS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-q", "--tb=no", "-rN", "--disable-warnings",
            "--summary-view=auto", "-W", "ignore::pytest.PytestAssertRewriteWarning")

USAGE = """\
usage: mailtests [DOMAIN ...] [--domains=FILE] [mailtests and pytest options]
       mailtests --list-checks [--format text|json]
       mailtests --schema                 (domains.yaml's JSON Schema)
       mailtests merge OUT_DIR SHARD_RESULTS.json...

Audit the domains named on the command line (default settings: the system's resolvers) or a
domains file (--domains=FILE, default domains.yaml), one pytest test per (domain, check).
With one domain: --sending-ip ADDR, --helo NAME (each repeatable); with any: --dkim-selector SEL.
Every pytest option passes through (-k, -m, -x, --junitxml=PATH, --html=PATH, -n N);
`mailtests --help-pytest` lists them. Exit codes are pytest's: 0 passed, 1 failures,
2 interrupted, 3 internal error, 4 usage error, 5 nothing collected.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["merge"]:
        from .merge_command import main as merge_main

        return merge_main(args[1:])
    if "--list-checks" in args:
        return list_checks(args)
    if args == ["--schema"]:  # domains.yaml's JSON Schema, to save beside a domains file for editors
        from .config_schema import schema

        print(json.dumps(schema(), indent=2, ensure_ascii=False))
        return 0
    if args[:1] in (["-h"], ["--help"]):
        print(USAGE)
        return 0
    if "--help-pytest" in args:
        args = [a for a in args if a != "--help-pytest"] + ["--help"]
    return run(args)


def list_checks(args: list[str]) -> int:
    """Print the catalog, as text (one check a line) or JSON (``--format json``)."""
    from .catalog import CHECKS

    rest = [a for a in args if a != "--list-checks"]
    fmt = "text"
    if rest[:1] == ["--format"] and len(rest) >= 2:
        fmt, rest = rest[1], rest[2:]
    elif rest[:1] and rest[0].startswith("--format="):
        fmt, rest = rest[0].split("=", 1)[1], rest[1:]
    if rest or fmt not in ("text", "json"):
        print("usage: mailtests --list-checks [--format text|json]", file=sys.stderr)
        return 4
    rows = [{"id": s.id, "area": s.area, "severity": s.severity.value, "requirement": s.requirement,
             "reference": s.reference, "test": s.test_name} for s in CHECKS.values()]
    if fmt == "json":
        print(json.dumps(rows, indent=1, ensure_ascii=False))
        return 0
    width = max(len(r["id"]) for r in rows)
    for r in rows:
        print(f"{r['id']:<{width}}  {r['severity']:<4}  {r['requirement']} ({r['reference']})")
    return 0


def base_args() -> list[str]:
    """What pins pytest to the suite: the package's ini file, its root folder, no conftest.py files."""
    args = ["-c", str(INI_FILE), f"--rootdir={SUITE_DIR}", "--noconftest"]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        args += ["-p", "mailtests.plugin"]
    return args


def pytest_args(argv: list[str]) -> list[str]:
    """The arguments of ``pytest.main`` for the command line ``argv``: domain names become ``--domain NAME``."""
    names, options = split_domains(argv)
    args = [*base_args(), *DEFAULTS, *options]
    for name in names:
        args += ["--domain", name]
    return [*args, str(SUITE_DIR)]


def run(argv: list[str]) -> int:
    import pytest

    return int(pytest.main(pytest_args(argv)))


def _value_options(plugins: list[str]) -> tuple[set[str], set[str]]:
    """pytest's option strings (with every installed plugin's and those of ``-p NAME``) that take a value, and
    those that take none."""
    from _pytest.config import _prepareconfig

    config = _prepareconfig([*base_args(), *plugins, str(SUITE_DIR)])
    try:
        valued, flags = set(), set()
        for action in config._parser.optparser._actions:
            (flags if action.nargs == 0 else valued).update(action.option_strings)
        return valued, flags
    finally:
        config._ensure_unconfigure()


def split_domains(argv: list[str]) -> tuple[list[str], list[str]]:
    """The positional arguments (domain names) and the rest, options with their values, in order."""
    plugins = [arg for i, arg in enumerate(argv) if arg.startswith("-p") or (i and argv[i - 1] == "-p")]
    # pytest's option table is read only when an option may take the next token as its value: it costs a whole
    # pytest configuration (every plugin loaded) before pytest.main makes its own, half a second of the command's
    # start-up, which `mailtests example.com` and `mailtests --domains=FILE` do without.
    valued: set[str] | None = None
    names: list[str] = []
    options: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        i += 1
        if token == "--":
            names += argv[i:]
            break
        if not token.startswith("-") or token == "-":
            names.append(token)
            continue
        options.append(token)
        if ("=" in token and token.startswith("--")) or i >= len(argv):
            continue
        if valued is None:
            valued, _ = _value_options(plugins)
        takes_value = token in valued or (  # a cluster of short flags whose last one takes a value: -xk EXPR
            not token.startswith("--") and len(token) > 2 and f"-{token[-1]}" in valued
            and all(f"-{c}" not in valued for c in token[1:-1]))
        if takes_value:
            options.append(argv[i])
            i += 1
    return names, options


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
