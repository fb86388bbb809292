"""Session fixtures: one real `kubegale serve` process on a free port, with its own data
directory and JWT secret, its output captured to a file, and tokens minted by `kubegale token`."""

import contextlib
import os
import re
import secrets
import subprocess
import time
from pathlib import Path

import pytest

from gateway import Gateway

REPO = Path(__file__).resolve().parents[2]
LISTENING = re.compile(r"KubeGale Realtime listening on http://([^:\s]+):(\d+)")

# Limits the server runs with; tests derive their payload sizes from these.
MAX_FRAME_SIZE = 1 << 20
MAX_MESSAGE_SIZE = 2 << 20


def kubegale_binary():
    binary = Path(os.environ.get("KUBEGALE_BIN", REPO / ".build" / "debug" / "kubegale"))
    if not binary.is_absolute():
        binary = REPO / binary
    if not binary.is_file():
        pytest.exit(f"{binary} not found: build it first (swift build --product kubegale)", returncode=2)
    return binary


def output_dir():
    directory = Path(os.environ.get("KUBEGALE_E2E_OUTPUT", REPO / ".test-output" / "e2e"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@contextlib.contextmanager
def launch(tmp_path_factory, name="server", extra=()):
    """Runs one `kubegale serve` with its own data directory and secret; yields a Gateway."""
    binary = kubegale_binary()
    secret = secrets.token_hex(32)
    data_dir = tmp_path_factory.mktemp(f"kubegale-{name}")
    log_path = output_dir() / f"{name}.log"
    command = [
        str(binary), "serve",
        "--host", "127.0.0.1",
        "--port", "0",
        "--data-dir", str(data_dir),
        "--jwt-secret", secret,
        "--max-frame-size", str(MAX_FRAME_SIZE),
        "--max-message-size", str(MAX_MESSAGE_SIZE),
        *extra,
    ]
    options = serve_help(binary)
    if "--no-demo" in options:
        command.append("--no-demo")  # the registry starts empty: only the tests' clusters exist
    if "--log-level" in options:
        command += ["--log-level", "trace"]  # the secrets test reads every line the server can log
    env = {key: value for key, value in os.environ.items() if not key.startswith("KUBEGALE_")}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    try:
        host, port = wait_for_listening(process, log_path, timeout=60)
        yield Gateway(binary=binary, host=host, port=port, secret=secret, log_path=log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def gateway(tmp_path_factory):
    with launch(tmp_path_factory) as server:
        yield server


def serve_help(binary):
    return subprocess.run([str(binary), "serve", "--help"], capture_output=True, text=True, check=False).stdout


def wait_for_listening(process, log_path, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = LISTENING.search(log_path.read_text(errors="replace"))
        if match:
            return match.group(1), int(match.group(2))
        if process.poll() is not None:
            pytest.exit(f"kubegale exited with {process.returncode} before listening:\n{log_path.read_text()}", 2)
        time.sleep(0.05)
    process.kill()
    pytest.exit(f"kubegale did not print its listening line within {timeout}s:\n{log_path.read_text()}", 2)


@pytest.fixture(scope="session")
def admin_token(gateway):
    return gateway.token(role="admin")


@pytest.fixture(scope="session")
def viewer_token(gateway):
    return gateway.token(role="viewer", subject="e2e-viewer")
