// x-kubernetes-validations: CEL rules compiled once per CRD version with @marcbachmann/cel-js, and
// evaluated against values converted the way kube-apiserver binds them (escaped property names,
// integers as CEL ints, undeclared fields invisible).
import { Environment, Optional, type ParseResult } from "@marcbachmann/cel-js";
import type { ValidationRule } from "../../../shared/api/crd.js";
import { referencesOldSelf, undefinedFieldError } from "./cel-fields.js";
import { CrdCompileError } from "./compile-error.js";
import { withKubeLibrary } from "./kube-cel-library.js";
import type { FieldErrorType } from "./errors.js";
import type { SchemaNode } from "./node.js";

export interface CompiledRule {
  rule: string;
  message: string | undefined;
  program: ParseResult;
  messageProgram: ParseResult | undefined;
  /** A transition rule: evaluated only on update, where the old object has a value here. */
  usesOldSelf: boolean;
  optionalOldSelf: boolean;
  reason: FieldErrorType;
  /** Rendered path suffix from the rule's fieldPath (`.x`, `[key]`), "" when unset. */
  fieldPathSuffix: string;
}

// Both environments are immutable once built and shared by every CRD.
const plainEnv = withKubeLibrary(new Environment({ enableOptionalTypes: true }))
  .registerVariable("self", "dyn")
  .registerVariable("oldSelf", "dyn");
const optionalOldSelfEnv = withKubeLibrary(new Environment({ enableOptionalTypes: true }))
  .registerVariable("self", "dyn")
  .registerVariable("oldSelf", "optional<dyn>");

const REASONS: Record<string, FieldErrorType> = {
  FieldValueInvalid: "FieldValueInvalid",
  FieldValueForbidden: "FieldValueForbidden",
  FieldValueRequired: "FieldValueRequired",
  FieldValueDuplicate: "FieldValueDuplicate",
};

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}

/**
 * Compiles one rule. `where` names the rule in CRD terms for error messages; `correlatable` says
 * whether an old value can exist at this node (not under atomic or set list items).
 */
export function compileRule(
  rule: ValidationRule,
  where: string,
  node: SchemaNode,
  correlatable: boolean,
  isRoot: boolean,
): CompiledRule {
  const optionalOldSelf = rule.optionalOldSelf === true;
  const env = optionalOldSelf ? optionalOldSelfEnv : plainEnv;
  const checked = env.check(rule.rule);
  if (!checked.valid) {
    const why = checked.error ? firstLine((checked.error as { summary?: string }).summary ?? checked.error.message) : "invalid";
    throw new CrdCompileError(`${where}.rule: Invalid value: ${JSON.stringify(rule.rule)}: compilation failed: ${why}`);
  }
  if (checked.type !== "bool" && checked.type !== "dyn") {
    throw new CrdCompileError(
      `${where}.rule: Invalid value: ${JSON.stringify(rule.rule)}: compilation failed: cel expression must evaluate to a bool`,
    );
  }
  const program = env.parse(rule.rule);
  const undefinedField = undefinedFieldError(program.ast, node, isRoot);
  if (undefinedField !== undefined) {
    throw new CrdCompileError(`${where}.rule: Invalid value: ${JSON.stringify(rule.rule)}: compilation failed: ${undefinedField}`);
  }
  const usesOldSelf = referencesOldSelf(program.ast);
  if (usesOldSelf && !correlatable) {
    throw new CrdCompileError(
      `${where}.rule: Invalid value: ${JSON.stringify(rule.rule)}: oldSelf cannot be used on the uncorrelatable portion of the schema`,
    );
  }
  if (optionalOldSelf && !usesOldSelf) {
    throw new CrdCompileError(`${where}.optionalOldSelf: Forbidden: may not be set if oldSelf is not used in rule`);
  }
  let messageProgram: ParseResult | undefined;
  if (rule.messageExpression !== undefined) {
    const m = env.check(rule.messageExpression);
    if (!m.valid || (m.type !== "string" && m.type !== "dyn")) {
      const why = m.valid ? "must evaluate to a string" : firstLine((m.error as { summary?: string } | undefined)?.summary ?? "invalid");
      throw new CrdCompileError(
        `${where}.messageExpression: Invalid value: ${JSON.stringify(rule.messageExpression)}: messageExpression compilation failed: ${why}`,
      );
    }
    messageProgram = env.parse(rule.messageExpression);
    const badField = undefinedFieldError(messageProgram.ast, node, isRoot);
    if (badField !== undefined) {
      throw new CrdCompileError(
        `${where}.messageExpression: Invalid value: ${JSON.stringify(rule.messageExpression)}: messageExpression compilation failed: ${badField}`,
      );
    }
  }
  if (rule.message !== undefined && rule.message !== "" && rule.message.trim() === "") {
    throw new CrdCompileError(`${where}.message: Invalid value: ${JSON.stringify(rule.message)}: message must be non-empty if specified`);
  }
  if (rule.message !== undefined && rule.message.includes("\n")) {
    throw new CrdCompileError(`${where}.message: Invalid value: ${JSON.stringify(rule.message)}: message must not contain line breaks`);
  }
  let reason: FieldErrorType = "FieldValueInvalid";
  if (rule.reason !== undefined) {
    const known = REASONS[rule.reason];
    if (!known) {
      throw new CrdCompileError(
        `${where}.reason: Unsupported value: ${JSON.stringify(rule.reason)}: supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"`,
      );
    }
    reason = known;
  }
  return {
    rule: rule.rule,
    message: rule.message === undefined || rule.message === "" ? undefined : rule.message,
    program,
    messageProgram,
    usesOldSelf,
    optionalOldSelf,
    reason,
    fieldPathSuffix: rule.fieldPath === undefined ? "" : renderFieldPath(rule.fieldPath, node, where),
  };
}

/**
 * A rule's fieldPath (`.a.b`, `.m['k.x']`) checked against the schema and rendered as kube's field
 * path: properties as `.name`, map keys as `[key]`.
 */
function renderFieldPath(fieldPath: string, node: SchemaNode, where: string): string {
  const fail = (why: string): never => {
    throw new CrdCompileError(`${where}.fieldPath: Invalid value: ${JSON.stringify(fieldPath)}: ${why}`);
  };
  let out = "";
  let at: SchemaNode | undefined = node;
  let rest = fieldPath;
  while (rest.length > 0) {
    let name: string;
    const dot = /^\.([a-zA-Z_][a-zA-Z0-9_-]*)/.exec(rest);
    const bracket = /^\['((?:[^'\\]|\\.)*)'\]/.exec(rest);
    if (dot) {
      name = dot[1]!;
      rest = rest.slice(dot[0].length);
    } else if (bracket) {
      name = bracket[1]!.replace(/\\(.)/g, "$1");
      rest = rest.slice(bracket[0].length);
    } else {
      return fail("fieldPath must be a valid path");
    }
    if (!at) return fail(`does not refer to a valid field`);
    if (at.properties?.has(name)) {
      out += `.${name}`;
      at = at.properties.get(name);
    } else if (typeof at.additionalProperties === "object") {
      out += `[${name}]`;
      at = at.additionalProperties;
    } else {
      return fail(`does not refer to a valid field`);
    }
  }
  return out;
}

export type RuleOutcome = { kind: "pass" } | { kind: "fail" } | { kind: "error"; detail: string };

/** Runs a compiled rule; never throws. */
export function runRule(rule: CompiledRule, activation: Record<string, unknown>): RuleOutcome {
  try {
    const result: unknown = rule.program(activation);
    if (result === true) return { kind: "pass" };
    if (result === false) return { kind: "fail" };
    return { kind: "error", detail: `rule did not evaluate to a bool` };
  } catch (e) {
    return { kind: "error", detail: celErrorText(e) };
  }
}

/** The message a messageExpression produces, or undefined when kube would fall back to `message`. */
export function runMessageExpression(rule: CompiledRule, activation: Record<string, unknown>): string | undefined {
  if (!rule.messageProgram) return undefined;
  try {
    const out: unknown = rule.messageProgram(activation);
    if (typeof out !== "string") return undefined;
    const trimmed = out.trim();
    if (trimmed === "" || trimmed.includes("\n")) return undefined;
    return trimmed;
  } catch {
    return undefined;
  }
}

/** cel-js error texts in cel-go's words, which is what kube-apiserver prints. */
export function celErrorText(e: unknown): string {
  const raw = (e as { summary?: string }).summary ?? (e instanceof Error ? e.message : String(e));
  const summary = firstLine(raw);
  const index = /^No such key: index out of bounds, index (-?\d+)/.exec(summary);
  if (index) return `index out of bounds: ${index[1]}`;
  if (summary.startsWith("No such key: ")) return `no such key: ${summary.slice("No such key: ".length)}`;
  if (/no such overload|no matching overload/i.test(summary)) return `no such overload`;
  return summary.charAt(0).toLowerCase() + summary.slice(1);
}

/** `oldSelf` for a rule: the converted value, wrapped as an optional where the rule asked for one. */
export function oldSelfBinding(rule: CompiledRule, converted: unknown, present: boolean): unknown {
  if (!rule.optionalOldSelf) return converted;
  return present ? Optional.of(converted) : Optional.none();
}

const ROOT_METADATA_FIELDS = ["name", "generateName"] as const;

/**
 * A JSON value as CEL sees it under `node`: declared properties under their escaped names,
 * additionalProperties maps with raw keys, integers as BigInt, undeclared fields left out.
 */
export function toCel(node: SchemaNode | undefined, value: unknown, isRoot = false, cache?: CelCache): unknown {
  if (value === null || value === undefined) return null;
  if (cache && typeof value === "object") {
    const hit = cache.get(value);
    if (hit !== undefined) return hit;
    const converted = convert(node, value, isRoot, cache);
    cache.set(value, converted);
    return converted;
  }
  return convert(node, value, isRoot, cache);
}

/**
 * Converted values by the JSON value they came from, for one validate call: rules on nested nodes
 * reuse what the conversion for an outer node's rules already built.
 */
export type CelCache = WeakMap<object, unknown>;

function convert(node: SchemaNode | undefined, value: unknown, isRoot: boolean, cache: CelCache | undefined): unknown {
  if (typeof value === "number") {
    if (!node) return Number.isInteger(value) ? BigInt(value) : value;
    if (node.type === "number") return value;
    return Number.isInteger(value) ? BigInt(value) : value;
  }
  if (typeof value !== "object") return value;
  if (Array.isArray(value)) {
    const items = node?.items;
    return value.map((v) => toCel(items, v, false, cache));
  }
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if (!node || (!node.properties && node.additionalProperties === undefined)) {
    // Free-form (preserve-unknown-fields) objects: visible as they are.
    if (node && !node.preserveUnknownFields && !node.embeddedResource) return out;
    for (const k of Object.keys(obj)) out[k] = toCel(undefined, obj[k], false, cache);
    return out;
  }
  if (node.properties) {
    for (const [name, child] of node.properties) {
      if (!(name in obj) || obj[name] === null) continue;
      const celName = node.celNames.get(name);
      if (celName === undefined) continue;
      out[celName] = toCel(child, obj[name], false, cache);
    }
  } else if (typeof node.additionalProperties === "object") {
    const ap = node.additionalProperties;
    for (const k of Object.keys(obj)) out[k] = toCel(ap, obj[k], false, cache);
  }
  if (isRoot || node.embeddedResource) {
    // kube exposes apiVersion, kind and metadata.name/generateName of (embedded) objects.
    for (const k of ["apiVersion", "kind"]) if (typeof obj[k] === "string" && !(k in out)) out[k] = obj[k];
    const meta = obj.metadata;
    if (meta && typeof meta === "object" && !Array.isArray(meta)) {
      const m: Record<string, unknown> = {};
      for (const f of ROOT_METADATA_FIELDS) {
        const v = (meta as Record<string, unknown>)[f];
        if (typeof v === "string") m[f] = v;
      }
      out.metadata = m;
    }
  }
  return out;
}
