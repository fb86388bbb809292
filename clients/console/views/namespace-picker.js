// The namespace select of the top bar, fed by a live watch of the cluster's namespaces: a
// namespace created or deleted elsewhere appears or goes without a reload.

import { byId, h, replaceChildren } from "../core/dom.js";
import { FrameBatch } from "../core/frame.js";

const ALL = "";

export class NamespacePicker {
  /** `onChange(namespace)` runs when the user picks one ("" is all namespaces); `signal` ends it. */
  constructor({ client, signal, selected = ALL, onChange }) {
    this.client = client;
    this.selected = selected;
    this.onChange = onChange;
    this.watch = null;
    this.select = byId("namespace-select");
    this.batch = new FrameBatch(() => this.render());
    this.select.addEventListener("change", () => {
      this.selected = this.select.value;
      this.onChange(this.selected);
    }, { signal });
    this.render();
  }

  /** Follows the namespaces of cluster `id` (none when empty). */
  setCluster(id) {
    this.watch?.close();
    this.watch = null;
    if (id) {
      this.watch = this.client.watch({ cluster: id, resource: "namespaces" });
      this.watch.on("change", () => this.batch.mark("namespaces"));
      this.watch.on("synced", () => this.batch.mark("namespaces"));
    }
    this.render();
  }

  render() {
    const names = this.watch ? this.watch.list().map((namespace) => namespace.metadata.name) : [];
    // The selection stays visible even before the snapshot arrives or after the namespace went.
    if (this.selected && !names.includes(this.selected)) names.push(this.selected);
    replaceChildren(this.select,
      h("option", { value: ALL, text: "All namespaces", selected: this.selected === ALL }),
      names.sort().map((name) => h("option", { value: name, text: name, selected: name === this.selected })));
  }

  dispose() {
    this.batch.cancel();
    this.watch?.close();
  }
}
