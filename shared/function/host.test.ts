// The function host: routing per function, health, Prometheus metrics — over app.request and over a
// real HTTP listener.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { Gauge, Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { annotateFunction, fanoutAnnotateFunction, MODE } from "../../test/support/annotate-function.js";
import { binaryEvent } from "../../test/support/events.js";
import { startFakeApiServer, type FakeApiServer } from "../../test/support/fake-apiserver.js";
import { memoryGateway } from "../../test/support/memory-gateway.js";
import type { KubeObject } from "../api/meta.js";
import { RESOURCES } from "../api/resources.js";
import { createKubeClient, type HttpKubeClient } from "../kube/http-client.js";
import type { AuditRecord } from "./audit.js";
import { snapshotMetricsRegistry } from "../snapshot/metrics.js";
import { createFunctionHost } from "./host.js";
import { startFunctionServer } from "./server.js";

let api: FakeApiServer;
let dir: string;
let kube: HttpKubeClient;

beforeAll(async () => {
  api = await startFakeApiServer();
  dir = await mkdtemp(join(tmpdir(), "snapflow-host-"));
  kube = createKubeClient(await api.kubeconfig(dir));
});

afterAll(async () => {
  kube?.close();
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
const snapshot = (annotations: Record<string, string> = {}) =>
  kube.create(RESOURCES.volumesnapshots, { metadata: { name: `h-${++n}`, namespace: "default", annotations }, spec: {} } as KubeObject);

describe("function host", () => {
  it("serves each function at /<name>, health and metrics", async () => {
    const seen: AuditRecord[] = [];
    const host = createFunctionHost([annotateFunction, fanoutAnnotateFunction], { kube, gateway: memoryGateway(), onAudit: (r) => seen.push(r) }, { processMetrics: false });
    expect([...host.functions.keys()]).toEqual(["annotate", "fanout-annotate"]);

    const ok = await host.app.request("/annotate", binaryEvent(await snapshot()));
    expect(ok.status).toBe(200);
    expect(ok.headers.get("ce-type")).toBe("dev.snapflow.audit.annotate.succeeded");
    const requeue = await host.app.request("/annotate", binaryEvent(await snapshot({ [MODE]: "requeue" })));
    expect(requeue.status).toBe(503);
    const fan = await host.app.request("/fanout-annotate", binaryEvent(await snapshot()));
    expect(fan.status).toBe(200);
    expect(seen.map((r) => [r.function, r.outcome])).toEqual([
      ["annotate", "done"],
      ["annotate", "requeue"],
      ["fanout-annotate", "nothing"],
    ]);

    // With two functions there is no default route.
    const root = await host.app.request("/", binaryEvent(await snapshot()));
    expect(root.status).toBe(404);
    expect(await root.json()).toEqual({ error: "no function at POST /; functions: POST /annotate, POST /fanout-annotate" });

    const health = await host.app.request("/healthz");
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true, functions: ["annotate", "fanout-annotate"] });

    const metrics = await host.app.request("/metrics");
    expect(metrics.headers.get("content-type")).toContain("text/plain");
    const text = await metrics.text();
    expect(text).toContain('snapflow_function_outcomes_total{function="annotate",outcome="done",verdict="succeeded"} 1');
    expect(text).toContain('snapflow_function_outcomes_total{function="annotate",outcome="requeue",verdict="retried"} 1');
    expect(text).toContain('snapflow_function_outcomes_total{function="fanout-annotate",outcome="nothing",verdict="succeeded"} 1');
    expect(text).toMatch(/snapflow_function_duration_seconds_count\{function="annotate",outcome="done"\} 1/);
  });

  it("counts gateway calls by operation and code", async () => {
    const host = createFunctionHost([annotateFunction], { kube, gateway: memoryGateway() }, { processMetrics: false });
    await host.app.request("/annotate", binaryEvent(await snapshot({ [MODE]: "gateway" })));
    const text = await (await host.app.request("/metrics")).text();
    expect(text).toContain('snapflow_function_gateway_calls_total{function="annotate",operation="createSnapshot",code="OK"} 1');
  });

  it("serves the registries it is given beside its own (the snapshot-controller's metrics)", async () => {
    const extra = new Registry();
    new Gauge({ name: "snapshot_controller_operations_in_flight", help: "Total number of operations in flight", registers: [extra] }).set(3);
    const host = createFunctionHost([annotateFunction], { kube, gateway: memoryGateway() }, { processMetrics: false, metricsRegistries: [extra] });
    const text = await (await host.app.request("/metrics")).text();
    expect(text).toContain("snapshot_controller_operations_in_flight 3");
    expect(text).toContain("snapflow_function_outcomes_total");
  });

  it("serves snapshot-controller's metrics (§2.11) when given its registry: the operation histogram, the in-flight gauge, process_start_time_seconds", async () => {
    const host = createFunctionHost([annotateFunction], { kube, gateway: memoryGateway() }, { processMetrics: false, metricsRegistries: [snapshotMetricsRegistry] });
    const text = await (await host.app.request("/metrics")).text();
    expect(text).toContain("# TYPE snapshot_controller_operation_total_seconds histogram");
    expect(text).toContain("# TYPE snapshot_controller_operations_in_flight gauge");
    expect(text).toMatch(/^process_start_time_seconds \d+$/m);
  });

  it("a single-function host also answers POST / (Knative / OpenFaaS shape)", async () => {
    const host = createFunctionHost([annotateFunction], { kube, gateway: memoryGateway() });
    const res = await host.app.request("/", binaryEvent(await snapshot()));
    expect(res.status).toBe(200);
    expect(await (await host.app.request("/metrics")).text()).toContain("snapflow_functions_process_cpu_seconds_total");
  });

  it("refuses duplicate or ill-formed function names", () => {
    expect(() => createFunctionHost([annotateFunction, annotateFunction], { kube, gateway: memoryGateway() })).toThrow(/two functions are named "annotate"/);
    expect(() => createFunctionHost([{ ...annotateFunction, name: "Bad/Name" }], { kube, gateway: memoryGateway() })).toThrow(/lower-case/);
  });

  it("works over a real HTTP listener", async () => {
    const host = createFunctionHost([annotateFunction], { kube, gateway: memoryGateway() }, { processMetrics: false });
    const server: ServerType = await new Promise((resolve) => {
      const s = serve({ fetch: host.app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(s));
    });
    try {
      const port = (server.address() as AddressInfo).port;
      const res = await fetch(`http://127.0.0.1:${port}/annotate`, binaryEvent(await snapshot()));
      expect(res.status).toBe(200);
      const record = (await res.json()) as AuditRecord;
      expect(record.outcome).toBe("done");
      expect(res.headers.get("ce-source")).toBe("/clusters/east/functions/annotate");
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("startFunctionServer writes the audit reply as built: status, ce-* headers, the record as body", async () => {
    const server = await startFunctionServer([annotateFunction], { kube, gateway: memoryGateway() }, { port: 0, processMetrics: false });
    try {
      const obj = await snapshot({ [MODE]: "requeue" });
      const res = await fetch(`${server.url}/annotate`, binaryEvent(obj));
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("2");
      expect(res.headers.get("ce-type")).toBe("dev.snapflow.audit.annotate.retried");
      expect(res.headers.get("ce-name")).toBe(obj.metadata.name);
      expect(res.headers.get("content-type")).toBe("application/json");
      const text = await res.text();
      expect(res.headers.get("content-length")).toBe(String(Buffer.byteLength(text)));
      expect(JSON.parse(text)).toMatchObject({ outcome: "requeue", uid: obj.metadata.uid });
      const health = await fetch(`${server.url}/healthz`);
      expect(await health.json()).toEqual({ ok: true, functions: ["annotate"] });
    } finally {
      await server.close();
    }
  });

  it("direct in-process entry: the same answer as POST /<name>, without a Request; unknown names are left to the app", async () => {
    const host = createFunctionHost([annotateFunction], { kube, gateway: memoryGateway() }, { processMetrics: false });
    const obj = await snapshot();
    const init = binaryEvent(obj);
    const pairs = Object.entries(init.headers as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v] as [string, string]);
    const viaDirect = await host.direct("http://in-process/annotate", pairs, Buffer.from(init.body as string))!;
    const record = JSON.parse(await viaDirect.text()) as AuditRecord;
    expect(viaDirect.status).toBe(200);
    expect(record).toMatchObject({ function: "annotate", outcome: "done", uid: obj.metadata.uid });
    expect(viaDirect.headers.get("ce-type")).toBe("dev.snapflow.audit.annotate.succeeded");
    // The same event through the app: nothing left to do now, answered the same way.
    const again = await host.app.request("/annotate", binaryEvent(obj));
    expect(again.status).toBe(200);
    expect(host.direct("http://in-process/nobody", pairs, Buffer.from(init.body as string))).toBeUndefined();
    // Over the body limit through the direct entry too.
    const tooBig = createFunctionHost([annotateFunction], { kube, gateway: memoryGateway(), maxBodyBytes: 10 }, { processMetrics: false });
    const refused = await tooBig.direct("http://in-process/annotate", pairs, Buffer.from(init.body as string))!;
    expect(refused.status).toBe(413);
  });
});
