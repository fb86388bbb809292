#!/usr/bin/env python3
"""Prints the summary of a scripts/bench.sh run from its results.jsonl: fan-out figures of the
gateway next to each peer with ratios (median over repeated runs), each throughput with the
server's CPU µs per delivery, and the other benchmarks' figures next to the targets of
shared/PERFORMANCE.md.

With --history FILE (scripts/bench.sh passes .bench-output/history.jsonl, kept out of git) it
then compares every figure with the latest earlier run in FILE that measured it, and appends this
run to FILE: one line with the time, the commit, the load average and this run's records.

    summary.py RESULTS [--history FILE --commit REV [--dirty N] [--parts "fanout ..."]]
"""

import argparse
import datetime
import json
import statistics
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


def fmt_us(value):
    return "-" if value is None else f"{value:.1f}µs"


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
            print("Fan-out throughput: deliveries/s and the server process's CPU µs per delivery (median of runs;")
            print("* = incomplete or not compressed). CPU per delivery holds when other work shares the cores.")
            header = f"{'N':>6} {'deflate':>7} " + " ".join(f"{s:>16}" for s in servers)
            print(header + f" {'gw/best peer':>13} {'gw/picows':>10} {'CPU eff. gw/best':>17}")
        else:
            print()
            print("Fan-out latency at a fixed rate: p50 / p99 ms from the write to each client, server CPU µs per delivery")
            print(f"{'N':>6} {'deflate':>7} {'deliv/s':>8} " + " ".join(f"{s:>22}" for s in servers))
        for key in keys:
            _, sockets, deflate, rate = key
            cells, values = [], {}
            for server in servers:
                recs = runs[key].get(server, [])
                if not recs:
                    cells.append("-")
                    continue
                flag = "" if all(r.get("complete") for r in recs) and (not deflate or all(r.get("compressed") for r in recs)) else "*"
                cpu = median([r.get("server_cpu_us_per_delivery") for r in recs])
                if mode == "throughput":
                    value = median([r["deliveries_per_s"] for r in recs])
                    values[server] = value
                    cells.append(f"{fmt_rate(value)}{flag} {fmt_us(cpu)}")
                else:
                    p50 = median([r["latency"]["p50_ms"] for r in recs])
                    p99 = median([r["latency"]["p99_ms"] for r in recs])
                    values[server] = p99
                    cells.append(f"{fmt_ms(p50)}/{fmt_ms(p99)}{flag} {fmt_us(cpu)}")
            if mode == "throughput":
                peers = [values[p] for p in PEERS if values.get(p)]
                best = max(peers) if peers else None
                cpus = {s: median([r.get("server_cpu_us_per_delivery") for r in runs[key].get(s, [])]) for s in servers}
                peer_cpus = [cpus[p] for p in PEERS if cpus.get(p)]
                best_cpu = min(peer_cpus) if peer_cpus else None
                print(
                    f"{sockets:>6} {'yes' if deflate else 'no':>7} "
                    + " ".join(f"{c:>16}" for c in cells)
                    + f" {fmt_ratio(values.get('gateway'), best):>13} {fmt_ratio(values.get('gateway'), values.get('picows')):>10}"
                    + f" {fmt_ratio(best_cpu, cpus.get('gateway')):>17}"
                )
            else:
                print(f"{sockets:>6} {'yes' if deflate else 'no':>7} {rate * sockets:>8.0f} " + " ".join(f"{c:>22}" for c in cells))
    print()
    print("Server CPU is read from /proc of the server's own process (the gateway runs as `kubegale serve`).")
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
                f"\nTerminal keystroke round trip: gateway p50 {fmt_ms(g['p50_ms'])} p99 {fmt_ms(g['p99_ms'])} ms "
                f"({fmt_us(record.get('gateway_cpu_us_per_round_trip'))} gateway CPU each); "
                f"straight to KubeSim p50 {fmt_ms(d['p50_ms'])} p99 {fmt_ms(d['p99_ms'])} ms  (target p99 <= 2 ms)"
            )
        elif name == "log-throughput":
            parts = []
            for key, label in (("direct", "KubeSim"), ("http", "gateway HTTP"), ("channel", "gateway /ws"), ("batched", "gateway /ws batch")):
                lines = record.get(f"{key}_lines_per_s")
                mb = record.get(f"{key}_mb_per_s")
                note = record.get(f"{key}_note")
                cpu = record.get(f"{key}_gateway_cpu_us_per_line")
                parts.append(
                    f"{label} "
                    + (f"{lines:.0f} lines/s {mb:.2f} MB/s" if lines else (note or "-"))
                    + (f" {cpu:.2f}µs gateway CPU/line" if cpu is not None else "")
                )
            print("\nLog follow, one pod: " + "; ".join(parts))
        elif name.startswith("reconnect storm"):
            resumed, caught = record["resumed_latency"], record["caught_up_latency"]
            print(
                f"\nReconnect storm ({record['sockets']} sockets, deflate={record['deflate']}, {record['missed']} missed "
                f"events each): resumed {record['resumed']}/{record['sockets']}, time to resumed hello "
                f"p50 {fmt_ms(resumed['p50_ms'])} p99 {fmt_ms(resumed['p99_ms'])} max {fmt_ms(resumed['max_ms'])} ms; "
                f"all missed events by {fmt_ms(caught['max_ms'])} ms; lost {record['events_lost']}, doubled "
                f"{record['events_doubled']}; gateway CPU {fmt_us(record.get('gateway_cpu_us_per_resume'))} per resume"
                + (f", {record['gateway_cpu_ms']:.0f} ms in all" if "gateway_cpu_ms" in record else "")
                + (f" (clients' process {record['clients_cpu_ms']:.0f} ms)" if "clients_cpu_ms" in record else "")
                + "  (target: all resumed within 5 s, 0 lost)"
            )
        elif name.startswith("list-paging"):
            def lat(k):
                return f"p50 {fmt_ms(record[k]['p50_ms'])} p99 {fmt_ms(record[k]['p99_ms'])}"

            print(
                f"\nList paging ({record['pods']} pods, cacheLists={record['cache_lists']}): cold first page {lat('cold_first_page')}; "
                f"warm first page {lat('warm_first_page')}; later pages {lat('later_pages')}; "
                f"ws subscribe→synced {lat('ws_snapshot')} ms  (target snapshot p99 <= 50 ms)"
            )


def figures(records):
    """Every figure of a run by name: {name: (value, unit, "higher" or "lower" is better)}; medians
    over repeated runs."""
    samples = defaultdict(list)
    units = {}

    def add(name, value, unit, better):
        if isinstance(value, (int, float)) and value == value:  # not NaN
            samples[name].append(value)
            units[name] = (unit, better)

    for record in records:
        name = record.get("benchmark", "")
        if name.startswith("fanout"):
            key = f"fanout {record['server']} N={record['sockets']}{' deflate' if record['deflate'] else ''}"
            if record.get("rate"):
                key += f" @{record['rate'] * record['sockets']:.0f}/s"
                add(key + " p99", record["latency"].get("p99_ms"), "ms", "lower")
            else:
                add(key, record.get("deliveries_per_s"), "deliveries/s", "higher")
            add(key + " server CPU", record.get("server_cpu_us_per_delivery"), "µs/delivery", "lower")
        elif name.startswith("idle-memory"):
            key = f"memory {record.get('server', 'gateway')} {record['mode']}"
            add(key + " idle", record.get("idle_kib_per_socket"), "KiB/socket", "lower")
            add(key + " after event", record.get("after_event_kib_per_socket"), "KiB/socket", "lower")
        elif name == "terminal-rtt":
            add("terminal gateway p99", record["gateway"].get("p99_ms"), "ms", "lower")
            add("terminal gateway CPU", record.get("gateway_cpu_us_per_round_trip"), "µs/round trip", "lower")
        elif name == "log-throughput":
            for key in ("http", "channel", "batched"):
                add(f"logs {key}", record.get(f"{key}_lines_per_s"), "lines/s", "higher")
                add(f"logs {key} gateway CPU", record.get(f"{key}_gateway_cpu_us_per_line"), "µs/line", "lower")
        elif name.startswith("reconnect storm"):
            key = f"storm N={record['sockets']}"
            add(key + " resumed p50", record["resumed_latency"].get("p50_ms"), "ms", "lower")
            add(key + " resumed p99", record["resumed_latency"].get("p99_ms"), "ms", "lower")
            add(key + " resumed max", record["resumed_latency"].get("max_ms"), "ms", "lower")
            add(key + " lost", record.get("events_lost"), "events", "lower")
            add(key + " gateway CPU", record.get("gateway_cpu_us_per_resume"), "µs/resume", "lower")
        elif name.startswith("list-paging"):
            key = f"paging cache={record['cache_lists']}"
            add(key + " warm first page p99", record["warm_first_page"].get("p99_ms"), "ms", "lower")
            add(key + " snapshot p99", record["ws_snapshot"].get("p99_ms"), "ms", "lower")
    return {name: (statistics.median(values), *units[name]) for name, values in samples.items()}


def load_history(path):
    try:
        return load(path)
    except FileNotFoundError:
        return []


def compare(history, records):
    """Prints each figure of this run next to the same figure of the latest earlier run that has
    it (runs of other parts in between are skipped), grouped by that run."""
    print()
    if not history:
        print("Against the previous run: none in the history yet.")
        return
    now = figures(records)
    earlier = [figures(entry.get("records", [])) for entry in history]
    groups = defaultdict(list)
    for name in now:
        for index in range(len(history) - 1, -1, -1):
            if name in earlier[index]:
                groups[index].append(name)
                break
    if not groups:
        print("Against the previous runs: no figure in common with any run in the history.")
    for index in sorted(groups, reverse=True):
        entry, names = history[index], groups[index]
        print(
            f"Against the run of {entry.get('time', '?')} (commit {entry.get('commit', '?')}, "
            f"{entry.get('dirty', 0)} uncommitted, load {entry.get('load', '?')}): before -> now, now/before, "
            "! where more than 10% worse"
        )
        width = max(len(n) for n in names)
        for name in names:
            value, unit, better = now[name]
            old = earlier[index][name][0]
            ratio = value / old if old else None
            worse = ratio is not None and (ratio > 1.1 if better == "lower" else ratio < 1 / 1.1)
            print(
                f"  {name:<{width}}  {old:>11.2f} -> {value:>11.2f} {unit:<14} "
                + (f"{ratio:.2f}x" if ratio is not None else f"{value - old:+.2f}")
                + (" !" if worse else "")
            )
    new = sorted(name for name in now if not any(name in figures_of for figures_of in earlier))
    if new:
        print(f"  first time measured: {', '.join(new)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", default=".bench-output/results.jsonl")
    parser.add_argument("--history", help="JSONL history of runs: compared with, then appended to")
    parser.add_argument("--commit", default="unknown")
    parser.add_argument("--dirty", type=int, default=0, help="uncommitted changes in the tree")
    parser.add_argument("--parts", default="")
    arguments = parser.parse_args()
    records = load(arguments.results)
    fanout(records)
    others(records)
    if not arguments.history:
        return
    history = load_history(arguments.history)
    compare(history, records)
    with open("/proc/loadavg") as handle:
        load_average = " ".join(handle.read().split()[:3])
    entry = {
        "time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": arguments.commit,
        "dirty": arguments.dirty,
        "parts": arguments.parts.split(),
        "load": load_average,
        "records": records,
    }
    with open(arguments.history, "a") as handle:
        handle.write(json.dumps(entry, separators=(",", ":")) + "\n")
    print(f"\nThis run was appended to {arguments.history} ({len(history) + 1} runs).")


if __name__ == "__main__":
    main()
