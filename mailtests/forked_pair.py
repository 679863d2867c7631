"""The warm-up on two processes: each computes half of the domains, and each DNS question is still asked once.

One warm-up process is one core: at 1,000 domains it needs about as long as the whole
run's target, most of it dnspython building and parsing messages under the GIL. With
two cores and enough domains the run forks two (:class:`PairedWarmUp`), each a
:class:`mailtests.forked.ForkedWarmUp` of its own share of the domains (alternate
domains in the tests' order, so that both stream from the start).

The two share what the run asks once: a question belongs to the process of the
nearest enclosing domain of the run it is about (``mail.example.com`` to the one that
computes example.com); every other name (a provider's name servers, MX hosts and SPF
includes, reverse names, the parents' DNSSEC keys) to one of the two by a hash of the name
(CRC-32: the same in both processes), so that neither does the shared work alone. Each process
sends the questions the other owns to the other (:class:`Peer`, over a socket pair),
which answers from its run-wide cache and counts them as sent; the asker counts them as
answered from the cache. A process that has sent its last result keeps answering until the
other has too. When the other process cannot answer (it failed, or its lookup raised), the
asker asks for itself; when a process fails, the parent computes the results it did not send,
as with one process. SMTP sessions are shared the same way: a session belongs to the process
that owns its MX host's name, so that each MX address is probed once.
Python's standard library has no cross-process cache that shares live objects, hence
this small request/answer protocol (length-prefixed pickles on a Unix socket pair).
"""

from __future__ import annotations

import pickle
import socket
import struct
import threading
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import dns.name

from .dnslayer.answer import name_text
from .forked import ForkedWarmUp, Key
from .result import Result

#: The fewest domains for which two warm-up processes pay (fewer: one).
PAIR_FROM = 20
_HEADER = struct.Struct("!I")


def owner_of(name: str, owners: dict[str, int]) -> int:
    """The process (0 or 1) that owns questions about ``name`` (text, any case, with or without the final dot)."""
    whole = name = name.lower().rstrip(".")
    while name:
        found = owners.get(name)
        if found is not None:
            return found
        name = name.partition(".")[2]
    return zlib.crc32(whole.encode()) & 1


def _send(sock: socket.socket, lock: threading.Lock, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    with lock:
        sock.sendall(_HEADER.pack(len(data)) + data)


def _receive(sock: socket.socket) -> object | None:
    """One message, or None once the other side has closed."""
    header = _exactly(sock, _HEADER.size)
    if header is None:
        return None
    body = _exactly(sock, _HEADER.unpack(header)[0])
    return None if body is None else pickle.loads(body)


def _exactly(sock: socket.socket, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class Peer:
    """One warm-up process's end of the pair: answers the other's questions from this process's layers (``targets``:
    the DNS layer as ``dns``, the probe layer as ``probes``, with their run-wide caches), and asks the other for
    the questions the other owns (None when it cannot answer)."""

    def __init__(self, sock: socket.socket, targets: dict[str, object], owners: dict[str, int], me: int,
                 workers: int = 64) -> None:
        self.sock, self.targets, self.owners, self.me = sock, targets, owners, me
        self._lock = threading.Lock()  # one message at a time on the socket; the table of questions asked
        self._waiting: dict[int, Future] = {}
        self._next = 0
        self._broken = False
        self._other_done = threading.Event()  # the other process has computed its share (or is gone)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mailtests-peer")
        threading.Thread(target=self._read, name="mailtests-peer-reader", daemon=True).start()

    def owns(self, name) -> bool:
        return owner_of(name_text(name) if isinstance(name, dns.name.Name) else str(name), self.owners) == self.me

    def ask(self, method: str, *args):
        """The other process's answer to ``<target>.<name>(*args)`` (``method``: ``dns.query``, ``probes.smtp``...),
        or None when it cannot give one."""
        future: Future = Future()
        with self._lock:
            if self._broken:
                return None
            number = self._next = self._next + 1
            self._waiting[number] = future
        try:
            _send(self.sock, self._lock, ("ask", number, method, args))
        except OSError:
            self._fail()
        return future.result()

    def _read(self) -> None:
        try:
            while (message := _receive(self.sock)) is not None:
                kind, number, first, second = message
                if kind == "done":
                    self._other_done.set()
                    continue
                if kind == "ask":
                    self._pool.submit(self._answer, number, first, second)
                    continue
                with self._lock:
                    future = self._waiting.pop(number, None)
                if future is not None:
                    future.set_result(first if second is None else None)
        except (OSError, pickle.UnpicklingError, EOFError):  # the other process is gone
            pass
        self._fail()

    def _answer(self, number: int, method: str, args: tuple) -> None:
        target, _, name = method.partition(".")
        try:
            reply = ("answer", number, getattr(self.targets[target], name)(*args), None)
        except Exception as exc:  # the asker then asks for itself
            reply = ("answer", number, None, repr(exc))
        try:
            _send(self.sock, self._lock, reply)
        except OSError:
            pass
        except Exception as exc:  # an answer that does not pickle: the asker asks for itself, and never waits on
            try:
                _send(self.sock, self._lock, ("answer", number, None, repr(exc)))
            except OSError:
                pass

    def finish(self) -> None:
        """Once this process has computed its share: say so, and answer the other's questions until it has too
        (a process that left earlier would leave the other to ask its questions again)."""
        try:
            _send(self.sock, self._lock, ("done", 0, None, None))
        except OSError:
            return
        self._other_done.wait()

    def close(self) -> None:
        """Stop answering and asking: the socket closed (the reader thread then ends), the pool's threads let go."""
        self.sock.close()
        self._pool.shutdown(wait=True)
        self._fail()

    def _fail(self) -> None:
        self._other_done.set()
        with self._lock:
            self._broken = True
            waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_result(None)


class PairedWarmUp:
    """Two :class:`ForkedWarmUp` processes, each with its share of the domains; read back as one."""

    def __init__(self, pairs: Sequence[Key], compute: Callable[[str, str], Result], workers: int, layer, probes,
                 done: Callable[[str], None] | None = None, stats: Callable[[], dict] | None = None) -> None:
        # the subjects (A-labels as the run normalized them, or a resolver), alternately to either process: the
        # share of the results, and the owners of the questions
        self.share = {d: i % 2 for i, d in enumerate(dict.fromkeys(domain for domain, _ in pairs))}
        first, second = socket.socketpair()

        peer: list[Peer] = []  # in a child: its end of the pair

        def join(me: int) -> Callable[[], None]:
            def setup() -> None:  # in the child, after its fork
                (second if me == 0 else first).close()
                peer.append(Peer(first if me == 0 else second, {"dns": layer, "probes": probes}, self.share, me))
                layer.forward = probes.forward = peer[0]
            return setup

        def leave() -> None:  # in the child, once its results are sent
            if peer:
                peer[0].finish()

        shares = [[p for p in pairs if self.share[p[0]] == i] for i in (0, 1)]
        self.children = [ForkedWarmUp(shares[i], compute, workers, done, stats, setup=join(i), teardown=leave)
                         for i in (0, 1)]
        first.close()
        second.close()

    def result(self, key: Key) -> Result | None:
        return self.children[self.share.get(key[0], 0)].result(key)

    @property
    def stats(self) -> dict:
        """Both processes' DNS counts added up (and the larger of their peak memories)."""
        total: dict = {}
        for child in self.children:
            for key, value in child.stats.items():
                total[key] = max(total.get(key, 0), value) if key == "maxrss_kib" else total.get(key, 0) + value
        return total

    @property
    def failure(self) -> str | None:
        return "; ".join(c.failure for c in self.children if c.failure) or None

    @property
    def waited(self) -> float:
        return sum(c.waited for c in self.children)

    def close(self) -> None:
        for child in self.children:
            child.close()
