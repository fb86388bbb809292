// A table that mirrors a watch: one `tr[data-uid][data-name]` per object, kept in order, and
// updated once per animation frame for every object that changed since the last one.

import { h, setText } from "../core/dom.js";
import { FrameBatch } from "../core/frame.js";

const AGE_REFRESH_MS = 10_000;

/** The key the client's watch uses for an object: its uid, else namespace/name. */
export function objectKey(object) {
  const metadata = object?.metadata ?? {};
  return metadata.uid || `${metadata.namespace ?? ""}/${metadata.name ?? ""}`;
}

/** Default order: by namespace, then name. */
export function byNamespaceAndName(a, b) {
  const left = a.metadata ?? {};
  const right = b.metadata ?? {};
  return (left.namespace ?? "").localeCompare(right.namespace ?? "") || (left.name ?? "").localeCompare(right.name ?? "");
}

export class LiveTable {
  /**
   * - `id`: the table's id (`pods-table`); the panel, filter and count derive theirs from it;
   * - `title`, `emptyText`;
   * - `watch`: a started watch of the client;
   * - `columns`: `[{label, value(object) → text, tone?(object), className?, open?}]`, where
   *   `open` makes the cell a link that calls `onOpen(object)`;
   * - `actions(object)`: `[{name, label, run(object)}]` buttons of a row (may be empty);
   * - `compare(a, b)`: row order.
   */
  constructor({ id, title, emptyText = "Nothing here.", watch, columns, actions = () => [], compare = byNamespaceAndName, onOpen = () => {} }) {
    this.watch = watch;
    this.columns = columns;
    this.actions = actions;
    this.compare = compare;
    this.onOpen = onOpen;
    this.rows = new Map(); // key → tr
    this.filterText = "";
    this.batch = new FrameBatch((keys, everything) => this.flush(keys, everything));

    this.count = h("span", { class: "count", id: `${id}-count`, text: "…" });
    this.status = h("span", { class: "stream-status", id: `${id}-status` });
    this.filter = h("input", {
      type: "search", id: `${id}-filter`, placeholder: "Filter by name…", "aria-label": `Filter ${title}`,
      on: { input: () => { this.filterText = this.filter.value.trim().toLowerCase(); this.applyFilter(); } },
    });
    this.tbody = h("tbody");
    this.emptyRow = h("tr", { class: "table-empty" }, h("td", { colspan: columns.length + 1, text: "Loading…" }));
    this.emptyText = emptyText;
    this.tbody.append(this.emptyRow);
    this.table = h("table", { class: "grid", id, dataset: { synced: "false" } },
      h("thead", {}, h("tr", {}, columns.map((column) => h("th", { text: column.label })), h("th", { "aria-label": "Actions" }))),
      this.tbody);
    this.element = h("section", { class: "panel", id: `${id}-panel` },
      h("div", { class: "panel-header" }, h("h2", { text: title }), this.count, this.status, this.filter),
      h("div", { class: "table-wrap" }, this.table));

    this.unsubscribe = [
      watch.on("change", ({ object }) => this.batch.mark(objectKey(object))),
      watch.on("synced", () => this.batch.markAll()),
      watch.on("resync", () => this.showStatus("resyncing…")),
      watch.on("status", ({ status, reason }) => this.showStatus(status === "connected" ? "" : `${status}${reason ? `: ${reason}` : ""}`)),
      watch.on("error", (error) => this.showStatus(error.msg || error.message)),
    ];
    this.ageTimer = setInterval(() => this.batch.markAll(), AGE_REFRESH_MS);
    if (watch.synced) this.batch.markAll();
  }

  /** Stops updating and closes the watch. */
  dispose() {
    clearInterval(this.ageTimer);
    this.batch.cancel();
    for (const off of this.unsubscribe) off();
    this.watch.close();
  }

  showStatus(text) {
    setText(this.status, text);
  }

  flush(keys, everything) {
    const objects = this.watch.objects;
    this.emptyRow.remove();
    if (everything) {
      for (const [key, object] of objects) this.upsert(key, object, { place: false });
      for (const key of [...this.rows.keys()]) if (!objects.has(key)) this.remove(key);
      this.sortAll();
      if (this.watch.synced) {
        this.table.dataset.synced = "true";
        this.showStatus("");
      }
    } else {
      for (const key of keys) {
        const object = objects.get(key);
        if (object) this.upsert(key, object);
        else this.remove(key);
      }
    }
    this.table.dataset.rows = String(this.rows.size);
    setText(this.count, this.rows.size);
    if (!this.rows.size) {
      setText(this.emptyRow.firstChild, this.watch.synced ? this.emptyText : "Loading…");
      this.tbody.append(this.emptyRow);
    }
  }

  /** Creates or refreshes the row of `key`; `place: false` leaves ordering to sortAll(). */
  upsert(key, object, { place = true } = {}) {
    let row = this.rows.get(key);
    if (!row) {
      row = this.createRow(key, object);
      this.rows.set(key, row);
      if (this.table.dataset.synced === "true") row.classList.add("flash");
      if (place) this.insertInOrder(row);
      else this.tbody.append(row);
      return;
    }
    const changed = row.object !== object;
    row.object = object;
    this.fillRow(row, object); // also when unchanged: ages move on
    if (changed && place && !this.inOrder(row)) {
      row.remove();
      this.insertInOrder(row);
    }
  }

  remove(key) {
    this.rows.get(key)?.remove();
    this.rows.delete(key);
  }

  createRow(key, object) {
    const metadata = object.metadata ?? {};
    const row = h("tr", { dataset: { uid: key, name: metadata.name ?? "", namespace: metadata.namespace ?? "" } });
    row.object = object;
    for (const column of this.columns) {
      const cell = h("td", { class: column.className });
      if (column.open) {
        cell.append(h("button", { type: "button", class: "name-link", on: { click: () => this.onOpen(row.object) } }));
      } else if (column.tone) {
        cell.append(h("span", { class: "badge" }));
      }
      row.append(cell);
    }
    row.append(h("td", { class: "actions" },
      this.actions(object).map((action) =>
        h("button", {
          type: "button", class: ["small", action.danger && "danger-text"], dataset: { action: action.name },
          title: action.title ?? action.label, text: action.label,
          on: { click: () => action.run(row.object) },
        }))));
    this.fillRow(row, object);
    this.matchFilter(row);
    return row;
  }

  fillRow(row, object) {
    this.columns.forEach((column, index) => {
      const cell = row.cells[index];
      const text = column.value(object) ?? "";
      const target = cell.firstElementChild ?? cell;
      setText(target, text);
      if (column.tone) {
        const tone = `badge tone-${column.tone(object)}`;
        if (target.className !== tone) target.className = tone;
      }
    });
  }

  /** Inserts a row where `compare` puts it: a binary search over the body's rows. */
  insertInOrder(row) {
    const rows = this.tbody.rows;
    let low = 0;
    let high = rows.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.compare(rows[middle].object, row.object) <= 0) low = middle + 1;
      else high = middle;
    }
    this.tbody.insertBefore(row, rows[low] ?? null);
  }

  inOrder(row) {
    const previous = row.previousElementSibling;
    const next = row.nextElementSibling;
    return (!previous || this.compare(previous.object, row.object) <= 0) && (!next || this.compare(row.object, next.object) <= 0);
  }

  /** Puts every row in order, moving only those out of place. */
  sortAll() {
    const ordered = [...this.rows.values()].sort((a, b) => this.compare(a.object, b.object));
    const rows = this.tbody.rows;
    ordered.forEach((row, index) => {
      if (rows[index] !== row) this.tbody.insertBefore(row, rows[index] ?? null);
    });
  }

  applyFilter() {
    for (const row of this.rows.values()) this.matchFilter(row);
  }

  matchFilter(row) {
    row.hidden = Boolean(this.filterText) && !row.dataset.name.toLowerCase().includes(this.filterText);
  }
}
