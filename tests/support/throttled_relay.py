#!/usr/bin/env python3
"""A slow link for integration tests: a TCP relay on 127.0.0.1 that forwards
each connection to 127.0.0.1:TARGET, passing the client's bytes upstream at
most RATE bytes per second and the answers back at most DOWN_RATE bytes per
second (0 or absent: full speed). Prints the port it listens on, then serves
until killed.

Usage: throttled_relay.py TARGET_PORT RATE_BYTES_PER_SECOND [DOWN_RATE]
"""
import asyncio
import sys


async def pump(reader, writer, rate):
    try:
        while data := await reader.read(16384):
            writer.write(data)
            await writer.drain()
            if rate:
                await asyncio.sleep(len(data) / rate)
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def main():
    target, rate = int(sys.argv[1]), int(sys.argv[2])
    down_rate = int(sys.argv[3]) if len(sys.argv) > 3 else 0

    async def relay(client_reader, client_writer):
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pump(client_reader, upstream_writer, rate),
                             pump(upstream_reader, client_writer, down_rate))

    server = await asyncio.start_server(relay, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
