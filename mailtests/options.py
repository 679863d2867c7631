"""The plugin's command-line options for domains named on the command line, and the guard of path options.

pytest chooses its root folder and ini file before it knows a plugin's options: in
``pytest --domains /abs/domains.yaml`` it takes ``/abs/domains.yaml`` for a test path
at that moment, finds no ini file above it, and then collects the invocation folder,
the project's own tests included. ``--domains=/abs/domains.yaml`` (one token) and the
``mailtests`` command (which names the ini file and the suite itself) are safe;
:func:`check_path_options` stops the unsafe spelling with a usage error (exit code 4)
whenever it could have changed what is collected.
"""

from __future__ import annotations

from pathlib import Path

import pytest

#: Options whose value is a path: written as a separate token, an existing one can mislead pytest's root folder.
PATH_OPTIONS = ("--domains", "--zones", "--reports", "--trust-anchor", "--ca-file")


def add_command_line_options(group) -> None:
    group.addoption("--domain", metavar="NAME", action="append", default=None,
                    help="audit this domain with default settings instead of a domains file (repeatable; "
                         "`mailtests NAME...` gives each positional name this way)")
    group.addoption("--sending-ip", metavar="ADDR", action="append", default=None,
                    help="with one --domain: an address that sends its mail (repeatable; default: its MX hosts')")
    group.addoption("--helo", metavar="NAME", action="append", default=None,
                    help="with one --domain: the name its mail servers give in HELO/EHLO (repeatable)")
    group.addoption("--warmup-processes", metavar="N", type=int, choices=(1, 2), default=None,
                    dest="warmup_processes",
                    help="warm-up processes with --warmup=process: 1, or 2 splitting the domains (each DNS question "
                         "still asked once); default: 2 from 20 domains")
    group.addoption("--summary-view", choices=("auto", "domains", "lines"), default="lines",
                    help="the terminal summary: one line per failure (lines, default), each domain with its areas "
                         "(domains), or domains for up to 10 domains and lines above (auto; the mailtests command)")


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_path_options(config: pytest.Config) -> None:
    """Stop ``--domains PATH`` (two tokens) with a usage error when PATH could have moved pytest's root folder.

    Harmless, and let through: a path inside the invocation folder (pytest then finds
    the same ini file), and runs given explicit test paths (``--pyargs mailtests``,
    the ``mailtests`` command), whose collection does not depend on the root folder.
    """
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        return
    here = Path(config.invocation_params.dir).resolve()
    args = [str(a) for a in config.invocation_params.args]
    for option, value in zip(args, args[1:], strict=False):
        if option not in PATH_OPTIONS:
            continue
        path = (here / value).resolve()
        if path.exists() and not _inside(path, here):
            raise pytest.UsageError(
                f"{option} {value}: write {option}={value} (one token, with `=`). Given as a separate value, "
                "an existing path outside this folder is taken by pytest for a test path when it chooses its root "
                f"folder, and other tests would be collected; or run `mailtests {option}={value}`.")
