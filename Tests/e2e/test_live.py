"""Live channels against the real binaries: a `kubegale sim` cluster behind a `kubegale serve`
with small live limits, many subscribers of one watch, and one client that stops reading."""

import json
import socket
import ssl
import subprocess
import threading
import time
import http.client

import pytest

from conftest import kubegale_binary, launch, output_dir
from rawws import OP_CLOSE, RawWebSocket

SUBSCRIBERS = 50
OBJECTS = 600
PENDING_LIMIT = 100


@pytest.fixture(scope="module")
def simulator(tmp_path_factory):
    """`kubegale sim` over plain HTTP on a free port; yields (base URL, token, kubeconfig text)."""
    directory = tmp_path_factory.mktemp("sim")
    kubeconfig = directory / "kubeconfig"
    log = open(output_dir() / "live-sim.log", "wb")
    port = _free_port()
    process = subprocess.Popen(
        [str(kubegale_binary()), "sim", "--port", str(port), "--plain-http", "--kubeconfig-out", str(kubeconfig), "--token", "sim-token"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (kubeconfig.exists() and kubeconfig.stat().st_size > 0):
            time.sleep(0.05)
        assert kubeconfig.exists(), "kubegale sim did not write its kubeconfig"
        yield f"127.0.0.1:{port}", "sim-token", kubeconfig.read_text()
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def live_gateway(tmp_path_factory, simulator):
    # `kubegale sim --plain-http` is a plain-HTTP cluster: the gateway must be told to accept one.
    extra = ["--max-pending-changes", str(PENDING_LIMIT), "--outbound-queue", "64", "--allow-kubeconfig-insecure"]
    with launch(tmp_path_factory, name="live", extra=extra) as gateway:
        admin = gateway.token()
        created = gateway.http("POST", "/clusters", token=admin, body={"name": "sim", "kubeconfig": simulator[2]})
        assert created.code == 0, created.text
        yield gateway, created.data["id"], admin


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _sim_request(simulator, method, path, body=None):
    host, token, _ = simulator
    connection = http.client.HTTPConnection(host, timeout=30)
    connection.request(method, path, body=json.dumps(body) if body is not None else None,
                       headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data


def _subscriber(gateway, token, cluster, namespace, expected, results, index, ready):
    """Watches the namespace and records when it has seen every expected object."""
    with gateway.socket(token=token) as ws:
        ws.send_json({"type": "subscribe", "id": "w", "stream": "watch", "cluster": cluster,
                      "resource": "configmaps", "namespace": namespace})
        channel = None
        seen = set()
        last_seq = 0
        gaps = 0
        while True:
            frame = ws.recv_json(timeout=120)
            if frame["type"] == "subscribed":
                channel = frame["channel"]
            elif frame["type"] == "synced" and frame["channel"] == channel:
                ready.release()
            elif frame["type"] == "event" and frame["channel"] == channel:
                if frame["seq"] != last_seq + 1:
                    gaps += 1
                last_seq = frame["seq"]
                seen.add(frame["object"]["metadata"]["name"])
                if expected <= seen:
                    results[index] = (time.monotonic(), gaps)
                    return


def test_one_stalled_client_does_not_slow_fifty_others(live_gateway, simulator):
    gateway, cluster, admin = live_gateway
    namespace = "fanout"
    status, data = _sim_request(simulator, "POST", "/api/v1/namespaces", {"metadata": {"name": namespace}})
    assert status in (200, 201), data

    # The stalled client: a tiny receive buffer, subscribes, never reads again.
    stalled = RawWebSocket(gateway.host, gateway.port)
    stalled.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    code, _ = stalled.handshake("/ws", {"Authorization": f"Bearer {admin}"})
    assert code == 101
    stalled.send_frame(0x1, json.dumps({"type": "subscribe", "id": "slow", "stream": "watch", "cluster": cluster,
                                        "resource": "configmaps", "namespace": namespace}).encode())

    expected = {f"item-{i}" for i in range(OBJECTS)}
    results = [None] * SUBSCRIBERS
    ready = threading.Semaphore(0)
    threads = [threading.Thread(target=_subscriber, args=(gateway, admin, cluster, namespace, expected, results, i, ready), daemon=True)
               for i in range(SUBSCRIBERS)]
    for thread in threads:
        thread.start()
    for _ in range(SUBSCRIBERS):
        assert ready.acquire(timeout=60), "a subscriber never got its snapshot"

    started = time.monotonic()
    payload = "x" * 16384
    for i in range(OBJECTS):
        status, data = _sim_request(simulator, "POST", f"/api/v1/namespaces/{namespace}/configmaps",
                                    {"metadata": {"name": f"item-{i}"}, "data": {"payload": payload}})
        assert status in (200, 201), data
    for thread in threads:
        thread.join(timeout=120)
    assert all(results), "some subscribers did not see every object"
    slowest = max(result[0] for result in results) - started
    assert all(result[1] == 0 for result in results), "a subscriber saw a gap in seq"
    # Every fast subscriber got all the objects (about 10 MB each) promptly although one client stalled.
    assert slowest < 60, f"the fast subscribers took {slowest:.1f}s"

    # The stalled client was dropped with 4008 (slow consumer): drain what reached it.
    stalled.sock.settimeout(30)
    close_code = None
    try:
        while True:
            frame = stalled.recv_frame()
            if frame.opcode == OP_CLOSE:
                close_code = frame.close_code
                break
    except (OSError, AssertionError):
        pass
    stalled.close()
    assert close_code == 4008 or close_code is None  # None: torn down before the close frame got through
    assert "slow consumer" in gateway.log_text()
