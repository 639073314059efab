// Label selectors (equality- and set-based, as `kubectl -l` and client-go send them) and field
// selectors (metadata.name/namespace everywhere, involvedObject.* and friends for events).
import { errors } from "./errors.js";

type LabelRequirement =
  | { op: "=" | "!="; key: string; value: string }
  | { op: "in" | "notin"; key: string; values: Set<string> }
  | { op: "exists" | "!exists"; key: string };

export type LabelMatcher = (labels: Record<string, string> | undefined) => boolean;

const MATCH_ALL: LabelMatcher = () => true;

/** Splits on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms.map((t) => t.trim()).filter((t) => t.length > 0);
}

const KEY = "[A-Za-z0-9][-A-Za-z0-9_./]*";
const SET_TERM = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`);
const EQ_TERM = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*([-A-Za-z0-9_.]*)$`);
const EXISTS_TERM = new RegExp(`^(!?)\\s*(${KEY})$`);

export function parseLabelSelector(text: string | undefined | null): LabelMatcher {
  if (!text || text.trim() === "") return MATCH_ALL;
  const reqs: LabelRequirement[] = splitTerms(text).map((term) => {
    let m = SET_TERM.exec(term);
    if (m) {
      const values = new Set(
        m[3]
          .split(",")
          .map((v) => v.trim())
          .filter((v) => v.length > 0),
      );
      return { op: m[2] as "in" | "notin", key: m[1], values };
    }
    m = EQ_TERM.exec(term);
    if (m) return { op: m[2] === "!=" ? "!=" : "=", key: m[1], value: m[3] };
    m = EXISTS_TERM.exec(term);
    if (m) return { op: m[1] ? "!exists" : "exists", key: m[2] };
    throw errors.badRequest(`unable to parse requirement: found '${term}', expected: identifier, '=', '!=', 'in', 'notin'`);
  });
  return (labels) => {
    const l = labels ?? {};
    for (const r of reqs) {
      const has = Object.prototype.hasOwnProperty.call(l, r.key);
      switch (r.op) {
        case "=":
          if (!has || l[r.key] !== r.value) return false;
          break;
        case "!=":
          if (has && l[r.key] === r.value) return false;
          break;
        case "in":
          if (!has || !r.values.has(l[r.key])) return false;
          break;
        case "notin":
          if (has && r.values.has(l[r.key])) return false;
          break;
        case "exists":
          if (!has) return false;
          break;
        case "!exists":
          if (has) return false;
          break;
      }
    }
    return true;
  };
}

/** Matches a whole stored object against label and field selectors. */
export type ObjectMatcher = (obj: Record<string, unknown>) => boolean;

/** Field paths a resource supports in field selectors, each mapped to a string getter. */
export type FieldGetters = Record<string, (obj: Record<string, any>) => string>;

export const COMMON_FIELDS: FieldGetters = {
  "metadata.name": (o) => o.metadata?.name ?? "",
  "metadata.namespace": (o) => o.metadata?.namespace ?? "",
};

function str(v: unknown): string {
  return v === undefined || v === null ? "" : String(v);
}

export const EVENT_FIELDS: FieldGetters = {
  ...COMMON_FIELDS,
  "involvedObject.kind": (o) => str(o.involvedObject?.kind),
  "involvedObject.namespace": (o) => str(o.involvedObject?.namespace),
  "involvedObject.name": (o) => str(o.involvedObject?.name),
  "involvedObject.uid": (o) => str(o.involvedObject?.uid),
  "involvedObject.apiVersion": (o) => str(o.involvedObject?.apiVersion),
  "involvedObject.resourceVersion": (o) => str(o.involvedObject?.resourceVersion),
  "involvedObject.fieldPath": (o) => str(o.involvedObject?.fieldPath),
  reason: (o) => str(o.reason),
  reportingComponent: (o) => str(o.reportingComponent),
  source: (o) => str(o.source?.component ?? o.reportingController),
  type: (o) => str(o.type),
};

/** events.k8s.io/v1 names the referenced object `regarding`. */
export const EVENTS_V1_FIELDS: FieldGetters = {
  ...COMMON_FIELDS,
  "regarding.kind": (o) => str(o.regarding?.kind),
  "regarding.namespace": (o) => str(o.regarding?.namespace),
  "regarding.name": (o) => str(o.regarding?.name),
  "regarding.uid": (o) => str(o.regarding?.uid),
  "regarding.apiVersion": (o) => str(o.regarding?.apiVersion),
  "regarding.resourceVersion": (o) => str(o.regarding?.resourceVersion),
  "regarding.fieldPath": (o) => str(o.regarding?.fieldPath),
  reason: (o) => str(o.reason),
  reportingController: (o) => str(o.reportingController),
  type: (o) => str(o.type),
};

export const NAMESPACE_FIELDS: FieldGetters = { ...COMMON_FIELDS, "status.phase": (o) => str(o.status?.phase) };
export const SECRET_FIELDS: FieldGetters = { ...COMMON_FIELDS, type: (o) => str(o.type) };

export function parseFieldSelector(text: string | undefined | null, fields: FieldGetters): ObjectMatcher {
  if (!text || text.trim() === "") return () => true;
  const terms = text.split(",").map((t) => t.trim()).filter((t) => t.length > 0);
  const checks = terms.map((term) => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw errors.badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const [, field, op, value] = m;
    const get = fields[field];
    if (!get) throw errors.badRequest(`field label not supported: ${field}`);
    const unescaped = value.replace(/\\(.)/g, "$1");
    return op === "!=" ? (o: Record<string, any>) => get(o) !== unescaped : (o: Record<string, any>) => get(o) === unescaped;
  });
  return (o) => checks.every((c) => c(o));
}

export function combine(label: LabelMatcher, field: ObjectMatcher): ObjectMatcher {
  return (o) => label((o.metadata as { labels?: Record<string, string> } | undefined)?.labels) && field(o);
}
