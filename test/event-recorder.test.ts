// The event recorder writing real core/v1 Events through the HTTP KubeClient.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeObject } from "../shared/api/meta.js";
import { RESOURCES } from "../shared/api/resources.js";
import { AGGREGATE_PREFIX, KubeEventRecorder, type CoreEvent } from "../shared/kube/event-recorder.js";
import { createKubeClient, type HttpKubeClient } from "../shared/kube/http-client.js";
import { startFakeApiServer, type FakeApiServer } from "./support/fake-apiserver.js";

let api: FakeApiServer;
let dir: string;
let kube: HttpKubeClient;
let snapshot: KubeObject;
let content: KubeObject;

beforeAll(async () => {
  api = await startFakeApiServer();
  dir = await mkdtemp(join(tmpdir(), "snapflow-events-"));
  kube = createKubeClient(await api.kubeconfig(dir));
  snapshot = await kube.create(RESOURCES.volumesnapshots, { metadata: { name: "snap-1", namespace: "team-a" }, spec: {} } as KubeObject);
  content = await kube.create(RESOURCES.volumesnapshotcontents, { metadata: { name: "snapcontent-1" }, spec: {} } as KubeObject);
});

afterAll(async () => {
  kube?.close();
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

const events = async (namespace: string) => (await kube.list<CoreEvent>(RESOURCES.events, { namespace })).items;

describe("KubeEventRecorder", () => {
  it("writes an Event shaped like client-go's", async () => {
    const at = new Date("2026-01-02T03:04:05.678Z");
    const recorder = new KubeEventRecorder({ kube, component: "snapshot-controller", host: "node-a", now: () => at });
    const ev = await recorder.emit(snapshot, { type: "Normal", reason: "CreatingSnapshot", message: "Waiting for a snapshot team-a/snap-1 to be created by the CSI driver." });
    expect(ev.metadata.namespace).toBe("team-a");
    expect(ev.metadata.name).toMatch(/^snap-1\.[0-9a-f]{12,}$/);
    expect(ev).toMatchObject({
      involvedObject: {
        apiVersion: "snapshot.storage.k8s.io/v1",
        kind: "VolumeSnapshot",
        name: "snap-1",
        namespace: "team-a",
        uid: snapshot.metadata.uid,
        resourceVersion: snapshot.metadata.resourceVersion,
      },
      reason: "CreatingSnapshot",
      type: "Normal",
      source: { component: "snapshot-controller", host: "node-a" },
      firstTimestamp: "2026-01-02T03:04:05Z",
      lastTimestamp: "2026-01-02T03:04:05Z",
      count: 1,
      reportingComponent: "snapshot-controller",
      reportingInstance: "node-a",
    });
    expect(await events("team-a")).toHaveLength(1);
  });

  it("counts repeats within the window on one Event and starts a new one after it", async () => {
    let now = new Date("2026-01-02T00:00:00Z");
    const recorder = new KubeEventRecorder({ kube, component: "csi-snapshotter hostpath.snapflow.dev", windowMs: 60_000, now: () => now });
    const warn = { type: "Warning" as const, reason: "SnapshotCreationFailed", message: "Failed to create snapshot: boom" };
    const first = await recorder.emit(content, warn);
    now = new Date("2026-01-02T00:00:10Z");
    await recorder.emit(content, warn);
    now = new Date("2026-01-02T00:00:20Z");
    const third = await recorder.emit(content, warn);
    expect(third.metadata.name).toBe(first.metadata.name);
    expect(third.count).toBe(3);
    expect(third.firstTimestamp).toBe("2026-01-02T00:00:00Z");
    expect(third.lastTimestamp).toBe("2026-01-02T00:00:20Z");
    // Cluster-scoped objects' events live in "default", as kube does it.
    expect(first.metadata.namespace).toBe("default");
    expect(first.involvedObject.namespace).toBeUndefined();
    expect(first.source.component).toBe("csi-snapshotter hostpath.snapflow.dev");

    // A different message is a different Event.
    const other = await recorder.emit(content, { ...warn, message: "Failed to create snapshot: other" });
    expect(other.metadata.name).not.toBe(first.metadata.name);

    // After the window the next repeat is a new Event.
    now = new Date("2026-01-02T00:05:00Z");
    const later = await recorder.emit(content, warn);
    expect(later.metadata.name).not.toBe(first.metadata.name);
    expect(later.count).toBe(1);
  });

  it("counts concurrent repeats without losing any", async () => {
    const recorder = new KubeEventRecorder({ kube, component: "snapshot-controller" });
    const ev = { type: "Warning" as const, reason: "SnapshotContentMissing", message: "VolumeSnapshotContent is missing" };
    await Promise.all(Array.from({ length: 5 }, () => recorder.emit(snapshot, ev)));
    const matching = (await events("team-a")).filter((e) => e.reason === "SnapshotContentMissing");
    expect(matching).toHaveLength(1);
    expect(matching[0]!.count).toBe(5);
  });

  it("folds the 10th and later distinct messages of one reason into a combined Event, as client-go does", async () => {
    const recorder = new KubeEventRecorder({ kube, component: "csi-snapshotter d" });
    const obj = await kube.create(RESOURCES.volumesnapshots, { metadata: { name: "noisy", namespace: "team-a" }, spec: {} } as KubeObject);
    const names = new Set<string>();
    for (let i = 1; i <= 9; i++) {
      const ev = await recorder.emit(obj, { type: "Warning", reason: "SnapshotCreationFailed", message: `attempt ${i} failed` });
      expect(ev.message).toBe(`attempt ${i} failed`);
      names.add(ev.metadata.name!);
    }
    expect(names.size).toBe(9);
    const tenth = await recorder.emit(obj, { type: "Warning", reason: "SnapshotCreationFailed", message: "attempt 10 failed" });
    expect(tenth.message).toBe(`${AGGREGATE_PREFIX}attempt 10 failed`);
    const eleventh = await recorder.emit(obj, { type: "Warning", reason: "SnapshotCreationFailed", message: "attempt 11 failed" });
    expect(eleventh.metadata.name).toBe(tenth.metadata.name);
    expect(eleventh).toMatchObject({ count: 2, message: `${AGGREGATE_PREFIX}attempt 11 failed` });
    // Another reason on the same object is its own family.
    const other = await recorder.emit(obj, { type: "Normal", reason: "SnapshotReady", message: "ready" });
    expect(other.message).toBe("ready");
    const stored = (await events("team-a")).filter((e) => e.involvedObject.uid === obj.metadata.uid);
    expect(stored).toHaveLength(11);
  });

  it("creates a fresh Event when the counted one was deleted", async () => {
    const recorder = new KubeEventRecorder({ kube, component: "snapshot-controller" });
    const ev = { type: "Normal" as const, reason: "SnapshotReady", message: "Snapshot team-a/snap-1 is ready to use." };
    const first = await recorder.emit(snapshot, ev);
    await kube.delete(RESOURCES.events, first.metadata.name!, "team-a");
    const again = await recorder.emit(snapshot, ev);
    expect(again.metadata.name).not.toBe(first.metadata.name);
    expect(again.count).toBe(1);
  });

  it("lets an event name its own component and scrubs credentials from messages", async () => {
    const recorder = new KubeEventRecorder({ kube, component: "snapshot-controller" });
    const ev = await recorder.emit(content, { type: "Warning", reason: "X", message: "driver said token=abc123", component: "csi-snapshotter d" });
    expect(ev.source.component).toBe("csi-snapshotter d");
    expect(ev.message).toBe("driver said token=[REDACTED]");
  });

  it("record() logs and swallows failures instead of failing the caller", async () => {
    const warnings: object[] = [];
    const log = { debug() {}, info() {}, error() {}, warn: (o: object) => warnings.push(o) };
    const recorder = new KubeEventRecorder({ kube, component: "snapshot-controller", log });
    api.failNext(500);
    await expect(recorder.record(snapshot, { type: "Normal", reason: "R", message: "m" })).resolves.toBeUndefined();
    expect(warnings).toHaveLength(1);
    await expect(recorder.record({ metadata: { name: "x" } }, { type: "Normal", reason: "R", message: "m" })).resolves.toBeUndefined();
    expect(warnings).toHaveLength(2);
  });
});
