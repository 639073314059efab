// The chaos workload and its invariants (the snapshot issue's chaos run: every object ready exactly
// once, one content each, no leaked or duplicated backend snapshot — checked through the driver —
// and nothing left after deletion). Usable by any run that drives a snapflow pipeline.
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig, Watch } from "@kubernetes/client-node";
import type { PersistentVolumeClaim } from "../../shared/api/core.js";
import type { KubeObject } from "../../shared/api/meta.js";
import { RESOURCES } from "../../shared/api/resources.js";
import type { VolumeGroupSnapshot, VolumeGroupSnapshotContent, VolumeSnapshot, VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import type { GatewayClient } from "../../shared/gateway/types.js";
import type { KubeClient } from "../../shared/kube/types.js";
import { FINALIZERS } from "../../shared/snapshot/constants.js";
import { listBackendSnapshots } from "../support/backend.js";
import { pool } from "../support/pool.js";
import { createPreboundClaim } from "../support/prebound.js";
import { waitUntil as waitFor } from "../support/wait.js";

export const DRIVER = "hostpath.snapflow.dev";

// The workload's callers (chaos-cluster, the deploy tests) import these from here.
export { listBackendSnapshots, pool };

export async function waitUntil(what: string, check: () => Promise<boolean>, limitMs: number, everyMs = 100): Promise<void> {
  await waitFor(what, check, limitMs, { everyMs });
}

/** A volume on the driver, its PV pre-bound to a new PVC (labels on the PVC), as a storage admin would. */
export async function createBoundClaim(kube: KubeClient, gateway: GatewayClient, namespace: string, name: string, labels: Record<string, string> = {}, volumePrefix = "vol"): Promise<void> {
  // Volume names are the driver's idempotency keys: clusters sharing a driver need distinct prefixes.
  await createPreboundClaim(kube, gateway, {
    namespace,
    name,
    volumeName: `${volumePrefix}-${namespace}-${name}`,
    pvName: `pv-${namespace}-${name}`,
    ...(Object.keys(labels).length > 0 ? { labels } : {}),
  });
}

export function volumeSnapshot(namespace: string, name: string, claim: string): VolumeSnapshot {
  return { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", metadata: { name, namespace }, spec: { source: { persistentVolumeClaimName: claim } } } as VolumeSnapshot;
}

export function volumeGroupSnapshot(namespace: string, name: string, selector: Record<string, string>): VolumeGroupSnapshot {
  return { apiVersion: "groupsnapshot.storage.k8s.io/v1", kind: "VolumeGroupSnapshot", metadata: { name, namespace }, spec: { source: { selector: { matchLabels: selector } } } };
}

/** Counts, per UID, how often an object turned readyToUse (false/absent → true): must be exactly once. */
export class ReadinessWatch {
  readonly readyCount = new Map<string, number>();
  private ready = new Map<string, boolean>();
  /** UIDs of objects owned by another (group members), kept apart from the ones the run created. */
  private owned = new Set<string>();
  private aborts: Array<{ abort(): void }> = [];
  private stopped = false;

  constructor(private kubeconfig: string) {}

  async start(paths: string[]): Promise<void> {
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfig);
    for (const path of paths) await this.watch(kc, path);
  }

  private async watch(kc: KubeConfig, path: string, resourceVersion?: string): Promise<void> {
    if (this.stopped) return;
    let lastRv = resourceVersion;
    const request = await new Watch(kc).watch(
      path,
      lastRv ? { resourceVersion: lastRv, allowWatchBookmarks: true } : { allowWatchBookmarks: true },
      (type: string, obj: KubeObject & { kind?: string; status?: { readyToUse?: boolean } }) => {
        lastRv = obj.metadata?.resourceVersion ?? lastRv;
        if (type === "BOOKMARK") return;
        const uid = obj.metadata?.uid;
        if (!uid) return;
        if (obj.metadata.ownerReferences?.length) this.owned.add(uid);
        if (obj.kind) this.kinds.set(uid, obj.kind);
        const now = obj.status?.readyToUse === true && type !== "DELETED";
        if (now && !this.ready.get(uid)) this.readyCount.set(uid, (this.readyCount.get(uid) ?? 0) + 1);
        // A deleted object is neither ready nor waited for.
        if (type === "DELETED") this.ready.delete(uid);
        else this.ready.set(uid, now);
      },
      () => {
        // The dev cluster closes watches after their timeout: resume from the last version seen.
        if (!this.stopped) void sleep(50).then(() => this.watch(kc, path, lastRv).catch(() => undefined));
      },
    );
    this.aborts.push(request);
  }

  private kinds = new Map<string, string>();

  /** Objects of `kind` ready right now (group members excluded), from the watch: no API load. */
  readyNow(kind: string): number {
    let n = 0;
    for (const [uid, ready] of this.ready) if (ready && this.kinds.get(uid) === kind && !this.owned.has(uid)) n++;
    return n;
  }

  /**
   * Objects of `kind` seen and not ready right now, group members included: a group turns ready
   * before bind has reported each of its member snapshots ready.
   */
  notReadyNow(kind: string): number {
    let n = 0;
    for (const [uid, ready] of this.ready) if (!ready && this.kinds.get(uid) === kind) n++;
    return n;
  }

  stop(): void {
    this.stopped = true;
    for (const a of this.aborts) a.abort();
  }
}

export interface Invariants {
  /** Backend snapshots no content points at (before deletion), plus every one left after deletion. */
  leaked: number;
  /** Readiness transitions beyond one per object, contents beyond one per snapshot, backend snapshots beyond one per source volume. */
  duplicated: number;
  /** snapflow finalizers left on claims, and snapshot objects left, after deletion. */
  stuckFinalizers: number;
  details: string[];
}

/** Checks the ready state: each snapshot and group ready once, one content each, one backend snapshot per volume. */
export async function checkReadyState(kube: KubeClient, gateway: GatewayClient, namespace: string, watch: ReadinessWatch): Promise<Omit<Invariants, "stuckFinalizers">> {
  const details: string[] = [];
  let duplicated = 0;
  let leaked = 0;
  const snapshots = (await kube.list<VolumeSnapshot>(RESOURCES.volumesnapshots, { namespace })).items;
  const groups = (await kube.list<VolumeGroupSnapshot>(RESOURCES.volumegroupsnapshots, { namespace })).items;
  for (const o of [...snapshots, ...groups]) {
    const count = watch.readyCount.get(o.metadata.uid!) ?? 0;
    if (count > 1) {
      duplicated += count - 1;
      details.push(`${o.kind ?? "object"} ${o.metadata.name} became ready ${count} times`);
    }
    if (o.status?.readyToUse !== true) details.push(`${o.metadata.name} is not ready`);
  }
  const contents = (await kube.list<VolumeSnapshotContent>(RESOURCES.volumesnapshotcontents)).items.filter((c) => c.spec.volumeSnapshotRef.namespace === namespace);
  const perSnapshot = new Map<string, number>();
  for (const c of contents) perSnapshot.set(c.spec.volumeSnapshotRef.uid ?? c.spec.volumeSnapshotRef.name!, (perSnapshot.get(c.spec.volumeSnapshotRef.uid ?? c.spec.volumeSnapshotRef.name!) ?? 0) + 1);
  for (const [ref, n] of perSnapshot) {
    if (n > 1) {
      duplicated += n - 1;
      details.push(`${n} contents for snapshot ${ref}`);
    }
  }
  const handles = new Set(contents.map((c) => c.status?.snapshotHandle).filter((h): h is string => Boolean(h)));
  const backend = await listBackendSnapshots(gateway);
  const perVolume = new Map<string, number>();
  for (const s of backend) {
    perVolume.set(s.sourceVolumeId, (perVolume.get(s.sourceVolumeId) ?? 0) + 1);
    if (!handles.has(s.snapshotId)) {
      leaked++;
      details.push(`backend snapshot ${s.snapshotId} of ${s.sourceVolumeId} has no content`);
    }
  }
  for (const [volume, n] of perVolume) {
    if (n > 1) {
      duplicated += n - 1;
      details.push(`${n} backend snapshots of volume ${volume}`);
    }
  }
  return { leaked, duplicated, details };
}

/** Deletes every snapshot and group in `namespace`, waits for them and their contents to go, counts what is left. */
export async function deleteAndCheck(kube: KubeClient, gateway: GatewayClient, namespace: string, limitMs: number): Promise<{ leftBackend: number; stuckFinalizers: number; details: string[] }> {
  const details: string[] = [];
  const groups = (await kube.list<VolumeGroupSnapshot>(RESOURCES.volumegroupsnapshots, { namespace })).items;
  await pool(groups, 8, async (g) => void (await kube.delete(RESOURCES.volumegroupsnapshots, g.metadata.name!, namespace)));
  const snapshots = (await kube.list<VolumeSnapshot>(RESOURCES.volumesnapshots, { namespace })).items;
  // Group members go with their group; the rest one by one.
  await pool(
    snapshots.filter((s) => !s.metadata.ownerReferences?.length),
    32,
    async (s) => void (await kube.delete(RESOURCES.volumesnapshots, s.metadata.name!, namespace)),
  );
  const remaining = async () => {
    const [vs, vsc, vgs, vgsc] = await Promise.all([
      kube.list<VolumeSnapshot>(RESOURCES.volumesnapshots, { namespace }),
      kube.list<VolumeSnapshotContent>(RESOURCES.volumesnapshotcontents),
      kube.list<VolumeGroupSnapshot>(RESOURCES.volumegroupsnapshots, { namespace }),
      kube.list<VolumeGroupSnapshotContent>(RESOURCES.volumegroupsnapshotcontents),
    ]);
    return { vs: vs.items, vsc: vsc.items.filter((c) => c.spec.volumeSnapshotRef.namespace === namespace), vgs: vgs.items, vgsc: vgsc.items.filter((c) => c.spec.volumeGroupSnapshotRef?.namespace === namespace) };
  };
  try {
    await waitUntil(
      "every snapshot object to be gone",
      async () => {
        const r = await remaining();
        return r.vs.length + r.vsc.length + r.vgs.length + r.vgsc.length === 0;
      },
      limitMs,
      250,
    );
  } catch (err) {
    details.push((err as Error).message);
  }
  const left = await remaining();
  let stuck = 0;
  for (const o of [...left.vs, ...left.vsc, ...left.vgs, ...left.vgsc]) {
    stuck++;
    details.push(`left after deletion: ${o.kind} ${o.metadata.name} finalizers=${JSON.stringify(o.metadata.finalizers ?? [])}`);
  }
  // protect releases a claim on its own events; after a fast deletion those may still be on their
  // way (a NATS leader change delays deliveries by seconds). Stuck means: not released within the limit.
  const protectedClaims = async () =>
    (await kube.list<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, { namespace })).items.filter((c) => c.metadata.finalizers?.includes(FINALIZERS.pvcAsSource));
  await waitUntil("every source claim released", async () => (await protectedClaims()).length === 0, limitMs, 250).catch(() => undefined);
  const claims = await protectedClaims();
  for (const c of claims) {
    if (c.metadata.finalizers?.includes(FINALIZERS.pvcAsSource)) {
      stuck++;
      details.push(`claim ${c.metadata.name} still has ${FINALIZERS.pvcAsSource}`);
    }
  }
  const leftBackend = (await listBackendSnapshots(gateway)).length;
  if (leftBackend > 0) details.push(`${leftBackend} backend snapshots left after deletion`);
  return { leftBackend, stuckFinalizers: stuck, details };
}
