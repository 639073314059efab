// metav1.LabelSelector with Kubernetes' semantics: matchLabels and matchExpressions are ANDed, an
// empty selector ({}) selects everything, an absent (null/undefined) selector selects nothing; NotIn
// and DoesNotExist match objects lacking the key. Also the string form used by `?labelSelector=`.
import type { LabelSelector, LabelSelectorRequirement } from "../api/meta.js";

export class LabelSelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LabelSelectorError";
  }
}

const NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A label key: optional DNS-subdomain prefix (≤ 253) and "/", then a name (≤ 63). */
export function validateLabelKey(key: string): void {
  const slash = key.indexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    throw new LabelSelectorError(`invalid label key "${key}": prefix must be a DNS subdomain of at most 253 characters`);
  }
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    throw new LabelSelectorError(
      `invalid label key "${key}": name must be 1-63 characters of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`,
    );
  }
}

/** A label value: empty, or ≤ 63 characters with the same alphabet as a key's name. */
export function validateLabelValue(value: string): void {
  if (value.length > 63 || (value.length > 0 && !NAME.test(value))) {
    throw new LabelSelectorError(
      `invalid label value "${value}": must be at most 63 characters of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`,
    );
  }
}

/** Throws LabelSelectorError on what the API server would reject. */
export function validateLabelSelector(selector: LabelSelector): void {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    validateLabelKey(key);
    validateLabelValue(value);
  }
  for (const req of selector.matchExpressions ?? []) validateRequirement(req);
}

function validateRequirement(req: LabelSelectorRequirement): void {
  validateLabelKey(req.key);
  const values = req.values ?? [];
  switch (req.operator) {
    case "In":
    case "NotIn":
      if (values.length === 0) throw new LabelSelectorError(`operator ${req.operator} on "${req.key}" needs at least one value`);
      values.forEach(validateLabelValue);
      return;
    case "Exists":
    case "DoesNotExist":
      if (values.length > 0) throw new LabelSelectorError(`operator ${req.operator} on "${req.key}" takes no values`);
      return;
    default:
      throw new LabelSelectorError(`unknown operator "${String((req as { operator: unknown }).operator)}" on "${req.key}"`);
  }
}

/** Whether `labels` satisfy `selector`. An undefined/null selector matches nothing, {} matches everything. */
export function matchesLabelSelector(selector: LabelSelector | null | undefined, labels: Record<string, string> | undefined): boolean {
  if (selector === undefined || selector === null) return false;
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!Object.hasOwn(have, key) || have[key] !== value) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const present = Object.hasOwn(have, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case "In":
        if (!present || !values.includes(have[req.key]!)) return false;
        break;
      case "NotIn":
        if (present && values.includes(have[req.key]!)) return false;
        break;
      case "Exists":
        if (!present) return false;
        break;
      case "DoesNotExist":
        if (present) return false;
        break;
      default:
        throw new LabelSelectorError(`unknown operator "${String((req as { operator: unknown }).operator)}" on "${req.key}"`);
    }
  }
  return true;
}

/**
 * The `labelSelector` query string for a selector, as kube formats it: requirements sorted by key,
 * values sorted. Returns "" for {} (everything). Throws for undefined/null: "nothing" has no string
 * form, so callers must not list with it.
 */
export function formatLabelSelector(selector: LabelSelector | null | undefined): string {
  if (selector === undefined || selector === null) throw new LabelSelectorError("a null selector selects nothing and has no string form");
  validateLabelSelector(selector);
  const parts: { key: string; text: string }[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) parts.push({ key, text: `${key}=${value}` });
  for (const req of selector.matchExpressions ?? []) {
    const values = [...new Set(req.values ?? [])].sort();
    const text =
      req.operator === "In"
        ? `${req.key} in (${values.join(",")})`
        : req.operator === "NotIn"
          ? `${req.key} notin (${values.join(",")})`
          : req.operator === "Exists"
            ? req.key
            : `!${req.key}`;
    parts.push({ key: req.key, text });
  }
  // Stable sort by key keeps each key's requirements in the order given.
  parts.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return parts.map((p) => p.text).join(",");
}

/**
 * Parses the string form (`a=b,c!=d,e in (x,y),f notin (z),g,!h`) into a LabelSelector. `=`/`==`
 * become matchLabels (or an In expression when the key repeats); `!=` becomes NotIn. The `<`/`>`
 * operators of the query language have no LabelSelector equivalent and are rejected.
 */
export function parseLabelSelector(text: string): LabelSelector {
  const selector: LabelSelector = {};
  const matchLabels: Record<string, string> = {};
  const expressions: LabelSelectorRequirement[] = [];
  for (const raw of splitRequirements(text)) {
    const part = raw.trim();
    if (part === "") throw new LabelSelectorError(`empty requirement in label selector "${text}"`);
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^(\S+?)\s+(in|notin)\s*\(([^()]*)\)$/))) {
      const values = m[3]!.split(",").map((v) => v.trim());
      if (values.length === 1 && values[0] === "") throw new LabelSelectorError(`"${part}": needs at least one value`);
      expressions.push({ key: m[1]!, operator: m[2] === "in" ? "In" : "NotIn", values });
    } else if ((m = part.match(/^([^=!<>\s]+)\s*(==|=|!=)\s*([^=!<>\s,]*)$/))) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      if (op === "!=") expressions.push({ key, operator: "NotIn", values: [value] });
      else if (Object.hasOwn(matchLabels, key) && matchLabels[key] !== value) expressions.push({ key, operator: "In", values: [value] });
      else matchLabels[key] = value;
    } else if ((m = part.match(/^!\s*([^=!<>\s()]+)$/))) {
      expressions.push({ key: m[1]!, operator: "DoesNotExist" });
    } else if ((m = part.match(/^([^=!<>\s()]+)$/))) {
      expressions.push({ key: m[1]!, operator: "Exists" });
    } else if (/[<>]/.test(part)) {
      throw new LabelSelectorError(`"${part}": the < and > operators cannot be expressed as a LabelSelector`);
    } else {
      throw new LabelSelectorError(`cannot parse label selector requirement "${part}"`);
    }
  }
  if (Object.keys(matchLabels).length > 0) selector.matchLabels = matchLabels;
  if (expressions.length > 0) selector.matchExpressions = expressions;
  validateLabelSelector(selector);
  return selector;
}

/** Splits on commas that are not inside an `in (...)` value list. */
function splitRequirements(text: string): string[] {
  if (text.trim() === "") return [];
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "(") depth++;
    else if (ch === ")") {
      depth--;
      if (depth < 0) throw new LabelSelectorError(`unbalanced ")" in label selector "${text}"`);
    } else if (ch === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) throw new LabelSelectorError(`unbalanced "(" in label selector "${text}"`);
  parts.push(text.slice(start));
  return parts;
}
