import { describe, expect, it } from "vitest";
import { createGatewayMetrics } from "./metrics.js";

describe("gateway metrics", () => {
  it("serves csi-snapshotter's per-RPC histogram: csi-lib-utils' name, help, labels and buckets", async () => {
    const metrics = createGatewayMetrics();
    metrics.observeCsiCall("hostpath.snapflow.dev", "/csi.v1.Controller/CreateSnapshot", "OK", 20);
    metrics.observeCsiCall("hostpath.snapflow.dev", "/csi.v1.Controller/DeleteSnapshot", "unknown-non-grpc", 0.05);
    const text = await metrics.registry.metrics();
    expect(text).toContain("# HELP csi_sidecar_operations_seconds Container Storage Interface operation duration with gRPC error code status total");
    expect(text).toContain("# TYPE csi_sidecar_operations_seconds histogram");
    const labels = 'driver_name="hostpath.snapflow.dev",method_name="/csi.v1.Controller/CreateSnapshot",grpc_status_code="OK"';
    expect(text).toContain(`csi_sidecar_operations_seconds_bucket{le="15",${labels}} 0`);
    expect(text).toContain(`csi_sidecar_operations_seconds_bucket{le="25",${labels}} 1`);
    const bounds = [...text.matchAll(/csi_sidecar_operations_seconds_bucket\{le="([^"]+)",driver_name="hostpath.snapflow.dev",method_name="\/csi.v1.Controller\/CreateSnapshot"/g)].map((m) => m[1]);
    expect(bounds).toEqual(["0.1", "0.25", "0.5", "1", "2.5", "5", "10", "15", "25", "50", "120", "300", "600", "+Inf"]);
    expect(text).toContain('csi_sidecar_operations_seconds_count{driver_name="hostpath.snapflow.dev",method_name="/csi.v1.Controller/DeleteSnapshot",grpc_status_code="unknown-non-grpc"} 1');
  });
});
