#!/usr/bin/env python3
"""Prints the summary of a scripts/bench.sh run from its results.jsonl: fan-out figures of the
gateway next to each peer with ratios (median over repeated runs), and the other benchmarks'
figures next to the targets of shared/PERFORMANCE.md."""

import json
import statistics
import sys
from collections import defaultdict

PEERS = ["picows", "aiohttp", "websockets"]


def load(path):
    records = []
    with open(path) as handle:
        for line in handle:
            line = line.strip()
            if line:
                records.append(json.loads(line))
    return records


def median(values):
    values = [v for v in values if isinstance(v, (int, float))]
    return statistics.median(values) if values else None


def fmt_rate(value):
    if value is None:
        return "-"
    return f"{value / 1000:.1f}k" if value >= 1000 else f"{value:.0f}"


def fmt_ms(value):
    return "-" if value is None else f"{value:.2f}"


def fmt_ratio(a, b):
    return "-" if a is None or not b else f"{a / b:.2f}x"


def fanout(records):
    runs = defaultdict(lambda: defaultdict(list))
    for record in records:
        if not record.get("benchmark", "").startswith("fanout"):
            continue
        mode = "rate" if record.get("rate") else "throughput"
        key = (mode, record["sockets"], record["deflate"], record.get("rate") or 0)
        runs[key][record["server"]].append(record)
    if not runs:
        return
    servers = ["gateway"] + PEERS
    for mode in ("throughput", "rate"):
        keys = sorted(k for k in runs if k[0] == mode)
        if not keys:
            continue
        if mode == "throughput":
            print("Fan-out throughput: deliveries/s (median of runs; * = incomplete or not compressed),")
            print("then server CPU µs per delivery (process CPU; robust when other work shares the cores)")
            header = f"{'N':>6} {'deflate':>7} " + " ".join(f"{s:>11}" for s in servers)
            print(header + f" {'gw/best peer':>13} {'gw/picows':>10}   " + " ".join(f"{s + ' µs':>13}" for s in servers)
                  + f" {'CPU eff. gw/best':>17}")
        else:
            print()
            print("Fan-out latency at a fixed rate: p50 / p99 ms from the write to each client")
            print(f"{'N':>6} {'deflate':>7} {'deliv/s':>8} " + " ".join(f"{s:>15}" for s in servers))
        for key in keys:
            _, sockets, deflate, rate = key
            cells, values = [], {}
            for server in servers:
                recs = runs[key].get(server, [])
                if not recs:
                    cells.append("-")
                    continue
                flag = "" if all(r.get("complete") for r in recs) and (not deflate or all(r.get("compressed") for r in recs)) else "*"
                if mode == "throughput":
                    value = median([r["deliveries_per_s"] for r in recs])
                    values[server] = value
                    cells.append(fmt_rate(value) + flag)
                else:
                    p50 = median([r["latency"]["p50_ms"] for r in recs])
                    p99 = median([r["latency"]["p99_ms"] for r in recs])
                    values[server] = p99
                    cells.append(f"{fmt_ms(p50)}/{fmt_ms(p99)}{flag}")
            if mode == "throughput":
                peers = [values[p] for p in PEERS if values.get(p)]
                best = max(peers) if peers else None
                cpus = {s: median([r.get("server_cpu_us_per_delivery") for r in runs[key].get(s, [])]) for s in servers}
                peer_cpus = [cpus[p] for p in PEERS if cpus.get(p)]
                best_cpu = min(peer_cpus) if peer_cpus else None
                print(
                    f"{sockets:>6} {'yes' if deflate else 'no':>7} "
                    + " ".join(f"{c:>11}" for c in cells)
                    + f" {fmt_ratio(values.get('gateway'), best):>13} {fmt_ratio(values.get('gateway'), values.get('picows')):>10}   "
                    + " ".join(f"{('-' if cpus[s] is None else f'{cpus[s]:.1f}'):>13}" for s in servers)
                    + f" {fmt_ratio(best_cpu, cpus.get('gateway')):>17}"
                )
            else:
                print(f"{sockets:>6} {'yes' if deflate else 'no':>7} {rate * sockets:>8.0f} " + " ".join(f"{c:>15}" for c in cells))
    print()
    print("CPU eff. gw/best = best peer's µs per delivery / gateway's (above 1: the gateway needs less CPU per delivery).")
    print("Targets (shared/PERFORMANCE.md): N=1000 gateway >= 2x picows without deflate, >= 5x the best peer with;")
    print("p99 <= 10 ms at 10k deliveries/s, N=1000, with or without deflate.")


def others(records):
    for record in records:
        name = record.get("benchmark", "")
        if name.startswith("idle-memory"):
            subscribed = record.get("subscribed_kib_per_socket")
            print(
                f"\nMemory per socket, {record.get('server', 'gateway')} {record['mode']} (N={record['sockets']}, "
                f"compressed={record['compressed']}): idle {record['idle_kib_per_socket']:.1f} KiB, "
                + (f"subscribed {subscribed:.1f} KiB, " if subscribed is not None else "")
                + f"after one event {record['after_event_kib_per_socket']:.1f} KiB"
                + ("  (gateway target with deflate: <= 16 KiB idle, <= 32 KiB after traffic)"
                   if record["mode"] == "deflate" and record.get("server", "gateway") == "gateway" else "")
            )
        elif name == "terminal-rtt":
            g, d = record["gateway"], record["direct"]
            print(
                f"\nTerminal keystroke round trip: gateway p50 {fmt_ms(g['p50_ms'])} p99 {fmt_ms(g['p99_ms'])} ms; "
                f"straight to KubeSim p50 {fmt_ms(d['p50_ms'])} p99 {fmt_ms(d['p99_ms'])} ms  (target p99 <= 2 ms)"
            )
        elif name == "log-throughput":
            parts = []
            for key, label in (("direct", "KubeSim"), ("http", "gateway HTTP"), ("channel", "gateway /ws")):
                lines = record.get(f"{key}_lines_per_s")
                mb = record.get(f"{key}_mb_per_s")
                note = record.get(f"{key}_note")
                parts.append(f"{label} " + (f"{lines:.0f} lines/s {mb:.2f} MB/s" if lines else (note or "-")))
            print("\nLog follow, one pod: " + "; ".join(parts))
        elif name.startswith("reconnect storm"):
            resumed, caught = record["resumed_latency"], record["caught_up_latency"]
            print(
                f"\nReconnect storm ({record['sockets']} sockets, deflate={record['deflate']}, {record['missed']} missed "
                f"events each): resumed {record['resumed']}/{record['sockets']}, time to resumed hello "
                f"p50 {fmt_ms(resumed['p50_ms'])} p99 {fmt_ms(resumed['p99_ms'])} max {fmt_ms(resumed['max_ms'])} ms; "
                f"all missed events by {fmt_ms(caught['max_ms'])} ms; lost {record['events_lost']}, doubled "
                f"{record['events_doubled']}  (target: all resumed within 5 s, 0 lost)"
            )
        elif name.startswith("list-paging"):
            def lat(k):
                return f"p50 {fmt_ms(record[k]['p50_ms'])} p99 {fmt_ms(record[k]['p99_ms'])}"

            print(
                f"\nList paging ({record['pods']} pods, cacheLists={record['cache_lists']}): cold first page {lat('cold_first_page')}; "
                f"warm first page {lat('warm_first_page')}; later pages {lat('later_pages')}; "
                f"ws subscribe→synced {lat('ws_snapshot')} ms  (target snapshot p99 <= 50 ms)"
            )


def main():
    records = load(sys.argv[1] if len(sys.argv) > 1 else ".bench-output/results.jsonl")
    fanout(records)
    others(records)


if __name__ == "__main__":
    main()
