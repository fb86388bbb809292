// The confirmation dialog of changes: it opens at once, shows the server's dry-run preview when
// the gateway asks for confirmation (code 1010), and stays open while the change is carried out
// so that a failure is shown where the user is looking.

import { byId, h, replaceChildren } from "../core/dom.js";
import { changedPaths } from "../core/diff.js";

export class ConfirmDialog {
  /** `signal` ends its listeners (the dialog element belongs to the page, not to a session). */
  constructor({ signal }) {
    this.dialog = byId("confirm-dialog");
    this.title = byId("confirm-title");
    this.message = byId("confirm-message");
    this.fields = byId("confirm-fields");
    this.preview = byId("confirm-preview");
    this.error = byId("confirm-error");
    this.ok = byId("confirm-ok");
    this.cancel = byId("confirm-cancel");
    this.answer = null; // resolves the question being asked

    byId("confirm-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.settle(true);
    }, { signal });
    this.cancel.addEventListener("click", () => this.settle(false), { signal });
    this.dialog.addEventListener("cancel", (event) => {
      event.preventDefault(); // Escape: answer "no" and let run() close the dialog
      this.settle(false);
    }, { signal });
    signal.addEventListener("abort", () => this.close());
  }

  /**
   * Runs one change. `fields` are extra inputs (e.g. a replica count), read by `perform`.
   * `perform(ask)` carries the change out; it calls `ask(preview, confirmation, before)` when the
   * server wants a confirmation (the 1010 answer; `before` is the object an update replaces, to
   * show what changes) and gets whether the user agreed. Without a server
   * preview (`needsServerPreview: false`) the user confirms first and `perform` runs after.
   * Resolves to perform's result, or `null` when the user cancelled.
   */
  async run({ title, message, confirmLabel = "Confirm", tone = "danger", fields = null, needsServerPreview, perform }) {
    this.open({ title, message, confirmLabel, tone, fields });
    try {
      if (!needsServerPreview && !(await this.question())) return null;
      this.setBusy(needsServerPreview ? "Asking the server for a preview…" : "Working…");
      const result = await perform(async (preview, confirmation, before) => {
        this.showPreview(preview, confirmation, before);
        const agreed = await this.question();
        if (agreed) this.setBusy("Working…");
        return agreed;
      });
      this.close();
      return result;
    } catch (error) {
      if (error?.declined) {
        this.close();
        return null;
      }
      this.showError(error);
      await this.question(); // leave the message up until dismissed
      this.close();
      return null;
    }
  }

  open({ title, message, confirmLabel, tone, fields }) {
    this.title.textContent = title;
    this.message.textContent = message;
    replaceChildren(this.fields, fields);
    this.preview.hidden = true;
    this.preview.replaceChildren();
    this.error.hidden = true;
    this.ok.textContent = confirmLabel;
    this.ok.className = tone;
    this.ok.hidden = false;
    this.ok.disabled = false;
    this.cancel.textContent = "Cancel";
    this.dialog.dataset.state = "open";
    if (!this.dialog.open) this.dialog.showModal();
    (this.fields.querySelector("input") ?? this.ok).focus();
  }

  /** Waits for OK (true) or Cancel/Escape (false). */
  question() {
    this.ok.disabled = false;
    return new Promise((resolve) => {
      this.answer = resolve;
    });
  }

  settle(value) {
    const answer = this.answer;
    this.answer = null;
    answer?.(value);
  }

  setBusy(text) {
    this.dialog.dataset.state = "busy";
    this.ok.disabled = true;
    this.preview.hidden = false;
    replaceChildren(this.preview, h("p", { class: "loading", text }));
  }

  showPreview(preview, confirmation, before) {
    this.dialog.dataset.state = "preview";
    this.preview.hidden = false;
    replaceChildren(this.preview, ...previewContent(preview, confirmation, before));
  }

  showError(error) {
    this.dialog.dataset.state = "error";
    this.error.hidden = false;
    this.error.textContent = describeError(error);
    this.preview.hidden = true;
    this.ok.hidden = true;
    this.cancel.textContent = "Close";
  }

  close() {
    this.settle(false);
    this.dialog.dataset.state = "closed";
    if (this.dialog.open) this.dialog.close();
  }
}

/** `msg (code)` of a GaleError, else the message. */
export function describeError(error) {
  if (error && typeof error.code === "number") return `${error.msg || error.message} (error ${error.code})`;
  return String(error?.message ?? error);
}

/** What the server's preview says will happen: objects a delete removes, fields an update changes. */
function previewContent(preview, confirmation, before) {
  const parts = [];
  if (Array.isArray(preview?.deletes)) {
    parts.push(
      h("h3", { text: "Will be deleted (server dry run)" }),
      h("ul", { dataset: { testid: "preview-deletes" } },
        preview.deletes.map((ref) =>
          h("li", { dataset: { kind: ref.kind, name: ref.name } },
            `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`))),
    );
  }
  if (preview?.result && before) {
    const changes = changedPaths(before, preview.result);
    parts.push(
      h("h3", { text: "Changes (server dry run)" }),
      changes.length
        ? h("ul", { dataset: { testid: "preview-changes" } },
            changes.map(({ path, before, after }) => h("li", {}, `${path}: ${show(before)} → ${show(after)}`)))
        : h("p", { class: "muted", text: "No change." }),
    );
  } else if (preview?.result) {
    parts.push(h("h3", { text: "Result (server dry run)" }), h("p", { text: `${preview.result.kind ?? "object"} accepted by the server.` }));
  }
  if (!parts.length) parts.push(h("pre", { class: "mono", text: JSON.stringify(preview, null, 2) }));
  if (confirmation?.expiresIn) {
    parts.push(h("p", { class: "muted", text: `The confirmation stays valid for ${confirmation.expiresIn} s.` }));
  }
  return parts;
}

function show(value) {
  if (value === undefined) return "(none)";
  return typeof value === "string" ? value : JSON.stringify(value);
}
