// OpenAPI v3 value validation of a custom resource, with kube-openapi's wording and field names
// (`spec.x in body must be of type integer: "string"`), plus the structural checks kube runs after
// it: list-type set/map uniqueness and embedded-resource TypeMeta.
//
// On update, a subtree equal to the old object's subtree at the same correlatable path is skipped:
// kube (CRDValidationRatcheting, on by default since v1.30) does not reject what was not changed.
import { fieldErrors, ROOT_FIELD, type FieldError } from "./errors.js";
import { formatChecker } from "./formats.js";
import { isObject, jsonEqual, jsonTypeOf, type JsonObject } from "./json.js";
import type { SchemaNode } from "./node.js";

/** Marks "no old value at this path" (distinct from an old value that is null). */
export const NO_OLD: unique symbol = Symbol("no old value");
export type Old = unknown | typeof NO_OLD;

function childName(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

function fieldOf(path: string): string {
  return path === "" ? ROOT_FIELD : path;
}

/** The old value of a property, when the old value is an object that has it. */
export function oldChild(old: Old, key: string): Old {
  if (old === NO_OLD || !isObject(old) || !Object.prototype.hasOwnProperty.call(old, key)) return NO_OLD;
  return old[key];
}

/** For list-type=map lists: the old items by their key fields, so new items correlate with old ones. */
export function oldItemsByKey(node: SchemaNode, old: Old): Map<string, unknown> | undefined {
  if (node.listType !== "map" || old === NO_OLD || !Array.isArray(old)) return undefined;
  const byKey = new Map<string, unknown>();
  for (const item of old) if (isObject(item)) byKey.set(listMapKey(node, item), item);
  return byKey;
}

export function listMapKey(node: SchemaNode, item: JsonObject): string {
  return JSON.stringify(node.listMapKeys.map((k) => item[k] ?? null));
}

/** kube-openapi's validation of `value` against `node`; errors are appended in walk order. */
export function validateValue(node: SchemaNode, value: unknown, old: Old, path: string, isRoot: boolean, out: FieldError[]): void {
  if (old !== NO_OLD && jsonEqual(value, old)) return;
  const field = fieldOf(path);
  const types = node.allowedTypes;

  if (value === null || value === undefined) {
    if (types.length > 0 && !node.nullable) {
      out.push(fieldErrors.typeInvalid(field, "null", `${path} in body must be of type ${types.join(",")}: "null"`));
    }
    if (node.enumKeys && !node.enumKeys.has("null")) out.push(fieldErrors.notSupported(field, null, enumStrings(node)));
    return;
  }

  // kube-openapi's validator order: type, allOf/anyOf/oneOf/not, string, format, number, list,
  // enum, object. A type mismatch does not stop the validators that apply to the actual kind.
  if (types.length > 0) typeMatches(node, value, path, field, out);
  if (node.allOf || node.anyOf || node.oneOf || node.not) validateJunctors(node, value, path, out);
  if (typeof value === "string") validateString(node, value, path, field, out);
  else if (typeof value === "number") validateNumber(node, value, path, field, out);
  else if (Array.isArray(value)) validateArray(node, value, old, path, field, out);
  if (node.enumKeys && !node.enumKeys.has(JSON.stringify(value))) {
    out.push(fieldErrors.notSupported(field, value, enumStrings(node)));
  }
  if (isObject(value)) validateObject(node, value, old, path, field, isRoot, out);
}

/** Errors of validating `value` against a nested (value-validation-only) schema. */
function nestedErrors(node: SchemaNode, value: unknown, path: string): FieldError[] {
  const errors: FieldError[] = [];
  validateValue(node, value, NO_OLD, path, false, errors);
  return errors;
}

/**
 * allOf/anyOf/oneOf/not. Their own verdicts are not field errors in kube-openapi, so kube reports
 * them at the object's root as `Invalid value: ""`; the closest failing branch's errors follow.
 */
function validateJunctors(node: SchemaNode, value: unknown, path: string, out: FieldError[]): void {
  if (node.anyOf) {
    let best: FieldError[] | undefined;
    let matched = false;
    for (const branch of node.anyOf) {
      const errors = nestedErrors(branch, value, path);
      if (errors.length === 0) {
        matched = true;
        break;
      }
      if (!best || errors.length < best.length) best = errors;
    }
    if (!matched) {
      out.push(fieldErrors.invalid(ROOT_FIELD, "", `${path} must validate at least one schema (anyOf)`));
      out.push(...(best ?? []));
    }
  }
  if (node.oneOf) {
    let best: FieldError[] | undefined;
    let valid = 0;
    for (const branch of node.oneOf) {
      const errors = nestedErrors(branch, value, path);
      if (errors.length === 0) valid++;
      else if (valid === 0 && (!best || errors.length < best.length)) best = errors;
    }
    if (valid !== 1) {
      const found = valid === 0 ? "Found none valid" : `Found ${valid} valid alternatives`;
      out.push(fieldErrors.invalid(ROOT_FIELD, "", `${path} must validate one and only one schema (oneOf). ${found}`));
      if (valid === 0) out.push(...(best ?? []));
    }
  }
  if (node.allOf) {
    let validated = 0;
    for (const branch of node.allOf) {
      const errors = nestedErrors(branch, value, path);
      if (errors.length === 0) validated++;
      out.push(...errors);
    }
    if (validated !== node.allOf.length) {
      const none = validated === 0 ? ". None validated" : "";
      out.push(fieldErrors.invalid(ROOT_FIELD, "", `${path} must validate all the schemas (allOf)${none}`));
    }
  }
  if (node.not && nestedErrors(node.not, value, path).length === 0) {
    out.push(fieldErrors.invalid(ROOT_FIELD, "", `${path} must not validate the schema (not)`));
  }
}

function enumStrings(node: SchemaNode): string[] {
  return (node.enumValues ?? []).map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
}

/** kube-openapi's type validator, format quirks included. Returns false after reporting a mismatch. */
function typeMatches(node: SchemaNode, value: unknown, path: string, field: string, out: FieldError[]): boolean {
  const types = node.allowedTypes;
  const actual = jsonTypeOf(value);
  const stringOrSlice = typeof value === "string" || Array.isArray(value);
  const isIntFloat = actual.type === "integer" && types.includes("number");
  if (!stringOrSlice && node.format !== undefined) {
    const fits = (types as readonly string[]).includes(actual.type) || actual.format === node.format || isIntFloat;
    if (!fits) {
      out.push(fieldErrors.typeInvalid(field, actual.format, `${path} in body must be of type ${node.format}: ${JSON.stringify(actual.format)}`));
      return false;
    }
  }
  // A string or list under a formatted non-numeric schema passes the type check (kube-openapi does so).
  if (!types.includes("number") && !types.includes("integer") && node.format !== undefined && stringOrSlice) return true;
  if (!(types as readonly string[]).includes(actual.type) && !isIntFloat) {
    out.push(fieldErrors.typeInvalid(field, actual.type, `${path} in body must be of type ${types.join(",")}: ${JSON.stringify(actual.type)}`));
    return false;
  }
  return true;
}

function validateString(node: SchemaNode, value: string, path: string, field: string, out: FieldError[]): void {
  if (node.maxLength !== undefined || node.minLength !== undefined) {
    const length = [...value].length; // characters, as Go counts runes
    if (node.maxLength !== undefined && length > node.maxLength) out.push(fieldErrors.tooLong(field, node.maxLength));
    if (node.minLength !== undefined && length < node.minLength) {
      out.push(fieldErrors.invalid(field, value, `${path} in body should be at least ${node.minLength} chars long`));
    }
  }
  if (node.pattern && !node.pattern.test(value)) {
    out.push(fieldErrors.invalid(field, value, `${path} in body should match '${node.patternSource}'`));
  }
  if (node.format !== undefined) {
    const check = formatChecker(node.format);
    if (check && !check(value)) {
      out.push(fieldErrors.typeInvalid(field, value, `${path} in body must be of type ${node.format}: ${JSON.stringify(value)}`));
    }
  }
}

function validateNumber(node: SchemaNode, value: number, path: string, field: string, out: FieldError[]): void {
  if (node.multipleOf !== undefined && node.multipleOf !== 0) {
    const q = value / node.multipleOf;
    if (Math.abs(q - Math.round(q)) > 1e-9) {
      out.push(fieldErrors.invalid(field, value, `${path} in body should be a multiple of ${node.multipleOf}`));
    }
  }
  if (node.maximum !== undefined) {
    const over = node.exclusiveMaximum ? value >= node.maximum : value > node.maximum;
    if (over) {
      const how = node.exclusiveMaximum ? "less than" : "less than or equal to";
      out.push(fieldErrors.invalid(field, value, `${path} in body should be ${how} ${node.maximum}`));
    }
  }
  if (node.minimum !== undefined) {
    const under = node.exclusiveMinimum ? value <= node.minimum : value < node.minimum;
    if (under) {
      const how = node.exclusiveMinimum ? "greater than" : "greater than or equal to";
      out.push(fieldErrors.invalid(field, value, `${path} in body should be ${how} ${node.minimum}`));
    }
  }
}

function validateArray(node: SchemaNode, value: unknown[], old: Old, path: string, field: string, out: FieldError[]): void {
  if (node.items) {
    const oldByKey = oldItemsByKey(node, old);
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const oldItem = oldByKey && isObject(item) ? (oldByKey.get(listMapKey(node, item)) ?? NO_OLD) : NO_OLD;
      validateValue(node.items, item, oldItem, `${path}[${i}]`, false, out);
    }
  }
  if (node.minItems !== undefined && value.length < node.minItems) {
    out.push(fieldErrors.invalid(field, value.length, `${path} in body should have at least ${node.minItems} items`));
  }
  if (node.maxItems !== undefined && value.length > node.maxItems) {
    out.push(fieldErrors.tooMany(field, value.length, node.maxItems));
  }
}

function validateObject(
  node: SchemaNode,
  value: JsonObject,
  old: Old,
  path: string,
  field: string,
  isRoot: boolean,
  out: FieldError[],
): void {
  // kube-openapi's order: a property-count failure ends the object's checks; then the properties;
  // then the required list.
  const count = Object.keys(value).length;
  if (node.minProperties !== undefined && count < node.minProperties) {
    out.push(fieldErrors.invalid(field, count, `${path} in body should have at least ${node.minProperties} properties`));
    return;
  }
  if (node.maxProperties !== undefined && count > node.maxProperties) {
    out.push(fieldErrors.tooMany(field, count, node.maxProperties));
    return;
  }
  if (node.properties) {
    for (const [key, child] of node.properties) {
      // The root's metadata is the API server's to validate, not the schema's.
      if (isRoot && key === "metadata") continue;
      if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
      validateValue(child, value[key], oldChild(old, key), childName(path, key), false, out);
    }
  } else if (typeof node.additionalProperties === "object") {
    for (const key of Object.keys(value)) {
      validateValue(node.additionalProperties, value[key], oldChild(old, key), childName(path, key), false, out);
    }
  }
  for (const key of node.required) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) out.push(fieldErrors.required(childName(path, key)));
  }
}

/** Field paths as field.Path renders them for the structural checks (map keys in brackets). */
function child(field: string, key: string): string {
  return field === "" ? key : `${field}.${key}`;
}

/** x-kubernetes-list-type set/map uniqueness and list-map keys (structurallisttype). */
export function validateLists(node: SchemaNode, value: unknown, field: string, out: FieldError[]): void {
  if (!below(node, listsBelow, hasUniqueList)) return;
  if (Array.isArray(value)) {
    if (node.listType === "set") {
      const seen = new Set<string>();
      value.forEach((item, i) => {
        const key = stableJson(item);
        if (seen.has(key)) out.push(fieldErrors.duplicate(`${field}[${i}]`, item));
        seen.add(key);
      });
    } else if (node.listType === "map") {
      const seen = new Set<string>();
      value.forEach((item, i) => {
        if (!isObject(item)) return;
        const keyValues: JsonObject = {};
        let complete = true;
        for (const k of node.listMapKeys) {
          if (item[k] === undefined) {
            const keySchema = node.items?.properties?.get(k);
            if (!keySchema?.hasDefault) {
              out.push(fieldErrors.required(child(`${field}[${i}]`, k)));
              complete = false;
            }
          } else {
            keyValues[k] = item[k];
          }
        }
        if (!complete) return;
        const key = stableJson(keyValues);
        if (seen.has(key)) out.push(fieldErrors.duplicate(`${field}[${i}]`, keyValues));
        seen.add(key);
      });
    }
    if (node.items) value.forEach((item, i) => validateLists(node.items!, item, `${field}[${i}]`, out));
    return;
  }
  if (!isObject(value)) return;
  if (node.properties) {
    for (const [key, childNode] of node.properties) {
      if (Object.prototype.hasOwnProperty.call(value, key)) validateLists(childNode, value[key], child(field, key), out);
    }
  } else if (typeof node.additionalProperties === "object") {
    for (const key of Object.keys(value)) validateLists(node.additionalProperties, value[key], `${field}[${key}]`, out);
  }
}

/** TypeMeta of x-kubernetes-embedded-resource objects (apiextensions objectmeta validation). */
export function validateEmbedded(node: SchemaNode, value: unknown, field: string, out: FieldError[]): void {
  if (!below(node, embeddedBelow, isEmbedded)) return;
  if (Array.isArray(value)) {
    if (node.items) value.forEach((item, i) => validateEmbedded(node.items!, item, `${field}[${i}]`, out));
    return;
  }
  if (!isObject(value)) return;
  if (node.embeddedResource) {
    for (const key of ["apiVersion", "kind"]) {
      const v = value[key];
      if (v === undefined) out.push(fieldErrors.required(child(field, key), "must not be empty"));
      else if (typeof v !== "string") out.push(fieldErrors.invalid(child(field, key), v, "must be a string"));
      else if (v === "") out.push(fieldErrors.invalid(child(field, key), v, "must not be empty"));
    }
    if (value.metadata !== undefined && !isObject(value.metadata)) {
      out.push(fieldErrors.invalid(child(field, "metadata"), value.metadata, "must be an object"));
    }
  }
  if (node.properties) {
    for (const [key, childNode] of node.properties) {
      if (Object.prototype.hasOwnProperty.call(value, key)) validateEmbedded(childNode, value[key], child(field, key), out);
    }
  } else if (typeof node.additionalProperties === "object") {
    for (const key of Object.keys(value)) validateEmbedded(node.additionalProperties, value[key], `${field}[${key}]`, out);
  }
}

const listsBelow = new WeakMap<SchemaNode, boolean>();
const embeddedBelow = new WeakMap<SchemaNode, boolean>();
const hasUniqueList = (n: SchemaNode): boolean => n.listType === "set" || n.listType === "map";
const isEmbedded = (n: SchemaNode): boolean => n.embeddedResource;

/** Whether `node` or a schema below it has the property: subtrees without it need no walk (cached). */
function below(node: SchemaNode, cache: WeakMap<SchemaNode, boolean>, has: (n: SchemaNode) => boolean): boolean {
  let v = cache.get(node);
  if (v === undefined) {
    v = has(node);
    if (!v && node.properties) for (const c of node.properties.values()) if (below(c, cache, has)) v = true;
    if (!v && typeof node.additionalProperties === "object") v = below(node.additionalProperties, cache, has);
    if (!v && node.items) v = below(node.items, cache, has);
    cache.set(node, v);
  }
  return v;
}

/** JSON with sorted object keys: equal values give equal strings. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(v[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}
