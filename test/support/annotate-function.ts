// A test-only SnapflowFunction that exercises every path of the framework. It annotates the object
// it is given (a conditional merge patch with the resourceVersion it read) and records an Event;
// the object's `test.snapflow.dev/mode` annotation steers it into the other outcomes.
import type { KubeObject } from "../../shared/api/meta.js";
import { RESOURCES } from "../../shared/api/resources.js";
import type { ReconcileContext, SnapflowFunction } from "../../shared/function/types.js";

export const MODE = "test.snapflow.dev/mode";
export const SEEN = "test.snapflow.dev/seen";
export const TEST_DRIVER = "hostpath.snapflow.dev";

async function reconcile(ctx: ReconcileContext) {
  const object = ctx.object;
  if (!object) return { kind: "nothing" as const, why: `${ctx.key.name} is gone` };
  const type = RESOURCES[ctx.key.resource];
  const annotations = object.metadata.annotations ?? {};
  switch (annotations[MODE]) {
    case "requeue":
      return { kind: "requeue" as const, afterMs: 1500, reason: "waiting for the snapshot to become ready" };
    case "invalid":
      return { kind: "invalid" as const, message: "spec.source names neither a PVC nor a content" };
    case "throw":
      throw new Error("backend exploded with token=supersecret-value");
    case "conflict": {
      // Write with a resourceVersion that is no longer current: the API server answers 409.
      const stale: KubeObject = { ...object, metadata: { ...object.metadata, resourceVersion: "1" } };
      await ctx.kube.update(type, stale);
      return { kind: "done" as const, did: ["unreachable"] };
    }
    case "gateway": {
      const volume = await ctx.gateway.createVolume(TEST_DRIVER, {
        name: `pvc-${object.metadata.uid}`,
        requiredBytes: 1 << 20,
        capabilities: [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Filesystem" }],
      });
      const snap = await ctx.gateway.createSnapshot(TEST_DRIVER, {
        name: `snapshot-${object.metadata.uid}`,
        sourceVolumeId: volume.volumeId,
        ...(annotations["test.snapflow.dev/secret"] ? { secretRef: { name: annotations["test.snapflow.dev/secret"], namespace: "default" } } : {}),
      });
      await ctx.gateway.getSnapshot(TEST_DRIVER, { snapshotId: snap.snapshotId });
      return { kind: "done" as const, did: [`created snapshot ${snap.snapshotId}`] };
    }
    case "gateway-fail":
      await ctx.gateway.deleteSnapshot(TEST_DRIVER, { snapshotId: "missing-handle" });
      return { kind: "done" as const, did: ["unreachable"] };
    default:
      break;
  }
  if (annotations[SEEN]) return { kind: "nothing" as const, why: "already annotated" };
  await ctx.kube.patch(type, object.metadata.name!, object.metadata.namespace, {
    metadata: { resourceVersion: object.metadata.resourceVersion, annotations: { [SEEN]: ctx.event.id } },
  });
  await ctx.recorder.record(object, { type: "Normal", reason: "Annotated", message: `annotated by event ${ctx.event.id}` });
  return { kind: "done" as const, did: [`annotated ${object.metadata.namespace ?? ""}/${object.metadata.name}`] };
}

export const annotateFunction: SnapflowFunction = {
  name: "annotate",
  component: "snapflow-test",
  resources: ["volumesnapshots", "volumesnapshotcontents", "persistentvolumeclaims"],
  reconcile,
};

/** Same behaviour, but reconciles every PVC named in the event object's `test.snapflow.dev/targets` annotation, and gone ones too. */
export const fanoutAnnotateFunction: SnapflowFunction = {
  name: "fanout-annotate",
  resources: ["volumesnapshots"],
  reconcileAbsent: true,
  targets(event) {
    const names = (event.data.metadata.annotations?.["test.snapflow.dev/targets"] ?? "").split(",").filter(Boolean);
    return names.map((name) => ({ resource: "persistentvolumeclaims" as const, namespace: event.namespace, name }));
  },
  reconcile,
};
