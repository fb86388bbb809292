#!/usr/bin/env python3
"""Broadcast peers for `kubegale-bench fanout --target ws://HOST:PORT`.

A WebSocket server doing the gateway's hottest job with one of the common Python stacks:
every text message a client sends on `/pub` is written to every client connected on any other
path (`/sub`), as is. permessage-deflate is negotiated when the stack supports it and a client
offers it. Prints `LISTENING <port> <pid>` once it accepts connections; runs until killed.

    python broadcast.py --impl aiohttp|websockets|picows [--port 0]
"""

import argparse
import asyncio
import os
import signal


def announce(port):
    print(f"LISTENING {port} {os.getpid()}", flush=True)


async def serve_until_terminated():
    """Waits for SIGTERM or SIGINT, handled by the event loop so that the server exits at once."""
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    await stop


async def run_websockets(host, port):
    from websockets.asyncio.server import broadcast, serve

    subscribers = set()

    async def handler(connection):
        if connection.request.path == "/pub":
            async for message in connection:
                broadcast(subscribers, message)
            return
        subscribers.add(connection)
        try:
            await connection.wait_closed()
        finally:
            subscribers.discard(connection)

    # Defaults otherwise: compression="deflate" (negotiated when offered), no max_queue change.
    async with serve(handler, host, port, max_size=None, ping_interval=None) as server:
        announce(server.sockets[0].getsockname()[1])
        await serve_until_terminated()


async def run_aiohttp(host, port):
    from aiohttp import WSMsgType, web

    subscribers = set()

    async def handler(request):
        ws = web.WebSocketResponse(compress=True, max_msg_size=0)
        await ws.prepare(request)
        if request.path == "/pub":
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    data = message.data
                    for subscriber in tuple(subscribers):
                        if not subscriber.closed:
                            await subscriber.send_str(data)
            return ws
        subscribers.add(ws)
        try:
            async for _ in ws:
                pass
        finally:
            subscribers.discard(ws)
        return ws

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=4096)
    await site.start()
    announce(site._server.sockets[0].getsockname()[1])
    await serve_until_terminated()


async def run_picows(host, port):
    from picows import WSListener, WSMsgType, ws_create_server

    subscribers = set()

    class Subscriber(WSListener):
        def on_ws_connected(self, transport):
            subscribers.add(transport)

        def on_ws_disconnected(self, transport):
            subscribers.discard(transport)

        def on_ws_frame(self, transport, frame):
            if frame.msg_type == WSMsgType.CLOSE:
                transport.send_close(frame.get_close_code())
                transport.disconnect()

    class Publisher(WSListener):
        def on_ws_frame(self, transport, frame):
            if frame.msg_type == WSMsgType.TEXT:
                data = frame.get_payload_as_bytes()
                for subscriber in subscribers:
                    subscriber.send(WSMsgType.TEXT, data)
            elif frame.msg_type == WSMsgType.CLOSE:
                transport.send_close(frame.get_close_code())
                transport.disconnect()

    def listener_factory(request):
        return Publisher() if request.path == b"/pub" or request.path == "/pub" else Subscriber()

    server = await ws_create_server(listener_factory, host, port, backlog=4096)
    announce(server.sockets[0].getsockname()[1])
    await serve_until_terminated()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", choices=["aiohttp", "websockets", "picows"], required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    runner = {"aiohttp": run_aiohttp, "websockets": run_websockets, "picows": run_picows}[args.impl]
    asyncio.run(runner(args.host, args.port))


if __name__ == "__main__":
    main()
