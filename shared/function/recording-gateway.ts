// A GatewayClient that records every call for the audit trail: operation, driver, ok, the CSI code of
// a failure and the duration. Requests and answers are never recorded (they may name secrets, and
// answers are the function's business to report in `did`).
import { GatewayError, type GatewayClient } from "../gateway/types.js";
import type { GatewayCallRecord } from "./types.js";

export function recordingGateway(inner: GatewayClient, calls: GatewayCallRecord[]): GatewayClient {
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== "function" || typeof property !== "string") return value;
      return async (...args: unknown[]) => {
        const driver = typeof args[0] === "string" ? args[0] : "";
        const started = performance.now();
        const record = (ok: boolean, code?: string) =>
          calls.push({ operation: property, driver, ok, ...(code ? { code } : {}), durationMs: round(performance.now() - started) });
        try {
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          record(true, "OK");
          return result;
        } catch (err) {
          record(false, err instanceof GatewayError ? err.code : "UNKNOWN");
          throw err;
        }
      };
    },
  });
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
