// The HTTP KubeClient, the event recorder and the function framework against the embedded dev
// cluster (a real single-process Kubernetes API server with the snapshot CRDs).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevCluster, type DevCluster } from "../infra/devcluster/index.js";
import type { KubeObject } from "../shared/api/meta.js";
import { RESOURCES } from "../shared/api/resources.js";
import { createFunctionApp } from "../shared/function/app.js";
import type { AuditRecord } from "../shared/function/audit.js";
import { KubeEventRecorder, type CoreEvent } from "../shared/kube/event-recorder.js";
import { createKubeClient, type HttpKubeClient } from "../shared/kube/http-client.js";
import { formatLabelSelector } from "../shared/kube/label-selector.js";
import { KubeApiError } from "../shared/kube/types.js";
import { annotateFunction, MODE, SEEN } from "./support/annotate-function.js";
import { binaryEvent } from "./support/events.js";
import { memoryGateway } from "./support/memory-gateway.js";

const VS = RESOURCES.volumesnapshots;
const VSC = RESOURCES.volumesnapshotcontents;
const PVC = RESOURCES.persistentvolumeclaims;
const FINALIZER = "snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection";

let dir: string;
let cluster: DevCluster;
let kube: HttpKubeClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "snapflow-kube-dev-"));
  cluster = await startDevCluster({ dataDir: join(dir, "data") });
  kube = createKubeClient(cluster.kubeconfigPath);
});

afterAll(async () => {
  kube?.close();
  await cluster?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Snap extends KubeObject {
  spec: { source: { persistentVolumeClaimName?: string; volumeSnapshotContentName?: string }; volumeSnapshotClassName?: string };
  status?: { readyToUse?: boolean; boundVolumeSnapshotContentName?: string };
}

function snap(name: string, labels?: Record<string, string>): Snap {
  return { metadata: { name, namespace: "default", ...(labels ? { labels } : {}) }, spec: { source: { persistentVolumeClaimName: "data" } } };
}

async function rejection(p: Promise<unknown>): Promise<KubeApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KubeApiError);
  return err as KubeApiError;
}

describe("HTTP KubeClient against the dev cluster", () => {
  it("creates, gets, lists by label selector; 404 is undefined; AlreadyExists is 409", async () => {
    const a = await kube.create(VS, snap("dev-a", { app: "db", tier: "1" }));
    expect(a.metadata.uid).toBeTruthy();
    await kube.create(VS, snap("dev-b", { app: "web" }));
    expect((await kube.get<Snap>(VS, "dev-a", "default"))?.metadata.uid).toBe(a.metadata.uid);
    expect(await kube.get(VS, "missing", "default")).toBeUndefined();
    const selector = formatLabelSelector({ matchExpressions: [{ key: "app", operator: "In", values: ["db", "cache"] }] });
    const listed = await kube.list<Snap>(VS, { namespace: "default", labelSelector: selector });
    expect(listed.items.map((o) => o.metadata.name)).toEqual(["dev-a"]);
    const dup = await rejection(kube.create(VS, snap("dev-a")));
    expect(dup.code).toBe(409);
    expect(dup.reason).toBe("AlreadyExists");
  });

  it("surfaces validation failures as 422 Invalid with the Status", async () => {
    const bad = await rejection(kube.create(VS, { metadata: { name: "dev-bad", namespace: "default" }, spec: { source: {} } } as Snap));
    expect(bad.code).toBe(422);
    expect(bad.reason).toBe("Invalid");
    expect(bad.status?.kind).toBe("Status");
  });

  it("conflicts on a stale resourceVersion", async () => {
    const cur = (await kube.get<Snap>(VS, "dev-a", "default"))!;
    await kube.update(VS, { ...cur, metadata: { ...cur.metadata, annotations: { step: "1" } } });
    const stale = await rejection(kube.update(VS, { ...cur, metadata: { ...cur.metadata, annotations: { step: "2" } } }));
    expect(stale.code).toBe(409);
    expect(stale.isConflict).toBe(true);
  });

  it("writes status through the subresource only", async () => {
    const cur = (await kube.get<Snap>(VS, "dev-a", "default"))!;
    const main = await kube.update<Snap>(VS, { ...cur, status: { readyToUse: true } });
    expect(main.status?.readyToUse).toBeUndefined();
    const withStatus = await kube.updateStatus<Snap>(VS, { ...main, status: { readyToUse: false, boundVolumeSnapshotContentName: "snapcontent-x" } });
    expect(withStatus.status).toMatchObject({ readyToUse: false, boundVolumeSnapshotContentName: "snapcontent-x" });
    const patched = await kube.patch<Snap>(VS, "dev-a", "default", { status: { readyToUse: true } }, "merge", "status");
    expect(patched.status).toMatchObject({ readyToUse: true, boundVolumeSnapshotContentName: "snapcontent-x" });
  });

  it("applies merge, JSON and (on core kinds) strategic patches", async () => {
    const merged = await kube.patch<Snap>(VS, "dev-a", "default", { metadata: { labels: { tier: null, extra: "yes" } } });
    expect(merged.metadata.labels).toEqual({ app: "db", extra: "yes" });
    const json = await kube.patch<Snap>(VS, "dev-a", "default", [{ op: "add", path: "/metadata/finalizers", value: [FINALIZER] }], "json");
    expect(json.metadata.finalizers).toEqual([FINALIZER]);
    const crStrategic = await rejection(kube.patch(VS, "dev-a", "default", { metadata: { labels: { x: "1" } } }, "strategic"));
    expect(crStrategic.code).toBe(415);

    await kube.create(PVC, {
      metadata: { name: "data", namespace: "default" },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: "none" },
    } as KubeObject);
    const sp = await kube.patch(PVC, "data", "default", { metadata: { annotations: { a: "b" } } }, "strategic");
    expect(sp.metadata.annotations?.a).toBe("b");
  });

  it("deletes with preconditions; finalizers keep the object until removed", async () => {
    const cur = (await kube.get<Snap>(VS, "dev-a", "default"))!;
    const wrong = await rejection(kube.delete(VS, "dev-a", "default", { uid: "00000000-0000-0000-0000-000000000000" }));
    expect(wrong.code).toBe(409);
    const kept = await kube.delete<Snap>(VS, "dev-a", "default", { uid: cur.metadata.uid, propagationPolicy: "Background" });
    expect(kept?.metadata.deletionTimestamp).toBeTruthy();
    expect(kept?.metadata.finalizers).toEqual([FINALIZER]);
    await kube.patch(VS, "dev-a", "default", { metadata: { finalizers: null, resourceVersion: kept!.metadata.resourceVersion } });
    expect(await kube.get(VS, "dev-a", "default")).toBeUndefined();
    expect(await kube.delete(VS, "dev-a", "default")).toBeUndefined();
    expect(await kube.delete(VS, "dev-b", "default")).toBeUndefined();
    // kubernetes.io/pvc-protection (admission) keeps the claim until the pvc-protection controller
    // sees no pod using it, as on a real cluster: the delete answers with the claim, which then goes.
    const claim = await kube.delete(PVC, "data", "default");
    expect(claim?.metadata.finalizers).toEqual(["kubernetes.io/pvc-protection"]);
    while (await kube.get(PVC, "data", "default")) await new Promise((r) => setTimeout(r, 20));
  });

  it("handles cluster-scoped objects", async () => {
    const content = await kube.create(VSC, {
      metadata: { name: "snapcontent-dev" },
      spec: {
        deletionPolicy: "Delete",
        driver: "hostpath.snapflow.dev",
        source: { snapshotHandle: "snap-1" },
        volumeSnapshotRef: { name: "dev-static", namespace: "default" },
      },
    } as KubeObject);
    expect((await kube.get(VSC, "snapcontent-dev"))?.metadata.uid).toBe(content.metadata.uid);
  });
});

describe("event recorder against the dev cluster", () => {
  it("writes and counts Events; cluster-scoped objects' Events go to default", async () => {
    const recorder = new KubeEventRecorder({ kube, component: "snapshot-controller", host: "test-host" });
    const obj = await kube.create(VS, snap("dev-events"));
    const warning = { type: "Warning" as const, reason: "SnapshotContentMissing", message: "VolumeSnapshotContent is missing" };
    const first = await recorder.emit(obj, warning);
    await recorder.emit(obj, warning);
    const third = await recorder.emit(obj, warning);
    expect(third.metadata.name).toBe(first.metadata.name);
    expect(third.count).toBe(3);
    const stored = (await kube.list<CoreEvent>(RESOURCES.events, { namespace: "default" })).items.filter((e) => e.involvedObject.uid === obj.metadata.uid);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ count: 3, source: { component: "snapshot-controller", host: "test-host" }, involvedObject: { kind: "VolumeSnapshot", name: "dev-events" } });

    const content = (await kube.get(VSC, "snapcontent-dev"))!;
    const ev = await recorder.emit(content, { type: "Normal", reason: "SnapshotReady", message: "ready", component: "csi-snapshotter hostpath.snapflow.dev" });
    expect(ev.metadata.namespace).toBe("default");
    expect(ev.source.component).toBe("csi-snapshotter hostpath.snapflow.dev");
  });
});

describe("function framework against the dev cluster", () => {
  it("re-reads, patches with the read resourceVersion, records an Event and answers per outcome", async () => {
    const app = createFunctionApp(annotateFunction, { kube, clusterName: "dev", gateway: memoryGateway() });
    const obj = await kube.create(VS, snap("dev-fn"));
    const res = await app.request("/", binaryEvent(obj, { cluster: "dev" }));
    const record = (await res.json()) as AuditRecord;
    expect(res.status, JSON.stringify(record)).toBe(200);
    expect(record).toMatchObject({ outcome: "done", events: [{ type: "Normal", reason: "Annotated" }] });
    expect((await kube.get(VS, "dev-fn", "default"))?.metadata.annotations?.[SEEN]).toBe(record.eventId);

    const conflicting = await kube.create(VS, { ...snap("dev-fn-conflict"), metadata: { ...snap("dev-fn-conflict").metadata, annotations: { [MODE]: "conflict" } } });
    const conflict = await app.request("/", binaryEvent(conflicting, { cluster: "dev" }));
    expect(conflict.status).toBe(409);
  });
});
