// A shell in a container: xterm.js on an exec channel of the console's socket, fitted to its
// box; every change of the box's size becomes a resize of the remote terminal.

import { attachTerminal } from "../kubegale.js";
import { h, setText } from "../core/dom.js";
import { describeError } from "./confirm-dialog.js";

const SHELL = ["sh"];

export class TerminalView {
  constructor({ client, clusterId, namespace, pod, containers }) {
    this.client = client;
    this.target = { cluster: clusterId, namespace, pod };
    this.terminal = null;
    this.attachment = null;
    this.resizeObserver = null;

    this.container = h("select", { id: "terminal-container", "aria-label": "Container" },
      containers.map((name) => h("option", { value: name, text: name })));
    this.reconnect = h("button", { type: "button", id: "terminal-reconnect", text: "Reconnect" });
    this.status = h("span", { class: "log-status", id: "terminal-status" });
    this.size = h("span", { class: "log-status mono", id: "terminal-size" });
    this.host = h("div", { class: "terminal-host", id: "terminal", dataset: { testid: "terminal" } });
    this.element = h("div", { class: "tab-panel" },
      h("div", { class: "toolbar" },
        h("label", {}, "Container", this.container),
        this.reconnect,
        h("span", { class: "grow" }),
        this.size,
        this.status),
      this.host);

    this.reconnect.addEventListener("click", () => this.open());
    this.container.addEventListener("change", () => this.open());
  }

  /** Called when the tab becomes visible: xterm.js needs a laid-out box to measure. */
  show() {
    if (!this.terminal) this.open();
    else this.fit();
    this.terminal?.focus();
  }

  open() {
    this.close();
    if (typeof window.Terminal !== "function") {
      setText(this.status, "xterm.js did not load (/assets/xterm.js)");
      return;
    }
    const terminal = new window.Terminal({
      rendererType: "dom", // text in the DOM: selectable, searchable, readable by assistive tools
      fontFamily: '"DejaVu Sans Mono", ui-monospace, Menlo, Consolas, monospace',
      fontSize: 13,
      cursorBlink: true,
      scrollback: 5000,
      theme: { background: "#0b1020", foreground: "#e2e8f0", cursor: "#93c5fd", selection: "rgba(147,197,253,0.3)" },
    });
    this.terminal = terminal;
    terminal.open(this.host);
    this.fit();
    terminal.on("resize", ({ cols, rows }) => this.showSize(cols, rows));
    this.showSize(terminal.cols, terminal.rows);

    setText(this.status, "Starting shell…");
    this.element.dataset.state = "opening";
    const exec = this.client.exec({
      ...this.target, container: this.container.value || undefined,
      command: SHELL, tty: true, cols: terminal.cols, rows: terminal.rows,
    });
    this.attachment = attachTerminal(terminal, exec, {
      onExit: ({ code, reason }) => {
        if (this.terminal !== terminal) return;
        this.element.dataset.state = "exited";
        setText(this.status, code === null ? `Ended: ${reason}` : `Exited with code ${code}`);
      },
    });
    exec.opened.then(
      () => {
        if (this.terminal !== terminal) return;
        this.element.dataset.state = "open";
        setText(this.status, "Connected");
        terminal.focus();
      },
      (error) => {
        if (this.terminal !== terminal) return;
        this.element.dataset.state = "failed";
        setText(this.status, describeError(error));
      },
    );
    this.resizeObserver = new ResizeObserver(() => this.fit());
    this.resizeObserver.observe(this.host);
  }

  fit() {
    if (!this.terminal || !this.host.clientWidth || !this.host.clientHeight) return;
    this.terminal.fit();
  }

  showSize(cols, rows) {
    setText(this.size, `${cols}×${rows}`);
    this.host.dataset.cols = String(cols);
    this.host.dataset.rows = String(rows);
  }

  close() {
    this.resizeObserver?.disconnect();
    this.resizeObserver = null;
    this.attachment?.dispose();
    this.attachment = null;
    this.terminal?.destroy();
    this.terminal = null;
    this.host.replaceChildren();
  }

  dispose() {
    this.close();
  }
}
