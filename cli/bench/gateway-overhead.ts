// Gateway overhead per call: the same GetSnapshot / ListSnapshots against the hostpath driver,
// once straight over gRPC and once through the driver gateway (HTTP + auth + validation + the csi
// backend). Calls alternate direct/gateway so that drift (GC, disk cache) hits both alike.
// The second half of `snapflow bench-driver`.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { startGateway } from "../../infra/gateway/index.js";
import { DRIVER_NAME, startHostpathDriver } from "../../infra/hostpath/index.js";
import { callUnary, loadCsi } from "../../shared/csi/load.js";
import { createGatewayClient } from "../../shared/gateway/client.js";

export interface LatencyStats {
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

export interface OperationOverhead {
  direct: LatencyStats;
  gateway: LatencyStats;
  overheadP50Ms: number;
  overheadP99Ms: number;
}

export interface GatewayOverheadResult {
  iterations: number;
  warmup: number;
  snapshotsListed: number;
  getSnapshot: OperationOverhead;
  listSnapshots: OperationOverhead;
  targetOverheadP50Ms: number;
  meetsTarget: boolean;
}

export interface GatewayOverheadOptions {
  /** Measured calls per operation and path (default 2000). */
  iterations?: number;
  /** Unmeasured calls first, so JIT and connections are warm (default 200). */
  warmup?: number;
  /** Snapshots in the driver, all listed by each ListSnapshots (default 10). */
  snapshots?: number;
}

const TARGET_OVERHEAD_P50_MS = 2;

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

function stats(samples: number[]): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    p50Ms: round(quantile(sorted, 0.5)),
    p99Ms: round(quantile(sorted, 0.99)),
    meanMs: round(sorted.reduce((s, x) => s + x, 0) / sorted.length),
  };
}

function overhead(direct: number[], gateway: number[]): OperationOverhead {
  const d = stats(direct);
  const g = stats(gateway);
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return { direct: d, gateway: g, overheadP50Ms: round(g.p50Ms - d.p50Ms), overheadP99Ms: round(g.p99Ms - d.p99Ms) };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export async function measureGatewayOverhead(opts: GatewayOverheadOptions = {}): Promise<GatewayOverheadResult> {
  const iterations = opts.iterations ?? 2000;
  const warmup = opts.warmup ?? 200;
  const snapshotCount = opts.snapshots ?? 10;
  const dir = await mkdtemp(join(tmpdir(), "snapflow-bench-gateway-"));
  const endpoint = `unix://${join(dir, "csi.sock")}`;
  const token = randomBytes(24).toString("hex");
  const driver = await startHostpathDriver({ dataDir: join(dir, "data"), endpoint });
  const gateway = await startGateway({
    config: { drivers: { [DRIVER_NAME]: { backend: "csi", address: endpoint } }, logLevel: "silent" },
    token,
  });
  const csi = loadCsi();
  const controller = new csi.Controller.Client(endpoint, grpc.credentials.createInsecure());
  try {
    const client = createGatewayClient({ baseUrl: gateway.url, token });
    const volume = await client.createVolume(DRIVER_NAME, {
      name: "bench-gateway-volume",
      requiredBytes: 1024 * 1024,
      capabilities: [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Filesystem" }],
    });
    const snapshotIds: string[] = [];
    for (let i = 0; i < snapshotCount; i++) {
      const s = await client.createSnapshot(DRIVER_NAME, { name: `bench-gateway-snapshot-${i}`, sourceVolumeId: volume.volumeId });
      snapshotIds.push(s.snapshotId);
    }
    const snapshotId = snapshotIds[0]!;
    const deadline = () => ({ deadline: Date.now() + 30_000 });
    const direct = {
      get: () => callUnary(controller.GetSnapshot.bind(controller), { snapshotId }, deadline()),
      list: () => callUnary(controller.ListSnapshots.bind(controller), {}, deadline()),
    };
    const viaGateway = {
      get: () => client.getSnapshot(DRIVER_NAME, { snapshotId }),
      list: () => client.listSnapshots(DRIVER_NAME, {}),
    };
    // Both paths must see the same thing, or the comparison means nothing.
    const listed = await viaGateway.list();
    if (listed.entries.length !== snapshotCount) throw new Error(`gateway listed ${listed.entries.length} snapshots, expected ${snapshotCount}`);
    const directListed = await direct.list();
    if (directListed.entries.length !== snapshotCount) throw new Error(`driver listed ${directListed.entries.length} snapshots`);

    const samples = { getDirect: [] as number[], getGateway: [] as number[], listDirect: [] as number[], listGateway: [] as number[] };
    for (let i = 0; i < warmup + iterations; i++) {
      const measured = i >= warmup;
      const gd = await timed(direct.get);
      const gg = await timed(viaGateway.get);
      const ld = await timed(direct.list);
      const lg = await timed(viaGateway.list);
      if (measured) {
        samples.getDirect.push(gd);
        samples.getGateway.push(gg);
        samples.listDirect.push(ld);
        samples.listGateway.push(lg);
      }
    }
    const getSnapshot = overhead(samples.getDirect, samples.getGateway);
    const listSnapshots = overhead(samples.listDirect, samples.listGateway);
    return {
      iterations,
      warmup,
      snapshotsListed: snapshotCount,
      getSnapshot,
      listSnapshots,
      targetOverheadP50Ms: TARGET_OVERHEAD_P50_MS,
      meetsTarget: getSnapshot.overheadP50Ms <= TARGET_OVERHEAD_P50_MS && listSnapshots.overheadP50Ms <= TARGET_OVERHEAD_P50_MS,
    };
  } finally {
    controller.close();
    await gateway.close();
    await driver.close();
    await rm(dir, { recursive: true, force: true });
  }
}
