// Event backbone benchmark: API write → watcher → JetStream → dispatcher → no-op function ack.
// Phase 1 writes as fast as the API takes them and reports events/s end to end; phase 2 writes at a
// fixed rate (default 500/s) and reports latency percentiles from write to function answer.
import { mkdtempSync, rmSync } from "node:fs";
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

export interface EventsBenchOptions {
  throughputEvents?: number;
  latencyRate?: number;
  latencySeconds?: number;
  writeConcurrency?: number;
  dispatchConcurrency?: number;
}

export interface EventsBenchResult {
  benchmark: "events";
  when: string;
  machine: { cpus: number; node: string };
  throughput: { events: number; seconds: number; eventsPerSecond: number; apiWritesPerSecond: number; target: number; met: boolean };
  latency: { rate: number; events: number; p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number; targetP99Ms: number; met: boolean };
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
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const cluster = await startDevCluster({ dataDir: join(dir, "cluster"), port: 0 });
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
    const dispatcher = await startDispatcher({
      nc,
      cluster: "bench",
      functions: [{ name: "noop", resources: ["persistentvolumeclaims"], url: "http://in-process/noop", deliver: appDeliver(app), concurrency: options.dispatchConcurrency ?? 64 }],
    });
    cleanups.unshift(() => dispatcher.drain());
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    const publisher = new EventPublisher(jetstream(nc));
    const watcher = startWatcher({ kubeConfig: kc, publisher, cluster: "bench", resyncIntervalMs: 0 });
    cleanups.unshift(async () => {
      await watcher.stop();
      publisher.stop();
    });
    await watcher.ready;
    const kube = createKubeClient(cluster.kubeconfigPath);
    const type = RESOURCES.persistentvolumeclaims;

    const waitAll = (names: string[], limitMs: number) =>
      new Promise<void>((resolve, reject) => {
        const pending = new Set(names.filter((n) => !arrived.has(n)));
        if (pending.size === 0) return resolve();
        const timer = setTimeout(() => reject(new Error(`${pending.size} events never reached the function`)), limitMs);
        waiter = { names: pending, resolve: () => (clearTimeout(timer), resolve()) };
      });

    // Phase 1: throughput.
    const names = Array.from({ length: throughputEvents }, (_, i) => `tp-${i}`);
    const done = waitAll(names, 120_000);
    const start = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: writeConcurrency }, async () => {
        while (next < names.length) await kube.create(type, pvc(names[next++]!));
      }),
    );
    const writesDone = performance.now();
    await done;
    const seconds = (Math.max(...names.map((n) => arrived.get(n)!)) - start) / 1000;
    const eventsPerSecond = throughputEvents / seconds;

    // Phase 2: latency at a fixed rate.
    const total = Math.round(rate * latencySeconds);
    const latencyNames = Array.from({ length: total }, (_, i) => `lat-${i}`);
    const written = new Map<string, number>();
    const latencyDone = waitAll(latencyNames, 120_000);
    const writes: Array<Promise<unknown>> = [];
    const t0 = performance.now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
      while (sent < due) {
        const name = latencyNames[sent++]!;
        written.set(name, performance.now());
        writes.push(kube.create(type, pvc(name)));
      }
      await sleep(1);
    }
    await Promise.all(writes);
    await latencyDone;
    const latencies = latencyNames.map((n) => arrived.get(n)! - written.get(n)!).sort((a, b) => a - b);

    const p99 = percentile(latencies, 99);
    return {
      benchmark: "events",
      when: new Date().toISOString(),
      machine: { cpus: (await import("node:os")).cpus().length, node: process.version },
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
