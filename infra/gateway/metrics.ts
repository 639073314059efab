// Per-operation call counters and latency histograms in a Registry of the gateway's own, so
// several gateways (or tests) in one process never collide on metric names.
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface GatewayMetrics {
  registry: Registry;
  observe(driver: string, operation: string, code: string, seconds: number): void;
}

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
  return {
    registry,
    observe(driver, operation, code, seconds) {
      calls.inc({ driver, operation, code });
      latency.observe({ driver, operation }, seconds);
    },
  };
}
