// A real function stack for integration tests: the dev cluster, the hostpath CSI driver behind the
// driver gateway, and a chosen set of snapflow functions as function apps. Events are delivered by
// calling the apps with CloudEvents built here (the watcher's job in `snapflow up`): every round
// re-delivers each current object ("resynced": harmless, functions are level-triggered) and a
// "deleted" event for each object that vanished since the last round. Suites differ only in the
// options (which functions, which resources, how many rounds) and in their own object helpers,
// which they add in a subclass.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevCluster, type DevCluster } from "../../infra/devcluster/index.js";
import { startGateway, type RunningGateway } from "../../infra/gateway/index.js";
import { startHostpathDriver } from "../../infra/hostpath/index.js";
import type { KubeEvent, PersistentVolume, PersistentVolumeClaim } from "../../shared/api/core.js";
import type { KubeObject } from "../../shared/api/meta.js";
import { RESOURCES, type ResourceName } from "../../shared/api/resources.js";
import type { AuditRecord } from "../../shared/function/audit.js";
import { createFunctionApp } from "../../shared/function/app.js";
import type { SnapflowFunction } from "../../shared/function/types.js";
import { createGatewayClient, type HttpGatewayClient } from "../../shared/gateway/client.js";
import type { GatewayClient } from "../../shared/gateway/types.js";
import { createKubeClient, type HttpKubeClient } from "../../shared/kube/http-client.js";
import type { KubeClient } from "../../shared/kube/types.js";
import { binaryEvent } from "./events.js";

export const HOSTPATH_DRIVER = "hostpath.snapflow.dev";
const GiB = 1024 * 1024 * 1024;

export type EventVerb = "added" | "modified" | "deleted" | "resynced";

/** Wrappers for the clients one function sees, so a suite can inject faults per function. */
export interface StackFaults {
  kubeFor?: (fn: SnapflowFunction, kube: KubeClient) => KubeClient;
  gatewayFor?: (fn: SnapflowFunction, gateway: GatewayClient) => GatewayClient;
}

export interface FunctionStackOptions {
  /** Part of the temp directory's name, so a leaked directory tells which suite left it. */
  name: string;
  /** The cluster name put on every CloudEvent. */
  cluster: string;
  /** The gateway's bearer token (any value; each suite its own). */
  token: string;
  functions: readonly SnapflowFunction[];
  /** Resources listed each round, in this order (the order events reach the functions). */
  watched: readonly ResourceName[];
  /** Default round limit for `settle`. */
  settleRounds: number;
  /** How many of the last audits a failed `settle` reports. */
  auditTail: number;
  /** A pause after each round, for suites whose state depends on the dev cluster's binder. */
  pauseAfterRoundMs?: number;
  /** Objects the suite needs before any event (default classes and the like). */
  prepare?: (kube: HttpKubeClient) => Promise<unknown>;
  /**
   * More CSI drivers the gateway serves beside the hostpath driver: name → endpoint (e.g. a mini CSI
   * driver's), or endpoint and the gateway's per-call timeout for it (default 20 s).
   */
  drivers?: Record<string, string | { address: string; timeoutSeconds?: number }>;
}

interface App {
  fn: SnapflowFunction;
  request(init: RequestInit): Promise<Response>;
}

export class FunctionStack {
  dir!: string;
  cluster!: DevCluster;
  kube!: HttpKubeClient;
  gateway!: HttpGatewayClient;
  private driver?: { close(): Promise<void> };
  private gatewayServer?: RunningGateway;
  private apps: App[] = [];
  private seen = new Map<string, { resource: ResourceName; object: KubeObject }>();
  /** Every audit record the functions answered with, in order. */
  readonly audits: AuditRecord[] = [];

  constructor(protected readonly options: FunctionStackOptions) {}

  async start(faults: StackFaults = {}): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), `snapflow-${this.options.name}-it-`));
    this.cluster = await startDevCluster({ dataDir: join(this.dir, "cluster") });
    this.kube = createKubeClient(this.cluster.kubeconfigPath);
    await mkdir(join(this.dir, "hostpath"));
    const endpoint = `unix://${join(this.dir, "csi.sock")}`;
    this.driver = await startHostpathDriver({ dataDir: join(this.dir, "hostpath"), endpoint });
    this.gatewayServer = await startGateway({
      config: {
        drivers: {
          [HOSTPATH_DRIVER]: { backend: "csi", address: endpoint, timeoutSeconds: 20 },
          ...Object.fromEntries(
            Object.entries(this.options.drivers ?? {}).map(([name, d]) => [
              name,
              typeof d === "string" ? { backend: "csi" as const, address: d, timeoutSeconds: 20 } : { backend: "csi" as const, address: d.address, timeoutSeconds: d.timeoutSeconds ?? 20 },
            ]),
          ),
        },
        logLevel: "silent",
      },
      token: this.options.token,
      kubeconfigPath: this.cluster.kubeconfigPath,
    });
    this.gateway = createGatewayClient({ baseUrl: this.gatewayServer.url, token: this.options.token, timeoutMs: 30_000 });
    await this.options.prepare?.(this.kube);
    for (const fn of this.options.functions) {
      const kube = faults.kubeFor ? faults.kubeFor(fn, this.kube) : this.kube;
      const gateway = faults.gatewayFor ? faults.gatewayFor(fn, this.gateway) : this.gateway;
      const app = createFunctionApp(fn, { kube, clusterName: this.options.cluster, gateway });
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

  /** Delivers one object event to every function that consumes its resource. */
  async deliver(resource: ResourceName, object: KubeObject, verb: EventVerb): Promise<AuditRecord[]> {
    const records: AuditRecord[] = [];
    for (const app of this.apps) {
      if (!app.fn.resources.includes(resource)) continue;
      const res = await app.request(binaryEvent(object, { resource, verb, cluster: this.options.cluster }));
      const record = (await res.json()) as AuditRecord;
      this.audits.push(record);
      records.push(record);
    }
    return records;
  }

  /** One round of events for everything that exists (and "deleted" for what vanished). */
  async round(): Promise<AuditRecord[]> {
    const records: AuditRecord[] = [];
    const present = new Set<string>();
    for (const resource of this.options.watched) {
      const list = await this.kube.list<KubeObject>(RESOURCES[resource]);
      for (const object of list.items) {
        const uid = object.metadata.uid!;
        present.add(uid);
        const verb = this.seen.has(uid) ? "resynced" : "added";
        this.seen.set(uid, { resource, object });
        records.push(...(await this.deliver(resource, object, verb)));
      }
    }
    for (const [uid, { resource, object }] of [...this.seen]) {
      if (present.has(uid)) continue;
      this.seen.delete(uid);
      records.push(...(await this.deliver(resource, object, "deleted")));
    }
    if (this.options.pauseAfterRoundMs) await new Promise((r) => setTimeout(r, this.options.pauseAfterRoundMs));
    return records;
  }

  /** Rounds until `done` holds (checked before each round); throws with the last audits if it never does. */
  async settle(done: () => Promise<boolean>, maxRounds = this.options.settleRounds): Promise<number> {
    for (let i = 0; i < maxRounds; i++) {
      if (await done()) return i;
      await this.round();
    }
    if (await done()) return maxRounds;
    const last = this.audits.slice(-this.options.auditTail).map((a) => `${a.function} ${a.resource}/${a.name}: ${a.outcome} ${a.message ?? ""}`);
    throw new Error(`state not reached after ${maxRounds} rounds; last audits:\n${last.join("\n")}`);
  }

  /** A fixed number of rounds, for states that must *not* change. */
  async rounds(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await this.round();
  }

  async get<T extends KubeObject>(resource: ResourceName, name: string, namespace?: string): Promise<T | undefined> {
    return this.kube.get<T>(RESOURCES[resource], name, namespace);
  }

  async list<T extends KubeObject>(resource: ResourceName, namespace?: string): Promise<T[]> {
    return (await this.kube.list<T>(RESOURCES[resource], namespace ? { namespace } : {})).items;
  }

  /**
   * A 1 GiB volume made on the hostpath driver, its PV pre-bound to a new PVC (as an admin
   * pre-provisions one), waited until the dev cluster's binder reports the claim Bound.
   */
  async createPreboundClaim(
    name: string,
    o: { namespace?: string; labels?: Record<string, string> } = {},
  ): Promise<{ pvc: PersistentVolumeClaim; pv: PersistentVolume; volumeHandle: string; hostPath: string }> {
    const namespace = o.namespace ?? "default";
    const volume = await this.gateway.createVolume(HOSTPATH_DRIVER, {
      name: `pvc-${name}-${namespace}`,
      requiredBytes: GiB,
      capabilities: [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Filesystem" }],
    });
    const pvc = await this.kube.create<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name, namespace, ...(o.labels ? { labels: o.labels } : {}) },
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
        csi: { driver: HOSTPATH_DRIVER, volumeHandle: volume.volumeId, volumeAttributes: volume.volumeContext },
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

  /** Events recorded on one object (by uid), oldest first, as "Type Reason: message". */
  async eventsFor(uid: string, namespace = "default"): Promise<string[]> {
    const list = await this.kube.list<KubeEvent>(RESOURCES.events, { namespace });
    return list.items
      .filter((e) => e.involvedObject.uid === uid)
      .sort((a, b) => (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? ""))
      .map((e) => `${e.type} ${e.reason}: ${e.message}`);
  }
}
