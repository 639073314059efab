// `snapflow bench --snapshots N`: the snapshot pipeline end to end on the local stack. N bound PVCs
// (pre-provisioned volumes on the hostpath driver), N VolumeSnapshots created at once, time until
// every one is readyToUse (per-snapshot create → ready latency from a watch), the API writes the
// pipeline made per snapshot, and the floor: the same number of writes done directly by one tight
// client against the same API server. Then everything is deleted again.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig, Watch } from "@kubernetes/client-node";
import type { RequestLogEntry } from "../infra/devcluster/index.js";
import type { PersistentVolumeClaim } from "../shared/api/core.js";
import type { KubeObject } from "../shared/api/meta.js";
import { RESOURCES, type ResourceType } from "../shared/api/resources.js";
import type { VolumeSnapshot } from "../shared/api/snapshot.js";
import { BENCH_AGENT, startBenchStack } from "./support/bench-stack.js";
import { pool } from "./support/pool.js";
import { createPreboundClaim } from "./support/prebound.js";
import { round } from "./support/round.js";
import { waitUntil as waitFor } from "./support/wait.js";

const DRIVER = "hostpath.snapflow.dev";
const NAMESPACE = "bench";
const WRITE_VERBS = new Set(["create", "update", "patch", "delete"]);
/** Floor measurements; the median is floorSeconds. */
const FLOOR_ROUNDS = 3;
/** Not watched by snapflow: the floor's writes trigger no function. */
const CONFIGMAPS: ResourceType = { group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true };
/**
 * API writes upstream makes per dynamic snapshot with a default class (counted from
 * external-snapshotter's flow): VS class patch, VS as-source finalizer, PVC finalizer, VSC create,
 * VS status (bound), VSC finalizer, being-created annotation, VSC status, annotation removal, VS
 * bound finalizer, VS status (ready), PVC finalizer removal = 12, plus 3 Events
 * (CreatingSnapshot, SnapshotCreated, SnapshotReady).
 */
export const UPSTREAM_WRITES_PER_SNAPSHOT = { objects: 12, events: 3, total: 15 } as const;

export interface SnapshotBenchOptions {
  snapshots: number;
  /** Parallel requests the bench itself uses to set up and to create the snapshots. */
  concurrency?: number;
  dataDir?: string;
  /** Calls in flight per function (default: the dispatcher's). */
  functionConcurrency?: number;
  onProgress?: (ready: number, total: number) => void;
}

export interface SnapshotBenchResult {
  snapshots: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  apiWritesPerSnapshot: number;
  apiWritesBreakdown: { objects: number; events: number; conflicts: number };
  upstreamWritesPerSnapshot: typeof UPSTREAM_WRITES_PER_SNAPSHOT;
  /** GETs and LISTs by the pipeline (functions, gateway, watcher) per snapshot, by verb and resource. */
  apiReadsPerSnapshot: Record<string, number>;
  /** Function calls the dispatcher made per snapshot, by function (most end in "nothing to do"). */
  deliveriesPerSnapshot: Record<string, number>;
  /** The median of floorRoundsSeconds. */
  floorSeconds: number;
  floorRoundsSeconds: number[];
  ratioToFloor: number;
  /**
   * The floor with the pipeline's reads too (apiReadsPerSnapshot, summed): the API traffic that DESIGN's
   * "re-read before every step" fixes, done by one tight client with nothing else running. No pipeline
   * that follows DESIGN finishes faster than this on the same machine; the median of its rounds.
   */
  readWriteFloorSeconds: number;
  readWriteFloorRoundsSeconds: number[];
  peakRssMb: Record<string, number>;
  /**
   * CPU time each process spent from the first create until every snapshot was ready, per snapshot
   * (main: dev cluster, gateway, driver, watcher; worker: dispatcher and functions). Unlike seconds it
   * barely moves with other load on the machine.
   */
  cpuMsPerSnapshot: Record<string, number>;
  deleteSeconds: number;
  leftovers: { contents: number; backendSnapshots: number; pvcFinalizers: number };
}

const waitUntil = (what: string, check: () => Promise<boolean>, limitMs: number) => waitFor(what, check, limitMs, { everyMs: 50, label: "bench" });

/** The middle round: one round moves by ±20 % with the machine's own drift. */
function median(rounds: readonly number[]): number {
  return [...rounds].sort((a, b) => a - b)[Math.floor(rounds.length / 2)]!;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** CPU milliseconds (user + system) a process has used so far, from /proc (0 when unreadable). */
async function cpuMsOf(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start at state; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

async function cpuOfAll(pids: Record<string, number | undefined>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [what, pid] of Object.entries(pids)) if (pid) out[what] = await cpuMsOf(pid);
  return out;
}

function deliveredByFunction(stats: Record<string, { delivered: number }>): Record<string, number> {
  return Object.fromEntries(Object.entries(stats).map(([fn, s]) => [fn, s.delivered]));
}

export async function runSnapshotBench(options: SnapshotBenchOptions): Promise<SnapshotBenchResult> {
  const began = performance.now();
  const phase = (what: string) => {
    if (process.env.SNAPFLOW_BENCH_TRACE) process.stderr.write(`[bench +${((performance.now() - began) / 1000).toFixed(1)}s] ${what}\n`);
  };
  const n = options.snapshots;
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--snapshots must be a positive integer, got ${n}`);
  const concurrency = options.concurrency ?? 32;

  let counting = false;
  const writes = { objects: 0, events: 0, conflicts: 0 };
  const reads = new Map<string, number>();
  const onRequest = (e: RequestLogEntry) => {
    if (counting && e.verb && (e.verb === "get" || e.verb === "list") && !e.userAgent.startsWith(BENCH_AGENT)) {
      const key = `${e.verb} ${e.resource}`;
      reads.set(key, (reads.get(key) ?? 0) + 1);
    }
    if (!counting || !e.verb || !WRITE_VERBS.has(e.verb) || e.userAgent.startsWith(BENCH_AGENT)) return;
    if (e.code === 409) writes.conflicts++;
    else if (e.code < 300) {
      if (e.resource === "events") writes.events++;
      else writes.objects++;
    }
  };
  const bench = await startBenchStack({
    name: "snapshots",
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    onRequest,
    concurrency,
    stack: options.functionConcurrency ? { functionConcurrency: options.functionConcurrency } : {},
  });
  const { cluster, nats, stack, kube, gateway } = bench;
  /**
   * One tight client against the same API server, nothing watching: per object a create, then
   * `writes - 1` updates, each after a GET while `reads` last (the pipeline re-reads before it
   * writes), the rest of the GETs at the end. FLOOR_ROUNDS rounds, in seconds.
   */
  const floorRoundsOf = async (names: readonly string[], tag: string, writesPerObject: number, readsPerObject: number): Promise<number[]> => {
    const rounds: number[] = [];
    for (let roundNo = 0; roundNo < FLOOR_ROUNDS; roundNo++) {
      const floorStarted = performance.now();
      await pool(names, concurrency, async (name) => {
        const cmName = `${tag}-${roundNo}-${name}`;
        let cm = await kube.create<KubeObject & { data?: Record<string, string> }>(CONFIGMAPS, {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: cmName, namespace: NAMESPACE },
          data: { step: "0" },
        });
        let readsLeft = readsPerObject;
        for (let step = 1; step < writesPerObject; step++) {
          if (readsLeft > 0) {
            cm = (await kube.get<typeof cm>(CONFIGMAPS, cmName, NAMESPACE)) ?? cm;
            readsLeft--;
          }
          cm = await kube.update(CONFIGMAPS, { ...cm, data: { step: String(step) } });
        }
        for (; readsLeft > 0; readsLeft--) await kube.get(CONFIGMAPS, cmName, NAMESPACE);
      });
      rounds.push((performance.now() - floorStarted) / 1000);
    }
    return rounds;
  };
  const workerPid = stack.functionWorkerPid;
  let stopWatch: (() => void) | undefined;

  try {
    phase("stack up");
    // ---- setup: N volumes, pre-bound PVs and PVCs (not measured) ----
    await kube.create(RESOURCES.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } } as KubeObject);
    const names = Array.from({ length: n }, (_, i) => `data-${String(i).padStart(5, "0")}`);
    await pool(names, concurrency, (name) => createPreboundClaim(kube, gateway, { namespace: NAMESPACE, name, volumeName: `bench-${name}`, pvName: `bench-${name}` }));
    phase("setup objects created");
    await waitUntil(
      "all PVCs Bound",
      async () => (await kube.list<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, { namespace: NAMESPACE })).items.filter((p) => p.status?.phase === "Bound").length === n,
      120_000,
    );
    phase("PVCs bound");
    // Let the watcher and functions work through the setup's events before measuring.
    await sleep(1000);

    // ---- measured: N snapshots at once until all are ready ----
    const createdAt = new Map<string, number>();
    const readyAt = new Map<string, number>();
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    let allReady!: () => void;
    const everyoneReady = new Promise<void>((resolve) => (allReady = resolve));
    const request = await new Watch(kc).watch(
      `/apis/snapshot.storage.k8s.io/v1/namespaces/${NAMESPACE}/volumesnapshots`,
      {},
      (_type: string, obj: VolumeSnapshot) => {
        const name = obj.metadata?.name;
        if (!name || obj.status?.readyToUse !== true || readyAt.has(name)) return;
        readyAt.set(name, performance.now());
        options.onProgress?.(readyAt.size, n);
        if (readyAt.size === n) allReady();
      },
      () => undefined,
    );
    stopWatch = () => request.abort();

    phase("watch open");
    const deliveredBefore = deliveredByFunction(stack.dispatcher.stats);
    const cpuPids = { main: process.pid, worker: workerPid, nats: nats.pid };
    const cpuBefore = await cpuOfAll(cpuPids);
    counting = true;
    const started = performance.now();
    await pool(names, concurrency * 4, async (name) => {
      createdAt.set(name, performance.now());
      await kube.create<VolumeSnapshot>(RESOURCES.volumesnapshots, {
        apiVersion: "snapshot.storage.k8s.io/v1",
        kind: "VolumeSnapshot",
        metadata: { name, namespace: NAMESPACE },
        spec: { source: { persistentVolumeClaimName: name } },
      });
    });
    let giveUp: NodeJS.Timeout | undefined;
    await Promise.race([
      everyoneReady,
      new Promise<never>((_, reject) => {
        giveUp = setTimeout(() => reject(new Error(`bench: only ${readyAt.size}/${n} snapshots became ready`)), Math.max(120_000, n * 300));
      }),
    ]).finally(() => clearTimeout(giveUp));
    phase("all ready");
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = await cpuOfAll(cpuPids);
    const cpuMsPerSnapshot = Object.fromEntries(Object.entries(cpuAfter).map(([what, ms]) => [what, round((ms - (cpuBefore[what] ?? 0)) / n, 2)]));
    // PVC releases trail readiness; include them in the write count.
    await waitUntil(
      "PVC finalizers released",
      async () => (await kube.list<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, { namespace: NAMESPACE })).items.every((p) => !(p.metadata.finalizers ?? []).includes("snapshot.storage.kubernetes.io/pvc-as-source-protection")),
      120_000,
    );
    await sleep(500);
    counting = false;
    const deliveredAfter = deliveredByFunction(stack.dispatcher.stats);
    const deliveries = Object.fromEntries(Object.entries(deliveredAfter).map(([fn, count]) => [fn, round((count - (deliveredBefore[fn] ?? 0)) / n, 2)]));
    stopWatch();
    stopWatch = undefined;

    const latencies = names.map((name) => readyAt.get(name)! - createdAt.get(name)!).sort((a, b) => a - b);
    const totalWrites = writes.objects + writes.events;

    phase("PVCs released");
    // ---- floors: the same writes (and then the same reads and writes) by one tight client, no pipeline ----
    const perObject = Math.max(1, Math.round(totalWrites / n));
    const readsPerObject = Math.round([...reads.values()].reduce((a, b) => a + b, 0) / n);
    const floorRounds = await floorRoundsOf(names, "floor", perObject, 0);
    const floorSeconds = median(floorRounds);
    const readWriteRounds = await floorRoundsOf(names, "rw", perObject, readsPerObject);

    phase("floor done");
    // ---- teardown of the snapshots through the pipeline ----
    const deleteStarted = performance.now();
    await pool(names, concurrency * 4, async (name) => {
      await kube.delete(RESOURCES.volumesnapshots, name, NAMESPACE);
    });
    await waitUntil(
      "snapshots and contents deleted",
      async () =>
        (await kube.list(RESOURCES.volumesnapshots, { namespace: NAMESPACE, limit: 1 })).items.length === 0 &&
        (await kube.list(RESOURCES.volumesnapshotcontents, { limit: 1 })).items.length === 0,
      Math.max(120_000, n * 300),
    );
    phase("deleted");
    const deleteSeconds = (performance.now() - deleteStarted) / 1000;
    const backend = await gateway.listSnapshots(DRIVER, {});
    const claims = await kube.list<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, { namespace: NAMESPACE });

    return {
      snapshots: n,
      seconds: round(seconds, 3),
      perSecond: round(n / seconds, 1),
      p50Ms: round(percentile(latencies, 50), 1),
      p99Ms: round(percentile(latencies, 99), 1),
      maxMs: round(latencies.at(-1) ?? 0, 1),
      apiWritesPerSnapshot: round(totalWrites / n, 2),
      apiWritesBreakdown: { objects: round(writes.objects / n, 2), events: round(writes.events / n, 2), conflicts: round(writes.conflicts / n, 2) },
      upstreamWritesPerSnapshot: UPSTREAM_WRITES_PER_SNAPSHOT,
      apiReadsPerSnapshot: Object.fromEntries([...reads].sort((a, b) => b[1] - a[1]).map(([what, count]) => [what, round(count / n, 2)])),
      deliveriesPerSnapshot: { total: round(Object.values(deliveries).reduce((a, b) => a + b, 0), 2), ...deliveries },
      floorSeconds: round(floorSeconds, 3),
      floorRoundsSeconds: floorRounds.map((f) => round(f, 3)),
      ratioToFloor: round(seconds / floorSeconds, 2),
      readWriteFloorSeconds: round(median(readWriteRounds), 3),
      readWriteFloorRoundsSeconds: readWriteRounds.map((f) => round(f, 3)),
      peakRssMb: bench.peakRssMb(),
      cpuMsPerSnapshot,
      deleteSeconds: round(deleteSeconds, 3),
      leftovers: {
        contents: (await kube.list(RESOURCES.volumesnapshotcontents)).items.length,
        backendSnapshots: backend.entries.length,
        pvcFinalizers: claims.items.filter((p) => (p.metadata.finalizers ?? []).some((f) => f.startsWith("snapshot.storage.kubernetes.io/"))).length,
      },
    };
  } finally {
    phase("stopping");
    stopWatch?.();
    await bench.stop();
    phase("stopped");
  }
}

export async function writeSnapshotBenchResult(result: SnapshotBenchResult, file: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
}
