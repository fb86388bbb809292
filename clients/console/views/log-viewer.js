// Merged logs of a pod or a workload: follow or pause, the last N lines, a text filter,
// timestamps on or off, and a download of everything received as a .txt file.

import { h, setText } from "../core/dom.js";
import { FrameBatch } from "../core/frame.js";
import { saveBlob } from "../core/save.js";
import { describeError } from "./confirm-dialog.js";

const MAX_LINES = 10_000; // kept in memory and in the DOM; older lines are dropped
const TAIL_CHOICES = [100, 500, 1000, 5000];
const ALL_CONTAINERS = "*";
const SOURCE_COLORS = ["#7dd3fc", "#fca5a5", "#86efac", "#fcd34d", "#c4b5fd", "#f9a8d4", "#5eead4", "#fdba74"];

export class LogViewer {
  /**
   * `target` is `{pod}` or `{workload: "deployment/web"}`; `label` names it in the file name;
   * `containers` (of a pod with several) offers a choice of container, or all of them.
   */
  constructor({ client, clusterId, namespace, target, label, containers = [] }) {
    this.client = client;
    this.options = { cluster: clusterId, namespace, ...target };
    this.label = label;
    this.lines = []; // {pod, container, text, timestamp, seq}
    this.pending = []; // received, not yet shown
    this.following = true;
    this.scrolledByUser = false; // false while the next scroll event is our own
    this.filterText = "";
    this.stream = null;
    this.sources = new Map(); // "pod/container" → color
    this.batch = new FrameBatch(() => this.render());

    this.container = containers.length > 1
      ? h("select", { id: "log-container", "aria-label": "Container" },
        h("option", { value: "", text: "Default container" }),
        containers.map((name) => h("option", { value: name, text: name })),
        h("option", { value: ALL_CONTAINERS, text: "All containers" }))
      : null;
    this.tail = h("select", { id: "log-tail", "aria-label": "Lines to start with" },
      TAIL_CHOICES.map((count) => h("option", { value: String(count), text: `Last ${count}`, selected: count === 500 })));
    this.followToggle = h("button", { type: "button", id: "log-follow", "aria-pressed": "true", text: "Pause" });
    this.timestamps = h("input", { type: "checkbox", id: "log-timestamps" });
    this.filter = h("input", { type: "search", id: "log-filter", placeholder: "Filter lines…", "aria-label": "Filter lines" });
    this.download = h("button", { type: "button", id: "log-download", text: "Download .txt" });
    this.status = h("span", { class: "log-status", id: "log-status" });
    this.output = h("div", { class: "log-output", id: "log-output", dataset: { testid: "log-output", lines: "0" }, tabindex: "0" });

    this.element = h("div", { class: "tab-panel" },
      h("div", { class: "toolbar" },
        this.container,
        h("label", {}, this.tail),
        this.followToggle,
        h("label", {}, this.timestamps, "Timestamps"),
        this.filter,
        h("span", { class: "grow" }),
        this.status,
        this.download),
      this.output);

    this.tail.addEventListener("change", () => this.start());
    this.container?.addEventListener("change", () => this.start());
    this.followToggle.addEventListener("click", () => this.setFollowing(!this.following));
    this.timestamps.addEventListener("change", () => this.output.classList.toggle("show-timestamps", this.timestamps.checked));
    this.filter.addEventListener("input", () => {
      this.filterText = this.filter.value;
      this.applyFilter();
    });
    this.download.addEventListener("click", () => this.save());
    this.output.addEventListener("scroll", () => {
      // Scrolling up while following pauses; coming back to the bottom follows again.
      const atBottom = this.output.scrollHeight - this.output.scrollTop - this.output.clientHeight < 4;
      if (this.following && !atBottom && this.scrolledByUser) this.setFollowing(false);
      this.scrolledByUser = true;
    });
    this.start();
  }

  /** (Re)subscribes with the chosen tail; the view starts over. */
  start() {
    this.stream?.close();
    this.lines = [];
    this.pending = [];
    this.output.replaceChildren();
    this.output.dataset.lines = "0";
    setText(this.status, "Connecting…");
    const stream = this.client.logs({ ...this.options, ...this.containerOptions(), tailLines: Number(this.tail.value), follow: true, timestamps: true });
    this.stream = stream;
    stream.on("line", (line) => {
      this.pending.push(line);
      this.batch.mark("lines");
    });
    stream.on("status", ({ status, reason }) => {
      if (stream === this.stream) setText(this.status, status === "connected" ? "Streaming" : `${status}${reason ? `: ${reason}` : ""}`);
    });
    stream.on("closed", (reason) => {
      if (stream === this.stream) setText(this.status, reason ? `Ended: ${reason}` : "Ended");
    });
    stream.on("error", (error) => {
      if (stream === this.stream) setText(this.status, describeError(error));
    });
    stream.subscribed.then(
      () => stream === this.stream && setText(this.status, "Streaming"),
      (error) => stream === this.stream && setText(this.status, describeError(error)),
    );
  }

  containerOptions() {
    const choice = this.container?.value;
    if (!choice) return {};
    return choice === ALL_CONTAINERS ? { allContainers: true } : { container: choice };
  }

  setFollowing(following) {
    this.following = following;
    this.followToggle.textContent = following ? "Pause" : "Follow";
    this.followToggle.setAttribute("aria-pressed", String(following));
    this.output.dataset.following = String(following);
    if (following) this.batch.mark("lines");
  }

  /** Appends what arrived since the last frame; while paused, lines wait (and are counted). */
  render() {
    if (!this.following) {
      setText(this.followToggle, this.pending.length ? `Follow (${this.pending.length} new)` : "Follow");
      return;
    }
    if (!this.pending.length) return;
    const fragment = document.createDocumentFragment();
    for (const line of this.pending) {
      this.lines.push(line);
      fragment.append(this.lineElement(line));
    }
    this.pending = [];
    this.output.append(fragment);
    const excess = this.lines.length - MAX_LINES;
    if (excess > 0) {
      this.lines.splice(0, excess);
      for (let index = 0; index < excess; index += 1) this.output.firstChild?.remove();
    }
    this.output.dataset.lines = String(this.lines.length);
    this.scrolledByUser = false;
    this.output.scrollTop = this.output.scrollHeight;
  }

  lineElement(line) {
    const element = h("div", { class: "log-line", dataset: { pod: line.pod, seq: line.seq } },
      h("span", { class: "ts", text: line.timestamp }),
      this.showsSources() ? h("span", { class: "source", style: { color: this.colorOf(line) }, text: this.sourceOf(line) }) : null,
      line.text);
    if (this.filterText && !line.text.includes(this.filterText)) element.hidden = true;
    return element;
  }

  /** Lines of several pods or containers are attributed. */
  showsSources() {
    return Boolean(this.options.workload) || this.container?.value === ALL_CONTAINERS;
  }

  sourceOf(line) {
    return this.options.workload ? line.pod : line.container;
  }

  colorOf(line) {
    const key = `${line.pod}/${line.container}`;
    if (!this.sources.has(key)) this.sources.set(key, SOURCE_COLORS[this.sources.size % SOURCE_COLORS.length]);
    return this.sources.get(key);
  }

  applyFilter() {
    const children = this.output.children;
    this.lines.forEach((line, index) => {
      children[index].hidden = Boolean(this.filterText) && !line.text.includes(this.filterText);
    });
  }

  /** Everything received (not only what the filter shows), as `time pod/container text` lines. */
  save() {
    const all = [...this.lines, ...this.pending];
    const text = all.map((line) => `${line.timestamp} ${line.pod}/${line.container} ${line.text}\n`).join("");
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    saveBlob(new Blob([text], { type: "text/plain;charset=utf-8" }), `${this.label.replace(/[^\w.-]+/g, "_")}-${stamp}.txt`);
  }

  dispose() {
    this.batch.cancel();
    this.stream?.close();
    this.stream = null;
  }
}
