// Changes made from the console: delete, scale and restart, and deleting an alert rule. Each goes
// through the confirmation dialog; deletes and replacements show the preview of the server's dry
// run (code 1010).

import { h } from "../core/dom.js";
import { toast } from "./toasts.js";

const RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";

export class Actions {
  /** `context()` returns the current `{client, clusterId}`; `dialog` is the ConfirmDialog. */
  constructor({ context, dialog }) {
    this.context = context;
    this.dialog = dialog;
  }

  /** `kubectl delete`: the dialog shows what the server's dry run says goes with the object. */
  async delete(resource, object) {
    const { client } = this.context();
    const { kind, name, namespace } = describe(resource, object);
    const result = await this.dialog.run({
      title: `Delete ${kind} ${name}?`,
      message: namespace ? `In namespace ${namespace}.` : "A cluster-wide object.",
      confirmLabel: "Delete",
      needsServerPreview: true,
      perform: (ask) =>
        client.confirmed("DELETE", itemPath(resource, name), undefined, {
          query: this.query(namespace),
          onPreview: (preview, confirmation) => ask(preview, confirmation),
        }),
    });
    if (result) toast(`${kind} ${name} deleted.`);
    return result;
  }

  /** `kubectl scale`: the new replica count is asked in the dialog. */
  async scale(resource, object) {
    const { client } = this.context();
    const { kind, name, namespace } = describe(resource, object);
    const current = object.spec?.replicas ?? 0;
    const input = h("input", { type: "number", id: "scale-replicas", min: 0, max: 1000, value: String(current), required: true });
    const result = await this.dialog.run({
      title: `Scale ${kind} ${name}`,
      message: `It runs ${current} ${current === 1 ? "replica" : "replicas"} now.`,
      confirmLabel: "Scale",
      tone: "primary",
      fields: h("label", { class: "field" }, "Replicas", input),
      needsServerPreview: false,
      perform: (ask) =>
        client.confirmed("POST", `${itemPath(resource, name)}/scale`, { replicas: Number(input.value) }, {
          query: this.query(namespace),
          onPreview: (preview, confirmation) => ask(preview, confirmation),
        }),
    });
    if (result) toast(`${kind} ${name} scaled to ${input.value}.`);
    return result;
  }

  /**
   * A pod is restarted by the gateway (deleted and created again by its controller); a workload
   * the way `kubectl rollout restart` does it: a new `restartedAt` annotation on its pod template,
   * written as an update, whose dry-run preview the dialog shows.
   */
  async restart(resource, object) {
    const { client } = this.context();
    const { kind, name, namespace } = describe(resource, object);
    const query = this.query(namespace);
    const isPod = resource === "pods";
    const result = await this.dialog.run({
      title: `Restart ${kind} ${name}?`,
      message: isPod
        ? "The pod is deleted and its controller creates a new one."
        : "Its pods are replaced one by one, as with kubectl rollout restart.",
      confirmLabel: "Restart",
      tone: "primary",
      needsServerPreview: !isPod,
      perform: async (ask) => {
        if (isPod) {
          return client.confirmed("POST", `${itemPath(resource, name)}/restart`, undefined, {
            query, onPreview: (preview, confirmation) => ask(preview, confirmation),
          });
        }
        const { data: before } = await client.request("GET", itemPath(resource, name), undefined, { query });
        const content = structuredClone(before);
        delete content.status;
        delete content.metadata.managedFields;
        // Without a resourceVersion the update applies to the version current when it is made
        // (the gateway fills it in), so that status updates while the dialog is open do not
        // make it a conflict; the change itself is only the annotation, as with kubectl.
        delete content.metadata.resourceVersion;
        content.spec.template.metadata ??= {};
        content.spec.template.metadata.annotations = {
          ...content.spec.template.metadata.annotations,
          [RESTARTED_AT]: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        };
        return client.confirmed("PUT", itemPath(resource, name), { content }, {
          query, onPreview: (preview, confirmation) => ask(preview, confirmation, before),
        });
      },
    });
    if (result) toast(`${kind} ${name} restarted.`);
    return result;
  }

  /** Deletes an alert rule (its pending and firing alerts resolve); confirmed in the dialog first. */
  async deleteAlertRule(rule) {
    const { client } = this.context();
    const result = await this.dialog.run({
      title: `Delete alert rule ${rule.name}?`,
      message: "Its pending and firing alerts are resolved, and it is no longer evaluated.",
      confirmLabel: "Delete",
      needsServerPreview: false,
      perform: (ask) =>
        client.confirmed("DELETE", `/alerts/rules/${encodeURIComponent(rule.id)}`, undefined, {
          onPreview: (preview, confirmation) => ask(preview, confirmation),
        }),
    });
    if (result) toast(`Alert rule ${rule.name} deleted.`);
    return result;
  }

  query(namespace) {
    const { clusterId } = this.context();
    return namespace ? { cluster_id: clusterId, namespace } : { cluster_id: clusterId };
  }
}

function describe(resource, object) {
  return {
    kind: object.kind ?? resource,
    name: object.metadata?.name ?? "",
    namespace: object.metadata?.namespace ?? "",
  };
}

function itemPath(resource, name) {
  return `/${resource}/${encodeURIComponent(name)}`;
}
