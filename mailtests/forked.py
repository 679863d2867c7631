"""The warm-up in a child process: results computed on a second core while pytest runs the tests.

pytest runs the tests in one thread, and the checks (dnspython building and parsing
messages above all) hold the GIL, so in one process the warm-up and pytest's own
work per test take turns on one core. Where the machine has a second core and
``os.fork`` is safe (Linux, no other thread running), the warm-up runs in a forked
child instead: it computes the results in the order the tests will ask for them,
with the usual thread pool, and streams each one to the parent as soon as it is
made; a test waits only for its own result.

The child asks every DNS question of the run, each once, through the one DNS layer
it inherited; each answer crosses the pipe once, and results cite answers by number.
When the child fails or dies, the parent computes the missing results itself and
says so at the end of the run: results never depend on where they were computed.

A child that has sent its last result may still work for the run (one of a pair answers its
peer's last questions: :mod:`mailtests.forked_pair`), after its last word on the pipe: it
leaves its final counts in a page of memory shared with the parent (:data:`FINAL_BYTES`),
which the parent reads once the child has exited on its own.
"""

from __future__ import annotations

import gc
import json
import mmap
import os
import pickle
import resource
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO

from .catalog import Severity
from .dnslayer.answer import Answer, received, sent_state
from .result import Outcome, Result

Key = tuple[str, str]

#: Bytes the child buffers before writing; it also writes whenever the next result is not ready yet.
BUFFER = 1 << 16
#: Seconds a child that sent every result is given to leave on its own before it is ended.
LEAVE_SECONDS = 5.0
#: Room for a child's final counts (length-prefixed JSON), shared with the parent.
FINAL_BYTES = 4096
#: Results a task of the child's thread pool computes in a row (fewer, larger tasks: less pool overhead).
CHUNK = 8
#: Messages the child pickles at once (when the next result is ready already): one pickle per message cost
#: the child more than the pickling itself.
BATCH = 256


def available() -> bool:
    """Whether a forked warm-up can help and is safe here: Linux, two cores or more, no other thread."""
    return (sys.platform == "linux" and hasattr(os, "fork") and (os.cpu_count() or 1) > 1
            and threading.active_count() == 1)


class ForkedWarmUp:
    """Results of ``pairs`` computed in a child process by ``compute``, read back in order on demand.

    ``compute(domain, check_id)`` runs in the child (a thread pool of ``workers``);
    ``done(domain)`` is called there once every pair of a domain has its result.
    ``stats()`` (run in the child with each result and at the end) gives what the
    parent reports, e.g. the DNS layer's counts; ``setup()`` runs in the child first, ``teardown()`` last.
    """

    def __init__(self, pairs: Sequence[Key], compute: Callable[[str, str], Result], workers: int,
                 done: Callable[[str], None] | None = None, stats: Callable[[], dict] | None = None,
                 setup: Callable[[], None] | None = None, teardown: Callable[[], None] | None = None) -> None:
        self.keys = frozenset(pairs)
        self.results: dict[Key, Result] = {}
        self.answers: list = []  # every answer the child sent, by number
        self.values: list = []  # detail values several results may share, by number (None once no result will)
        self.stats: dict = {}
        self.failure: str | None = None  # why the child stopped early, in words
        self._received = 0
        self.waited = 0.0  # seconds the tests spent reading (and waiting for) the child's results
        # the child's final counts, when it exits on its own: shared, anonymous memory made before the fork
        self._final = mmap.mmap(-1, FINAL_BYTES)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: compute, stream, and leave without running the parent's exit handlers
            os.close(read)
            status = 0
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                # The child lives for one warm-up: no cyclic GC (the checks make no cycles), which would also
                # touch, and so copy, every page of the parent's heap it shares.
                gc.disable()
                if setup is not None:  # what the child needs before it starts (mailtests.forked_pair)
                    setup()
                with os.fdopen(write, "wb", buffering=BUFFER) as out:
                    _serve(out, pairs, compute, workers, done, stats)
                if teardown is not None:  # after the last result is sent: e.g. serve a peer until it is done too
                    teardown()
                    if stats is not None:  # the counts now include what the teardown did
                        _leave_counts(self._final, stats())
            except BrokenPipeError:
                status = 1  # the parent is gone or stopped reading: nothing to tell
            except BaseException:
                status = 1
            finally:
                os._exit(status)
        os.close(write)
        self.pid: int | None = pid
        self._in: BinaryIO | None = os.fdopen(read, "rb", buffering=BUFFER)

    def result(self, key: Key) -> Result | None:
        """The child's result for ``key``, handed out once (a test keeps it while it runs); None when the child
        will not give it, or gave it already: the caller computes it."""
        if key not in self.keys:
            return None
        if key not in self.results:
            started = time.perf_counter()
            while key not in self.results and self._read():
                pass
            self.waited += time.perf_counter() - started
        return self.results.pop(key, None)

    def _read(self) -> bool:
        """Read one batch of messages; False once the stream has ended."""
        if self._in is None:
            return False
        try:
            batch = pickle.load(self._in)
        except EOFError:
            self._stop("the warm-up process ended before it sent every result")
            return False
        except Exception as exc:  # a torn or foreign stream: stop reading, compute the rest here
            self._stop(f"the warm-up process's stream could not be read ({exc!r})")
            return False
        return all(self._take(kind, payload) for kind, payload in batch)

    def _take(self, kind: str, payload) -> bool:
        """Take one message of the child's; False once the stream has ended."""
        if kind == "answers":  # as text (dnslayer.answer.sent_state), or whole where text would not do
            self.answers.extend(received(a) if type(a) is tuple else a for a in payload)
        elif kind == "values":
            self.values.extend(payload)
        elif kind == "forget":  # values no later result cites: the results that did keep them (the run's records)
            values = self.values
            for number in payload:
                values[number] = None
        elif kind == "result":
            key, fields, refs, values = payload
            domain, check, severity, outcome, message, details = fields
            # names and keys recur in every result: one string each, as in the child (a run keeps every record)
            domain, check, intern = sys.intern(domain), sys.intern(check), sys.intern
            shared = self.values
            details = {intern(k): shared[values[k]] if k in values else v for k, v in details.items()}
            answers = self.answers
            self.results[key] = Result(domain, check, Severity(severity), Outcome(outcome), message,
                                       [answers[i] for i in refs], details)
            self._received += 1
        elif kind == "stats":  # the counts so far: a run stopped early has them
            self.stats = payload
        elif kind == "end":
            self.stats = payload
            self._stop(None, reap=False)  # it may still work for the run (a pair's peer): reaped at close()
            return False
        elif kind == "error":
            self._stop(f"the warm-up process failed: {payload}")
            return False
        return True

    def _stop(self, failure: str | None, reap: bool = True) -> None:
        """Stop reading; with ``reap``, end the child now (else at :meth:`close`: a child of a pair that has sent
        its last word waits for its peer, and its peer may wait for this process to read its results)."""
        self.failure = failure
        if self._in is not None:
            self._in.close()
            self._in = None
        if reap:
            self.close()

    def close(self) -> None:
        """Stop reading (after the child's last word, when every result is in); end the child if it still runs,
        and reap it."""
        if self._in is not None and self._received == len(self.keys):
            while self._read():
                pass
        if self._in is not None:
            self._in.close()
            self._in = None
        if self.pid is not None:
            try:
                # a child that sent its last word may still be finishing (e.g. answering its peer's last questions,
                # mailtests.forked_pair): a moment to leave on its own before it is ended
                deadline = time.monotonic() + (LEAVE_SECONDS if self._received == len(self.keys) else 0)
                done, _ = os.waitpid(self.pid, os.WNOHANG)
                while done == 0 and time.monotonic() < deadline:
                    time.sleep(0.01)
                    done, _ = os.waitpid(self.pid, os.WNOHANG)
                if done == 0:
                    os.kill(self.pid, signal.SIGTERM)
                    os.waitpid(self.pid, 0)
                else:
                    self.stats = {**self.stats, **_left_counts(self._final)}
            except ChildProcessError:
                pass
            self.pid = None
            self._final.close()


def _leave_counts(final: mmap.mmap, counts: dict) -> None:
    data = json.dumps(counts).encode()
    if len(data) + 4 <= len(final):
        final[4:4 + len(data)] = data
        final[:4] = len(data).to_bytes(4, "big")  # the length last: a torn write reads as none


def _left_counts(final: mmap.mmap) -> dict:
    size = int.from_bytes(final[:4], "big")
    if not 0 < size <= len(final) - 4:
        return {}
    try:
        found = json.loads(final[4:4 + size])
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _serve(out: BinaryIO, pairs: Sequence[Key], compute: Callable[[str, str], Result], workers: int,
           done: Callable[[str], None] | None, stats: Callable[[], dict] | None) -> None:
    """The child's loop: compute every pair with a thread pool and send the results in order."""
    batch: list[tuple] = []  # the messages of the results in hand: one pickle for them all (fewer, larger writes)

    def dump(message: tuple) -> None:
        batch.append(message)

    def flush(stats_too: bool = True) -> None:
        """Write the batch, with the counts so far (``stats``) after it."""
        if stats_too and stats is not None:
            batch.append(("stats", stats()))
        if batch:
            pickle.dump(batch, out, protocol=pickle.HIGHEST_PROTOCOL)
            batch.clear()

    # What the parent's tables hold: (table, id(object)) -> number. An object numbered here is kept alive, so
    # that its id is never another object's: answers for the run (the DNS layer keeps them anyway), detail
    # values until the domain that made them is done (its results are all sent; its facts are let go).
    numbers: dict[tuple[str, int], int] = {}
    kept: dict[tuple[str, int], object] = {}
    counts = {"answers": 0, "values": 0}
    made_by: dict[str, list[tuple[str, int]]] = {}
    pending: dict[str, int] = {}
    for domain, _ in pairs:
        pending[domain] = pending.get(domain, 0) + 1

    def number(objects: Iterable, kind: str, domain: str) -> list[int]:
        """Numbers of objects in the parent's table of ``kind``; the new ones are sent first."""
        fresh = []
        for obj in objects:
            key = (kind, id(obj))
            if key not in numbers:
                numbers[key] = counts[kind]
                counts[kind] += 1
                kept[key] = obj
                fresh.append(obj)
                if kind == "values":
                    made_by.setdefault(domain, []).append(key)
        if fresh:
            dump((kind, [sent_state(a) or a if isinstance(a, Answer) else a for a in fresh] if kind == "answers"
                  else fresh))
        return [numbers[kind, id(obj)] for obj in objects]

    def send(domain: str, check_id: str, result: Result) -> None:
        refs = number(result.evidence, "answers", domain)
        # containers in the details may be shared by several results (a domain's SPF tree, cited by six checks)
        shared = {k: v for k, v in result.details.items() if isinstance(v, (dict, list)) and v}
        values = dict(zip(shared, number(shared.values(), "values", domain), strict=True))
        details = {k: None if k in shared else v for k, v in result.details.items()}
        # a result as plain fields (pickled faster than the dataclass); change and live are --compare-live's,
        # which computes in this process
        fields = (result.domain, result.check, result.severity.value, result.outcome.value, result.message, details)
        dump(("result", ((domain, check_id), fields, refs, values)))
        pending[domain] -= 1
        if not pending[domain]:
            # Every result of the domain is sent: the values it made may go here (one a later domain shares is
            # sent again: correct, if not shared), and in the parent too, as no later result cites their numbers.
            made = made_by.pop(domain, ())
            if made:
                dump(("forget", [numbers.pop(key) for key in made]))
                for key in made:
                    del kept[key]
            if done is not None:
                done(domain)

    try:
        def run(chunk: Sequence[Key]) -> list[Result]:
            return [compute(domain, check_id) for domain, check_id in chunk]

        chunks = [pairs[i:i + CHUNK] for i in range(0, len(pairs), CHUNK)]
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            # every task at once: the workers never wait for the pipe (at 10,000 domains the child is barely
            # faster than the tests, and a bounded window of tasks cost 18 s); a task is let go once sent
            futures = [pool.submit(run, chunk) for chunk in chunks]
            for i, chunk in enumerate(chunks):
                future = futures[i]
                futures[i] = None
                if not future.done():
                    flush()
                    out.flush()  # the parent may be waiting for what is buffered
                for (domain, check_id), result in zip(chunk, future.result(), strict=True):
                    send(domain, check_id, result)
                if len(batch) >= BATCH:
                    flush()
        # the child's own peak memory, for whoever measures the run (the parent's is the process's own)
        dump(("end", {**(stats() if stats is not None else {}),
                      "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
        flush(stats_too=False)
    except BrokenPipeError:
        raise
    except BaseException:
        dump(("error", traceback.format_exc(limit=8)))
        flush(stats_too=False)
        raise
