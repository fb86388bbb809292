"""Minimal reproduction: a watch resumed by resourceVersion (SPEC §12.3) after the cluster was
replaced by a new one must get `resync` and the new snapshot (§12.4); it does not when the old
version number happens to be valid in the new cluster.

    .venv/bin/python Tests/chaos/repro_restart_rv.py [--binary .build/debug/kubegale]

Exit status 0 when the gateway behaves as specified, 1 when the bug shows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

import random
import secrets
import tempfile
import time
from pathlib import Path

from websockets.asyncio.client import connect

from chaos import NAMESPACE, Cluster, log, poll
from procs import Managed, http


async def frames_until(ws, predicate, timeout=15.0):
    seen = []
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            seen.append(frame)
            if predicate(frame):
                return seen


async def main(binary: str) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="kubegale-repro-"))
    cluster = Cluster(binary, workdir, random.Random(7))
    secret = secrets.token_hex(32)
    gateway = Managed("gateway", [binary, "serve", "--host", "127.0.0.1", "--port", "0", "--no-demo",
                                  "--data-dir", str(workdir / "data"), "--jwt-secret", secret,
                                  "--watch-linger", "2", "--watch-idle-timeout", "3", "--no-console",
                                  "--allow-kubeconfig-insecure"],
                      workdir / "gateway.log", "KubeGale Realtime listening on")
    try:
        await cluster.start()
        await gateway.start()
        token_proc = await asyncio.create_subprocess_exec(
            binary, "token", "--jwt-secret", secret, "--subject", "repro", "--role", "admin",
            stdout=asyncio.subprocess.PIPE)
        token = (await token_proc.communicate())[0].decode().strip()
        reply = await http("POST", gateway.url + "/api/v1/kubernetes/clusters", token,
                           {"name": "sim", "kubeconfig": cluster.kubeconfig.read_text()})
        cluster_id = str(reply.json()["data"]["id"])
        await cluster.seed()
        base = f"/api/v1/namespaces/{NAMESPACE}/configmaps"
        for i in range(60):  # push cluster A's resourceVersion well above a fresh cluster's
            await cluster.api("PUT", f"{base}/cm-000", cluster.configmap("cm-000"))

        ws_url = gateway.url.replace("http://", "ws://") + "/ws"
        subscribe = {"type": "subscribe", "id": "w", "stream": "watch", "cluster": cluster_id,
                     "resource": "configmaps", "namespace": NAMESPACE}
        # A long-lived subscriber keeps the shared watch open, so the gateway sees the replacement.
        keeper = await connect(ws_url, subprotocols=["kubegale.v1", f"bearer.{token}"])
        await keeper.send(json.dumps(subscribe))
        snapshot = await frames_until(keeper, lambda f: f["type"] == "synced")
        view = {f["object"]["metadata"]["name"]: f["resourceVersion"] for f in snapshot if f["type"] == "event"}
        old_rv = snapshot[-1]["resourceVersion"]
        log(f"cluster A: snapshot resourceVersion {old_rv}")

        # Replace the cluster: a fresh KubeSim on the same port, then enough writes that
        # cluster B's resourceVersion passes old_rv.
        await cluster.restart()
        while int((await cluster.api("GET", base)).json()["metadata"]["resourceVersion"]) <= int(old_rv) + 5:
            await cluster.api("PUT", f"{base}/cm-001", cluster.configmap("cm-001"))
        truth = await cluster.listing(None)
        log(f"cluster B: resourceVersion now past {old_rv}; {len(truth)} ConfigMaps")

        # Wait until the long-lived subscriber's view equals cluster B (the gateway relisted, §12.4).
        async def keeper_matches():
            try:
                for frame in await frames_until(keeper, lambda f: True, 1):
                    if frame.get("type") == "event":
                        name = frame["object"]["metadata"]["name"]
                        if frame["event"] == "DELETED":
                            view.pop(name, None)
                        else:
                            view[name] = frame["resourceVersion"]
                    elif frame.get("type") == "status":
                        log(f"keeper: status {frame.get('state')} {frame.get('reason', '')}")
            except TimeoutError:
                pass
            return view == await cluster.listing(None)
        caught_up = await poll(keeper_matches, time.monotonic() + 40, 0)
        log(f"long-lived subscriber's view {'equals' if caught_up else 'does NOT equal'} cluster B")

        # A client that had the old snapshot resumes its watch from old_rv.
        client = await connect(ws_url, subprotocols=["kubegale.v1", f"bearer.{token}"])
        await client.send(json.dumps({**subscribe, "id": "r", "resourceVersion": old_rv}))
        frames = []
        try:
            async with asyncio.timeout(20):
                while not frames or frames[-1]["type"] != "synced":
                    frames.append(json.loads(await client.recv()))
        except TimeoutError:
            log(f"no synced within 20 s; frames: {frames}")
        kinds = [f["type"] if f["type"] != "event" else f"{f['event']} {f['object']['metadata']['name']} rv={f['resourceVersion']}"
                 for f in frames if f["type"] not in ("hello", "status")]
        log(f"resubscribe from {old_rv} got: {kinds[:12]}{' …' if len(kinds) > 12 else ''}")
        resynced = any(f["type"] == "resync" for f in frames)
        await keeper.close()
        await client.close()
        if resynced:
            log("OK: resync and the new snapshot")
            return 0
        log("BUG: no resync — the client keeps cluster A's objects and applies cluster B's changes on top")
        return 1
    finally:
        await gateway.stop()
        if cluster.sim:
            await cluster.sim.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/debug/kubegale")
    sys.exit(asyncio.run(main(parser.parse_args().binary)))
