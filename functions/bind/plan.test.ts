// Table-driven tests in the style of upstream's snapshot-controller tests: initial objects →
// expected writes, Events, and the verdict (what upstream's queue would do with the error).
import { describe, expect, it } from "vitest";
import type { VolumeSnapshot, VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import { ANNOTATIONS, FINALIZERS } from "../../shared/snapshot/constants.js";
import {
  CREATED_ISO,
  CREATED_NS,
  DRIVER,
  newClaim,
  newClass,
  newContent,
  newSnapshot,
  newVolume,
  T0,
} from "../../shared/snapshot/fixtures.js";
import { SOURCE_PINS_ANNOTATION } from "../../shared/snapshot/source-pins.js";
import type { Plan, Step } from "../../shared/snapshot/steps.js";
import { planContent, planSnapshot, type SnapshotState } from "./plan.js";

const NOW = T0 + 10_000;
const NOW_ISO = "2026-03-01T12:00:10Z";
const AS_SOURCE = FINALIZERS.snapshotAsSource;
const BOUND = FINALIZERS.snapshotBound;

function state(partial: Partial<SnapshotState> & { snapshot: VolumeSnapshot }): SnapshotState {
  return { classes: [], contents: {}, nowMs: NOW, ...partial };
}

const withStatus = (vs: VolumeSnapshot, status: VolumeSnapshot["status"]): VolumeSnapshot => ({ ...vs, status });
const ev = (on: unknown, type: "Normal" | "Warning", reason: string, message: string): Step =>
  ({ op: "event", on, type, reason, message }) as Step;
/** A write that adds snapshot finalizers: its failure is upstream's SnapshotFinalizerError (§2.2 step 6). */
const updateVs = (object: VolumeSnapshot): Step => ({
  op: "update",
  resource: "volumesnapshots",
  object,
  onFailure: {
    on: object,
    reason: "SnapshotFinalizerError",
    message: `Failed to check and update snapshot: snapshot controller failed to update ${object.metadata.namespace}/${object.metadata.name} on API server: {err}`,
  },
});
/**
 * A status write mirrored from the content. `failure`: upstream records a failed status update on
 * the snapshot as it was before (error status, readyToUse false when asked) with a Warning.
 */
const statusVs = (object: VolumeSnapshot, failure?: { before: VolumeSnapshot; readyFalse: boolean }): Step =>
  failure
    ? {
        op: "updateStatus",
        resource: "volumesnapshots",
        object,
        // §2.7: an UpdateStatus failure comes back wrapped in the controller-update envelope.
        onFailure: {
          on: failure.before,
          reason: "SnapshotStatusUpdateFailed",
          message: `Snapshot status update failed, snapshot controller failed to update ${object.metadata.namespace}/${object.metadata.name} on API server: {err}`,
          errorStatus: { setReadyFalse: failure.readyFalse },
        },
      }
    : { op: "updateStatus", resource: "volumesnapshots", object };

/**
 * upstream's updateSnapshotErrorStatusWithEvent: the error status, then its Warning — recorded even
 * when the status write fails (§2.7), so the write carries the same Warning as its failure report.
 */
const errorWrite = (vs: VolumeSnapshot, message: string, readyFalse: boolean, reason: string): Step[] => [
  { op: "updateStatus", resource: "volumesnapshots", object: errorStatus(vs, message, readyFalse), onFailure: { on: vs, reason, message } },
  ev(vs, "Warning", reason, message),
];

/** Steps minus metric marks (they are checked separately). */
const writes = (plan: Plan) => plan.steps.filter((s) => s.op !== "metric");
const metrics = (plan: Plan) => plan.steps.flatMap((s) => (s.op === "metric" ? [`${s.mark.kind} ${s.mark.key.operation}`] : []));

const errorStatus = (vs: VolumeSnapshot, message: string, readyFalse: boolean): VolumeSnapshot => ({
  ...vs,
  status: { ...vs.status, ...(readyFalse ? { readyToUse: false } : {}), error: { time: NOW_ISO, message } },
});

describe("bind: class resolution", () => {
  const pvc = newClaim();
  const pv = newVolume();

  it("patches in the default class of the PV's driver (and adds the as-source finalizer in the same write)", () => {
    const vs = newSnapshot();
    const plan = planSnapshot(
      state({ snapshot: vs, pvc: newClaim({ finalizers: [FINALIZERS.pvcAsSource] }), pv, classes: [newClass("other", { driver: "x", isDefault: true }), newClass("gold", { isDefault: true })] }),
    );
    // One PUT: the default class, the as-source finalizer and (a Delete content is being created) the bound one.
    const expectedVs = { ...vs, metadata: { ...vs.metadata, finalizers: [AS_SOURCE, BOUND] }, spec: { ...vs.spec, volumeSnapshotClassName: "gold" } };
    expect(plan.steps[0]).toEqual(updateVs(expectedVs));
    expect(plan.verdict).toEqual({ kind: "done" });
  });

  it.each([
    ["no default class", [newClass("a")], "cannot find default snapshot class"],
    ["two default classes", [newClass("a", { isDefault: true }), newClass("b", { isDefault: true })], "2 default snapshot classes were found"],
    ["default class of another driver", [newClass("a", { isDefault: true, driver: "other" })], "cannot find default snapshot class"],
  ])("%s → SetDefaultSnapshotClassFailed", (_, classes, err) => {
    const vs = newSnapshot();
    const plan = planSnapshot(state({ snapshot: vs, pvc, pv, classes }));
    const message = `Failed to set default snapshot class with error ${err}`;
    expect(plan.steps).toEqual([...errorWrite(vs, message, false, "SetDefaultSnapshotClassFailed")]);
    expect(plan.verdict).toMatchObject({ kind: "requeue", reason: message });
  });

  it.each([
    ["PVC missing", { pvc: undefined, pv: undefined }, 'failed to retrieve PVC claim-1 from the lister: "persistentvolumeclaim \\"claim-1\\" not found"'],
    ["PVC not bound", { pvc: newClaim({ phase: "Pending" }), pv: undefined }, "the PVC claim-1 is not yet bound to a PV, will not attempt to take a snapshot"],
    ["PV missing", { pvc, pv: undefined }, 'failed to retrieve PV pv-1 from the API server: "persistentvolumes \\"pv-1\\" not found"'],
    ["PV bound elsewhere", { pvc, pv: newVolume({ claim: "other" }) }, "claim in dataSource not bound or invalid"],
    ["non-CSI PV", { pvc, pv: newVolume({ csi: false }) }, "snapshotting non-CSI volumes is not supported, snapshot:default/snap-1"],
  ])("%s → SetDefaultSnapshotClassFailed with upstream's text", (_, found, err) => {
    const vs = newSnapshot();
    const plan = planSnapshot(state({ snapshot: vs, ...found, classes: [newClass("gold", { isDefault: true })] }));
    expect(plan.steps[1]).toEqual(ev(vs, "Warning", "SetDefaultSnapshotClassFailed", `Failed to set default snapshot class with error ${err}`));
    expect(plan.verdict.kind).toBe("requeue");
  });

  it.each<[string, VolumeSnapshot["spec"]["source"], string]>([
    // Upstream tells an absent source PVC name from an empty one (its getClaimFromVolumeSnapshot).
    ["no source at all", {}, "the snapshot source PVC name is not specified"],
    ["an empty PVC name", { persistentVolumeClaimName: "" }, "the PVC name is not specified in snapshot default/snap-1"],
  ])("%s → SetDefaultSnapshotClassFailed (class resolution comes before validation, §2.2)", (_, source, err) => {
    const vs = newSnapshot();
    vs.spec.source = source;
    const plan = planSnapshot(state({ snapshot: vs, classes: [newClass("gold", { isDefault: true })] }));
    expect(plan.steps).toEqual([...errorWrite(vs, `Failed to set default snapshot class with error ${err}`, false, "SetDefaultSnapshotClassFailed")]);
    expect(plan.verdict.kind).toBe("requeue");
  });

  it("a named class that does not exist → GetSnapshotClassFailed, readyToUse untouched", () => {
    const vs = newSnapshot({ className: "missing", status: { readyToUse: true, boundVolumeSnapshotContentName: "snapcontent-snapuid1" } });
    const plan = planSnapshot(state({ snapshot: vs }));
    const message = 'Failed to get snapshot class with error volumesnapshotclass.snapshot.storage.k8s.io "missing" not found';
    expect(plan.steps).toEqual([...errorWrite(vs, message, false, "GetSnapshotClassFailed")]);
    expect(plan.verdict.kind).toBe("requeue");
  });

  it("the same error already recorded → no write, no Event, still retried", () => {
    const message = 'Failed to get snapshot class with error volumesnapshotclass.snapshot.storage.k8s.io "missing" not found';
    const vs = newSnapshot({ className: "missing", status: { readyToUse: false, error: { time: "t", message } } });
    const plan = planSnapshot(state({ snapshot: vs }));
    expect(plan.steps).toEqual([]);
    expect(plan.verdict.kind).toBe("requeue");
  });

  it("static snapshots need no class", () => {
    const vs = newSnapshot({ content: "pre-1", finalizers: [AS_SOURCE] });
    const content = newContent({ name: "pre-1", snapshotHandle: "h-1", snapshotUid: "snapuid1", className: "" });
    const plan = planSnapshot(state({ snapshot: vs, contents: { "pre-1": content } }));
    expect(plan.steps.some((s) => s.op === "event" && s.reason.includes("Class"))).toBe(false);
  });
});

describe("bind: dynamic snapshot", () => {
  const cls = newClass("gold");
  const pv = newVolume({ volumeMode: "Filesystem" });

  it("creates snapcontent-<uid> with every upstream field, after the PVC finalizer, then binds the status", () => {
    const vs = newSnapshot({ className: "gold", finalizers: [AS_SOURCE] });
    const pvc = newClaim();
    const plan = planSnapshot(state({ snapshot: vs, classes: [cls], pvc, pv }));
    const content: VolumeSnapshotContent = {
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshotContent",
      metadata: { name: "snapcontent-snapuid1", finalizers: [FINALIZERS.contentBound] },
      spec: {
        volumeSnapshotRef: { kind: "VolumeSnapshot", apiVersion: "snapshot.storage.k8s.io/v1", namespace: "default", name: "snap-1", uid: "snapuid1", resourceVersion: "1" },
        deletionPolicy: "Delete",
        driver: DRIVER,
        volumeSnapshotClassName: "gold",
        source: { volumeHandle: "vol-1" },
        sourceVolumeMode: "Filesystem",
      },
    };
    const withBound = { ...vs, metadata: { ...vs.metadata, finalizers: [AS_SOURCE, BOUND] } };
    const bound = withStatus(withBound, { boundVolumeSnapshotContentName: "snapcontent-snapuid1", readyToUse: false });
    expect(writes(plan)).toEqual([
      updateVs(withBound),
      {
        op: "update",
        resource: "persistentvolumeclaims",
        object: { ...pvc, metadata: { ...pvc.metadata, finalizers: [FINALIZERS.pvcAsSource], annotations: { [SOURCE_PINS_ANNOTATION]: "snap-1" } } },
        // §2.4 step 1: a failed PVC update fails the content creation (controller-update error, PVC name).
        onFailure: {
          on: withBound,
          reason: "SnapshotContentCreationFailed",
          message: "Failed to create snapshot content with error snapshot controller failed to update claim-1 on API server: {err}",
          errorStatus: { setReadyFalse: true },
        },
      },
      {
        op: "create",
        resource: "volumesnapshotcontents",
        object: content,
        alreadyExistsOk: true,
        // §2.4 step 5 then §2.2: the create's own Warning, then the caller's error status and Warning.
        onFailure: [
          { on: withBound, reason: "CreateSnapshotContentFailed", message: "Error creating volume snapshot content object for snapshot default/snap-1: {err}." },
          {
            on: withBound,
            reason: "SnapshotContentCreationFailed",
            message: "Failed to create snapshot content with error snapshot controller failed to update default/snap-1 on API server: {err}",
            errorStatus: { setReadyFalse: true },
          },
        ],
      },
      ev(withBound, "Normal", "CreatingSnapshot", "Waiting for a snapshot default/snap-1 to be created by the CSI driver."),
      // After a create, upstream leaves readyToUse alone when recording a failed status update.
      statusVs(bound, { before: withBound, readyFalse: false }),
    ]);
    expect(metrics(plan)).toEqual(["start CreateSnapshot", "start CreateSnapshotAndReady"]);
    expect(plan.verdict).toEqual({ kind: "done" });
  });

  it("takes driver and deletionPolicy from the class and the deletion secret from its templated parameters", () => {
    const vs = newSnapshot({ className: "secret", finalizers: [AS_SOURCE] });
    const secretClass = newClass("secret", {
      deletionPolicy: "Retain",
      parameters: {
        "csi.storage.k8s.io/snapshotter-secret-name": "${volumesnapshot.name}-key",
        "csi.storage.k8s.io/snapshotter-secret-namespace": "${volumesnapshot.namespace}",
      },
    });
    const plan = planSnapshot(state({ snapshot: vs, classes: [secretClass], pvc: newClaim({ finalizers: [FINALIZERS.pvcAsSource] }), pv: newVolume() }));
    const create = plan.steps.find((s) => s.op === "create");
    expect(create?.op === "create" && create.object).toMatchObject({
      metadata: {
        name: "snapcontent-snapuid1",
        annotations: { [ANNOTATIONS.deletionSecretName]: "snap-1-key", [ANNOTATIONS.deletionSecretNamespace]: "default" },
      },
      spec: { deletionPolicy: "Retain", driver: DRIVER },
    });
    // The PVC already carries the finalizer: no PVC write.
    expect(plan.steps.some((s) => s.op === "update" && s.resource === "persistentvolumeclaims")).toBe(false);
  });

  it.each<[string, Record<string, string> | undefined, string[], Record<string, string> | undefined]>([
    ["unprotected PVC: finalizer and the record", undefined, [], { [SOURCE_PINS_ANNOTATION]: "snap-1" }],
    ["protected for another snapshot: its name joins the record", { [SOURCE_PINS_ANNOTATION]: "snap-0" }, [FINALIZERS.pvcAsSource], { [SOURCE_PINS_ANNOTATION]: "snap-0,snap-1" }],
    ["already recorded: no PVC write", { [SOURCE_PINS_ANNOTATION]: "snap-1,snap-2" }, [FINALIZERS.pvcAsSource], undefined],
    ["protected without a record (upstream's controller): left as it is, protect scans", undefined, [FINALIZERS.pvcAsSource], undefined],
  ])("PVC protection before the content: %s", (_, annotations, finalizers, recorded) => {
    const vs = newSnapshot({ className: "gold", finalizers: [AS_SOURCE] });
    const pvc = newClaim({ finalizers });
    if (annotations) pvc.metadata.annotations = annotations;
    const plan = planSnapshot(state({ snapshot: vs, classes: [cls], pvc, pv }));
    const pvcWrites = plan.steps.filter((s) => s.op === "update" && s.resource === "persistentvolumeclaims");
    if (!recorded) {
      expect(pvcWrites).toEqual([]);
    } else {
      expect(pvcWrites).toHaveLength(1);
      const written = pvcWrites[0]!.op === "update" ? pvcWrites[0]!.object : undefined;
      expect(written?.metadata.finalizers).toEqual([FINALIZERS.pvcAsSource]);
      expect(written?.metadata.annotations).toEqual(recorded);
    }
    expect(plan.steps.findIndex((s) => s.op === "create")).toBeGreaterThan(plan.steps.findIndex((s) => s.op === "update" && s.resource === "persistentvolumeclaims"));
  });

  it.each([
    [
      "PVC gone",
      { pvc: undefined, pv },
      "Failed to create snapshot content with error snapshot controller failed to update snap-1 on API server: cannot get claim from snapshot",
    ],
    [
      "PVC being deleted",
      { pvc: newClaim({ deletionTimestamp: "2026-03-01T11:00:00Z" }), pv },
      "Failed to create snapshot content with error snapshot controller failed to update claim-1 on API server: cannot add finalizer on claim because it is being deleted",
    ],
    [
      "PV missing",
      { pvc: newClaim({ finalizers: [FINALIZERS.pvcAsSource] }), pv: undefined },
      'Failed to create snapshot content with error failed to get input parameters to create snapshot snap-1: "failed to retrieve PV pv-1 from the API server: \\"persistentvolumes \\\\\\"pv-1\\\\\\" not found\\""',
    ],
    [
      "PV not CSI",
      { pvc: newClaim({ finalizers: [FINALIZERS.pvcAsSource] }), pv: newVolume({ csi: false }) },
      "Failed to create snapshot content with error cannot find CSI PersistentVolumeSource for volume pv-1",
    ],
  ])("%s → SnapshotContentCreationFailed, readyToUse false", (_, found, message) => {
    const vs = newSnapshot({ className: "gold", finalizers: [AS_SOURCE] });
    const plan = planSnapshot(state({ snapshot: vs, classes: [cls], ...found }));
    expect(writes(plan)).toEqual([...errorWrite(vs, message, true, "SnapshotContentCreationFailed")]);
    expect(plan.verdict.kind).toBe("requeue");
  });

  it("invalid secret parameters fail the content creation with upstream's wrapping", () => {
    const vs = newSnapshot({ className: "bad", finalizers: [AS_SOURCE] });
    const bad = newClass("bad", { parameters: { "csi.storage.k8s.io/snapshotter-secret-name": "x" } });
    const plan = planSnapshot(state({ snapshot: vs, classes: [bad], pvc: newClaim({ finalizers: [FINALIZERS.pvcAsSource] }), pv }));
    expect(writes(plan)[1]).toEqual(
      ev(
        vs,
        "Warning",
        "SnapshotContentCreationFailed",
        'Failed to create snapshot content with error failed to get input parameters to create snapshot snap-1: "failed to get name and namespace template from params: either name and namespace for Snapshotter secrets specified, Both must be specified"',
      ),
    );
  });

  it("mirrors a ready content: SnapshotCreated + SnapshotReady, BinarySI restoreSize, bound finalizer", () => {
    const vs = newSnapshot({ className: "gold", finalizers: [AS_SOURCE], status: { boundVolumeSnapshotContentName: "snapcontent-snapuid1", readyToUse: false } });
    const content = newContent({ status: { snapshotHandle: "h-1", creationTime: CREATED_NS, restoreSize: 1073741824, readyToUse: true } });
    const plan = planSnapshot(state({ snapshot: vs, classes: [cls], contents: { "snapcontent-snapuid1": content } }));
    const withBound = { ...vs, metadata: { ...vs.metadata, finalizers: [AS_SOURCE, BOUND] } };
    const ready = withStatus(withBound, { boundVolumeSnapshotContentName: "snapcontent-snapuid1", readyToUse: true, creationTime: CREATED_ISO, restoreSize: "1Gi" });
    expect(writes(plan)).toEqual([
      updateVs(withBound),
      statusVs(ready, { before: withBound, readyFalse: true }),
      ev(withBound, "Normal", "SnapshotCreated", "Snapshot default/snap-1 was successfully created by the CSI driver."),
      ev(withBound, "Normal", "SnapshotReady", "Snapshot default/snap-1 is ready to use."),
    ]);
    expect(metrics(plan)).toEqual(["start CreateSnapshot", "start CreateSnapshotAndReady", "record CreateSnapshot", "record CreateSnapshotAndReady"]);
    // Events and metric records come only after the status write they report.
    expect(plan.steps.findIndex((s) => s.op === "updateStatus")).toBeLessThan(plan.steps.findIndex((s) => s.op === "metric" && s.mark.kind === "record"));
  });

  it("a Retain content never gets the bound finalizer on its snapshot", () => {
    const vs = newSnapshot({ className: "gold", finalizers: [AS_SOURCE], status: { boundVolumeSnapshotContentName: "snapcontent-snapuid1", readyToUse: false } });
    const content = newContent({ deletionPolicy: "Retain", status: { readyToUse: false } });
    const plan = planSnapshot(state({ snapshot: vs, classes: [cls], contents: { "snapcontent-snapuid1": content } }));
    expect(writes(plan)).toEqual([]);
    expect(plan.verdict).toEqual({ kind: "done" });
  });

  it("mirrors a content error onto the snapshot", () => {
    const vs = newSnapshot({ className: "gold", finalizers: [AS_SOURCE, BOUND], status: { boundVolumeSnapshotContentName: "snapcontent-snapuid1", readyToUse: false } });
    const error = { time: "2026-03-01T12:00:03Z", message: "Failed to create snapshot: boom" };
    const content = newContent({ status: { readyToUse: false, error } });
    const plan = planSnapshot(state({ snapshot: vs, classes: [cls], contents: { "snapcontent-snapuid1": content } }));
    expect(writes(plan)).toEqual([statusVs(withStatus(vs, { boundVolumeSnapshotContentName: "snapcontent-snapuid1", readyToUse: false, error }), { before: vs, readyFalse: true })]);
  });

  it.each([
    [
      "content with a snapshotHandle source",
      newContent({ snapshotHandle: "h" }),
      "SnapshotContentMismatch",
      "VolumeSnapshotContent snapcontent-snapuid1 is pre-provisioned while expecting a dynamically provisioned one",
    ],
    ["content pointing at another uid", newContent({ snapshotUid: "other" }), "SnapshotContentMisbound", "VolumeSnapshotContent [snapcontent-snapuid1] is bound to a different snapshot"],
    ["content pointing at another name", newContent({ snapshotName: "x" }), "SnapshotContentMisbound", "VolumeSnapshotContent [snapcontent-snapuid1] is bound to a different snapshot"],
  ])("%s → %s, then SnapshotFinalizerError", (_, content, reason, message) => {
    const vs = newSnapshot({ className: "gold", finalizers: [AS_SOURCE] });
    const plan = planSnapshot(state({ snapshot: vs, classes: [cls], contents: { "snapcontent-snapuid1": content } }));
    // §2.2 step 6 / §2.8: the checks belong to the finalizer step, whose failure is reported too.
    const err =
      reason === "SnapshotContentMismatch"
        ? "snapshot default/snap-1 expects a dynamically provisioned VolumeSnapshotContent snapcontent-snapuid1 but gets a pre-provisioned one"
        : message;
    expect(writes(plan)).toEqual([
      ...errorWrite(vs, message, true, reason),
      ev(errorStatus(vs, message, true), "Warning", "SnapshotFinalizerError", `Failed to check and update snapshot: ${err}`),
    ]);
    expect(plan.verdict).toMatchObject({ kind: "requeue", reason: err });
  });

  it("the same mismatch already recorded: no status write, the finalizer step's Warning again, retried", () => {
    const message = "VolumeSnapshotContent [snapcontent-snapuid1] is bound to a different snapshot";
    const vs = newSnapshot({ className: "gold", finalizers: [AS_SOURCE], status: { readyToUse: false, error: { time: "t", message } } });
    const plan = planSnapshot(state({ snapshot: vs, classes: [cls], contents: { "snapcontent-snapuid1": newContent({ snapshotUid: "other" }) } }));
    expect(writes(plan)).toEqual([ev(vs, "Warning", "SnapshotFinalizerError", `Failed to check and update snapshot: ${message}`)]);
    expect(plan.verdict.kind).toBe("requeue");
  });

  it("a dynamic content that also names a snapshotHandle → SnapshotHandleSet naming the snapshot (§2.2)", () => {
    const vs = newSnapshot({ className: "gold", finalizers: [AS_SOURCE] });
    const content = newContent();
    content.spec.source = { volumeHandle: "vol-1", snapshotHandle: "h" };
    const plan = planSnapshot(state({ snapshot: vs, classes: [cls], contents: { "snapcontent-snapuid1": content } }));
    const message = "Snapshot handle should not be set in content default/snap-1 for dynamic provisioning";
    expect(writes(plan)).toEqual([...errorWrite(vs, message, true, "SnapshotHandleSet")]);
    expect(plan.verdict.kind).toBe("requeue");
  });

  it("a snapshot with both sources → SnapshotValidationError", () => {
    const vs = newSnapshot({ className: "gold" });
    vs.spec.source = { persistentVolumeClaimName: "a", volumeSnapshotContentName: "b" };
    const plan = planSnapshot(state({ snapshot: vs, classes: [cls] }));
    // Upstream's text at the reference's HEAD (afb2f0d, pkg/common-controller/snapshot_controller.go)
    // says "specified"; §2.2 step 5 of the reference misquotes it as "set".
    const message = "Exactly one of PersistentVolumeClaimName and VolumeSnapshotContentName should be specified";
    expect(plan.steps).toEqual([...errorWrite(vs, message, true, "SnapshotValidationError")]);
    expect(plan.verdict).toEqual({ kind: "invalid", message });
  });

  it("does nothing for a snapshot being deleted", () => {
    const plan = planSnapshot(state({ snapshot: newSnapshot({ deletionTimestamp: NOW_ISO }) }));
    expect(plan.steps).toEqual([]);
    expect(plan.verdict.kind).toBe("nothing");
  });
});

describe("bind: ready snapshot", () => {
  const readyStatus = { boundVolumeSnapshotContentName: "snapcontent-snapuid1", readyToUse: true, creationTime: CREATED_ISO, restoreSize: "1Gi" };

  it("nothing to do when both pointers agree", () => {
    const vs = newSnapshot({ className: "gold", finalizers: [AS_SOURCE, BOUND], status: readyStatus });
    const plan = planSnapshot(state({ snapshot: vs, classes: [newClass("gold")], contents: { "snapcontent-snapuid1": newContent({ status: { readyToUse: true } }) } }));
    expect(plan.steps).toEqual([]);
  });

  describe("a statically provisioned group member learns its group (§2.2 syncReadySnapshot, §4.6)", () => {
    const member = newSnapshot({ content: "pre-1", finalizers: [AS_SOURCE, BOUND], status: { ...readyStatus, boundVolumeSnapshotContentName: "pre-1", volumeGroupSnapshotName: "vgs" } });
    const contents = { "pre-1": newContent({ name: "pre-1", snapshotHandle: "h", className: "", status: { readyToUse: true } }) };
    it("owned by the group once it exists", () => {
      const group = { metadata: { name: "vgs", namespace: "default", uid: "g1" }, spec: { source: {} } };
      const plan = planSnapshot(state({ snapshot: member, contents, groupSnapshot: group as SnapshotState["groupSnapshot"] }));
      const owned = { ...member, metadata: { ...member.metadata, ownerReferences: [{ apiVersion: "groupsnapshot.storage.k8s.io/v1", kind: "VolumeGroupSnapshot", name: "vgs", uid: "g1" }] } };
      expect(writes(plan)).toEqual([{ op: "update", resource: "volumesnapshots", object: owned }]);
      expect(plan.verdict).toEqual({ kind: "done" });
    });
    it("retried while the group cannot be found (upstream returns the lookup error)", () => {
      const plan = planSnapshot(state({ snapshot: member, contents }));
      expect(writes(plan)).toEqual([]);
      expect(plan.verdict).toMatchObject({ kind: "requeue", reason: 'volumegroupsnapshot.groupsnapshot.storage.k8s.io "vgs" not found' });
    });
  });

  it("content gone → SnapshotContentMissing, readyToUse false", () => {
    const vs = newSnapshot({ className: "gold", finalizers: [AS_SOURCE, BOUND], status: readyStatus });
    const plan = planSnapshot(state({ snapshot: vs, classes: [newClass("gold")] }));
    expect(writes(plan)).toEqual([
      ...errorWrite(vs, "VolumeSnapshotContent is missing", true, "SnapshotContentMissing"),
    ]);
    expect(plan.verdict).toEqual({ kind: "done" });
  });

  it("bound to a content that points elsewhere → SnapshotMisbound", () => {
    const vs = newSnapshot({ content: "pre-1", finalizers: [AS_SOURCE], status: { ...readyStatus, boundVolumeSnapshotContentName: "other" } });
    const plan = planSnapshot(
      state({ snapshot: vs, contents: { "pre-1": newContent({ name: "pre-1", snapshotHandle: "h", className: "" }), other: newContent({ name: "other", snapshotName: "x" }) } }),
    );
    const withBound = { ...vs, metadata: { ...vs.metadata, finalizers: [AS_SOURCE, BOUND] } };
    expect(writes(plan)).toEqual([
      updateVs(withBound),
      ...errorWrite(withBound, "VolumeSnapshotContent is not bound to the VolumeSnapshot correctly", true, "SnapshotMisbound"),
    ]);
    expect(plan.verdict.kind).toBe("requeue");
  });
});

describe("bind: static (pre-provisioned) binding", () => {
  it("binds a pre-bound content (uid + class) and mirrors its status", () => {
    const vs = newSnapshot({ content: "pre-1", className: "gold", finalizers: [AS_SOURCE] });
    const content = newContent({ name: "pre-1", snapshotHandle: "h-1", snapshotUid: "", status: { snapshotHandle: "h-1", readyToUse: true, creationTime: CREATED_NS, restoreSize: 2048 } });
    const plan = planSnapshot(state({ snapshot: vs, classes: [newClass("gold")], contents: { "pre-1": content } }));
    const bound = { ...content, spec: { ...content.spec, volumeSnapshotRef: { ...content.spec.volumeSnapshotRef, uid: "snapuid1" }, volumeSnapshotClassName: "gold" } };
    expect(writes(plan)).toEqual([
      {
        op: "update",
        resource: "volumesnapshotcontents",
        object: bound,
        // §2.5: a failed bind patch is an error status as well as the Warning.
        onFailure: { on: vs, reason: "SnapshotBindFailed", message: "Snapshot failed to bind VolumeSnapshotContent, {err}", errorStatus: { setReadyFalse: true } },
      },
      statusVs(withStatus(vs, { boundVolumeSnapshotContentName: "pre-1", readyToUse: true, creationTime: CREATED_ISO, restoreSize: "2Ki" }), { before: vs, readyFalse: false }),
      ev(vs, "Normal", "SnapshotCreated", "Snapshot default/snap-1 was successfully created by the CSI driver."),
      ev(vs, "Normal", "SnapshotReady", "Snapshot default/snap-1 is ready to use."),
    ]);
    expect(metrics(plan)).toContain("start CreateSnapshot");
  });

  it("a bound static snapshot with a Delete content gets the bound finalizer", () => {
    const vs = newSnapshot({ content: "pre-1", finalizers: [AS_SOURCE], status: { boundVolumeSnapshotContentName: "pre-1", readyToUse: false } });
    const content = newContent({ name: "pre-1", snapshotHandle: "h-1", className: "" });
    const plan = planSnapshot(state({ snapshot: vs, contents: { "pre-1": content } }));
    expect(writes(plan)[0]).toEqual(updateVs({ ...vs, metadata: { ...vs.metadata, finalizers: [AS_SOURCE, BOUND] } }));
  });

  it.each([
    ["content missing", undefined, "SnapshotContentMissing", "VolumeSnapshotContent is missing"],
    ["content is dynamic", newContent({ name: "pre-1", volumeHandle: "v", snapshotUid: "" }), "SnapshotContentMismatch", "VolumeSnapshotContent is dynamically provisioned while expecting a pre-provisioned one"],
    ["content names another snapshot", newContent({ name: "pre-1", snapshotHandle: "h", snapshotName: "other", snapshotUid: "" }), "SnapshotContentMisbound", "VolumeSnapshotContent [pre-1] is bound to a different snapshot"],
    ["content in another namespace", newContent({ name: "pre-1", snapshotHandle: "h", snapshotNamespace: "x", snapshotUid: "" }), "SnapshotContentMisbound", "VolumeSnapshotContent [pre-1] is bound to a different snapshot"],
    ["content bound to another uid", newContent({ name: "pre-1", snapshotHandle: "h", snapshotUid: "someone-else" }), "SnapshotContentMisbound", "VolumeSnapshotContent [pre-1] is bound to a different snapshot"],
  ])("%s → %s", (_, content, reason, message) => {
    const vs = newSnapshot({ content: "pre-1", finalizers: [AS_SOURCE] });
    const plan = planSnapshot(state({ snapshot: vs, contents: { "pre-1": content } }));
    const expected = [...errorWrite(vs, message, true, reason)];
    // §2.2 step 6 / §2.8: a content found but not this snapshot's fails the finalizer step as well
    // (a missing one does not: the finalizer step passes and the unready sync reports it).
    if (reason !== "SnapshotContentMissing") {
      const err =
        reason === "SnapshotContentMismatch"
          ? "snapshot default/snap-1 expects a pre-provisioned VolumeSnapshotContent pre-1 but gets a dynamically provisioned one"
          : message;
      expected.push(ev(errorStatus(vs, message, true), "Warning", "SnapshotFinalizerError", `Failed to check and update snapshot: ${err}`));
    }
    expect(writes(plan)).toEqual(expected);
    expect(plan.verdict.kind).toBe("requeue");
  });

  it("empty content name is invalid input", () => {
    const vs = newSnapshot({ content: "" });
    const plan = planSnapshot(state({ snapshot: vs }));
    expect(plan.verdict).toEqual({ kind: "invalid", message: "empty VolumeSnapshotContentName for snapshot default/snap-1" });
  });
});

describe("bind: status update failures (§2.2 syncUnreadySnapshot, §2.7)", () => {
  // A content cut as part of a group whose group content cannot be found: upstream's
  // updateSnapshotStatus fails before writing, and the caller records that failure on the snapshot.
  const groupMessage =
    "Snapshot status update failed, updateSnapshotStatus: cannot find the group snapshot for VolumeSnapshot [default/snap-1], will not update snapshot status";
  it.each<[string, VolumeSnapshot, Record<string, VolumeSnapshotContent>, boolean]>([
    [
      "static: readyToUse untouched",
      newSnapshot({ content: "pre-1", finalizers: [AS_SOURCE] }),
      { "pre-1": newContent({ name: "pre-1", snapshotHandle: "h-1", className: "", status: { snapshotHandle: "h-1", readyToUse: true, volumeGroupSnapshotHandle: "G" } }) },
      false,
    ],
    [
      "dynamic: readyToUse false",
      newSnapshot({ className: "gold", finalizers: [AS_SOURCE, BOUND], status: { boundVolumeSnapshotContentName: "snapcontent-snapuid1", readyToUse: false } }),
      { "snapcontent-snapuid1": newContent({ status: { snapshotHandle: "h-1", readyToUse: true, volumeGroupSnapshotHandle: "G" } }) },
      true,
    ],
    [
      "group member: readyToUse untouched",
      {
        ...newSnapshot({ finalizers: [FINALIZERS.snapshotInGroup, AS_SOURCE], status: { boundVolumeSnapshotContentName: "snapcontent-m" } }),
        metadata: {
          ...newSnapshot().metadata,
          finalizers: [FINALIZERS.snapshotInGroup, AS_SOURCE],
          ownerReferences: [{ apiVersion: "groupsnapshot.storage.k8s.io/v1", kind: "VolumeGroupSnapshot", name: "vgs", uid: "g1" }],
        },
      },
      { "snapcontent-m": newContent({ name: "snapcontent-m", status: { snapshotHandle: "s", readyToUse: true, volumeGroupSnapshotHandle: "G" } }) },
      false,
    ],
  ])("group of the content not found, %s → SnapshotStatusUpdateFailed", (_, vs, contents, readyFalse) => {
    const plan = planSnapshot(state({ snapshot: vs, classes: [newClass("gold")], contents, groupContents: [] }));
    expect(writes(plan)).toEqual([...errorWrite(vs, groupMessage, readyFalse, "SnapshotStatusUpdateFailed")]);
    expect(plan.verdict).toMatchObject({ kind: "requeue", reason: groupMessage });
  });
});

describe("bind: group members", () => {
  const owner = { apiVersion: "groupsnapshot.storage.k8s.io/v1", kind: "VolumeGroupSnapshot", name: "vgs", uid: "g1" };
  it("mirrors the bound member content and finds the group by handle", () => {
    const vs = newSnapshot({ finalizers: [FINALIZERS.snapshotInGroup, AS_SOURCE], status: { boundVolumeSnapshotContentName: "snapcontent-m" } });
    vs.metadata.ownerReferences = [owner];
    const content = newContent({ name: "snapcontent-m", status: { snapshotHandle: "s", readyToUse: true, volumeGroupSnapshotHandle: "G" } });
    const group = {
      metadata: { name: "groupsnapcontent-g1" },
      spec: { volumeGroupSnapshotRef: { name: "vgs", namespace: "default" }, deletionPolicy: "Delete" as const, driver: DRIVER, source: {} },
      status: { volumeGroupSnapshotHandle: "G" },
    };
    const plan = planSnapshot(state({ snapshot: vs, contents: { "snapcontent-m": content }, groupContents: [group] }));
    const last = plan.steps.find((s) => s.op === "updateStatus");
    expect(last?.op === "updateStatus" && last.object.metadata.name).toBe("snap-1");
    expect(last?.op === "updateStatus" && (last.object as VolumeSnapshot).status).toEqual({
      boundVolumeSnapshotContentName: "snapcontent-m",
      readyToUse: true,
      volumeGroupSnapshotName: "vgs",
    });
  });

  it("a member without content yet is retried, nothing written", () => {
    const vs = newSnapshot({ finalizers: [AS_SOURCE] });
    vs.metadata.ownerReferences = [owner];
    const plan = planSnapshot(state({ snapshot: vs }));
    expect(writes(plan)).toEqual([]);
    expect(plan.verdict).toMatchObject({ kind: "requeue", reason: "detected group snapshot member default/snap-1 with no content, retrying" });
  });
});

describe("bind: content side", () => {
  it("adds the content finalizer once the ref has a uid", () => {
    const c = newContent();
    expect(planContent(c)).toEqual({
      steps: [{ op: "update", resource: "volumesnapshotcontents", object: { ...c, metadata: { ...c.metadata, finalizers: [FINALIZERS.contentBound] } } }],
      verdict: { kind: "done" },
    });
  });
  it("leaves a pre-bound (uid-less) content alone", () => {
    expect(planContent(newContent({ snapshotHandle: "h", snapshotUid: "" })).steps).toEqual([]);
  });
  it("never adds the finalizer to a deleting content", () => {
    expect(planContent(newContent({ deletionTimestamp: NOW_ISO })).steps).toEqual([]);
  });
  it("rejects a content with both handles (ContentValidationError)", () => {
    const c = newContent();
    c.spec.source = { volumeHandle: "v", snapshotHandle: "h" };
    expect(planContent(c)).toEqual({
      steps: [ev(c, "Warning", "ContentValidationError", "Exactly one of VolumeHandle and SnapshotHandle should be specified")],
      verdict: { kind: "invalid", message: "Exactly one of VolumeHandle and SnapshotHandle should be specified" },
    });
  });
});
