"""A TCP proxy on loopback that holds every chunk for a fixed time each way: a database
"across the network" on a machine that has no second host and no ``netem``.

Run: ``python tests/bench/delayproxy.py LISTEN_PORT TARGET_PORT DELAY_SECONDS``; it prints
``ready`` once it listens. Data keeps its order in each direction (every chunk waits the same
time). The proxy's own CPU is on the machine too: compare settings against each other through
it, not against a database reached directly.
"""

from __future__ import annotations

import asyncio
import sys


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    loop = asyncio.get_running_loop()
    try:
        while data := await reader.read(65536):
            loop.call_later(delay, writer.write, data)
    finally:
        loop.call_later(delay + 0.001, writer.close)


async def _serve(listen: int, target: int, delay: float) -> None:
    async def handle(r1: asyncio.StreamReader, w1: asyncio.StreamWriter) -> None:
        r2, w2 = await asyncio.open_connection("127.0.0.1", target)
        await asyncio.gather(_pipe(r1, w2, delay), _pipe(r2, w1, delay), return_exceptions=True)

    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])))
