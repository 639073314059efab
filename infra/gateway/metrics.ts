// Per-operation call counters and latency histograms in a Registry of the gateway's own, so
// several gateways (or tests) in one process never collide on metric names.
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface GatewayMetrics {
  registry: Registry;
  observe(driver: string, operation: string, code: string, seconds: number): void;
  /** One gRPC call to a CSI driver: full method (`/csi.v1.Controller/CreateSnapshot`), Go code name. */
  observeCsiCall(driver: string, method: string, grpcStatusCode: string, seconds: number): void;
}

/** Reported as grpc_status_code when a call failed without a gRPC status (csi-lib-utils' value). */
export const NON_GRPC_STATUS = "unknown-non-grpc";

export function createGatewayMetrics(opts: { processMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (opts.processMetrics) collectDefaultMetrics({ register: registry, prefix: "snapflow_gateway_" });
  const calls = new Counter({
    name: "snapflow_gateway_calls_total",
    help: "Driver gateway calls by driver, operation and CSI result code",
    labelNames: ["driver", "operation", "code"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "snapflow_gateway_call_duration_seconds",
    help: "Driver gateway call latency by driver and operation (validation, secret resolution and backend call)",
    labelNames: ["driver", "operation"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  // The gateway is what talks gRPC to the driver, so it carries the sidecar's own histogram
  // (csi-lib-utils', which csi-snapshotter serves): dashboards built for the sidecar keep working.
  const csiOperations = new Histogram({
    name: "csi_sidecar_operations_seconds",
    help: "Container Storage Interface operation duration with gRPC error code status total",
    labelNames: ["driver_name", "method_name", "grpc_status_code"] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 25, 50, 120, 300, 600],
    registers: [registry],
  });
  return {
    registry,
    observe(driver, operation, code, seconds) {
      calls.inc({ driver, operation, code });
      latency.observe({ driver, operation }, seconds);
    },
    observeCsiCall(driver, method, grpcStatusCode, seconds) {
      csiOperations.observe({ driver_name: driver || "unknown-driver", method_name: method, grpc_status_code: grpcStatusCode }, seconds);
    },
  };
}
