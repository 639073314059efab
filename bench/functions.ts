// Function-side benchmark against the embedded dev cluster:
//  1. kube client: GETs per second, latency and client CPU per call, snapflow's keep-alive HTTP
//     client vs client-node's generated API (which builds a new agent, hence a new connection, per
//     call); and the same for snapflow's PUTs (update);
//  2. function framework: events per second and latency through the full handler (CloudEvent parse
//     and validation, re-read, reconcile, audit reply), for a "nothing to do" event (one GET) and a
//     "done" event (GET + conditional PATCH + Event write).
import { mkdtempSync, rmSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import type { KubeObject } from "../shared/api/meta.js";
import { RESOURCES } from "../shared/api/resources.js";
import { createFunctionHandler } from "../shared/function/app.js";
import { createFunctionHost } from "../shared/function/host.js";
import type { SnapflowFunction } from "../shared/function/types.js";
import type { KubeClient } from "../shared/kube/types.js";
import { createLogger } from "../shared/log.js";
import pino from "pino";
import { GatewayError, type GatewayClient } from "../shared/gateway/types.js";
import { createKubeClient } from "../shared/kube/http-client.js";

export interface LatencyFigures {
  operations: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** process.cpuUsage (user + system) of this process per operation, microseconds. */
  cpuUsPerOp: number;
}

export interface FunctionsBenchResult {
  benchmark: "functions";
  when: string;
  machine: { cpus: number; node: string };
  concurrency: number;
  kubeGet: { snapflowClient: LatencyFigures; clientNode: LatencyFigures; speedup: number };
  /** snapflow's client: PUT of a whole object (update), each one conditional on its resourceVersion. */
  kubeUpdate: LatencyFigures;
  framework: { nothing: LatencyFigures; done: LatencyFigures };
  /** CPU the framework spends per delivery (see runFunctionsCpuBench). */
  cpu: FunctionsCpuFigures;
}

export interface CpuFigures {
  events: number;
  /** process.cpuUsage (user + system) per event, microseconds: the host's fetch and reading its answer (not building the request). */
  cpuUsPerEvent: number;
}

export interface FunctionsCpuFigures {
  /** targets → []: no re-read, answered "nothing" (the most common delivery). */
  nothingNoReread: CpuFigures;
  /** Re-read, conditional patch and an Event, answered "done" (in-memory API: framework cost only). */
  done: CpuFigures;
}

/**
 * The dev cluster in its own process (`snapflow cluster`), as in a real deployment: measuring the
 * client with the API server in the same event loop would mostly measure the server.
 */
async function startClusterProcess(dataDir: string): Promise<{ kubeconfigPath: string; close(): Promise<void> }> {
  const child = spawn(process.execPath, ["bin/snapflow.mjs", "cluster", "--data-dir", dataDir, "--random-ports"], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout! });
  const kubeconfigPath = await new Promise<string>((resolve, reject) => {
    lines.on("line", (line) => {
      const m = /^kubeconfig: (.+)$/.exec(line);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`dev cluster exited (${code}): ${stderr}`)));
  });
  return {
    kubeconfigPath,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
}

export interface FunctionsBenchOptions {
  /** Operations per measurement (default 2000). */
  operations?: number;
  /** Requests in flight (default 16). */
  concurrency?: number;
}

const round = (n: number) => Math.round(n * 100) / 100;

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Runs `op(i)` for i in [0, n) with `concurrency` in flight; returns throughput, latency and this
 * process's CPU per operation (the API server is a child process, so for kube calls that is the client's).
 */
async function measure(n: number, concurrency: number, op: (i: number) => Promise<void>): Promise<LatencyFigures> {
  const latencies: number[] = [];
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) {
        const t = performance.now();
        await op(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  return {
    operations: n,
    seconds: round(seconds),
    perSecond: round(n / seconds),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    cpuUsPerOp: round((cpu.user + cpu.system) / n),
  };
}

const MARK = "bench.snapflow.dev/seen";

/** Marks the object once (done), then has nothing to do: the shape of every level-triggered function. */
const markFunction: SnapflowFunction = {
  name: "mark",
  component: "snapflow-bench",
  resources: ["volumesnapshots"],
  async reconcile(ctx) {
    const obj = ctx.object!;
    if (obj.metadata.annotations?.[MARK]) return { kind: "nothing", why: "already marked" };
    await ctx.kube.patch(RESOURCES.volumesnapshots, obj.metadata.name!, obj.metadata.namespace, {
      metadata: { resourceVersion: obj.metadata.resourceVersion, annotations: { [MARK]: ctx.event.id } },
    });
    await ctx.recorder.record(obj, { type: "Normal", reason: "Marked", message: "marked by the benchmark" });
    return { kind: "done", did: ["marked"] };
  },
};

const noGateway = new Proxy({} as GatewayClient, {
  get: (_t, p) => (p === "forUid" || p === "then" ? undefined : async () => {
    throw new GatewayError("UNAVAILABLE", "the benchmark has no gateway");
  }),
});

function eventRequest(obj: KubeObject): Request {
  const { uid, resourceVersion, name, namespace } = obj.metadata;
  return new Request("http://bench/", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "ce-specversion": "1.0",
      "ce-id": `${uid}.${resourceVersion}.added`,
      "ce-source": "/clusters/bench",
      "ce-type": "dev.snapflow.k8s.volumesnapshots.added",
      "ce-subject": uid!,
      "ce-cluster": "bench",
      "ce-namespace": namespace!,
      "ce-name": name!,
      "ce-resourceversion": resourceVersion!,
      "ce-kind": "volumesnapshot",
    },
    body: JSON.stringify(obj),
  });
}

/** A realistic VolumeSnapshot as the watcher sends it. */
function sampleSnapshot(i: number): KubeObject {
  return {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshot",
    metadata: {
      name: `bench-${i}`,
      namespace: "default",
      uid: `0b6a3c1e-5d2f-4c8e-9a7b-${String(i).padStart(12, "0")}`,
      resourceVersion: String(1000 + i),
      generation: 1,
      creationTimestamp: "2026-11-22T17:00:00Z",
      finalizers: ["snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection", "snapshot.storage.kubernetes.io/volumesnapshot-bound-protection"],
      annotations: { "snapshot.storage.kubernetes.io/pvc-access-modes": "ReadWriteOnce", "snapshot.storage.kubernetes.io/pvc-volume-mode": "Filesystem" },
    },
    spec: { source: { persistentVolumeClaimName: `data-${i}` }, volumeSnapshotClassName: "snapflow-hostpath" },
    status: { boundVolumeSnapshotContentName: `snapcontent-${i}`, readyToUse: false },
  } as KubeObject;
}

/** An in-memory API: get returns the object, writes echo; nothing is stored (framework cost only). */
function memoryKube(objects: Map<string, KubeObject>): KubeClient {
  let rv = 1;
  return {
    async get<T extends KubeObject>(_type: unknown, name: string): Promise<T | undefined> {
      const o = objects.get(name);
      return o ? (structuredClone(o) as T) : undefined;
    },
    async list() {
      return { items: [], metadata: {} } as never;
    },
    async create<T extends KubeObject>(_type: unknown, object: T): Promise<T> {
      return { ...object, metadata: { ...object.metadata, name: object.metadata.name ?? `gen-${rv}`, uid: `uid-${rv}`, resourceVersion: String(++rv) } };
    },
    async update<T extends KubeObject>(_type: unknown, object: T): Promise<T> {
      return object;
    },
    async updateStatus<T extends KubeObject>(_type: unknown, object: T): Promise<T> {
      return object;
    },
    async patch<T extends KubeObject>(_type: unknown, name: string, namespace: string | undefined, patch: unknown): Promise<T> {
      // The object as stored (a VolumeSnapshot), or what a patched Event would be.
      return (objects.get(name) ?? { metadata: { name, namespace }, ...(patch as object) }) as T;
    },
    async delete() {
      return undefined;
    },
  } as KubeClient;
}

/** CPU per delivery through the function host's fetch (as the function worker's dispatcher calls it). */
export async function runFunctionsCpuBench(options: { events?: number; /** Profiling one path: the other reports 0 events. */ only?: "nothing" | "done" } = {}): Promise<FunctionsCpuFigures> {
  const n = options.events ?? 20_000;
  const objects = new Map<string, KubeObject>();
  const samples = Array.from({ length: 256 }, (_, i) => sampleSnapshot(i));
  for (const o of samples) objects.set(o.metadata.name!, o);
  const bodies = samples.map((o) => JSON.stringify(o));
  const nothingFn: SnapflowFunction = { name: "skip", resources: ["volumesnapshots"], targets: () => [], reconcile: async () => ({ kind: "nothing" }) };
  const doneFn: SnapflowFunction = {
    ...markFunction,
    async reconcile(ctx) {
      const obj = ctx.object!;
      await ctx.kube.patch(RESOURCES.volumesnapshots, obj.metadata.name!, obj.metadata.namespace, {
        metadata: { resourceVersion: obj.metadata.resourceVersion, annotations: { [MARK]: ctx.event.id } },
      });
      // A new reason each time: the recorder writes (create) rather than counting a repeat.
      await ctx.recorder.record(obj, { type: "Normal", reason: "Marked", message: `marked by ${ctx.event.id}` });
      return { kind: "done", did: ["marked"] };
    },
  };
  // Like the function worker: pino at info, to a file (here /dev/null).
  const log = createLogger({ name: "bench", level: "info", destination: pino.destination({ dest: "/dev/null", sync: false }) });
  const host = createFunctionHost([nothingFn, doneFn], { kube: memoryKube(objects), clusterName: "bench", gateway: noGateway, log: log.child({ component: "functions" }) }, { processMetrics: false });
  // The request as the dispatcher builds it (binary mode, header pairs, body bytes, no signal in-process).
  const request = (path: string, i: number): Request => {
    const o = samples[i % samples.length]!;
    const { uid, resourceVersion, name, namespace } = o.metadata;
    return new Request(`http://functions/${path}`, {
      method: "POST",
      headers: [
        ["content-type", "application/json"],
        ["ce-specversion", "1.0"],
        ["ce-id", `${uid}.${resourceVersion}.modified`],
        ["ce-source", "/clusters/bench"],
        ["ce-type", "dev.snapflow.k8s.volumesnapshots.modified"],
        ["ce-time", "2026-11-22T17:00:00.000Z"],
        ["ce-subject", uid!],
        ["ce-cluster", "bench"],
        ["ce-namespace", namespace!],
        ["ce-name", name!],
        ["ce-resourceversion", resourceVersion!],
        ["ce-kind", "volumesnapshot"],
        ["x-snapflow-delivery", "1"],
      ],
      body: bodies[i % bodies.length]!,
    });
  };
  // What the dispatcher does with the answer: status, headers and the body bytes.
  const deliver = async (req: Request, check?: string) => {
    const res = await host.app.fetch(req);
    void res.status;
    void res.headers.get("ce-type");
    const body = new Uint8Array(await res.arrayBuffer());
    if (check) {
      const record = JSON.parse(Buffer.from(body).toString()) as { outcome: string; message?: string };
      if (record.outcome !== check) throw new Error(`expected ${check}, got ${record.outcome}: ${record.message ?? ""}`);
    }
  };
  /** CPU of handling only: requests are built before each timed batch (16 in flight, as the dispatcher). */
  const run = async (path: string, want: string): Promise<CpuFigures> => {
    await deliver(request(path, 0), want);
    const concurrency = 16;
    const batch = 512;
    const loop = async (count: number) => {
      let cpu = 0;
      for (let done = 0; done < count; done += batch) {
        const requests = Array.from({ length: Math.min(batch, count - done) }, (_, k) => request(path, done + k));
        let next = 0;
        const before = process.cpuUsage();
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            for (let i = next++; i < requests.length; i = next++) await deliver(requests[i]!);
          }),
        );
        const used = process.cpuUsage(before);
        cpu += used.user + used.system;
      }
      return cpu;
    };
    await loop(Math.min(n, 5000)); // warm-up (JIT)
    const cpu = await loop(n);
    return { events: n, cpuUsPerEvent: round(cpu / n) };
  };
  const skipped: CpuFigures = { events: 0, cpuUsPerEvent: 0 };
  const nothingNoReread = options.only === "done" ? skipped : await run("skip", "nothing");
  const done = options.only === "nothing" ? skipped : await run("mark", "done");
  log.flush?.();
  return { nothingNoReread, done };
}

export async function runFunctionsBench(options: FunctionsBenchOptions = {}): Promise<FunctionsBenchResult> {
  const n = options.operations ?? 2000;
  const concurrency = options.concurrency ?? 16;
  const dir = mkdtempSync(join(tmpdir(), "snapflow-bench-functions-"));
  const cluster = await startClusterProcess(join(dir, "data"));
  const kube = createKubeClient(cluster.kubeconfigPath);
  try {
    const objects: KubeObject[] = [];
    await measure(n, concurrency, async (i) => {
      objects[i] = await kube.create(RESOURCES.volumesnapshots, {
        metadata: { name: `bench-${i}`, namespace: "default" },
        spec: { source: { persistentVolumeClaimName: "data" } },
      } as KubeObject);
    });

    // Warm both sides (JIT, connection pools) before anything is timed.
    await measure(n, concurrency, async (i) => {
      await kube.get(RESOURCES.volumesnapshots, `bench-${i}`, "default");
    });
    const snapflowClient = await measure(n, concurrency, async (i) => {
      await kube.get(RESOURCES.volumesnapshots, `bench-${i}`, "default");
    });
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const clientNode = await measure(n, concurrency, async (i) => {
      await custom.getNamespacedCustomObject({ group: "snapshot.storage.k8s.io", version: "v1", namespace: "default", plural: "volumesnapshots", name: `bench-${i}` });
    });
    // Each object is written once, from its current copy (which the framework runs below then use).
    const kubeUpdate = await measure(n, concurrency, async (i) => {
      const o = objects[i]!;
      objects[i] = await kube.update(RESOURCES.volumesnapshots, { ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, "bench.snapflow.dev/put": "1" } } });
    });

    const handle = createFunctionHandler(markFunction, { kube, clusterName: "bench", gateway: noGateway });
    const check = async (res: Response, want: string) => {
      const record = (await res.json()) as { outcome: string; message?: string };
      if (record.outcome !== want) throw new Error(`expected ${want}, got ${record.outcome}: ${record.message ?? ""}`);
    };
    const done = await measure(n, concurrency, async (i) => check(await handle(eventRequest(objects[i]!)), "done"));
    const nothing = await measure(n, concurrency, async (i) => check(await handle(eventRequest(objects[i]!)), "nothing"));

    return {
      benchmark: "functions",
      when: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      concurrency,
      kubeGet: { snapflowClient, clientNode, speedup: round(snapflowClient.perSecond / clientNode.perSecond) },
      kubeUpdate,
      framework: { nothing, done },
      cpu: await runFunctionsCpuBench(),
    };
  } finally {
    kube.close();
    await cluster.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function writeFunctionsBench(result: FunctionsBenchResult, file = join("bench-results", "functions.json")): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
}
