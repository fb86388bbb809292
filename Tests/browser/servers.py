"""The real processes behind the browser tests: `kubegale sim` as the cluster (driven with
kubectl through its kubeconfig) and `kubegale serve` as the gateway, restartable on the same
port, data directory and secret."""

import json
import re
import secrets
import os
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

SIM_LISTENING = re.compile(r"KubeSim listening on (https?)://([^:\s]+):(\d+)")
GATEWAY_LISTENING = re.compile(r"KubeGale Realtime listening on http://([^:\s]+):(\d+)")
API_BASE = "/api/v1/kubernetes"


def wait_for_line(process, log_path, pattern, timeout, what):
    """Polls the process's log until `pattern` appears; returns the match."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = pattern.search(log_path.read_text(errors="replace"))
        if match:
            return match
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not report its address within {timeout}s:\n{log_path.read_text(errors='replace')}")


def stop(process, timeout=15):
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Simulator:
    """`kubegale sim` with its demo data on a free port, TLS and a kubeconfig for kubectl."""

    def __init__(self, binary: Path, directory: Path, output: Path):
        self.binary = binary
        self.kubeconfig = directory / "sim.yaml"
        self.log_path = output / "sim.log"
        self.process = None

    def start(self):
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [str(self.binary), "sim", "--port", "0", "--kubeconfig-out", str(self.kubeconfig)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_for_line(self.process, self.log_path, SIM_LISTENING, 60, "kubegale sim")  # printed once the kubeconfig is written
        return self

    def stop(self):
        stop(self.process)

    def kubectl(self, *args, input=None, check=True, timeout=30):
        """Runs kubectl against the simulator; returns its stdout."""
        result = subprocess.run(
            ["kubectl", "--kubeconfig", str(self.kubeconfig), *args],
            input=input, capture_output=True, text=True, timeout=timeout, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result.stdout

    def get_json(self, *args):
        return json.loads(self.kubectl("get", *args, "-o", "json"))

    def apply(self, manifest):
        """Creates the objects of a YAML manifest (kubectl create sends JSON bodies)."""
        return self.kubectl("create", "-f", "-", input=manifest)

    def parse_yaml(self, text):
        """An object's YAML as kubectl's own YAML parser reads it (a client-side dry run)."""
        return json.loads(self.kubectl("create", "--dry-run=client", "-o", "json", "-f", "-", input=text))

    def pod_names(self, namespace, selector=None):
        args = ["pods", "-n", namespace] + (["-l", selector] if selector else [])
        return sorted(item["metadata"]["name"] for item in self.get_json(*args)["items"])


class Gateway:
    """`kubegale serve` with its own data directory and secret; stop() and start() again keep
    the port, so a page's reconnects find it where it was."""

    def __init__(self, binary: Path, data_dir: Path, output: Path, console_dir: Path | None = None):
        self.binary = binary
        self.data_dir = data_dir
        self.output = output
        self.console_dir = console_dir
        self.secret = secrets.token_hex(32)
        self.host = "127.0.0.1"
        self.port = 0
        self.process = None
        self.starts = 0

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    def command(self):
        return [
            str(self.binary), "serve",
            "--host", self.host, "--port", str(self.port),
            "--data-dir", str(self.data_dir), "--jwt-secret", self.secret,
            "--no-demo",
            # Alert rules evaluated every second (10 s by default), so a rule fires while a test waits.
            "--alert-interval", "1",
        ] + (
            # The built-in console (the resources next to the binary) is what ships; a folder may
            # be named instead while working on the console without rebuilding.
            ["--console-dir", str(self.console_dir)] if self.console_dir else []
        )

    def start(self):
        self.starts += 1
        log_path = self.output / f"gateway-{self.starts}.log"
        # The options say everything; KUBEGALE_* variables of the test run must not add to them.
        env = {key: value for key, value in os.environ.items() if not key.startswith("KUBEGALE_")}
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, env=env)
        match = wait_for_line(self.process, log_path, GATEWAY_LISTENING, 60, "kubegale serve")
        self.host, self.port = match.group(1), int(match.group(2))
        return self

    def stop(self):
        stop(self.process)
        self.process = None

    def token(self, role="admin", subject="browser-admin", clusters="*", ttl="1h"):
        result = subprocess.run(
            [str(self.binary), "token", "--jwt-secret", self.secret, "--subject", subject,
             "--role", role, "--clusters", clusters, "--ttl", ttl],
            capture_output=True, text=True, timeout=30, check=True)
        return result.stdout.strip().splitlines()[-1].strip()

    def api(self, method, path, token, body=None, query=None):
        """An HTTP API call; returns the envelope (whatever its code)."""
        url = self.url + API_BASE + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            return json.loads(error.read())

    def file(self, token, cluster, namespace, pod, path):
        """The bytes of a file in a container, over `GET /pods/{pod}/files`."""
        query = urllib.parse.urlencode({"cluster_id": cluster, "namespace": namespace, "path": path})
        request = urllib.request.Request(f"{self.url}{API_BASE}/pods/{pod}/files?{query}",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()

