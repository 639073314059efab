// kube-apiserver's StorageObjectInUseProtection admission plugin: every PersistentVolumeClaim and
// PersistentVolume created gets its protection finalizer, appended after any the client sent and
// only when missing, so that kube-controller-manager's pvc-protection / pv-protection controllers
// (controllers/storage-protection.ts here) decide when the object may really go. Create only: an
// update that drops the finalizer is the controllers' business, as upstream.
import type { KObject } from "../resource-def.js";

export const PVC_PROTECTION_FINALIZER = "kubernetes.io/pvc-protection";
export const PV_PROTECTION_FINALIZER = "kubernetes.io/pv-protection";

const FINALIZER_OF: Record<string, string> = {
  persistentvolumeclaims: PVC_PROTECTION_FINALIZER,
  persistentvolumes: PV_PROTECTION_FINALIZER,
};

export function admitStorageObjectInUseProtection(group: string, plural: string, obj: KObject): void {
  if (group !== "") return;
  const finalizer = FINALIZER_OF[plural];
  if (finalizer === undefined) return;
  const finalizers: unknown = obj.metadata.finalizers;
  // A malformed list is left for validation to reject rather than silently replaced.
  if (finalizers !== undefined && finalizers !== null && !Array.isArray(finalizers)) return;
  const current = (finalizers ?? []) as string[];
  if (current.includes(finalizer)) return;
  obj.metadata.finalizers = [...current, finalizer];
}
