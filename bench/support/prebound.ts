// Pre-provisioned storage for the benches: a volume made on the driver, its PV pre-bound to a new
// PVC, as a storage admin would do it (so a bench measures snapshots, not provisioning).
import type { PersistentVolume, PersistentVolumeClaim } from "../../shared/api/core.js";
import { RESOURCES } from "../../shared/api/resources.js";
import type { GatewayClient } from "../../shared/gateway/types.js";
import type { KubeClient } from "../../shared/kube/types.js";

export const HOSTPATH_DRIVER = "hostpath.snapflow.dev";

export interface PreboundClaim {
  namespace: string;
  name: string;
  /** The driver's idempotency key: runs sharing a driver need distinct names. */
  volumeName: string;
  pvName: string;
  labels?: Record<string, string>;
  /** Written on the PV when given (the API server defaults it otherwise). */
  volumeMode?: "Filesystem" | "Block";
  driver?: string;
}

/** Creates the 1 MiB volume, the PVC (no class) and the PV whose claimRef names the PVC's uid. */
export async function createPreboundClaim(kube: KubeClient, gateway: GatewayClient, c: PreboundClaim): Promise<void> {
  const driver = c.driver ?? HOSTPATH_DRIVER;
  const volume = await gateway.createVolume(driver, { name: c.volumeName, requiredBytes: 1 << 20, capabilities: [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Filesystem" }] });
  const pvc = await kube.create<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: c.name, namespace: c.namespace, ...(c.labels ? { labels: c.labels } : {}) },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Mi" } }, storageClassName: "" },
  });
  await kube.create<PersistentVolume>(RESOURCES.persistentvolumes, {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: c.pvName },
    spec: {
      capacity: { storage: "1Mi" },
      accessModes: ["ReadWriteOnce"],
      storageClassName: "",
      persistentVolumeReclaimPolicy: "Retain",
      ...(c.volumeMode ? { volumeMode: c.volumeMode } : {}),
      claimRef: { kind: "PersistentVolumeClaim", apiVersion: "v1", namespace: c.namespace, name: c.name, uid: pvc.metadata.uid! },
      csi: { driver, volumeHandle: volume.volumeId },
    },
  });
}
