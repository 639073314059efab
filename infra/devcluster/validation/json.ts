// Small helpers over decoded JSON values.

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Structural equality of two JSON values (object key order ignored, array order kept). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ak = Object.keys(a as JsonObject);
  const bo = b as JsonObject;
  if (ak.length !== Object.keys(bo).length) return false;
  for (const k of ak) {
    if (!Object.prototype.hasOwnProperty.call(bo, k) || !jsonEqual((a as JsonObject)[k], bo[k])) return false;
  }
  return true;
}

/** JSON type names as kube-openapi infers them from a decoded value (int64 vs float64 numbers). */
export function jsonTypeOf(v: unknown): { type: string; format: string } {
  if (typeof v === "string") return { type: "string", format: "" };
  if (typeof v === "boolean") return { type: "boolean", format: "" };
  if (typeof v === "number") return Number.isInteger(v) ? { type: "integer", format: "int64" } : { type: "number", format: "float64" };
  if (Array.isArray(v)) return { type: "array", format: "" };
  if (v === null || v === undefined) return { type: "null", format: "" };
  return { type: "object", format: "" };
}
