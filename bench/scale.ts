// `snapflow bench --scale [--stored 20000] [--samples 20] [--burst 10]`: issue 6's scale target on the
// local stack. A new dynamic snapshot's create → readyToUse latency is measured on an empty cluster
// (`samples` snapshots one at a time, the pipeline idle before each, then `burst` at once); then
// `stored` ready snapshots are put in the SAME namespace (the worst case for anything that lists a
// namespace) and the same is measured again. With 20,000 stored, the latency should stay within 2× of
// the empty figure (upstream reports delays of minutes past 15,000).
//
// The stored snapshots are real: backend snapshots cut through the gateway (CreateSnapshot on a few
// source volumes), each imported as a pre-provisioned VolumeSnapshotContent (spec.source.snapshotHandle,
// deletionPolicy Delete) with a VolumeSnapshot naming it (spec.source.volumeSnapshotContentName). The
// bench client writes only those two objects; the pipeline binds them statically and reports their
// status, as it would for any imported snapshot, so the watcher, informers and functions hold and
// see all of them. The measurements start once every stored snapshot is ready and the delivery
// backlog is drained (no JetStream consumer with pending or unacknowledged messages). Everything is
// deleted through the pipeline at the end (backend snapshots included).
//
// The watcher's periodic resync is off for the run: a resync of 20,000 objects during a measurement
// would measure the resync, not the snapshot.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { performance } from "node:perf_hooks";
import { KubeConfig, Watch } from "@kubernetes/client-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { K8S_STREAM } from "../events/jetstream/index.js";
import type { RequestLogEntry } from "../infra/devcluster/index.js";
import type { PersistentVolumeClaim } from "../shared/api/core.js";
import type { KubeObject } from "../shared/api/meta.js";
import { RESOURCES } from "../shared/api/resources.js";
import type { VolumeSnapshot, VolumeSnapshotContent } from "../shared/api/snapshot.js";
import { listBackendSnapshots } from "./support/backend.js";
import { BENCH_AGENT, startBenchStack } from "./support/bench-stack.js";
import { pool } from "./support/pool.js";
import { createPreboundClaim, HOSTPATH_DRIVER } from "./support/prebound.js";
import { round } from "./support/round.js";
import { waitUntil } from "./support/wait.js";

const NAMESPACE = "bench-scale";
const SNAPSHOT_API_VERSION = "snapshot.storage.k8s.io/v1";
const WARM_UP_SAMPLES = 3;

export interface ScaleBenchOptions {
  /** Ready snapshots stored in the namespace before the second measurement (default 20,000). */
  stored?: number;
  /** Snapshots measured one at a time, per phase (default 20). */
  samples?: number;
  /** Snapshots created at once, per phase (default 10). */
  burst?: number;
  /** Backend volumes the stored snapshots are cut from (default 4). */
  sourceVolumes?: number;
  /** Parallel requests of the bench client while storing (default 32). */
  concurrency?: number;
  dataDir?: string;
  /** Progress lines (phases, storing progress). */
  onPhase?: (what: string) => void;
}

export interface ScaleBenchResult {
  stored: number;
  samples: number;
  emptyP50Ms: number;
  emptyP99Ms: number;
  scaledP50Ms: number;
  scaledP99Ms: number;
  ratioP50: number;
  ratioP99: number;
  burst: number;
  burstEmptyP50Ms: number;
  burstEmptyP99Ms: number;
  burstScaledP50Ms: number;
  burstScaledP99Ms: number;
  burstRatioP50: number;
  burstRatioP99: number;
  /** Storing the snapshots until all are ready and the pipeline is idle. */
  setupSeconds: number;
  /** Of which: the bench client's own writes (backend snapshots, contents, snapshots). */
  setupWriteSeconds: number;
  /** Pipeline idle → idle again after one sample (ready, PVC released, every delivery acked), p50. */
  emptySettleP50Ms: number;
  scaledSettleP50Ms: number;
  /** LISTs made by the pipeline per measured snapshot (sequential and burst), by resource: what grows with the namespace. */
  pipelineListsPerSnapshot: { empty: Record<string, number>; scaled: Record<string, number> };
  /** Function calls per measured snapshot, by function. */
  deliveriesPerSnapshot: { empty: Record<string, number>; scaled: Record<string, number> };
  peakRssMb: Record<string, number>;
  deleteSeconds: number;
  leftovers: { snapshots: number; contents: number; backendSnapshots: number };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const sortedCopy = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
const ratio = (a: number, b: number) => (b > 0 ? round(a / b, 2) : 0);

/**
 * Retries a set-up call that failed on the way (a keep-alive socket closed under it, a busy server):
 * the calls it wraps are idempotent by name, and a create that did land the first time answers
 * AlreadyExists, which counts as done.
 */
async function retried<T>(call: () => Promise<T>, attempts = 5): Promise<T | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const e = err as { retryable?: boolean; code?: unknown; reason?: string };
      if (attempt > 1 && e.reason === "AlreadyExists") return undefined;
      const transient = e.retryable === true || (typeof e.code === "number" && (e.code === 429 || e.code >= 500)) || (err instanceof Error && /ECONNRESET|socket hang up|EPIPE/.test(err.message));
      if (!transient || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

function positive(flag: string, n: number, allowZero = false): number {
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new Error(`${flag} must be a ${allowZero ? "non-negative" : "positive"} integer, got ${n}`);
  return n;
}

interface PhaseFigures {
  sequential: number[];
  burst: number[];
  settle: number[];
  lists: Record<string, number>;
  deliveries: Record<string, number>;
}

export async function runScaleBench(options: ScaleBenchOptions = {}): Promise<ScaleBenchResult> {
  const stored = positive("--stored", options.stored ?? 20_000, true);
  const samples = positive("--samples", options.samples ?? 20);
  const burst = positive("--burst", options.burst ?? 10, true);
  const sourceVolumes = positive("--source-volumes", options.sourceVolumes ?? 4);
  const concurrency = positive("--concurrency", options.concurrency ?? 32);
  const began = performance.now();
  const phase = (what: string) => options.onPhase?.(`+${((performance.now() - began) / 1000).toFixed(1)}s ${what}`);


  // LISTs by the pipeline (not the bench) while a phase is measured.
  let lists: Map<string, number> | undefined;
  const onRequest = (e: RequestLogEntry) => {
    if (lists && e.verb === "list" && !e.userAgent.startsWith(BENCH_AGENT)) {
      const key = e.resource ?? "?";
      lists.set(key, (lists.get(key) ?? 0) + 1);
    }
  };
  const bench = await startBenchStack({
    name: "scale",
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    onRequest,
    concurrency,
    stack: { resyncIntervalMs: 0 },
  });
  const { cluster, stack, kube, gateway } = bench;
  const jsm = await jetstreamManager(stack.nc);

  // One watch on the namespace's snapshots for the whole run: readiness of samples and stored ones.
  const readyAt = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  let storedReady = 0;
  let stopWatch: (() => void) | undefined;
  const whenReady = (name: string): Promise<void> =>
    readyAt.has(name) ? Promise.resolve() : new Promise<void>((resolve) => waiters.set(name, resolve));

  try {
    phase("stack up");
    await kube.create(RESOURCES.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } } as KubeObject);
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    let watchFailed: unknown;
    let stopping = false;
    const request = await new Watch(kc).watch(
      `/apis/snapshot.storage.k8s.io/v1/namespaces/${NAMESPACE}/volumesnapshots`,
      { timeoutSeconds: 86_400 },
      (_type: string, obj: VolumeSnapshot) => {
        const name = obj.metadata?.name;
        if (!name || obj.status?.readyToUse !== true || readyAt.has(name)) return;
        readyAt.set(name, performance.now());
        if (name.startsWith("stored-")) storedReady++;
        const waiter = waiters.get(name);
        if (waiter) {
          waiters.delete(name);
          waiter();
        }
      },
      (err: unknown) => {
        if (!stopping) watchFailed = err ?? new Error("the watch ended");
      },
    );
    stopWatch = () => {
      stopping = true;
      request.abort();
    };

    // Source PVCs for every measured snapshot: one each, so a sample never waits for another's PVC.
    const claimNames = (tag: string, seq = samples) => [
      ...Array.from({ length: seq }, (_, i) => `${tag}-seq-${i}`),
      ...Array.from({ length: burst }, (_, i) => `${tag}-burst-${i}`),
    ];
    // A few unmeasured snapshots first: the first ones pay for JIT compilation and cold caches.
    const warmSamples = Math.min(samples, WARM_UP_SAMPLES);
    const measuredNames = [...claimNames("warm", warmSamples), ...claimNames("empty"), ...claimNames("scaled")];
    const allClaims = measuredNames;
    await pool(allClaims, concurrency, (name) => createPreboundClaim(kube, gateway, { namespace: NAMESPACE, name, volumeName: `scale-${name}`, pvName: `scale-${name}` }));
    await waitUntil(
      "every source PVC Bound",
      async () => (await kube.list<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, { namespace: NAMESPACE })).items.filter((p) => p.status?.phase === "Bound").length === allClaims.length,
      120_000,
      { everyMs: 100, label: "bench --scale" },
    );

    // Idle: every delivery of every consumer acked, nothing new in the stream, twice in a row.
    const pipelineIdle = async (limitMs: number): Promise<void> => {
      let lastSeq = -1;
      let quietChecks = 0;
      let lastReport = performance.now();
      await waitUntil(
        "the pipeline to go idle",
        async () => {
          if (watchFailed) throw new Error(`bench --scale: the snapshot watch failed: ${String(watchFailed)}`);
          const seq = (await jsm.streams.info(K8S_STREAM)).state.last_seq;
          let busy = seq !== lastSeq;
          lastSeq = seq;
          if (!busy) {
            const waiting: string[] = [];
            for await (const c of jsm.consumers.list(K8S_STREAM)) {
              if (c.num_pending > 0 || c.num_ack_pending > 0) waiting.push(`${c.name} ${c.num_pending}+${c.num_ack_pending}`);
            }
            busy = waiting.length > 0;
            if (busy && performance.now() - lastReport > 5_000) {
              lastReport = performance.now();
              phase(`waiting for ${waiting.join(", ")} (pending+unacked)`);
            }
          }
          quietChecks = busy ? 0 : quietChecks + 1;
          return quietChecks >= 2;
        },
        limitMs,
        { everyMs: 50, label: "bench --scale" },
      );
    };
    await pipelineIdle(120_000);

    const createSnapshot = async (name: string, claim: string): Promise<number> => {
      const t = performance.now();
      await kube.create<VolumeSnapshot>(RESOURCES.volumesnapshots, {
        apiVersion: SNAPSHOT_API_VERSION,
        kind: "VolumeSnapshot",
        metadata: { name, namespace: NAMESPACE },
        spec: { source: { persistentVolumeClaimName: claim } },
      });
      return t;
    };
    const readyWithin = async (names: string[], limitMs: number) => {
      let timer: NodeJS.Timeout | undefined;
      let watching: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(names.map(whenReady)),
        new Promise<never>((_, reject) => {
          watching = setInterval(() => {
            if (watchFailed) reject(new Error(`bench --scale: the snapshot watch failed: ${String(watchFailed)}`));
          }, 1000);
          timer = setTimeout(() => {
            const late = names.filter((n) => !readyAt.has(n));
            reject(new Error(`bench --scale: ${late.length} snapshot(s) not ready after ${limitMs / 1000} s (${late.slice(0, 5).join(", ")}${late.length > 5 ? ", ..." : ""})`));
          }, limitMs);
        }),
      ]).finally(() => {
        clearTimeout(timer);
        clearInterval(watching);
      });
    };
    const delivered = () => Object.fromEntries(Object.entries(stack.dispatcher.stats).map(([fn, s]) => [fn, s.delivered]));

    const measure = async (tag: string, samples: number): Promise<PhaseFigures> => {
      const figures: PhaseFigures = { sequential: [], burst: [], settle: [], lists: {}, deliveries: {} };
      const counted = new Map<string, number>();
      lists = counted;
      const deliveredBefore = delivered();
      for (let i = 0; i < samples; i++) {
        const name = `${tag}-seq-${i}`;
        const t = await createSnapshot(name, name);
        await readyWithin([name], 300_000);
        figures.sequential.push(readyAt.get(name)! - t);
        await pipelineIdle(300_000);
        figures.settle.push(performance.now() - t);
      }
      phase(`${tag}: ${samples} one at a time, p50 ${round(percentile(sortedCopy(figures.sequential), 50), 1)} ms`);
      if (burst > 0) {
        const names = Array.from({ length: burst }, (_, i) => `${tag}-burst-${i}`);
        const created = await Promise.all(names.map((name) => createSnapshot(name, name)));
        await readyWithin(names, 300_000);
        names.forEach((name, i) => figures.burst.push(readyAt.get(name)! - created[i]!));
        await pipelineIdle(300_000);
        phase(`${tag}: burst of ${burst}, p50 ${round(percentile(sortedCopy(figures.burst), 50), 1)} ms`);
      }
      lists = undefined;
      const measured = samples + burst;
      figures.lists = Object.fromEntries([...counted].sort((a, b) => b[1] - a[1]).map(([what, count]) => [what, round(count / measured, 2)]));
      const deliveredAfter = delivered();
      figures.deliveries = Object.fromEntries(Object.entries(deliveredAfter).map(([fn, count]) => [fn, round((count - (deliveredBefore[fn] ?? 0)) / measured, 2)]));
      return figures;
    };

    // ---- empty namespace ----
    await measure("warm", warmSamples);
    const empty = await measure("empty", samples);

    // ---- store N ready snapshots (backend snapshot, imported content, snapshot naming it) ----
    const setupStarted = performance.now();
    const volumes: string[] = [];
    for (let i = 0; i < sourceVolumes; i++) {
      const volume = (await retried(() => gateway.createVolume(HOSTPATH_DRIVER, { name: `scale-stored-source-${i}`, requiredBytes: 1 << 20, capabilities: [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Filesystem" }] })))!;
      volumes.push(volume.volumeId);
    }
    const storedNames = Array.from({ length: stored }, (_, i) => `stored-${String(i).padStart(5, "0")}`);
    let written = 0;
    const progress = setInterval(() => phase(`storing: ${written}/${stored} written, ${storedReady} ready`), 10_000);
    try {
      await pool(storedNames, concurrency, async (name, i) => {
        const backend = (await retried(() => gateway.createSnapshot(HOSTPATH_DRIVER, { name: `scale-${name}`, sourceVolumeId: volumes[i % volumes.length]! })))!;
        await retried(() => kube.create<VolumeSnapshotContent>(RESOURCES.volumesnapshotcontents, {
          apiVersion: SNAPSHOT_API_VERSION,
          kind: "VolumeSnapshotContent",
          metadata: { name: `${NAMESPACE}-${name}` },
          spec: {
            volumeSnapshotRef: { name, namespace: NAMESPACE },
            deletionPolicy: "Delete",
            driver: HOSTPATH_DRIVER,
            source: { snapshotHandle: backend.snapshotId },
          },
        }));
        await retried(() => kube.create<VolumeSnapshot>(RESOURCES.volumesnapshots, {
          apiVersion: SNAPSHOT_API_VERSION,
          kind: "VolumeSnapshot",
          metadata: { name, namespace: NAMESPACE },
          spec: { source: { volumeSnapshotContentName: `${NAMESPACE}-${name}` } },
        }));
        written++;
      });
      const setupWriteSeconds = (performance.now() - setupStarted) / 1000;
      clearInterval(progress);
      phase(`stored: ${stored} written in ${setupWriteSeconds.toFixed(1)} s, ${storedReady} ready`);
      await readyWithin(storedNames, Math.max(300_000, stored * 100));
      phase(`stored: all ${stored} ready`);
      await pipelineIdle(Math.max(300_000, stored * 50));
      const setupSeconds = (performance.now() - setupStarted) / 1000;
      phase(`stored: pipeline idle after ${setupSeconds.toFixed(1)} s`);

      // ---- the same namespace, N snapshots in it ----
      const scaled = await measure("scaled", samples);

      // ---- delete everything through the pipeline ----
      const deleteStarted = performance.now();
      await pool([...measuredNames, ...storedNames], concurrency * 2, async (name) => {
        await kube.delete(RESOURCES.volumesnapshots, name, NAMESPACE);
      });
      phase("deleting");
      await waitUntil(
        "snapshots and contents deleted",
        async () =>
          (await kube.list(RESOURCES.volumesnapshots, { namespace: NAMESPACE, limit: 1 })).items.length === 0 &&
          (await kube.list(RESOURCES.volumesnapshotcontents, { limit: 1 })).items.length === 0,
        Math.max(300_000, (stored + measuredNames.length) * 100),
        { everyMs: 500, label: "bench --scale" },
      );
      const deleteSeconds = (performance.now() - deleteStarted) / 1000;
      phase(`deleted in ${deleteSeconds.toFixed(1)} s`);

      const e = sortedCopy(empty.sequential);
      const s = sortedCopy(scaled.sequential);
      const eb = sortedCopy(empty.burst);
      const sb = sortedCopy(scaled.burst);
      const [emptyP50, emptyP99, scaledP50, scaledP99] = [percentile(e, 50), percentile(e, 99), percentile(s, 50), percentile(s, 99)];
      const [burstEmptyP50, burstEmptyP99, burstScaledP50, burstScaledP99] = [percentile(eb, 50), percentile(eb, 99), percentile(sb, 50), percentile(sb, 99)];
      return {
        stored,
        samples,
        emptyP50Ms: round(emptyP50, 1),
        emptyP99Ms: round(emptyP99, 1),
        scaledP50Ms: round(scaledP50, 1),
        scaledP99Ms: round(scaledP99, 1),
        ratioP50: ratio(scaledP50, emptyP50),
        ratioP99: ratio(scaledP99, emptyP99),
        burst,
        burstEmptyP50Ms: round(burstEmptyP50, 1),
        burstEmptyP99Ms: round(burstEmptyP99, 1),
        burstScaledP50Ms: round(burstScaledP50, 1),
        burstScaledP99Ms: round(burstScaledP99, 1),
        burstRatioP50: ratio(burstScaledP50, burstEmptyP50),
        burstRatioP99: ratio(burstScaledP99, burstEmptyP99),
        setupSeconds: round(setupSeconds, 1),
        setupWriteSeconds: round(setupWriteSeconds, 1),
        emptySettleP50Ms: round(percentile(sortedCopy(empty.settle), 50), 1),
        scaledSettleP50Ms: round(percentile(sortedCopy(scaled.settle), 50), 1),
        pipelineListsPerSnapshot: { empty: empty.lists, scaled: scaled.lists },
        deliveriesPerSnapshot: { empty: empty.deliveries, scaled: scaled.deliveries },
        peakRssMb: bench.peakRssMb(),
        deleteSeconds: round(deleteSeconds, 1),
        leftovers: {
          snapshots: (await kube.list(RESOURCES.volumesnapshots, { namespace: NAMESPACE })).items.length,
          contents: (await kube.list(RESOURCES.volumesnapshotcontents)).items.length,
          backendSnapshots: (await listBackendSnapshots(gateway)).length,
        },
      };
    } finally {
      clearInterval(progress);
    }
  } finally {
    phase("stopping");
    stopWatch?.();
    await bench.stop();
  }
}

export async function writeScaleBenchResult(result: ScaleBenchResult, file: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
}
