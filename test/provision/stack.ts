// The provisioning suite's stack (test/support/stack.ts): every snapflow function, fed snapshot,
// content, claim and volume events, on a cluster holding `snapflow up`'s default objects; a short
// pause after each round lets the dev cluster's binder catch up with what the functions wrote.
// `start(faults)` may wrap the clients one function sees (fault injection).
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { ensureDefaultObjects } from "../../cli/stack/defaults.js";
import { allFunctions } from "../../cli/functions.js";
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from "../../shared/api/core.js";
import { RESOURCES } from "../../shared/api/resources.js";
import { FunctionStack, HOSTPATH_DRIVER } from "../support/stack.js";

export const DRIVER = HOSTPATH_DRIVER;
export const CLUSTER = "dev";

export interface ClaimSpec {
  storage?: string;
  className?: string | null;
  volumeMode?: "Filesystem" | "Block";
  dataSource?: PersistentVolumeClaim["spec"]["dataSource"];
  dataSourceRef?: PersistentVolumeClaim["spec"]["dataSourceRef"];
}

export class ProvisionStack extends FunctionStack {
  /** `drivers`: more CSI drivers the gateway serves (name → endpoint, or endpoint and timeout). */
  constructor(o: { drivers?: Record<string, string | { address: string; timeoutSeconds?: number }> } = {}) {
    super({
      ...o,
      name: "provision",
      cluster: CLUSTER,
      token: "provision-it-token-7c1e",
      functions: allFunctions,
      watched: ["volumesnapshots", "volumesnapshotcontents", "persistentvolumeclaims", "persistentvolumes"],
      settleRounds: 30,
      auditTail: 10,
      pauseAfterRoundMs: 10,
      prepare: (kube) => ensureDefaultObjects(kube, DRIVER),
    });
  }

  async createClaim(name: string, spec: ClaimSpec = {}, namespace = "default"): Promise<PersistentVolumeClaim> {
    return this.kube.create<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name, namespace },
      spec: {
        accessModes: ["ReadWriteOnce"],
        resources: { requests: { storage: spec.storage ?? "1Gi" } },
        ...(spec.className === null ? {} : { storageClassName: spec.className ?? "standard" }),
        ...(spec.volumeMode ? { volumeMode: spec.volumeMode } : {}),
        ...(spec.dataSource ? { dataSource: spec.dataSource } : {}),
        ...(spec.dataSourceRef ? { dataSourceRef: spec.dataSourceRef } : {}),
      },
    });
  }

  async createClass(name: string, o: Partial<StorageClass> = {}): Promise<StorageClass> {
    return this.kube.create<StorageClass>(RESOURCES.storageclasses, {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name },
      provisioner: DRIVER,
      ...o,
    });
  }

  /** Waits (with rounds) until the claim is Bound; returns it and its PV. */
  async bound(name: string, namespace = "default"): Promise<{ pvc: PersistentVolumeClaim; pv: PersistentVolume }> {
    await this.settle(async () => (await this.get<PersistentVolumeClaim>("persistentvolumeclaims", name, namespace))?.status?.phase === "Bound");
    const pvc = (await this.get<PersistentVolumeClaim>("persistentvolumeclaims", name, namespace))!;
    const pv = (await this.get<PersistentVolume>("persistentvolumes", pvc.spec.volumeName!))!;
    return { pvc, pv };
  }

  /** The volume directories the hostpath driver holds (its own record of what exists). */
  async volumeDirs(): Promise<string[]> {
    return (await readdir(join(this.dir, "hostpath", "volumes"))).sort();
  }

  async snapshotIds(): Promise<string[]> {
    const page = await this.gateway.listSnapshots(DRIVER, {});
    return page.entries.map((e) => e.snapshotId).sort();
  }
}
