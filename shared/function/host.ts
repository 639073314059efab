// Several functions behind one HTTP server (the local stack's shape): POST /<name> per function,
// GET /healthz, GET /metrics (Prometheus: outcomes and durations per function). A host with a
// single function also answers POST / so the same process fits a Knative Service or OpenFaaS.
import { Hono } from "hono";
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { snapshotMetricsRegistry } from "../snapshot/metrics.js";
import type { AuditRecord } from "./audit.js";
import { createFunctionHandler, type FunctionDeps, type FunctionHandler } from "./app.js";
import { PairHeaders } from "./pair-headers.js";
import type { SnapflowFunction } from "./types.js";

export interface FunctionHostOptions {
  /** Also export process metrics (CPU, memory, event loop); default true. */
  processMetrics?: boolean;
}

export interface FunctionHost {
  app: Hono;
  /**
   * In-process delivery without a WHATWG Request: the function named by the URL's last path segment
   * (as the app routes POST /<name>) handles the event's headers and body bytes; undefined when no
   * function has that name (the app would answer 404).
   */
  direct(url: string, headers: Iterable<readonly [string, string]>, body: Uint8Array): Promise<Response> | undefined;
  /** The functions served, by name. */
  functions: ReadonlyMap<string, SnapflowFunction>;
  registry: Registry;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function createFunctionHost(functions: SnapflowFunction[], deps: FunctionDeps, options: FunctionHostOptions = {}): FunctionHost {
  const byName = new Map<string, SnapflowFunction>();
  for (const fn of functions) {
    if (!NAME.test(fn.name)) throw new Error(`function name "${fn.name}" must be lower-case alphanumerics and '-'`);
    if (byName.has(fn.name)) throw new Error(`two functions are named "${fn.name}"`);
    byName.set(fn.name, fn);
  }

  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "snapflow_functions_" });
  const outcomes = new Counter({
    name: "snapflow_function_outcomes_total",
    help: "Function answers by function, outcome and verdict.",
    labelNames: ["function", "outcome", "verdict"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "snapflow_function_duration_seconds",
    help: "Time from request to answer, by function and outcome.",
    labelNames: ["function", "outcome"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const gatewayCalls = new Counter({
    name: "snapflow_function_gateway_calls_total",
    help: "Driver gateway calls made by functions, by function, operation and result code.",
    labelNames: ["function", "operation", "code"] as const,
    registers: [registry],
  });
  const onAudit = (record: AuditRecord) => {
    outcomes.inc({ function: record.function, outcome: record.outcome, verdict: record.verdict });
    duration.observe({ function: record.function, outcome: record.outcome }, record.durationMs / 1000);
    for (const call of record.gatewayCalls) gatewayCalls.inc({ function: record.function, operation: call.operation, code: call.code ?? (call.ok ? "OK" : "UNKNOWN") });
    deps.onAudit?.(record);
  };

  const app = new Hono();
  const handlers = new Map<string, FunctionHandler>();
  app.get("/healthz", (c) => c.json({ ok: true, functions: [...byName.keys()] }));
  // The snapshot functions record snapshot-controller's metrics in their own registry (as upstream
  // serves them from the controller): without it here they would be kept but never scraped.
  const served = Registry.merge([registry, snapshotMetricsRegistry]);
  app.get("/metrics", async (c) => c.body(await served.metrics(), 200, { "content-type": served.contentType }));
  for (const fn of byName.values()) {
    const handle = createFunctionHandler(fn, { ...deps, onAudit });
    handlers.set(fn.name, handle);
    app.post(`/${fn.name}`, (c) => handle(c.req.raw));
    if (byName.size === 1) app.post("/", (c) => handle(c.req.raw));
  }
  app.notFound((c) => c.json({ error: `no function at ${c.req.method} ${c.req.path}; functions: ${[...byName.keys()].map((n) => `POST /${n}`).join(", ") || "(none)"}` }, 404));
  const direct: FunctionHost["direct"] = (url, headers, body) => {
    const scheme = url.indexOf("//");
    const slash = url.indexOf("/", scheme >= 0 ? scheme + 2 : 0);
    const path = slash < 0 ? "/" : url.slice(slash).split(/[?#]/)[0]!;
    const name = path.slice(path.lastIndexOf("/") + 1) || (handlers.size === 1 ? [...handlers.keys()][0]! : "");
    const handle = handlers.get(name);
    return handle?.({ headers: new PairHeaders(headers), body: null, bodyBytes: body });
  };
  return { app, functions: byName, registry, direct };
}
