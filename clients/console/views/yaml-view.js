// An object as YAML (managedFields left out), kept current while it changes.

import { h, setText } from "../core/dom.js";
import { toYAML, withoutManagedFields } from "../core/yaml.js";

export class YamlView {
  constructor() {
    this.info = h("span", { class: "log-status", id: "yaml-info" });
    this.code = h("pre", { class: "code-view", id: "detail-yaml", dataset: { testid: "detail-yaml" } });
    this.element = h("div", { class: "tab-panel" }, h("div", { class: "toolbar" }, this.info), this.code);
  }

  show(object, { deleted = false } = {}) {
    const text = toYAML(withoutManagedFields(object));
    if (text !== this.text) {
      this.text = text;
      this.code.replaceChildren(...highlight(text));
    }
    const version = object.metadata?.resourceVersion;
    setText(this.info, deleted ? "Deleted — last known state" : `Live · resourceVersion ${version ?? "?"}`);
  }
}

/** Text nodes, with mapping keys in spans; nothing is parsed as markup. */
function highlight(text) {
  const nodes = [];
  for (const line of text.replace(/\n$/, "").split("\n")) {
    const match = /^(\s*(?:- )*)([^\s'"#-][^:]*|"[^"]*"|'[^']*'):(?= |$)/.exec(line);
    if (match) {
      nodes.push(match[1], h("span", { class: "yaml-key", text: match[2] }), `${line.slice(match[0].length - 1)}\n`);
    } else {
      nodes.push(`${line}\n`);
    }
  }
  return nodes;
}
