"""Three `kubegale serve` replicas on one PostgreSQL database (issue 14): a client moved between
them mid-stream loses nothing; tickets and confirmation tokens minted on one work once on any;
a cluster registered on one is listed by the others; a database outage answers 5001 and /readyz
503, and everything works again, nothing lost, once the database is back.

Needs the PostgreSQL server scripts/test.sh starts (KUBEGALE_TEST_POSTGRES_URL): under CI its
absence fails the module, elsewhere it is skipped with the reason."""

import base64
import contextlib
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import threading
import time
import urllib.parse

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from conftest import kubegale_binary, output_dir, serve_help, wait_for_listening
from gateway import Gateway

POSTGRES_URL = os.environ.get("KUBEGALE_TEST_POSTGRES_URL", "")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
DRAIN_DELAY = 2
DATABASE_PASSWORD = "replica-db-password-" + secrets.token_hex(4)


def _require_postgres():
    if POSTGRES_URL:
        return
    reason = "KUBEGALE_TEST_POSTGRES_URL is not set (scripts/test.sh starts PostgreSQL)"
    if IN_CI:
        pytest.fail(f"the replica tests need PostgreSQL under CI: {reason}")
    pytest.skip(reason)


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _psql(url, sql):
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], check=True, capture_output=True, timeout=30)


def _wait(condition, timeout, interval=0.02):
    """Polls `condition` until it is true or `timeout` seconds passed; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


class TCPProxy:
    """Forwards a loopback port to the database; `cut()` drops every connection and refuses new
    ones (the database is "down" for the gateways), `restore()` forwards again."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.open = threading.Event()
        self.open.set()
        self.lock = threading.Lock()
        self.sockets = set()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def cut(self):
        self.open.clear()
        with self.lock:
            sockets, self.sockets = self.sockets, set()
        for end in sockets:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def restore(self):
        self.open.set()

    def close(self):
        self.closed = True
        self.cut()
        self.listener.close()


@pytest.fixture(scope="module")
def database():
    """A fresh database for the module, reached through a TCPProxy; yields (url, proxy)."""
    _require_postgres()
    name = f"kubegale_replicas_{secrets.token_hex(6)}"
    _psql(POSTGRES_URL, f"CREATE DATABASE {name}")
    parsed = urllib.parse.urlsplit(POSTGRES_URL)
    proxy = TCPProxy(parsed.hostname, parsed.port or 5432)
    user = parsed.username or "postgres"
    # The test server trusts loopback, so this password is never sent: it is there to be looked
    # for in the gateways' logs, where it must never appear.
    try:
        yield f"postgres://{user}:{DATABASE_PASSWORD}@127.0.0.1:{proxy.port}/{name}?sslmode=disable", proxy
    finally:
        proxy.close()
        with contextlib.suppress(subprocess.SubprocessError):
            _psql(POSTGRES_URL, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def simulator(tmp_path_factory):
    """`kubegale sim` over plain HTTP; yields (host:port, token, kubeconfig text)."""
    directory = tmp_path_factory.mktemp("replica-sim")
    kubeconfig = directory / "kubeconfig"
    port = _free_port()
    with open(output_dir() / "replicas-sim.log", "wb") as log:
        process = subprocess.Popen(
            [str(kubegale_binary()), "sim", "--port", str(port), "--plain-http", "--kubeconfig-out", str(kubeconfig),
             "--token", "sim-token"], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        assert _wait(lambda: kubeconfig.exists() and kubeconfig.stat().st_size > 0, 60), "kubegale sim did not start"
        yield f"127.0.0.1:{port}", "sim-token", kubeconfig.read_text()
    finally:
        process.terminate()
        process.wait(timeout=15)


class Replica:
    """One `kubegale serve` process of the set; `gateway` speaks to it."""

    def __init__(self, name, process, gateway):
        self.name = name
        self.process = process
        self.gateway = gateway

    def readyz(self):
        connection = http.client.HTTPConnection(self.gateway.host, self.gateway.port, timeout=5)
        try:
            connection.request("GET", "/readyz")
            response = connection.getresponse()
            return response.status, response.read().decode()
        except OSError:
            return None, ""
        finally:
            connection.close()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def replicas(tmp_path_factory, database):
    """Three replicas on one database, sharing the JWT secret and the seal key as replicas must."""
    url, _ = database
    binary = kubegale_binary()
    if "--database" not in serve_help(binary):
        pytest.fail("kubegale serve has no --database option")
    secret = secrets.token_hex(32)
    seal_key = base64.b64encode(secrets.token_bytes(32)).decode()
    env = {key: value for key, value in os.environ.items() if not key.startswith("KUBEGALE_")}
    env["KUBEGALE_SEAL_KEY"] = seal_key
    started = []
    try:
        for name in ("a", "b", "c"):
            log_path = output_dir() / f"replica-{name}.log"
            command = [
                str(binary), "serve", "--host", "127.0.0.1", "--port", "0",
                "--data-dir", str(tmp_path_factory.mktemp(f"replica-{name}")), "--jwt-secret", secret,
                "--database", url, "--drain-delay", str(DRAIN_DELAY), "--no-demo", "--allow-kubeconfig-insecure",
                "--resume-window", "5",
            ]
            with open(log_path, "wb") as log:
                process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                           env=env)
            host, port = wait_for_listening(process, log_path, timeout=60)
            started.append(Replica(name, process, Gateway(binary=binary, host=host, port=port, secret=secret,
                                                          log_path=log_path)))
        yield started
    finally:
        for replica in started:
            replica.stop()
    for replica in started:
        assert DATABASE_PASSWORD not in replica.gateway.log_text()


@pytest.fixture(scope="module")
def sim_cluster(replicas, simulator):
    """The simulator registered once, on replica A; yields its id."""
    a = replicas[0].gateway
    created = a.http("POST", "/clusters", token=a.token(), body={"name": "sim", "kubeconfig": simulator[2]})
    assert created.code == 0, created.text
    return created.data["id"]


def _sim_request(simulator, method, path, body=None):
    host, token, _ = simulator
    connection = http.client.HTTPConnection(host, timeout=30)
    connection.request(method, path, body=json.dumps(body) if body is not None else None,
                       headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    assert response.status in (200, 201), data
    return json.loads(data)


def test_a_cluster_registered_on_one_is_listed_by_the_others_within_a_second(replicas):
    a, b, c = (replica.gateway for replica in replicas)
    token = a.token()
    name = f"registered-{secrets.token_hex(3)}"
    created = a.http("POST", "/clusters", token=token,
                     body={"name": name, "kubeconfig": _kubeconfig("http://127.0.0.1:1")})
    assert created.code == 0, created.text
    registered = time.monotonic()

    def listed(gateway):
        return any(item["name"] == name for item in gateway.http("GET", "/clusters", token=token).data["items"])

    for other in (b, c):
        assert _wait(lambda: listed(other), 1.0), "a replica did not list the new cluster"
    assert time.monotonic() - registered < 1.5

    # Deleted on C (confirmed there): gone everywhere.
    deleted = c.confirmed("DELETE", f"/clusters/{created.data['id']}", token=token)
    assert deleted.code == 0, deleted.text
    for other in (a, b):
        assert _wait(lambda: not listed(other), 1.0)


def test_a_confirmation_token_from_one_replica_is_accepted_once_by_another(replicas):
    a, b, c = (replica.gateway for replica in replicas)
    token = a.token()
    created = a.http("POST", "/clusters", token=token,
                     body={"name": f"confirm-{secrets.token_hex(3)}", "kubeconfig": _kubeconfig("http://127.0.0.1:1")})
    assert created.code == 0, created.text
    path = f"/clusters/{created.data['id']}"
    asked = a.http("PUT", path, token=token, body={"description": "confirmed elsewhere"})
    assert asked.code == 1010, asked.text
    confirm = asked.data["confirm_token"]
    # The same confirmed call sent to B and C at once: it is performed exactly once. The other
    # finds the token used (1001) or, when the first one already changed the cluster, answers a
    # fresh preview (1010) — never a second change.
    body = {"description": "confirmed elsewhere", "confirm_token": confirm}
    answers = {}
    threads = [threading.Thread(target=lambda g=g: answers.__setitem__(g.port, g.http("PUT", path, token=token, body=body)))
               for g in (b, c)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    codes = sorted(answer.code for answer in answers.values())
    assert codes[0] == 0 and codes[1] in (1001, 1010), [answer.text for answer in answers.values()]
    refused = next(answer for answer in answers.values() if answer.code != 0)
    if refused.code == 1001:
        assert "already used" in refused.envelope["msg"]
    assert a.http("GET", path, token=token).data["description"] == "confirmed elsewhere"


def test_a_terminal_ticket_from_one_replica_opens_once_on_another(replicas, sim_cluster):
    a, b, c = (replica.gateway for replica in replicas)
    token = a.token(role="operator", subject="ticket-user")

    def running_pods():
        pods = a.http("GET", "/pods", token=token, query={
            "cluster_id": sim_cluster, "namespace": "demo", "labelSelector": "app=nginx",
            "fieldSelector": "status.phase=Running"})
        assert pods.code == 0, pods.text
        return pods.data["items"]

    running = _wait(running_pods, 30, interval=0.2)
    assert running, "no nginx pod of the simulator got to Running"
    pod = running[0]["metadata"]["name"]
    issued = a.http("GET", f"/pods/{pod}/terminal", token=token,
                    query={"cluster_id": sim_cluster, "namespace": "demo", "container": "nginx"})
    assert issued.code == 0, issued.text
    path = issued.data["terminal_path"]

    with connect(f"ws://{c.host}:{c.port}{path}", open_timeout=15, close_timeout=5) as terminal:
        first = terminal.recv(timeout=15)
        assert not (isinstance(first, str) and first.startswith("kubegale:")), first
        terminal.send(b"exit\n")

    with connect(f"ws://{b.host}:{b.port}{path}", open_timeout=15, close_timeout=5) as terminal:
        refusal = terminal.recv(timeout=15)
        assert "already used" in refusal, refusal
        with pytest.raises(ConnectionClosed):
            terminal.recv(timeout=15)


def test_a_cluster_deleted_on_one_replica_ends_its_watches_on_the_others(replicas, simulator):
    a, b, c = (replica.gateway for replica in replicas)
    token = a.token()
    created = a.http("POST", "/clusters", token=token,
                     body={"name": f"doomed-{secrets.token_hex(3)}", "kubeconfig": simulator[2]})
    assert created.code == 0, created.text
    cluster = created.data["id"]
    with b.socket(token=token) as watcher:
        watcher.send_json({"type": "subscribe", "id": "doomed", "stream": "watch", "cluster": cluster,
                           "resource": "configmaps", "namespace": "demo"})
        channel = watcher.recv_until(lambda f: f["type"] == "subscribed")["channel"]
        watcher.recv_until(lambda f: f["type"] == "synced" and f["channel"] == channel)
        deleted = c.confirmed("DELETE", f"/clusters/{cluster}", token=token)
        assert deleted.code == 0, deleted.text
        started = time.monotonic()
        # B's upstream watch is healthy (the simulator still runs): only the NOTIFY from C ends it.
        ended = watcher.recv_until(lambda f: f["type"] == "error" and f.get("channel") == channel, timeout=5)
        assert ended["code"] == 1002, ended
        assert time.monotonic() - started < 2, "the deletion took more than a second or two to reach B"


def test_a_client_moved_to_another_replica_mid_stream_loses_no_event(replicas, sim_cluster, simulator):
    a, b = replicas[0], replicas[1]
    token = a.gateway.token()
    namespace = f"move-{secrets.token_hex(3)}"
    _sim_request(simulator, "POST", "/api/v1/namespaces", {"metadata": {"name": namespace}})
    subscribe = {"type": "subscribe", "id": "w", "stream": "watch", "cluster": sim_cluster,
                 "resource": "configmaps", "namespace": namespace}
    seen = set()
    last_version = None

    def create(prefix, count):
        names = [f"{prefix}-{i}" for i in range(count)]
        for name in names:
            _sim_request(simulator, "POST", f"/api/v1/namespaces/{namespace}/configmaps", {"metadata": {"name": name}})
        return set(names)

    def take(frame, channel):
        nonlocal last_version
        assert frame["type"] != "resync", "the watch could not resume by resourceVersion"
        if frame["type"] == "event" and frame["channel"] == channel:
            seen.add(frame["object"]["metadata"]["name"])
            last_version = frame["object"]["metadata"]["resourceVersion"]

    session = a.gateway.socket(token=token)
    session.send_json(subscribe)
    channel = session.recv_until(lambda f: f["type"] == "subscribed")["channel"]
    session.recv_until(lambda f: f["type"] == "synced" and f["channel"] == channel)
    before = create("before", 5)
    while not before <= seen:
        take(session.recv_json(), channel)

    # A is stopped gracefully: /readyz turns 503 while the socket is still open, then the socket
    # closes with 1001 after the drain delay.
    a.process.send_signal(signal.SIGTERM)
    assert _wait(lambda: a.readyz()[0] == 503, DRAIN_DELAY), "readyz did not turn false before the drain ended"
    session.assert_usable()  # the socket is still open while the load balancer drains the replica
    close_code = None
    try:
        while True:
            take(session.recv_json(timeout=30), channel)
    except ConnectionClosed as closed:
        close_code = closed.rcvd.code if closed.rcvd else None
    assert close_code == 1001
    a.process.wait(timeout=30)
    assert before <= seen and last_version

    # Changes made while the client has no gateway...
    meanwhile = create("meanwhile", 5)
    # ...arrive once it resumes on B by resourceVersion (its session is unknown there).
    with b.gateway.socket(token=token) as moved:
        moved.send_json({**subscribe, "resourceVersion": last_version})
        channel = moved.recv_until(lambda f: f["type"] == "subscribed")["channel"]
        frame = moved.recv_json()
        while not (frame["type"] == "synced" and frame["channel"] == channel):
            take(frame, channel)
            frame = moved.recv_json()
        after = create("after", 3)
        while not after <= seen:
            take(moved.recv_json(), channel)
    assert before | meanwhile | after <= seen


def test_a_database_outage_answers_5001_and_nothing_is_lost(replicas, database):
    _, proxy = database
    live = [replica for replica in replicas if replica.process.poll() is None]
    assert len(live) >= 2
    b, c = live[0], live[1]
    token = b.gateway.token()
    before = {item["id"] for item in b.gateway.http("GET", "/clusters", token=token).data["items"]}

    # A write made during a short outage (one second) waits for the database and lands.
    proxy.cut()
    outage = threading.Timer(1.0, proxy.restore)
    outage.start()
    try:
        written = c.gateway.http("POST", "/clusters", token=token,
                                 body={"name": "during-outage", "kubeconfig": _kubeconfig("http://127.0.0.1:1")})
    finally:
        outage.join()
    assert written.code == 0, written.text
    assert _wait(lambda: any(item["name"] == "during-outage"
                             for item in b.gateway.http("GET", "/clusters", token=token).data["items"]), 5)

    # A longer one: /readyz turns 503 and calls answer 5001 with a clear message...
    proxy.cut()
    try:
        assert _wait(lambda: b.readyz()[0] == 503, 15), "readyz stayed true with the database down"
        down = b.gateway.http("GET", "/clusters", token=token)
        assert down.code == 5001, down.text
        assert "database is unavailable" in down.envelope["msg"]
        assert "postgres" not in down.text.lower() and "sql" not in down.text.lower()
    finally:
        proxy.restore()

    # ...and once it is back everything works again, nothing lost.
    for replica in (b, c):
        assert _wait(lambda: replica.readyz()[0] == 200, 45, interval=0.2), f"{replica.name}: readyz did not recover"
    after = b.gateway.http("GET", "/clusters", token=token)
    assert after.code == 0, after.text
    ids = {item["id"] for item in after.data["items"]}
    assert before <= ids, "clusters were lost"
    assert "during-outage" in {item["name"] for item in after.data["items"]}


def _kubeconfig(server):
    return f"""apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: {server}
contexts:
- name: c
  context:
    cluster: c
    user: u
current-context: c
users:
- name: u
  user:
    token: replica-test
"""
