"""The transport lab: real SMTP and HTTPS servers on 127.25.x.x for the MX hosts of tests/lab/zones/mx-lab.net.

- **Postfix** (Debian's package), a private instance (its own config, queue and data
  directories in a temp dir, ``master`` in the foreground) on 127.25.0.10 port 25:
  STARTTLS with ``certs/postfix.pem`` (lab CA), TLS 1.2+ only.
- Small scripted SMTP servers (``socketserver``) for the broken behaviours: no STARTTLS,
  self-signed, expired, wrong name, TLS 1.0 accepted, `localhost` greeting, a stall.
  127.25.0.17 is added but nothing listens (connection refused); fd25::17 likewise.
- One HTTPS server (``http.server`` + ``ssl``) on 127.25.1.1 port 443 for every
  ``mta-sts.<domain>``: the answer depends on the Host header, the certificate on SNI.

Needs root in a private network namespace, as the DNS lab. The DNS lab (``lab`` fixture)
resolves the names; this one only serves. See README.md, "Transport lab".
"""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import signal
import socket
import socketserver
import ssl
import subprocess
import tempfile
import threading
import time
import warnings
from pathlib import Path

from tests.lab.lab import LabError, _die_with_parent, _ip

HERE = Path(__file__).resolve().parent
CERTS = HERE / "certs"
CA_FILE = CERTS / "ca.pem"
DOMAINS_FILE = HERE / "transport.yaml"
ADDR_LABEL = "lo:mtsmtp"
POSTFIX = "127.25.0.10"
HTTPS = "127.25.1.1"
CLOSED = "127.25.0.17"
CLOSED6 = "fd25::17"
#: healthy.com's MX hosts (mx1, mx2: tests/lab/zones/healthy.com.zone), also served by Postfix.
HEALTHY_MX = ("192.0.2.10", "192.0.2.11", "2001:db8::10", "2001:db8::11")

#: Scripted SMTP servers: address -> (name in the greeting and EHLO reply, certificate file or None, behaviour).
SCRIPTED: dict[str, tuple[str, str | None, str]] = {
    "127.25.0.11": ("nostarttls.mx-lab.net", None, ""),
    "127.25.0.12": ("selfsigned.mx-lab.net", "selfsigned.pem", ""),
    "127.25.0.13": ("expired.mx-lab.net", "expired.pem", ""),
    "127.25.0.14": ("wrongname.mx-lab.net", "wrongname.pem", ""),
    "127.25.0.15": ("tls10.mx-lab.net", "tls10.pem", "tls10"),
    "127.25.0.16": ("localhost", "greet.pem", ""),
    "127.25.0.18": ("stall.mx-lab.net", "greet.pem", "stall"),
    "127.25.0.19": ("tls10only.mx-lab.net", "tls10.pem", "tls10only"),
    "127.25.0.20": ("silent.mx-lab.net", None, "silent"),
    "127.25.0.21": ("reject.mx-lab.net", None, "reject"),
    "127.25.0.22": ("flood.mx-lab.net", None, "flood"),
}

POLICY = "version: STSv1\nmode: {mode}\n{mx}max_age: {age}\n"
GOOD_MX = "mx: good.mx-lab.net\n"
#: mta-sts.<domain> -> (status, headers, body); the policies of the lab domains (zones/sts-*.com.zone).
POLICIES: dict[str, tuple[int, dict[str, str], bytes]] = {
    "healthy.com": (200, {}, POLICY.format(mode="enforce", mx="mx: mx1.healthy.com\nmx: mx2.healthy.com\n",
                                           age=1209600).encode()),
    "sts-enforce.com": (200, {}, POLICY.format(mode="enforce", mx=GOOD_MX, age=604800).encode()),
    "sts-testing.com": (200, {}, POLICY.format(mode="testing", mx=GOOD_MX, age=86400).encode()),
    "sts-none.com": (200, {}, POLICY.format(mode="none", mx="", age=604800).encode()),
    "sts-redirect.com": (301, {"Location": "https://mta-sts.sts-enforce.com/.well-known/mta-sts.txt"}, b""),
    "sts-badcert.com": (200, {}, POLICY.format(mode="enforce", mx=GOOD_MX, age=604800).encode()),
    "sts-mediatype.com": (200, {"Content-Type": "text/html"},
                          b"<html>" + POLICY.format(mode="enforce", mx=GOOD_MX, age=604800).encode()),
    "sts-oversize.com": (200, {}, POLICY.format(mode="enforce", mx=GOOD_MX, age=604800).encode()
                         + b"".join(b"mx: host%05d.mx-lab.net\r\n" % i for i in range(3000))),
    "sts-mxmismatch.com": (200, {}, POLICY.format(mode="enforce", mx="mx: other.mx-lab.net\n", age=604800).encode()),
    "sts-wildcard.com": (200, {}, POLICY.format(mode="enforce", mx="mx: *.mx-lab.net\n", age=604800).encode()),
    "smtp-enforce-nostarttls.com": (200, {}, POLICY.format(mode="enforce", mx="mx: nostarttls.mx-lab.net\n",
                                                           age=604800).encode()),
    "smtp-enforce-badcert.com": (200, {}, POLICY.format(mode="enforce", mx="mx: selfsigned.mx-lab.net\n",
                                                        age=604800).encode()),
}
#: SNI names answered with the wrong certificate.
WRONG_CERT = {"mta-sts.sts-badcert.com"}


def _server_context(cert: str, behaviour: str = "") -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERTS / cert)
    if behaviour.startswith("tls10"):  # Debian's OpenSSL 3 negotiates TLS 1.0/1.1 only with the level lowered
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            if behaviour == "tls10only":
                ctx.maximum_version = ssl.TLSVersion.TLSv1
    return ctx


class _SmtpHandler(socketserver.StreamRequestHandler):
    """A few lines of scripted SMTP: enough for greeting, EHLO, STARTTLS and QUIT."""

    timeout = 30

    def handle(self) -> None:
        name, cert, behaviour = self.server.script  # type: ignore[attr-defined]
        sock = self.request
        if behaviour == "reject":
            sock.sendall(f"554 5.3.2 {name} no SMTP service here\r\n".encode())
            return
        if behaviour != "silent":
            sock.sendall(f"220 {name} ESMTP lab\r\n".encode())
        if behaviour in ("stall", "silent"):
            with contextlib.suppress(OSError):
                while sock.recv(1024):
                    pass
            return
        reader = sock.makefile("rb")
        while True:
            line = reader.readline(1024)
            if not line:
                return
            verb = line.strip().split(b" ")[0].upper()
            if verb == b"EHLO" and behaviour == "flood":  # a multi-line reply that never ends
                with contextlib.suppress(OSError):
                    while True:
                        sock.sendall(b"250-" + b"X" * 1000 + b"\r\n")
                return
            if verb in (b"EHLO", b"HELO"):
                ext = "250-STARTTLS\r\n" if cert else ""
                sock.sendall(f"250-{name}\r\n250-PIPELINING\r\n{ext}250 8BITMIME\r\n".encode())
            elif verb == b"STARTTLS" and cert:
                sock.sendall(b"220 2.0.0 Ready to start TLS\r\n")
                try:
                    sock = _server_context(cert, behaviour).wrap_socket(sock, server_side=True)
                except (ssl.SSLError, OSError):
                    return
                reader = sock.makefile("rb")
            elif verb == b"QUIT":
                sock.sendall(b"221 2.0.0 Bye\r\n")
                return
            else:
                sock.sendall(b"250 2.0.0 Ok\r\n")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _PolicyHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        host = (self.headers.get("Host") or "").split(":")[0].removeprefix("mta-sts.")
        status, headers, body = POLICIES.get(host, (404, {}, b"no policy here\n"))
        if self.path != "/.well-known/mta-sts.txt":
            status, headers, body = 404, {}, b"not found\n"
        self.send_response(status)
        self.send_header("Content-Type", headers.get("Content-Type", "text/plain; charset=utf-8"))
        for key, value in headers.items():
            if key != "Content-Type":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


class SmtpLab:
    """Postfix, the scripted servers and the policy host; ``start()``/``stop()``. Run the DNS lab beside it."""

    ca_file = CA_FILE
    domains_file = DOMAINS_FILE

    def __init__(self) -> None:
        self.workdir: Path | None = None
        self.postfix: subprocess.Popen[bytes] | None = None
        self.servers: list[socketserver.BaseServer] = []
        self.threads: list[threading.Thread] = []
        self.added: list[str] = []

    def start(self, timeout: float = 15.0) -> None:
        if os.geteuid() != 0:
            raise LabError("the transport lab adds 127.25.x.x addresses and binds ports 25 and 443: run as root, in "
                           "a private network namespace")
        if Path("/proc/self/uid_map").read_text().split()[:3] != ["0", "0", "4294967295"]:
            raise LabError("Postfix switches to its own user (postfix), which a user namespace (unshare -r) does not "
                           "have: run the transport lab as real root, in a private network namespace (unshare -n)")
        try:
            self._addresses()
            self.workdir = Path(tempfile.mkdtemp(prefix="mailtests-smtp-"))
            self._start_postfix()
            for address, script in SCRIPTED.items():
                server = _SmtpServer((address, 25), _SmtpHandler)
                server.script = script  # type: ignore[attr-defined]
                self._serve(server)
            https = http.server.ThreadingHTTPServer((HTTPS, 443), _PolicyHandler)
            https.daemon_threads = True
            https.socket = self._policy_context().wrap_socket(https.socket, server_side=True)
            self._serve(https)
            self._wait_postfix(timeout)
        except BaseException as exc:
            logs = self.logs()
            self.stop()
            raise LabError(f"the transport lab did not start: {exc!r}\n{logs}") from None

    def _addresses(self) -> None:
        present = _ip("-o", "addr", "show", "dev", "lo")
        for addr in [POSTFIX, CLOSED, HTTPS, *SCRIPTED, *HEALTHY_MX[:2]]:
            if f"inet {addr}/" not in present:
                _ip("addr", "add", f"{addr}/32", "dev", "lo", "label", ADDR_LABEL)
                self.added.append(addr)
        for addr in [CLOSED6, *HEALTHY_MX[2:]]:
            if f"inet6 {addr}/" not in present:
                _ip("-6", "addr", "add", f"{addr}/128", "dev", "lo", "nodad")
                self.added.append(addr)

    def _serve(self, server: socketserver.BaseServer) -> None:
        self.servers.append(server)
        thread = threading.Thread(target=server.serve_forever, name=f"lab-{server.server_address}", daemon=True)
        thread.start()
        self.threads.append(thread)

    def _policy_context(self) -> ssl.SSLContext:
        good = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        good.load_cert_chain(CERTS / "mta-sts.pem")
        wrong = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        wrong.load_cert_chain(CERTS / "wrongname.pem")

        def pick(sock: ssl.SSLSocket, name: str | None, _ctx: ssl.SSLContext) -> None:
            if name in WRONG_CERT:
                sock.context = wrong

        good.sni_callback = pick
        return good

    def _start_postfix(self) -> None:
        assert self.workdir
        w = self.workdir
        os.chmod(w, 0o755)  # Postfix's daemons run as the postfix user
        for sub in ("etc", "queue", "data"):
            (w / sub).mkdir()
        shutil.chown(w / "data", "postfix", "postfix")
        shutil.copy(CERTS / "postfix.pem", w / "etc" / "postfix.pem")
        os.chmod(w / "etc" / "postfix.pem", 0o600)
        (w / "etc" / "main.cf").write_text(f"""\
compatibility_level = 3.6
myhostname = good.mx-lab.net
mydomain = mx-lab.net
myorigin = $myhostname
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = {", ".join([POSTFIX, *HEALTHY_MX])}
inet_protocols = all
queue_directory = {w}/queue
data_directory = {w}/data
maillog_file = /dev/stdout
smtpd_banner = $myhostname ESMTP Postfix (mailtests lab)
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
smtpd_tls_chain_files = {w}/etc/postfix.pem
smtpd_tls_security_level = may
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_tls_loglevel = 1
smtpd_tls_session_cache_database =
""")
        (w / "etc" / "master.cf").write_text("""\
smtp      inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
""")
        env = {**os.environ, "MAIL_CONFIG": str(w / "etc")}
        check = subprocess.run(["postfix", "-c", str(w / "etc"), "check"], capture_output=True, text=True, env=env)
        if check.returncode:
            raise LabError(f"postfix check: {check.stdout.strip()} {check.stderr.strip()}")
        with open(w / "postfix.out", "ab") as out:
            self.postfix = subprocess.Popen(["postfix", "-c", str(w / "etc"), "start-fg"], stdin=subprocess.DEVNULL,
                                            stdout=out, stderr=out, env=env, preexec_fn=_die_with_parent)

    def _wait_postfix(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.postfix is not None and self.postfix.poll() is not None:
                raise LabError(f"postfix exited with status {self.postfix.returncode}")
            try:
                with socket.create_connection((POSTFIX, 25), timeout=1) as sock:
                    if sock.recv(100).startswith(b"220"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise LabError(f"postfix does not answer on {POSTFIX}:25 within {timeout:g} s")
            time.sleep(0.1)

    def logs(self) -> str:
        if not self.workdir:
            return ""
        out = []
        for name in ("postfix.out", "postfix.log"):
            path = self.workdir / name
            if path.exists():
                out.append(f"===== {name} =====\n{path.read_text(errors='replace')[-20000:]}")
        return "\n".join(out)

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()
        for thread in self.threads:
            thread.join(5)
        self.servers, self.threads = [], []
        if self.postfix is not None:
            if self.workdir is not None and self.postfix.poll() is None:
                subprocess.run(["postfix", "-c", str(self.workdir / "etc"), "stop"], capture_output=True,
                               env={**os.environ, "MAIL_CONFIG": str(self.workdir / "etc")})
            try:
                self.postfix.wait(10)
            except subprocess.TimeoutExpired:
                self.postfix.send_signal(signal.SIGKILL)
                self.postfix.wait(5)
            self.postfix = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
        for addr in reversed(self.added):
            with contextlib.suppress(LabError):
                _ip("addr", "del", f"{addr}/{128 if ':' in addr else 32}", "dev", "lo")
        self.added = []

    def __enter__(self) -> SmtpLab:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
