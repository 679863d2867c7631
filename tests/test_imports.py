"""Start-up cost guards: what loading the plugin and reading a domains file import, and what they leave alone.

pytest loads the ``mailtests`` plugin (entry point ``pytest11``) in every pytest run of an
environment it is installed in, and a run of one domain spends most of its time starting
(issue 15: "1 domain under 2 s for the whole process"). Heavy libraries are imported where
they are used: jsonschema to explain an invalid domains file, ruamel.yaml for a file libyaml
leaves to it, the areas' libraries by the checks that need them. No timing is asserted: each
test runs a fresh interpreter and reads ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Not imported by loading the plugin: each costs tens of milliseconds (jsonschema with referencing, rpds and attrs
#: about 0.1 s; the audit, with every check module, dns.dnssec and cryptography, more), and a run needs each only
#: for some inputs, or once it tests domains (see the module docstring).
HEAVY = ("jsonschema", "referencing", "ruamel.yaml", "octodns", "dkim", "spf", "yaml", "hypothesis", "pytest_html",
         "jinja2", "cryptography", "dns.dnssec", "smtplib", "http.client", "mailtests.audit", "mailtests.checks",
         "mailtests.probes", "mailtests.config_ruamel")
#: Not imported by reading a valid domains file that the line reader reads (the usual case).
PARSING_ONLY = ("jsonschema", "ruamel.yaml", "mailtests.config_ruamel", "yaml")


def _modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_loading_the_plugin_imports_no_heavy_library():
    loaded = _modules_after("import mailtests.plugin")
    assert "mailtests.plugin" in loaded and "mailtests.session" in loaded  # it did load what it needs
    assert sorted(m for m in HEAVY if m in loaded) == []


@pytest.mark.parametrize("path", ["tests/lab/domains.yaml", "domains.yaml", "tests/lab/dnssec.yaml"])
def test_a_valid_domains_file_is_read_without_jsonschema_or_ruamel(path: str):
    loaded = _modules_after(f"from mailtests.config import load_config\nload_config({path!r})")
    assert "mailtests.lineyaml" in loaded  # the line reader read it
    assert sorted(m for m in PARSING_ONLY if m in loaded) == []


def test_an_invalid_domains_file_is_still_explained_by_jsonschema(tmp_path: Path):
    bad = tmp_path / "domains.yaml"
    bad.write_text("domains:\n  - name: example.com\n    sending_ip: [192.0.2.1]\n", encoding="utf-8")
    code = (f"from mailtests.config import ConfigError, load_config\ntry:\n    load_config({str(bad)!r})\n"
            "except ConfigError as exc:\n    print(exc, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", f"import sys\n{code}\nprint('jsonschema' in sys.modules)"],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "True"
    assert "domains.yaml:3: example.com: sending_ip: unknown key; did you mean 'sending_ips'?" in done.stderr


def test_loading_the_plugin_does_not_read_the_ca_store():
    """The TLS probes' contexts that verify nothing are made at import: without reading the system's CA store."""
    code = ("import ssl\nread = []\nssl.SSLContext.load_default_certs = lambda self, *a, **k: read.append(1)\n"
            "import mailtests.plugin, mailtests.probes.smtp\nprint(len(read), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", f"import sys\n{code}"], capture_output=True, text=True, cwd=ROOT,
                          check=True)
    assert done.stderr.strip() == "0"


@pytest.mark.parametrize("argv", [["--help"], ["--list-checks"], ["--list-checks", "--format", "json"]])
def test_the_commands_that_only_print_do_not_start_pytest(argv: list[str]):
    loaded = _modules_after(f"from mailtests.cli import main\nassert main({argv!r}) == 0")
    assert "pytest" not in loaded and "mailtests.plugin" not in loaded
