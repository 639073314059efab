// JSON patch (RFC 6902) with JSON pointers (RFC 6901). A failing op rejects the whole patch.
import { clone, deepEqual, isObject, type Json } from "./json-value.js";

export class PatchError extends Error {}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new PatchError(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function parentOf(doc: Json, tokens: string[], pointer: string): { parent: Json; last: string } {
  let node: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[arrayIndex(node, t, false, pointer)];
    else if (isObject(node) && Object.prototype.hasOwnProperty.call(node, t)) node = node[t];
    else throw new PatchError(`path "${pointer}" does not exist`);
  }
  return { parent: node, last: tokens[tokens.length - 1] };
}

function arrayIndex(arr: Json[], token: string, forInsert: boolean, pointer: string): number {
  if (forInsert && token === "-") return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new PatchError(`invalid array index "${token}" in "${pointer}"`);
  const i = Number(token);
  if (i > arr.length || (!forInsert && i === arr.length)) throw new PatchError(`array index ${i} out of bounds in "${pointer}"`);
  return i;
}

function get(doc: Json, pointer: string): Json {
  let node: Json = doc;
  for (const t of parsePointer(pointer)) {
    if (Array.isArray(node)) node = node[arrayIndex(node, t, false, pointer)];
    else if (isObject(node) && Object.prototype.hasOwnProperty.call(node, t)) node = node[t];
    else throw new PatchError(`path "${pointer}" does not exist`);
  }
  return node;
}

function add(doc: Json, pointer: string, value: Json): Json {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(doc, tokens, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, true, pointer), 0, value);
  else if (isObject(parent)) parent[last] = value;
  else throw new PatchError(`path "${pointer}" does not exist`);
  return doc;
}

function remove(doc: Json, pointer: string): Json {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw new PatchError("cannot remove the whole document");
  const { parent, last } = parentOf(doc, tokens, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, false, pointer), 1);
  else if (isObject(parent) && Object.prototype.hasOwnProperty.call(parent, last)) delete parent[last];
  else throw new PatchError(`path "${pointer}" does not exist`);
  return doc;
}

export function applyJsonPatch(target: unknown, ops: unknown): Json {
  if (!Array.isArray(ops)) throw new PatchError("a JSON patch must be an array of operations");
  let doc = clone(target) as Json;
  for (const raw of ops as Operation[]) {
    if (!isObject(raw) || typeof raw.op !== "string" || typeof raw.path !== "string")
      throw new PatchError("every JSON patch operation needs string \"op\" and \"path\"");
    switch (raw.op) {
      case "add":
        doc = add(doc, raw.path, clone(raw.value as Json));
        break;
      case "remove":
        doc = remove(doc, raw.path);
        break;
      case "replace":
        get(doc, raw.path);
        doc = add(raw.path === "" ? doc : remove(doc, raw.path), raw.path, clone(raw.value as Json));
        break;
      case "move": {
        if (typeof raw.from !== "string") throw new PatchError("move needs \"from\"");
        const value = get(doc, raw.from);
        doc = add(remove(doc, raw.from), raw.path, value);
        break;
      }
      case "copy": {
        if (typeof raw.from !== "string") throw new PatchError("copy needs \"from\"");
        doc = add(doc, raw.path, clone(get(doc, raw.from)));
        break;
      }
      case "test":
        if (!deepEqual(get(doc, raw.path), raw.value)) throw new PatchError(`testing value at "${raw.path}" failed`);
        break;
      default:
        throw new PatchError(`unexpected kind of JSON patch operation: "${raw.op}"`);
    }
  }
  return doc;
}
