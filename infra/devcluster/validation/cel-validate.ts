// The CEL pass: every node that has a value and rules gets its rules evaluated with `self` bound to
// that value; transition rules (oldSelf) only where the old object correlates. Results are mapped to
// field errors as kube-apiserver v1.32 words them (validation.go in apiextensions-apiserver).
import { oldSelfBinding, runMessageExpression, runRule, toCel, type CelCache, type CompiledRule } from "./cel.js";
import { fieldErrors, ROOT_FIELD, type FieldError } from "./errors.js";
import { isObject, jsonEqual } from "./json.js";
import type { SchemaNode } from "./node.js";
import { listMapKey, NO_OLD, oldChild, oldItemsByKey, type Old } from "./schema-validate.js";

function render(field: string, suffix: string): string {
  const full = field + suffix;
  if (full === "") return ROOT_FIELD;
  return full.startsWith(".") ? full.slice(1) : full;
}

function child(field: string, key: string): string {
  return field === "" ? key : `${field}.${key}`;
}

/** The rule's text for error details: its message if it has one, else the rule itself. */
function ruleErrorString(rule: CompiledRule): string {
  return (rule.message ?? rule.rule).trim();
}

function errorForReason(rule: CompiledRule, field: string, typeName: string, detail: string): FieldError {
  switch (rule.reason) {
    case "FieldValueForbidden":
      return fieldErrors.forbidden(field, detail);
    case "FieldValueRequired":
      return fieldErrors.required(field, detail);
    case "FieldValueDuplicate":
      return fieldErrors.duplicate(field, typeName);
    default:
      return fieldErrors.invalid(field, typeName, detail);
  }
}

const SELF_EQUALS_OLD_SELF = /^\s*self\s*==\s*oldSelf\s*$/;
const selfEqualsOldSelf = new WeakMap<CompiledRule, boolean>();

/** `self == oldSelf` exactly (a plain, not optional, oldSelf). */
function isSelfEqualsOldSelf(rule: CompiledRule): boolean {
  let v = selfEqualsOldSelf.get(rule);
  if (v === undefined) {
    v = !rule.optionalOldSelf && SELF_EQUALS_OLD_SELF.test(rule.rule);
    selfEqualsOldSelf.set(rule, v);
  }
  return v;
}

export function validateRules(
  node: SchemaNode,
  value: unknown,
  old: Old,
  field: string,
  isRoot: boolean,
  out: FieldError[],
  cache: CelCache = new WeakMap(),
): void {
  if (value === null || value === undefined || !node.rulesBelow) return;
  if (node.rules.length > 0) evaluateRules(node, value, old, field, isRoot, out, cache);

  if (Array.isArray(value)) {
    if (!node.items) return;
    const oldByKey = oldItemsByKey(node, old);
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const oldItem = oldByKey && isObject(item) ? (oldByKey.get(listMapKey(node, item)) ?? NO_OLD) : NO_OLD;
      validateRules(node.items, item, oldItem, `${field}[${i}]`, false, out, cache);
    }
    return;
  }
  if (!isObject(value)) return;
  if (node.properties) {
    for (const [key, childNode] of node.properties) {
      if (isRoot && key === "metadata") continue;
      if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
      validateRules(childNode, value[key], oldChild(old, key), child(field, key), false, out, cache);
    }
  } else if (typeof node.additionalProperties === "object") {
    for (const key of Object.keys(value)) {
      validateRules(node.additionalProperties, value[key], oldChild(old, key), `${field}[${key}]`, false, out, cache);
    }
  }
}

function evaluateRules(
  node: SchemaNode,
  value: unknown,
  old: Old,
  field: string,
  isRoot: boolean,
  out: FieldError[],
  cache: CelCache,
): void {
  const hasOld = old !== NO_OLD && old !== null && old !== undefined;
  // Ratcheting: a rule that does not look at oldSelf is not re-judged on an unchanged value.
  const unchanged = hasOld && jsonEqual(value, old);
  let self: unknown;
  let oldSelf: unknown;
  for (const rule of node.rules) {
    if (rule.usesOldSelf) {
      if (!hasOld && !rule.optionalOldSelf) continue;
      // The immutability idiom on an unchanged string passes: no need to run CEL for it.
      if (hasOld && typeof value === "string" && value === old && isSelfEqualsOldSelf(rule)) continue;
    } else if (unchanged) {
      continue;
    }
    self ??= toCel(node, value, isRoot, cache);
    const activation: Record<string, unknown> = { self };
    if (rule.usesOldSelf) {
      if (hasOld) oldSelf ??= toCel(node, old, isRoot, cache);
      activation.oldSelf = oldSelfBinding(rule, hasOld ? oldSelf : null, hasOld);
    }
    const outcome = runRule(rule, activation);
    if (outcome.kind === "pass") continue;
    const errField = render(field, rule.fieldPathSuffix);
    if (outcome.kind === "fail") {
      const message = runMessageExpression(rule, activation) ?? rule.message?.trim() ?? `failed rule: ${rule.rule.trim()}`;
      out.push(errorForReason(rule, errField, node.celTypeName, message));
    } else if (outcome.detail === "no such overload") {
      out.push(
        fieldErrors.invalid(
          errField,
          node.celTypeName,
          `'${outcome.detail}': call arguments did not match a supported operator, function or macro signature for rule: ${ruleErrorString(rule)}`,
        ),
      );
    } else {
      out.push(fieldErrors.invalid(errField, node.celTypeName, `${outcome.detail} evaluating rule: ${ruleErrorString(rule)}`));
    }
  }
}
