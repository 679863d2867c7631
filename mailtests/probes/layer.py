"""The probe layer of one run: SMTP sessions per (MX host, address, port) and HTTPS fetches per URL.

Each probe is made once per run: the first asker submits it to a bounded thread pool
(``concurrency`` connections at once) and every asker waits for that one future, as
``DnsLayer._once`` does for DNS questions. The pool is made on first use, so a run
that forks its warm-up has no thread before the fork. The TLS name is part of an SMTP
probe's key: the same address validated for two MX names is two sessions.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from .https import Fetch, fetch
from .smtp import SmtpSession, probe_smtp

T = TypeVar("T")


class ProbeFailure(Exception):
    """A probe that was not made (``--offline``, or the SMTP probe is off): the message names it."""


class ProbeLayer:
    def __init__(self, *, offline: bool = False, smtp: bool = False, timeout: float = 10.0, concurrency: int = 32,
                 ehlo_name: str | None = None, ca_file: str | None = None, https_timeout: float = 10.0,
                 smtp_port: int = 25) -> None:
        self.offline = offline
        self.smtp_enabled = smtp
        self.timeout = timeout
        self.https_timeout = https_timeout
        self.concurrency = max(1, concurrency)
        self._ehlo_name = ehlo_name
        self.ca_file = ca_file
        self.smtp_port = smtp_port
        self._futures: dict[tuple, Future] = {}
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self.made = 0  # probes made
        self.cached = 0  # probes answered from the run's cache
        # in one of two warm-up processes: asks the other for the sessions the other owns (mailtests.forked_pair)
        self.forward = None

    @classmethod
    def from_config(cls, config: object, offline: bool = False) -> ProbeLayer:
        ca_file = getattr(config, "ca_file", None)
        timeout = float(getattr(config, "smtp_timeout", 10.0))
        return cls(offline=offline or bool(getattr(config, "offline", False)), smtp=bool(getattr(config, "smtp", 0)),
                   timeout=timeout, https_timeout=timeout,
                   concurrency=int(getattr(config, "smtp_concurrency", 32)),
                   ehlo_name=getattr(config, "ehlo_name", None), ca_file=str(ca_file) if ca_file else None)

    @property
    def ehlo_name(self) -> str:
        if self._ehlo_name is None:
            self._ehlo_name = socket.getfqdn()
        return self._ehlo_name

    # -- probes ---------------------------------------------------------------------
    def start_smtp(self, host: str, address: str) -> Future:
        """Start (or join) the session with ``address`` for ``host``; the future's result is a SmtpSession."""
        host = host.rstrip(".").lower()
        if self.offline:
            raise ProbeFailure(f"SMTP session with {host} [{address}]:{self.smtp_port} not made: live probes are "
                               "off (--offline)")
        if not self.smtp_enabled:
            raise ProbeFailure(f"SMTP session with {host} [{address}]:{self.smtp_port} not made: the SMTP probe is "
                               "off (turn it on with --smtp or `smtp: true` in the domains file)")
        ehlo = self.ehlo_name

        def probe() -> SmtpSession:
            return probe_smtp(host, address, self.smtp_port, timeout=self.timeout, ehlo_name=ehlo, ca_file=self.ca_file)

        key, forward = ("smtp", host, address, self.smtp_port), self.forward
        if forward is None:
            return self._submit(key, probe)

        def shared() -> SmtpSession:  # on a cache miss only: the other warm-up process's session if it owns the host
            return (None if forward.owns(host) else forward.ask("probes.smtp", host, address)) or probe()

        return self._submit(key, shared)

    def smtp(self, host: str, address: str) -> SmtpSession:
        return self.start_smtp(host, address).result()

    def start_fetch(self, url: str, addresses: list[str]) -> Future:
        if self.offline:
            raise ProbeFailure(f"{url} not fetched: live probes are off (--offline)")
        return self._submit(("https", url, tuple(addresses)),
                            lambda: fetch(url, addresses, timeout=self.https_timeout, ca_file=self.ca_file))

    def fetch(self, url: str, addresses: list[str]) -> Fetch:
        return self.start_fetch(url, addresses).result()

    def once(self, key: tuple, compute: Callable[[], T]) -> T:
        """A run-wide value computed once in the caller's thread (e.g. whether port 25 looks blocked)."""
        with self._lock:
            future = self._futures.get(("value", *key))
            owner = future is None
            if owner:
                future = self._futures[("value", *key)] = Future()
        if owner:
            try:
                future.set_result(compute())
            except BaseException as exc:
                future.set_exception(exc)
        return future.result()

    def _submit(self, key: tuple, work: Callable[[], object]) -> Future:
        with self._lock:
            future = self._futures.get(key)
            if future is not None:
                self.cached += 1
                return future
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="mailtests-probe")
            future = self._futures[key] = self._pool.submit(work)
            self.made += 1
            return future

    def close(self, wait: bool = False) -> None:
        """Stop the pool (probes not started are cancelled); ``wait``: until its threads have ended."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)
