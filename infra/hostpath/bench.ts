// The driver half of `snapflow bench-driver`: how long CreateSnapshot (over gRPC, through the real
// driver) takes for a volume holding `totalBytes` in `files` files, against `cp -a` of the same tree
// on the same disk. Runs alternate between the two (and `cp -a` followed by `sync -f`, the fair
// baseline for a driver that fsyncs before it answers) so drift on a busy machine hits both; medians
// are reported, with the CPU each CreateSnapshot cost this process. Everything is created under one
// scratch directory and removed afterwards.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { callUnary, loadCsi } from "../../shared/csi/load.js";
import { supportsReflink } from "./copy.js";
import { HostpathDriver } from "./driver.js";
import { serveCsi } from "./server.js";

const run = promisify(execFile);

export interface SnapshotBenchOptions {
  /** Scratch directory (its disk is the one measured). Default: the OS temp dir. */
  dir?: string;
  files?: number;
  totalBytes?: number;
  rounds?: number;
  /** Driver fsyncs copies before answering (its default). */
  durable?: boolean;
  /** "auto" (the driver's default) or "copy" (per-file copies even where reflink clones are possible). */
  copyEngine?: "auto" | "copy";
}

export interface SnapshotBenchResult {
  files: number;
  bytes: number;
  rounds: number;
  durable: boolean;
  /**
   * What CreateSnapshot copied with. Always "copy" (per-file, parallel): a live volume never goes
   * through the "cp-reflink" engine (core.ts stageInto). Where `reflink`, its files are reflinked and
   * the copy is made durable by one syncfs, as cp-reflink's is.
   */
  engine: "cp-reflink" | "copy";
  reflink: boolean;
  filesystem: string;
  snapshotMs: number[];
  /**
   * CPU (user + system) per CreateSnapshot: all threads of this process, gRPC client and server
   * included (and not the `sync -f` process where `reflink`).
   */
  snapshotCpuMs: number[];
  cpMs: number[];
  cpSyncMs: number[];
  medianSnapshotMs: number;
  medianSnapshotCpuMs: number;
  medianCpMs: number;
  medianCpSyncMs: number;
  /** median snapshot / median `cp -a`. */
  ratio: number;
  /** median snapshot / median `cp -a && sync -f`. */
  ratioVsCpSync: number;
  target: number;
  meetsTarget: boolean;
}

export const SNAPSHOT_RATIO_TARGET = 1.2;

export async function measureSnapshotVsCp(options: SnapshotBenchOptions = {}): Promise<SnapshotBenchResult> {
  const files = options.files ?? 1000;
  const totalBytes = options.totalBytes ?? 1024 ** 3;
  const rounds = options.rounds ?? 3;
  const durable = options.durable ?? true;

  const root = await fs.mkdtemp(path.join(options.dir ?? os.tmpdir(), "snapflow-bench-driver-"));
  const endpoint = `unix://${path.join(root, "csi.sock")}`;
  let close: (() => Promise<void>) | undefined;
  try {
    const driver = await HostpathDriver.open({ dataDir: path.join(root, "data"), durable, copyEngine: options.copyEngine ?? "auto" });
    close = () => driver.close();
    const server = await serveCsi(driver, endpoint);
    const csi = loadCsi();
    const client = new csi.Controller.Client(endpoint, grpc.credentials.createInsecure());
    close = async () => {
      client.close();
      await server.close();
    };

    const created = await callUnary(client.CreateVolume.bind(client), {
      name: "bench-source",
      capacityRange: { requiredBytes: String(totalBytes) },
      volumeCapabilities: [{ mount: {}, accessMode: { mode: "SINGLE_NODE_WRITER" } }],
    });
    const volume = created.volume!;
    const source = volume.volumeContext.hostPath!;
    await fillTree(source, files, totalBytes);
    await syncDisk(root);

    const snapshotMs: number[] = [];
    const snapshotCpuMs: number[] = [];
    const cpMs: number[] = [];
    const cpSyncMs: number[] = [];
    const cpTarget = path.join(root, "cp-copy");
    const measureCp = async (withSync: boolean) => {
      const started = performance.now();
      await run("cp", ["-a", source, cpTarget]);
      if (withSync) await syncDisk(root);
      const elapsed = performance.now() - started;
      await fs.rm(cpTarget, { recursive: true, force: true });
      await syncDisk(root);
      return elapsed;
    };
    const measureSnapshot = async (round: number) => {
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      const res = await callUnary(client.CreateSnapshot.bind(client), { name: `bench-${round}`, sourceVolumeId: volume.volumeId });
      const cpu = process.cpuUsage(cpuBefore);
      const elapsed = performance.now() - started;
      snapshotCpuMs.push((cpu.user + cpu.system) / 1000);
      await callUnary(client.DeleteSnapshot.bind(client), { snapshotId: res.snapshot!.snapshotId });
      await syncDisk(root);
      return elapsed;
    };
    for (let round = 0; round < rounds; round++) {
      // Alternate the order so that a slow phase of the machine does not always hit the same side.
      if (round % 2 === 0) {
        cpMs.push(await measureCp(false));
        snapshotMs.push(await measureSnapshot(round));
        cpSyncMs.push(await measureCp(true));
      } else {
        cpSyncMs.push(await measureCp(true));
        snapshotMs.push(await measureSnapshot(round));
        cpMs.push(await measureCp(false));
      }
    }

    const medianSnapshotMs = median(snapshotMs);
    const medianCpMs = median(cpMs);
    const medianCpSyncMs = median(cpSyncMs);
    const ratio = round3(medianSnapshotMs / medianCpMs);
    return {
      files,
      bytes: totalBytes,
      rounds,
      durable,
      engine: "copy",
      reflink: await supportsReflink(root),
      filesystem: await filesystemOf(root),
      snapshotMs: snapshotMs.map(round1),
      snapshotCpuMs: snapshotCpuMs.map(round1),
      cpMs: cpMs.map(round1),
      cpSyncMs: cpSyncMs.map(round1),
      medianSnapshotMs: round1(medianSnapshotMs),
      medianSnapshotCpuMs: round1(median(snapshotCpuMs)),
      medianCpMs: round1(medianCpMs),
      medianCpSyncMs: round1(medianCpSyncMs),
      ratio,
      ratioVsCpSync: round3(medianSnapshotMs / medianCpSyncMs),
      target: SNAPSHOT_RATIO_TARGET,
      meetsTarget: ratio <= SNAPSHOT_RATIO_TARGET,
    };
  } finally {
    await close?.();
    await fs.rm(root, { recursive: true, force: true });
  }
}

/** `totalBytes` spread over `files` files (sizes differ by at most one byte) in ten subdirectories. */
async function fillTree(dir: string, files: number, totalBytes: number): Promise<void> {
  const base = Math.floor(totalBytes / files);
  const remainder = totalBytes % files;
  const block = randomBytes(base + 1);
  const subdirs = 10;
  for (let d = 0; d < subdirs; d++) await fs.mkdir(path.join(dir, `dir-${d}`));
  let next = 0;
  const writer = async () => {
    while (next < files) {
      const i = next++;
      // A private copy per file, stamped with its index, so that no two files are identical.
      const content = Buffer.from(block.subarray(0, base + (i < remainder ? 1 : 0)));
      if (content.length >= 4) content.writeUInt32LE(i, 0);
      await fs.writeFile(path.join(dir, `dir-${i % subdirs}`, `file-${i}.bin`), content);
    }
  };
  await Promise.all(Array.from({ length: 8 }, writer));
}

/** Flushes the scratch disk so each measurement starts without the previous one's dirty pages. */
async function syncDisk(dir: string): Promise<void> {
  await run("sync", ["-f", dir]);
}

async function filesystemOf(dir: string): Promise<string> {
  try {
    const { stdout } = await run("stat", ["-f", "-c", "%T", dir]);
    return stdout.trim();
  } catch {
    return "unknown";
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const round3 = (n: number) => Math.round(n * 1000) / 1000;
