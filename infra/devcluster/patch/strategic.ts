// Strategic merge patch, the subset kubectl sends for built-in kinds: maps merge, null deletes,
// lists replace unless the field's patch strategy is "merge" (merged by key, or as a set for
// primitives), plus the directives $patch (replace/delete), $retainKeys, $deleteFromPrimitiveList/<f>
// and $setElementOrder/<f>.
import { deepEqual, isObject, type Json, type JsonObject } from "./json-value.js";
import { PatchError } from "./json-patch.js";

export interface ListStrategy {
  /** Merge key for lists of objects; absent for lists of primitives merged as sets. */
  key?: string;
}

/** Looks up the patch strategy of a field by its dotted path without list indices ("metadata.finalizers"). */
export type StrategyLookup = (path: string) => ListStrategy | undefined;

const DELETE_PRIMITIVE = "$deleteFromPrimitiveList/";
const SET_ORDER = "$setElementOrder/";

export function applyStrategicMergePatch(original: unknown, patch: unknown, lookup: StrategyLookup): Json {
  if (!isObject(patch)) throw new PatchError("a strategic merge patch must be a JSON object");
  const merged = mergeMap(isObject(original) ? original : {}, patch, "", lookup);
  if (merged === undefined) throw new PatchError("a strategic merge patch cannot delete the whole object");
  return merged;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function mergeMap(original: JsonObject, patch: JsonObject, path: string, lookup: StrategyLookup): JsonObject | undefined {
  const directive = patch["$patch"];
  if (directive === "delete") return undefined;
  if (directive === "replace") return withoutDirectives(patch);
  if (directive !== undefined && directive !== "merge") throw new PatchError(`unknown patch directive "${String(directive)}"`);

  const result: JsonObject = { ...original };
  const retain = patch["$retainKeys"];
  if (Array.isArray(retain)) {
    for (const k of Object.keys(result)) if (!retain.includes(k)) delete result[k];
  }
  const orders: Array<[string, Json[]]> = [];
  const deletions: Array<[string, Json[]]> = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === "$patch" || key === "$retainKeys") continue;
    if (key.startsWith(DELETE_PRIMITIVE)) {
      if (!Array.isArray(value)) throw new PatchError(`${key} must be a list`);
      deletions.push([key.slice(DELETE_PRIMITIVE.length), value]);
      continue;
    }
    if (key.startsWith(SET_ORDER)) {
      if (!Array.isArray(value)) throw new PatchError(`${key} must be a list`);
      orders.push([key.slice(SET_ORDER.length), value]);
      continue;
    }
    const fieldPath = join(path, key);
    if (value === null) {
      delete result[key];
    } else if (isObject(value)) {
      const merged = mergeMap(isObject(result[key]) ? (result[key] as JsonObject) : {}, value, fieldPath, lookup);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else if (Array.isArray(value)) {
      const strategy = lookup(fieldPath);
      const current = Array.isArray(result[key]) ? (result[key] as Json[]) : [];
      result[key] = strategy ? mergeList(current, value, strategy, fieldPath, lookup) : value.map(stripNested);
    } else {
      result[key] = value;
    }
  }
  for (const [field, values] of deletions) {
    const list = result[field];
    if (Array.isArray(list)) result[field] = list.filter((item) => !values.some((v) => deepEqual(v, item)));
  }
  for (const [field, order] of orders) {
    const list = result[field];
    if (Array.isArray(list)) result[field] = reorder(list, order, lookup(join(path, field))?.key);
  }
  return result;
}

function mergeList(current: Json[], patch: Json[], strategy: ListStrategy, path: string, lookup: StrategyLookup): Json[] {
  if (patch.some((p) => isObject(p) && p["$patch"] === "replace")) {
    return patch.filter((p) => !(isObject(p) && p["$patch"] === "replace")).map(stripNested);
  }
  const key = strategy.key;
  if (!key) {
    const out = [...current];
    for (const item of patch) if (!out.some((c) => deepEqual(c, item))) out.push(item);
    return out;
  }
  const out = [...current];
  for (const item of patch) {
    if (!isObject(item)) throw new PatchError(`list ${path} merges by key "${key}", but an item is not an object`);
    const idx = out.findIndex((c) => isObject(c) && deepEqual(c[key], item[key]));
    if (item["$patch"] === "delete") {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) {
      const merged = mergeMap(out[idx] as JsonObject, item, path, lookup);
      if (merged === undefined) out.splice(idx, 1);
      else out[idx] = merged;
    } else {
      out.push(withoutDirectives(item));
    }
  }
  return out;
}

function reorder(list: Json[], order: Json[], key: string | undefined): Json[] {
  const rank = (item: Json): number => {
    const probe = key && isObject(item) ? item[key] : item;
    const i = order.findIndex((o) => deepEqual(key && isObject(o) ? o[key] : o, probe));
    return i < 0 ? order.length : i;
  };
  return list
    .map((item, i) => ({ item, i, r: rank(item) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((e) => e.item);
}

function withoutDirectives(obj: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === "$patch" || k === "$retainKeys" || k.startsWith(DELETE_PRIMITIVE) || k.startsWith(SET_ORDER)) continue;
    out[k] = stripNested(v);
  }
  return out;
}

function stripNested(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripNested);
  if (isObject(v)) return withoutDirectives(v);
  return v;
}
