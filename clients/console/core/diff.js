// The leaves in which two versions of a Kubernetes object differ, for showing what an update
// will change. Bookkeeping the server rewrites on every write is left out.

const IGNORED = new Set(["metadata.resourceVersion", "metadata.managedFields", "metadata.generation", "status"]);

/** `[{path, before, after}]`, paths like `spec.template.metadata.annotations["a/b"]`; at most `limit`. */
export function changedPaths(before, after, limit = 30) {
  const changes = [];
  walk(before, after, "", changes, limit);
  return changes;
}

function walk(before, after, path, changes, limit) {
  if (changes.length >= limit || IGNORED.has(path)) return;
  if (isObject(before) && isObject(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const key of [...keys].sort()) walk(before[key], after[key], join(path, key), changes, limit);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    before.forEach((item, index) => walk(item, after[index], `${path}[${index}]`, changes, limit));
    return;
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) changes.push({ path, before, after });
}

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function join(path, key) {
  const part = /^[A-Za-z_][\w-]*$/.test(key) ? key : JSON.stringify(key);
  if (!path) return part;
  return part.startsWith('"') ? `${path}[${part}]` : `${path}.${part}`;
}
