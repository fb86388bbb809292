// The cluster's alerts, live (client `alerts()`): the pending and firing alerts, the transitions
// seen while the view is open, and the alert rules (`GET /alerts/rules`); operators and
// administrators may add a rule and delete one.

import { h, replaceChildren, setText } from "../core/dom.js";
import { age, clock } from "../core/format.js";
import { FrameBatch } from "../core/frame.js";
import { describeError } from "./confirm-dialog.js";
import { toast } from "./toasts.js";

const AGE_REFRESH_MS = 10_000;
const TRANSITIONS_KEPT = 20;
const STATE_TONE = { firing: "bad", pending: "warn", resolved: "ok" };
const SEVERITY_TONE = { critical: "bad", warning: "warn", info: "idle" };
/** The conditions of SPEC §11 with what their threshold means and its default. */
const CONDITIONS = {
  pod_restarts: { label: "Pod restarts", threshold: "Restarts at least", defaultThreshold: 3 },
  crash_loop: { label: "Container in CrashLoopBackOff" },
  node_not_ready: { label: "Node not ready" },
  deployment_unavailable: { label: "Deployment unavailable" },
  event: { label: "Event", threshold: "Count at least", defaultThreshold: 1, reason: true },
  cpu_usage: { label: "Cluster CPU usage", threshold: "Percent at least", defaultThreshold: 80 },
  memory_usage: { label: "Cluster memory usage", threshold: "Percent at least", defaultThreshold: 80 },
};

export class AlertsView {
  /** `context`: `{client, clusterId, namespace, canChange}`; `actions`: the console's Actions. */
  constructor({ context, actions }) {
    const { client, clusterId, namespace, canChange } = context;
    this.client = client;
    this.clusterId = clusterId;
    this.actions = actions;
    this.canChange = canChange;
    this.batch = new FrameBatch(() => this.renderAlerts());
    this.transitions = [];
    this.ruleIds = new Set(); // the rules listed, so that an alert of another rule lists them again
    this.loadingRules = null;

    this.status = h("span", { class: "stream-status", id: "alerts-status" });
    this.count = h("span", { class: "count", id: "alerts-table-count", text: "…" });
    this.alertRows = h("tbody");
    this.alertTable = h("table", { class: "grid", id: "alerts-table", dataset: { synced: "false" } },
      h("thead", {}, h("tr", {}, ["Severity", "Rule", "Target", "State", "Since", "Detail"].map((label) => h("th", { text: label })))),
      this.alertRows);
    this.transitionList = h("ol", { class: "transitions", id: "alert-transitions" });
    this.ruleCount = h("span", { class: "count", id: "alert-rules-table-count", text: "…" });
    this.ruleRows = h("tbody");
    this.ruleTable = h("table", { class: "grid", id: "alert-rules-table", dataset: { loaded: "false" } },
      h("thead", {}, h("tr", {},
        ["Name", "Condition", "Namespace", "For", "Severity", "Enabled"].map((label) => h("th", { text: label })),
        h("th", { "aria-label": "Actions" }))),
      this.ruleRows);

    this.element = h("div", { id: "alerts" },
      h("div", { class: "view-header" }, h("h1", { text: "Alerts" }), this.status),
      h("section", { class: "panel", id: "alerts-table-panel" },
        h("div", { class: "panel-header" }, h("h2", { text: "Pending and firing" }), this.count),
        h("div", { class: "table-wrap" }, this.alertTable)),
      h("section", { class: "panel" },
        h("div", { class: "panel-header" }, h("h2", { text: "Transitions" }),
          h("span", { class: "muted", text: "since this view opened" })),
        h("div", { class: "panel-body" }, this.transitionList)),
      h("section", { class: "panel", id: "alert-rules-panel" },
        h("div", { class: "panel-header" }, h("h2", { text: "Rules" }), this.ruleCount,
          h("button", { type: "button", class: "small ghost", id: "alert-rules-refresh", text: "Refresh", on: { click: () => this.loadRules() } })),
        h("div", { class: "table-wrap" }, this.ruleTable)),
      canChange ? this.ruleForm(namespace) : null);

    this.stream = client.alerts({ cluster: clusterId });
    this.stream.on("change", () => this.batch.markAll());
    this.stream.on("synced", () => this.batch.markAll());
    this.stream.on("transition", (transition) => this.addTransition(transition));
    this.stream.on("resync", () => setText(this.status, "resyncing…"));
    this.stream.on("status", ({ status, reason }) =>
      setText(this.status, status === "connected" ? "" : `${status}${reason ? `: ${reason}` : ""}`));
    this.stream.on("error", (error) => setText(this.status, describeError(error)));
    this.ageTimer = setInterval(() => this.batch.markAll(), AGE_REFRESH_MS);
    this.renderAlerts();
    this.loadRules();
  }

  renderAlerts() {
    const synced = this.stream.synced;
    const alerts = this.stream.list();
    const rows = alerts.map((alert) =>
      h("tr", { dataset: { key: `${alert.rule_id}/${alert.target}`, rule: alert.rule_name, ruleId: alert.rule_id, target: alert.target, state: alert.state, severity: alert.severity } },
        h("td", {}, h("span", { class: `badge tone-${SEVERITY_TONE[alert.severity] ?? "idle"}`, text: alert.severity })),
        h("td", { text: alert.rule_name }),
        h("td", { class: "mono", text: alert.target, title: alert.target }),
        h("td", {}, h("span", { class: `badge tone-${STATE_TONE[alert.state] ?? "idle"}`, text: alert.state })),
        h("td", { text: age(alert.state === "firing" ? alert.fired_at ?? alert.since : alert.since), title: alert.since }),
        h("td", { class: "wrap", text: alert.detail })));
    const empty = h("tr", { class: "table-empty" }, h("td", { colspan: 6, text: synced ? "No pending or firing alerts." : "Loading…" }));
    replaceChildren(this.alertRows, rows.length ? rows : empty);
    setText(this.count, synced ? alerts.length : "…");
    if (synced) this.alertTable.dataset.synced = "true";
  }

  addTransition({ event, alert, from }) {
    // Rules are not a stream: a rule added elsewhere shows up with its first alert.
    if (event !== "RESOLVED" && this.ruleTable.dataset.loaded === "true" && !this.ruleIds.has(alert.rule_id)) this.loadRules();
    this.transitions.unshift(h("li", { dataset: { event, rule: alert.rule_name, target: alert.target } },
      h("span", { class: "muted", text: clock(Date.now()) }), " ",
      h("span", { class: `badge tone-${STATE_TONE[alert.state] ?? "idle"}`, text: alert.state }), " ",
      `${alert.rule_name} · ${alert.target}${from ? ` (was ${from})` : ""}`));
    this.transitions.length = Math.min(this.transitions.length, TRANSITIONS_KEPT);
    replaceChildren(this.transitionList, this.transitions);
  }

  /** Lists the rules (again); a call while a listing runs waits for that one. */
  loadRules() {
    this.loadingRules ??= this.fetchRules().finally(() => {
      this.loadingRules = null;
    });
    return this.loadingRules;
  }

  async fetchRules() {
    try {
      const { data } = await this.client.request("GET", "/alerts/rules", undefined, {
        query: { cluster_id: this.clusterId, page: 1, pageSize: 500 },
      });
      this.renderRules(data.items ?? [], data.total ?? 0);
    } catch (error) {
      replaceChildren(this.ruleRows, h("tr", { class: "table-empty" }, h("td", { colspan: 7, text: `Cannot list rules: ${describeError(error)}` })));
    }
  }

  renderRules(rules, total) {
    this.ruleIds = new Set(rules.map((rule) => rule.id));
    const rows = rules.map((rule) =>
      h("tr", { dataset: { id: rule.id, name: rule.name } },
        h("td", { text: rule.name }),
        h("td", { text: describeCondition(rule) }),
        h("td", { text: rule.namespace || "all" }),
        h("td", { text: `${rule.for_seconds ?? 0}s` }),
        h("td", {}, h("span", { class: `badge tone-${SEVERITY_TONE[rule.severity] ?? "idle"}`, text: rule.severity })),
        h("td", { text: rule.enabled === false ? "no" : "yes" }),
        h("td", { class: "actions" }, this.canChange
          ? h("button", {
              type: "button", class: "small danger-text", dataset: { action: "delete" }, text: "Delete",
              on: { click: async () => (await this.actions.deleteAlertRule(rule)) && this.loadRules() },
            })
          : null)));
    replaceChildren(this.ruleRows, rows.length ? rows : h("tr", { class: "table-empty" }, h("td", { colspan: 7, text: "No alert rules for this cluster." })));
    setText(this.ruleCount, total);
    this.ruleTable.dataset.loaded = "true";
  }

  ruleForm(namespace) {
    const name = h("input", { type: "text", id: "rule-name", required: true, maxlength: 128, placeholder: "pod restarts" });
    const condition = h("select", { id: "rule-condition" },
      Object.entries(CONDITIONS).map(([value, { label }]) => h("option", { value, text: label })));
    const threshold = h("input", { type: "number", id: "rule-threshold", min: 0, step: "any" });
    const reason = h("input", { type: "text", id: "rule-reason", placeholder: "BackOff" });
    const ruleNamespace = h("input", { type: "text", id: "rule-namespace", value: namespace ?? "", placeholder: "all namespaces" });
    const forSeconds = h("input", { type: "number", id: "rule-for", min: 0, max: 86400, value: "0" });
    const severity = h("select", { id: "rule-severity" },
      ["warning", "critical", "info"].map((value) => h("option", { value, text: value })));
    const thresholdLabel = h("span");
    const thresholdField = h("label", {}, thresholdLabel, threshold);
    const reasonField = h("label", {}, "Event reason", reason);
    const status = h("p", { class: "muted", id: "rule-create-status" });
    const submit = h("button", { type: "submit", class: "primary", id: "rule-create", text: "Add rule" });
    const fit = () => {
      const { threshold: label, defaultThreshold, reason: wantsReason } = CONDITIONS[condition.value];
      thresholdField.hidden = !label;
      setText(thresholdLabel, label ?? "");
      threshold.value = label ? String(defaultThreshold) : "";
      reasonField.hidden = !wantsReason;
    };
    condition.addEventListener("change", fit);
    fit();
    const form = h("form", { class: "panel-body rule-form", id: "alert-rule-form" },
      h("label", {}, "Name", name),
      h("label", {}, "Condition", condition),
      thresholdField,
      reasonField,
      h("label", {}, "Namespace", ruleNamespace),
      h("label", {}, "For (seconds)", forSeconds),
      h("label", {}, "Severity", severity),
      h("div", { class: "form-actions" }, submit, status));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = {
        name: name.value.trim(), cluster_id: Number(this.clusterId), condition: condition.value,
        for_seconds: Number(forSeconds.value || 0), severity: severity.value,
      };
      if (!thresholdField.hidden && threshold.value !== "") body.threshold = Number(threshold.value);
      if (!reasonField.hidden && reason.value.trim()) body.reason = reason.value.trim();
      if (ruleNamespace.value.trim()) body.namespace = ruleNamespace.value.trim();
      submit.disabled = true;
      setText(status, "Adding…");
      try {
        const { data } = await this.client.request("POST", "/alerts/rules", body);
        name.value = "";
        setText(status, "");
        toast(`Alert rule ${data.name} added.`);
        await this.loadRules();
      } catch (error) {
        setText(status, describeError(error));
      } finally {
        submit.disabled = false;
      }
    });
    return h("section", { class: "panel" }, h("div", { class: "panel-header" }, h("h2", { text: "New rule" })), form);
  }

  dispose() {
    clearInterval(this.ageTimer);
    this.batch.cancel();
    this.stream.close();
  }
}

/** `pod_restarts ≥ 3`, `event Scheduled ≥ 1`, `crash_loop`. */
function describeCondition(rule) {
  const { threshold } = CONDITIONS[rule.condition] ?? {};
  const parts = [rule.condition];
  if (rule.reason) parts.push(rule.reason);
  if (rule.event_type) parts.push(rule.event_type);
  if (threshold && rule.threshold !== undefined) parts.push(`≥ ${rule.threshold}`);
  return parts.join(" ");
}
