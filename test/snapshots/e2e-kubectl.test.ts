// End to end as a user does it: `snapflow up` (the whole local stack: dev cluster, nats-server,
// watcher, dispatcher, function host, gateway, hostpath driver), then the machine's kubectl applies
// a PVC, a VolumeSnapshotClass and a VolumeSnapshot shaped like the ones in Kubernetes' docs.
import { describe, expect, it } from "vitest";
import type { PersistentVolumeClaim } from "../../shared/api/core.js";
import type { VolumeSnapshot, VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import { ANNOTATIONS, FINALIZERS } from "../../shared/snapshot/constants.js";
import { waitFor } from "../events/wait.js";
import { useLocalStack } from "../support/local-stack.js";

const DRIVER = "hostpath.snapflow.dev";
const suite = useLocalStack({ name: "e2e-kubectl", clusterName: "e2e" });
const { kubectl, getJson } = suite;
const kubectlApply = suite.apply;

describe("kubectl against snapflow up", () => {
  let volumeHandle = "";
  let contentName = "";
  let snapshotHandle = "";

  it("a docs-style VolumeSnapshot of a PVC becomes ready, with upstream's objects", async () => {
    // The volume itself comes from the driver (provisioning is another function's job): a PV
    // pre-bound to the claim, as an admin would pre-provision it.
    const gateway = suite.gateway();
    const volume = await gateway.createVolume(DRIVER, {
      name: "pv-e2e",
      requiredBytes: 1024 * 1024 * 1024,
      capabilities: [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Filesystem" }],
    });
    volumeHandle = volume.volumeId;
    await kubectlApply(`
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: pvc-test
spec:
  storageClassName: ""
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
`);
    const pvc = await getJson<PersistentVolumeClaim>("pvc", "pvc-test");
    await kubectlApply(`
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pv-e2e
spec:
  capacity:
    storage: 1Gi
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  persistentVolumeReclaimPolicy: Retain
  claimRef:
    namespace: default
    name: pvc-test
    uid: ${pvc.metadata.uid}
  csi:
    driver: ${DRIVER}
    volumeHandle: ${volumeHandle}
`);
    await kubectl("wait", "--for=jsonpath={.status.phase}=Bound", "pvc/pvc-test", "--timeout=30s");

    await kubectlApply(`
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata:
  name: csi-hostpath-snapclass
driver: ${DRIVER}
deletionPolicy: Delete
parameters: {}
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  name: new-snapshot-test
spec:
  volumeSnapshotClassName: csi-hostpath-snapclass
  source:
    persistentVolumeClaimName: pvc-test
`);
    await kubectl("wait", "--for=jsonpath={.status.readyToUse}=true", "volumesnapshot/new-snapshot-test", "--timeout=60s");

    const vs = await getJson<VolumeSnapshot>("volumesnapshot", "new-snapshot-test");
    contentName = `snapcontent-${vs.metadata.uid}`;
    expect(vs.spec).toEqual({ source: { persistentVolumeClaimName: "pvc-test" }, volumeSnapshotClassName: "csi-hostpath-snapclass" });
    expect(vs.metadata.finalizers).toEqual([FINALIZERS.snapshotAsSource, FINALIZERS.snapshotBound]);
    expect(vs.status).toEqual({
      boundVolumeSnapshotContentName: contentName,
      creationTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      readyToUse: true,
      restoreSize: "1Gi",
    });

    const vsc = await getJson<VolumeSnapshotContent>("volumesnapshotcontent", contentName);
    expect(vsc.metadata.finalizers).toEqual([FINALIZERS.contentBound]);
    expect(vsc.metadata.annotations ?? {}).not.toHaveProperty(ANNOTATIONS.beingCreated);
    expect(vsc.spec).toEqual({
      volumeSnapshotRef: {
        apiVersion: "snapshot.storage.k8s.io/v1",
        kind: "VolumeSnapshot",
        name: "new-snapshot-test",
        namespace: "default",
        uid: vs.metadata.uid,
        resourceVersion: expect.any(String),
      },
      deletionPolicy: "Delete",
      driver: DRIVER,
      volumeSnapshotClassName: "csi-hostpath-snapclass",
      source: { volumeHandle },
      // The API server defaults the PV's volumeMode; upstream copies it (--prevent-volume-mode-conversion).
      sourceVolumeMode: "Filesystem",
    });
    expect(vsc.status).toEqual({ snapshotHandle: expect.any(String), creationTime: expect.any(Number), restoreSize: 1073741824, readyToUse: true });
    snapshotHandle = vsc.status!.snapshotHandle!;
    expect(await gateway.getSnapshot(DRIVER, { snapshotId: snapshotHandle })).toMatchObject({ sourceVolumeId: volumeHandle, readyToUse: true });

    // kubectl's printer columns read the same fields.
    const table = await kubectl("get", "volumesnapshot", "new-snapshot-test");
    expect(table).toMatch(/new-snapshot-test\s+true\s+pvc-test\s+1Gi\s+csi-hostpath-snapclass\s+snapcontent-/);

    const reasons = JSON.parse(await kubectl("get", "events", "--field-selector", `involvedObject.uid=${vs.metadata.uid}`, "-o", "json")) as { items: { reason: string }[] };
    expect(reasons.items.map((e) => e.reason).sort()).toEqual(["CreatingSnapshot", "SnapshotCreated", "SnapshotReady"]);

    // The source PVC is released once the snapshot is cut (protect reacts to the ready snapshot).
    await waitFor("PVC released", async () => !((await getJson<PersistentVolumeClaim>("pvc", "pvc-test")).metadata.finalizers ?? []).includes(FINALIZERS.pvcAsSource));
    // protect takes off only its own finalizer: the API server's in-use protection stays.
    expect(await kubectl("get", "pvc", "pvc-test", "-o", "jsonpath={.metadata.finalizers}")).toBe('["kubernetes.io/pvc-protection"]');
  });

  it("kubectl delete removes the snapshot, its content and the backend snapshot", async () => {
    await kubectl("delete", "volumesnapshot", "new-snapshot-test", "--timeout=60s");
    await waitFor("content deleted", async () => !(await kubectl("get", "volumesnapshotcontent", "-o", "name")).includes(contentName), 30_000);
    const gateway = suite.gateway();
    expect(await gateway.getSnapshot(DRIVER, { snapshotId: snapshotHandle })).toBeUndefined();
  });
});
