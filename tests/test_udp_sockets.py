"""The resolver's UDP sockets are lent one question at a time and retired after SOCKET_USES questions or after
trouble; query ids come from a buffer of random bytes; neither is shared with a forked child."""

from __future__ import annotations

import json
import os
import socket
import threading

import dns.message
import dns.name
import dns.rrset
import pytest

from mailtests.dnslayer import resolver
from mailtests.dnslayer.resolver import SOCKET_USES, Server, ask, query_id


class Responder:
    """A UDP DNS server on loopback that answers A questions with 192.0.2.1, and remembers the source
    port of each question; ``silent`` makes it answer nothing."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.ports: list[int] = []
        self.silent = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                wire, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            self.ports.append(peer[1])
            if self.silent:
                continue
            query = dns.message.from_wire(wire)
            response = dns.message.make_response(query)
            response.answer.append(dns.rrset.from_text(query.question[0].name, 60, "IN", "A", "192.0.2.1"))
            self.sock.sendto(response.to_wire(), peer)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def responder():
    resolver._SOCKETS.close()  # start from no pooled socket
    server = Responder()
    yield server
    server.close()
    resolver._SOCKETS.close()


def test_one_socket_serves_a_question_after_another_until_it_is_retired(responder: Responder) -> None:
    server = Server("127.0.0.1", responder.port)
    for i in range(SOCKET_USES + 1):
        answer = ask(server, dns.name.from_text(f"q{i}.example."), "A", timeout=2)
        assert answer.ok and [r.rdata.to_text() for r in answer.records] == ["192.0.2.1"]
    first = responder.ports[:SOCKET_USES]
    assert len(set(first)) == 1  # the same socket for SOCKET_USES questions
    assert responder.ports[SOCKET_USES] != first[0]  # then another


def test_a_socket_that_saw_no_answer_is_not_lent_again(responder: Responder) -> None:
    server = Server("127.0.0.1", responder.port)
    assert ask(server, dns.name.from_text("a.example."), "A", timeout=2).ok
    responder.silent = True
    assert ask(server, dns.name.from_text("b.example."), "A", timeout=0.2).error == "no answer within 0.2 s"
    responder.silent = False
    assert ask(server, dns.name.from_text("c.example."), "A", timeout=2).ok
    assert responder.ports[0] == responder.ports[1] != responder.ports[2]


def test_questions_asked_at_once_each_get_their_own_answer(responder: Responder) -> None:
    server = Server("127.0.0.1", responder.port)
    names = [f"n{i}.example." for i in range(40)]
    found: dict[str, list] = {}

    def one(name: str) -> None:
        answer = ask(server, dns.name.from_text(name), "A", timeout=2)
        found[name] = [(r.name.to_text(), r.rdata.to_text()) for r in answer.records]

    threads = [threading.Thread(target=one, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert found == {n: [(n, "192.0.2.1")] for n in names}


def test_query_ids_are_16_bit_and_vary() -> None:
    ids = [query_id() for _ in range(5000)]  # more than one buffer
    assert all(0 <= i < 65536 for i in ids)
    assert len(set(ids)) > 3000


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_has_neither_the_parents_sockets_nor_its_next_ids(responder: Responder) -> None:
    server = Server("127.0.0.1", responder.port)
    assert ask(server, dns.name.from_text("parent.example."), "A", timeout=2).ok
    query_id()  # the buffer of ids is filled
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: one question, and its next ids
        try:
            ok = ask(server, dns.name.from_text("child.example."), "A", timeout=2).ok
            os.write(write, json.dumps([ok, [query_id() for _ in range(8)]]).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as fh:
        ok, child_ids = json.loads(fh.read())
    os.waitpid(pid, 0)
    assert ok
    assert responder.ports[0] != responder.ports[1]  # the child opened a socket of its own
    assert child_ids != [query_id() for _ in range(8)]
