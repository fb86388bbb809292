// Short notices in the corner: the outcome of an action, a failure nobody asked about.

import { byId, h } from "../core/dom.js";

const LIFETIME_MS = 5000;

export function toast(text, { error = false } = {}) {
  const element = h("div", { class: ["toast", error && "error"], role: error ? "alert" : "status", text });
  byId("toasts").append(element);
  setTimeout(() => element.remove(), error ? LIFETIME_MS * 2 : LIFETIME_MS);
}
