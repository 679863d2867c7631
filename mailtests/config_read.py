"""Reading a domains file: the bounds that keep parsing time bounded, and the YAML parsers behind them.

:mod:`mailtests.lineyaml` reads the common shape of a large file (block YAML, one value a line) fastest,
libyaml (:mod:`mailtests.fastyaml`) the other common shapes; ruamel.yaml's round-trip
loader reads the rest, guarded against aliases, too many values and deep nesting. Every
problem is a :class:`ConfigError` naming the file and the line; :mod:`mailtests.config`
validates what is read (see its docstring for the error format and the bounds). ruamel.yaml
(:mod:`mailtests.config_ruamel`) is imported only for a file libyaml leaves to it: most files
never need it, and importing it is a twentieth of a second of every run's start-up.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: Larger files are refused unread (the pure-Python YAML parser needs ~1 s per MB).
MAX_FILE_BYTES = 10 * 1024 * 1024
#: Longer lines are refused before parsing: ruamel.yaml is quadratic in a leading comment line (64 KiB: 0.1 s).
MAX_LINE_CHARS = 64 * 1024
#: At most this many YAML values (scalars, lists, mappings): 100,000 domains of up to 20 values each, read by
#: libyaml (mailtests.fastyaml) in about 4 s.
MAX_YAML_NODES = 2_000_000
#: At most this many values in a file ruamel.yaml parses (YAML the fast reader leaves to it): about 15 s.
MAX_RUAMEL_NODES = 100_000
#: The schema nests 5 deep; anything much deeper is not a domains file.
MAX_YAML_DEPTH = 16


class ConfigError(Exception):
    """A problem with the configuration file; ``str()`` is the one-line report (see the module docstring).

    ``path`` is the file as given, ``line`` 1-based (0: no line), ``key`` the path to the
    offending key ("" for none), ``message`` the problem, ``domain`` the entry's name or None.
    """

    def __init__(self, path: str, line: int, key: str, message: str, domain: str | None = None) -> None:
        self.path, self.line, self.key, self.message, self.domain = path, line, key, message, domain
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return ": ".join(p for p in (where, self.domain, self.key, self.message) if p)


def check_lines(text: str, display: str) -> None:
    """Refuse a line over MAX_LINE_CHARS before the parser sees it (see the module docstring)."""
    if len(text) <= MAX_LINE_CHARS or max(map(len, text.split("\n"))) <= MAX_LINE_CHARS:  # (a loop in C)
        return
    for number, line in enumerate(text.split("\n"), 1):
        if len(line) > MAX_LINE_CHARS:
            raise ConfigError(display, number, "", f"the line is {len(line):,} characters long, over the limit of "
                                                   f"{MAX_LINE_CHARS:,}")


@contextmanager
def without_gc() -> Iterator[None]:
    """Python's cyclic garbage collector paused: loading 100,000 domains makes about a million objects, and the
    collector's passes over them took half the time of reading the file (they hold no cycles to collect)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_yaml(text: str, display: str) -> Any:
    """Parse one YAML document: with libyaml where :mod:`mailtests.fastyaml` reads it as ruamel would, else with
    ruamel's round-trip loader (for line numbers); errors become ConfigError."""
    from mailtests import fastyaml, lineyaml

    try:
        return lineyaml.load(text, MAX_YAML_NODES, MAX_YAML_DEPTH)
    except fastyaml.Fallback:
        pass
    import yaml

    try:
        return fastyaml.load(text, MAX_YAML_NODES, MAX_YAML_DEPTH)
    except fastyaml.Fallback:
        pass
    except fastyaml.Refused as exc:
        raise ConfigError(display, exc.line0 + 1, "", exc.message) from None
    except yaml.YAMLError as exc:  # ruamel words the error, where it parses the file in reasonable time
        if len(text) > fastyaml.RUAMEL_ERRORS_UP_TO:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            problem, context = getattr(exc, "problem", None), getattr(exc, "context", None)
            detail = f"{problem} ({context})" if problem and context else (problem or context or str(exc))
            raise ConfigError(display, mark.line + 1 if mark else 0, "", f"invalid YAML: {detail}") from None
    from mailtests.config_ruamel import YamlProblem, load_ruamel

    try:
        return load_ruamel(text, min(MAX_YAML_NODES, MAX_RUAMEL_NODES), MAX_YAML_DEPTH)
    except YamlProblem as exc:
        raise ConfigError(display, exc.line, "", exc.message) from None
