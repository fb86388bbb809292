// The clusters the token may reach, the selected one, and each one's live state: the registry's
// `status` at listing time, then the gateway's `status` frames (connected, reconnecting,
// unreachable) as they come.

export class ClusterDirectory {
  constructor(client, { selectedId = "" } = {}) {
    this.client = client;
    this.list = [];
    this.selectedId = String(selectedId);
    this.listeners = new Set();
    this.live = new Map(); // cluster id → last status frame state
    client.on("status", (frame) => {
      this.live.set(String(frame.cluster), frame.state);
      this.changed();
    });
  }

  /** Lists the clusters again (first load, after a registration, after a reconnect). */
  async refresh() {
    const { data } = await this.client.request("GET", "/clusters", undefined, { query: { page: 1, pageSize: 500 } });
    this.list = data.items ?? data.list ?? [];
    if (!this.list.some((cluster) => String(cluster.id) === this.selectedId)) {
      this.selectedId = this.list.length ? String(this.list[0].id) : "";
    }
    this.changed();
  }

  get selected() {
    return this.list.find((cluster) => String(cluster.id) === this.selectedId) ?? null;
  }

  select(id) {
    this.selectedId = String(id);
    this.changed();
  }

  /** `connected`, `reconnecting`, `unreachable` from the stream, else the registry's status. */
  stateOf(cluster) {
    return this.live.get(String(cluster.id)) ?? cluster.status ?? "unknown";
  }

  async register(cluster) {
    const envelope = await this.client.request("POST", "/clusters", cluster);
    await this.refresh();
    return envelope;
  }

  onChange(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed() {
    for (const listener of this.listeners) listener();
  }
}
