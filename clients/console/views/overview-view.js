// The cluster at a glance: nodes, pods, CPU and memory now, and CPU and memory over time —
// the gateway's sampled history (GET /metrics/stats) continued by the live `metrics` stream.

import { h, setText } from "../core/dom.js";
import { bytes, cores, percent } from "../core/format.js";
import { describeError } from "./confirm-dialog.js";
import { LineChart, niceBytesCeiling } from "./line-chart.js";

const RANGES = { "15m": 15 * 60_000, "1h": 3_600_000, "6h": 6 * 3_600_000 };
const LIVE_INTERVAL_SECONDS = 5;

export class OverviewView {
  constructor({ client, clusterId, clusterName }) {
    this.client = client;
    this.clusterId = clusterId;
    this.range = h("select", { id: "metrics-range", "aria-label": "Time range" },
      Object.keys(RANGES).map((key) => h("option", { value: key, text: `Last ${key}`, selected: key === "1h" })));
    this.status = h("span", { class: "stream-status", id: "metrics-status" });

    this.cards = {
      nodes: card("nodes", "Nodes"),
      pods: card("pods", "Pods"),
      cpu: card("cpu", "CPU usage", true),
      memory: card("memory", "Memory usage", true),
    };
    this.cpuChart = new LineChart({
      id: "cpu-chart", seriesClass: "cpu", label: "CPU usage over time", formatValue: axisCores,
    });
    this.memoryChart = new LineChart({
      id: "memory-chart", seriesClass: "memory", label: "Memory usage over time", formatValue: axisBytes,
      round: niceBytesCeiling,
    });

    this.element = h("div", { id: "overview" },
      h("div", { class: "view-header" },
        h("h1", { text: clusterName }), h("span", { class: "muted", text: "Overview" }), this.status,
        h("span", { class: "spacer" }), this.range),
      h("div", { class: "cards" }, Object.values(this.cards).map((c) => c.element)),
      h("div", { class: "charts" },
        panel("CPU usage", this.cpuChart.element),
        panel("Memory usage", this.memoryChart.element)));

    this.range.addEventListener("change", () => this.loadHistory());
    this.loadHistory();
    this.stream = client.metrics({ cluster: clusterId, scope: "cluster", interval: LIVE_INTERVAL_SECONDS });
    this.stream.on("sample", ({ time, sample }) => this.addSample(time, sample));
    this.stream.on("error", (error) => setText(this.status, describeError(error)));
    this.stream.on("status", ({ status, reason }) => setText(this.status, status === "connected" ? "" : `${status}${reason ? `: ${reason}` : ""}`));
  }

  async loadHistory() {
    const range = this.range.value;
    try {
      const { data } = await this.client.request("GET", "/metrics/stats", undefined, {
        query: { cluster_id: this.clusterId, time_range: range },
      });
      const samples = data.samples ?? [];
      if (samples.length) this.showNow(samples[samples.length - 1]);
      this.cpuChart.setPoints(samples.map((s) => ({ time: Date.parse(s.timestamp), value: s.cpu?.usage_millicores })));
      this.memoryChart.setPoints(samples.map((s) => ({ time: Date.parse(s.timestamp), value: s.memory?.usage_bytes })));
    } catch (error) {
      setText(this.status, describeError(error));
    }
  }

  addSample(time, sample) {
    this.showNow(sample);
    const at = Date.parse(time ?? sample.timestamp);
    const windowMs = RANGES[this.range.value];
    this.cpuChart.addPoint({ time: at, value: sample.cpu?.usage_millicores }, windowMs);
    this.memoryChart.addPoint({ time: at, value: sample.memory?.usage_bytes }, windowMs);
  }

  /** The cards show the latest sample. */
  showNow(sample) {
    const phases = sample.pods?.by_phase ?? {};
    this.cards.nodes.set(`${sample.nodes?.ready ?? 0}/${sample.nodes?.total ?? 0}`, "ready");
    this.cards.pods.set(String(sample.pods?.total ?? 0), Object.entries(phases).map(([phase, count]) => `${count} ${phase}`).join(" · "));
    const cpu = sample.cpu ?? {};
    const memory = sample.memory ?? {};
    if (sample.metrics_available === false) {
      this.cards.cpu.set("–", "no metrics-server in this cluster");
      this.cards.memory.set("–", "no metrics-server in this cluster");
      return;
    }
    this.cards.cpu.set(percent(cpu.usage_percent), `${cores(cpu.usage_millicores)} of ${cores(cpu.allocatable_millicores)}`, cpu.usage_percent);
    this.cards.memory.set(percent(memory.usage_percent), `${bytes(memory.usage_bytes)} of ${bytes(memory.allocatable_bytes)}`, memory.usage_percent);
  }

  dispose() {
    this.stream.close();
  }
}

function card(id, label, withMeter = false) {
  const value = h("div", { class: "value", id: `card-${id}`, text: "…" });
  const sub = h("div", { class: "sub" });
  const fill = h("span", { style: { width: "0%" } });
  const element = h("div", { class: "card" }, h("div", { class: "label", text: label }), value, sub,
    withMeter ? h("div", { class: "meter" }, fill) : null);
  return {
    element,
    set(text, detail, fraction) {
      setText(value, text);
      setText(sub, detail);
      if (withMeter) fill.style.width = `${Math.max(0, Math.min(100, fraction ?? 0))}%`;
    },
  };
}

function panel(title, chart) {
  return h("section", { class: "panel" }, h("div", { class: "panel-header" }, h("h2", { text: title })), h("div", { class: "panel-body" }, chart));
}

/** Axis labels: `500m`, `2 cores`, `1.25 cores`. */
function axisCores(millicores) {
  return millicores < 1000 ? `${Math.round(millicores)}m` : `${Number((millicores / 1000).toFixed(2))} cores`;
}

/** Axis labels: `0`, `512 MiB`, `1.25 GiB`. */
function axisBytes(value) {
  if (!value) return "0";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  const power = Math.min(units.length - 1, Math.floor(Math.log(value) / Math.log(1024)));
  return `${Number((value / 1024 ** power).toFixed(2))} ${units[power]}`;
}
