// Several clusters on one bus: two dev clusters with their own watchers and dispatchers, one NATS,
// one set of functions holding an API client for each (kubeFor). The same names in both clusters
// must reconcile in their own cluster only; `snapflow audit --cluster` shows one cluster's records.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBoundClaim, listBackendSnapshots, volumeSnapshot, waitUntil } from "../../bench/cluster/workload.js";
import type { PersistentVolume } from "../../shared/api/core.js";
import { RESOURCES } from "../../shared/api/resources.js";
import type { VolumeSnapshot, VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import type { ClusterUnderTest } from "../../bench/cluster/pipeline.js";
import { startInProcessPipeline, type InProcessPipeline } from "../support/pipeline.js";

const ROOT = new URL("../../", import.meta.url).pathname;
let pipeline: InProcessPipeline | undefined;
let clusters: ClusterUnderTest[] = [];

beforeAll(async () => {
  pipeline = await startInProcessPipeline({ name: "multi", clusters: [{ name: "a" }, { name: "b" }] });
  clusters = pipeline.clusters;
}, 90_000);

afterAll(async () => {
  await pipeline?.stop();
}, 60_000);

describe("two clusters on one bus", () => {
  const uids: Record<string, string> = {};

  it("reconciles each cluster's snapshot in that cluster only", async () => {
    // The same namespace and names in both clusters: only the cluster tells them apart.
    for (const c of clusters) {
      await createBoundClaim(c.kube, pipeline!.storage.gateway, "default", "data", {}, `cluster-${c.name}`);
      const vs = await c.kube.create(RESOURCES.volumesnapshots, volumeSnapshot("default", "snap", "data"));
      uids[c.name] = vs.metadata.uid!;
    }
    for (const c of clusters) {
      await waitUntil(`snapshot ready in ${c.name}`, async () => (await c.kube.get<VolumeSnapshot>(RESOURCES.volumesnapshots, "snap", "default"))?.status?.readyToUse === true, 60_000);
    }
    const handles: string[] = [];
    for (const c of clusters) {
      const other = clusters.find((o) => o !== c)!;
      const vs = (await c.kube.get<VolumeSnapshot>(RESOURCES.volumesnapshots, "snap", "default"))!;
      expect(vs.status?.boundVolumeSnapshotContentName).toBe(`snapcontent-${uids[c.name]}`);
      const contents = (await c.kube.list<VolumeSnapshotContent>(RESOURCES.volumesnapshotcontents)).items;
      // One content, for this cluster's snapshot; none for the other cluster's.
      expect(contents.map((x) => x.metadata.name)).toEqual([`snapcontent-${uids[c.name]}`]);
      expect(await c.kube.get(RESOURCES.volumesnapshotcontents, `snapcontent-${uids[other.name]}`)).toBeUndefined();
      const pv = (await c.kube.list<PersistentVolume>(RESOURCES.persistentvolumes)).items[0]!;
      const backend = (await pipeline!.storage.gateway.listSnapshots("hostpath.snapflow.dev", { sourceVolumeId: pv.spec.csi!.volumeHandle })).entries;
      expect(backend.map((b) => b.snapshotId)).toEqual([contents[0]!.status!.snapshotHandle]);
      handles.push(contents[0]!.status!.snapshotHandle!);
    }
    expect((await listBackendSnapshots(pipeline!.storage.gateway)).map((s) => s.snapshotId).sort()).toEqual(handles.sort());
  }, 120_000);

  it("snapflow audit --cluster shows that cluster's records only", async () => {
    const run = async (cluster: string) => {
      const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, "bin/snapflow.mjs"), "audit", "--cluster", cluster, "--json", "--nats", pipeline!.nats.url], { cwd: ROOT, timeout: 60_000 });
      return stdout
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { cluster: string; uid: string });
    };
    const [a, b] = await Promise.all([run("a"), run("b")]);
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    expect(new Set(a.map((e) => e.cluster))).toEqual(new Set(["a"]));
    expect(new Set(b.map((e) => e.cluster))).toEqual(new Set(["b"]));
    expect(a.some((e) => e.uid === uids.a)).toBe(true);
    expect(a.some((e) => e.uid === uids.b)).toBe(false);
    expect(b.some((e) => e.uid === uids.b)).toBe(true);
    expect(b.some((e) => e.uid === uids.a)).toBe(false);
  }, 90_000);
});
