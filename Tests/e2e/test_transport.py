"""The WebSocket transport of /ws: hello, ping/pong, permessage-deflate, concurrency, limits."""

import json
import threading

from conftest import MAX_FRAME_SIZE, MAX_MESSAGE_SIZE
from gateway import kubeconfig
from rawws import OP_CONT, OP_TEXT, RawWebSocket, deflate_message


def test_hello_is_the_first_frame(gateway, admin_token):
    with gateway.socket(admin_token) as session:
        hello = session.hello
        assert hello["protocol"] == "kubegale.v1"
        assert hello["subject"] == "e2e-admin"
        assert hello["role"] == "admin"
        assert isinstance(hello["session"], str) and hello["session"]
        assert hello["maxMessageBytes"] == MAX_MESSAGE_SIZE
        assert hello["compression"] is False


def test_ping_answered_with_pong_carrying_the_id(gateway, admin_token):
    with gateway.socket(admin_token) as session:
        session.send_json({"type": "ping", "id": 1})
        assert session.recv_json() == {"type": "pong", "id": 1}
        session.send_json({"type": "ping", "id": "abc"})
        assert session.recv_json() == {"type": "pong", "id": "abc"}


def test_access_token_query_parameter_authenticates(gateway, admin_token):
    with gateway.socket(query={"access_token": admin_token}) as session:
        assert session.hello["subject"] == "e2e-admin"
        session.assert_usable()


def test_bearer_subprotocol_authenticates_and_kubegale_v1_is_echoed(gateway, admin_token):
    with gateway.socket(subprotocols=["kubegale.v1", f"bearer.{admin_token}"]) as session:
        assert session.ws.subprotocol == "kubegale.v1"
        assert session.ws.response.headers["Sec-WebSocket-Protocol"] == "kubegale.v1"
        assert session.hello["role"] == "admin"
        assert session.request("GET", "/clusters")["code"] == 0


def test_deflate_is_negotiated_and_round_trips_large_messages(gateway, admin_token):
    with gateway.socket(admin_token, compression="deflate") as session:
        extensions = session.ws.response.headers.get("Sec-WebSocket-Extensions", "")
        assert extensions.startswith("permessage-deflate"), extensions
        assert session.hello["compression"] is True
        description = "compressible description " * 20_000  # 500 kB of text, well over one frame
        created = session.request(
            "POST", "/clusters", body={"name": "e2e-deflate", "description": description, "kubeconfig": _kubeconfig()}
        )
        assert created["code"] == 0, created["msg"]
        cluster_id = created["data"]["id"]
        try:
            read = session.request("GET", f"/clusters/{cluster_id}")
            assert read["data"]["description"] == description
        finally:
            session.confirmed("DELETE", f"/clusters/{cluster_id}")


def test_deflate_on_the_wire_both_ways(gateway, admin_token):
    """Bytes on the wire: a compressed request is understood, the big response comes compressed."""
    with RawWebSocket(gateway.host, gateway.port) as raw:
        status, headers = raw.handshake(
            "/ws",
            {"Authorization": f"Bearer {admin_token}", "Sec-WebSocket-Extensions": "permessage-deflate"},
        )
        assert status == 101
        assert headers.get("sec-websocket-extensions", "").startswith("permessage-deflate")
        opcode, data, _, _ = raw.recv_message()
        assert opcode == OP_TEXT and json.loads(data)["type"] == "hello"

        description = "x" * 300_000
        request = json.dumps(
            {
                "type": "request",
                "id": "big",
                "method": "POST",
                "path": "/clusters",
                "body": {"name": "e2e-wire-deflate", "description": description, "kubeconfig": _kubeconfig()},
            }
        )
        payload = deflate_message(request.encode())
        assert len(payload) < len(request) // 50
        raw.send_frame(OP_TEXT, payload, rsv1=True)

        opcode, data, wire_bytes, compressed = raw.recv_message()
        response = json.loads(data)
        assert response["id"] == "big" and response["code"] == 0, response
        assert response["data"]["description"] == description
        assert compressed, "a 300 kB response was sent uncompressed on a deflate socket"
        assert wire_bytes < len(data) // 20, f"{wire_bytes} wire bytes for {len(data)} bytes of text"

        remove = {"type": "request", "id": "rm", "method": "DELETE", "path": f"/clusters/{response['data']['id']}"}
        raw.send_compressed_text(json.dumps(remove))
        opcode, data, _, _ = raw.recv_message()
        asked = json.loads(data)
        assert asked["code"] == 1010, asked
        remove["body"] = {"confirm_token": asked["data"]["confirm_token"]}
        raw.send_compressed_text(json.dumps(remove))
        opcode, data, _, _ = raw.recv_message()
        assert json.loads(data)["code"] == 0


def test_one_hundred_concurrent_requests_are_all_answered(gateway, admin_token):
    with gateway.socket(admin_token) as session:
        ids = [f"req-{n}" for n in range(100)]
        for frame_id in ids:
            session.send_json({"type": "request", "id": frame_id, "method": "GET", "path": "/clusters"})
        answers = {}
        while len(answers) < len(ids):
            frame = session.recv_json()
            assert frame["type"] == "response", frame
            assert frame["id"] not in answers, f"id {frame['id']} answered twice"
            answers[frame["id"]] = frame
        assert sorted(answers) == sorted(ids)
        assert all(frame["code"] == 0 for frame in answers.values())
        session.assert_usable()


def test_many_sockets_in_parallel(gateway, admin_token):
    errors, finished = [], []

    def client(number):
        try:
            with gateway.socket(admin_token, compression="deflate" if number % 2 else None) as session:
                for _ in range(10):
                    assert session.request("GET", "/clusters")["code"] == 0
            finished.append(number)
        except Exception as error:  # noqa: BLE001 - reported below with the client number
            errors.append(f"client {number}: {error!r}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(finished) == list(range(20))


def test_frame_over_the_frame_limit_closes_1009_and_others_keep_working(gateway, admin_token):
    with gateway.socket(admin_token) as bystander, RawWebSocket(gateway.host, gateway.port) as raw:
        assert raw.handshake("/ws", {"Authorization": f"Bearer {admin_token}"})[0] == 101
        assert json.loads(raw.recv_message()[1])["type"] == "hello"
        # The header alone is over the limit. Sending the payload too would race the server's
        # close: a close with unread bytes in its receive buffer is a TCP reset, which can
        # discard the close frame before it is read.
        raw.send_frame_header(OP_TEXT, MAX_FRAME_SIZE + 1)
        assert raw.recv_close() == 1009
        bystander.assert_usable()


def test_message_over_the_message_limit_closes_1009(gateway, admin_token):
    """Each fragment is under the frame limit; the message they make is over the message limit."""
    with gateway.socket(admin_token) as bystander, RawWebSocket(gateway.host, gateway.port) as raw:
        assert raw.handshake("/ws", {"Authorization": f"Bearer {admin_token}"})[0] == 101
        assert json.loads(raw.recv_message()[1])["type"] == "hello"
        fragment = b" " * (MAX_FRAME_SIZE // 2)
        fragments = MAX_MESSAGE_SIZE // len(fragment) + 2
        try:
            for index in range(fragments):
                raw.send_frame(OP_TEXT if index == 0 else OP_CONT, fragment, fin=index == fragments - 1)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may close before the last fragment; its close frame is still readable
        assert raw.recv_close() == 1009
        bystander.assert_usable()


def test_oversize_message_via_websockets_client_closes_1009(gateway, admin_token):
    # Fragments within the frame limit, the last one crossing the message limit: the server
    # closes when it arrives, with nothing left to send (a larger unsent remainder would race
    # the close with a TCP reset).
    quarter = MAX_MESSAGE_SIZE // 4
    fragments = ["x" * quarter] * 4 + ["x"]
    with gateway.socket(admin_token) as bystander, gateway.socket(admin_token) as session:
        session.ws.send(iter(fragments))
        assert session.close_code() == 1009
        bystander.assert_usable()


def test_compression_bomb_closes_1009(gateway, admin_token):
    """A few kB of deflate that inflate to 32 MiB, far past the message limit."""
    bomb = deflate_message(b" " * (32 << 20))
    assert len(bomb) < 64 << 10
    with gateway.socket(admin_token) as bystander, RawWebSocket(gateway.host, gateway.port) as raw:
        status, headers = raw.handshake(
            "/ws",
            {"Authorization": f"Bearer {admin_token}", "Sec-WebSocket-Extensions": "permessage-deflate"},
        )
        assert status == 101 and "permessage-deflate" in headers.get("sec-websocket-extensions", "")
        assert json.loads(raw.recv_message()[1])["type"] == "hello"
        raw.send_frame(OP_TEXT, bomb, rsv1=True)
        assert raw.recv_close() == 1009
        bystander.assert_usable()


def test_binary_frame_on_no_channel_gets_an_error_and_socket_stays_open(gateway, admin_token):
    with gateway.socket(admin_token) as session:
        session.ws.send(bytes([0, 0, 0, 7, 0]) + b"stdin")
        error = session.recv_json()
        assert error["type"] == "error" and error["code"] == 1001, error
        session.assert_usable()


def _kubeconfig():
    return kubeconfig("e2e-transport-token")
