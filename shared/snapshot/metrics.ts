// snapshot-controller's Prometheus metrics, same names, labels and buckets, in an exported registry
// the function host can serve at /metrics (merge it with its own).
//
// Functions are stateless, so an operation's start time comes from the object where it can
// (creationTimestamp for creates, deletionTimestamp for deletes); the in-flight gauge counts the
// operations this process has seen start and not yet end.
import { Gauge, Histogram, Registry } from "prom-client";
import type { MetricMark, OperationKey } from "./steps.js";

export const snapshotMetricsRegistry = new Registry();

export const operationTotalSeconds = new Histogram({
  name: "snapshot_controller_operation_total_seconds",
  help: "Total number of seconds spent by the controller on an operation",
  labelNames: ["driver_name", "operation_name", "operation_status", "snapshot_type"] as const,
  buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60, 120, 300, 600],
  registers: [snapshotMetricsRegistry],
});

export const operationsInFlight = new Gauge({
  name: "snapshot_controller_operations_in_flight",
  help: "Total number of operations in flight",
  registers: [snapshotMetricsRegistry],
});

// Upstream's registry also carries the process start time, unprefixed.
new Gauge({
  name: "process_start_time_seconds",
  help: "Start time of the process since unix epoch in seconds.",
  registers: [snapshotMetricsRegistry],
}).set(Math.round(Date.now() / 1000 - process.uptime()));

/** Started operations: when, and the labels they were started with (upstream keeps both). */
const started = new Map<string, { at: number; driver: string; snapshotType: OperationKey["snapshotType"] }>();

function idOf(key: OperationKey): string {
  return `${key.operation}/${key.uid}`;
}

function parseTime(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : undefined;
}

/** Starting an operation twice keeps the first start (upstream's rule). */
export function startOperation(key: OperationKey, startedAt?: string, nowMs = Date.now()): void {
  const id = idOf(key);
  if (started.has(id)) return;
  started.set(id, { at: parseTime(startedAt) ?? nowMs, driver: key.driver, snapshotType: key.snapshotType });
  operationsInFlight.set(started.size);
}

/**
 * Ends an operation. With no start known (here or on the object) nothing is observed, like
 * upstream's "record of an op never started is a no-op". DeleteSnapshot also cancels the creates.
 */
export function recordOperation(key: OperationKey, status: "success" | "cancel" | "unknown", startedAt?: string, nowMs = Date.now()): void {
  const id = idOf(key);
  const known = started.get(id);
  const start = known?.at ?? parseTime(startedAt);
  started.delete(id);
  if (start !== undefined) {
    // The labels are the start's: the record may come when the driver can no longer be looked up.
    const driver = known?.driver || key.driver || "unknown";
    const snapshotType = known?.snapshotType ?? key.snapshotType;
    operationTotalSeconds.observe(
      { driver_name: driver, operation_name: key.operation, operation_status: status, snapshot_type: snapshotType },
      Math.max(0, nowMs - start) / 1000,
    );
  }
  if (key.operation === "DeleteSnapshot" || key.operation === "DeleteGroupSnapshot") {
    const creates =
      key.operation === "DeleteSnapshot" ? (["CreateSnapshot", "CreateSnapshotAndReady"] as const) : (["CreateGroupSnapshot", "CreateGroupSnapshotAndReady"] as const);
    for (const operation of creates) {
      if (started.has(idOf({ ...key, operation }))) recordOperation({ ...key, operation }, "cancel", undefined, nowMs);
    }
  }
  operationsInFlight.set(started.size);
}

export function applyMetricMark(mark: MetricMark, nowMs = Date.now()): void {
  if (mark.kind === "start") startOperation(mark.key, mark.startedAt, nowMs);
  else recordOperation(mark.key, mark.status, mark.startedAt, nowMs);
}

/** For tests: forget every started operation. */
export function resetOperationTracking(): void {
  started.clear();
  operationsInFlight.set(0);
}
