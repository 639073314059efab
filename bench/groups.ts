// `snapflow bench-groups`: volume group snapshots end to end on the local stack (`snapflow up`'s
// startStack). One group of N bound PVCs (default 200) from create to ready (target ≤ 10 s), then G
// groups of S PVCs (default 20 × 10) created at once; for each, the time until the group is ready
// and until every member VolumeSnapshot is ready. Then every group is deleted and the leftovers are
// counted through the API and the driver (all must be 0).
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { allFunctions } from "../cli/functions.js";
import { startStack } from "../cli/stack/stack.js";
import type { PersistentVolumeClaim } from "../shared/api/core.js";
import type { KubeObject } from "../shared/api/meta.js";
import { RESOURCES } from "../shared/api/resources.js";
import type { VolumeGroupSnapshot, VolumeSnapshot } from "../shared/api/snapshot.js";
import { createGatewayClient, type HttpGatewayClient } from "../shared/gateway/client.js";
import { createKubeClient, type HttpKubeClient } from "../shared/kube/http-client.js";
import { pool } from "./support/pool.js";
import { createPreboundClaim } from "./support/prebound.js";
import { round } from "./support/round.js";
import { waitUntil as waitFor } from "./support/wait.js";

const DRIVER = "hostpath.snapflow.dev";
const NAMESPACE = "bench-groups";
/** The default VolumeGroupSnapshotClass `snapflow up` creates. */
const GROUP_CLASS = "snapflow-hostpath";
export const TARGET_LARGE_GROUP_SECONDS = 10;

const waitUntil = (what: string, check: () => Promise<boolean>, limitMs: number) => waitFor(what, check, limitMs, { everyMs: 25, label: "bench-groups" });

export interface GroupBenchOptions {
  /** PVCs in the one large group (default 200). */
  members?: number;
  /** Groups created at once (default 20) … */
  groups?: number;
  /** … of this many PVCs each (default 10). */
  groupSize?: number;
  concurrency?: number;
  dataDir?: string;
  onPhase?: (what: string) => void;
}

export interface GroupTiming {
  /** Create → the group's readyToUse. */
  groupReadySeconds: number;
  /** Create → every member VolumeSnapshot readyToUse. */
  membersReadySeconds: number;
}

export interface GroupBenchResult {
  benchmark: "groups";
  when: string;
  /** loadAverage1m when the measurement began: other work on the machine slows every figure. */
  machine: { cpus: number; node: string; loadAverage1m: number };
  largeGroup: { members: number } & GroupTiming & { targetSeconds: number; met: boolean };
  concurrentGroups: {
    groups: number;
    groupSize: number;
    /** Create of the first → the last group (and all its members) ready. */
    allReadySeconds: number;
    groupReadyP50Seconds: number;
    groupReadyMaxSeconds: number;
    membersPerSecond: number;
  };
  deleteSeconds: number;
  leftovers: { groupContents: number; memberSnapshots: number; memberContents: number; backendSnapshots: number };
}

async function createClaims(kube: HttpKubeClient, gateway: HttpGatewayClient, names: string[], labels: (name: string) => Record<string, string>, concurrency: number): Promise<void> {
  await pool(names, concurrency, (name) =>
    createPreboundClaim(kube, gateway, { namespace: NAMESPACE, name, volumeName: `bench-${name}`, pvName: `bench-${name}`, labels: labels(name), volumeMode: "Filesystem" }),
  );
}

function groupObject(name: string, matchLabels: Record<string, string>): VolumeGroupSnapshot {
  return {
    apiVersion: "groupsnapshot.storage.k8s.io/v1",
    kind: "VolumeGroupSnapshot",
    metadata: { name, namespace: NAMESPACE },
    spec: { volumeGroupSnapshotClassName: GROUP_CLASS, source: { selector: { matchLabels } } },
  };
}

/** Polls the namespace until every named group and all its members are ready; returns per-group times (ms since start). */
async function timeGroups(kube: HttpKubeClient, names: string[], started: number, limitMs: number): Promise<Map<string, { ready: number; membersReady: number }>> {
  const times = new Map<string, { ready?: number; membersReady?: number }>(names.map((n) => [n, {}]));
  const deadline = Date.now() + limitMs;
  for (;;) {
    const now = performance.now() - started;
    const groups = (await kube.list<VolumeGroupSnapshot>(RESOURCES.volumegroupsnapshots, { namespace: NAMESPACE })).items;
    const snapshots = (await kube.list<VolumeSnapshot>(RESOURCES.volumesnapshots, { namespace: NAMESPACE })).items;
    for (const g of groups) {
      const t = times.get(g.metadata.name!);
      if (t && t.ready === undefined && g.status?.readyToUse === true) t.ready = now;
    }
    const readyMembers = new Map<string, number>();
    for (const vs of snapshots) {
      const owner = vs.metadata.ownerReferences?.find((o) => o.kind === "VolumeGroupSnapshot");
      if (owner && vs.status?.readyToUse === true) readyMembers.set(owner.name, (readyMembers.get(owner.name) ?? 0) + 1);
    }
    for (const g of groups) {
      const t = times.get(g.metadata.name!);
      if (!t || t.ready === undefined || t.membersReady !== undefined) continue;
      const wanted = (await kube.get<{ status?: { volumeSnapshotInfoList?: unknown[] } } & KubeObject>(RESOURCES.volumegroupsnapshotcontents, g.status!.boundVolumeGroupSnapshotContentName!))?.status?.volumeSnapshotInfoList?.length ?? -1;
      if ((readyMembers.get(g.metadata.name!) ?? 0) === wanted) t.membersReady = now;
    }
    if ([...times.values()].every((t) => t.membersReady !== undefined)) return times as Map<string, { ready: number; membersReady: number }>;
    if (Date.now() > deadline) {
      const pending = [...times].filter(([, t]) => t.membersReady === undefined).map(([n]) => n);
      throw new Error(`bench-groups: not ready in time: ${pending.slice(0, 5).join(", ")}${pending.length > 5 ? " …" : ""}`);
    }
    await sleep(25);
  }
}

export async function runGroupBench(options: GroupBenchOptions = {}): Promise<GroupBenchResult> {
  const members = options.members ?? 200;
  const groupCount = options.groups ?? 20;
  const groupSize = options.groupSize ?? 10;
  for (const [k, v] of Object.entries({ members, groups: groupCount, groupSize })) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`bench-groups: ${k} must be a positive integer, got ${v}`);
  }
  const concurrency = options.concurrency ?? 32;
  const phase = options.onPhase ?? (() => undefined);
  const dir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "snapflow-bench-groups-")));
  const ownsDir = options.dataDir === undefined;
  await mkdir(dir, { recursive: true });
  const stack = await startStack({ dataDir: join(dir, "stack"), functions: allFunctions, randomPorts: true, clusterName: "bench-groups" });
  const kube = createKubeClient(stack.endpoints.kubeconfig, { userAgent: "snapflow-bench-groups", maxSockets: concurrency });
  const token = (await readFile(join(stack.dataDir, "gateway.token"), "utf8")).trim();
  const gateway = createGatewayClient({ baseUrl: stack.endpoints.gateway, token });
  try {
    phase("stack up");
    await kube.create(RESOURCES.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } } as KubeObject);
    const large = Array.from({ length: members }, (_, i) => `large-${String(i).padStart(4, "0")}`);
    const small = Array.from({ length: groupCount * groupSize }, (_, i) => `set-${String(Math.floor(i / groupSize)).padStart(3, "0")}-${String(i % groupSize).padStart(3, "0")}`);
    await createClaims(kube, gateway, large, () => ({ bench: "large" }), concurrency);
    await createClaims(kube, gateway, small, (name) => ({ bench: name.slice(0, 7) }), concurrency);
    await waitUntil(
      "all PVCs Bound",
      async () => (await kube.list<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, { namespace: NAMESPACE })).items.filter((p) => p.status?.phase === "Bound").length === large.length + small.length,
      180_000,
    );
    // Let the pipeline work through the setup's events before measuring.
    await sleep(1000);
    phase("PVCs bound");

    // ---- one large group ----
    const load = loadavg()[0]!;
    let started = performance.now();
    await kube.create(RESOURCES.volumegroupsnapshots, groupObject("large", { bench: "large" }));
    const largeTimes = (await timeGroups(kube, ["large"], started, 120_000)).get("large")!;
    phase("large group ready");

    // ---- many groups at once ----
    const groupNames = Array.from({ length: groupCount }, (_, i) => `set-${String(i).padStart(3, "0")}`);
    started = performance.now();
    await pool(groupNames, concurrency, async (name) => {
      await kube.create(RESOURCES.volumegroupsnapshots, groupObject(name, { bench: name }));
    });
    const times = await timeGroups(kube, groupNames, started, 180_000);
    phase("concurrent groups ready");
    const readyTimes = [...times.values()].map((t) => t.ready).sort((a, b) => a - b);
    const allReady = Math.max(...[...times.values()].map((t) => t.membersReady));

    // ---- delete everything through the pipeline ----
    const deleteStarted = performance.now();
    await pool(["large", ...groupNames], concurrency, async (name) => {
      await kube.delete(RESOURCES.volumegroupsnapshots, name, NAMESPACE);
    });
    await waitUntil(
      "groups, members and contents gone",
      async () =>
        (await kube.list(RESOURCES.volumegroupsnapshots, { namespace: NAMESPACE, limit: 1 })).items.length === 0 &&
        (await kube.list(RESOURCES.volumegroupsnapshotcontents, { limit: 1 })).items.length === 0 &&
        (await kube.list(RESOURCES.volumesnapshots, { namespace: NAMESPACE, limit: 1 })).items.length === 0 &&
        (await kube.list(RESOURCES.volumesnapshotcontents, { limit: 1 })).items.length === 0,
      180_000,
    );
    const deleteSeconds = (performance.now() - deleteStarted) / 1000;
    phase("deleted");

    const largeReady = largeTimes.ready / 1000;
    return {
      benchmark: "groups",
      when: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version, loadAverage1m: round(load, 2) },
      largeGroup: {
        members,
        groupReadySeconds: round(largeReady),
        membersReadySeconds: round(largeTimes.membersReady / 1000),
        targetSeconds: TARGET_LARGE_GROUP_SECONDS,
        met: largeReady <= TARGET_LARGE_GROUP_SECONDS,
      },
      concurrentGroups: {
        groups: groupCount,
        groupSize,
        allReadySeconds: round(allReady / 1000),
        groupReadyP50Seconds: round(readyTimes[Math.floor((readyTimes.length - 1) / 2)]! / 1000),
        groupReadyMaxSeconds: round(readyTimes.at(-1)! / 1000),
        membersPerSecond: round((groupCount * groupSize) / (allReady / 1000), 1),
      },
      deleteSeconds: round(deleteSeconds),
      leftovers: {
        groupContents: (await kube.list(RESOURCES.volumegroupsnapshotcontents)).items.length,
        memberSnapshots: (await kube.list(RESOURCES.volumesnapshots, { namespace: NAMESPACE })).items.length,
        memberContents: (await kube.list(RESOURCES.volumesnapshotcontents)).items.length,
        backendSnapshots: (await gateway.listSnapshots(DRIVER, {})).entries.length,
      },
    };
  } finally {
    phase("stopping");
    kube.close();
    await stack.stop();
    if (ownsDir) await rm(dir, { recursive: true, force: true });
  }
}

export async function writeGroupBenchResult(result: GroupBenchResult, file: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
}
