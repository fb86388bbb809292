"""One chaos client: a socket, its watch views kept as SPEC §14 says, and the problems it saw."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field

import websockets
from websockets.asyncio.client import connect

SELECTORS = [None, None, "tier=a", "tier in (a,b)", "group!=x"]
DUPLICATE_MEMORY = 20000  # (uid, resourceVersion, type) keys remembered per watch


@dataclass
class Watch:
    """One watch subscription of configmaps in the namespace, possibly across several channels."""

    selector: str | None
    channel: int | None = None
    view: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (uid, resourceVersion)
    snapshot: dict[str, tuple[str, str]] | None = None  # collected until `synced` (initial or resync)
    last_seq: int | None = None
    last_rv: str | None = None
    gap_allowed: bool = True  # the next event may jump (channel start or after `resync`)
    synced: bool = False
    seen: OrderedDict = field(default_factory=OrderedDict)
    origin: str = ""  # how the current channel started, for problem reports
    trace: deque = field(default_factory=lambda: deque(maxlen=300))  # recent frames, for reports

    def target(self) -> dict[str, tuple[str, str]]:
        return self.snapshot if self.snapshot is not None else self.view


class ChaosClient:
    def __init__(self, index: int, url: str, token: str, cluster: str, namespace: str, rng: random.Random, stats: Counter,
                 resume_window: float):
        self.index = index
        self.url = url
        self.token = token
        self.cluster = cluster
        self.namespace = namespace
        self.rng = rng
        self.stats = stats  # shared run-wide counters
        self.problems: list[str] = []
        self.notes: Counter = Counter()
        self.ws = None
        self.reader: asyncio.Task | None = None
        self.session: str | None = None
        self.watches: list[Watch] = []
        self.by_channel: dict[int, Watch] = {}
        self.pending: dict[str, tuple[Watch, asyncio.Future]] = {}
        self.hellos: asyncio.Queue = asyncio.Queue()
        self.dropped_at = time.monotonic()
        self.resume_window = resume_window

    # ---- problems -------------------------------------------------------------------------

    def problem(self, text: str) -> None:
        self.stats["problems"] += 1
        if len(self.problems) < 50:
            self.problems.append(text)

    # ---- connection -----------------------------------------------------------------------

    async def _open(self, first_frame: dict | None = None) -> dict:
        """Connects, sends `first_frame` at once, returns the socket's own server hello."""
        self.ws = await connect(
            self.url,
            subprotocols=["kubegale.v1", f"bearer.{self.token}"],
            open_timeout=10,
            max_size=8 * 1024 * 1024,
            max_queue=None,
        )
        self.hellos = asyncio.Queue()
        if first_frame is not None:
            await self.ws.send(json.dumps(first_frame))
        self.reader = asyncio.create_task(self._read(self.ws))
        return await asyncio.wait_for(self.hellos.get(), 10)

    async def connect(self) -> None:
        hello = await self._open()
        self.session = hello["session"]

    async def close(self) -> None:
        """Normal closure (1000)."""
        ws, self.ws = self.ws, None
        if ws is not None:
            try:
                await asyncio.wait_for(ws.close(), 5)
            except Exception:
                ws.transport.abort()
        await self._stop_reader()

    async def abort(self) -> None:
        """Closes the TCP connection without a close frame."""
        ws, self.ws = self.ws, None
        if ws is not None:
            ws.transport.abort()
            self.dropped_at = time.monotonic()
        await self._stop_reader()
        self._fail_pending()

    async def _stop_reader(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            try:
                await self.reader
            except BaseException:
                pass
            self.reader = None

    def _fail_pending(self) -> None:
        for _, future in self.pending.values():
            if not future.done():
                future.set_result(None)
        self.pending.clear()

    @property
    def connected(self) -> bool:
        return self.ws is not None and self.reader is not None and not self.reader.done()

    async def reconnect(self, mode: str) -> None:
        """After a drop: `resume` the session, or present an `unknown` session (as after the resume
        window expired), or `expired` when the caller already waited past the window."""
        if self.session is None:  # never connected: nothing to resume
            await self.connect()
            return
        kept = {w.channel: w for w in self.watches if w.channel is not None}
        asked = self.session if mode == "resume" or mode == "expired" else uuid.uuid4().hex
        frame = {"type": "hello", "session": asked, "lastSeq": {str(ch): (w.last_seq or 0) for ch, w in kept.items()}}
        own = await self._open(frame)
        answer = await asyncio.wait_for(self.hellos.get(), 10)
        for w in self.watches:
            w.trace.append((round(time.monotonic(), 2), "RECONNECT", mode, asked, answer["session"]))
        if answer["session"] == asked:
            self.stats["resumes"] += 1
            self.session = asked
            return
        if mode == "resume":
            self.stats["resume_refused"] += 1
            offline = time.monotonic() - self.dropped_at
            if offline < self.resume_window - 2:
                self.problem(f"resume of session {asked} refused after {offline:.1f} s offline")
        else:
            self.stats["resume_fallbacks"] += 1
        if answer["session"] != own["session"]:
            self.problem(f"resume answer names session {answer['session']}, neither asked nor own")
        self.session = answer["session"]
        # The old channels are gone: subscribe again from each watch's last resourceVersion (§12.3).
        self.by_channel.clear()
        for watch in kept.values():
            watch.channel = None
        for watch in list(self.watches):
            if watch.channel is None:
                await self._subscribe(watch, resume_rv=True)

    # ---- subscriptions --------------------------------------------------------------------

    async def subscribe(self) -> None:
        watch = Watch(selector=self.rng.choice(SELECTORS))
        self.watches.append(watch)
        await self._subscribe(watch, resume_rv=False)

    async def _subscribe(self, watch: Watch, resume_rv: bool) -> None:
        frame = {"type": "subscribe", "id": uuid.uuid4().hex[:12], "stream": "watch", "cluster": self.cluster,
                 "resource": "configmaps", "namespace": self.namespace}
        if watch.selector:
            frame["labelSelector"] = watch.selector
        # Only a complete view can be resumed by version; a half-received snapshot starts over.
        if resume_rv and watch.last_rv and watch.synced and watch.snapshot is None:
            frame["resourceVersion"] = watch.last_rv
            watch.origin = f"resubscribed from rv {watch.last_rv}"
            self.stats["rv_resubscribes"] += 1
            watch.snapshot = None  # later changes apply to the view we have
        else:
            watch.origin = "subscribed"
            watch.view = {}
            watch.snapshot = {}
            watch.seen.clear()
        watch.last_seq = None
        watch.gap_allowed = True
        watch.synced = False
        future = asyncio.get_running_loop().create_future()
        self.pending[frame["id"]] = (watch, future)
        await self.ws.send(json.dumps(frame))
        watch.trace.append((round(time.monotonic(), 2), "SUBSCRIBE", frame.get("resourceVersion")))
        self.stats["subscribes"] += 1
        channel = await asyncio.wait_for(future, 15)
        if channel is None:  # refused (e.g. 1006 while the cluster is down) or socket lost
            if watch in self.watches:
                self.watches.remove(watch)

    async def unsubscribe(self) -> None:
        candidates = [w for w in self.watches if w.channel is not None]
        if not candidates:
            return
        watch = self.rng.choice(candidates)
        self.watches.remove(watch)
        self.by_channel.pop(watch.channel, None)
        await self.ws.send(json.dumps({"type": "unsubscribe", "channel": watch.channel}))
        self.stats["unsubscribes"] += 1

    # ---- frames ---------------------------------------------------------------------------

    async def _read(self, ws) -> None:
        try:
            async for message in ws:
                if isinstance(message, bytes):
                    self.problem("unexpected binary frame")
                    continue
                self._handle(json.loads(message))
        except websockets.ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
            if code not in (None, 1000):
                self.notes[f"closed {code}"] += 1
        finally:
            self._fail_pending()

    def _handle(self, frame: dict) -> None:
        kind = frame.get("type")
        watch = self.by_channel.get(frame.get("channel")) if "channel" in frame else None
        if watch is not None:
            meta = (frame.get("object") or {}).get("metadata") or {}
            watch.trace.append((round(time.monotonic(), 2), kind, frame.get("seq"), frame.get("event"),
                                meta.get("name"), frame.get("resourceVersion"), frame.get("reason")))
        elif kind in ("hello", "status"):
            for w in self.watches:
                w.trace.append((round(time.monotonic(), 2), kind, frame.get("session"), frame.get("state"), frame.get("reason")))
        if kind == "hello":
            self.hellos.put_nowait(frame)
        elif kind == "subscribed":
            entry = self.pending.pop(frame.get("id"), None)
            if entry:
                watch, future = entry
                watch.channel = frame["channel"]
                self.by_channel[watch.channel] = watch
                if not future.done():
                    future.set_result(watch.channel)
        elif kind == "error":
            self.notes[f"error {frame.get('code')}"] += 1
            entry = self.pending.pop(frame.get("id"), None)
            if entry and not entry[1].done():
                self.stats["subscribe_refused"] += 1
                entry[1].set_result(None)
        elif kind == "event":
            self._event(frame)
        elif kind == "synced":
            self._synced(frame)
        elif kind == "resync":
            watch = self.by_channel.get(frame.get("channel"))
            if watch:
                self.stats["resyncs"] += 1
                watch.snapshot = {}
                watch.origin += f", resync at seq {watch.last_seq}"
                watch.gap_allowed = True
                watch.seen.clear()
        elif kind == "status":
            self.stats[f"status_{frame.get('state')}"] += 1
        elif kind == "unsubscribed":
            watch = self.by_channel.pop(frame.get("channel"), None)
            if watch:  # closed by the gateway while we hold it
                self.problem(f"channel {frame.get('channel')} closed by the gateway: {frame.get('reason')}")
                watch.channel = None
                if watch in self.watches:
                    self.watches.remove(watch)
        elif kind == "pong":
            pass
        else:
            self.notes[f"frame {kind}"] += 1

    def _is_new(self, watch: Watch, seq: int) -> bool:
        """False for an event already applied (replayed after a resume); records unannounced gaps."""
        if watch.last_seq is not None and seq <= watch.last_seq:
            self.stats["replayed_dropped"] += 1
            return False
        if not watch.gap_allowed and seq != (watch.last_seq or 0) + 1:
            self.problem(f"channel {watch.channel} ({watch.origin}): seq {seq} after {watch.last_seq} without resync")
        watch.gap_allowed = False
        watch.last_seq = seq
        return True

    def _event(self, frame: dict) -> None:
        watch = self.by_channel.get(frame.get("channel"))
        if watch is None:
            return
        if not self._is_new(watch, frame["seq"]):
            return
        self.stats["events"] += 1
        kind = frame.get("event")
        meta = (frame.get("object") or {}).get("metadata") or {}
        name, uid = meta.get("name"), meta.get("uid")
        rv = frame.get("resourceVersion") or meta.get("resourceVersion")
        watch.last_rv = rv
        key = (uid, rv, kind)
        if watch.snapshot is None or watch.synced:
            if key in watch.seen:
                self.problem(f"channel {watch.channel} ({watch.origin}, seq {frame['seq']}): "
                             f"duplicate {kind} {name} uid={uid} rv={rv}")
            watch.seen[key] = True
            if len(watch.seen) > DUPLICATE_MEMORY:
                watch.seen.popitem(last=False)
        target = watch.target()
        if kind in ("ADDED", "MODIFIED"):
            target[name] = (uid, rv)
        elif kind == "DELETED":
            target.pop(name, None)  # an unknown object being deleted is fine
        else:
            self.notes[f"event {kind}"] += 1

    def _synced(self, frame: dict) -> None:
        watch = self.by_channel.get(frame.get("channel"))
        if watch is None:
            return
        seq = frame.get("seq", 0)
        if watch.last_seq is None or seq > watch.last_seq:
            if watch.last_seq is not None and seq != watch.last_seq and not watch.gap_allowed:
                self.problem(f"channel {watch.channel}: synced seq {seq} after {watch.last_seq}")
            watch.last_seq = seq
        if frame.get("resourceVersion"):
            # The snapshot's version: its events come sorted by name, so the last one's is not it.
            watch.last_rv = frame["resourceVersion"]
        if watch.snapshot is not None:
            watch.view = watch.snapshot
            watch.snapshot = None
            # The snapshot's ADDED events are remembered as seen, so a replay of them is a duplicate.
            for name, (uid, rv) in watch.view.items():
                watch.seen[(uid, rv, "ADDED")] = True
        watch.synced = True
        watch.gap_allowed = False

    # ---- views ----------------------------------------------------------------------------

    def views(self) -> list[tuple[Watch, dict[str, str]]]:
        """The synced watch views as name -> resourceVersion."""
        return [(w, {n: rv for n, (_, rv) in w.view.items()}) for w in self.watches
                if w.channel is not None and w.snapshot is None and w.synced]
