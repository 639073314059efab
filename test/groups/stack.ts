// A real group-snapshot stack for integration tests: the dev cluster, the hostpath CSI driver behind
// the driver gateway, and every function involved in group snapshots (fanout, bind, invoke, delete,
// protect, provision) as function apps. Events are delivered by calling the apps with CloudEvents
// built here (the watcher's job in `snapflow up`): every round re-delivers each current object
// ("resynced": harmless, functions are level-triggered) and a "deleted" event for what vanished.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bindFunction } from "../../functions/bind/index.js";
import { deleteFunction } from "../../functions/delete/index.js";
import { fanoutFunction } from "../../functions/fanout/index.js";
import { invokeFunction } from "../../functions/invoke/index.js";
import { protectFunction } from "../../functions/protect/index.js";
import { provisionFunction } from "../../functions/provision/index.js";
import { startDevCluster, type DevCluster } from "../../infra/devcluster/index.js";
import { startGateway, type RunningGateway } from "../../infra/gateway/index.js";
import { startHostpathDriver } from "../../infra/hostpath/index.js";
import type { KubeEvent, PersistentVolume, PersistentVolumeClaim, StorageClass } from "../../shared/api/core.js";
import type { KubeObject } from "../../shared/api/meta.js";
import { RESOURCES, type ResourceName } from "../../shared/api/resources.js";
import type { VolumeGroupSnapshotClass } from "../../shared/api/snapshot.js";
import type { AuditRecord } from "../../shared/function/audit.js";
import { createFunctionApp } from "../../shared/function/app.js";
import type { SnapflowFunction } from "../../shared/function/types.js";
import { createGatewayClient, type HttpGatewayClient } from "../../shared/gateway/client.js";
import { createKubeClient, type HttpKubeClient } from "../../shared/kube/http-client.js";
import { ANNOTATIONS, GROUP_SNAPSHOT_API_VERSION } from "../../shared/snapshot/constants.js";
import { binaryEvent } from "../support/events.js";

export const DRIVER = "hostpath.snapflow.dev";
export const CLUSTER = "groups";
const TOKEN = "groups-it-token-8d21e7";
const GiB = 1024 * 1024 * 1024;
const WATCHED: ResourceName[] = [
  "volumegroupsnapshots",
  "volumegroupsnapshotcontents",
  "volumesnapshots",
  "volumesnapshotcontents",
  "persistentvolumeclaims",
  "persistentvolumes",
];

interface App {
  fn: SnapflowFunction;
  request(init: RequestInit): Promise<Response>;
}

export class GroupStack {
  dir!: string;
  cluster!: DevCluster;
  kube!: HttpKubeClient;
  gateway!: HttpGatewayClient;
  private driver?: { close(): Promise<void> };
  private gatewayServer?: RunningGateway;
  private apps: App[] = [];
  private seen = new Map<string, { resource: ResourceName; object: KubeObject }>();
  readonly audits: AuditRecord[] = [];

  async start(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), "snapflow-groups-it-"));
    this.cluster = await startDevCluster({ dataDir: join(this.dir, "cluster") });
    this.kube = createKubeClient(this.cluster.kubeconfigPath);
    await mkdir(join(this.dir, "hostpath"));
    const endpoint = `unix://${join(this.dir, "csi.sock")}`;
    this.driver = await startHostpathDriver({ dataDir: join(this.dir, "hostpath"), endpoint });
    this.gatewayServer = await startGateway({
      config: { drivers: { [DRIVER]: { backend: "csi", address: endpoint, timeoutSeconds: 20 } }, logLevel: "silent" },
      token: TOKEN,
      kubeconfigPath: this.cluster.kubeconfigPath,
    });
    this.gateway = createGatewayClient({ baseUrl: this.gatewayServer.url, token: TOKEN, timeoutMs: 30_000 });
    for (const fn of [fanoutFunction, bindFunction, invokeFunction, deleteFunction, protectFunction, provisionFunction]) {
      const app = createFunctionApp(fn, { kube: this.kube, clusterName: CLUSTER, gateway: this.gateway });
      this.apps.push({ fn, request: (init) => Promise.resolve(app.request("/", init)) });
    }
    await this.kube.create<StorageClass>(RESOURCES.storageclasses, {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: "standard" },
      provisioner: DRIVER,
      reclaimPolicy: "Delete",
      volumeBindingMode: "Immediate",
    });
  }

  async stop(): Promise<void> {
    await this.gatewayServer?.close();
    await this.driver?.close();
    this.kube?.close();
    await this.cluster?.close();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  async deliver(resource: ResourceName, object: KubeObject, verb: "added" | "modified" | "deleted" | "resynced"): Promise<void> {
    for (const app of this.apps) {
      if (!app.fn.resources.includes(resource)) continue;
      const res = await app.request(binaryEvent(object, { resource, verb, cluster: CLUSTER }));
      this.audits.push((await res.json()) as AuditRecord);
    }
  }

  async round(): Promise<void> {
    const present = new Set<string>();
    for (const resource of WATCHED) {
      const list = await this.kube.list<KubeObject>(RESOURCES[resource]);
      for (const object of list.items) {
        const uid = object.metadata.uid!;
        present.add(uid);
        const verb = this.seen.has(uid) ? "resynced" : "added";
        this.seen.set(uid, { resource, object });
        await this.deliver(resource, object, verb);
      }
    }
    for (const [uid, { resource, object }] of [...this.seen]) {
      if (present.has(uid)) continue;
      this.seen.delete(uid);
      await this.deliver(resource, object, "deleted");
    }
  }

  /** Rounds until `done` holds; throws with the last audits when it never does. */
  async settle(done: () => Promise<boolean>, maxRounds = 20): Promise<number> {
    for (let i = 0; i < maxRounds; i++) {
      if (await done()) return i;
      await this.round();
    }
    if (await done()) return maxRounds;
    const last = this.audits.slice(-10).map((a) => `${a.function} ${a.resource}/${a.name}: ${a.outcome} ${a.message ?? ""}`);
    throw new Error(`state not reached after ${maxRounds} rounds; last audits:\n${last.join("\n")}`);
  }

  async get<T extends KubeObject>(resource: ResourceName, name: string, namespace?: string): Promise<T | undefined> {
    return this.kube.get<T>(RESOURCES[resource], name, namespace);
  }

  async list<T extends KubeObject>(resource: ResourceName, namespace?: string): Promise<T[]> {
    return (await this.kube.list<T>(RESOURCES[resource], namespace ? { namespace } : {})).items;
  }

  async createGroupClass(name: string, o: { isDefault?: boolean; deletionPolicy?: "Delete" | "Retain"; parameters?: Record<string, string>; driver?: string } = {}): Promise<VolumeGroupSnapshotClass> {
    return this.kube.create<VolumeGroupSnapshotClass>(RESOURCES.volumegroupsnapshotclasses, {
      apiVersion: GROUP_SNAPSHOT_API_VERSION,
      kind: "VolumeGroupSnapshotClass",
      metadata: { name, ...(o.isDefault ? { annotations: { [ANNOTATIONS.groupIsDefaultClass]: "true" } } : {}) },
      driver: o.driver ?? DRIVER,
      deletionPolicy: o.deletionPolicy ?? "Delete",
      ...(o.parameters ? { parameters: o.parameters } : {}),
    });
  }

  /** A 1 GiB hostpath volume, its PV pre-bound to a new labelled PVC, waited until Bound. */
  async createBoundClaim(name: string, labels: Record<string, string>, namespace = "default"): Promise<{ pvc: PersistentVolumeClaim; pv: PersistentVolume; volumeHandle: string; hostPath: string }> {
    const volume = await this.gateway.createVolume(DRIVER, {
      name: `pvc-${name}-${namespace}`,
      requiredBytes: GiB,
      capabilities: [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Filesystem" }],
    });
    const pvc = await this.kube.create<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name, namespace, labels },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: "" },
    });
    await this.kube.create<PersistentVolume>(RESOURCES.persistentvolumes, {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: `pv-${namespace}-${name}` },
      spec: {
        capacity: { storage: "1Gi" },
        accessModes: ["ReadWriteOnce"],
        persistentVolumeReclaimPolicy: "Retain",
        storageClassName: "",
        volumeMode: "Filesystem",
        claimRef: { kind: "PersistentVolumeClaim", apiVersion: "v1", name, namespace, uid: pvc.metadata.uid! },
        csi: { driver: DRIVER, volumeHandle: volume.volumeId, volumeAttributes: volume.volumeContext },
      },
    });
    const deadline = Date.now() + 15_000;
    for (;;) {
      const current = await this.get<PersistentVolumeClaim>("persistentvolumeclaims", name, namespace);
      if (current?.status?.phase === "Bound") {
        const pv = (await this.get<PersistentVolume>("persistentvolumes", current.spec.volumeName!))!;
        return { pvc: current, pv, volumeHandle: volume.volumeId, hostPath: volume.volumeContext.hostPath! };
      }
      if (Date.now() > deadline) throw new Error(`PVC ${namespace}/${name} never became Bound`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Events recorded on one object (by uid), as "Type Reason: message". */
  async eventsFor(uid: string, namespace = "default"): Promise<string[]> {
    const list = await this.kube.list<KubeEvent>(RESOURCES.events, { namespace });
    return list.items
      .filter((e) => e.involvedObject.uid === uid)
      .sort((a, b) => (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? ""))
      .map((e) => `${e.type} ${e.reason}: ${e.message}`);
  }
}
