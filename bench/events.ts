// Event backbone benchmark: API write → watcher → JetStream → dispatcher → no-op function ack.
// Phase 1 writes as fast as the API takes them and reports events/s end to end; phase 2 writes at a
// fixed rate (default 500/s) and reports latency percentiles from write to function answer.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { performance } from "node:perf_hooks";
import { Hono } from "hono";
import { KubeConfig } from "@kubernetes/client-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { appDeliver, startDispatcher } from "../events/dispatcher/index.js";
import { connectNats, ensureStreams } from "../events/jetstream/index.js";
import { EventPublisher } from "../events/watcher/publisher.js";
import { startWatcher } from "../events/watcher/watcher.js";
import { startDevCluster } from "../infra/devcluster/index.js";
import { startNatsServer } from "../cli/stack/nats-server.js";
import { RESOURCES } from "../shared/api/resources.js";
import { createKubeClient } from "../shared/kube/http-client.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** `snapflow cluster` as a child process; resolves once it wrote DIR/ready. */
async function spawnDevCluster(dataDir: string): Promise<{ kubeconfigPath: string; close(): Promise<void> }> {
  const child = spawn(process.execPath, [join(ROOT, "bin", "snapflow.mjs"), "cluster", "--data-dir", dataDir, "--random-ports"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!existsSync(join(dataDir, "ready"))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`dev cluster did not start: ${stderr.trim()}`);
    }
    await sleep(50);
  }
  return {
    kubeconfigPath: join(dataDir, "kubeconfig"),
    async close() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

export interface EventsBenchOptions {
  /** Run the dev cluster inside the benchmark process instead of as a child process. */
  inProcessCluster?: boolean;
  throughputEvents?: number;
  latencyRate?: number;
  latencySeconds?: number;
  writeConcurrency?: number;
  dispatchConcurrency?: number;
}

export interface EventsBenchResult {
  benchmark: "events";
  when: string;
  /** Load averages (1 min) before and after: other work on the machine skews the figures. */
  machine: { cpus: number; node: string; loadBefore: number; loadAfter: number };
  /** Objects already in the API, turned into events by the watcher's list and acked by the function. */
  pipeline: { events: number; seconds: number; eventsPerSecond: number; target: number; met: boolean };
  /** Objects written during the run: API write → function ack (capped by apiWritesPerSecond). */
  throughput: { events: number; seconds: number; eventsPerSecond: number; apiWritesPerSecond: number; target: number; met: boolean };
  /** From sending the write request to the function's answer (includes the API server's write time). */
  latency: { rate: number; events: number; p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number; targetP99Ms: number; met: boolean };
  /** From the API server's write response to the function's answer (0 when the event won the race). */
  latencyAfterWrite: { p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (n: number) => Math.round(n * 100) / 100;

function pvc(name: string) {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: "default" },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: "bench-none" },
  };
}

export async function runEventsBench(options: EventsBenchOptions = {}): Promise<EventsBenchResult> {
  const throughputEvents = options.throughputEvents ?? 3000;
  const rate = options.latencyRate ?? 500;
  const latencySeconds = options.latencySeconds ?? 6;
  const writeConcurrency = options.writeConcurrency ?? 32;
  const dir = mkdtempSync(join(tmpdir(), "snapflow-bench-events-"));
  const loadBefore = loadavg()[0]!;
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    // The API server gets its own process (as a real one would), so it does not share our event loop.
    const cluster = options.inProcessCluster ? await startDevCluster({ dataDir: join(dir, "cluster"), port: 0 }) : await spawnDevCluster(join(dir, "cluster"));
    cleanups.push(() => cluster.close());
    const nats = await startNatsServer({ dir: join(dir, "nats") });
    cleanups.push(() => nats.stop());
    const nc = await connectNats(nats.url, "bench-events");
    cleanups.push(() => nc.close());
    await ensureStreams(await jetstreamManager(nc));

    // The no-op function: answers 200 at once and notes when each object's first event arrived.
    const arrived = new Map<string, number>();
    let waiter: { names: Set<string>; resolve: () => void } | undefined;
    const app = new Hono();
    app.post("/noop", (c) => {
      const name = c.req.header("ce-name");
      if (name && c.req.header("ce-type")?.endsWith(".added") && !arrived.has(name)) {
        arrived.set(name, performance.now());
        if (waiter?.names.delete(name) && waiter.names.size === 0) waiter.resolve();
      }
      return c.body(null, 200);
    });
    const waitAll = (names: string[], limitMs: number) =>
      new Promise<void>((resolve, reject) => {
        const pending = new Set(names.filter((n) => !arrived.has(n)));
        if (pending.size === 0) return resolve();
        const timer = setTimeout(() => reject(new Error(`${pending.size} events never reached the function`)), limitMs);
        waiter = { names: pending, resolve: () => (clearTimeout(timer), resolve()) };
      });
    const dispatcher = await startDispatcher({
      nc,
      cluster: "bench",
      functions: [{ name: "noop", resources: ["persistentvolumeclaims"], url: "http://in-process/noop", deliver: appDeliver(app), concurrency: options.dispatchConcurrency ?? 64 }],
    });
    cleanups.unshift(() => dispatcher.drain());
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    const kube = createKubeClient(cluster.kubeconfigPath);
    const type = RESOURCES.persistentvolumeclaims;
    const writeAll = async (names: string[]) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: writeConcurrency }, async () => {
          while (next < names.length) await kube.create(type, pvc(names[next++]!));
        }),
      );
    };

    // Phase 0 (pipeline): objects already in the API when the watcher starts; its initial list turns
    // them into events. Measures API → watcher → JetStream → dispatcher → function, without the
    // API server's write cost.
    const burstNames = Array.from({ length: throughputEvents }, (_, i) => `burst-${i}`);
    await writeAll(burstNames);
    const publisher = new EventPublisher(jetstream(nc));
    const burstDone = waitAll(burstNames, 120_000);
    const watcherStart = performance.now();
    const watcher = startWatcher({ kubeConfig: kc, publisher, cluster: "bench", resyncIntervalMs: 0 });
    cleanups.unshift(async () => {
      await watcher.stop();
      publisher.stop();
    });
    await watcher.ready;
    await burstDone;
    const pipelineSeconds = (Math.max(...burstNames.map((n) => arrived.get(n)!)) - watcherStart) / 1000;

    // Phase 1: end to end, from the API write: bounded by how fast the API server takes writes.
    const names = Array.from({ length: throughputEvents }, (_, i) => `tp-${i}`);
    const done = waitAll(names, 120_000);
    const start = performance.now();
    await writeAll(names);
    const writesDone = performance.now();
    await done;
    const seconds = (Math.max(...names.map((n) => arrived.get(n)!)) - start) / 1000;
    const eventsPerSecond = throughputEvents / seconds;

    // Phase 2: latency at a fixed rate.
    const total = Math.round(rate * latencySeconds);
    const latencyNames = Array.from({ length: total }, (_, i) => `lat-${i}`);
    const written = new Map<string, number>();
    const committed = new Map<string, number>();
    const latencyDone = waitAll(latencyNames, 120_000);
    const writes: Array<Promise<unknown>> = [];
    const t0 = performance.now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
      while (sent < due) {
        const name = latencyNames[sent++]!;
        written.set(name, performance.now());
        writes.push(kube.create(type, pvc(name)).then(() => committed.set(name, performance.now())));
      }
      await sleep(1);
    }
    await Promise.all(writes);
    await latencyDone;
    const latencies = latencyNames.map((n) => arrived.get(n)! - written.get(n)!).sort((a, b) => a - b);
    const afterWrite = latencyNames.map((n) => Math.max(0, arrived.get(n)! - committed.get(n)!)).sort((a, b) => a - b);

    const p99 = percentile(latencies, 99);
    return {
      benchmark: "events",
      when: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version, loadBefore: round(loadBefore), loadAfter: round(loadavg()[0]!) },
      pipeline: {
        events: throughputEvents,
        seconds: round(pipelineSeconds),
        eventsPerSecond: Math.round(throughputEvents / pipelineSeconds),
        target: 2000,
        met: throughputEvents / pipelineSeconds >= 2000,
      },
      throughput: {
        events: throughputEvents,
        seconds: round(seconds),
        eventsPerSecond: Math.round(eventsPerSecond),
        apiWritesPerSecond: Math.round(throughputEvents / ((writesDone - start) / 1000)),
        target: 2000,
        met: eventsPerSecond >= 2000,
      },
      latency: {
        rate,
        events: total,
        p50Ms: round(percentile(latencies, 50)),
        p90Ms: round(percentile(latencies, 90)),
        p99Ms: round(p99),
        maxMs: round(latencies[latencies.length - 1]!),
        targetP99Ms: 50,
        met: p99 <= 50,
      },
      latencyAfterWrite: {
        p50Ms: round(percentile(afterWrite, 50)),
        p90Ms: round(percentile(afterWrite, 90)),
        p99Ms: round(percentile(afterWrite, 99)),
        maxMs: round(afterWrite[afterWrite.length - 1]!),
      },
    };
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function writeBenchResult(result: EventsBenchResult, file = join("bench-results", "events.json")): Promise<void> {
  await mkdir(join(file, ".."), { recursive: true });
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
}
