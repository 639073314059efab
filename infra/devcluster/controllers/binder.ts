// The part of kube-controller-manager's PV controller snapflow relies on: a PV pre-bound to a claim
// (spec.claimRef) binds that claim (claim spec.volumeName, both phases Bound); a claim naming a
// free PV in spec.volumeName claims it; a bound PV whose claim is gone becomes Released (with
// reclaimPolicy Delete the Released PV is left for its provisioner to delete). Unbound PVs are Available.
import type { Api } from "../api.js";
import { ApiError } from "../errors.js";
import type { KObject, ResourceDef } from "../resource-def.js";
import type { Store, StoreEvent } from "../store.js";
import { WorkQueue } from "./queue.js";

const PVS = "/persistentvolumes";
const PVCS = "/persistentvolumeclaims";

export class Binder {
  private readonly queue: WorkQueue;
  private readonly unsubscribe: () => void;
  /** PV names by the claim their claimRef names (`n|<namespace>|<name>` and `u|<uid>`), so a claim
   * event finds its PVs without scanning every PV. */
  private readonly pvsByClaim = new Map<string, Set<string>>();
  private readonly claimKeysOfPv = new Map<string, string[]>();

  constructor(
    private readonly api: Api,
    private readonly store: Store,
  ) {
    this.queue = new WorkQueue((key) => this.sync(key));
    for (const pv of store.list(PVS)) {
      this.indexVolume(pv);
      this.queue.add(`pv|${pv.metadata.name}`);
    }
    for (const pvc of store.list(PVCS)) this.queue.add(`pvc|${pvc.metadata.namespace}|${pvc.metadata.name}`);
    this.unsubscribe = store.subscribe(undefined, (e) => this.onEvent(e));
  }

  private get pvDef(): ResourceDef {
    return this.api.registry.byKey(PVS)!;
  }
  private get pvcDef(): ResourceDef {
    return this.api.registry.byKey(PVCS)!;
  }

  private onEvent(e: StoreEvent): void {
    if (e.key === PVS) {
      if (e.type === "DELETED") this.unindexVolume(e.obj.metadata.name!);
      else {
        this.indexVolume(e.obj);
        this.queue.add(`pv|${e.obj.metadata.name}`);
      }
    }
    if (e.key === PVCS) {
      const { namespace, name, uid } = e.obj.metadata;
      if (e.type !== "DELETED") this.queue.add(`pvc|${namespace}|${name}`);
      // Any PV that points at this claim needs a look (bind or release).
      for (const key of [`n|${namespace}|${name}`, ...(uid ? [`u|${uid}`] : [])]) {
        for (const pvName of this.pvsByClaim.get(key) ?? []) this.queue.add(`pv|${pvName}`);
      }
    }
  }

  private indexVolume(pv: KObject): void {
    const pvName = pv.metadata.name!;
    this.unindexVolume(pvName);
    const ref = pv.spec?.claimRef as { namespace?: string; name?: string; uid?: string } | undefined;
    if (!ref) return;
    const keys = [...(ref.name ? [`n|${ref.namespace ?? ""}|${ref.name}`] : []), ...(ref.uid ? [`u|${ref.uid}`] : [])];
    for (const key of keys) {
      let names = this.pvsByClaim.get(key);
      if (!names) this.pvsByClaim.set(key, (names = new Set()));
      names.add(pvName);
    }
    this.claimKeysOfPv.set(pvName, keys);
  }

  private unindexVolume(pvName: string): void {
    for (const key of this.claimKeysOfPv.get(pvName) ?? []) {
      const names = this.pvsByClaim.get(key);
      names?.delete(pvName);
      if (names?.size === 0) this.pvsByClaim.delete(key);
    }
    this.claimKeysOfPv.delete(pvName);
  }

  private async sync(key: string): Promise<void> {
    const parts = key.split("|");
    try {
      if (parts[0] === "pv") await this.syncVolume(parts[1]);
      else await this.syncClaim(parts[1], parts[2]);
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return;
      throw e;
    }
  }

  private async setPvPhase(pv: KObject, phase: string): Promise<void> {
    if (pv.status?.phase === phase) return;
    await this.api.update(this.pvDef, "v1", undefined, pv.metadata.name, { ...pv, status: { ...(pv.status ?? {}), phase, lastPhaseTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") } }, { subresource: "status" });
  }

  private async syncVolume(name: string): Promise<void> {
    let pv = this.store.get(PVS, undefined, name);
    if (!pv) return;
    // A terminating PV (held by a finalizer) is still released when its claim goes, as
    // kube-controller-manager does, so that its provisioner can delete the volume; it is never bound.
    const deleting = !!pv.metadata.deletionTimestamp;
    const ref = pv.spec?.claimRef;
    if (!ref?.name) return deleting ? undefined : this.setPvPhase(pv, "Available");
    const claim = this.store.get(PVCS, ref.namespace, ref.name);
    if (!claim || (ref.uid && claim.metadata.uid !== ref.uid)) {
      // Pre-bound to a claim that does not exist yet: wait. Bound before and the claim is gone: released.
      if (ref.uid) return this.setPvPhase(pv, "Released");
      return deleting ? undefined : this.setPvPhase(pv, "Available");
    }
    if (deleting) return;
    if (claim.spec?.volumeName && claim.spec.volumeName !== name) return; // the claim chose another volume
    if (!ref.uid) {
      pv = await this.api.update(this.pvDef, "v1", undefined, name, {
        ...pv,
        spec: { ...pv.spec, claimRef: { kind: "PersistentVolumeClaim", apiVersion: "v1", namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid, resourceVersion: claim.metadata.resourceVersion } },
      });
    }
    await this.setPvPhase(pv, "Bound");
    await this.bindClaim(claim, pv);
  }

  private async bindClaim(claim: KObject, pv: KObject): Promise<void> {
    const ns = claim.metadata.namespace;
    let current = claim;
    if (current.spec?.volumeName !== pv.metadata.name) {
      const annotations = { ...(current.metadata.annotations ?? {}), "pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes" };
      current = await this.api.update(this.pvcDef, "v1", ns, current.metadata.name, {
        ...current,
        metadata: { ...current.metadata, annotations },
        spec: { ...current.spec, volumeName: pv.metadata.name },
      });
    } else if (current.metadata.annotations?.["pv.kubernetes.io/bind-completed"] !== "yes") {
      current = await this.api.update(this.pvcDef, "v1", ns, current.metadata.name, {
        ...current,
        metadata: { ...current.metadata, annotations: { ...(current.metadata.annotations ?? {}), "pv.kubernetes.io/bind-completed": "yes" } },
      });
    }
    const status = current.status ?? {};
    const accessModes = pv.spec?.accessModes ?? [];
    const becomingBound = status.phase !== "Bound";
    if (!becomingBound && JSON.stringify(status.accessModes ?? null) === JSON.stringify(accessModes)) return;
    // As the PV controller's updateClaimStatus: the capacity is copied only as the claim becomes
    // Bound. Later a PV larger than its claim means a resize whose node step is still pending, and
    // the claim's capacity is the node's to raise. A PV marked with its pre-resize capacity gives
    // that one.
    let capacity = status.capacity;
    if (becomingBound) {
      const preResize = pv.metadata.annotations?.["volume.alpha.kubernetes.io/pre-resize-capacity"];
      capacity = preResize !== undefined ? { ...(status.capacity ?? {}), storage: preResize } : (pv.spec?.capacity ?? {});
    }
    await this.api.update(this.pvcDef, "v1", ns, current.metadata.name, { ...current, status: { ...status, phase: "Bound", accessModes, ...(capacity ? { capacity } : {}) } }, { subresource: "status" });
  }

  private async syncClaim(namespace: string, name: string): Promise<void> {
    const claim = this.store.get(PVCS, namespace, name);
    if (!claim || claim.metadata.deletionTimestamp) return;
    const volumeName = claim.spec?.volumeName;
    if (volumeName) {
      const pv = this.store.get(PVS, undefined, volumeName);
      if (!pv || pv.metadata.deletionTimestamp) return;
      const ref = pv.spec?.claimRef;
      if (!ref?.name) {
        // The claim asks for a free volume by name: point the volume at the claim; the PV sync binds.
        await this.api.update(this.pvDef, "v1", undefined, volumeName, {
          ...pv,
          spec: { ...pv.spec, claimRef: { kind: "PersistentVolumeClaim", apiVersion: "v1", namespace, name, uid: claim.metadata.uid, resourceVersion: claim.metadata.resourceVersion } },
        });
        return;
      }
      if (ref.namespace === namespace && ref.name === name) this.queue.add(`pv|${volumeName}`);
      return;
    }
    for (const pv of this.store.list(PVS)) {
      const ref = pv.spec?.claimRef;
      if (ref && ref.namespace === namespace && ref.name === name && (!ref.uid || ref.uid === claim.metadata.uid)) this.queue.add(`pv|${pv.metadata.name}`);
    }
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    await this.queue.stop();
  }
}
