"""Clients for the gateway under test: HTTP API calls, WebSocket sessions speaking protocol
kubegale.v1, and JWT helpers."""

import base64
import hashlib
import hmac
import http.client
import itertools
import json
import subprocess
import urllib.parse
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from websockets.sync.client import connect

API_BASE = "/api/v1/kubernetes"
RECV_TIMEOUT = 15


@dataclass
class HTTPResult:
    status: int
    headers: dict
    text: str

    @property
    def envelope(self):
        return json.loads(self.text)

    @property
    def code(self):
        return self.envelope["code"]

    @property
    def data(self):
        return self.envelope["data"]


@dataclass(frozen=True)
class Gateway:
    binary: Path
    host: str
    port: int
    secret: str
    log_path: Path
    _ids: itertools.count = field(default_factory=itertools.count, compare=False)

    # Tokens

    def token(self, role="admin", subject="e2e-admin", clusters="*", ttl="1h"):
        return _mint(self.binary, self.secret, role, subject, clusters, ttl)

    # HTTP

    def http(self, method, path, token=None, body=None, query=None, headers=None, raw_body=None):
        """Calls `API_BASE + path`; `body` is sent as JSON, `raw_body` as given."""
        target = API_BASE + path
        if query:
            target += "?" + urllib.parse.urlencode(query)
        all_headers = {"Accept": "application/json"}
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            raw_body = json.dumps(body).encode()
        if raw_body is not None:
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        connection = http.client.HTTPConnection(self.host, self.port, timeout=RECV_TIMEOUT)
        try:
            connection.request(method, target, body=raw_body, headers=all_headers)
            response = connection.getresponse()
            text = response.read().decode()
            return HTTPResult(response.status, {k.lower(): v for k, v in response.getheaders()}, text)
        finally:
            connection.close()

    def confirmed(self, method, path, token=None, body=None, query=None):
        """A sensitive call as a console makes it: ask, then repeat with the 1010's confirm_token."""
        asked = self.http(method, path, token=token, body=body, query=query)
        if asked.code != 1010:
            return asked
        confirm = asked.data["confirm_token"]
        if body is not None:
            return self.http(method, path, token=token, body={**body, "confirm_token": confirm}, query=query)
        return self.http(method, path, token=token, query={**(query or {}), "confirm_token": confirm})

    # WebSocket

    @property
    def ws_url(self):
        return f"ws://{self.host}:{self.port}/ws"

    def socket(self, token=None, path="/ws", compression=None, subprotocols=None, query=None, read_hello=True):
        """A `Session` on a new socket; by default it has read and checked the hello frame."""
        url = f"ws://{self.host}:{self.port}{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers = {"Authorization": f"Bearer {token}"} if token else None
        websocket = connect(
            url,
            additional_headers=headers,
            compression=compression,
            subprotocols=subprotocols,
            max_size=64 << 20,
            open_timeout=RECV_TIMEOUT,
            close_timeout=5,
            legacy=True,  # a plain connection object; Session closes it
        )
        session = Session(websocket, self._ids)
        if read_hello:
            session.hello = session.recv_json()
            assert session.hello["type"] == "hello", f"first frame is not hello: {session.hello}"
        return session

    def log_text(self):
        return self.log_path.read_text(errors="replace")


class Session:
    """A protocol kubegale.v1 conversation over one websockets client connection."""

    def __init__(self, websocket, ids):
        self.ws = websocket
        self.ids = ids
        self.hello = None
        self.received_texts = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.ws.close()

    def send_json(self, frame):
        self.ws.send(json.dumps(frame))

    def recv_text(self, timeout=RECV_TIMEOUT):
        text = self.ws.recv(timeout=timeout)
        self.received_texts.append(text)
        return text

    def recv_json(self, timeout=RECV_TIMEOUT):
        text = self.recv_text(timeout)
        assert isinstance(text, str), f"expected a text frame, got {len(text)} binary bytes"
        return json.loads(text)

    def recv_until(self, predicate, timeout=RECV_TIMEOUT):
        """Frames until one matches; frames skipped on the way (status...) are kept."""
        while True:
            frame = self.recv_json(timeout)
            if predicate(frame):
                return frame

    def request(self, method, path, body=None, query=None):
        """Sends a `request` frame and returns its `response` frame."""
        frame_id = next(self.ids)
        frame = {"type": "request", "id": frame_id, "method": method, "path": path}
        if body is not None:
            frame["body"] = body
        if query is not None:
            frame["query"] = query
        self.send_json(frame)
        response = self.recv_until(lambda f: f.get("id") == frame_id and f["type"] in ("response", "error"))
        assert response["type"] == "response", f"expected a response frame, got {response}"
        return response

    def confirmed(self, method, path, body=None, query=None):
        """A sensitive request as a console sends it: ask, then repeat with the 1010's confirm_token."""
        asked = self.request(method, path, body=body, query=query)
        if asked["code"] != 1010:
            return asked
        return self.request(method, path, body={**(body or {}), "confirm_token": asked["data"]["confirm_token"]},
                            query=query)

    def ping(self):
        frame_id = f"ping-{next(self.ids)}"
        self.send_json({"type": "ping", "id": frame_id})
        return self.recv_until(lambda f: f.get("id") == frame_id)

    def assert_usable(self):
        pong = self.ping()
        assert pong["type"] == "pong", pong

    def close_code(self, timeout=RECV_TIMEOUT):
        """Reads until the server closes; returns the close code it sent."""
        from websockets.exceptions import ConnectionClosed

        try:
            while True:
                self.recv_text(timeout)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None


@lru_cache(maxsize=None)
def _mint(binary, secret, role, subject, clusters, ttl):
    command = [str(binary), "token", "--subject", subject, "--role", role, "--clusters", clusters, "--ttl", ttl]
    result = subprocess.run(
        command + ["--jwt-secret", secret], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, f"kubegale token failed ({result.returncode}): {result.stderr}"
    token = result.stdout.strip().splitlines()[-1].strip()
    assert token.count(".") == 2, f"kubegale token printed no JWT: {result.stdout!r}"
    return token


# JWT helpers: tests re-sign real tokens to make expired or badly signed ones.

def _b64decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_parts(token):
    header, payload, _ = token.split(".")
    return json.loads(_b64decode(header)), json.loads(_b64decode(payload))


def jwt_sign(header, claims, secret):
    """An HS256 JWT over `header` and `claims`, signed with `secret`."""
    signing_input = _b64encode(json.dumps(header).encode()) + "." + _b64encode(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64encode(signature)


def kubeconfig(token, server="https://127.0.0.1:6443", name="e2e"):
    """A valid kubeconfig YAML whose user authenticates with `token`."""
    return f"""apiVersion: v1
kind: Config
clusters:
- name: {name}
  cluster:
    server: {server}
contexts:
- name: {name}
  context:
    cluster: {name}
    user: {name}-user
    namespace: default
current-context: {name}
users:
- name: {name}-user
  user:
    token: {token}
"""
