// Table-driven tests of the group content's sidecar half (upstream §4.5) and of snapflow's
// atomicity rule: an incomplete group answer is discarded at the backend, never recorded.
import { describe, expect, it } from "vitest";
import type { VolumeGroupSnapshotContent } from "../../shared/api/snapshot.js";
import type { GroupSnapshotInfo } from "../../shared/gateway/types.js";
import { ANNOTATIONS, FINALIZERS } from "../../shared/snapshot/constants.js";
import { DRIVER, T0 } from "../../shared/snapshot/fixtures.js";
import type { Step } from "../../shared/snapshot/steps.js";
import {
  afterGroupCreate,
  afterGroupDelete,
  afterGroupDiscard,
  afterGroupGet,
  isCompleteGroup,
  planGroupContent,
  shouldDeleteGroupContent,
} from "./content.js";
import { GROUP_CONTENT, GROUP_UID, newGroup, newGroupClass, newGroupContent } from "./fixtures.js";

const NOW = T0 + 10_000;
const NOW_ISO = "2026-03-01T12:00:10Z";
const SIDECAR = `csi-snapshotter ${DRIVER}`;
const BOUND = FINALIZERS.groupContentBound;
const CREATING = { [ANNOTATIONS.groupBeingCreated]: "yes" };
const gold = newGroupClass("gold");
const CREATED_NS = "1772366405000000000";

const group = (o: Partial<GroupSnapshotInfo> = {}): GroupSnapshotInfo => ({
  groupSnapshotId: "group-h",
  creationTimeNs: CREATED_NS,
  readyToUse: true,
  snapshots: [
    { snapshotId: "snap-1", sourceVolumeId: "vol-1", creationTimeNs: CREATED_NS, sizeBytes: 1024, readyToUse: true, groupSnapshotId: "group-h" },
    { snapshotId: "snap-2", sourceVolumeId: "vol-2", creationTimeNs: CREATED_NS, sizeBytes: 0, readyToUse: true, groupSnapshotId: "group-h" },
  ],
  ...o,
});
const request = { name: `groupsnapshot-${GROUP_UID}`, sourceVolumeIds: ["vol-1", "vol-2"], parameters: {} };
const update = (object: VolumeGroupSnapshotContent): Step => ({ op: "update", resource: "volumegroupsnapshotcontents", object });
const updateStatus = (object: VolumeGroupSnapshotContent): Step => ({ op: "updateStatus", resource: "volumegroupsnapshotcontents", object });
const sidecarEvent = (on: VolumeGroupSnapshotContent, reason: string, message: string): Step => ({ op: "event", on, type: "Warning", reason, message, component: SIDECAR });
// An error status write also carries its Warning, recorded should the write itself fail (upstream
// emits it whatever became of the patch, reference §3.5 error status writer, §4.5).
const errorSteps = (on: VolumeGroupSnapshotContent, reason: string, message: string): Step[] => [
  { ...updateStatus({ ...on, status: { ...on.status, readyToUse: false, error: { time: NOW_ISO, message } } }), onFailure: { on, reason, message, component: SIDECAR } } as Step,
  sidecarEvent(on, reason, message),
];
const withMeta = (c: VolumeGroupSnapshotContent, meta: Partial<VolumeGroupSnapshotContent["metadata"]>): VolumeGroupSnapshotContent => ({ ...c, metadata: { ...c.metadata, ...meta } });
const withStatus = (c: VolumeGroupSnapshotContent, status: VolumeGroupSnapshotContent["status"]): VolumeGroupSnapshotContent => ({ ...c, status });

describe("fanout content: validation and binding", () => {
  it.each([
    ["neither source", { volumeHandles: [] as string[] }],
    ["both sources", { volumeHandles: ["v"], groupSnapshotHandles: { volumeGroupSnapshotHandle: "h", volumeSnapshotHandles: ["s"] } }],
  ])("%s → GroupContentValidationError, never retried", (_, source) => {
    const content = newGroupContent();
    content.spec.source = source;
    const plan = planGroupContent({ content, nowMs: NOW });
    const message = "Exactly one of GroupSnapshotHandles and VolumeHandles should be specified";
    expect(plan.steps).toEqual([{ op: "event", on: content, type: "Warning", reason: "GroupContentValidationError", message, component: "snapshot-controller" }]);
    expect(plan.verdict).toEqual({ kind: "invalid", message });
  });

  // A pre-bound content (no ref UID) gets no controller finalizer, but the sidecar, which has no
  // such gate (reference §3.2), still acts on it: §4.5 step 2's pre-check, §4.6's status.
  it("a pre-bound dynamic content: no finalizer; the create fails inside the call, as upstream's pre-check", () => {
    const content = newGroupContent({ groupUid: "", className: "gold" });
    const plan = planGroupContent({ content, groupClass: gold, nowMs: NOW });
    const message = `Failed to create group snapshot: failed to take group snapshot of the volumes [vol-1 vol-2]: "cannot create group snapshot. Group snapshot content ${GROUP_CONTENT} not bound to a group snapshot"`;
    expect(plan.steps).toEqual(errorSteps(content, "GroupSnapshotCreationFailed", message));
    expect(plan.call).toBeUndefined();
  });

  it("a pre-bound pre-provisioned content: no finalizer; GetVolumeGroupSnapshot for its status all the same", () => {
    const content = newGroupContent({ groupUid: "", groupSnapshotHandles: { volumeGroupSnapshotHandle: "group-h", volumeSnapshotHandles: ["snap-1"] } });
    const plan = planGroupContent({ content, nowMs: NOW });
    expect(plan.steps).toEqual([]);
    expect(plan.call).toEqual({ kind: "getGroup", driver: DRIVER, groupSnapshotId: "group-h", snapshotIds: ["snap-1"] });
    const ready = newGroupContent({ groupUid: "", groupSnapshotHandles: { volumeGroupSnapshotHandle: "group-h", volumeSnapshotHandles: ["snap-1"] }, status: { volumeGroupSnapshotHandle: "group-h", readyToUse: true } });
    expect(planGroupContent({ content: ready, nowMs: NOW }).verdict.kind).toBe("nothing");
  });
});

describe("fanout content: CreateVolumeGroupSnapshot", () => {
  it("adds the finalizer and the being-created mark in one write, then calls the driver with groupsnapshot-<uid>", () => {
    const content = newGroupContent({ className: "gold" });
    const plan = planGroupContent({ content, groupClass: newGroupClass("gold", { parameters: { tier: "fast", "csi.storage.k8s.io/group-snapshotter-secret-name": "s" } }), nowMs: NOW });
    expect(plan.steps).toEqual([update(withMeta(content, { finalizers: [BOUND], annotations: CREATING }))]);
    expect(plan.call).toEqual({ kind: "createGroup", driver: DRIVER, request: { name: `groupsnapshot-${GROUP_UID}`, sourceVolumeIds: ["vol-1", "vol-2"], parameters: { tier: "fast" } } });
  });

  it("passes the group deletion-secret annotations as the secret reference", () => {
    const content = newGroupContent({
      className: "gold",
      finalizers: [BOUND],
      annotations: { [ANNOTATIONS.groupDeletionSecretName]: "s", [ANNOTATIONS.groupDeletionSecretNamespace]: "ns" },
    });
    const plan = planGroupContent({ content, groupClass: gold, nowMs: NOW });
    expect(plan.call).toMatchObject({ kind: "createGroup", request: { secretRef: { name: "s", namespace: "ns" } } });
  });

  const createFailed = (err: string) => `Failed to create group snapshot: ${err}`;
  it.each([
    ["no class", newGroupContent({ finalizers: [BOUND] }), undefined, createFailed(`failed to get input parameters to create group snapshot for group snapshot content ${GROUP_CONTENT}: "failed to take group snapshot ${GROUP_CONTENT} without a group snapshot class"`)],
    ["class gone", newGroupContent({ className: "gold", finalizers: [BOUND] }), undefined, createFailed(`failed to get input parameters to create group snapshot for group snapshot content ${GROUP_CONTENT}: "volumegroupsnapshotclass.groupsnapshot.storage.k8s.io \\"gold\\" not found"`)],
    ["reserved parameter", newGroupContent({ className: "gold", finalizers: [BOUND] }), newGroupClass("gold", { parameters: { "csi.storage.k8s.io/fstype": "ext4" } }), createFailed('failed to remove CSI Parameters of prefixed keys: found unknown parameter key "csi.storage.k8s.io/fstype" with reserved namespace csi.storage.k8s.io/')],
    ["empty secret annotation", newGroupContent({ className: "gold", finalizers: [BOUND], annotations: { [ANNOTATIONS.groupDeletionSecretName]: "", [ANNOTATIONS.groupDeletionSecretNamespace]: "ns" } }), gold, createFailed(`failed to get input parameters to create group snapshot for group snapshot content ${GROUP_CONTENT}: "cannot retrieve secrets for group snapshot content \\"${GROUP_CONTENT}\\", err: secret name or namespace not specified"`)],
  ])("%s → GroupSnapshotCreationFailed, no call", (_, content, groupClass, message) => {
    const plan = planGroupContent({ content, ...(groupClass ? { groupClass } : {}), nowMs: NOW });
    expect(plan.steps).toEqual(errorSteps(content, "GroupSnapshotCreationFailed", message));
    expect(plan.call).toBeUndefined();
    expect(plan.verdict).toMatchObject({ kind: "requeue", reason: message });
  });

  it("a complete answer: status with the info list (0 sizes left out), mark removed", () => {
    const content = newGroupContent({ className: "gold", finalizers: [BOUND], annotations: CREATING });
    const plan = afterGroupCreate(content, request, { ok: true, value: group() }, NOW);
    const status = {
      volumeGroupSnapshotHandle: "group-h",
      readyToUse: true,
      creationTime: "2026-03-01T12:00:05Z",
      volumeSnapshotInfoList: [
        { volumeHandle: "vol-1", snapshotHandle: "snap-1", creationTime: Number(CREATED_NS), readyToUse: true, restoreSize: 1024 },
        { volumeHandle: "vol-2", snapshotHandle: "snap-2", creationTime: Number(CREATED_NS), readyToUse: true },
      ],
    };
    expect(plan.steps).toEqual([updateStatus(withStatus(content, status)), update(withMeta(withStatus(content, status), { annotations: {} }))]);
    expect(plan.verdict).toEqual({ kind: "done" });
  });

  it("a group not ready yet is polled by re-issuing the create (same name)", () => {
    const content = newGroupContent({ className: "gold", finalizers: [BOUND] });
    const plan = afterGroupCreate(content, request, { ok: true, value: group({ readyToUse: false }) }, NOW);
    expect(plan.verdict).toMatchObject({ kind: "requeue", reason: "group snapshot is not ready yet" });
    const polled = withStatus(content, { volumeGroupSnapshotHandle: "group-h", readyToUse: false, creationTime: "2026-03-01T12:00:05Z" });
    expect(planGroupContent({ content: polled, groupClass: gold, nowMs: NOW }).call).toMatchObject({ kind: "createGroup" });
  });

  it("a final failure removes the mark (nothing exists) and reports upstream's error", () => {
    const content = newGroupContent({ className: "gold", finalizers: [BOUND], annotations: CREATING });
    const plan = afterGroupCreate(content, request, { ok: false, failure: { code: "NOT_FOUND", message: "source volume vol-2 does not exist" } }, NOW);
    const message = 'Failed to create group snapshot: failed to take group snapshot of the volumes [vol-1 vol-2]: "rpc error: code = NotFound desc = source volume vol-2 does not exist"';
    const unmarked = withMeta(content, { annotations: {} });
    expect(plan.steps).toEqual([update(unmarked), ...errorSteps(unmarked, "GroupSnapshotCreationFailed", message)]);
  });

  it("an unknown outcome (timeout) keeps the mark, so deletion waits for a definite answer", () => {
    const content = newGroupContent({ className: "gold", finalizers: [BOUND], annotations: CREATING });
    const plan = afterGroupCreate(content, request, { ok: false, failure: { code: "DEADLINE_EXCEEDED", message: "slow" } }, NOW);
    expect(plan.steps.some((s) => s.op === "update")).toBe(false);
    expect(plan.steps[0]).toMatchObject({ op: "updateStatus" });
  });

  it("a failed poll is a check-and-update failure", () => {
    const content = newGroupContent({ className: "gold", finalizers: [BOUND], status: { volumeGroupSnapshotHandle: "group-h", readyToUse: false } });
    const plan = afterGroupCreate(content, request, { ok: false, failure: { code: "INTERNAL", message: "disk" } }, NOW);
    expect(plan.steps.at(-1)).toMatchObject({ reason: "GroupSnapshotContentCheckandUpdateFailed", message: expect.stringMatching(/^Failed to check and update group snapshot content: failed to take group snapshot/) });
  });

  it.each([
    ["a volume missing", group({ snapshots: group().snapshots.slice(0, 1) })],
    ["a volume twice", group({ snapshots: [group().snapshots[0]!, { ...group().snapshots[0]!, snapshotId: "snap-3" }] })],
    ["a foreign volume", group({ snapshots: [group().snapshots[0]!, { ...group().snapshots[1]!, sourceVolumeId: "vol-9" }] })],
  ])("an incomplete answer (%s) is discarded at the backend, not recorded", (_, answer) => {
    const content = newGroupContent({ className: "gold", finalizers: [BOUND], annotations: CREATING });
    expect(isCompleteGroup(request.sourceVolumeIds, answer)).toBe(false);
    const plan = afterGroupCreate(content, request, { ok: true, value: answer }, NOW);
    expect(plan.steps).toEqual([]);
    expect(plan.call).toMatchObject({ kind: "discardGroup", groupSnapshotId: "group-h", snapshotIds: answer.snapshots.map((s) => s.snapshotId) });
  });

  it("after the discard: mark removed and the error reported; a failed discard keeps the mark", () => {
    const content = newGroupContent({ className: "gold", finalizers: [BOUND], annotations: CREATING });
    const ok = afterGroupDiscard(content, "incomplete", { ok: true, value: undefined }, NOW);
    expect(ok.steps[0]).toEqual(update(withMeta(content, { annotations: {} })));
    expect(ok.steps[1]).toMatchObject({ op: "updateStatus", object: { status: { readyToUse: false, error: { message: "Failed to create group snapshot: incomplete" } } } });
    const failed = afterGroupDiscard(content, "incomplete", { ok: false, failure: { code: "UNAVAILABLE", message: "down" } }, NOW);
    expect(failed.steps.some((s) => s.op === "update")).toBe(false);
    expect(failed.verdict.kind).toBe("requeue");
  });

  it("a ready content drops a leftover being-created mark", () => {
    const content = newGroupContent({ className: "gold", finalizers: [BOUND], annotations: CREATING, status: { volumeGroupSnapshotHandle: "h", readyToUse: true } });
    expect(planGroupContent({ content, groupClass: gold, nowMs: NOW }).steps).toEqual([update(withMeta(content, { annotations: {} }))]);
    expect(planGroupContent({ content: withMeta(content, { annotations: {} }), groupClass: gold, nowMs: NOW }).verdict.kind).toBe("nothing");
  });
});

describe("fanout content: pre-provisioned groups (GetVolumeGroupSnapshot)", () => {
  const handles = { volumeGroupSnapshotHandle: "group-h", volumeSnapshotHandles: ["snap-1", "snap-2"] };

  it("asks the driver with the spec's handles, records handle/ready/creationTime and no info list", () => {
    const content = newGroupContent({ groupSnapshotHandles: handles, finalizers: [BOUND] });
    const plan = planGroupContent({ content, nowMs: NOW });
    expect(plan.call).toEqual({ kind: "getGroup", driver: DRIVER, groupSnapshotId: "group-h", snapshotIds: ["snap-1", "snap-2"] });
    const after = afterGroupGet(content, { ok: true, value: group() }, NOW);
    expect(after.steps).toEqual([updateStatus(withStatus(content, { volumeGroupSnapshotHandle: "group-h", readyToUse: true, creationTime: "2026-03-01T12:00:05Z" }))]);
  });

  // Upstream (csi_handler.go GetGroupSnapshotStatus, groupsnapshot_helper.go
  // checkandUpdateGroupSnapshotContentStatus): the driver's NOT_FOUND is an error like any other,
  // quoted into the check-and-update text.
  it("a group the driver does not have → the driver's NOT_FOUND in upstream's check-and-update failure", () => {
    const content = newGroupContent({ groupSnapshotHandles: handles, finalizers: [BOUND] });
    const plan = afterGroupGet(content, { ok: false, failure: { code: "NOT_FOUND", message: "group snapshot group-h does not exist" } }, NOW);
    expect(plan.steps.at(-1)).toMatchObject({
      reason: "GroupSnapshotContentCheckandUpdateFailed",
      message: `Failed to check and update group snapshot content: failed to list group snapshot for group snapshot content ${content.metadata.name}: "rpc error: code = NotFound desc = group snapshot group-h does not exist"`,
    });
    expect(plan.verdict.kind).toBe("requeue");
  });
});

describe("fanout content: deletion", () => {
  const recorded = {
    volumeGroupSnapshotHandle: "group-h",
    readyToUse: true,
    creationTime: "2026-03-01T12:00:05Z",
    volumeSnapshotInfoList: [
      { volumeHandle: "vol-1", snapshotHandle: "snap-1" },
      { volumeHandle: "vol-2", snapshotHandle: "snap-2" },
    ],
  };
  const deleting = (o: Parameters<typeof newGroupContent>[0] = {}) =>
    newGroupContent({ finalizers: [BOUND], deletionTimestamp: NOW_ISO, annotations: { [ANNOTATIONS.groupBeingDeleted]: "yes" }, status: recorded, ...o });

  it("Delete policy with a handle → DeleteVolumeGroupSnapshot with every member id", () => {
    expect(planGroupContent({ content: deleting(), nowMs: NOW }).call).toEqual({ kind: "deleteGroup", driver: DRIVER, groupSnapshotId: "group-h", snapshotIds: ["snap-1", "snap-2"] });
  });

  it("after the delete: handle, readiness, time and error cleared (info list kept), then the finalizer", () => {
    const content = deleting();
    const plan = afterGroupDelete(content, { ok: true, value: undefined }, NOW);
    const cleared = withStatus(content, { volumeSnapshotInfoList: recorded.volumeSnapshotInfoList });
    expect(plan.steps).toEqual([
      { ...updateStatus(cleared), onFailure: { on: content, reason: "GroupSnapshotDeleteError", message: "Failed to clear content status", component: SIDECAR } },
      update(withMeta(cleared, { finalizers: [] })),
    ]);
  });

  it("a failed delete → GroupSnapshotDeleteError, finalizer kept, retried", () => {
    const content = deleting();
    const plan = afterGroupDelete(content, { ok: false, failure: { code: "INTERNAL", message: "busy" } }, NOW);
    expect(plan.steps).toEqual([sidecarEvent(content, "GroupSnapshotDeleteError", "Failed to delete group snapshot")]);
    expect(plan.verdict).toMatchObject({
      kind: "requeue",
      reason: `failed to delete group snapshot "${GROUP_CONTENT}", err: rpc error: code = Internal desc = busy`,
    });
  });

  it("no member snapshot ids to name → upstream's DeleteGroupSnapshot failure: Event and wrapped reason, no call", () => {
    const content = deleting({ status: { volumeGroupSnapshotHandle: "group-h", readyToUse: true } });
    const plan = planGroupContent({ content, nowMs: NOW });
    expect(plan.call).toBeUndefined();
    expect(plan.steps).toEqual([sidecarEvent(content, "GroupSnapshotDeleteError", "Failed to delete group snapshot")]);
    expect(plan.verdict).toMatchObject({
      kind: "requeue",
      reason: `failed to delete group snapshot "${GROUP_CONTENT}", err: cannot delete group snapshot content ${GROUP_CONTENT}. No snapshots found in the group snapshot`,
    });
  });

  it.each([
    ["Retain", deleting({ deletionPolicy: "Retain" })],
    ["never created", deleting({ status: undefined })],
  ])("%s → only the finalizer goes", (_, content) => {
    const plan = planGroupContent({ content, nowMs: NOW });
    expect(plan.call).toBeUndefined();
    expect(plan.steps).toEqual([update(withMeta(content, { finalizers: [] }))]);
  });

  it("a create in flight: the create is re-issued for a definite answer before anything is deleted", () => {
    const content = newGroupContent({ className: "gold", finalizers: [BOUND], deletionTimestamp: NOW_ISO, annotations: { ...CREATING, [ANNOTATIONS.groupBeingDeleted]: "yes" } });
    expect(shouldDeleteGroupContent(content)).toBe(false);
    const plan = planGroupContent({ content, groupClass: gold, nowMs: NOW });
    expect(plan.steps).toEqual([]);
    expect(plan.call).toMatchObject({ kind: "createGroup" });
  });

  it("deleted directly while its group exists: waits; once the group is gone: marked for deletion", () => {
    const content = newGroupContent({ finalizers: [BOUND], deletionTimestamp: NOW_ISO, status: recorded });
    expect(planGroupContent({ content, groupSnapshot: newGroup(), nowMs: NOW }).steps).toEqual([]);
    expect(planGroupContent({ content, groupSnapshot: newGroup({ uid: "successor" }), nowMs: NOW }).steps).toEqual([
      update(withMeta(content, { annotations: { [ANNOTATIONS.groupBeingDeleted]: "yes" } })),
    ]);
  });

  it("an unbound pre-provisioned content being deleted is deleted at the backend (upstream's rule)", () => {
    const content = newGroupContent({
      groupUid: "",
      finalizers: [BOUND],
      deletionTimestamp: NOW_ISO,
      groupSnapshotHandles: { volumeGroupSnapshotHandle: "group-h", volumeSnapshotHandles: ["snap-1"] },
      status: { volumeGroupSnapshotHandle: "group-h", readyToUse: true },
    });
    expect(planGroupContent({ content, nowMs: NOW }).call).toEqual({ kind: "deleteGroup", driver: DRIVER, groupSnapshotId: "group-h", snapshotIds: ["snap-1"] });
  });
});

describe("fanout content: failures the driver never saw (the gateway's own, or its Secret read)", () => {
  const secretGone = { code: "FAILED_PRECONDITION", message: "Secret ns/s not found", origin: "secret" } as const;
  const gatewayDown = { code: "NOT_FOUND", message: 'unknown driver "x"', origin: "gateway" } as const;
  const credentials = `failed to get input parameters to create group snapshot for group snapshot content ${GROUP_CONTENT}: "cannot get credentials for group snapshot content \\"${GROUP_CONTENT}\\""`;

  it("an unreadable Secret is upstream's input failure; a mark set by this very attempt is taken back, an older one stays", () => {
    const content = newGroupContent({ className: "gold", finalizers: [BOUND], annotations: CREATING });
    const message = `Failed to create group snapshot: ${credentials}`;
    const unmarked = withMeta(content, { annotations: {} });
    const fresh = afterGroupCreate(content, request, { ok: false, failure: secretGone }, NOW, { markedNow: true });
    expect(fresh.steps).toEqual([
      update(unmarked),
      ...errorSteps(unmarked, "GroupSnapshotCreationFailed", message),
    ]);
    const older = afterGroupCreate(content, request, { ok: false, failure: secretGone }, NOW);
    expect(older.steps).toEqual([...errorSteps(content, "GroupSnapshotCreationFailed", message)]);
    const polled = newGroupContent({ className: "gold", finalizers: [BOUND], status: { volumeGroupSnapshotHandle: "group-h", readyToUse: false } });
    expect(afterGroupCreate(polled, request, { ok: false, failure: secretGone }, NOW).steps[1]).toEqual(
      sidecarEvent(polled, "GroupSnapshotContentCheckandUpdateFailed", `Failed to check and update group snapshot content: ${credentials}`),
    );
  });

  it("the gateway's own failure keeps a mark even when this attempt set it (only the driver's answer is definite)", () => {
    const content = newGroupContent({ className: "gold", finalizers: [BOUND], annotations: CREATING });
    const plan = afterGroupCreate(content, request, { ok: false, failure: gatewayDown }, NOW, { markedNow: true });
    const message = `Failed to create group snapshot: failed to take group snapshot of the volumes [vol-1 vol-2]: ${JSON.stringify('rpc error: code = NotFound desc = unknown driver "x"')}`;
    expect(plan.steps).toEqual([...errorSteps(content, "GroupSnapshotCreationFailed", message)]);
  });

  const recorded = { volumeGroupSnapshotHandle: "group-h", readyToUse: true, volumeSnapshotInfoList: [{ volumeHandle: "vol-1", snapshotHandle: "snap-1" }] };
  const deleteInput = (err: string) => `failed to get input parameters to delete group snapshot for group snapshot content ${GROUP_CONTENT}: ${JSON.stringify(err)}`;

  it("DeleteVolumeGroupSnapshot's Secret unreadable → GroupSnapshotDeleteError \"Failed to get snapshot credentials\"", () => {
    const content = newGroupContent({ finalizers: [BOUND], deletionTimestamp: NOW_ISO, annotations: { [ANNOTATIONS.groupBeingDeleted]: "yes" }, status: recorded });
    const plan = afterGroupDelete(content, { ok: false, failure: secretGone }, NOW);
    expect(plan.steps).toEqual([sidecarEvent(content, "GroupSnapshotDeleteError", "Failed to get snapshot credentials")]);
    expect(plan.verdict).toMatchObject({ kind: "requeue", reason: deleteInput(`cannot get credentials for group snapshot content "${GROUP_CONTENT}"`) });
  });

  it("unusable deletion-secret annotations on a deleting content: the same Event, upstream's wrapped reason, no call", () => {
    const content = newGroupContent({
      finalizers: [BOUND],
      deletionTimestamp: NOW_ISO,
      annotations: { [ANNOTATIONS.groupBeingDeleted]: "yes", [ANNOTATIONS.groupDeletionSecretName]: "", [ANNOTATIONS.groupDeletionSecretNamespace]: "ns" },
      status: recorded,
    });
    const plan = planGroupContent({ content, nowMs: NOW });
    expect(plan.call).toBeUndefined();
    expect(plan.steps).toEqual([sidecarEvent(content, "GroupSnapshotDeleteError", "Failed to get snapshot credentials")]);
    expect(plan.verdict).toMatchObject({
      kind: "requeue",
      reason: deleteInput(`cannot retrieve secrets for group snapshot content "${GROUP_CONTENT}", err: secret name or namespace not specified`),
    });
  });

  const handles = { volumeGroupSnapshotHandle: "group-h", volumeSnapshotHandles: ["snap-1", "snap-2"] };
  const checkFailed = (content: VolumeGroupSnapshotContent, err: string): Step[] => {
    const message = `Failed to check and update group snapshot content: ${err}`;
    return [...errorSteps(content, "GroupSnapshotContentCheckandUpdateFailed", message)];
  };

  it.each([
    [
      "GetVolumeGroupSnapshot's Secret unreadable",
      secretGone,
      `failed to get credentials for group snapshot content ${GROUP_CONTENT}: error getting secret get in namespace kube-system: Secret ns/s not found`,
    ],
    ["the driver's failure", { code: "INTERNAL", message: "disk" } as const, `failed to list group snapshot for group snapshot content ${GROUP_CONTENT}: "rpc error: code = Internal desc = disk"`],
  ])("pre-provisioned: %s → upstream's check-and-update text", (_, failure, err) => {
    const content = newGroupContent({ groupSnapshotHandles: handles, className: "gold", finalizers: [BOUND] });
    const plan = afterGroupGet(content, { ok: false, failure }, NOW, { name: "get", namespace: "kube-system" });
    expect(plan.steps).toEqual(checkFailed(content, err));
  });

  it("pre-provisioned: a class whose get secret cannot be resolved → failed to get secret reference", () => {
    const content = newGroupContent({ groupSnapshotHandles: handles, className: "gold", finalizers: [BOUND] });
    const groupClass = newGroupClass("gold", { parameters: { "csi.storage.k8s.io/group-snapshotter-get-secret-name": "s" } });
    const plan = planGroupContent({ content, groupClass, nowMs: NOW });
    expect(plan.call).toBeUndefined();
    expect(plan.steps).toEqual(
      checkFailed(
        content,
        `failed to get secret reference for group snapshot content ${GROUP_CONTENT}: failed to get name and namespace template from params: either name and namespace for GroupSnapshotterGet secrets specified, Both must be specified`,
      ),
    );
  });
});

describe("fanout content: a content whose class belongs to another driver (reference §3.2)", () => {
  const foreign = newGroupClass("gold", { driver: "other.csi" });

  it("gets the controller's finalizer, but no sidecar work: no create, no get, no delete", () => {
    const fresh = newGroupContent({ className: "gold" });
    const plan = planGroupContent({ content: fresh, groupClass: foreign, nowMs: NOW });
    expect(plan.steps).toEqual([update(withMeta(fresh, { finalizers: [BOUND] }))]);
    expect(plan.call).toBeUndefined();
    const bound = newGroupContent({ className: "gold", finalizers: [BOUND] });
    expect(planGroupContent({ content: bound, groupClass: foreign, nowMs: NOW })).toMatchObject({ steps: [], verdict: { kind: "nothing" } });
    const deleting = newGroupContent({
      className: "gold",
      finalizers: [BOUND],
      deletionTimestamp: NOW_ISO,
      annotations: { [ANNOTATIONS.groupBeingDeleted]: "yes" },
      status: { volumeGroupSnapshotHandle: "group-h", readyToUse: true, volumeSnapshotInfoList: [{ volumeHandle: "vol-1", snapshotHandle: "snap-1" }] },
    });
    const gone = planGroupContent({ content: deleting, groupClass: foreign, nowMs: NOW });
    expect(gone.call).toBeUndefined();
    expect(gone.steps).toEqual([]);
  });
});
