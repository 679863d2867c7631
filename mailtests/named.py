"""Domains named on the command line (``mailtests example.com``, ``--domain NAME``): a Config with default settings.

The entries are written as a small domains document and validated by the same loader
as a domains file (:func:`mailtests.config.parse_config`), so a name or address is
checked exactly as in domains.yaml; an error names the option instead of a line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from .config import Config, ConfigError, parse_config

#: What results.json and the reports give as the run's domains file.
COMMAND_LINE = Path("command line")
#: Options that describe one domain (--dkim-selector applies to every domain: mailtests.session.with_selectors).
_OPTIONS = {"sending_ips": "--sending-ip", "helo": "--helo"}


class NamedDomainsError(Exception):
    """A bad name or option value; ``str()`` is the one-line report."""


def config_from_names(names: Sequence[str], sending_ips: Sequence[str] = (), helo: Sequence[str] = ()) -> Config:
    """The configuration of an audit of ``names`` with default settings and the per-domain options given."""
    names = list(dict.fromkeys(names))  # a name given twice is audited once
    per_domain = {"sending_ips": list(sending_ips), "helo": list(helo)}
    given = [_OPTIONS[key] for key, value in per_domain.items() if value]
    if given and len(names) != 1:
        raise NamedDomainsError(f"{', '.join(given)} describe one domain: name exactly one "
                                f"(or list the domains in a domains file), not {len(names)}")
    lines = ["domains:"]
    for name in names:
        entry = {"name": name, **{key: value for key, value in per_domain.items() if value}}
        lines.append("  - " + json.dumps(entry, ensure_ascii=False))  # JSON is YAML: quoted, escaped
    try:
        return parse_config("\n".join(lines) + "\n", COMMAND_LINE)
    except ConfigError as exc:
        index = exc.line - 2
        name = names[index] if 0 <= index < len(names) else None
        option = _OPTIONS.get(exc.key.split("[", 1)[0], "domain name")
        where = f"{option} ({name})" if name is not None and option != "domain name" else option
        raise NamedDomainsError(f"{where}: {exc.message}") from None
