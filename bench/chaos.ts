// `npm run chaos`: 500 snapshots (CHAOS_SNAPSHOTS) and 5 group snapshots of 4 volumes each
// (CHAOS_GROUPS, CHAOS_GROUP_SIZE) cut while the function host is killed with SIGKILL at random
// moments and restarted, then everything deleted the same way. The dev cluster
// and nats-server run as separate processes and survive; `snapflow up` (watcher, dispatcher,
// function host, gateway and the hostpath driver it embeds) is the process that dies.
// Afterwards it checks, through the API and the driver: every VolumeSnapshot (group members
// included) became ready exactly once with one content each, every group became ready with one group
// content, exactly one backend snapshot per VolumeSnapshot existed, and after deletion no content,
// group content, backend snapshot or snapflow finalizer is left. Prints `leaked: N`,
// `duplicated: N`, `stuck finalizers: N` and exits non-zero when any is above 0.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PersistentVolumeClaim } from "../shared/api/core.js";
import type { KubeObject } from "../shared/api/meta.js";
import { RESOURCES } from "../shared/api/resources.js";
import type {
  VolumeGroupSnapshot,
  VolumeGroupSnapshotClass,
  VolumeGroupSnapshotContent,
  VolumeSnapshot,
  VolumeSnapshotClass,
  VolumeSnapshotContent,
} from "../shared/api/snapshot.js";
import { createKubeClient } from "../shared/kube/http-client.js";
import { listBackendSnapshots } from "./support/backend.js";
import { countTransitions, startChaosStack, startKiller, type ChaosStack } from "./support/chaos-host.js";
import { pool } from "./support/pool.js";
import { createPreboundClaim } from "./support/prebound.js";
import { waitUntil as waitFor } from "./support/wait.js";

const DRIVER = "hostpath.snapflow.dev";
const NAMESPACE = "chaos";
const N = Number(process.env.CHAOS_SNAPSHOTS ?? 500);
const GROUPS = Number(process.env.CHAOS_GROUPS ?? 5);
const GROUP_SIZE = Number(process.env.CHAOS_GROUP_SIZE ?? 4);
/** Every VolumeSnapshot the run should end with: the plain ones and the group members. */
const TOTAL = N + GROUPS * GROUP_SIZE;
// Polled every 250 ms: the API under test is also serving the pipeline being killed.
const waitUntil = (what: string, check: () => Promise<boolean>, limitMs: number) => waitFor(what, check, limitMs, { everyMs: 250 });
const log = (line: string) => process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function main(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "snapflow-chaos-"));
  log(`working in ${dir}, ${N} snapshots and ${GROUPS} groups of ${GROUP_SIZE}`);
  let stack: ChaosStack | undefined;
  try {
    stack = await startChaosStack(dir, log);
    const host = stack.host;
    const kube = createKubeClient(stack.kubeconfig, { userAgent: "snapflow-chaos" });
    await kube.create(RESOURCES.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } } as KubeObject);
    await kube.create<VolumeSnapshotClass>(RESOURCES.volumesnapshotclasses, {
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshotClass",
      metadata: { name: "chaos", annotations: { "snapshot.storage.kubernetes.io/is-default-class": "true" } },
      driver: DRIVER,
      deletionPolicy: "Delete",
    });
    await kube.create<VolumeGroupSnapshotClass>(RESOURCES.volumegroupsnapshotclasses, {
      apiVersion: "groupsnapshot.storage.k8s.io/v1",
      kind: "VolumeGroupSnapshotClass",
      metadata: { name: "chaos", annotations: { "groupsnapshot.storage.kubernetes.io/is-default-class": "true" } },
      driver: DRIVER,
      deletionPolicy: "Delete",
    });

    // Volumes, pre-bound PVs and PVCs (before any kill); each group's members carry its label.
    const names = Array.from({ length: N }, (_, i) => `data-${String(i).padStart(4, "0")}`);
    const groups = Array.from({ length: GROUPS }, (_, g) => `group-${g}`);
    const members = groups.flatMap((group) => Array.from({ length: GROUP_SIZE }, (_, k) => ({ group, name: `${group}-member-${k}` })));
    let gateway = await host.gateway();
    await pool(names, 16, (name) => createPreboundClaim(kube, gateway, { namespace: NAMESPACE, name, volumeName: `chaos-${name}`, pvName: `chaos-${name}` }));
    await pool(members, 16, ({ group, name }) =>
      createPreboundClaim(kube, gateway, { namespace: NAMESPACE, name, volumeName: `chaos-${name}`, pvName: `chaos-${name}`, labels: { "chaos-group": group } }),
    );
    await waitUntil(
      "PVCs Bound",
      async () => (await kube.list<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, { namespace: NAMESPACE })).items.filter((p) => p.status?.phase === "Bound").length === N + members.length,
      120_000,
    );
    log("PVCs bound");

    // Every readiness transition, from a watch on the surviving API server.
    const readiness = await countTransitions<VolumeSnapshot>(stack.kubeconfig, `/apis/snapshot.storage.k8s.io/v1/namespaces/${NAMESPACE}/volumesnapshots`, (vs) => vs.status?.readyToUse === true);
    const readyTimes = readiness.times;

    const killer = startKiller(host, log);
    await pool(groups, 4, async (group) => {
      await kube.create<VolumeGroupSnapshot>(RESOURCES.volumegroupsnapshots, {
        apiVersion: "groupsnapshot.storage.k8s.io/v1",
        kind: "VolumeGroupSnapshot",
        metadata: { name: group, namespace: NAMESPACE },
        spec: { source: { selector: { matchLabels: { "chaos-group": group } } } },
      });
    });
    await pool(names, 32, async (name) => {
      await kube.create<VolumeSnapshot>(RESOURCES.volumesnapshots, {
        apiVersion: "snapshot.storage.k8s.io/v1",
        kind: "VolumeSnapshot",
        metadata: { name, namespace: NAMESPACE },
        spec: { source: { persistentVolumeClaimName: name } },
      });
    });
    log("snapshots created");
    await waitUntil(
      "every snapshot and group ready",
      async () =>
        (await kube.list<VolumeSnapshot>(RESOURCES.volumesnapshots, { namespace: NAMESPACE })).items.filter((v) => v.status?.readyToUse === true).length === TOTAL &&
        (await kube.list<VolumeGroupSnapshot>(RESOURCES.volumegroupsnapshots, { namespace: NAMESPACE })).items.filter((g) => g.status?.readyToUse === true).length === GROUPS,
      30 * 60_000,
    );
    await killer.stop();
    log(`all ${TOTAL} snapshots (${GROUPS} groups) ready after ${host.kills} kills`);

    // Pre-deletion checks: one content per snapshot, one backend snapshot per content.
    const snapshots = (await kube.list<VolumeSnapshot>(RESOURCES.volumesnapshots, { namespace: NAMESPACE })).items;
    const contents = (await kube.list<VolumeSnapshotContent>(RESOURCES.volumesnapshotcontents)).items;
    gateway = await host.gateway();
    const backend = await listBackendSnapshots(gateway);
    const handles = new Set(contents.map((c) => c.status?.snapshotHandle).filter((h): h is string => !!h));
    const contentsPerSnapshot = new Map<string, number>();
    for (const c of contents) contentsPerSnapshot.set(c.spec.volumeSnapshotRef.uid ?? "", (contentsPerSnapshot.get(c.spec.volumeSnapshotRef.uid ?? "") ?? 0) + 1);
    const perVolume = new Map<string, number>();
    for (const b of backend) perVolume.set(b.sourceVolumeId, (perVolume.get(b.sourceVolumeId) ?? 0) + 1);
    const duplicated =
      [...perVolume.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0) +
      [...contentsPerSnapshot.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0);
    const groupContents = (await kube.list<VolumeGroupSnapshotContent>(RESOURCES.volumegroupsnapshotcontents)).items;
    const groupContentsPerGroup = new Map<string, number>();
    for (const c of groupContents) groupContentsPerGroup.set(c.spec.volumeGroupSnapshotRef.uid ?? "", (groupContentsPerGroup.get(c.spec.volumeGroupSnapshotRef.uid ?? "") ?? 0) + 1);
    const duplicatedGroups = [...groupContentsPerGroup.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0);
    const groupMembersInBackend = backend.filter((b) => b.groupSnapshotId !== undefined && b.groupSnapshotId !== "").length;
    const unreferenced = backend.filter((b) => !handles.has(b.snapshotId)).length;
    const readyOnceViolations = snapshots.filter((v) => readyTimes.get(v.metadata.uid!) !== 1).length;
    log(`backend snapshots: ${backend.length} (${groupMembersInBackend} in groups) for ${snapshots.length} snapshots, ${contents.length} contents, ${groupContents.length} group contents`);

    // Delete everything, still killing.
    // Groups go as a whole (their members with them); a member is never deleted on its own.
    const killer2 = startKiller(host, log);
    await pool(groups, 4, async (group) => {
      await kube.delete(RESOURCES.volumegroupsnapshots, group, NAMESPACE);
    });
    await pool(names, 32, async (name) => {
      await kube.delete(RESOURCES.volumesnapshots, name, NAMESPACE);
    });
    await waitUntil(
      "snapshots, groups and their contents gone",
      async () =>
        (await kube.list(RESOURCES.volumesnapshots, { namespace: NAMESPACE, limit: 1 })).items.length === 0 &&
        (await kube.list(RESOURCES.volumesnapshotcontents, { limit: 1 })).items.length === 0 &&
        (await kube.list(RESOURCES.volumegroupsnapshots, { namespace: NAMESPACE, limit: 1 })).items.length === 0 &&
        (await kube.list(RESOURCES.volumegroupsnapshotcontents, { limit: 1 })).items.length === 0,
      30 * 60_000,
    ).catch((err: Error) => log(err.message));
    await killer2.stop();
    readiness.stop();
    log(`deletion done after ${host.kills} kills in total`);

    gateway = await host.gateway();
    const leftContents =
      (await kube.list(RESOURCES.volumesnapshotcontents)).items.length + (await kube.list(RESOURCES.volumegroupsnapshotcontents)).items.length;
    const leftBackend = (await listBackendSnapshots(gateway)).length;
    const claims = (await kube.list<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, { namespace: NAMESPACE })).items;
    const leftSnapshots = (await kube.list<VolumeSnapshot>(RESOURCES.volumesnapshots, { namespace: NAMESPACE })).items;
    const leftGroups = (await kube.list(RESOURCES.volumegroupsnapshots, { namespace: NAMESPACE })).items.length;
    const stuck =
      claims.filter((p) => (p.metadata.finalizers ?? []).includes("snapshot.storage.kubernetes.io/pvc-as-source-protection")).length +
      leftSnapshots.length +
      leftGroups;
    const leaked = unreferenced + leftContents + leftBackend;

    process.stdout.write(`snapshots: ${N}\ngroups: ${GROUPS} x ${GROUP_SIZE}\nkills: ${host.kills}\n`);
    process.stdout.write(`backend snapshots while ready: ${backend.length}\n`);
    process.stdout.write(`ready-once violations: ${readyOnceViolations}\n`);
    process.stdout.write(`leaked: ${leaked}\nduplicated: ${duplicated + duplicatedGroups}\nstuck finalizers: ${stuck}\n`);
    kube.close();
    const failed =
      leaked > 0 ||
      duplicated + duplicatedGroups > 0 ||
      stuck > 0 ||
      readyOnceViolations > 0 ||
      backend.length !== TOTAL ||
      contents.length !== TOTAL ||
      groupContents.length !== GROUPS ||
      groupMembersInBackend !== GROUPS * GROUP_SIZE;
    return failed ? 1 : 0;
  } finally {
    await stack?.close();
    if (!process.env.CHAOS_KEEP) await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`chaos failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(2);
  },
);
