// Table-driven tests of the deletion flow, after upstream's snapshot-controller deletion tests:
// initial snapshot/content/claims → content mark, content DELETE, finalizer removals, Events.
import { describe, expect, it } from "vitest";
import type { VolumeSnapshot, VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import { ANNOTATIONS, FINALIZERS } from "../../shared/snapshot/constants.js";
import { newClaim, newContent, newSnapshot } from "../../shared/snapshot/fixtures.js";
import type { Plan, Step } from "../../shared/snapshot/steps.js";
import { candidateContentName, planDeleteSnapshot, restoresFrom, type DeleteState } from "./plan.js";

const DELETED_AT = "2026-03-01T12:10:00Z";
const NOW = Date.parse(DELETED_AT) + 1000;
const AS_SOURCE = FINALIZERS.snapshotAsSource;
const BOUND = FINALIZERS.snapshotBound;
const IN_GROUP = FINALIZERS.snapshotInGroup;
const BEING_DELETED = { [ANNOTATIONS.beingDeleted]: "yes" };

const deleting = (o: Parameters<typeof newSnapshot>[0] = {}) =>
  newSnapshot({
    finalizers: [AS_SOURCE, BOUND],
    deletionTimestamp: DELETED_AT,
    status: { boundVolumeSnapshotContentName: "snapcontent-snapuid1", readyToUse: true },
    ...o,
  });
const state = (snapshot: VolumeSnapshot, rest: Partial<DeleteState> = {}): DeleteState => ({ snapshot, claims: [], nowMs: NOW, ...rest });
const writes = (plan: Plan) => plan.steps.filter((s) => s.op !== "metric");
const mark = (c: VolumeSnapshotContent): Step => ({
  op: "update",
  resource: "volumesnapshotcontents",
  object: { ...c, metadata: { ...c.metadata, annotations: { ...c.metadata.annotations, ...BEING_DELETED } } },
});
const del = (vs: VolumeSnapshot, name = "snapcontent-snapuid1"): Step => ({
  op: "delete",
  resource: "volumesnapshotcontents",
  name,
  onFailure: { on: vs, reason: "SnapshotContentObjectDeleteError", message: "Failed to delete snapshot content API object" },
});
const finalizers = (vs: VolumeSnapshot, list: string[]): Step => ({ op: "update", resource: "volumesnapshots", object: { ...vs, metadata: { ...vs.metadata, finalizers: list } } });

describe("delete: VolumeSnapshot with deletionTimestamp", () => {
  it.each<[string, VolumeSnapshot, VolumeSnapshotContent | undefined, (vs: VolumeSnapshot, c?: VolumeSnapshotContent) => Step[]]>([
    [
      "Delete policy, bound both ways: mark + DELETE content, keep the bound finalizer",
      deleting(),
      newContent({ finalizers: [FINALIZERS.contentBound] }),
      (vs, c) => [mark(c!), del(vs), finalizers(vs, [BOUND])],
    ],
    [
      "Retain policy: mark only, release every snapshot finalizer",
      deleting({ finalizers: [AS_SOURCE] }),
      newContent({ deletionPolicy: "Retain", finalizers: [FINALIZERS.contentBound] }),
      (vs, c) => [mark(c!), finalizers(vs, [])],
    ],
    [
      "content already gone: drop the bound finalizer",
      deleting({ finalizers: [BOUND] }),
      undefined,
      (vs) => [finalizers(vs, [])],
    ],
    [
      "content bound to someone else: untouched, finalizers released",
      deleting(),
      newContent({ snapshotUid: "other-uid" }),
      (vs) => [finalizers(vs, [])],
    ],
    [
      "deleted before bound: finds snapcontent-<uid> anyway",
      deleting({ status: { readyToUse: false } }),
      newContent(),
      (vs, c) => [mark(c!), del(vs), finalizers(vs, [BOUND])],
    ],
    [
      "already marked and deleting: no second DELETE",
      deleting({ finalizers: [BOUND] }),
      newContent({ annotations: BEING_DELETED, deletionTimestamp: DELETED_AT }),
      () => [],
    ],
    [
      "static snapshot with a Delete content behaves like dynamic",
      deleting({ content: "pre-1", status: { boundVolumeSnapshotContentName: "pre-1", readyToUse: true } }),
      newContent({ name: "pre-1", snapshotHandle: "h" }),
      (vs, c) => [mark(c!), del(vs, "pre-1"), finalizers(vs, [BOUND])],
    ],
    [
      "other finalizers are kept",
      deleting({ finalizers: ["example.com/backup", AS_SOURCE, BOUND] }),
      newContent({ deletionPolicy: "Retain" }),
      (vs, c) => [mark(c!), finalizers(vs, ["example.com/backup"])],
    ],
  ])("%s", (_, vs, content, expected) => {
    const plan = planDeleteSnapshot(state(vs, content ? { content } : {}));
    expect(writes(plan)).toEqual(expected(vs, content));
    // While a Delete content is on its way out, look again (the bound finalizer waits for it).
    const waiting = content !== undefined && content.spec.deletionPolicy === "Delete" && content.spec.volumeSnapshotRef.uid === vs.metadata.uid;
    expect(plan.verdict).toEqual(
      waiting ? { kind: "requeue", afterMs: 500, reason: `waiting for VolumeSnapshotContent ${content.metadata.name} to be deleted` } : { kind: "done" },
    );
    expect(plan.steps[0]).toMatchObject({ op: "metric", mark: { kind: "start", key: { operation: "DeleteSnapshot", uid: "snapuid1" }, startedAt: DELETED_AT } });
  });

  it("a Pending restore from the snapshot blocks deletion: SnapshotDeletePending, retried", () => {
    const vs = deleting();
    const restoring = newClaim({ name: "restore", phase: "Pending", dataSource: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "snap-1" } });
    const plan = planDeleteSnapshot(state(vs, { content: newContent(), claims: [restoring] }));
    expect(writes(plan)).toEqual([{ op: "event", on: vs, type: "Warning", reason: "SnapshotDeletePending", message: "Snapshot is being used to restore a PVC" }]);
    expect(plan.verdict).toMatchObject({ kind: "requeue", reason: "Snapshot is being used to restore a PVC" });
  });

  it.each([
    ["bound restore", newClaim({ name: "r", phase: "Bound", dataSource: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "snap-1" } }), false],
    ["other snapshot", newClaim({ name: "r", phase: "Pending", dataSource: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "x" } }), false],
    ["clone from a PVC", newClaim({ name: "r", phase: "Pending", dataSource: { kind: "PersistentVolumeClaim", name: "snap-1" } }), false],
    ["pending restore", newClaim({ name: "r", phase: "Pending", dataSource: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "snap-1" } }), true],
  ])("restoresFrom: %s → %s", (_, pvc, expected) => {
    expect(restoresFrom(pvc, deleting())).toBe(expected);
  });

  it("a member of a group that still exists may not be deleted on its own", () => {
    const vs = deleting({ finalizers: [IN_GROUP, AS_SOURCE], status: { boundVolumeSnapshotContentName: "snapcontent-snapuid1", readyToUse: true, volumeGroupSnapshotName: "vgs" } });
    const plan = planDeleteSnapshot(state(vs, { groupExists: true }));
    expect(writes(plan)).toEqual([
      {
        op: "event",
        on: vs,
        type: "Warning",
        reason: "SnapshotDeletePending",
        message:
          "deletion of the individual volume snapshot default/snap-1 is not allowed as it belongs to group snapshot default/vgs. Deleting the group snapshot will trigger the deletion of all the individual volume snapshots that are part of the group.",
      },
    ]);
  });

  it("once the group is gone the in-group finalizer goes with as-source", () => {
    const vs = deleting({ finalizers: [IN_GROUP, AS_SOURCE], status: { boundVolumeSnapshotContentName: "snapcontent-snapuid1", readyToUse: true, volumeGroupSnapshotName: "vgs" } });
    expect(writes(planDeleteSnapshot(state(vs, { groupExists: false })))).toEqual([finalizers(vs, [])]);
  });

  it("a member deleted before bind ever synced it (in-group finalizer only) is still a member: refused while its group exists, released after", () => {
    const vs = deleting({ finalizers: [IN_GROUP], status: undefined });
    vs.metadata.ownerReferences = [{ apiVersion: "groupsnapshot.storage.k8s.io/v1", kind: "VolumeGroupSnapshot", name: "vgs", uid: "vgs-uid" }];
    expect(writes(planDeleteSnapshot(state(vs, { groupExists: true })))).toEqual([
      expect.objectContaining({ op: "event", reason: "SnapshotDeletePending", message: expect.stringContaining("belongs to group snapshot default/vgs") }),
    ]);
    expect(writes(planDeleteSnapshot(state(vs, { groupExists: false })))).toEqual([finalizers(vs, [])]);
  });

  it("nothing for a snapshot that is not being deleted or has no controller finalizer", () => {
    expect(planDeleteSnapshot(state(newSnapshot())).verdict.kind).toBe("nothing");
    expect(planDeleteSnapshot(state(deleting({ finalizers: [IN_GROUP] }))).verdict.kind).toBe("nothing");
  });

  it("candidate content names", () => {
    expect(candidateContentName(deleting())).toBe("snapcontent-snapuid1");
    expect(candidateContentName(deleting({ status: {} }))).toBe("snapcontent-snapuid1");
    expect(candidateContentName(deleting({ content: "pre-1", status: {} }))).toBeUndefined();
  });
});
