#!/usr/bin/env node
// Checks the frame interfaces of kubegale.d.ts against the protocol's JSON Schemas: the same frame
// types in each direction, the same member names, the same required/optional members, and
// compatible types. `node check-types.mjs` prints every mismatch and exits 1 when there is one.
//
// The declarations are read with a small parser for the subset documented at the top of
// kubegale.d.ts; anything in a frame interface outside that subset is reported, not skipped.

import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const defaultPaths = {
  dts: join(here, "kubegale.d.ts"),
  schemas: resolve(here, "../../protocol/schemas"),
};

// ------------------------------------------------------------------------------------------------
// Types as sets: kinds (string, number, boolean, null, object, array, any) and literal values.
// JSON Schema `integer` is the kind `number` (TypeScript has no integer type).
// ------------------------------------------------------------------------------------------------

function typeSet() {
  return { kinds: new Set(), literals: new Map() }; // literals: kind → Set of JSON-encoded values
}

function addLiteral(set, value) {
  const kind = value === null ? "null" : typeof value;
  set.kinds.add(kind);
  if (kind === "null") return;
  if (!set.literals.has(kind)) set.literals.set(kind, new Set());
  set.literals.get(kind).add(JSON.stringify(value));
}

function union(a, b) {
  const out = typeSet();
  for (const source of [a, b]) {
    for (const kind of source.kinds) out.kinds.add(kind);
  }
  // A kind stays literal-only when every side that has it lists literals.
  for (const kind of out.kinds) {
    const sides = [a, b].filter((s) => s.kinds.has(kind));
    if (sides.every((s) => s.literals.has(kind))) {
      out.literals.set(kind, new Set(sides.flatMap((s) => [...s.literals.get(kind)])));
    }
  }
  return out;
}

function describe(set) {
  const parts = [];
  for (const kind of [...set.kinds].sort()) {
    parts.push(set.literals.has(kind) ? [...set.literals.get(kind)].sort().join("|") : kind);
  }
  return parts.join(" | ") || "(nothing)";
}

// ------------------------------------------------------------------------------------------------
// The .d.ts subset
// ------------------------------------------------------------------------------------------------

const ALIASES = ["FrameId", "ClusterRef", "Channel", "Seq", "ErrorCode", "JsonObject", "SeqByChannel"];

function parseTypeExpression(text, aliases, where) {
  const set = typeSet();
  for (const raw of text.split("|")) {
    const part = raw.trim();
    if (!part) continue;
    if (part === "string" || part === "number" || part === "boolean" || part === "null") set.kinds.add(part);
    else if (part === "unknown" || part === "any") set.kinds.add("any");
    else if (part === "string[]" || part === "JsonObject[]") set.kinds.add("array");
    else if (/^"(?:[^"\\]|\\.)*"$/.test(part) || /^-?\d+(?:\.\d+)?$/.test(part)) addLiteral(set, JSON.parse(part));
    else if (part.startsWith("{") && part.endsWith("}")) set.kinds.add("object");
    else if (aliases.has(part)) Object.assign(set, union(set, aliases.get(part)));
    else throw new Error(`${where}: type "${part}" is outside the subset kubegale.d.ts documents`);
  }
  return set;
}

export function parseDeclarations(source) {
  const aliases = new Map();
  for (const name of ALIASES) {
    const match = new RegExp(`^export type ${name} = (.+);\\s*$`, "m").exec(source);
    if (!match) throw new Error(`kubegale.d.ts: alias ${name} is not declared on one line`);
    aliases.set(name, parseTypeExpression(match[1], aliases, `alias ${name}`));
  }

  const frames = { client: new Map(), server: new Map() };
  const interfacePattern = /^export interface (Client|Server)(\w+)Frame\s*(.*?)\{\s*$/gm;
  let match;
  while ((match = interfacePattern.exec(source))) {
    const [, side, stem, between] = match;
    const name = `${side}${stem}Frame`;
    if (between.trim()) throw new Error(`${name}: "extends" and generics are outside the subset`);
    const bodyStart = match.index + match[0].length;
    const bodyEnd = source.indexOf("\n}", bodyStart);
    if (bodyEnd < 0) throw new Error(`${name}: no closing brace at the start of a line`);
    const members = new Map();
    let inComment = false;
    for (const rawLine of source.slice(bodyStart, bodyEnd).split("\n")) {
      let line = rawLine.trim();
      if (inComment) {
        if (line.includes("*/")) inComment = false;
        continue;
      }
      if (line.startsWith("/*")) {
        if (!line.includes("*/")) inComment = true;
        continue;
      }
      line = line.replace(/\/\/.*$/, "").trim();
      if (!line) continue;
      const member = /^(\w+)(\?)?:\s*(.+);$/.exec(line);
      if (!member) throw new Error(`${name}: cannot read member line "${rawLine.trim()}"`);
      const [, memberName, optional, typeText] = member;
      members.set(memberName, { optional: Boolean(optional), type: parseTypeExpression(typeText, aliases, `${name}.${memberName}`) });
    }
    const typeMember = members.get("type");
    const literal = typeMember?.type.literals.get("string");
    if (!typeMember || typeMember.optional || !literal || literal.size !== 1 || typeMember.type.kinds.size !== 1) {
      throw new Error(`${name}: needs a required member type: "<frame type>"`);
    }
    const frameType = JSON.parse([...literal][0]);
    const direction = side.toLowerCase();
    if (frames[direction].has(frameType)) throw new Error(`${name}: a second ${direction} interface for frame type "${frameType}"`);
    frames[direction].set(frameType, { name, members });
  }
  return frames;
}

// ------------------------------------------------------------------------------------------------
// The schemas
// ------------------------------------------------------------------------------------------------

function loadSchemas(root) {
  const documents = new Map(); // absolute file path → parsed schema
  const read = (file) => {
    if (!documents.has(file)) documents.set(file, JSON.parse(readFileSync(file, "utf8")));
    return documents.get(file);
  };
  const resolveRef = (ref, file) => {
    const [target, pointer = ""] = ref.split("#");
    const targetFile = target ? resolve(dirname(file), target) : file;
    let node = read(targetFile);
    for (const token of pointer.split("/").filter(Boolean)) node = node[token.replace(/~1/g, "/").replace(/~0/g, "~")];
    if (node === undefined) throw new Error(`${file}: $ref ${ref} leads nowhere`);
    return { node, file: targetFile };
  };
  const schemaType = (node, file) => {
    if (node === true || node === undefined) return Object.assign(typeSet(), { kinds: new Set(["any"]) });
    let set = null;
    const add = (other) => (set = set ? intersect(set, other) : other);
    if (node.$ref) {
      const target = resolveRef(node.$ref, file);
      add(schemaType(target.node, target.file));
    }
    if (node.type !== undefined) {
      const kinds = typeSet();
      for (const kind of [].concat(node.type)) kinds.kinds.add(kind === "integer" ? "number" : kind);
      add(kinds);
    }
    if ("const" in node) {
      const literal = typeSet();
      addLiteral(literal, node.const);
      add(literal);
    }
    if (node.enum) {
      const literal = typeSet();
      for (const value of node.enum) addLiteral(literal, value);
      add(literal);
    }
    for (const keyword of ["anyOf", "oneOf"]) {
      if (node[keyword]) add(node[keyword].map((branch) => schemaType(branch, file)).reduce(union));
    }
    return set ?? Object.assign(typeSet(), { kinds: new Set(["any"]) });
  };
  const directions = {};
  for (const direction of ["client", "server"]) {
    const frames = new Map();
    const directory = join(root, direction);
    for (const entry of readdirSync(directory).filter((f) => f.endsWith(".schema.json")).sort()) {
      const file = join(directory, entry);
      const schema = read(file);
      const frameType = schema.properties?.type?.const;
      if (typeof frameType !== "string") throw new Error(`${file}: no properties.type.const`);
      const required = new Set(schema.required ?? []);
      const members = new Map();
      for (const [name, property] of Object.entries(schema.properties)) {
        members.set(name, { optional: !required.has(name), type: schemaType(property, file) });
      }
      frames.set(frameType, { file: `${direction}/${entry}`, members });
    }
    directions[direction] = frames;
  }
  return directions;
}

/** The intersection of two type sets (a schema node with both `type` and `enum`, say). */
function intersect(a, b) {
  if (a.kinds.has("any")) return b;
  if (b.kinds.has("any")) return a;
  const out = typeSet();
  for (const kind of a.kinds) {
    if (!b.kinds.has(kind)) continue;
    out.kinds.add(kind);
    const la = a.literals.get(kind);
    const lb = b.literals.get(kind);
    if (la && lb) out.literals.set(kind, new Set([...la].filter((v) => lb.has(v))));
    else if (la || lb) out.literals.set(kind, new Set(la ?? lb));
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// Comparison
// ------------------------------------------------------------------------------------------------

function compareTypes(declared, schema) {
  const withoutNull = (set) => [...set.kinds].filter((k) => k !== "null").sort().join(",");
  if (declared.kinds.has("null") && !schema.kinds.has("null")) return "declares null, which the schema does not allow";
  if (withoutNull(declared) !== withoutNull(schema)) return `declared ${describe(declared)}, schema ${describe(schema)}`;
  for (const kind of declared.kinds) {
    if (kind === "null") continue;
    const dl = declared.literals.get(kind);
    const sl = schema.literals.get(kind);
    if (!dl && !sl) continue;
    const same = dl && sl && dl.size === sl.size && [...dl].every((v) => sl.has(v));
    if (!same) return `declared ${describe(declared)}, schema ${describe(schema)}`;
  }
  return null;
}

/** Every mismatch between the declarations and the schemas, as readable sentences. */
export function checkTypes({ dts = defaultPaths.dts, dtsSource, schemas = defaultPaths.schemas } = {}) {
  const problems = [];
  let declared;
  try {
    declared = parseDeclarations(dtsSource ?? readFileSync(dts, "utf8"));
  } catch (error) {
    return [error.message];
  }
  const specified = loadSchemas(schemas);
  for (const direction of ["client", "server"]) {
    const mine = declared[direction];
    const theirs = specified[direction];
    for (const frameType of theirs.keys()) {
      if (!mine.has(frameType)) problems.push(`${direction} frame "${frameType}" (${theirs.get(frameType).file}) has no interface in kubegale.d.ts`);
    }
    for (const [frameType, { name }] of mine) {
      if (!theirs.has(frameType)) problems.push(`${name}: the schemas have no ${direction} frame "${frameType}"`);
    }
    for (const [frameType, { name, members }] of mine) {
      const schema = theirs.get(frameType);
      if (!schema) continue;
      for (const member of schema.members.keys()) {
        if (!members.has(member)) problems.push(`${name}: missing member "${member}" (${schema.file})`);
      }
      for (const [member, info] of members) {
        const specifiedMember = schema.members.get(member);
        if (!specifiedMember) {
          problems.push(`${name}.${member}: not a member of ${schema.file}`);
          continue;
        }
        if (info.optional !== specifiedMember.optional) {
          problems.push(`${name}.${member}: declared ${info.optional ? "optional" : "required"}, ${schema.file} has it ${specifiedMember.optional ? "optional" : "required"}`);
        }
        const typeProblem = compareTypes(info.type, specifiedMember.type);
        if (typeProblem) problems.push(`${name}.${member}: ${typeProblem} (${schema.file})`);
      }
    }
  }
  return problems;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const problems = checkTypes();
  if (problems.length) {
    console.error(`kubegale.d.ts does not match the protocol schemas:\n  - ${problems.join("\n  - ")}`);
    process.exit(1);
  }
  console.log("kubegale.d.ts matches protocol/schemas: every client and server frame, member, optionality and type.");
}
