// The KubeGale console: sign-in, then the cluster's live views over one WebSocket.

import { connect } from "./kubegale.js";
import { byId, h, replaceChildren, setText } from "./core/dom.js";
import { ClusterDirectory } from "./session/cluster-directory.js";
import { SocketTap } from "./session/socket-tap.js";
import { preferences, tokenStore } from "./session/token-store.js";
import { Actions } from "./views/actions.js";
import { AlertsView } from "./views/alerts-view.js";
import { ClustersView } from "./views/clusters-view.js";
import { ConfirmDialog, describeError } from "./views/confirm-dialog.js";
import { ConnectionIndicator } from "./views/connection-indicator.js";
import { DetailPanel } from "./views/detail-panel.js";
import { NamespacePicker } from "./views/namespace-picker.js";
import { OverviewView } from "./views/overview-view.js";
import { ResourceView } from "./views/resource-view.js";
import { toast } from "./views/toasts.js";
import { TopologyView } from "./views/topology-view.js";

const SECTIONS = {
  overview: { title: "Overview" },
  pods: { title: "Pods", resources: ["pods"] },
  workloads: { title: "Workloads", resources: ["deployments", "statefulsets", "daemonsets"] },
  services: { title: "Services", resources: ["services"] },
  nodes: { title: "Nodes", resources: ["nodes"] },
  events: { title: "Events", resources: ["events"] },
  topology: { title: "Topology" },
  alerts: { title: "Alerts" },
  clusters: { title: "Clusters" },
};
const DEFAULT_SECTION = "pods";

/** One signed-in session of the console. */
class Console {
  constructor(client, tap) {
    this.client = client;
    this.tap = tap;
    this.watches = new Map(); // resource → watch of the current view, for diagnostics
    this.view = null;
    // Ends every DOM listener of this session at sign-out: the page's elements outlive it.
    this.lifetime = new AbortController();
    const signal = this.lifetime.signal;
    this.indicator = new ConnectionIndicator();
    this.dialog = new ConfirmDialog({ signal });
    this.clusters = new ClusterDirectory(client, { selectedId: preferences.get("cluster") });
    this.namespaces = new NamespacePicker({
      client,
      signal,
      selected: preferences.get("namespace"),
      onChange: (namespace) => {
        preferences.set("namespace", namespace);
        this.render();
      },
    });
    this.actions = new Actions({ context: () => this.context(), dialog: this.dialog });
    this.detail = new DetailPanel({ context: () => this.context(), actions: this.actions, signal });
    this.clusterSelect = byId("cluster-select");
    this.activeCluster = null; // the cluster the views show
    this.cleanup = [];
  }

  async start() {
    this.indicator.show({ state: this.client.state });
    this.cleanup.push(
      this.client.on("state", (change) => {
        this.indicator.show(change);
        // A new session after a gateway restart: the registry may have changed meanwhile.
        if (change.state === "connected" && change.previous === "reconnecting") {
          this.clusters.refresh().catch((error) => toast(`Cannot list clusters: ${describeError(error)}`, { error: true }));
        }
      }),
      this.clusters.onChange(() => {
        this.renderClusterSelect();
        if (this.clusters.selectedId !== this.activeCluster) this.useCluster(this.clusters.selectedId);
      }),
    );
    const hello = this.client.hello;
    setText(byId("user-badge"), hello ? `${hello.subject} · ${hello.role}` : "");
    const { signal } = this.lifetime;
    this.clusterSelect.addEventListener("change", () => this.clusters.select(this.clusterSelect.value), { signal });
    window.addEventListener("hashchange", () => this.render(), { signal });
    try {
      await this.clusters.refresh();
    } catch (error) {
      toast(`Cannot list clusters: ${describeError(error)}`, { error: true });
    }
    if (this.activeCluster === null) this.useCluster(this.clusters.selectedId);
  }

  /** Shows cluster `id` (the first, a picked one, or none). */
  useCluster(id) {
    this.activeCluster = id;
    if (id) preferences.set("cluster", id);
    this.namespaces.setCluster(id);
    this.render();
  }

  get canChange() {
    return ["operator", "admin"].includes(this.client.hello?.role);
  }

  context() {
    return {
      client: this.client,
      clusterId: this.clusters.selectedId,
      namespace: this.namespaces.selected,
      canChange: this.canChange,
    };
  }

  renderClusterSelect() {
    const options = this.clusters.list.map((cluster) =>
      h("option", { value: String(cluster.id), text: `${cluster.name} (${this.clusters.stateOf(cluster)})`, selected: String(cluster.id) === this.clusters.selectedId }));
    replaceChildren(this.clusterSelect, options.length ? options : h("option", { value: "", text: "No clusters" }));
    this.clusterSelect.disabled = !options.length;
  }

  /** Shows the section named by the location hash, for the selected cluster and namespace. */
  render() {
    const name = location.hash.replace(/^#\/?/, "") || DEFAULT_SECTION;
    const section = SECTIONS[name] ? name : DEFAULT_SECTION;
    for (const link of byId("nav").querySelectorAll("a")) {
      if (link.dataset.view === section) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    this.detail.close();
    this.view?.dispose();
    this.view = null;
    const main = byId("main");
    main.dataset.view = section;
    const cluster = this.clusters.selected;
    if (section === "clusters") {
      this.view = new ClustersView({
        clusters: this.clusters, isAdmin: this.client.hello?.role === "admin",
        onSelect: (id) => {
          location.hash = `#/${DEFAULT_SECTION}`;
          this.clusters.select(id);
        },
      });
    } else if (!cluster) {
      replaceChildren(main, h("div", { class: "empty-state", id: "no-cluster" },
        h("p", { text: "No cluster is registered, or your token reaches none." }),
        h("a", { href: "#/clusters", text: "Clusters" })));
      return;
    } else if (section === "overview") {
      this.view = new OverviewView({ client: this.client, clusterId: cluster.id, clusterName: cluster.name });
    } else if (section === "topology") {
      this.view = new TopologyView({ context: this.context(), detail: this.detail });
    } else if (section === "alerts") {
      this.view = new AlertsView({ context: this.context(), actions: this.actions });
    } else {
      this.view = new ResourceView({
        title: SECTIONS[section].title,
        resources: SECTIONS[section].resources,
        context: this.context(),
        actions: this.actions,
        detail: this.detail,
        watches: this.watches,
      });
    }
    replaceChildren(main, this.view.element);
  }

  /** Ends the session: every view, then the socket. */
  stop() {
    this.lifetime.abort();
    this.detail.close();
    this.view?.dispose();
    this.namespaces.dispose();
    for (const off of this.cleanup) off();
    this.client.close();
  }

  /** What the browser tests (and a curious person in the devtools) can look at and do. */
  diagnostics() {
    const tap = this.tap;
    return {
      client: this.client,
      /** The WebSocket in use. */
      get socket() {
        return tap.current;
      },
      /** `ws.extensions` of the socket in use: `permessage-deflate; …` when compression was negotiated. */
      extensions: () => tap.extensions,
      /** Sockets opened since sign-in. */
      socketsOpened: () => tap.opened,
      /** Closes the socket without the client asking (it reconnects and resumes). */
      dropSocket: () => tap.drop(),
      /** While offline, every new socket fails as in a network outage. */
      setOffline: (offline) => {
        tap.offline = Boolean(offline);
      },
      /** Records `{type, channel, seq, event, session}` of every text frame from now on. */
      recordFrames: () => tap.startRecording(),
      frames: () => tap.frames ?? [],
      /** The live collections of the current view: resource → channel, lastSeq, size, synced. */
      collections: () => Object.fromEntries([...this.watches].map(([resource, watch]) => [resource, {
        channel: watch.channel, lastSeq: watch.lastSeq, status: watch.status, synced: watch.synced,
        resourceVersion: watch.resourceVersion, size: watch.objects.size,
        names: watch.list().map((object) => object.metadata?.name),
      }])),
      detail: this.detail,
    };
  }
}

// Sign-in ---------------------------------------------------------------------------------

const signIn = {
  section: byId("sign-in"),
  form: byId("sign-in-form"),
  input: byId("token-input"),
  error: byId("sign-in-error"),
  button: byId("sign-in-button"),
};
let session = null;

function showSignIn(message = "") {
  byId("app").hidden = true;
  signIn.section.hidden = false;
  signIn.error.hidden = !message;
  signIn.error.textContent = message;
  signIn.button.disabled = false;
  signIn.button.textContent = "Sign in";
  signIn.input.focus();
}

/** The sign-in card while a token is being tried (the gateway may take a while to answer). */
function showConnecting() {
  byId("app").hidden = true;
  signIn.section.hidden = false;
  signIn.error.hidden = true;
  signIn.button.disabled = true;
  signIn.button.textContent = "Connecting…";
}

/** Connects with `token`; on success the token is kept for the tab and the console shown. */
async function begin(token) {
  showConnecting();
  const tap = new SocketTap();
  const client = connect(location.origin, {
    token,
    WebSocket: tap.WebSocket,
    reconnect: { minDelay: 250, maxDelay: 5000 },
  });
  try {
    await client.ready();
  } catch (error) {
    client.close();
    tokenStore.clear();
    showSignIn(`Sign-in failed: ${describeError(error)}`);
    return;
  }
  tokenStore.set(token);
  signIn.input.value = ""; // the token lives in sessionStorage only, not in the page
  signIn.section.hidden = true;
  byId("app").hidden = false;
  session = new Console(client, tap);
  window.kubegale = session.diagnostics();
  client.on("state", ({ state, error }) => {
    // Closed for good while signed in: the token expired or was revoked.
    if (state === "closed" && session?.client === client && error) endSession(`Signed out: ${describeError(error)}`);
  });
  await session.start();
}

function endSession(message = "") {
  const ending = session;
  session = null;
  window.kubegale = undefined;
  ending?.stop();
  tokenStore.clear();
  showSignIn(message);
}

signIn.form.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = signIn.input.value.trim().replace(/^Bearer\s+/i, "");
  if (token) begin(token);
});
byId("sign-out").addEventListener("click", () => endSession());

const stored = tokenStore.get();
if (stored) begin(stored);
else showSignIn();
