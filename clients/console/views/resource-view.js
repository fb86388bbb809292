// A section of live tables (Pods; Deployments, StatefulSets and DaemonSets; …) for the selected
// cluster and namespace. Each table runs its own watch.

import { h } from "../core/dom.js";
import { LiveTable } from "./live-table.js";
import { RESOURCES } from "./resources.js";

const ROW_ACTIONS = {
  logs: { label: "Logs", tab: "logs" },
  shell: { label: "Shell", tab: "terminal", mutating: true },
  scale: { label: "Scale", mutating: true },
  restart: { label: "Restart", mutating: true },
  delete: { label: "Delete", mutating: true, danger: true },
};

export class ResourceView {
  /**
   * `resources`: plurals shown, one table each; `context`: `{client, clusterId, namespace,
   * canChange}`; `watches`: the console's Map of live collections, for diagnostics.
   */
  constructor({ title, resources, context, actions, detail, watches }) {
    const { client, clusterId, namespace, canChange } = context;
    this.watches = watches;
    this.tables = resources.map((resource) => {
      const definition = RESOURCES[resource];
      const watch = client.watch({
        cluster: clusterId,
        resource,
        namespace: definition.namespaced && namespace ? namespace : undefined,
      });
      watches.set(resource, watch);
      const rowActions = definition.actions
        .filter((name) => canChange || !ROW_ACTIONS[name].mutating)
        .map((name) => {
          const { label, tab, danger } = ROW_ACTIONS[name];
          return {
            name, label, danger,
            run: tab ? (object) => detail.open(resource, object, tab) : (object) => actions[name](resource, object),
          };
        });
      const table = new LiveTable({
        id: `${resource}-table`,
        title: definition.title,
        emptyText: namespace && definition.namespaced ? `No ${definition.title.toLowerCase()} in ${namespace}.` : `No ${definition.title.toLowerCase()}.`,
        watch,
        columns: definition.columns(definition.namespaced && !namespace).filter(Boolean),
        compare: definition.compare,
        actions: () => rowActions,
        onOpen: (object) => detail.open(resource, object),
      });
      return { resource, table };
    });
    this.element = h("div", { class: "resource-view" },
      h("div", { class: "view-header" },
        h("h1", { text: title }),
        h("span", { class: "muted", text: namespace ? `namespace ${namespace}` : "all namespaces" })),
      this.tables.map(({ table }) => table.element));
  }

  dispose() {
    for (const { resource, table } of this.tables) {
      if (this.watches.get(resource) === table.watch) this.watches.delete(resource);
      table.dispose();
    }
  }
}
