// JSON → YAML, for showing Kubernetes objects the way `kubectl get -o yaml` does: block style,
// two-space indents, list items under their key at the same indent, strings quoted only where
// plain YAML would read them as something else, multi-line strings as literal blocks.

const INDENT = "  ";

/** YAML text for a JSON value (objects, arrays, strings, numbers, booleans, null). */
export function toYAML(value) {
  if (isScalar(value) || isEmptyCollection(value)) return `${scalar(value)}\n`;
  return lines(value, "").join("\n") + "\n";
}

/**
 * A Kubernetes object prepared for display: `metadata.managedFields` left out (server-side
 * apply bookkeeping, long and of no use to a reader); everything else kept.
 */
export function withoutManagedFields(object) {
  if (!object || typeof object !== "object" || !object.metadata?.managedFields) return object;
  const { managedFields: _hidden, ...metadata } = object.metadata;
  return { ...object, metadata };
}

function lines(value, indent) {
  return Array.isArray(value) ? arrayLines(value, indent) : objectLines(value, indent);
}

function objectLines(object, indent) {
  const out = [];
  for (const [key, child] of Object.entries(object)) {
    if (child === undefined) continue;
    const name = `${indent}${keyText(key)}:`;
    if (isScalar(child) || isEmptyCollection(child)) {
      out.push(...scalarAfter(name, child, indent));
    } else if (Array.isArray(child)) {
      out.push(name, ...arrayLines(child, indent)); // kubectl style: "- " at the key's indent
    } else {
      out.push(name, ...objectLines(child, indent + INDENT));
    }
  }
  return out;
}

function arrayLines(array, indent) {
  const out = [];
  for (const item of array) {
    if (isScalar(item) || isEmptyCollection(item)) {
      out.push(...scalarAfter(`${indent}-`, item, indent));
    } else {
      // The first line of a nested collection shares the dash's line.
      const nested = lines(item, indent + INDENT);
      out.push(`${indent}- ${nested[0].slice(indent.length + INDENT.length)}`, ...nested.slice(1));
    }
  }
  return out;
}

/** `prefix value`, or `prefix |` followed by an indented block for multi-line strings. */
function scalarAfter(prefix, value, indent) {
  if (typeof value === "string" && value.includes("\n") && !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(value)) {
    const body = value.endsWith("\n") ? value.slice(0, -1) : value;
    const chomp = value.endsWith("\n") ? (value.endsWith("\n\n") ? "+" : "") : "-";
    const firstLine = body.split("\n").find((line) => line.trim() !== "") ?? "";
    const leading = /^[ \t]/.test(firstLine) ? "2" : ""; // an explicit indent when the text starts indented
    const blockIndent = indent + INDENT;
    return [`${prefix} |${leading}${chomp}`, ...body.split("\n").map((line) => (line ? blockIndent + line : ""))];
  }
  return [`${prefix} ${scalar(value)}`];
}

function scalar(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "[]";
  if (typeof value === "object") return "{}";
  if (typeof value === "string") return stringText(value);
  return String(value);
}

function isScalar(value) {
  return value === null || typeof value !== "object";
}

function isEmptyCollection(value) {
  return typeof value === "object" && value !== null && Object.keys(value).length === 0;
}

function keyText(key) {
  return needsQuotes(key) ? JSON.stringify(key) : key;
}

function stringText(text) {
  return needsQuotes(text) ? quoted(text) : text;
}

/** Single quotes where they suffice (the common case of `"*"`, `"80"`, `"true"`), else JSON's. */
function quoted(text) {
  if (!/[\u0000-\u001f\u007f\u2028\u2029]/.test(text)) return `'${text.replaceAll("'", "''")}'`;
  return JSON.stringify(text);
}

// Plain scalars YAML 1.1/1.2 would read as something other than this string.
const RESERVED = /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N)$/;
const NUMBER = /^[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$|^0x[0-9a-fA-F]+$|^0o?[0-7]+$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$/;
const TIMESTAMP_LIKE = /^\d{4}-\d\d?-\d\d?(?:$|[Tt ])/; // quoted like kubectl does

function needsQuotes(text) {
  if (text === "") return true;
  if (RESERVED.test(text) || NUMBER.test(text)) return true;
  if (TIMESTAMP_LIKE.test(text)) return true;
  if (/^\s|\s$/.test(text)) return true;
  if (/^[?:,\[\]{}#&*!|>'"%@`]/.test(text) || /^-(?:\s|$)/.test(text) || text.startsWith("---")) return true;
  if (/: |:$| #|[\u0000-\u001f\u007f\u2028\u2029]/.test(text)) return true;
  return false;
}
