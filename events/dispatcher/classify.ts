// What to do with a function's answer (DESIGN "Function HTTP answers").
import type { HeaderSource } from "../../shared/function/pair-headers.js";
export type Verdict =
  | { kind: "ack" }
  /** Look again later (a function's `requeue`): not a failure, but still a delivery. */
  | { kind: "requeue"; delayMs: number }
  | { kind: "retry"; delayMs?: number; reason: string }
  | { kind: "dead"; reason: string };

const RETRY_STATUSES = new Set([408, 409, 425, 429]);

/** Milliseconds from `x-snapflow-retry-after-ms` or Retry-After (seconds or HTTP date). */
export function retryAfterMs(headers: HeaderSource, now = Date.now()): number | undefined {
  const ms = headers.get("x-snapflow-retry-after-ms");
  if (ms !== null && /^\d+$/.test(ms.trim())) return Number(ms.trim());
  const retryAfter = headers.get("retry-after");
  if (retryAfter === null) return undefined;
  if (/^\d+$/.test(retryAfter.trim())) return Number(retryAfter.trim()) * 1000;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** status 0 = no answer (network error or timeout). */
export function classify(status: number, headers: HeaderSource): Verdict {
  if (status >= 200 && status < 300) return { kind: "ack" };
  const after = status === 0 ? undefined : retryAfterMs(headers);
  if (status === 503 && headers.has("x-snapflow-retry-after-ms") && after !== undefined) return { kind: "requeue", delayMs: after };
  if (status === 0) return { kind: "retry", reason: "no answer (network error or timeout)" };
  if (status >= 500 || RETRY_STATUSES.has(status)) return { kind: "retry", delayMs: after, reason: `HTTP ${status}` };
  return { kind: "dead", reason: `HTTP ${status}` };
}
