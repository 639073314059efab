// kube-controller-manager's pvc-protection and pv-protection controllers. The admission plugin
// (admission/storage-object-in-use-protection.ts) gives every new claim and volume its finalizer;
// these take it off once the object is being deleted and nothing uses it, and put it back on live
// objects that lack it (objects stored before the plugin existed, or a client that stripped it).
// - A claim is in use while a pod in its namespace that has been scheduled (spec.nodeName set)
//   names it in spec.volumes[*].persistentVolumeClaim.claimName, whatever the pod's phase: a
//   Succeeded or Failed pod that still exists keeps the claim, as upstream. An unscheduled pod never
//   does (kubelet will not start a pod whose claim is being deleted). A generic ephemeral volume
//   (`<pod>-<volume>`) counts only if the claim is controlled by that pod and the pod is not shut down
//   (deletionTimestamp with a zero grace period).
// - A volume is in use while its status.phase is Bound; the binder makes it Released once its claim
//   is gone.
// The dev cluster runs no pods, so only pods a client stores count. Reads come from the store itself
// (never stale, unlike upstream's informer cache, so no live re-list is needed); writes go through
// the Api with the resourceVersion read, and a 409 re-queues the key for a fresh look.
import type { Api } from "../api.js";
import { PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER } from "../admission/storage-object-in-use-protection.js";
import { ApiError } from "../errors.js";
import type { KObject, ResourceDef } from "../resource-def.js";
import type { Store, StoreEvent } from "../store.js";
import { WorkQueue } from "./queue.js";

const PVCS = "/persistentvolumeclaims";
const PVS = "/persistentvolumes";
const PODS = "/pods";

interface PodVolume {
  name?: string;
  persistentVolumeClaim?: { claimName?: string };
  ephemeral?: unknown;
}

function volumesOf(pod: KObject): PodVolume[] {
  const volumes: unknown = pod.spec?.volumes;
  return Array.isArray(volumes) ? (volumes as PodVolume[]) : [];
}

/** Names of the claims a pod refers to, directly or as generic ephemeral volumes. */
export function claimNamesOf(pod: KObject): string[] {
  const names: string[] = [];
  for (const v of volumesOf(pod)) {
    if (v.persistentVolumeClaim) {
      if (v.persistentVolumeClaim.claimName) names.push(v.persistentVolumeClaim.claimName);
    } else if (v.ephemeral) names.push(`${pod.metadata.name}-${v.name ?? ""}`);
  }
  return names;
}

function podIsShutDown(pod: KObject): boolean {
  return !!pod.metadata.deletionTimestamp && pod.metadata.deletionGracePeriodSeconds === 0;
}

function isControlledBy(obj: KObject, owner: KObject): boolean {
  const refs: Array<{ uid?: string; controller?: boolean }> = obj.metadata.ownerReferences ?? [];
  const controller = refs.find((r) => r.controller === true);
  return controller !== undefined && controller.uid === owner.metadata.uid;
}

export function podUsesClaim(pod: KObject, claim: KObject): boolean {
  if (pod.metadata.namespace !== claim.metadata.namespace || !pod.spec?.nodeName) return false;
  return volumesOf(pod).some((v) => {
    if (v.persistentVolumeClaim) return v.persistentVolumeClaim.claimName === claim.metadata.name;
    if (!v.ephemeral || podIsShutDown(pod)) return false;
    return `${pod.metadata.name}-${v.name ?? ""}` === claim.metadata.name && isControlledBy(claim, pod);
  });
}

export function volumeInUse(pv: KObject): boolean {
  return pv.status?.phase === "Bound";
}

type Action = "add" | "remove" | "none";

/** What the protection controller does with an object, given whether something uses it. */
export function protectionAction(obj: KObject, finalizer: string, inUse: () => boolean): Action {
  const has = ((obj.metadata.finalizers ?? []) as string[]).includes(finalizer);
  if (obj.metadata.deletionTimestamp) return has && !inUse() ? "remove" : "none";
  return has ? "none" : "add";
}

function needsLook(obj: KObject, finalizer: string): boolean {
  const has = ((obj.metadata.finalizers ?? []) as string[]).includes(finalizer);
  return obj.metadata.deletionTimestamp ? has : !has;
}

export class StorageProtection {
  private readonly queue: WorkQueue;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly api: Api,
    private readonly store: Store,
  ) {
    this.queue = new WorkQueue((key) => this.sync(key));
    for (const pvc of store.list(PVCS)) this.onObject(PVCS, pvc);
    for (const pv of store.list(PVS)) this.onObject(PVS, pv);
    this.unsubscribe = store.subscribe(undefined, (e) => this.onEvent(e));
  }

  private onObject(key: string, obj: KObject): void {
    if (key === PVCS && needsLook(obj, PVC_PROTECTION_FINALIZER)) this.queue.add(`pvc|${obj.metadata.namespace}|${obj.metadata.name}`);
    if (key === PVS && needsLook(obj, PV_PROTECTION_FINALIZER)) this.queue.add(`pv|${obj.metadata.name}`);
  }

  private onEvent(e: StoreEvent): void {
    if (e.key === PODS) {
      // Any change to a pod (deleted, shut down, a new pod under an old name) may release a claim
      // it or its predecessor named; the sync decides from the current state.
      for (const pod of [e.obj, e.prev]) {
        if (!pod) continue;
        for (const name of claimNamesOf(pod)) this.queue.add(`pvc|${pod.metadata.namespace}|${name}`);
      }
      return;
    }
    if (e.type !== "DELETED") this.onObject(e.key, e.obj);
  }

  private def(key: string): ResourceDef {
    return this.api.registry.byKey(key)!;
  }

  private async sync(key: string): Promise<void> {
    const [kind, a, b] = key.split("|");
    try {
      if (kind === "pvc") await this.syncClaim(a, b);
      else await this.syncVolume(a);
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return;
      throw e;
    }
  }

  private async syncClaim(namespace: string, name: string): Promise<void> {
    const claim = this.store.get(PVCS, namespace, name);
    if (!claim) return;
    const action = protectionAction(claim, PVC_PROTECTION_FINALIZER, () => this.store.list(PODS, namespace).some((pod) => podUsesClaim(pod, claim)));
    await this.write(PVCS, namespace, claim, PVC_PROTECTION_FINALIZER, action);
  }

  private async syncVolume(name: string): Promise<void> {
    const pv = this.store.get(PVS, undefined, name);
    if (!pv) return;
    await this.write(PVS, undefined, pv, PV_PROTECTION_FINALIZER, protectionAction(pv, PV_PROTECTION_FINALIZER, () => volumeInUse(pv)));
  }

  /** Adds or removes only `finalizer`, conditional on the resourceVersion read. */
  private async write(key: string, namespace: string | undefined, obj: KObject, finalizer: string, action: Action): Promise<void> {
    if (action === "none") return;
    const current: string[] = obj.metadata.finalizers ?? [];
    const finalizers = action === "add" ? [...current, finalizer] : current.filter((f) => f !== finalizer);
    await this.api.update(this.def(key), "v1", namespace, obj.metadata.name, { ...obj, metadata: { ...obj.metadata, finalizers } });
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    await this.queue.stop();
  }
}
