// `snapflow bench --restores N --clones N`: provisioning through the whole local stack (dev
// cluster, nats-server, watcher, dispatcher, provision function, gateway, hostpath driver).
//  1. restores: N PVCs restored from one VolumeSnapshot of an empty volume, created at once; time
//     until every one is Bound (per-claim create → Bound latency from a watch);
//  2. clones: the same with N clones of one empty PVC;
//  3. data: a volume holding 100 MiB of files is snapshotted, then one restore is timed (create →
//     Bound, the driver's copy included) against `cp -a` of the same tree.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { KubeConfig, Watch } from "@kubernetes/client-node";
import { allFunctions } from "../cli/functions.js";
import { startStack } from "../cli/stack/stack.js";
import type { PersistentVolume, PersistentVolumeClaim } from "../shared/api/core.js";
import type { KubeObject } from "../shared/api/meta.js";
import { RESOURCES } from "../shared/api/resources.js";
import type { VolumeSnapshot } from "../shared/api/snapshot.js";
import { createKubeClient, type HttpKubeClient } from "../shared/kube/http-client.js";
import { pool } from "./support/pool.js";

const run = promisify(execFile);
const NAMESPACE = "bench-provision";
/** The target for restores/s and clones/s on the local stack. */
export const TARGET_PER_SECOND = 20;
const MiB = 1024 * 1024;

export interface ProvisionBenchOptions {
  restores?: number;
  clones?: number;
  /** Size of the data-carrying volume for the restore-vs-cp comparison (default 100 MiB; 0 skips it). */
  dataMiB?: number;
  /** Parallel creates by the bench client (default 64). */
  concurrency?: number;
  /** Calls in flight per function (default: the dispatcher's). */
  functionConcurrency?: number;
  dataDir?: string;
}

export interface BurstFigures {
  n: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  targetPerSecond: number;
  meetsTarget: boolean;
}

export interface ProvisionBenchResult {
  benchmark: "provision";
  when: string;
  /** The 1-minute load average before and after: figures from a busy machine read differently. */
  machine: { cpus: number; node: string; loadAverage: { before: number; after?: number } };
  restores?: BurstFigures;
  clones?: BurstFigures;
  restoreVsCp?: { bytes: number; files: number; restoreMs: number; cpMs: number; restoreOverCp: number };
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function claimObject(name: string, storage: string, dataSource?: PersistentVolumeClaim["spec"]["dataSource"]): PersistentVolumeClaim {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: NAMESPACE },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage } }, storageClassName: "standard", ...(dataSource ? { dataSource } : {}) },
  };
}

/** Resolves once every named claim was seen Bound; records when. */
class BoundWatch {
  readonly boundAt = new Map<string, number>();
  private waiters: Array<{ names: Set<string>; resolve: () => void }> = [];
  private abort?: () => void;

  async open(kubeconfigPath: string): Promise<void> {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const req = await new Watch(kc).watch(
      `/api/v1/namespaces/${NAMESPACE}/persistentvolumeclaims`,
      {},
      (_type: string, obj: PersistentVolumeClaim) => {
        const name = obj.metadata?.name;
        if (!name || obj.status?.phase !== "Bound" || this.boundAt.has(name)) return;
        this.boundAt.set(name, performance.now());
        this.waiters = this.waiters.filter((w) => {
          const done = [...w.names].every((n) => this.boundAt.has(n));
          if (done) w.resolve();
          return !done;
        });
      },
      () => undefined,
    );
    this.abort = () => req.abort();
  }

  until(names: string[], limitMs: number): Promise<void> {
    if (names.every((n) => this.boundAt.has(n))) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bench: only ${names.filter((n) => this.boundAt.has(n)).length}/${names.length} claims became Bound`)), limitMs);
      this.waiters.push({ names: new Set(names), resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  close(): void {
    this.abort?.();
  }
}

async function burst(kube: HttpKubeClient, watch: BoundWatch, prefix: string, n: number, concurrency: number, make: (name: string) => PersistentVolumeClaim): Promise<BurstFigures> {
  const names = Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(5, "0")}`);
  const createdAt = new Map<string, number>();
  const started = performance.now();
  await pool(names, concurrency, async (name) => {
    createdAt.set(name, performance.now());
    await kube.create(RESOURCES.persistentvolumeclaims, make(name));
  });
  await watch.until(names, Math.max(120_000, n * 500));
  const seconds = (Math.max(...names.map((name) => watch.boundAt.get(name)!)) - started) / 1000;
  const latencies = names.map((name) => watch.boundAt.get(name)! - createdAt.get(name)!).sort((a, b) => a - b);
  const perSecond = n / seconds;
  return {
    n,
    seconds: round(seconds, 3),
    perSecond: round(perSecond),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(latencies.at(-1) ?? 0),
    targetPerSecond: TARGET_PER_SECOND,
    meetsTarget: perSecond >= TARGET_PER_SECOND,
  };
}

async function hostPathOf(kube: HttpKubeClient, claim: string): Promise<string> {
  const pvc = await kube.get<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, claim, NAMESPACE);
  const pv = await kube.get<PersistentVolume>(RESOURCES.persistentvolumes, pvc!.spec.volumeName!);
  const path = pv?.spec.csi?.volumeAttributes?.hostPath;
  if (!path) throw new Error(`bench: claim ${claim} has no hostPath`);
  return path;
}

async function snapshot(kube: HttpKubeClient, name: string, claim: string, limitMs = 120_000): Promise<void> {
  await kube.create(RESOURCES.volumesnapshots, {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshot",
    metadata: { name, namespace: NAMESPACE },
    spec: { source: { persistentVolumeClaimName: claim } },
  } as VolumeSnapshot);
  const deadline = Date.now() + limitMs;
  while ((await kube.get<VolumeSnapshot>(RESOURCES.volumesnapshots, name, NAMESPACE))?.status?.readyToUse !== true) {
    if (Date.now() > deadline) throw new Error(`bench: snapshot ${name} never became ready`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Total bytes and files under a tree. */
async function treeSize(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    bytes += (await stat(join(entry.parentPath, entry.name))).size;
    files++;
  }
  return { bytes, files };
}

export async function runProvisionBench(options: ProvisionBenchOptions): Promise<ProvisionBenchResult> {
  const concurrency = options.concurrency ?? 64;
  for (const [flag, v] of [["--restores", options.restores], ["--clones", options.clones]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v <= 0)) throw new Error(`${flag} must be a positive integer, got ${v}`);
  }
  const dir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "snapflow-bench-provision-")));
  const ownsDir = options.dataDir === undefined;
  await mkdir(dir, { recursive: true });
  const stack = await startStack({
    dataDir: join(dir, "stack"),
    functions: allFunctions,
    randomPorts: true,
    clusterName: "bench",
    ...(options.functionConcurrency ? { functionConcurrency: options.functionConcurrency } : {}),
  });
  const kube = createKubeClient(stack.endpoints.kubeconfig, { userAgent: "snapflow-bench", maxSockets: concurrency });
  const result: ProvisionBenchResult = { benchmark: "provision", when: new Date().toISOString(), machine: { cpus: cpus().length, node: process.version, loadAverage: { before: round(loadavg()[0]!, 2) } } };
  const watch = new BoundWatch();
  try {
    await kube.create(RESOURCES.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } } as KubeObject);
    await watch.open(stack.endpoints.kubeconfig);

    // An empty source volume and a snapshot of it (not measured).
    await kube.create(RESOURCES.persistentvolumeclaims, claimObject("source", "1Mi"));
    await watch.until(["source"], 60_000);
    await snapshot(kube, "source-snap", "source");

    if (options.restores) {
      result.restores = await burst(kube, watch, "restore", options.restores, concurrency, (name) =>
        claimObject(name, "1Mi", { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "source-snap" }),
      );
    }
    if (options.clones) {
      result.clones = await burst(kube, watch, "clone", options.clones, concurrency, (name) => claimObject(name, "1Mi", { kind: "PersistentVolumeClaim", name: "source" }));
    }

    const dataMiB = options.dataMiB ?? 100;
    if (dataMiB > 0) {
      await kube.create(RESOURCES.persistentvolumeclaims, claimObject("data", `${dataMiB}Mi`));
      await watch.until(["data"], 60_000);
      const source = await hostPathOf(kube, "data");
      // 1 MiB files of random bytes: incompressible, and many enough that per-file costs show.
      for (let i = 0; i < dataMiB; i++) await writeFile(join(source, `file-${String(i).padStart(4, "0")}.bin`), randomBytes(MiB));
      await snapshot(kube, "data-snap", "data");

      const restoreStarted = performance.now();
      await kube.create(RESOURCES.persistentvolumeclaims, claimObject("data-restore", `${dataMiB}Mi`, { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "data-snap" }));
      await watch.until(["data-restore"], 300_000);
      const restoreMs = watch.boundAt.get("data-restore")! - restoreStarted;
      const restored = await treeSize(await hostPathOf(kube, "data-restore"));

      const copy = join(dir, "cp-copy");
      const cpStarted = performance.now();
      await run("cp", ["-a", source, copy]);
      const cpMs = performance.now() - cpStarted;
      const copied = await treeSize(copy);
      if (restored.bytes !== copied.bytes || restored.files !== copied.files) {
        throw new Error(`bench: the restore holds ${restored.bytes} bytes in ${restored.files} files, cp -a copied ${copied.bytes} in ${copied.files}`);
      }
      result.restoreVsCp = { bytes: restored.bytes, files: restored.files, restoreMs: round(restoreMs), cpMs: round(cpMs), restoreOverCp: round(restoreMs / cpMs, 2) };
    }
    result.machine.loadAverage.after = round(loadavg()[0]!, 2);
    return result;
  } finally {
    watch.close();
    kube.close();
    await stack.stop();
    if (ownsDir) await rm(dir, { recursive: true, force: true });
  }
}

/** Writes any bench result (also the merged snapshot + provision one) as pretty JSON. */
export async function writeProvisionBenchResult(result: object, file: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
}
