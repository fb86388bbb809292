"""The official Python client (`kubernetes` from PyPI) against `kubegale sim`, as a new user runs it:
the kubeconfig the simulator writes, TLS with its generated CA, and `kubernetes.stream.stream` exec with
stdin — which the client sends as text frames, on v5.channel.k8s.io or on v4.channel.k8s.io — and
`kubernetes.stream.portforward` to the pod's simulated listener."""

import subprocess
import time

import pytest
from kubernetes import client, config
from kubernetes.stream import portforward, stream

from conftest import kubegale_binary, output_dir

NAMESPACE = "demo"


@pytest.fixture(scope="module")
def core(tmp_path_factory):
    """A `kubegale sim` on a free port (HTTPS, demo data) and a CoreV1Api configured from its kubeconfig."""
    kubeconfig = tmp_path_factory.mktemp("python-client") / "kubeconfig"
    log = open(output_dir() / "python-client-sim.log", "wb")
    process = subprocess.Popen(
        [str(kubegale_binary()), "sim", "--port", "0", "--kubeconfig-out", str(kubeconfig)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (kubeconfig.exists() and kubeconfig.stat().st_size > 0):
            assert process.poll() is None, "kubegale sim exited before writing its kubeconfig"
            time.sleep(0.05)
        assert kubeconfig.exists(), "kubegale sim did not write its kubeconfig"
        api_client = config.new_client_from_config(config_file=str(kubeconfig))
        yield client.CoreV1Api(api_client)
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def pod(core):
    """A running demo pod."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pods = core.list_namespaced_pod(NAMESPACE, label_selector="app=nginx").items
        running = [item.metadata.name for item in pods if item.status.phase == "Running"]
        if running:
            return running[0]
        time.sleep(0.1)
    pytest.fail("no demo pod became Running within 30 s")


def _open(core, pod, command, protocol=None):
    headers = {"sec-websocket-protocol": protocol} if protocol else None
    return stream(core.connect_get_namespaced_pod_exec, pod, NAMESPACE, command=command,
                  stdin=True, stdout=True, stderr=True, tty=False, _preload_content=False, _headers=headers)


def _finish(response, timeout=20):
    """Reads until the server closes; returns (stdout, stderr).

    The reads do not wait: `read_stderr()` with no timeout blocks for the next frame, which may be the last
    stdout and then the close; that stdout would sit in the client's buffer after the loop saw the close. So
    what the last update buffered is read once more after the close."""
    out, err = [], []
    deadline = time.monotonic() + timeout
    while response.is_open() and time.monotonic() < deadline:
        response.update(timeout=1)
        out.append(response.read_stdout(timeout=0))
        err.append(response.read_stderr(timeout=0))
    assert not response.is_open(), f"the exec did not end within {timeout} s"
    out.append(response.read_stdout(timeout=0))
    err.append(response.read_stderr(timeout=0))
    return "".join(out), "".join(err)


@pytest.mark.parametrize("protocol", [None, "v4.channel.k8s.io"], ids=["offered-v5-v4", "v4-only"])
def test_interactive_shell_reads_each_line_as_it_arrives(core, pod, protocol):
    # The client's own documented example: a shell fed one line at a time, each answer read before the next.
    response = _open(core, pod, ["/bin/sh"], protocol)
    try:
        response.write_stdin("echo first line from stdin\n")
        assert response.readline_stdout(timeout=10) == "first line from stdin"
        response.write_stdin("echo to stderr >&2; echo second line\n")
        assert response.readline_stdout(timeout=10) == "second line"
        response.write_stdin("exit 3\n")
        _finish(response)
        assert response.returncode == 3
    finally:
        response.close()


def test_cat_echoes_stdin_and_ends_on_the_v5_close_signal(core, pod):
    response = _open(core, pod, ["cat"])
    try:
        assert response.subprotocol == "v5.channel.k8s.io"
        response.write_stdin("text frame ")
        response.write_stdin(b"binary frame \xc3\xa9")
        response.write_stdin("unicode \u00e9\u4e2d")
        response.close_channel(0)
        out, err = _finish(response)
        assert out == "text frame binary frame \u00e9unicode \u00e9\u4e2d"
        assert err == ""
        assert response.returncode == 0
    finally:
        response.close()


def test_large_stdin_in_one_text_frame_comes_back_whole(core, pod):
    payload = "".join(f"line {index:05d} of a large write\n" for index in range(4000))  # about 110 KB
    response = _open(core, pod, ["cat"])
    try:
        response.write_stdin(payload)
        response.close_channel(0)
        out, _ = _finish(response)
        assert out == payload
        assert response.returncode == 0
    finally:
        response.close()


def _exchange(forward, port, request):
    """Sends `request` on the forwarded port and reads until the pod's side closes."""
    sock = forward.socket(port)
    sock.settimeout(15)
    try:
        sock.sendall(request)
    except OSError:
        pass  # the pod's side may already have refused the connection
    reply = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            # When the pod refuses, the client library closes its end of the socket pair with
            # our request still unread, and the kernel reports that as a reset: the end.
            return reply
        if not chunk:
            return reply
        reply += chunk


def test_portforward_reaches_the_pods_listener(core, pod):
    forward = portforward(core.connect_get_namespaced_pod_portforward, pod, NAMESPACE, ports="80")
    reply = _exchange(forward, 80, b"GET /from-python HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n"), reply
    assert f"Hello from {NAMESPACE}/{pod}".encode() in reply
    assert b"GET /from-python" in reply
    assert forward.error(80) is None


def test_portforward_to_an_undeclared_port_reports_the_error(core, pod):
    forward = portforward(core.connect_get_namespaced_pod_portforward, pod, NAMESPACE, ports="81")
    assert _exchange(forward, 81, b"GET / HTTP/1.1\r\n\r\n") == b""
    deadline = time.monotonic() + 10
    while forward.error(81) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "error forwarding port 81" in (forward.error(81) or ""), forward.error(81)
    assert "connection refused" in forward.error(81)
