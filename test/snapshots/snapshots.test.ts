// bind, invoke, protect and delete through the function framework against the dev cluster and the
// real hostpath CSI driver behind the gateway, checking the objects field for field as upstream
// writes them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PersistentVolumeClaim } from "../../shared/api/core.js";
import type { VolumeSnapshot, VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import { ANNOTATIONS, FINALIZERS, SNAPSHOT_API_VERSION } from "../../shared/snapshot/constants.js";
import { SOURCE_PINS_ANNOTATION } from "../../shared/snapshot/source-pins.js";
import { RESOURCES } from "../../shared/api/resources.js";
import { DRIVER, SnapshotStack } from "./stack.js";

const PVCS = RESOURCES.persistentvolumeclaims;
const SNAPSHOTS = RESOURCES.volumesnapshots;

const stack = new SnapshotStack();
const RFC3339_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

beforeAll(async () => {
  await stack.start();
  await stack.createClass("snapflow-hostpath", { isDefault: true });
  await stack.createClass("keep", { deletionPolicy: "Retain" });
});

afterAll(async () => {
  await stack.stop();
});

async function createSnapshot(name: string, source: VolumeSnapshot["spec"]["source"], className?: string): Promise<VolumeSnapshot> {
  return stack.kube.create<VolumeSnapshot>(
    { group: "snapshot.storage.k8s.io", version: "v1", plural: "volumesnapshots", kind: "VolumeSnapshot", namespaced: true },
    {
      apiVersion: SNAPSHOT_API_VERSION,
      kind: "VolumeSnapshot",
      metadata: { name, namespace: "default" },
      spec: { source, ...(className ? { volumeSnapshotClassName: className } : {}) },
    },
  );
}

const snapshot = (name: string) => stack.get<VolumeSnapshot>("volumesnapshots", name, "default");
const content = (name: string) => stack.get<VolumeSnapshotContent>("volumesnapshotcontents", name);
const claim = (name: string) => stack.get<PersistentVolumeClaim>("persistentvolumeclaims", name, "default");
const ready = (name: string) => async () => (await snapshot(name))?.status?.readyToUse === true;
const gone = (fetch: () => Promise<unknown>) => async () => (await fetch()) === undefined;

async function backendSnapshot(handle: string) {
  return stack.gateway.getSnapshot(DRIVER, { snapshotId: handle });
}

describe("dynamic snapshot with the default class", () => {
  let uid: string;
  let volumeHandle: string;

  it("becomes ready with upstream's objects field for field", async () => {
    ({ volumeHandle } = await stack.createBoundClaim("data"));
    uid = (await createSnapshot("snap-default", { persistentVolumeClaimName: "data" })).metadata.uid!;
    await stack.settle(ready("snap-default"));

    const vs = (await snapshot("snap-default"))!;
    const contentName = `snapcontent-${uid}`;
    expect(vs.spec).toEqual({ source: { persistentVolumeClaimName: "data" }, volumeSnapshotClassName: "snapflow-hostpath" });
    expect(vs.metadata.finalizers).toEqual([FINALIZERS.snapshotAsSource, FINALIZERS.snapshotBound]);
    expect(vs.status).toEqual({
      boundVolumeSnapshotContentName: contentName,
      creationTime: expect.stringMatching(RFC3339_SECONDS),
      readyToUse: true,
      restoreSize: "1Gi",
    });

    const vsc = (await content(contentName))!;
    expect(vsc.metadata.finalizers).toEqual([FINALIZERS.contentBound]);
    expect(vsc.metadata.annotations ?? {}).not.toHaveProperty(ANNOTATIONS.beingCreated);
    expect(vsc.spec).toEqual({
      volumeSnapshotRef: {
        kind: "VolumeSnapshot",
        apiVersion: SNAPSHOT_API_VERSION,
        namespace: "default",
        name: "snap-default",
        uid,
        resourceVersion: expect.any(String),
      },
      deletionPolicy: "Delete",
      driver: DRIVER,
      volumeSnapshotClassName: "snapflow-hostpath",
      source: { volumeHandle },
      sourceVolumeMode: "Filesystem",
    });
    expect(vsc.status).toEqual({
      snapshotHandle: expect.any(String),
      creationTime: expect.any(Number),
      restoreSize: 1073741824,
      readyToUse: true,
    });
    // The snapshot's creationTime is the content's, at second precision.
    expect(Date.parse(vs.status!.creationTime!)).toBe(Math.floor(vsc.status!.creationTime! / 1e9) * 1000);

    const backend = await backendSnapshot(vsc.status!.snapshotHandle!);
    expect(backend).toMatchObject({ sourceVolumeId: volumeHandle, readyToUse: true, sizeBytes: 1073741824 });

    // The source PVC is released once the snapshot is cut; the API server's own protection stays.
    expect((await claim("data"))!.metadata.finalizers).toEqual(["kubernetes.io/pvc-protection"]);

    expect(await stack.eventsFor(uid)).toEqual([
      "Normal CreatingSnapshot: Waiting for a snapshot default/snap-default to be created by the CSI driver.",
      "Normal SnapshotCreated: Snapshot default/snap-default was successfully created by the CSI driver.",
      "Normal SnapshotReady: Snapshot default/snap-default is ready to use.",
    ]);
  });

  it("deleting it (Delete policy) removes snapshot, content and the backend snapshot", async () => {
    const handle = (await content(`snapcontent-${uid}`))!.status!.snapshotHandle!;
    await stack.kube.delete({ group: "snapshot.storage.k8s.io", version: "v1", plural: "volumesnapshots", kind: "VolumeSnapshot", namespaced: true }, "snap-default", "default");
    await stack.settle(async () => (await snapshot("snap-default")) === undefined && (await content(`snapcontent-${uid}`)) === undefined);
    expect(await backendSnapshot(handle)).toBeUndefined();
  });
});

describe("Retain and static (pre-provisioned) binding", () => {
  let retainedHandle: string;

  it("Retain: the snapshot goes, the content and the backend snapshot stay", async () => {
    await stack.createBoundClaim("keepme");
    const uid = (await createSnapshot("snap-keep", { persistentVolumeClaimName: "keepme" }, "keep")).metadata.uid!;
    await stack.settle(ready("snap-keep"));
    const vs = (await snapshot("snap-keep"))!;
    // A Retain content never puts the bound finalizer on its snapshot.
    expect(vs.metadata.finalizers).toEqual([FINALIZERS.snapshotAsSource]);

    await stack.kube.delete({ group: "snapshot.storage.k8s.io", version: "v1", plural: "volumesnapshots", kind: "VolumeSnapshot", namespaced: true }, "snap-keep", "default");
    await stack.settle(gone(() => snapshot("snap-keep")));
    await stack.round();
    const vsc = (await content(`snapcontent-${uid}`))!;
    expect(vsc.metadata.annotations).toMatchObject({ [ANNOTATIONS.beingDeleted]: "yes" });
    expect(vsc.metadata.finalizers).toEqual([FINALIZERS.contentBound]);
    expect(vsc.metadata.deletionTimestamp).toBeUndefined();
    retainedHandle = vsc.status!.snapshotHandle!;
    expect(await backendSnapshot(retainedHandle)).toMatchObject({ readyToUse: true });
  });

  it("a bound content deleted by hand whose snapshot is gone stays Terminating and keeps its backend snapshot (upstream)", async () => {
    // As a content copied from another cluster: bound to a snapshot that does not exist here.
    const CONTENTS = { group: "snapshot.storage.k8s.io", version: "v1", plural: "volumesnapshotcontents", kind: "VolumeSnapshotContent", namespaced: false } as const;
    await stack.kube.create<VolumeSnapshotContent>(CONTENTS, {
      apiVersion: SNAPSHOT_API_VERSION,
      kind: "VolumeSnapshotContent",
      metadata: { name: "copied" },
      spec: { volumeSnapshotRef: { name: "elsewhere", namespace: "default", uid: "uid-in-another-cluster" }, deletionPolicy: "Delete", driver: DRIVER, source: { snapshotHandle: retainedHandle } },
    });
    await stack.settle(async () => ((await content("copied"))?.metadata.finalizers ?? []).includes(FINALIZERS.contentBound));
    await stack.kube.delete(CONTENTS, "copied");
    await stack.round();
    await stack.round();
    const vsc = (await content("copied"))!;
    expect(vsc.metadata.deletionTimestamp).toBeDefined();
    expect(vsc.metadata.finalizers).toEqual([FINALIZERS.contentBound]);
    expect(vsc.metadata.annotations?.[ANNOTATIONS.beingDeleted]).toBeUndefined();
    expect(await backendSnapshot(retainedHandle)).toMatchObject({ readyToUse: true });
    // What upstream leaves to the user: take the finalizer off by hand.
    await stack.kube.update(CONTENTS, { ...vsc, metadata: { ...vsc.metadata, finalizers: [] } });
    await stack.settle(gone(() => content("copied")));
    expect(await backendSnapshot(retainedHandle)).toMatchObject({ readyToUse: true });
  });

  it("a pre-provisioned content binds its snapshot both ways and reports the backend's status", async () => {
    await stack.kube.create<VolumeSnapshotContent>(
      { group: "snapshot.storage.k8s.io", version: "v1", plural: "volumesnapshotcontents", kind: "VolumeSnapshotContent", namespaced: false },
      {
        apiVersion: SNAPSHOT_API_VERSION,
        kind: "VolumeSnapshotContent",
        metadata: { name: "imported" },
        spec: {
          volumeSnapshotRef: { name: "snap-static", namespace: "default" },
          deletionPolicy: "Delete",
          driver: DRIVER,
          source: { snapshotHandle: retainedHandle },
        },
      },
    );
    const uid = (await createSnapshot("snap-static", { volumeSnapshotContentName: "imported" })).metadata.uid!;
    await stack.settle(ready("snap-static"));

    const vsc = (await content("imported"))!;
    expect(vsc.spec.volumeSnapshotRef).toEqual({ name: "snap-static", namespace: "default", uid });
    expect(vsc.spec.volumeSnapshotClassName).toBeUndefined();
    expect(vsc.metadata.finalizers).toEqual([FINALIZERS.contentBound]);
    expect(vsc.status).toEqual({ snapshotHandle: retainedHandle, creationTime: expect.any(Number), restoreSize: 1073741824, readyToUse: true });
    const vs = (await snapshot("snap-static"))!;
    expect(vs.status).toEqual({ boundVolumeSnapshotContentName: "imported", creationTime: expect.stringMatching(RFC3339_SECONDS), readyToUse: true, restoreSize: "1Gi" });
    await stack.settle(async () => ((await snapshot("snap-static"))!.metadata.finalizers ?? []).includes(FINALIZERS.snapshotBound));
    expect((await snapshot("snap-static"))!.metadata.finalizers).toEqual([FINALIZERS.snapshotAsSource, FINALIZERS.snapshotBound]);
  });

  it("deleting the static snapshot (Delete policy) deletes the imported backend snapshot", async () => {
    await stack.kube.delete({ group: "snapshot.storage.k8s.io", version: "v1", plural: "volumesnapshots", kind: "VolumeSnapshot", namespaced: true }, "snap-static", "default");
    await stack.settle(async () => (await snapshot("snap-static")) === undefined && (await content("imported")) === undefined);
    expect(await backendSnapshot(retainedHandle)).toBeUndefined();
  });

  it("a pre-provisioned content with a mistyped handle fails, and deleting it (Delete policy) still completes", async () => {
    await stack.kube.create<VolumeSnapshotContent>(
      { group: "snapshot.storage.k8s.io", version: "v1", plural: "volumesnapshotcontents", kind: "VolumeSnapshotContent", namespaced: false },
      {
        apiVersion: SNAPSHOT_API_VERSION,
        kind: "VolumeSnapshotContent",
        metadata: { name: "mistyped" },
        spec: { volumeSnapshotRef: { name: "snap-mistyped", namespace: "default" }, deletionPolicy: "Delete", driver: DRIVER, source: { snapshotHandle: "../snap-typo" } },
      },
    );
    await createSnapshot("snap-mistyped", { volumeSnapshotContentName: "mistyped" });
    await stack.settle(async () => (await content("mistyped"))?.status?.error !== undefined);
    expect((await content("mistyped"))!.status?.readyToUse).not.toBe(true);

    await stack.kube.delete({ group: "snapshot.storage.k8s.io", version: "v1", plural: "volumesnapshots", kind: "VolumeSnapshot", namespaced: true }, "snap-mistyped", "default");
    // No status handle was ever recorded: as upstream's sidecar, invoke drops the finalizer without a
    // DeleteSnapshot (and the driver would answer one for a handle that names nothing with OK).
    await stack.settle(async () => (await snapshot("snap-mistyped")) === undefined && (await content("mistyped")) === undefined);
  });

  it("a content that names another snapshot is refused: SnapshotContentMisbound", async () => {
    await stack.kube.create<VolumeSnapshotContent>(
      { group: "snapshot.storage.k8s.io", version: "v1", plural: "volumesnapshotcontents", kind: "VolumeSnapshotContent", namespaced: false },
      {
        apiVersion: SNAPSHOT_API_VERSION,
        kind: "VolumeSnapshotContent",
        metadata: { name: "someone-elses" },
        spec: { volumeSnapshotRef: { name: "owner", namespace: "default" }, deletionPolicy: "Retain", driver: DRIVER, source: { snapshotHandle: "does-not-matter" } },
      },
    );
    const uid = (await createSnapshot("thief", { volumeSnapshotContentName: "someone-elses" })).metadata.uid!;
    await stack.settle(async () => (await snapshot("thief"))?.status?.error !== undefined);
    expect((await snapshot("thief"))!.status).toEqual({
      readyToUse: false,
      error: { time: expect.stringMatching(RFC3339_SECONDS), message: "VolumeSnapshotContent [someone-elses] is bound to a different snapshot" },
    });
    expect(await stack.eventsFor(uid)).toContain("Warning SnapshotContentMisbound: VolumeSnapshotContent [someone-elses] is bound to a different snapshot");
  });
});

describe("error paths", () => {
  it("a missing class: GetSnapshotClassFailed, nothing created, PVC never pinned", async () => {
    await stack.createBoundClaim("noclass");
    const uid = (await createSnapshot("snap-noclass", { persistentVolumeClaimName: "noclass" }, "nope")).metadata.uid!;
    await stack.settle(async () => (await snapshot("snap-noclass"))?.status?.error !== undefined);
    const message = 'Failed to get snapshot class with error volumesnapshotclass.snapshot.storage.k8s.io "nope" not found';
    expect((await snapshot("snap-noclass"))!.status).toEqual({ error: { time: expect.stringMatching(RFC3339_SECONDS), message } });
    expect(await content(`snapcontent-${uid}`)).toBeUndefined();
    expect((await claim("noclass"))!.metadata.finalizers ?? []).not.toContain(FINALIZERS.pvcAsSource);
    expect(await stack.eventsFor(uid)).toEqual([`Warning GetSnapshotClassFailed: ${message}`]);
  });

  it("a snapshot that fails at the driver releases its PVC (upstream #1305 would pin it forever)", async () => {
    await stack.createClass("broken", { parameters: { "csi.storage.k8s.io/unknown-key": "x" } });
    await stack.createBoundClaim("victim");
    const uid = (await createSnapshot("snap-broken", { persistentVolumeClaimName: "victim" }, "broken")).metadata.uid!;
    const cause =
      'failed to remove CSI Parameters of prefixed keys: found unknown parameter key "csi.storage.k8s.io/unknown-key" with reserved namespace csi.storage.k8s.io/';
    // The first attempt fails as a create; once the content has that error status, upstream's
    // sidecar retries through its status check and words every later failure for that path.
    const message = `Failed to check and update snapshot content: ${cause}`;
    await stack.settle(async () => (await snapshot("snap-broken"))?.status?.error?.message === message);
    const vsc = (await content(`snapcontent-${uid}`))!;
    expect(vsc.status).toEqual({ readyToUse: false, error: { time: expect.stringMatching(RFC3339_SECONDS), message } });
    expect(vsc.metadata.annotations ?? {}).not.toHaveProperty(ANNOTATIONS.beingCreated);
    // bind pinned the PVC before creating the content; protect released it once the cut failed.
    await stack.settle(async () => !((await claim("victim"))!.metadata.finalizers ?? []).includes(FINALIZERS.pvcAsSource));
    const events = await stack.eventsFor(vsc.metadata.uid!);
    expect(events).toContain(`Warning SnapshotCreationFailed: Failed to create snapshot: ${cause}`);
    expect(events).toContain(`Warning SnapshotContentCheckandUpdateFailed: ${message}`);

    // Deleting the failed snapshot cleans everything up (no backend snapshot ever existed).
    await stack.kube.delete({ group: "snapshot.storage.k8s.io", version: "v1", plural: "volumesnapshots", kind: "VolumeSnapshot", namespaced: true }, "snap-broken", "default");
    await stack.settle(async () => (await snapshot("snap-broken")) === undefined && (await content(`snapcontent-${uid}`)) === undefined);
  });

  it("five snapshots of one PVC at once: the PVC stays protected until the last is ready, then is left as upstream leaves it", async () => {
    await stack.createBoundClaim("busy");
    const names = ["busy-1", "busy-2", "busy-3", "busy-4", "busy-5"];
    await Promise.all(names.map((name) => createSnapshot(name, { persistentVolumeClaimName: "busy" })));
    let sawRecord = false;
    await stack.settle(async () => {
      const snapshots = await Promise.all(names.map((name) => snapshot(name)));
      const pvc = (await claim("busy"))!;
      const pinned = (pvc.metadata.finalizers ?? []).includes(FINALIZERS.pvcAsSource);
      if (pvc.metadata.annotations?.[SOURCE_PINS_ANNOTATION]) sawRecord = true;
      // Never released while a snapshot with a content is still being cut.
      if (snapshots.some((vs) => vs?.status?.boundVolumeSnapshotContentName && vs.status.readyToUse !== true)) expect(pinned).toBe(true);
      return snapshots.every((vs) => vs?.status?.readyToUse === true) && !pinned;
    });
    expect(sawRecord).toBe(true);
    expect((await claim("busy"))!.metadata.annotations ?? {}).not.toHaveProperty(SOURCE_PINS_ANNOTATION);
  });

  it("a PVC protected without snapflow's record (e.g. by upstream's controller) is still released, by a namespace scan", async () => {
    await stack.createBoundClaim("legacy");
    await createSnapshot("legacy-snap", { persistentVolumeClaimName: "legacy" });
    await stack.settle(ready("legacy-snap"));
    await stack.settle(async () => !((await claim("legacy"))!.metadata.finalizers ?? []).includes(FINALIZERS.pvcAsSource));
    // Pin it the way upstream does (finalizer only), then make a snapshot event arrive.
    const pvc = (await claim("legacy"))!;
    await stack.kube.update(PVCS, { ...pvc, metadata: { ...pvc.metadata, finalizers: [...(pvc.metadata.finalizers ?? []), FINALIZERS.pvcAsSource] } });
    const vs = (await snapshot("legacy-snap"))!;
    await stack.kube.update(SNAPSHOTS, { ...vs, metadata: { ...vs.metadata, labels: { touched: "yes" } } });
    await stack.settle(async () => !((await claim("legacy"))!.metadata.finalizers ?? []).includes(FINALIZERS.pvcAsSource));
  });

  it("a PVC still pinned after its last snapshot is gone (the release was lost) is released on its own resync", async () => {
    await stack.createBoundClaim("lost");
    await createSnapshot("lost-snap", { persistentVolumeClaimName: "lost" });
    await stack.settle(ready("lost-snap"));
    await stack.settle(async () => !((await claim("lost"))!.metadata.finalizers ?? []).includes(FINALIZERS.pvcAsSource));
    await stack.kube.delete(SNAPSHOTS, "lost-snap", "default");
    await stack.settle(gone(() => snapshot("lost-snap")));
    await stack.round(); // its "deleted" event: from here on no snapshot event names the PVC
    // The state a dead-lettered release leaves: snapflow's pin and record, naming a snapshot that is gone.
    const pvc = (await claim("lost"))!;
    await stack.kube.update(PVCS, {
      ...pvc,
      metadata: { ...pvc.metadata, finalizers: [...(pvc.metadata.finalizers ?? []), FINALIZERS.pvcAsSource], annotations: { ...pvc.metadata.annotations, [SOURCE_PINS_ANNOTATION]: "lost-snap" } },
    });
    await stack.settle(async () => !((await claim("lost"))!.metadata.finalizers ?? []).includes(FINALIZERS.pvcAsSource));
    expect((await claim("lost"))!.metadata.annotations ?? {}).not.toHaveProperty(SOURCE_PINS_ANNOTATION);
  });

  it("two default classes for the driver: SetDefaultSnapshotClassFailed", async () => {
    await stack.createClass("second-default", { isDefault: true });
    await stack.createBoundClaim("ambiguous");
    const uid = (await createSnapshot("snap-ambiguous", { persistentVolumeClaimName: "ambiguous" })).metadata.uid!;
    await stack.settle(async () => (await snapshot("snap-ambiguous"))?.status?.error !== undefined);
    const message = "Failed to set default snapshot class with error 2 default snapshot classes were found";
    expect((await snapshot("snap-ambiguous"))!.status?.error?.message).toBe(message);
    expect((await snapshot("snap-ambiguous"))!.spec.volumeSnapshotClassName).toBeUndefined();
    expect(await stack.eventsFor(uid)).toEqual([`Warning SetDefaultSnapshotClassFailed: ${message}`]);
  });
});
