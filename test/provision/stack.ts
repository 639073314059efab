// A real provisioning stack for integration tests: the dev cluster, the hostpath CSI driver behind
// the driver gateway, and every snapflow function as a function app. Events are delivered by
// calling the apps with CloudEvents built here (the watcher's job in `snapflow up`): every round
// re-delivers each current object ("resynced": harmless, functions are level-triggered) and a
// "deleted" event for each object that vanished since the last round.
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDefaultObjects } from "../../cli/stack/defaults.js";
import { allFunctions } from "../../cli/functions.js";
import { startDevCluster, type DevCluster } from "../../infra/devcluster/index.js";
import { startGateway, type RunningGateway } from "../../infra/gateway/index.js";
import { startHostpathDriver } from "../../infra/hostpath/index.js";
import type { KubeEvent, PersistentVolume, PersistentVolumeClaim, StorageClass } from "../../shared/api/core.js";
import type { KubeObject } from "../../shared/api/meta.js";
import { RESOURCES, type ResourceName } from "../../shared/api/resources.js";
import type { AuditRecord } from "../../shared/function/audit.js";
import { createFunctionApp } from "../../shared/function/app.js";
import type { SnapflowFunction } from "../../shared/function/types.js";
import { createGatewayClient, type HttpGatewayClient } from "../../shared/gateway/client.js";
import type { GatewayClient } from "../../shared/gateway/types.js";
import { createKubeClient, type HttpKubeClient } from "../../shared/kube/http-client.js";
import type { KubeClient } from "../../shared/kube/types.js";
import { binaryEvent } from "../support/events.js";

export const DRIVER = "hostpath.snapflow.dev";
export const CLUSTER = "dev";
const TOKEN = "provision-it-token-7c1e";
const WATCHED: ResourceName[] = ["volumesnapshots", "volumesnapshotcontents", "persistentvolumeclaims", "persistentvolumes"];

interface App {
  fn: SnapflowFunction;
  request(init: RequestInit): Promise<Response>;
}

export interface ClaimSpec {
  storage?: string;
  className?: string | null;
  volumeMode?: "Filesystem" | "Block";
  dataSource?: PersistentVolumeClaim["spec"]["dataSource"];
  dataSourceRef?: PersistentVolumeClaim["spec"]["dataSourceRef"];
}

export class ProvisionStack {
  dir!: string;
  cluster!: DevCluster;
  kube!: HttpKubeClient;
  gateway!: HttpGatewayClient;
  private driver?: { close(): Promise<void> };
  private gatewayServer?: RunningGateway;
  private apps: App[] = [];
  private seen = new Map<string, { resource: ResourceName; object: KubeObject }>();
  readonly audits: AuditRecord[] = [];

  /** `kubeFor` / `gatewayFor` may wrap the clients one function sees (fault injection). */
  async start(faults: { kubeFor?: (fn: SnapflowFunction, kube: KubeClient) => KubeClient; gatewayFor?: (fn: SnapflowFunction, gateway: GatewayClient) => GatewayClient } = {}): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), "snapflow-provision-it-"));
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
    await ensureDefaultObjects(this.kube, DRIVER);
    for (const fn of allFunctions) {
      const kube = faults.kubeFor ? faults.kubeFor(fn, this.kube) : this.kube;
      const gateway = faults.gatewayFor ? faults.gatewayFor(fn, this.gateway) : this.gateway;
      const app = createFunctionApp(fn, { kube, clusterName: CLUSTER, gateway });
      this.apps.push({ fn, request: (init) => Promise.resolve(app.request("/", init)) });
    }
  }

  async stop(): Promise<void> {
    await this.gatewayServer?.close();
    await this.driver?.close();
    this.kube?.close();
    await this.cluster?.close();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  async deliver(resource: ResourceName, object: KubeObject, verb: "added" | "modified" | "deleted" | "resynced"): Promise<AuditRecord[]> {
    const records: AuditRecord[] = [];
    for (const app of this.apps) {
      if (!app.fn.resources.includes(resource)) continue;
      const res = await app.request(binaryEvent(object, { resource, verb, cluster: CLUSTER }));
      const record = (await res.json()) as AuditRecord;
      this.audits.push(record);
      records.push(record);
    }
    return records;
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
    // Let the dev cluster's binder catch up with what the functions wrote.
    await new Promise((r) => setTimeout(r, 10));
  }

  /** Rounds until `done` holds; throws with the last audits if it never does. */
  async settle(done: () => Promise<boolean>, maxRounds = 30): Promise<number> {
    for (let i = 0; i < maxRounds; i++) {
      if (await done()) return i;
      await this.round();
    }
    if (await done()) return maxRounds;
    const last = this.audits.slice(-10).map((a) => `${a.function} ${a.resource}/${a.name}: ${a.outcome} ${a.message ?? ""}`);
    throw new Error(`state not reached after ${maxRounds} rounds; last audits:\n${last.join("\n")}`);
  }

  /** A fixed number of rounds, for states that must *not* change. */
  async rounds(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await this.round();
  }

  async get<T extends KubeObject>(resource: ResourceName, name: string, namespace?: string): Promise<T | undefined> {
    return this.kube.get<T>(RESOURCES[resource], name, namespace);
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

  /** Events recorded on one object (by uid), oldest first, as "Type Reason: message". */
  async eventsFor(uid: string, namespace = "default"): Promise<string[]> {
    const list = await this.kube.list<KubeEvent>(RESOURCES.events, { namespace });
    return list.items
      .filter((e) => e.involvedObject.uid === uid)
      .sort((a, b) => (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? ""))
      .map((e) => `${e.type} ${e.reason}: ${e.message}`);
  }
}
