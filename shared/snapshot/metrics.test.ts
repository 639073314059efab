import { beforeEach, describe, expect, it } from "vitest";
import { recordOperation, resetOperationTracking, snapshotMetricsRegistry, startOperation } from "./metrics.js";
import type { OperationKey } from "./steps.js";

const key = (operation: OperationKey["operation"], uid = "u1"): OperationKey => ({
  operation,
  uid,
  driver: "hostpath.snapflow.dev",
  snapshotType: "dynamic",
});

async function metricValues(name: string) {
  const metric = snapshotMetricsRegistry.getSingleMetric(name);
  return (await metric!.get()).values;
}

describe("snapshot controller metrics", () => {
  beforeEach(() => {
    snapshotMetricsRegistry.resetMetrics();
    resetOperationTracking();
  });

  it("exposes upstream's names and labels", async () => {
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    startOperation(key("CreateSnapshot"), undefined, t0);
    expect(await metricValues("snapshot_controller_operations_in_flight")).toEqual([expect.objectContaining({ value: 1 })]);
    recordOperation(key("CreateSnapshot"), "success", undefined, t0 + 1500);
    const text = await snapshotMetricsRegistry.metrics();
    expect(text).toContain(
      'snapshot_controller_operation_total_seconds_bucket{le="2.5",driver_name="hostpath.snapflow.dev",operation_name="CreateSnapshot",operation_status="success",snapshot_type="dynamic"} 1',
    );
    expect(text).toContain('snapshot_controller_operation_total_seconds_bucket{le="1",driver_name="hostpath.snapflow.dev",operation_name="CreateSnapshot",operation_status="success",snapshot_type="dynamic"} 0');
    expect(await metricValues("snapshot_controller_operations_in_flight")).toEqual([expect.objectContaining({ value: 0 })]);
  });

  it("keeps the first start and takes the start from the object when this process never saw it", async () => {
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    startOperation(key("CreateSnapshotAndReady"), "2026-01-01T00:00:00Z", t0 + 5000);
    startOperation(key("CreateSnapshotAndReady"), undefined, t0 + 9000);
    recordOperation(key("CreateSnapshotAndReady"), "success", undefined, t0 + 12_000);
    recordOperation(key("DeleteSnapshot", "u2"), "success", "2026-01-01T00:00:10Z", t0 + 10_200);
    const sums = (await metricValues("snapshot_controller_operation_total_seconds")).filter((v) => (v as { metricName?: string }).metricName?.endsWith("_sum"));
    expect(sums.map((s) => [s.labels.operation_name, s.value])).toEqual([
      ["CreateSnapshotAndReady", 12],
      ["DeleteSnapshot", 0.2],
    ]);
  });

  it("an operation is recorded with the labels it started with (§2.11: the value is fixed at start)", async () => {
    // delete ends DeleteSnapshot from the snapshot's final event, when its content (the driver) is gone.
    startOperation(key("DeleteSnapshot"), undefined, 0);
    startOperation({ ...key("CreateSnapshotAndReady"), snapshotType: "pre-provisioned" }, undefined, 0);
    recordOperation({ ...key("DeleteSnapshot"), driver: "unknown" }, "success", undefined, 1000);
    const counts = (await metricValues("snapshot_controller_operation_total_seconds")).filter((v) => (v as { metricName?: string }).metricName?.endsWith("_count"));
    expect(counts.map((c) => [c.labels.operation_name, c.labels.operation_status, c.labels.driver_name, c.labels.snapshot_type, c.value])).toEqual([
      ["DeleteSnapshot", "success", "hostpath.snapflow.dev", "dynamic", 1],
      ["CreateSnapshotAndReady", "cancel", "hostpath.snapflow.dev", "pre-provisioned", 1],
    ]);
  });

  it("a delete cancels pending creates of the same object; recording an unknown op observes nothing", async () => {
    startOperation(key("CreateSnapshot"), undefined, 0);
    recordOperation(key("DeleteSnapshot"), "success", undefined, 1000);
    recordOperation(key("CreateSnapshot", "never"), "success", undefined, 1000);
    const counts = (await metricValues("snapshot_controller_operation_total_seconds")).filter((v) => (v as { metricName?: string }).metricName?.endsWith("_count"));
    expect(counts.map((c) => [c.labels.operation_name, c.labels.operation_status, c.value])).toEqual([["CreateSnapshot", "cancel", 1]]);
  });
});
