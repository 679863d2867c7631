"""ruamel.yaml's round-trip loader for the domains files libyaml leaves to it (:mod:`mailtests.fastyaml`).

Guarded against aliases, too many values and deep nesting (the bounds are
:mod:`mailtests.config_read`'s, given by it); imported only when a file needs it (see there).
Problems are :class:`YamlProblem` (line and message), which the caller words as its errors.
"""

from __future__ import annotations

import warnings
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.reader import ReaderError

_MAX_DIGITS = 100  # a longer number is refused with its line (Python's int() stops at 4,300 digits, lineless)


class YamlProblem(Exception):
    """Why a document was not read: ``line`` 1-based (0: no line), ``message`` in the loader's words."""

    def __init__(self, line: int, message: str) -> None:
        self.line, self.message = line, message
        super().__init__(message)


class _Refused(MarkedYAMLError):
    """Input the loader will not parse (aliases, too many values, too deep)."""


class _GuardedComposer(Composer):
    """A composer that refuses aliases and bounds the number and depth of nodes (set by :func:`load_ruamel`)."""

    max_values = 0
    max_depth = 0

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader=loader)
        self.node_count = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            raise _Refused(None, None, f"YAML aliases (*{event.anchor}) are not allowed", event.start_mark)
        self.node_count += 1
        if self.node_count > self.max_values:
            raise _Refused(None, None, f"too many values (more than {self.max_values})", event.start_mark)
        if self.depth >= self.max_depth:
            raise _Refused(None, None, f"nested too deep (more than {self.max_depth} levels)", event.start_mark)
        value = getattr(event, "value", None)
        if isinstance(value, str) and len(value) > _MAX_DIGITS and value.lstrip("+-").replace("_", "").isdigit():
            raise _Refused(None, None, f"a number of {len(value):,} digits: no value here is that long",
                           event.start_mark)  # Python refuses to convert it (sys.get_int_max_str_digits)
        return super().compose_node(parent, index)


def load_ruamel(text: str, max_values: int, max_depth: int) -> Any:
    """Parse one YAML document with the round-trip loader (for line numbers); errors become YamlProblem."""
    yaml = YAML(typ="rt")
    yaml.Composer = type("Composer", (_GuardedComposer,), {"max_values": max_values, "max_depth": max_depth})
    yaml.allow_duplicate_keys = False
    try:
        with warnings.catch_warnings():  # ruamel.yaml warns on stderr (a reused anchor): the file's problems are errors
            warnings.simplefilter("ignore")
            return yaml.load(text)
    except _Refused as exc:
        raise YamlProblem(exc.problem_mark.line + 1, str(exc.problem)) from None
    except DuplicateKeyError as exc:
        raise YamlProblem(exc.problem_mark.line + 1, f"invalid YAML: {exc.problem}") from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark and mark.index >= len(text.rstrip()):
            mark = exc.context_mark  # "got <stream end>": point at what was left open
        detail = f"{exc.problem} ({exc.context})" if exc.problem and exc.context else (exc.problem or exc.context)
        raise YamlProblem(mark.line + 1 if mark else 0, f"invalid YAML: {detail}") from None
    except ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise YamlProblem(line, f"invalid YAML: character {char}: {exc.reason}") from None
    except (YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise YamlProblem(0, f"invalid YAML: {exc}") from None
