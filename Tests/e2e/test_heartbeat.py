"""Server heartbeat: the gateway pings every socket and closes one that stops answering."""

import time

from conftest import launch
from rawws import OP_CLOSE, OP_PING, OP_PONG, RawWebSocket


def test_socket_that_never_answers_pings_is_closed(tmp_path_factory):
    with launch(tmp_path_factory, name="heartbeat-server", extra=("--ping-interval", "1")) as server:
        token = server.token(role="viewer")
        with RawWebSocket(server.host, server.port, timeout=15) as raw:
            status, _ = raw.handshake(f"/ws?access_token={token}")
            assert status == 101
            started = time.monotonic()
            pings, close = 0, None
            while close is None:
                frame = raw.recv_frame()  # never answered: no pong goes back
                if frame.opcode == OP_PING:
                    pings += 1
                elif frame.opcode == OP_CLOSE:
                    close = frame.close_code
            assert pings >= 1
            assert close == 1001
            assert time.monotonic() - started < 10


def test_socket_that_answers_pings_stays_open(tmp_path_factory):
    with launch(tmp_path_factory, name="heartbeat-server-2", extra=("--ping-interval", "1")) as server:
        token = server.token(role="viewer")
        with RawWebSocket(server.host, server.port, timeout=15) as raw:
            status, _ = raw.handshake(f"/ws?access_token={token}")
            assert status == 101
            # Three pings answered with their pongs: the socket outlives several intervals.
            pings = 0
            while pings < 3:
                frame = raw.recv_frame()
                assert frame.opcode != OP_CLOSE, f"closed with {frame.close_code} although every ping was answered"
                if frame.opcode == OP_PING:
                    pings += 1
                    raw.send_frame(OP_PONG, frame.payload)
        with server.socket(token=token) as session:
            session.assert_usable()
