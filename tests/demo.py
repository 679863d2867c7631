"""The demo's zone files and an offline domains file over them, for tests that run the suite as a user does."""

from pathlib import Path

DEMO_ZONES = Path(__file__).resolve().parents[1] / "demo" / "zones"

#: example.com healthy (with a sending IP and HELO name), example.net broken, example.org without MX.
DEMO_DOMAINS = """\
zones: [zones]
offline: true
domains:
  - name: example.com
    sending_ips: [192.0.2.10]
    helo: mail.example.com
  - example.net
  - example.org
"""
