// The watcher against the embedded dev cluster and a real nats-server: the event contract for real
// API objects, resync, and an API-server restart that ends in 410 Gone (re-list: what changed or
// vanished meanwhile is emitted).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { jetstream, jetstreamManager, type ConsumerMessages } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cloudEventJson, fromNatsMessage, type CloudEvent } from "../../events/codec/index.js";
import { connectNats, ensureStreams, K8S_STREAM } from "../../events/jetstream/index.js";
import { EventPublisher } from "../../events/watcher/publisher.js";
import { startWatcher, type Watcher } from "../../events/watcher/watcher.js";
import { startDevCluster, type DevCluster } from "../../infra/devcluster/index.js";
import type { KubeObject } from "../../shared/api/meta.js";
import { RESOURCES, type ResourceType } from "../../shared/api/resources.js";
import { createKubeClient } from "../../shared/kube/http-client.js";
import type { KubeClient } from "../../shared/kube/types.js";
import { startTestNats, type TestNats } from "../support/nats.js";
import { waitFor } from "./wait.js";

const CLUSTER = "devwatch";
let dir: string;
let nats: TestNats;
let nc: NatsConnection;
let cluster: DevCluster;
let kube: KubeClient;
let watcher: Watcher;
let publisher: EventPublisher;
let messages: ConsumerMessages;
const events: CloudEvent[] = [];

const PVC = RESOURCES.persistentvolumeclaims;
const VS = RESOURCES.volumesnapshots;

function pvc(name: string): KubeObject & Record<string, unknown> {
  return { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name, namespace: "default" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: "none" } };
}

function find(name: string, verb: string): CloudEvent | undefined {
  return events.find((e) => e.attributes.name === name && e.attributes.type?.endsWith(`.${verb}`));
}

async function eventFor(name: string, verb: string): Promise<CloudEvent> {
  await waitFor(`${verb} event for ${name}`, () => find(name, verb) !== undefined);
  return find(name, verb)!;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "snapflow-watcher-"));
  nats = await startTestNats();
  nc = await connectNats(nats.url, "watcher-test");
  await ensureStreams(await jetstreamManager(nc));
  cluster = await startDevCluster({ dataDir: join(dir, "cluster") });
  kube = createKubeClient(cluster.kubeconfigPath);
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  publisher = new EventPublisher(jetstream(nc));
  watcher = startWatcher({ kubeConfig: kc, publisher, cluster: CLUSTER, resyncIntervalMs: 0, restartInitialMs: 50, restartMaxMs: 500 });
  await watcher.ready;
  const consumer = await jetstream(nc).consumers.get(K8S_STREAM, { filter_subjects: `snapflow.${CLUSTER}.k8s.>` });
  messages = await consumer.consume();
  void (async () => {
    for await (const m of messages) events.push(fromNatsMessage(m.headers, m.data));
  })();
});

afterAll(async () => {
  await watcher?.stop();
  publisher?.stop();
  messages?.stop();
  await cluster?.close();
  await nc?.close();
  await nats?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("watcher on the dev cluster", () => {
  it("turns create, update and delete into added, modified and deleted events per the contract", async () => {
    const created = await kube.create<KubeObject>(VS, {
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshot",
      metadata: { name: "snap-1", namespace: "default" },
      spec: { source: { persistentVolumeClaimName: "data" } },
    } as KubeObject);
    const uid = created.metadata.uid!;
    const added = await eventFor("snap-1", "added");
    expect(added.attributes).toMatchObject({
      specversion: "1.0",
      id: `${uid}.${created.metadata.resourceVersion}.added`,
      source: `/clusters/${CLUSTER}`,
      type: "dev.snapflow.k8s.volumesnapshots.added",
      subject: uid,
      cluster: CLUSTER,
      namespace: "default",
      name: "snap-1",
      resourceversion: created.metadata.resourceVersion,
      kind: "volumesnapshot",
      datacontenttype: "application/json",
    });
    expect(cloudEventJson(added)).toEqual(created);

    const patched = await kube.patch<KubeObject>(VS, "snap-1", "default", { metadata: { labels: { tier: "gold" } } }, "merge");
    const modified = await eventFor("snap-1", "modified");
    expect(modified.attributes.id).toBe(`${uid}.${patched.metadata.resourceVersion}.modified`);
    expect((cloudEventJson(modified) as KubeObject).metadata.labels).toEqual({ tier: "gold" });

    await kube.delete(VS, "snap-1", "default");
    const deleted = await eventFor("snap-1", "deleted");
    expect(deleted.attributes.subject).toBe(uid);
    expect(deleted.attributes.type).toBe("dev.snapflow.k8s.volumesnapshots.deleted");
  });

  it("cluster-scoped objects carry no namespace extension", async () => {
    await kube.create(RESOURCES.volumesnapshotclasses, { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshotClass", metadata: { name: "gold" }, driver: "hostpath.snapflow.dev", deletionPolicy: "Delete" } as KubeObject);
    const added = await eventFor("gold", "added");
    expect(added.attributes.namespace).toBeUndefined();
    expect(added.attributes.kind).toBe("volumesnapshotclass");
  });

  it("resync re-emits every object as resynced", async () => {
    await kube.create(PVC, pvc("resync-me"));
    await eventFor("resync-me", "added");
    const count = watcher.resync();
    expect(count).toBeGreaterThanOrEqual(2);
    const resynced = await eventFor("resync-me", "resynced");
    expect(resynced.attributes.type).toBe("dev.snapflow.k8s.persistentvolumeclaims.resynced");
    await eventFor("gold", "resynced");
  });

  it("survives an API-server restart; the 410 that follows re-lists and emits what changed and vanished", { timeout: 60_000 }, async () => {
    await kube.create(PVC, pvc("keep"));
    await kube.create(PVC, pvc("vanish"));
    await kube.create(PVC, pvc("change"));
    await eventFor("vanish", "added");
    await eventFor("change", "added");
    const port = cluster.port;
    const errorsBefore = watcher.stats.errors;
    await cluster.close();

    // Behind the watcher's back: another API server on the same store changes things.
    const other = await startDevCluster({ dataDir: join(dir, "cluster") });
    const otherKube = createKubeClient(other.kubeconfigPath);
    await otherKube.delete(PVC, "vanish", "default");
    await otherKube.patch(PVC, "change", "default", { metadata: { labels: { changed: "yes" } } }, "merge");
    await other.close();

    cluster = await startDevCluster({ dataDir: join(dir, "cluster"), port });
    kube = createKubeClient(cluster.kubeconfigPath);
    const vanished = await eventFor("vanish", "deleted");
    expect(vanished.attributes.type).toBe("dev.snapflow.k8s.persistentvolumeclaims.deleted");
    const changed = await eventFor("change", "modified");
    expect((cloudEventJson(changed) as KubeObject).metadata.labels).toEqual({ changed: "yes" });
    expect(find("keep", "deleted")).toBeUndefined();
    expect(watcher.stats.errors).toBeGreaterThan(errorsBefore);

    await kube.create(PVC, pvc("after-restart"));
    await eventFor("after-restart", "added");
  });

  it("a resource whose CRD is missing does not hold readiness back, and is watched once the CRD appears", async () => {
    const CRD: ResourceType = { group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions", kind: "CustomResourceDefinition", namespaced: false };
    const crdName = "volumegroupsnapshotclasses.groupsnapshot.storage.k8s.io";
    const crd = (await kube.get<KubeObject>(CRD, crdName))!;
    await kube.delete(CRD, crdName);
    await waitFor("CRD gone", async () => (await kube.get(CRD, crdName)) === undefined);

    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    const second = startWatcher({ kubeConfig: kc, publisher, cluster: CLUSTER, resources: ["volumegroupsnapshotclasses", "persistentvolumeclaims"], resyncIntervalMs: 0, restartInitialMs: 50, restartMaxMs: 300 });
    try {
      await second.ready;
      expect(second.missing()).toEqual(["volumegroupsnapshotclasses"]);

      const { uid: _uid, resourceVersion: _rv, creationTimestamp: _ct, ...metadata } = crd.metadata;
      await kube.create(CRD, { ...crd, metadata, status: undefined } as KubeObject);
      await waitFor("informer running", () => second.missing().length === 0);
      const addedBefore = second.stats.emitted.added;
      await kube.create<KubeObject>(RESOURCES.volumegroupsnapshotclasses, {
        apiVersion: "groupsnapshot.storage.k8s.io/v1",
        kind: "VolumeGroupSnapshotClass",
        metadata: { name: "late-class" },
        driver: "hostpath.snapflow.dev",
        deletionPolicy: "Delete",
      } as KubeObject);
      // (Its event carries the same id as the first watcher's for this object, so JetStream keeps one:
      // the informer's count is the evidence here.)
      await waitFor("the second watcher's event for the late resource", () => second.stats.emitted.added === addedBefore + 1);
    } finally {
      await second.stop();
    }
  });

  it("the periodic resync re-emits every object, spread over the interval in slices instead of one burst", async () => {
    const names = ["paced-1", "paced-2", "paced-3", "paced-4", "paced-5", "paced-6"];
    for (const name of names) await kube.create(PVC, pvc(name));
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    // 2.5 s interval: the pass is spread over 80 % of it in 1 s slices, i.e. two slices.
    const paced = startWatcher({ kubeConfig: kc, publisher, cluster: CLUSTER, resources: ["persistentvolumeclaims"], resyncIntervalMs: 2_500 });
    try {
      await paced.ready;
      const objects = paced.stats.emitted.added;
      const slices: number[] = [];
      let seen = paced.stats.emitted.resynced;
      await waitFor(
        "every object re-emitted by the periodic pass",
        () => {
          const now = paced.stats.emitted.resynced;
          if (now > seen) slices.push(now - seen);
          seen = now;
          return now >= objects;
        },
        15_000,
      );
      expect(paced.stats.resyncs).toBe(1);
      expect(slices.length).toBeGreaterThan(1);
      expect(Math.max(...slices)).toBeLessThan(objects);
    } finally {
      await paced.stop();
    }
  });
});
