// Table-driven tests in the style of upstream's group snapshot controller tests: initial objects →
// expected writes, Events, member tasks and the verdict (what upstream's queue would do).
import { describe, expect, it } from "vitest";
import type { VolumeGroupSnapshot, VolumeGroupSnapshotContent } from "../../shared/api/snapshot.js";
import { ANNOTATIONS, FINALIZERS, GROUP_SNAPSHOT_API_VERSION } from "../../shared/snapshot/constants.js";
import { CREATED_ISO, DRIVER, newClaim, newSnapshot, newVolume, T0 } from "../../shared/snapshot/fixtures.js";
import type { Plan, Step } from "../../shared/snapshot/steps.js";
import { GROUP_CONTENT, GROUP_UID, newGroup, newGroupClass, newGroupContent } from "./fixtures.js";
import { candidateGroupContentName, needsClaims, planGroupDeletion, planGroupSnapshot, restoresFrom, type GroupState } from "./plan.js";

const NOW = T0 + 10_000;
const NOW_ISO = "2026-03-01T12:00:10Z";
const VGS_BOUND = FINALIZERS.groupSnapshotBound;

const claimA = newClaim({ name: "claim-a", uid: "pvcuid-a", volumeName: "pv-a" });
const claimB = newClaim({ name: "claim-b", uid: "pvcuid-b", volumeName: "pv-b" });
const pvA = newVolume({ name: "pv-a", claim: "claim-a", claimUid: "pvcuid-a", volumeHandle: "vol-a", volumeMode: "Filesystem" });
const pvB = newVolume({ name: "pv-b", claim: "claim-b", claimUid: "pvcuid-b", volumeHandle: "vol-b" });
const volumes = { "pv-a": pvA, "pv-b": pvB };
const gold = newGroupClass("gold", { isDefault: true });

function state(partial: Partial<GroupState> & { group: VolumeGroupSnapshot }): GroupState {
  return { classes: [], contents: {}, nowMs: NOW, ...partial };
}

const writes = (plan: Plan) => plan.steps.filter((s) => s.op !== "metric");
const metrics = (steps: Step[]) => steps.flatMap((s) => (s.op === "metric" ? [`${s.mark.kind} ${s.mark.key.operation}`] : []));
const ev = (on: unknown, type: "Normal" | "Warning", reason: string, message: string): Step => ({ op: "event", on, type, reason, message }) as Step;
const withError = (g: VolumeGroupSnapshot, message: string, readyFalse: boolean): VolumeGroupSnapshot => ({
  ...g,
  status: { ...g.status, error: { time: NOW_ISO, message }, ...(readyFalse ? { readyToUse: false } : {}) },
});
// A failed status write is recorded on the group as it was, as an error status too (reference §4.2
// unready sync: readyToUse false on the dynamic path with a content, untouched on the others).
// An error status write also carries its Warning, recorded should the write itself fail (upstream
// emits it whatever became of the write, reference §2.7 / §4.2).
const errorSteps = (g: VolumeGroupSnapshot, reason: string, message: string, readyFalse: boolean): Step[] => [
  { op: "updateStatus", resource: "volumegroupsnapshots", object: withError(g, message, readyFalse), onFailure: { on: g, reason, message } },
  ev(g, "Warning", reason, message),
];
const statusStep = (object: VolumeGroupSnapshot, before: VolumeGroupSnapshot, setReadyFalse: boolean): Step => ({
  op: "updateStatus",
  resource: "volumegroupsnapshots",
  object,
  onFailure: {
    on: before,
    reason: "GroupSnapshotStatusUpdateFailed",
    message: "GroupSnapshot status update failed, snapshot controller failed to update default/group-1 on API server: {err}",
    errorStatus: { setReadyFalse },
  },
});

describe("fanout: class resolution", () => {
  it("patches in the driver's default group class and the bound finalizer before creating the content", () => {
    const g = newGroup();
    const plan = planGroupSnapshot(state({ group: g, classes: [newGroupClass("other", { driver: "x", isDefault: true }), gold], claims: [claimA, claimB], volumes }));
    const updated = { ...g, metadata: { ...g.metadata, finalizers: [VGS_BOUND] }, spec: { ...g.spec, volumeGroupSnapshotClassName: "gold" } };
    expect(writes(plan)[0]).toEqual({ op: "update", resource: "volumegroupsnapshots", object: updated });
    expect(writes(plan).map((s) => s.op)).toEqual(["update", "create", "event", "updateStatus"]);
    expect(plan.verdict).toEqual({ kind: "done" });
  });

  it.each([
    ["no default class", [newGroupClass("a")], [claimA], "cannot find default group snapshot class"],
    ["two default classes", [gold, newGroupClass("b", { isDefault: true })], [claimA], "2 default snapshot classes were found"],
    ["default class of another driver", [newGroupClass("a", { isDefault: true, driver: "other" })], [claimA], "cannot find default group snapshot class"],
    ["selector matches no PVC", [gold], [], "label selector group=myGroup for group snapshot not applied to any PVC"],
    ["first PVC not bound", [gold], [newClaim({ name: "claim-a", phase: "Pending" })], "the PVC claim-a is not yet bound to a PV, will not attempt to take a group snapshot"],
  ])("%s → SetDefaultGroupSnapshotClassFailed, readyToUse untouched", (_, classes, claims, err) => {
    const g = newGroup();
    const plan = planGroupSnapshot(state({ group: g, classes, claims, volumes }));
    const message = `Failed to set default group snapshot class with error ${err}`;
    expect(plan.steps).toEqual([...errorSteps(g, "SetDefaultGroupSnapshotClassFailed", message, false)]);
    expect(plan.verdict).toMatchObject({ kind: "requeue", reason: message });
  });

  it("a named class that does not exist → GetGroupSnapshotClassFailed with the lister's text", () => {
    const g = newGroup({ className: "missing" });
    const plan = planGroupSnapshot(state({ group: g }));
    const message = 'failed to get group snapshot class with error volumegroupsnapshotclass.groupsnapshot.storage.k8s.io "missing" not found';
    expect(writes(plan)).toEqual([...errorSteps(g, "GetGroupSnapshotClassFailed", message, false)]);
  });

  it("the same error again writes nothing and records no Event (upstream de-duplicates by message)", () => {
    const message = 'failed to get group snapshot class with error volumegroupsnapshotclass.groupsnapshot.storage.k8s.io "missing" not found';
    const g = newGroup({ className: "missing", status: { error: { time: "x", message } } });
    expect(planGroupSnapshot(state({ group: g })).steps).toEqual([]);
  });

  it("only dynamic groups without a class, or without their content yet, need the selector's PVCs", () => {
    expect(needsClaims(newGroup(), {})).toBe(true);
    expect(needsClaims(newGroup({ className: "gold" }), {})).toBe(true);
    expect(needsClaims(newGroup({ className: "gold" }), { [GROUP_CONTENT]: newGroupContent() })).toBe(false);
    expect(needsClaims(newGroup({ content: "static-1" }), {})).toBe(false);
    expect(needsClaims(newGroup({ className: "gold", deletionTimestamp: NOW_ISO }), {})).toBe(false);
  });
});

describe("fanout: validation", () => {
  it("both sources → GroupSnapshotValidationError, readyToUse false, never retried", () => {
    const g = newGroup({ selector: { a: "b" }, content: "c", className: "gold" });
    const plan = planGroupSnapshot(state({ group: g, classes: [gold] }));
    const message = "Exactly one of Selector and VolumeGroupSnapshotContentName should be specified";
    expect(writes(plan)).toEqual([...errorSteps(g, "GroupSnapshotValidationError", message, true)]);
    expect(plan.verdict).toEqual({ kind: "invalid", message });
  });
});

describe("fanout: creating the group content (selector membership at this moment)", () => {
  const g = newGroup({ className: "gold" });

  it("builds groupsnapcontent-<uid> with the volume handles in PVC list order, then binds the status", () => {
    const cls = newGroupClass("gold", { parameters: { "csi.storage.k8s.io/group-snapshotter-secret-name": "${volumegroupsnapshot.name}-secret", "csi.storage.k8s.io/group-snapshotter-secret-namespace": "ns-${volumegroupsnapshot.namespace}" } });
    const plan = planGroupSnapshot(state({ group: g, classes: [cls], claims: [claimB, claimA], volumes }));
    const withFinalizer = { ...g, metadata: { ...g.metadata, finalizers: [VGS_BOUND] } };
    const content: VolumeGroupSnapshotContent = {
      apiVersion: GROUP_SNAPSHOT_API_VERSION,
      kind: "VolumeGroupSnapshotContent",
      metadata: {
        name: GROUP_CONTENT,
        annotations: { [ANNOTATIONS.groupDeletionSecretName]: "group-1-secret", [ANNOTATIONS.groupDeletionSecretNamespace]: "ns-default" },
      },
      spec: {
        volumeGroupSnapshotRef: { kind: "VolumeGroupSnapshot", apiVersion: GROUP_SNAPSHOT_API_VERSION, namespace: "default", name: "group-1", uid: GROUP_UID, resourceVersion: "1" },
        deletionPolicy: "Delete",
        driver: DRIVER,
        volumeGroupSnapshotClassName: "gold",
        source: { volumeHandles: ["vol-b", "vol-a"] },
      },
    };
    const bound = { ...withFinalizer, status: { boundVolumeGroupSnapshotContentName: GROUP_CONTENT, readyToUse: false } };
    expect(writes(plan)).toEqual([
      { op: "update", resource: "volumegroupsnapshots", object: withFinalizer },
      {
        op: "create",
        resource: "volumegroupsnapshotcontents",
        object: content,
        alreadyExistsOk: true,
        // The create's own Warning, then the caller's error status and Warning (reference §4.2 unready sync, §4.2.1).
        onFailure: [
          { on: withFinalizer, reason: "CreateGroupSnapshotContentFailed", message: "Error creating volume group snapshot content object for group snapshot default/group-1: {err}." },
          {
            on: withFinalizer,
            reason: "GroupSnapshotContentCreationFailed",
            message: "failed to create group snapshot content with error snapshot controller failed to update default/group-1 on API server: {err}",
            errorStatus: { setReadyFalse: true },
          },
        ],
      },
      ev(withFinalizer, "Normal", "CreatingGroupSnapshot", "Waiting for a group snapshot default/group-1 to be created by the CSI driver."),
      statusStep(bound, withFinalizer, false),
    ]);
    expect(metrics(plan.steps)).toEqual(["start CreateGroupSnapshot", "start CreateGroupSnapshotAndReady"]);
  });

  const wrap = (err: string) => `failed to create group snapshot content with error failed to get input parameters to create group snapshot group-1: ${JSON.stringify(err)}`;
  it.each([
    ["no PVC selected", [], wrap("label selector group=myGroup for group snapshot not applied to any PVC")],
    ["a PVC not bound", [claimA, newClaim({ name: "claim-b", phase: "Pending" })], wrap("the PVC claim-b is not yet bound to a PV, will not attempt to take a group snapshot")],
    ["a PV missing", [claimA, newClaim({ name: "claim-c", volumeName: "pv-c" })], wrap('failed to retrieve PV pv-c from the API server: "persistentvolumes \\"pv-c\\" not found"')],
    ["a PV bound to another claim", [newClaim({ name: "claim-x", uid: "other", volumeName: "pv-a" })], wrap("claim in dataSource not bound or invalid")],
  ])("%s → GroupSnapshotContentCreationFailed, readyToUse false", (_, claims, message) => {
    const plan = planGroupSnapshot(state({ group: g, classes: [gold], claims, volumes }));
    const withFinalizer = { ...g, metadata: { ...g.metadata, finalizers: [VGS_BOUND] } };
    expect(writes(plan)).toEqual([
      { op: "update", resource: "volumegroupsnapshots", object: withFinalizer },
      ...errorSteps(withFinalizer, "GroupSnapshotContentCreationFailed", message, true),
    ]);
    expect(plan.verdict).toMatchObject({ kind: "requeue", reason: message });
  });

  it("an invalid selector → the error in the group's status, nothing created", () => {
    const err = 'invalid label key "bad key": name must be 1-63 characters of alphanumerics';
    const plan = planGroupSnapshot(state({ group: g, classes: [gold], selectorError: err }));
    expect(plan.verdict).toMatchObject({ kind: "requeue", reason: wrap(err) });
    expect(writes(plan).some((s) => s.op === "create")).toBe(false);
  });

  it("a non-CSI volume → CreateGroupSnapshotContentFailed Event and upstream's error", () => {
    const nonCsi = newVolume({ name: "pv-b", claim: "claim-b", claimUid: "pvcuid-b", csi: false });
    const plan = planGroupSnapshot(state({ group: g, classes: [gold], claims: [claimA, claimB], volumes: { "pv-a": pvA, "pv-b": nonCsi } }));
    const message = "failed to create group snapshot content with error cannot snapshot a non-CSI volume for group snapshot default/group-1: pv-b";
    const events = writes(plan).filter((s) => s.op === "event").map((s) => (s.op === "event" ? `${s.reason}: ${s.message}` : ""));
    expect(events).toEqual(["CreateGroupSnapshotContentFailed: Cannot snapshot a non-CSI volume: pv-b", `GroupSnapshotContentCreationFailed: ${message}`]);
    expect(writes(plan).some((s) => s.op === "create")).toBe(false);
  });

  it("a volume of another driver → mismatch error in upstream's controller-update envelope", () => {
    const other = newVolume({ name: "pv-b", claim: "claim-b", claimUid: "pvcuid-b", volumeHandle: "vol-b", driver: "other.csi" });
    const plan = planGroupSnapshot(state({ group: g, classes: [gold], claims: [claimA, claimB], volumes: { "pv-a": pvA, "pv-b": other } }));
    const mismatch = `Volume CSI driver (other.csi) mismatch with VolumeGroupSnapshotClass (${DRIVER}) default/group-1: pv-b`;
    expect(plan.verdict).toMatchObject({
      kind: "requeue",
      reason: `failed to create group snapshot content with error snapshot controller failed to update default/group-1 on API server: ${mismatch}`,
    });
    expect(writes(plan).find((s) => s.op === "event")).toMatchObject({ reason: "CreateGroupSnapshotContentFailed", message: mismatch });
  });

  it("a class with an incomplete secret pair → input-parameter error", () => {
    const cls = newGroupClass("gold", { parameters: { "csi.storage.k8s.io/group-snapshotter-secret-name": "s" } });
    const plan = planGroupSnapshot(state({ group: g, classes: [cls], claims: [claimA], volumes }));
    expect(plan.verdict).toMatchObject({
      reason: wrap("failed to get name and namespace template from params: either name and namespace for GroupSnapshotter secrets specified, Both must be specified"),
    });
  });
});

describe("fanout: a dynamic group with its content", () => {
  const g = newGroup({ className: "gold", finalizers: [VGS_BOUND], status: { boundVolumeGroupSnapshotContentName: GROUP_CONTENT, readyToUse: false } });
  const infos = [
    { volumeHandle: "vol-a", snapshotHandle: "snap-a", creationTime: 1772366405000000000, readyToUse: true, restoreSize: 1073741824 },
    { volumeHandle: "vol-b", snapshotHandle: "snap-b", creationTime: 1772366405000000000, readyToUse: true, restoreSize: 1073741824 },
  ];
  const ready = newGroupContent({
    className: "gold",
    finalizers: [FINALIZERS.groupContentBound],
    status: { volumeGroupSnapshotHandle: "group-h", readyToUse: true, creationTime: CREATED_ISO, volumeSnapshotInfoList: infos },
  });

  it("fans the members out first, then mirrors the content: GroupSnapshotCreated and GroupSnapshotReady", () => {
    const plan = planGroupSnapshot(state({ group: g, classes: [gold], contents: { [GROUP_CONTENT]: ready } }));
    expect(writes(plan)).toEqual([]);
    expect(plan.members).toEqual({ content: ready });
    const readyGroup = { ...g, status: { boundVolumeGroupSnapshotContentName: GROUP_CONTENT, readyToUse: true, creationTime: CREATED_ISO } };
    expect(plan.after!.filter((s) => s.op !== "metric")).toEqual([
      statusStep(readyGroup, g, true),
      ev(g, "Normal", "GroupSnapshotCreated", "GroupSnapshot default/group-1 was successfully created by the CSI driver."),
      ev(g, "Normal", "GroupSnapshotReady", "GroupSnapshot default/group-1 is ready to use."),
    ]);
    expect(metrics(plan.after!)).toEqual(["record CreateGroupSnapshot", "record CreateGroupSnapshotAndReady"]);
  });

  it("members carry the class's group-snapshotter secret (templated with the content name only)", () => {
    const cls = newGroupClass("gold", { parameters: { "csi.storage.k8s.io/group-snapshotter-secret-name": "for-${volumegroupsnapshotcontent.name}", "csi.storage.k8s.io/group-snapshotter-secret-namespace": "vault" } });
    const plan = planGroupSnapshot(state({ group: g, classes: [cls], contents: { [GROUP_CONTENT]: ready } }));
    expect(plan.members).toEqual({ content: ready, secret: { name: `for-${GROUP_CONTENT}`, namespace: "vault" } });
  });

  it("a content without a group handle yet: status only (bound, not ready), no members", () => {
    const pending = newGroupContent({ className: "gold" });
    const fresh = newGroup({ className: "gold", finalizers: [VGS_BOUND] });
    const plan = planGroupSnapshot(state({ group: fresh, classes: [gold], contents: { [GROUP_CONTENT]: pending } }));
    expect(plan.members).toBeUndefined();
    expect(writes(plan)).toEqual([statusStep({ ...fresh, status: { boundVolumeGroupSnapshotContentName: GROUP_CONTENT, readyToUse: false } }, fresh, true)]);
  });

  it("mirrors the content's error (and clears it once the content has none)", () => {
    const failed = newGroupContent({ className: "gold", status: { readyToUse: false, error: { time: NOW_ISO, message: "Failed to create group snapshot: boom" } } });
    const plan = planGroupSnapshot(state({ group: g, classes: [gold], contents: { [GROUP_CONTENT]: failed } }));
    expect(writes(plan)).toEqual([statusStep({ ...g, status: { ...g.status, error: { time: NOW_ISO, message: "Failed to create group snapshot: boom" } } }, g, true)]);
  });

  it.each([
    [
      "a pre-provisioned content under the dynamic name",
      newGroupContent({ groupSnapshotHandles: { volumeGroupSnapshotHandle: "h", volumeSnapshotHandles: ["s"] } }),
      "GroupSnapshotContentMismatch",
      `VolumeGroupSnapshotContent ${GROUP_CONTENT} is pre-provisioned while expecting a dynamically provisioned one`,
      `group snapshot default/group-1 expects a dynamically provisioned VolumeGroupSnapshotContent ${GROUP_CONTENT} but gets a pre-provisioned one`,
    ],
    [
      "a content bound to another UID",
      newGroupContent({ groupUid: "other" }),
      "GroupSnapshotContentMisbound",
      `VolumeGroupSnapshotContent [${GROUP_CONTENT}] is bound to a different group snapshot`,
      `VolumeGroupSnapshotContent [${GROUP_CONTENT}] is bound to a different group snapshot`,
    ],
  ])("%s", (_, content, reason, message, finalizerErr) => {
    const plan = planGroupSnapshot(state({ group: g, classes: [gold], contents: { [GROUP_CONTENT]: content } }));
    expect(writes(plan)).toEqual([
      ...errorSteps(g, reason, message, true),
      ev(withError(g, message, true), "Warning", "GroupSnapshotFinalizerError", `Failed to check and update group snapshot: ${finalizerErr}`),
    ]);
    expect(plan.members).toBeUndefined();
  });

  it("a ready group stops repairing members: nothing to do", () => {
    const done = newGroup({ className: "gold", finalizers: [VGS_BOUND], status: { boundVolumeGroupSnapshotContentName: GROUP_CONTENT, readyToUse: true, creationTime: CREATED_ISO } });
    const plan = planGroupSnapshot(state({ group: done, classes: [gold], contents: { [GROUP_CONTENT]: ready } }));
    expect(plan.steps).toEqual([]);
    expect(plan.members).toBeUndefined();
  });

  it("a ready group whose content vanished → GroupSnapshotContentMissing, readyToUse false", () => {
    const done = newGroup({ className: "gold", finalizers: [VGS_BOUND], status: { boundVolumeGroupSnapshotContentName: GROUP_CONTENT, readyToUse: true } });
    const plan = planGroupSnapshot(state({ group: done, classes: [gold] }));
    const message = "VolumeGroupSnapshotContent is missing";
    expect(writes(plan)).toEqual([...errorSteps(done, "GroupSnapshotContentMissing", message, true)]);
  });

  it("a bound group gets the bound finalizer once its content is found, whatever the policy", () => {
    const unprotected = newGroup({ className: "gold", status: { boundVolumeGroupSnapshotContentName: GROUP_CONTENT, readyToUse: true } });
    const retained = newGroupContent({ className: "gold", deletionPolicy: "Retain" });
    const plan = planGroupSnapshot(state({ group: unprotected, classes: [gold], contents: { [GROUP_CONTENT]: retained } }));
    expect(writes(plan)).toEqual([{ op: "update", resource: "volumegroupsnapshots", object: { ...unprotected, metadata: { ...unprotected.metadata, finalizers: [VGS_BOUND] } } }]);
  });
});

describe("fanout: pre-provisioned groups", () => {
  const handles = { volumeGroupSnapshotHandle: "group-h", volumeSnapshotHandles: ["snap-a", "snap-b"] };

  it("binds the content (UID and class) and mirrors its status; no members are created", () => {
    const g = newGroup({ content: "static-1", className: "gold" });
    const content = newGroupContent({ name: "static-1", groupUid: "", groupSnapshotHandles: handles, status: { volumeGroupSnapshotHandle: "group-h", readyToUse: true, creationTime: CREATED_ISO } });
    const plan = planGroupSnapshot(state({ group: g, classes: [gold], contents: { "static-1": content } }));
    const bound = { ...content, spec: { ...content.spec, volumeGroupSnapshotRef: { ...content.spec.volumeGroupSnapshotRef, uid: GROUP_UID }, volumeGroupSnapshotClassName: "gold" } };
    expect(writes(plan)[0]).toEqual({
      op: "update",
      resource: "volumegroupsnapshotcontents",
      object: bound,
      // Also an error status, readyToUse false (reference §4.2 static bind failure).
      onFailure: { on: g, reason: "GroupSnapshotBindFailed", message: "GroupSnapshot failed to bind VolumeGroupSnapshotContent, {err}", errorStatus: { setReadyFalse: true } },
    });
    expect(writes(plan)[1]).toEqual(statusStep({ ...g, status: { boundVolumeGroupSnapshotContentName: "static-1", readyToUse: true, creationTime: CREATED_ISO } }, g, false));
    expect(plan.members).toBeUndefined();
    expect(plan.steps.find((s) => s.op === "metric")).toMatchObject({ mark: { key: { snapshotType: "pre-provisioned" } } });
  });

  it.each([
    ["missing", undefined, "GroupSnapshotContentMissing", "VolumeGroupSnapshotContent is missing", undefined],
    [
      "dynamic",
      newGroupContent({ name: "static-1" }),
      "GroupSnapshotContentMismatch",
      "VolumeGroupSnapshotContent is dynamically provisioned while expecting a pre-provisioned one",
      "group snapshot default/group-1 expects a pre-provisioned VolumeGroupSnapshotContent static-1 but gets a dynamically provisioned one",
    ],
    [
      "bound elsewhere",
      newGroupContent({ name: "static-1", groupName: "other", groupSnapshotHandles: handles }),
      "GroupSnapshotContentMisbound",
      "VolumeGroupSnapshotContent [static-1] is bound to a different group snapshot",
      "VolumeGroupSnapshotContent [static-1] is bound to a different group snapshot",
    ],
  ])("content %s", (_, content, reason, message, finalizerErr) => {
    const g = newGroup({ content: "static-1" });
    const plan = planGroupSnapshot(state({ group: g, contents: { "static-1": content } }));
    // A found content that is not this group's also fails the finalizer step (reference §4.2 step 5).
    const finalizerEvent = finalizerErr
      ? [ev(withError(g, message, true), "Warning", "GroupSnapshotFinalizerError", `Failed to check and update group snapshot: ${finalizerErr}`)]
      : [];
    expect(writes(plan)).toEqual([...errorSteps(g, reason, message, true), ...finalizerEvent]);
    expect(plan.verdict.kind).toBe("requeue");
  });
});

describe("fanout: deleting a group", () => {
  const deleting = (o: Partial<Parameters<typeof newGroup>[0]> = {}) =>
    newGroup({ className: "gold", finalizers: [VGS_BOUND], deletionTimestamp: NOW_ISO, status: { boundVolumeGroupSnapshotContentName: GROUP_CONTENT, readyToUse: true }, ...o });
  const owned = (name: string) => {
    const vs = newSnapshot({ name, uid: `uid-${name}`, pvc: "claim-a", finalizers: [FINALIZERS.snapshotInGroup] });
    vs.metadata.ownerReferences = [{ apiVersion: GROUP_SNAPSHOT_API_VERSION, kind: "VolumeGroupSnapshot", name: "group-1", uid: GROUP_UID }];
    return vs;
  };
  const members = [owned("snapshot-a"), owned("snapshot-b")];
  const deleteMember = (name: string): Step => ({
    op: "delete",
    resource: "volumesnapshots",
    name,
    namespace: "default",
    uid: `uid-${name}`,
    onFailure: { on: deleting(), reason: "SnapshotDeleteError", message: `failed to delete snapshot API object default/${name} part of group snapshot default/group-1: {err}` },
  });

  it("Delete policy: marks and deletes the content; the group, its finalizer and its members wait until the content is gone", () => {
    const content = newGroupContent({ className: "gold", finalizers: [FINALIZERS.groupContentBound] });
    const g = deleting();
    const plan = planGroupDeletion({ group: g, content, members, claims: [], nowMs: NOW });
    const marked = { ...content, metadata: { ...content.metadata, annotations: { [ANNOTATIONS.groupBeingDeleted]: "yes" } } };
    expect(writes(plan)).toEqual([
      { op: "update", resource: "volumegroupsnapshotcontents", object: marked },
      {
        op: "delete",
        resource: "volumegroupsnapshotcontents",
        name: GROUP_CONTENT,
        onFailure: { on: g, reason: "GroupSnapshotContentObjectDeleteError", message: "Failed to delete group snapshot content API object" },
      },
    ]);
    expect(metrics(plan.steps)).toEqual(["start DeleteGroupSnapshot"]);
  });

  it("content gone: the group is released, then every member is deleted", () => {
    const g = deleting();
    expect(writes(planGroupDeletion({ group: g, members, claims: [], nowMs: NOW }))).toEqual([
      { op: "update", resource: "volumegroupsnapshots", object: { ...g, metadata: { ...g.metadata, finalizers: [] } } },
      deleteMember("snapshot-a"),
      deleteMember("snapshot-b"),
    ]);
  });

  it("Retain policy: marks the content but keeps it, releases the group, deletes the members", () => {
    const content = newGroupContent({ className: "gold", deletionPolicy: "Retain" });
    const g = deleting();
    const plan = planGroupDeletion({ group: g, content, members, claims: [], nowMs: NOW });
    expect(writes(plan).map((s) => `${s.op} ${"resource" in s ? s.resource : ""}`)).toEqual([
      "update volumegroupsnapshotcontents",
      "update volumegroupsnapshots",
      "delete volumesnapshots",
      "delete volumesnapshots",
    ]);
    expect(writes(plan)[1]).toEqual({ op: "update", resource: "volumegroupsnapshots", object: { ...g, metadata: { ...g.metadata, finalizers: [] } } });
  });

  it("a content bound to another group is left alone", () => {
    const g = deleting();
    const plan = planGroupDeletion({ group: g, content: newGroupContent({ groupUid: "other" }), members: [], claims: [], nowMs: NOW });
    expect(writes(plan).map((s) => s.op)).toEqual(["update"]);
    expect(writes(plan)[0]).toMatchObject({ resource: "volumegroupsnapshots" });
  });

  it("already marked and deleting content: no repeated writes while it goes", () => {
    const content = newGroupContent({ annotations: { [ANNOTATIONS.groupBeingDeleted]: "yes" }, deletionTimestamp: NOW_ISO });
    expect(writes(planGroupDeletion({ group: deleting(), content, members, claims: [], nowMs: NOW }))).toEqual([]);
  });

  it("members already deleting are not deleted again", () => {
    const going = members.map((m) => ({ ...m, metadata: { ...m.metadata, deletionTimestamp: NOW_ISO } }));
    expect(writes(planGroupDeletion({ group: deleting(), members: going, claims: [], nowMs: NOW })).map((s) => s.op)).toEqual(["update"]);
  });

  it("a Pending PVC restoring from a member → SnapshotDeletePending, retried", () => {
    const restore = newClaim({ name: "restore", phase: "Pending", dataSource: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "snapshot-b" } });
    const g = deleting();
    const plan = planGroupDeletion({ group: g, content: newGroupContent(), members, claims: [restore], nowMs: NOW });
    const message = "Snapshot default/snapshot-b belonging to VolumeGroupSnapshot default/group-1 is being used to restore a PVC";
    expect(writes(plan)).toEqual([ev(g, "Warning", "SnapshotDeletePending", message)]);
    expect(plan.verdict).toMatchObject({ kind: "requeue", reason: message });
  });

  it("no group finalizer: nothing to do", () => {
    expect(planGroupDeletion({ group: deleting({ finalizers: [] }), members, claims: [], nowMs: NOW }).verdict.kind).toBe("nothing");
  });

  it("an unbound dynamic group still finds groupsnapcontent-<uid> (upstream's dead fallback, fixed)", () => {
    expect(candidateGroupContentName(newGroup())).toBe(GROUP_CONTENT);
    expect(candidateGroupContentName(newGroup({ content: "static-1" }))).toBeUndefined();
  });

  it("restoresFrom: only Pending claims naming the snapshot in the same namespace", () => {
    const vs = newSnapshot({ name: "snapshot-b" });
    const ds = { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "snapshot-b" };
    expect(restoresFrom(newClaim({ phase: "Pending", dataSource: ds }), vs)).toBe(true);
    expect(restoresFrom(newClaim({ phase: "Bound", dataSource: ds }), vs)).toBe(false);
    expect(restoresFrom(newClaim({ phase: "Pending", dataSource: { ...ds, name: "other" } }), vs)).toBe(false);
    expect(restoresFrom(newClaim({ phase: "Pending", namespace: "elsewhere", dataSource: ds }), vs)).toBe(false);
  });
});

describe("fanout: default class from the selected volumes (reference §2.3 groups, §4.2 step 1)", () => {
  it.each([
    ["a later PVC not bound", [claimA, newClaim({ name: "claim-b", phase: "Pending" })], volumes, "the PVC claim-b is not yet bound to a PV, will not attempt to take a group snapshot"],
    ["a later PV missing", [claimA, newClaim({ name: "claim-c", volumeName: "pv-c" })], volumes, 'failed to retrieve PV pv-c from the API server: "persistentvolumes \\"pv-c\\" not found"'],
    [
      "the first volume not CSI",
      [claimA, claimB],
      { "pv-a": newVolume({ name: "pv-a", claim: "claim-a", claimUid: "pvcuid-a", csi: false }), "pv-b": pvB },
      "snapshotting non-CSI volumes is not supported, group snapshot:default/group-1",
    ],
  ])("%s → SetDefaultGroupSnapshotClassFailed before any class is written", (_, claims, vols, err) => {
    const g = newGroup();
    const plan = planGroupSnapshot(state({ group: g, classes: [gold], claims, volumes: vols }));
    const message = `Failed to set default group snapshot class with error ${err}`;
    expect(plan.steps).toEqual([...errorSteps(g, "SetDefaultGroupSnapshotClassFailed", message, false)]);
    expect(plan.verdict).toMatchObject({ kind: "requeue", reason: message });
  });
});

describe("fanout: the members' secret cannot be resolved (reference §4.3)", () => {
  it("the sync fails and is retried with upstream's getGroupSnapshotSecret error; no error status, no Event", () => {
    const g = newGroup({ className: "gold", finalizers: [VGS_BOUND], status: { boundVolumeGroupSnapshotContentName: GROUP_CONTENT, readyToUse: false } });
    // Resolvable when the content was created (the group was known), not for the members (content name only).
    const cls = newGroupClass("gold", { parameters: { "csi.storage.k8s.io/group-snapshotter-secret-name": "${volumegroupsnapshot.name}", "csi.storage.k8s.io/group-snapshotter-secret-namespace": "vault" } });
    const content = newGroupContent({
      className: "gold",
      finalizers: [FINALIZERS.groupContentBound],
      status: { volumeGroupSnapshotHandle: "group-h", readyToUse: true, creationTime: CREATED_ISO, volumeSnapshotInfoList: [{ volumeHandle: "vol-a", snapshotHandle: "snap-a" }] },
    });
    const plan = planGroupSnapshot(state({ group: g, classes: [cls], contents: { [GROUP_CONTENT]: content } }));
    expect(writes(plan)).toEqual([]);
    expect(plan.members).toBeUndefined();
    expect(plan.after).toBeUndefined();
    expect(plan.verdict).toMatchObject({
      kind: "requeue",
      reason: `getGroupSnapshotSecret: failed to get secret reference for group snapshot content ${GROUP_CONTENT}: error resolving value "\${volumegroupsnapshot.name}": invalid tokens: ["volumegroupsnapshot.name"]`,
    });
  });
});

describe("fanout: a content that is not this group's fails the finalizer step too (reference §4.2 step 5)", () => {
  const handles = { volumeGroupSnapshotHandle: "group-h", volumeSnapshotHandles: ["snap-a"] };
  it.each([
    [
      "static group, dynamic content",
      newGroup({ content: "static-1" }),
      { "static-1": newGroupContent({ name: "static-1" }) },
      "GroupSnapshotContentMismatch",
      "VolumeGroupSnapshotContent is dynamically provisioned while expecting a pre-provisioned one",
      "group snapshot default/group-1 expects a pre-provisioned VolumeGroupSnapshotContent static-1 but gets a dynamically provisioned one",
    ],
    [
      "static group, content bound elsewhere",
      newGroup({ content: "static-1" }),
      { "static-1": newGroupContent({ name: "static-1", groupName: "other", groupSnapshotHandles: handles }) },
      "GroupSnapshotContentMisbound",
      "VolumeGroupSnapshotContent [static-1] is bound to a different group snapshot",
      "VolumeGroupSnapshotContent [static-1] is bound to a different group snapshot",
    ],
    [
      "dynamic group, pre-provisioned content under its name",
      newGroup({ className: "gold" }),
      { [GROUP_CONTENT]: newGroupContent({ groupSnapshotHandles: handles }) },
      "GroupSnapshotContentMismatch",
      `VolumeGroupSnapshotContent ${GROUP_CONTENT} is pre-provisioned while expecting a dynamically provisioned one`,
      `group snapshot default/group-1 expects a dynamically provisioned VolumeGroupSnapshotContent ${GROUP_CONTENT} but gets a pre-provisioned one`,
    ],
    [
      "dynamic group, content bound to another UID",
      newGroup({ className: "gold" }),
      { [GROUP_CONTENT]: newGroupContent({ groupUid: "other" }) },
      "GroupSnapshotContentMisbound",
      `VolumeGroupSnapshotContent [${GROUP_CONTENT}] is bound to a different group snapshot`,
      `VolumeGroupSnapshotContent [${GROUP_CONTENT}] is bound to a different group snapshot`,
    ],
  ])("%s → the check's error status and Warning, then GroupSnapshotFinalizerError, retried", (_, g, contents, reason, message, err) => {
    const plan = planGroupSnapshot(state({ group: g, classes: [gold], contents }));
    expect(writes(plan)).toEqual([
      ...errorSteps(g, reason, message, true),
      ev(withError(g, message, true), "Warning", "GroupSnapshotFinalizerError", `Failed to check and update group snapshot: ${err}`),
    ]);
    expect(plan.verdict).toMatchObject({ kind: "requeue", reason: err });
  });

  it("an empty content name → GroupSnapshotFinalizerError only", () => {
    const g = newGroup({ content: "" });
    const plan = planGroupSnapshot(state({ group: g }));
    const err = "empty VolumeGroupSnapshotContentName for group snapshot default/group-1";
    expect(writes(plan)).toEqual([ev(g, "Warning", "GroupSnapshotFinalizerError", `Failed to check and update group snapshot: ${err}`)]);
  });
});

describe("fanout: the status written once the content is created (reference §4.2 unready sync, §4.2.2)", () => {
  it("is upstream's status from the new content: bound, not ready, and an earlier error cleared", () => {
    const earlier = "failed to create group snapshot content with error the PVC claim-b is not yet bound";
    const g = newGroup({ className: "gold", finalizers: [VGS_BOUND], status: { readyToUse: false, error: { time: "2026-03-01T11:59:00Z", message: earlier } } });
    const plan = planGroupSnapshot(state({ group: g, classes: [gold], claims: [claimA, claimB], volumes }));
    expect(writes(plan).at(-1)).toEqual(statusStep({ ...g, status: { boundVolumeGroupSnapshotContentName: GROUP_CONTENT, readyToUse: false } }, g, false));
  });
});
