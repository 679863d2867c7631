"""A DNS proxy on loopback that adds a fixed delay to every answer (UDP and TCP).

    python benchmarks/latency_proxy.py --listen 127.53.0.54 --upstream 127.53.0.53 --delay-ms 30

Every question is passed on at once; its answer is held ``--delay-ms`` before it goes
back, as if the resolver were that far away. UDP questions get a proxy-chosen message
id upstream (clients' ids may collide) and their own id back. It runs until killed;
``--seconds`` bounds its life.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import struct


class UdpProxy(asyncio.DatagramProtocol):
    """Questions from clients: forwarded upstream under a fresh id, answered after the delay."""

    def __init__(self, upstream: tuple[str, int], delay: float) -> None:
        self.upstream_addr = upstream
        self.delay = delay
        self.pending: dict[int, tuple[bytes, tuple]] = {}
        self.ids = itertools.cycle(range(65536))
        self.transport: asyncio.DatagramTransport | None = None
        self.upstream: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        if len(data) < 12 or self.upstream is None:
            return
        new = next(self.ids)
        self.pending[new] = (data[:2], addr)
        self.upstream.sendto(struct.pack("!H", new) + data[2:], self.upstream_addr)

    def answer(self, data: bytes) -> None:
        if len(data) < 12:
            return
        found = self.pending.pop(struct.unpack("!H", data[:2])[0], None)
        if found is not None and self.transport is not None:
            orig_id, addr = found
            asyncio.get_running_loop().call_later(self.delay, self.transport.sendto, orig_id + data[2:], addr)


class Upstream(asyncio.DatagramProtocol):
    def __init__(self, proxy: UdpProxy) -> None:
        self.proxy = proxy

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        self.proxy.answer(data)


async def tcp_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, upstream: tuple[str, int],
                     delay: float) -> None:
    """One TCP client: each length-prefixed question over one upstream connection, answers delayed."""
    try:
        up_reader, up_writer = await asyncio.open_connection(*upstream)
    except OSError:
        writer.close()
        return
    try:
        while True:
            head = await reader.readexactly(2)
            body = await reader.readexactly(struct.unpack("!H", head)[0])
            up_writer.write(head + body)
            await up_writer.drain()
            ahead = await up_reader.readexactly(2)
            abody = await up_reader.readexactly(struct.unpack("!H", ahead)[0])
            await asyncio.sleep(delay)
            writer.write(ahead + abody)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        up_writer.close()
        writer.close()


async def serve(listen: tuple[str, int], upstream: tuple[str, int], delay: float, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    proxy = UdpProxy(upstream, delay)
    await loop.create_datagram_endpoint(lambda: proxy, local_addr=listen)
    proxy.upstream, _ = await loop.create_datagram_endpoint(lambda: Upstream(proxy), remote_addr=upstream)
    server = await asyncio.start_server(lambda r, w: tcp_client(r, w, upstream, delay), *listen)
    async with server:
        await asyncio.sleep(seconds)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", default="127.53.0.54")
    parser.add_argument("--upstream", default="127.53.0.53")
    parser.add_argument("--port", type=int, default=53)
    parser.add_argument("--delay-ms", type=float, default=30.0)
    parser.add_argument("--seconds", type=float, default=3600.0, help="stop after this long (default 1 h)")
    args = parser.parse_args(argv)
    asyncio.run(serve((args.listen, args.port), (args.upstream, args.port), args.delay_ms / 1000, args.seconds))


if __name__ == "__main__":
    main()
