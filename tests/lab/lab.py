"""The DNS lab: a private DNS root served by BIND 9, and Unbound recursing from it.

One ``named`` process plays every authoritative server of the lab: each BIND ``view``
matches one set of destination addresses, so the root, the TLD server, the provider's
name servers, a stale secondary and a lame server are distinct servers to a client.
One ``unbound`` recurses from the lab root. Everything listens on 127.53.x.x port 53,
addresses added to ``lo`` for the lab's lifetime (root, or ``unshare -rn``, needed).
See README.md beside this file for the servers and the lab domains.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode

from .signing import sign_lab

HERE = Path(__file__).resolve().parent
ZONE_DIR = HERE / "zones"
STALE_DIR = ZONE_DIR / "stale"
DOMAINS_FILE = HERE / "domains.yaml"
PORT = 53
RESOLVER = "127.53.0.53"
DEAD = "127.53.9.9"  # ns.dnsbl.sorbs.net: nothing listens there

#: The authoritative servers: name -> address.
SERVERS: dict[str, str] = {
    "a.root-servers.net": "127.53.0.1",
    "a.gtld-servers.net": "127.53.0.2",
    "ns1.dnsprovider.net": "127.53.1.1",
    "ns2.dnsprovider.net": "127.53.1.2",
    "ns.lame.net": "127.53.1.3",
    "ns3.dnsprovider.net": "127.53.1.4",
    "ns5.dnsprovider.net": "127.53.1.5",
}
TLD_ZONES = ("com", "net", "org", "arpa")
#: BIND views: name -> (destination addresses, a zone it serves to probe at start, or None: REFUSED).
VIEWS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "root": (("127.53.0.1",), "."),
    "tld": (("127.53.0.2",), "com."),
    "provider": (("127.53.1.1", "127.53.1.2", "127.53.1.5"), "healthy.com."),
    "stale": (("127.53.1.4",), "serial-drift.com."),
    "lame": (("127.53.1.3",), None),
}
#: Zones Unbound answers itself by default (RFC 6761/6303/5737) that the lab serves instead.
NODEFAULT_ZONES = ("2.0.192.in-addr.arpa", "100.51.198.in-addr.arpa", "113.0.203.in-addr.arpa",
                   "8.b.d.0.1.0.0.2.ip6.arpa")
LOCK_WAIT = 600.0  # seconds to wait for another lab (another pytest run) to end
ADDR_LABEL = "lo:mtlab"  # marks the addresses a lab added, so that a crashed lab's are removed by the next one


class LabError(RuntimeError):
    """The lab could not start or stop cleanly."""


def zone_name(path: Path) -> str:
    """The zone a file holds: ``healthy.com.zone`` -> ``healthy.com.``; ``root.zone`` is the root."""
    return "." if path.name == "root.zone" else path.name.removesuffix(".zone") + "."


def _die_with_parent() -> None:  # runs in the child before exec: SIGKILL it if pytest dies
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


_in_private_netns = False


def _enter_private_netns() -> None:
    global _in_private_netns
    if not _in_private_netns:
        if ctypes.CDLL(None, use_errno=True).unshare(0x40000000):  # CLONE_NEWNET
            raise LabError(f"cannot enter a private network namespace: {os.strerror(ctypes.get_errno())}")
        _in_private_netns = True


def _ip(*args: str) -> str:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True)
    if proc.returncode:
        raise LabError(f"ip {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout


class Lab:
    """The running lab. ``start()``/``stop()`` (or ``with Lab() as lab:``); restartable."""

    resolver: tuple[str, int] = (RESOLVER, PORT)
    port: int = PORT
    zone_dir: Path = ZONE_DIR
    domains_file: Path = DOMAINS_FILE
    servers: Mapping[str, str] = SERVERS
    dead: str = DEAD

    def __init__(self, private_netns: bool = False) -> None:
        """``private_netns``: first move this process into a network namespace of its own (root only; one-way),
        so that several labs run side by side, e.g. one per pytest-xdist worker."""
        self.private_netns = private_netns
        self.workdir: Path | None = None
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.added: list[str] = []  # addresses this lab added to lo
        self._lock: int | None = None
        self._saved_logs: dict[str, str] = {}
        self.trust_anchor: Path | None = None  # DNSSEC: the lab root's DS (made at start, in workdir)
        self.signed_zones: dict[str, Path] = {}  # DNSSEC: zone -> the signed file served (in workdir)

    # ------------------------------------------------------------------ lifecycle
    def start(self, timeout: float = 15.0) -> None:
        if self.procs:
            raise LabError("the lab is already running")
        try:
            if os.geteuid() != 0:
                raise LabError("the DNS lab adds 127.53.x.x addresses to lo and binds port 53: run the tests as "
                               "root, or inside a private network namespace: unshare -rn <the pytest command>")
            if self.private_netns:
                _enter_private_netns()
            self._acquire_lock()
            atexit.register(self.stop)
            self._setup_addresses()
            self._check_ports_free()
            self.workdir = Path(tempfile.mkdtemp(prefix="mailtests-lab-"))
            self._saved_logs = {}
            self._write_configs()
            self._spawn("named", ["named", "-g", "-4", "-n", "2", "-c", str(self.workdir / "named.conf")])
            self._spawn("unbound", ["unbound", "-d", "-c", str(self.workdir / "unbound.conf")])
            self._wait_ready(timeout)
        except BaseException as exc:
            logs = self.logs() if self.workdir else ""
            self.stop()
            if isinstance(exc, LabError):
                raise LabError(f"{exc}\n{logs}") from None
            raise

    def stop(self) -> None:
        """Kill both servers, verify nothing of the lab runs, remove the added addresses."""
        try:
            for proc in self.procs.values():
                if proc.poll() is None:
                    proc.terminate()
            for proc in self.procs.values():
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
            self.procs = {}
            if self.workdir:
                for pid in self.leftover_pids():  # a stray process of ours: its command line names our temp dir
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + 5
                while self.leftover_pids() and time.monotonic() < deadline:
                    time.sleep(0.05)
                self._saved_logs = self._read_logs()
                if self.leftover_pids():
                    raise LabError(f"lab processes survive stop: {self.leftover_pids()}")
                shutil.rmtree(self.workdir, ignore_errors=True)
                self.workdir = None
            for addr in reversed(self.added):
                _ip("addr", "del", f"{addr}/32", "dev", "lo")
            self.added = []
        finally:
            atexit.unregister(self.stop)
            if self._lock is not None:
                os.close(self._lock)  # releases the flock
                self._lock = None

    def __enter__(self) -> Lab:
        self.start()
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return bool(self.procs) and all(p.poll() is None for p in self.procs.values())

    @property
    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.procs.items()}

    def leftover_pids(self) -> list[int]:
        """Processes whose command line names this lab's temp dir (none, once stopped)."""
        if not self.workdir:
            return []
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    cmdline = (entry / "cmdline").read_bytes()
                except OSError:
                    continue
                if str(self.workdir).encode() in cmdline:
                    found.append(int(entry.name))
        return found

    # ------------------------------------------------------------------ logs
    def log_paths(self) -> dict[str, Path]:
        assert self.workdir
        return {"named": self.workdir / "named.log", "unbound": self.workdir / "unbound.log"}

    def mark(self) -> dict[str, int]:
        """The current size of each log, for ``logs(since=...)``."""
        if not self.workdir:
            return {name: len(text) for name, text in self._saved_logs.items()}
        return {name: p.stat().st_size if p.exists() else 0 for name, p in self.log_paths().items()}

    def _read_logs(self) -> dict[str, str]:
        if not self.workdir:
            return dict(self._saved_logs)
        return {name: p.read_text(errors="replace") if p.exists() else "" for name, p in self.log_paths().items()}

    def logs(self, since: Mapping[str, int] | None = None, max_lines: int | None = None) -> str:
        """Both servers' logs as text (from a ``mark()`` on, the last ``max_lines`` of each)."""
        out = []
        for name, text in self._read_logs().items():
            start = (since or {}).get(name, 0)
            text = text[start:] if start <= len(text) else text  # a restart since the mark: all of the new log
            lines = text.splitlines()
            if max_lines is not None and len(lines) > max_lines:
                lines = [f"[... {len(lines) - max_lines} earlier lines cut ...]", *lines[-max_lines:]]
            out.append(f"===== {name} log =====\n" + "\n".join(lines))
        return "\n".join(out) + "\n"

    def zone_extras(self) -> dict[str, str]:
        """Text to append to lab zones (by name, no final dot) before they are signed; none (a subclass adds)."""
        return {}

    # ------------------------------------------------------------------ internals
    def _acquire_lock(self) -> None:
        """One lab per network namespace: a second pytest run waits for the first one's lab."""
        netns = os.stat("/proc/self/ns/net").st_ino
        path = Path(tempfile.gettempdir()) / f"mailtests-lab-{netns}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
            print(f"mailtests lab: waiting for the lab of process {holder} to stop ({path})", file=sys.stderr)
            deadline = time.monotonic() + LOCK_WAIT
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        os.close(fd)
                        raise LabError(f"another lab (process {holder}) holds {path}") from None
                    time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock = fd

    def _setup_addresses(self) -> None:
        flags = _ip("-o", "link", "show", "lo").partition("<")[2].partition(">")[0].split(",")
        if "UP" not in flags:
            _ip("link", "set", "lo", "up")  # a fresh network namespace (unshare -rn) starts with lo down
        present = _ip("-o", "-4", "addr", "show", "dev", "lo")
        leftover = _ip("-o", "-4", "addr", "show", "dev", "lo", "label", ADDR_LABEL)  # we hold the lock: not in use
        for addr in [*SERVERS.values(), RESOLVER]:
            if f"inet {addr}/" in leftover:
                self.added.append(addr)
            elif f"inet {addr}/" not in present:
                _ip("addr", "add", f"{addr}/32", "dev", "lo", "label", ADDR_LABEL)
                self.added.append(addr)

    def _check_ports_free(self) -> None:
        for addr in [*SERVERS.values(), RESOLVER]:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                try:
                    s.bind((addr, PORT))
                except OSError as exc:
                    raise LabError(f"{addr} port {PORT} is in use ({exc.strerror}): a DNS server of another lab "
                                   "or of the system runs there; stop it first") from None

    def _spawn(self, name: str, argv: list[str]) -> None:
        assert self.workdir
        with open(self.workdir / f"{name}.log", "ab") as log:
            self.procs[name] = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                                cwd=self.workdir, preexec_fn=_die_with_parent)

    def _wait_ready(self, timeout: float) -> None:
        probes: list[tuple[str, str, bool]] = [(addrs[0], zone or ".", False) for addrs, zone in VIEWS.values()]
        probes.append((RESOLVER, "healthy.com.", True))
        deadline = time.monotonic() + timeout
        while probes:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise LabError(f"{name} exited with status {proc.returncode} while starting")
            if time.monotonic() > deadline:
                raise LabError(f"the lab did not answer within {timeout:.0f} s: no answer from "
                               + ", ".join(f"{addr} ({zone} SOA)" for addr, zone, _ in probes))
            addr, zone, recurse = probes[0]
            query = dns.message.make_query(zone, "SOA")
            if not recurse:
                query.flags &= ~dns.flags.RD
            try:
                reply = dns.query.udp(query, addr, timeout=0.2, port=PORT)
            except (dns.exception.Timeout, OSError):
                time.sleep(0.05)
                continue
            if reply.rcode() in (dns.rcode.NOERROR, dns.rcode.REFUSED) and (reply.answer or not recurse):
                probes.pop(0)
            else:
                time.sleep(0.05)
        named_log = self.log_paths()["named"].read_text(errors="replace")
        bad = [line for line in named_log.splitlines() if "not loaded due to errors" in line]
        if bad:
            raise LabError("BIND did not load some zones:\n" + "\n".join(bad))

    def _write_configs(self) -> None:
        assert self.workdir
        w = self.workdir
        zones: dict[str, list[tuple[str, Path]]] = {view: [] for view in VIEWS}
        self.signed_zones, self.trust_anchor = sign_lab(ZONE_DIR, w, self.zone_extras())  # README.md, "DNSSEC"
        for path in sorted(ZONE_DIR.glob("*.zone")):
            zone = zone_name(path)
            path = self.signed_zones.get(zone, path)
            view = "root" if zone == "." else "tld" if zone.rstrip(".") in TLD_ZONES else "provider"
            zones[view].append((zone, path))
        zones["stale"] = [(zone_name(p), p) for p in sorted(STALE_DIR.glob("*.zone"))]
        views = []
        for view, (addrs, _) in VIEWS.items():
            body = "".join(f'    zone "{z}" {{ type primary; file "{p}"; }};\n' for z, p in zones[view])
            views.append(f'view "{view}" {{\n    match-clients {{ any; }};\n'
                         f'    match-destinations {{ {" ".join(a + ";" for a in addrs)} }};\n{body}}};\n')
        listen = " ".join(a + ";" for a in SERVERS.values())
        (w / "named.conf").write_text(f"""\
options {{
    directory "{w}";
    pid-file "{w}/named.pid";
    session-keyfile "{w}/session.key";
    managed-keys-directory "{w}";
    listen-on port {PORT} {{ {listen} }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    notify no;
    allow-query {{ any; }};
    allow-transfer {{ 127.0.0.0/8; }};
    empty-zones-enable no;
    querylog yes;
    // the lab's zones are broken on purpose: load them as written
    check-names primary ignore;
    check-integrity no;
    check-mx ignore;
    check-mx-cname ignore;
    check-srv-cname ignore;
    check-wildcard no;
    check-sibling no;
    check-spf ignore;
    check-dup-records ignore;
}};
controls {{ }};
{"".join(views)}""")
        (w / "root.hints").write_text(f".  3600000 NS a.root-servers.net.\n"
                                      f"a.root-servers.net. 3600000 A {SERVERS['a.root-servers.net']}\n")
        nodefault = "".join(f'    local-zone: "{z}." nodefault\n' for z in NODEFAULT_ZONES)
        (w / "unbound.conf").write_text(f"""\
server:
    directory: "{w}"
    chroot: ""
    username: ""
    pidfile: "{w}/unbound.pid"
    use-syslog: no
    logfile: "{w}/unbound.log"
    log-time-ascii: yes
    verbosity: 1
    log-replies: yes
    log-servfail: yes
    interface: {RESOLVER}
    port: {PORT}
    outgoing-interface: {RESOLVER}
    do-ip6: no
    num-threads: 1
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
    root-hints: "{w}/root.hints"
    module-config: "validator iterator"
    trust-anchor-file: "{self.trust_anchor}"
    val-log-level: 2
    # a server that never answers: give up after about a second, not after minutes
    infra-cache-max-rtt: 400
    infra-host-ttl: 60
{nodefault}
remote-control:
    control-enable: no
""")


def domain_names() -> list[str]:
    """The lab domains of domains.yaml, for parametrizing tests at collection time."""
    from mailtests.config import load_config

    return [entry.name for entry in load_config(DOMAINS_FILE).domains]
