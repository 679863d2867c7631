"""SMTP listeners on the generated MX addresses, for the benchmark's ``--smtp`` row: one Postfix for all of them.

``benchmarks/generate.py`` lists every MX host address once in ``smtp.json`` (the mail
providers' shared hosts, each self-hosted domain's own). :class:`BenchSmtp` adds those
addresses to the loopback device of the benchmark's private network namespace and
starts one private Postfix instance (its own config, queue and data directories in a
temporary folder, ``master`` in the foreground, as ``tests/lab/smtp_lab.py`` runs the
transport lab's) listening on port 25 of all of them (``inet_interfaces``): a real
server, as a sender meets it, shared by every address as a provider's cluster is.
STARTTLS uses a certificate made at start with ``cryptography`` by a CA of its own
(``ca_file``, for ``--ca-file``), naming every MX host; TLS 1.2 or newer only. Port 25
needs root: the benchmark runs as root in ``unshare -n``.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.lab.lab import LabError  # noqa: E402
from tests.lab.smtp_lab import SmtpLab  # noqa: E402

#: The name every listener greets with (a provider's cluster name, in a TLD the lab delegates).
GREETING_NAME = "smtp.bench-mail.net"
MAIN_CF = """\
compatibility_level = 3.6
myhostname = {name}
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = {interfaces}
inet_protocols = ipv4
queue_directory = {work}/queue
data_directory = {work}/data
maillog_file = /dev/stdout
smtpd_banner = $myhostname ESMTP Postfix (mailtests benchmark)
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
smtpd_client_connection_count_limit = 0
smtpd_tls_chain_files = {work}/etc/chain.pem
smtpd_tls_security_level = may
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_tls_session_cache_database =
"""
#: The services an SMTP session up to STARTTLS and QUIT uses (no mail is accepted: the probe sends none).
MASTER_CF = """\
smtp      inet  n       -       n       -       -       smtpd
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
anvil     unix  -       -       n       -       1       anvil
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def certificates(hosts: list[str]) -> tuple[bytes, bytes]:
    """A CA certificate (PEM) and the server's key, certificate and CA certificate (PEM, in Postfix's order) naming
    every host of ``hosts``."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("mailtests benchmark CA")).issuer_name(
        _name("mailtests benchmark CA")).public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(_name(GREETING_NAME)).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in [GREETING_NAME, *hosts]]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    chain = (key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
             + leaf.public_bytes(pem) + ca.public_bytes(pem))
    return ca.public_bytes(pem), chain


class BenchSmtp(SmtpLab):
    """Postfix on port 25 of every address of ``gen_dir/smtp.json``; ``start()``/``stop()`` (root, own netns).

    The transport lab's :class:`SmtpLab` with a Postfix of its own making and none of the lab's scripted servers:
    its ``stop()`` (Postfix, the temporary folder) serves as it is."""

    def __init__(self, gen_dir: Path) -> None:
        super().__init__()
        listeners = json.loads((Path(gen_dir) / "smtp.json").read_text(encoding="utf-8"))["listeners"]
        self.addresses = sorted({item["address"] for item in listeners})
        self.hosts = sorted({item["host"] for item in listeners})
        self.ca_file: Path | None = None  # type: ignore[assignment]  # made at start (the lab's is a class constant)

    def start(self, timeout: float = 30.0) -> None:
        try:
            self._addresses()
            self.workdir = w = Path(tempfile.mkdtemp(prefix="mailtests-bench-smtp-"))
            os.chmod(w, 0o755)  # Postfix's daemons run as the postfix user
            for sub in ("etc", "queue", "data"):
                (w / sub).mkdir()
            shutil.chown(w / "data", "postfix", "postfix")
            ca, chain = certificates(self.hosts)
            self.ca_file = w / "ca.pem"
            self.ca_file.write_bytes(ca)
            (w / "etc" / "chain.pem").write_bytes(chain)
            os.chmod(w / "etc" / "chain.pem", 0o600)
            (w / "etc" / "main.cf").write_text(MAIN_CF.format(name=GREETING_NAME, work=w,
                                                              interfaces=", ".join(self.addresses)))
            (w / "etc" / "master.cf").write_text(MASTER_CF)
            env = {**os.environ, "MAIL_CONFIG": str(w / "etc")}
            check = subprocess.run(["postfix", "-c", str(w / "etc"), "check"], capture_output=True, text=True,
                                   env=env)
            if check.returncode:
                raise LabError(f"postfix check: {check.stdout.strip()} {check.stderr.strip()}")
            with open(w / "postfix.out", "ab") as out:
                self.postfix = subprocess.Popen(["postfix", "-c", str(w / "etc"), "start-fg"], stdin=subprocess.DEVNULL,
                                                stdout=out, stderr=out, env=env)
            self._wait(timeout)
        except BaseException:
            logs = self.logs()
            self.stop()
            raise LabError(f"the benchmark's SMTP listeners did not start\n{logs}") from None

    def _addresses(self) -> None:
        present = subprocess.run(["ip", "-o", "-4", "addr", "show", "dev", "lo"], capture_output=True, text=True,
                                 check=True).stdout
        new = [a for a in self.addresses if f"inet {a}/" not in present]
        if new:  # one `ip` for all of them: hundreds of addresses at 1,000 domains
            subprocess.run(["ip", "-batch", "-"], input="".join(f"addr add {a}/32 dev lo\n" for a in new), text=True,
                           check=True, capture_output=True)
            self.added = new

    def _wait(self, timeout: float) -> None:
        """Until the first and the last address greet (Postfix binds them all before it serves)."""
        deadline = time.monotonic() + timeout
        waiting = [self.addresses[0], self.addresses[-1]] if self.addresses else []
        while waiting:
            if self.postfix is not None and self.postfix.poll() is not None:
                raise LabError(f"postfix exited with status {self.postfix.returncode}")
            try:
                with socket.create_connection((waiting[0], 25), timeout=1) as sock:
                    if sock.recv(100).startswith(b"220"):
                        waiting.pop(0)
                        continue
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise LabError(f"postfix does not answer on {waiting[0]}:25 within {timeout:g} s")
            time.sleep(0.1)

    def connections(self, settle: float = 1.0) -> Counter:
        """Connections Postfix logged so far, by client address (on loopback a client connects from the address it
        connects to: so, by listener address); ``settle``: seconds to wait for postlogd to catch up."""
        time.sleep(settle)
        log = self.workdir / "postfix.out" if self.workdir else None
        text = log.read_text(errors="replace") if log and log.exists() else ""
        return Counter(re.findall(r"\]: connect from [^\[\s]*\[([0-9.]+)\]", text))

    def stop(self) -> None:
        if self.added:  # one `ip` for all of them, then the lab's stop
            subprocess.run(["ip", "-batch", "-"], input="".join(f"addr del {a}/32 dev lo\n" for a in self.added),
                           text=True, capture_output=True)
            self.added = []
        super().stop()
