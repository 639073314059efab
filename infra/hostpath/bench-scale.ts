// The scale half of `snapflow bench-driver` (key `scale`): CreateSnapshot and CreateVolume-from-
// snapshot latency (and CPU per call) over gRPC with `inFlight` calls at once, on a driver that
// already stores 0, and then 20,000, snapshots (of empty volumes, so the figures are the driver's
// bookkeeping, not data copying). The target: a new snapshot at 20,000 stored takes at most 2x what
// it takes on an empty driver. Each level gets its own scratch data dir, removed afterwards.
//
// Pre-existing snapshots are made through the driver itself (in process, without fsyncing the empty
// copies, to keep the set-up short); the driver is then closed and reopened with its defaults, so
// the measured calls also show the cost of loading that many records.
import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { callUnary, loadCsi } from "../../shared/csi/load.js";
import { HostpathDriver } from "./driver.js";
import { serveCsi } from "./server.js";

export interface ScaleBenchOptions {
  /** Scratch directory (its disk is the one measured). Default: the OS temp dir. */
  dir?: string;
  /** Snapshots stored before measuring, one level each (default [0, 20000]). */
  existing?: number[];
  /** Calls in flight (default 16). */
  inFlight?: number;
  /** Measured calls per operation and level (default 320). */
  calls?: number;
  /** The measured driver fsyncs copies (its default, true). */
  durable?: boolean;
  onPhase?: (what: string) => void;
}

export interface LatencyFigures {
  calls: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  perSecond: number;
  /**
   * CPU (user + system, every thread of this process) per call: the driver's share, with the gRPC
   * client and server that run in the same process. What a CPU-bound pipeline pays per call.
   */
  cpuUsPerCall: number;
}

export interface ScaleLevel {
  existingSnapshots: number;
  populateSeconds: number;
  /** Driver start (load of the checkpoint) with that many records. */
  openMs: number;
  createSnapshot: LatencyFigures;
  /** Every call restores from the same snapshot. */
  restoreFromSnapshot: LatencyFigures;
  /** ListSnapshots filtered by one snapshot id, sequential (an indexed lookup). */
  listBySnapshotIdP50Ms: number;
}

export interface ScaleBenchResult {
  inFlight: number;
  durable: boolean;
  levels: ScaleLevel[];
  /** CreateSnapshot p50 at the largest level over p50 at the smallest. */
  snapshotP50Ratio: number;
  snapshotP99Ratio: number;
  target: number;
  meetsTarget: boolean;
  loadAverage: { before: number; after: number };
}

const run = promisify(execFile);

export const SCALE_RATIO_TARGET = 2;
const MOUNT = [{ mount: {}, accessMode: { mode: "SINGLE_NODE_WRITER" as const } }];

export async function measureDriverAtScale(options: ScaleBenchOptions = {}): Promise<ScaleBenchResult> {
  const existing = options.existing ?? [0, 20000];
  const inFlight = options.inFlight ?? 16;
  const calls = options.calls ?? 320;
  const durable = options.durable ?? true;
  const loadBefore = os.loadavg()[0]!;
  const levels: ScaleLevel[] = [];
  for (const count of existing) {
    options.onPhase?.(`scale: ${count} existing snapshots`);
    levels.push(await measureLevel({ dir: options.dir, count, inFlight, calls, durable }));
  }
  const first = levels[0]!;
  const last = levels.at(-1)!;
  const snapshotP50Ratio = round3(last.createSnapshot.p50Ms / first.createSnapshot.p50Ms);
  return {
    inFlight,
    durable,
    levels,
    snapshotP50Ratio,
    snapshotP99Ratio: round3(last.createSnapshot.p99Ms / first.createSnapshot.p99Ms),
    target: SCALE_RATIO_TARGET,
    meetsTarget: snapshotP50Ratio <= SCALE_RATIO_TARGET,
    loadAverage: { before: round3(loadBefore), after: round3(os.loadavg()[0]!) },
  };
}

async function measureLevel(o: { dir?: string; count: number; inFlight: number; calls: number; durable: boolean }): Promise<ScaleLevel> {
  const root = await fs.mkdtemp(path.join(o.dir ?? os.tmpdir(), "snapflow-bench-scale-"));
  const dataDir = path.join(root, "data");
  const endpoint = `unix://${path.join(root, "csi.sock")}`;
  const cleanup: Array<() => Promise<void> | void> = [];
  try {
    const populateStarted = performance.now();
    const filler = await HostpathDriver.open({ dataDir, durable: false, copyEngine: "copy" });
    let sourceVolumeId: string;
    try {
      const created = await filler.createVolume({
        name: "bench-source",
        capacityRange: null,
        volumeCapabilities: [{ mount: { fsType: "", mountFlags: [], volumeMountGroup: "" }, accessType: "mount", accessMode: { mode: "SINGLE_NODE_WRITER" } }],
        parameters: {},
        secrets: {},
        volumeContentSource: null,
        accessibilityRequirements: null,
        mutableParameters: {},
      });
      sourceVolumeId = created.volume!.volumeId!;
      await inParallel(o.count, 64, (i) => filler.createSnapshot({ name: `existing-${i}`, sourceVolumeId, parameters: {}, secrets: {} }));
    } finally {
      await filler.close();
    }
    const populateSeconds = (performance.now() - populateStarted) / 1000;
    // Write back the unsynced set-up now, so the measured calls do not pay for its writeback.
    await run("sync", ["-f", dataDir]);

    const openStarted = performance.now();
    const driver = await HostpathDriver.open({ dataDir, durable: o.durable });
    const openMs = performance.now() - openStarted;
    const server = await serveCsi(driver, endpoint);
    cleanup.push(() => server.close());
    const csi = loadCsi();
    const client = new csi.Controller.Client(endpoint, grpc.credentials.createInsecure());
    cleanup.unshift(() => client.close());

    // Unmeasured warm-up (JIT, gRPC connection, first directory fsyncs) so every level starts alike.
    const warm = await callUnary(client.CreateSnapshot.bind(client), { name: "warm-up-source", sourceVolumeId });
    await inParallel(o.inFlight * 2, o.inFlight, (i) =>
      Promise.all([
        callUnary(client.CreateSnapshot.bind(client), { name: `warm-up-${i}`, sourceVolumeId }),
        callUnary(client.CreateVolume.bind(client), {
          name: `warm-up-${i}`,
          volumeCapabilities: MOUNT,
          volumeContentSource: { snapshot: { snapshotId: warm.snapshot!.snapshotId } },
        }),
      ]),
    );
    const createSnapshot = await timeCalls(o.calls, o.inFlight, (i) =>
      callUnary(client.CreateSnapshot.bind(client), { name: `measured-${i}`, sourceVolumeId }),
    );
    const source = (await callUnary(client.CreateSnapshot.bind(client), { name: "restore-source", sourceVolumeId })).snapshot!.snapshotId;
    const restoreFromSnapshot = await timeCalls(o.calls, o.inFlight, (i) =>
      callUnary(client.CreateVolume.bind(client), {
        name: `restored-${i}`,
        volumeCapabilities: MOUNT,
        volumeContentSource: { snapshot: { snapshotId: source } },
      }),
    );
    const lookups: number[] = [];
    for (let i = 0; i < 50; i++) {
      const started = performance.now();
      await callUnary(client.ListSnapshots.bind(client), { snapshotId: source });
      lookups.push(performance.now() - started);
    }
    return {
      existingSnapshots: o.count,
      populateSeconds: round3(populateSeconds),
      openMs: round1(openMs),
      createSnapshot,
      restoreFromSnapshot,
      listBySnapshotIdP50Ms: round1(percentile(lookups.sort((a, b) => a - b), 50)),
    };
  } finally {
    for (const step of cleanup) await step();
    await fs.rm(root, { recursive: true, force: true });
  }
}

/** Runs `work(0..n-1)` with at most `limit` in flight. */
async function inParallel(n: number, limit: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < n) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, lane));
}

async function timeCalls(n: number, inFlight: number, call: (i: number) => Promise<unknown>): Promise<LatencyFigures> {
  const latencies: number[] = [];
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await inParallel(n, inFlight, async (i) => {
    const t0 = performance.now();
    await call(i);
    latencies.push(performance.now() - t0);
  });
  const cpu = process.cpuUsage(cpuBefore);
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    calls: n,
    p50Ms: round1(percentile(latencies, 50)),
    p99Ms: round1(percentile(latencies, 99)),
    maxMs: round1(latencies.at(-1)!),
    perSecond: round1(n / seconds),
    cpuUsPerCall: Math.round((cpu.user + cpu.system) / n),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const round3 = (n: number) => Math.round(n * 1000) / 1000;
