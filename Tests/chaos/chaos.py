"""KubeGale chaos and soak runner.

Starts KubeSim and the gateway, runs many WebSocket clients that watch ConfigMaps while a mutator
changes them and a fault injector breaks the cluster in turn, then checks that every client's view
equals the cluster, that nobody saw an unannounced gap or a duplicate, and that nothing leaked.
See README.md beside this file.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import random
import secrets
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from client import SELECTORS, ChaosClient
from procs import Managed, http, parse_metrics, rss_kib

NAMESPACE = "chaos"
INITIAL_CONFIGMAPS = 40
NAME_POOL = 60
MUTATIONS_PER_SECOND = 5
FAULT_INTERVAL = 7.0
WARMUP = 8.0
RESUME_WINDOW = 30
FAULTS = ["drop-watches", "fail-503", "restart", "expire+compact", "fail-429", "hang", "fail-500"]
WATCH_LINGER = 2


def log(text: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {text}", flush=True)


async def poll(condition, deadline: float, interval: float = 0.5):
    """Awaits `condition()` until it returns a truthy value or the monotonic `deadline` passes."""
    while True:
        value = await condition()
        if value or time.monotonic() >= deadline:
            return value
        await asyncio.sleep(interval)


def mint_token(secret: str, subject: str, ttl: int = 7200) -> str:
    """An admin token for `subject`, signed (HS256) as `kubegale token` signs it."""
    def encode(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    now = int(time.time())
    header = encode(json.dumps({"alg": "HS256", "kid": "hs", "typ": "JWT"}).encode())
    claims = {"sub": subject, "role": "admin", "clusters": ["*"], "iat": now, "exp": now + ttl}
    payload = encode(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{encode(signature)}"


class Cluster:
    """KubeSim, restartable on the same port with the same token, and the ConfigMaps in it."""

    def __init__(self, binary: str, workdir: Path, rng: random.Random):
        self.binary = binary
        self.workdir = workdir
        self.rng = rng
        self.token = "sim-" + secrets.token_hex(8)
        self.kubeconfig = workdir / "kubesim.kubeconfig"
        self.port = 0
        self.sim: Managed | None = None
        self.lock = asyncio.Lock()  # held while the sim is restarting: no mutations then
        self.stats: Counter = Counter()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        argv = [self.binary, "sim", "--port", str(self.port), "--plain-http", "--token", self.token,
                "--kubeconfig-out", str(self.kubeconfig)]
        for attempt in range(20):
            self.sim = Managed("kubesim", argv, self.workdir / "kubesim.log", "KubeSim listening on")
            try:
                url = await self.sim.start()
                break
            except RuntimeError:
                if self.port == 0 or attempt == 19:
                    raise
                await asyncio.sleep(0.5)  # the old process's port may not be free yet
        self.port = int(url.rsplit(":", 1)[1])

    async def restart(self) -> None:
        async with self.lock:
            await self.sim.stop()
            await self.start()
            await self.seed()

    async def api(self, method: str, path: str, body=None, timeout: float = 3.0):
        return await http(method, self.url + path, self.token, body, timeout)

    async def fault(self, path: str) -> None:
        result = await self.api("POST", "/_kubesim/faults/" + path)
        if result.status != 200:
            raise RuntimeError(f"fault {path}: HTTP {result.status}")

    def configmap(self, name: str) -> dict:
        return {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": name, "namespace": NAMESPACE,
                             "labels": {"tier": self.rng.choice("abc"), "group": self.rng.choice("xy")}},
                "data": {"value": secrets.token_hex(4)}}

    async def seed(self) -> None:
        await self.api("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                       "metadata": {"name": NAMESPACE}})
        for i in range(INITIAL_CONFIGMAPS):
            result = await self.api("POST", f"/api/v1/namespaces/{NAMESPACE}/configmaps", self.configmap(f"cm-{i:03d}"))
            if result.status not in (201, 409):
                raise RuntimeError(f"seeding cm-{i:03d}: HTTP {result.status} {result.body[:200]!r}")

    async def mutate_once(self) -> None:
        name = f"cm-{self.rng.randrange(NAME_POOL):03d}"
        base = f"/api/v1/namespaces/{NAMESPACE}/configmaps"
        roll = self.rng.random()
        async with self.lock:
            if roll < 0.6:
                kind, result = "update", await self.api("PUT", f"{base}/{name}", self.configmap(name))
                if result.status == 404:
                    kind, result = "create", await self.api("POST", base, self.configmap(name))
            elif roll < 0.8:
                kind, result = "delete", await self.api("DELETE", f"{base}/{name}")
            else:
                kind, result = "create", await self.api("POST", base, self.configmap(name))
        self.stats[f"{kind}_{result.status}"] += 1

    async def listing(self, selector: str | None) -> dict[str, str]:
        path = f"/api/v1/namespaces/{NAMESPACE}/configmaps"
        if selector:
            path += "?labelSelector=" + quote(selector)
        result = await self.api("GET", path, timeout=10)
        if result.status != 200:
            raise RuntimeError(f"list {path}: HTTP {result.status}")
        return {item["metadata"]["name"]: item["metadata"]["resourceVersion"] for item in result.json()["items"]}

    async def open_watches(self) -> int:
        return (await self.api("GET", "/_kubesim/watches")).json()["total"]


class Run:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.rng = random.Random(args.seed)
        self.output = Path(args.output)
        self.output.mkdir(parents=True, exist_ok=True)
        self.workdir = Path(tempfile.mkdtemp(prefix="kubegale-chaos-"))
        self.cluster = Cluster(args.binary, self.workdir, random.Random(self.rng.random()))
        self.gateway: Managed | None = None
        self.admin_token = ""
        self.secret = ""
        self.stats: Counter = Counter()
        self.actions: Counter = Counter()
        self.faults: Counter = Counter()
        self.fault_errors: list[str] = []
        self.clients: list[ChaosClient] = []
        self.rss: list[tuple[float, int]] = []
        self.stopping = asyncio.Event()
        self.started = time.monotonic()
        self.results: dict = {}
        self.traces: dict = {}  # recent frames of the watches whose views did not match
        self.event_log: list = []  # (monotonic time, fault) for reading traces

    # ---- setup ----------------------------------------------------------------------------

    async def setup(self) -> None:
        await self.cluster.start()
        log(f"KubeSim at {self.cluster.url}")
        secret = secrets.token_hex(32)
        self.gateway = Managed("gateway", [
            self.args.binary, "serve", "--host", "127.0.0.1", "--port", "0", "--no-demo",
            "--data-dir", str(self.workdir / "data"), "--jwt-secret", secret,
            "--resume-window", str(RESUME_WINDOW), "--watch-idle-timeout", "3", "--watch-linger", str(WATCH_LINGER),
            "--no-console", "--log-level", "warning", "--allow-kubeconfig-insecure",
        ], self.workdir / "gateway.log", "KubeGale Realtime listening on")
        await self.gateway.start()
        log(f"gateway at {self.gateway.url} (pid {self.gateway.pid})")
        token = await asyncio.create_subprocess_exec(
            self.args.binary, "token", "--jwt-secret", secret, "--subject", "chaos", "--role", "admin",
            "--clusters", "*", "--ttl", "2h", stdout=asyncio.subprocess.PIPE)
        out, _ = await token.communicate()
        self.admin_token = out.decode().strip()
        self.secret = secret
        result = await http("POST", self.gateway.url + "/api/v1/kubernetes/clusters", self.admin_token,
                            {"name": "chaos-sim", "kubeconfig": self.cluster.kubeconfig.read_text()})
        envelope = result.json()
        if envelope.get("code") != 0:
            raise RuntimeError(f"registering the cluster: {envelope}")
        self.cluster_id = str(envelope["data"]["id"])
        await self.cluster.seed()
        log(f"cluster {self.cluster_id} registered, namespace {NAMESPACE} seeded with {INITIAL_CONFIGMAPS} ConfigMaps")

    # ---- background activity --------------------------------------------------------------

    async def sample_rss(self) -> None:
        while True:
            value = rss_kib(self.gateway.pid)
            if value is not None:
                self.rss.append((time.monotonic() - self.started, value))
            await asyncio.sleep(3)

    async def mutator(self) -> None:
        while not self.stopping.is_set():
            try:
                await self.cluster.mutate_once()
            except OSError:
                self.cluster.stats["mutation_unanswered"] += 1  # the sim is hung or restarting
            await asyncio.sleep(1 / MUTATIONS_PER_SECOND)

    async def fault_injector(self) -> None:
        cycle = self.args.faults
        await asyncio.sleep(WARMUP)
        step = 0
        while not self.stopping.is_set():
            name = cycle[step % len(cycle)]
            step += 1
            log(f"fault: {name}")
            self.event_log.append((round(time.monotonic(), 2), name))
            try:
                await self.apply_fault(name)
                self.faults[name] += 1
            except Exception as error:  # a fault that could not be applied is reported, not fatal
                self.fault_errors.append(f"{name}: {error!r}")
            try:
                await asyncio.wait_for(self.stopping.wait(), FAULT_INTERVAL)
            except asyncio.TimeoutError:
                pass

    async def apply_fault(self, name: str) -> None:
        c = self.cluster
        if name == "drop-watches":
            await c.fault("drop-watches")
        elif name == "expire+compact":
            await c.fault("expire-watches?count=3")
            await c.fault("compact")
            await c.fault("drop-watches")
        elif name.startswith("fail-"):
            # The failures go to whoever asks next: drop the watches first so that the gateway's
            # reconnecting watches meet them, and keep the mutator out for a moment.
            async with c.lock:
                await c.fault("drop-watches")
                await c.fault(f"fail?count=5&code={name[5:]}")
                await asyncio.sleep(2)
        elif name == "hang":
            c.sim.signal(signal.SIGSTOP)
            try:
                await asyncio.sleep(6)
            finally:
                c.sim.signal(signal.SIGCONT)
        elif name == "restart":
            await c.restart()

    async def drive(self, client: ChaosClient) -> None:
        """One client's random actions until the run stops."""
        rng = client.rng
        await asyncio.sleep(rng.uniform(0, 3))
        while not self.stopping.is_set():
            try:
                if not client.connected:
                    self.actions["reconnect_after_close"] += 1
                    await client.abort()
                    await client.reconnect("resume")
                roll = rng.random()
                if roll < 0.30 and len(client.watches) < 3:
                    self.actions["subscribe"] += 1
                    await client.subscribe()
                elif roll < 0.45:
                    self.actions["unsubscribe"] += 1
                    await client.unsubscribe()
                elif roll < 0.65:
                    self.actions["drop_and_resume"] += 1
                    await client.abort()
                    await asyncio.sleep(rng.uniform(0, 2))
                    await client.reconnect("resume")
                elif roll < 0.72:
                    self.actions["drop_unknown_session"] += 1
                    await client.abort()
                    await client.reconnect("unknown")
                elif roll < 0.735 and time.monotonic() - self.started < self.args.duration - RESUME_WINDOW - 10:
                    self.actions["drop_past_resume_window"] += 1
                    await client.abort()
                    await asyncio.sleep(RESUME_WINDOW + rng.uniform(2, 5))
                    await client.reconnect("expired")
            except Exception as error:  # refused connections, timeouts: note them, start over
                client.notes[f"action failed: {type(error).__name__}"] += 1
                self.stats["action_failures"] += 1
                await client.abort()
                await asyncio.sleep(rng.uniform(0.5, 2))
                continue
            await asyncio.sleep(rng.uniform(0.5, 3.5))

    async def settle(self, client: ChaosClient, deadline: float) -> None:
        """Back on a socket with every watch subscribed, for the final check."""
        while time.monotonic() < deadline:
            try:
                if not client.connected:
                    await client.abort()
                    await client.reconnect("resume")
                for watch in [w for w in client.watches if w.channel is None]:
                    client.watches.remove(watch)
                if not client.watches:
                    await client.subscribe()
                return
            except Exception as error:
                client.notes[f"settle failed: {type(error).__name__}"] += 1
                await client.abort()
                await asyncio.sleep(1)

    # ---- checks ---------------------------------------------------------------------------

    async def compare_views(self) -> list[str]:
        truth = {sel: await self.cluster.listing(sel) for sel in SELECTORS}
        mismatches = []
        for client in self.clients:
            if not client.connected:
                mismatches.append(f"client {client.index}: not connected")
                continue
            for watch in client.watches:
                if watch.channel is None or watch.snapshot is not None or not watch.synced:
                    mismatches.append(f"client {client.index}: watch {watch.selector!r} not synced")
                    continue
                view = {n: rv for n, (_, rv) in watch.view.items()}
                expected = truth[watch.selector]
                if view != expected:
                    missing = sorted(set(expected) - set(view))
                    extra = sorted(set(view) - set(expected))
                    stale = sorted(n for n in set(view) & set(expected) if view[n] != expected[n])
                    self.traces[f"client {client.index} ch {watch.channel}"] = list(watch.trace)
                    mismatches.append(
                        f"client {client.index} ch {watch.channel} sel {watch.selector!r} ({watch.origin}): missing {missing[:5]} "
                        f"extra {extra[:5]} stale {[(n, view[n], expected[n]) for n in stale[:5]]}")
        return mismatches

    async def metrics(self) -> dict[str, float]:
        result = await http("GET", self.gateway.url + "/metrics", self.admin_token)
        return parse_metrics(result.body.decode())

    def rss_report(self) -> dict:
        if not self.rss:
            return {}
        values = [v for _, v in self.rss]
        warm = [(t, v) for t, v in self.rss if t >= min(60.0, self.args.duration * 0.25)]
        slope = None
        if len(warm) >= 3:
            mean_t = sum(t for t, _ in warm) / len(warm)
            mean_v = sum(v for _, v in warm) / len(warm)
            var = sum((t - mean_t) ** 2 for t, _ in warm)
            slope = sum((t - mean_t) * (v - mean_v) for t, v in warm) / var * 60 if var else 0.0
        return {"samples": len(values), "first_kib": values[0], "last_kib": values[-1], "max_kib": max(values),
                "slope_kib_per_min_after_warmup": None if slope is None else round(slope, 1),
                "series_s_kib": [(round(t), v) for t, v in self.rss[::max(1, len(self.rss) // 200)]]}

    # ---- the run --------------------------------------------------------------------------

    async def run(self) -> bool:
        await self.setup()
        sampler = asyncio.create_task(self.sample_rss())
        ws_url = self.gateway.url.replace("http://", "ws://") + "/ws"
        for i in range(self.args.clients):
            # One user per client, as in a team: the gateway bounds sockets and channels per user.
            client = ChaosClient(i, ws_url, mint_token(self.secret, f"chaos-{i}"), self.cluster_id, NAMESPACE,
                                 random.Random(self.rng.random()), self.stats, RESUME_WINDOW)
            self.clients.append(client)
        connect_deadline = time.monotonic() + 30
        await asyncio.gather(*(self.settle(c, connect_deadline) for c in self.clients))
        log(f"{len(self.clients)} clients connected and subscribed")

        background = [asyncio.create_task(self.mutator()), asyncio.create_task(self.fault_injector())]
        drivers = [asyncio.create_task(self.drive(c)) for c in self.clients]
        await asyncio.sleep(self.args.duration)
        log("stopping faults and mutations")
        self.event_log.append((round(time.monotonic(), 2), "stop"))
        self.stopping.set()
        await asyncio.gather(*background, return_exceptions=True)
        await asyncio.gather(*drivers, return_exceptions=True)
        async with self.cluster.lock:
            await self.cluster.fault("clear")

        # Quiet: every client on a socket with its watches, views equal to the cluster.
        quiet_deadline = time.monotonic() + 60
        await asyncio.gather(*(self.settle(c, quiet_deadline) for c in self.clients))
        mismatches: list[str] = []

        async def views_match():
            nonlocal mismatches
            mismatches = await self.compare_views()
            return not mismatches

        views_ok = await poll(views_match, quiet_deadline, 1.0)
        log(f"views {'match' if views_ok else 'DO NOT match'} the cluster")
        watch_count = sum(len(c.views()) for c in self.clients)
        problems = [f"client {c.index}: {p}" for c in self.clients for p in c.problems]

        # Leaks: everyone leaves; sockets, channels and upstream watches must go back to zero.
        await asyncio.gather(*(c.close() for c in self.clients))
        leak_deadline = time.monotonic() + RESUME_WINDOW + WATCH_LINGER + 25
        final_metrics: dict[str, float] = {}
        upstream = -1

        async def drained():
            nonlocal final_metrics, upstream
            final_metrics = await self.metrics()
            upstream = await self.cluster.open_watches()
            return (final_metrics.get("kubegale_websocket_connections") == 0
                    and final_metrics.get("kubegale_channels_open") == 0 and upstream == 0)

        no_leaks = await poll(drained, leak_deadline, 1.0)
        sampler.cancel()
        rss = self.rss_report()
        rss_ok = True
        if self.args.duration >= 600 and rss.get("slope_kib_per_min_after_warmup") is not None:
            rss_ok = rss["slope_kib_per_min_after_warmup"] <= self.args.rss_slope_limit

        checks = {
            "views_match_cluster": views_ok,
            "no_unannounced_gaps_or_duplicates": not problems,
            "no_leaks": no_leaks,
            "faults_applied": not self.fault_errors,
            "rss_flat": rss_ok,
        }
        self.results = {
            "duration_s": self.args.duration, "clients": self.args.clients, "seed": self.args.seed,
            "fault_cycle": self.args.faults,
            "elapsed_s": round(time.monotonic() - self.started, 1),
            "actions": dict(self.actions), "faults": dict(self.faults), "fault_errors": self.fault_errors,
            "mutations": dict(self.cluster.stats), "client_stats": dict(self.stats),
            "watches_checked": watch_count,
            "client_notes": dict(sum((c.notes for c in self.clients), Counter())),
            "checks": checks, "view_mismatches": mismatches[:30], "problems": problems[:50],
            "metrics_after_disconnect": {k: v for k, v in final_metrics.items() if not k.endswith("_bucket")},
            "upstream_watches_after_disconnect": upstream,
            "rss": rss, "workdir": str(self.workdir),
        }
        return all(checks.values())

    async def shutdown(self) -> None:
        for client in self.clients:
            try:
                await client.abort()
            except Exception:
                pass
        if self.gateway:
            await self.gateway.stop()
        if self.cluster.sim:
            await self.cluster.sim.stop()

    def kill_now(self) -> None:
        for proc in (self.gateway, self.cluster.sim):
            if proc:
                proc.kill_now()


def summarize(results: dict, ok: bool) -> str:
    r = results
    lines = [
        f"KubeGale chaos run: {'PASS' if ok else 'FAIL'} ({r.get('elapsed_s')} s, {r.get('clients')} clients, seed {r.get('seed')})",
        f"  actions:   {json.dumps(r.get('actions', {}), sort_keys=True)}",
        f"  faults:    {json.dumps(r.get('faults', {}), sort_keys=True)}" + (f" errors {r['fault_errors']}" if r.get("fault_errors") else ""),
        f"  mutations: {json.dumps(r.get('mutations', {}), sort_keys=True)}",
        f"  clients:   {json.dumps(r.get('client_stats', {}), sort_keys=True)}",
        f"  notes:     {json.dumps(r.get('client_notes', {}), sort_keys=True)}",
        f"  watches checked at the end: {r.get('watches_checked')}",
        f"  checks:    {json.dumps(r.get('checks', {}), sort_keys=True)}",
        f"  rss:       {json.dumps({k: v for k, v in r.get('rss', {}).items() if k != 'series_s_kib'}, sort_keys=True)}",
        f"  metrics after disconnect: {json.dumps(r.get('metrics_after_disconnect', {}), sort_keys=True)}",
        f"  upstream watches after disconnect: {r.get('upstream_watches_after_disconnect')}",
    ]
    for key, label in (("view_mismatches", "mismatch"), ("problems", "problem")):
        for item in r.get(key, [])[:15]:
            lines.append(f"  {label}: {item}")
    if r.get("error"):
        lines.append(f"  error: {r['error']}")
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> int:
    run = Run(args)
    ok = False
    task = asyncio.create_task(run.run())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        ok = await asyncio.wait_for(task, args.duration + 120)
    except asyncio.TimeoutError:
        run.results["error"] = f"hard deadline of {args.duration + 120} s passed"
    except asyncio.CancelledError:
        run.results["error"] = "interrupted"
    except Exception as error:
        run.results["error"] = repr(error)
    finally:
        try:
            await asyncio.wait_for(run.shutdown(), 20)
        except BaseException:
            run.kill_now()
    run.results.setdefault("checks", {})
    if run.traces:
        (run.output / "chaos-traces.json").write_text(json.dumps(
            {"faults": run.event_log, "watches": run.traces}, indent=1))
    run.results["passed"] = ok
    (run.output / "chaos-summary.json").write_text(json.dumps(run.results, indent=2, sort_keys=True))
    print(summarize(run.results, ok), flush=True)
    log(f"summary written to {run.output / 'chaos-summary.json'}; logs in {run.workdir}")
    return 0 if ok else 1


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=120, help="seconds of chaos (default 120)")
    parser.add_argument("--clients", type=int, default=200, help="concurrent clients (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--output", default=".test-output/chaos", help="directory for chaos-summary.json")
    parser.add_argument("--binary", default=".build/debug/kubegale", help="the kubegale executable")
    parser.add_argument("--faults", default=",".join(FAULTS), type=lambda text: [f for f in text.split(",") if f],
                        help=f"the fault cycle, comma-separated (default {','.join(FAULTS)})")
    parser.add_argument("--rss-slope-limit", type=float, default=512.0,
                        help="largest RSS growth after warm-up, KiB per minute, for runs of 600 s or more")
    args = parser.parse_args(argv)
    unknown = set(args.faults) - set(FAULTS)
    if unknown:
        parser.error(f"unknown faults {sorted(unknown)}; known: {FAULTS}")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args(sys.argv[1:]))))
