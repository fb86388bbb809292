// The layered layout of a topology graph: one column per stage of the way traffic and ownership
// run (Ingress → Service → workloads → ReplicaSets and Jobs → Pods → what pods use → Nodes and
// volumes), nodes placed top to bottom in each column, near the nodes leading to them. Pure:
// nodes and edges in, positions out.

/** Columns, left to right, by kind; kinds not listed go into the last column. */
export const COLUMNS = [
  ["Ingress"],
  ["Service"],
  ["Deployment", "StatefulSet", "DaemonSet", "CronJob", "Endpoints"],
  ["ReplicaSet", "Job"],
  ["Pod"],
  ["PersistentVolumeClaim", "ConfigMap", "Secret"],
  ["PersistentVolume", "Node"],
];

const KIND_COLUMN = new Map(COLUMNS.flatMap((kinds, column) => kinds.map((kind, order) => [kind, { column, order }])));

export const GEOMETRY = { nodeWidth: 172, nodeHeight: 34, columnGap: 52, rowGap: 12, padding: 16 };

/**
 * Positions of `nodes` (`{id, kind, name}`) given `edges` (`{from, to}`): `{positions: Map id →
 * {x, y, column}, width, height}`. Empty columns take no room. In a column, nodes are grouped by
 * kind; within a kind, a node with edges from earlier columns sits at the mean height of those
 * (ties and the others by name), so that a ReplicaSet's pods stay together.
 */
export function layout(nodes, edges, geometry = GEOMETRY) {
  const { nodeWidth, nodeHeight, columnGap, rowGap, padding } = geometry;
  const placeOf = (kind) => KIND_COLUMN.get(kind) ?? { column: COLUMNS.length, order: 0 };
  const incoming = new Map(); // id → ids of the nodes with an edge to it
  for (const edge of edges) {
    if (!incoming.has(edge.to)) incoming.set(edge.to, []);
    incoming.get(edge.to).push(edge.from);
  }
  const columns = new Map(); // column index → nodes
  for (const node of nodes) {
    const { column } = placeOf(node.kind);
    if (!columns.has(column)) columns.set(column, []);
    columns.get(column).push(node);
  }
  const rows = new Map(); // id → row index in its column
  const positions = new Map();
  const used = [...columns.keys()].sort((a, b) => a - b);
  const tallest = Math.max(0, ...used.map((column) => columns.get(column).length));
  const height = padding * 2 + Math.max(1, tallest) * (nodeHeight + rowGap) - rowGap;
  used.forEach((column, slot) => {
    const members = columns.get(column);
    const rank = new Map(members.map((node) => [node.id, meanRow(node, incoming, rows, positions, column)]));
    members.sort((a, b) =>
      placeOf(a.kind).order - placeOf(b.kind).order
      || compareRank(rank.get(a.id), rank.get(b.id))
      || a.name.localeCompare(b.name));
    // Columns shorter than the tallest are centred on it.
    const offset = ((tallest - members.length) * (nodeHeight + rowGap)) / 2;
    members.forEach((node, row) => {
      rows.set(node.id, row);
      positions.set(node.id, {
        x: padding + slot * (nodeWidth + columnGap),
        y: padding + offset + row * (nodeHeight + rowGap),
        column,
      });
    });
  });
  const width = padding * 2 + Math.max(1, used.length) * (nodeWidth + columnGap) - columnGap;
  return { positions, width, height };
}

/** The mean height of the already placed nodes with an edge to `node`, or null. */
function meanRow(node, incoming, rows, positions, column) {
  const placed = (incoming.get(node.id) ?? []).filter((id) => positions.has(id) && positions.get(id).column < column);
  if (!placed.length) return null;
  return placed.reduce((sum, id) => sum + positions.get(id).y, 0) / placed.length;
}

function compareRank(a, b) {
  if (a === null && b === null) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a - b;
}

/** The SVG path of an edge from the right side of one box to the left side of another. */
export function edgePath(from, to, geometry = GEOMETRY) {
  const { nodeWidth, nodeHeight } = geometry;
  const startY = from.y + nodeHeight / 2;
  const endY = to.y + nodeHeight / 2;
  if (to.x > from.x) {
    const startX = from.x + nodeWidth;
    const endX = to.x;
    const bend = (endX - startX) / 2;
    return `M${startX},${startY} C${startX + bend},${startY} ${endX - bend},${endY} ${endX},${endY}`;
  }
  // Within a column (or backwards): a loop out to the right.
  const x = Math.max(from.x, to.x) + nodeWidth;
  return `M${from.x + nodeWidth},${startY} C${x + 40},${startY} ${x + 40},${endY} ${to.x + nodeWidth},${endY}`;
}
