"""Processes (KubeSim, the gateway) and a small blocking HTTP helper run off the event loop."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class HTTPResult:
    status: int
    body: bytes

    def json(self):
        return json.loads(self.body)


def _http(method: str, url: str, token: str | None, body, timeout: float) -> HTTPResult:
    data = None
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HTTPResult(response.status, response.read())
    except urllib.error.HTTPError as error:
        return HTTPResult(error.code, error.read())


async def http(method: str, url: str, token: str | None = None, body=None, timeout: float = 5.0) -> HTTPResult:
    """One HTTP call in a worker thread; network errors and timeouts raise OSError."""
    return await asyncio.to_thread(_http, method, url, token, body, timeout)


@dataclass
class Managed:
    """A child process whose output goes to a log file and whose first URL line we wait for."""

    name: str
    argv: list[str]
    log_path: Path
    ready_pattern: str
    process: subprocess.Popen | None = None
    url: str = ""
    _log: object = field(default=None, repr=False)

    async def start(self, timeout: float = 30.0) -> str:
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            self.argv, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        pattern = re.compile(self.ready_pattern + r"\s+(http://[0-9.]+:\d+)")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            text = self.log_path.read_bytes()[offset:].decode(errors="replace")
            matches = pattern.findall(text)
            if matches:
                self.url = matches[-1]
                return self.url
            await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} did not report its address within {timeout}s; see {self.log_path}")

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def signal(self, sig: int) -> None:
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, sig)

    async def stop(self, timeout: float = 10.0) -> None:
        """SIGCONT (it may be stopped), SIGTERM, then SIGKILL after `timeout`."""
        if not self.process:
            return
        if self.process.poll() is None:
            self.signal(signal.SIGCONT)
            self.signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while self.process.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            if self.process.poll() is None:
                self.signal(signal.SIGKILL)
                self.process.wait()
        if self._log:
            self._log.close()
            self._log = None

    def kill_now(self) -> None:
        """Last resort for the exit path: no awaiting."""
        if self.process and self.process.poll() is None:
            try:
                os.kill(self.process.pid, signal.SIGCONT)
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def parse_metrics(text: str) -> dict[str, float]:
    """Unlabelled samples of a Prometheus exposition (labelled ones are skipped)."""
    values = {}
    for line in text.splitlines():
        if not line or line.startswith("#") or "{" in line:
            continue
        parts = line.split()
        if len(parts) >= 2:
            try:
                values[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return values
