// Secret values must never leave the gateway. A driver may echo what it was given (an error
// message quoting a bad password, say); every text the gateway emits about a call that carried
// secrets passes through here first.
import type { Secrets } from "./backend.js";

export const REDACTED = "[REDACTED]";

/** The forms in which a secret value could plausibly appear in a message. */
function secretForms(value: string): string[] {
  const forms = new Set<string>([value]);
  forms.add(Buffer.from(value, "utf8").toString("base64"));
  forms.add(JSON.stringify(value).slice(1, -1));
  forms.add(encodeURIComponent(value));
  return [...forms].filter((f) => f.length > 0);
}

/** Replaces every occurrence of every secret value (longest first, so overlaps are covered). */
export function scrubSecrets(text: string, secrets: Secrets | undefined): string {
  if (!secrets) return text;
  const forms = Object.values(secrets).flatMap(secretForms).sort((a, b) => b.length - a.length);
  let out = text;
  for (const form of forms) out = out.split(form).join(REDACTED);
  return out;
}

/** Scrubs every string (keys and values) inside a JSON-like value; numbers and booleans pass as they are. */
export function scrubDeep<T>(value: T, secrets: Secrets | undefined): T {
  if (!secrets || Object.keys(secrets).length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return scrubSecrets(v, secrets);
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === "object" && v !== null) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [scrubSecrets(k, secrets), walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}
