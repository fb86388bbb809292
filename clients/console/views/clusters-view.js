// The registered clusters with their live state (the registry's, then the gateway's `status`
// frames), and for administrators a form to register one.

import { h, replaceChildren, setText } from "../core/dom.js";
import { age, tone } from "../core/format.js";
import { describeError } from "./confirm-dialog.js";
import { toast } from "./toasts.js";

export class ClustersView {
  /** `clusters` is the console's ClusterDirectory; `onSelect(id)` switches cluster. */
  constructor({ clusters, isAdmin, onSelect }) {
    this.clusters = clusters;
    this.onSelect = onSelect;
    this.tbody = h("tbody");
    this.element = h("div", { id: "clusters" },
      h("div", { class: "view-header" }, h("h1", { text: "Clusters" })),
      h("section", { class: "panel" },
        h("div", { class: "table-wrap" },
          h("table", { class: "grid", id: "clusters-table" },
            h("thead", {}, h("tr", {}, ["Name", "Status", "Version", "Description", "Registered", ""].map((label) => h("th", { text: label })))),
            this.tbody))),
      isAdmin ? this.registrationForm() : null);
    this.off = clusters.onChange(() => this.render());
    this.render();
  }

  render() {
    const rows = this.clusters.list.map((cluster) => {
      const state = this.clusters.stateOf(cluster);
      return h("tr", { dataset: { id: cluster.id, name: cluster.name, state } },
        h("td", {}, h("button", { type: "button", class: "name-link", text: cluster.name, on: { click: () => this.onSelect(cluster.id) } })),
        h("td", {}, h("span", { class: `badge tone-${tone(state)}`, text: state })),
        h("td", { class: "mono", text: cluster.version ?? "" }),
        h("td", { class: "wrap", text: cluster.description ?? "" }),
        h("td", { text: age(cluster.created_at) }),
        h("td", { class: "actions" }, this.clusters.selectedId === String(cluster.id) ? h("span", { class: "badge", text: "selected" }) : null));
    });
    replaceChildren(this.tbody, rows.length ? rows : h("tr", { class: "table-empty" }, h("td", { colspan: 6, text: "No clusters registered yet." })));
  }

  registrationForm() {
    const name = h("input", { type: "text", id: "cluster-name", required: true, placeholder: "production" });
    const description = h("input", { type: "text", id: "cluster-description", placeholder: "Optional" });
    const kubeconfig = h("textarea", { id: "cluster-kubeconfig", rows: 6, required: true, spellcheck: "false", class: "mono", placeholder: "apiVersion: v1\nkind: Config\n…" });
    const status = h("p", { class: "muted", id: "cluster-register-status" });
    const submit = h("button", { type: "submit", class: "primary", text: "Register" });
    const form = h("form", { class: "panel-body register-form", id: "cluster-register" },
      h("label", {}, "Name", name),
      h("label", {}, "Description", description),
      h("label", { class: "wide" }, "Kubeconfig (kept sealed on the gateway, never shown again)", kubeconfig),
      h("div", {}, submit, status));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      setText(status, "Registering and probing the cluster…");
      try {
        const { data } = await this.clusters.register({ name: name.value.trim(), description: description.value.trim(), kubeconfig: kubeconfig.value });
        form.reset();
        setText(status, "");
        toast(`Cluster ${data.name} registered (${data.status}).`);
      } catch (error) {
        setText(status, describeError(error));
      } finally {
        submit.disabled = false;
      }
    });
    return h("section", { class: "panel" }, h("div", { class: "panel-header" }, h("h2", { text: "Register a cluster" })), form);
  }

  dispose() {
    this.off();
  }
}
