// Which objects fanout reconciles for an event: the event's own group or group content, the group
// a content names once the content has news for it, and no echo of a write still in progress.
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../shared/api/meta.js";
import type { ObjectEvent } from "../../shared/function/types.js";
import { ANNOTATIONS, FINALIZERS } from "../../shared/snapshot/constants.js";
import { newObjectEvent } from "../../shared/snapshot/fixtures.js";
import { GROUP_CONTENT, GROUP_UID, newGroup, newGroupContent } from "./fixtures.js";
import { fanoutTargets } from "./index.js";

const event = (resource: ObjectEvent["resource"], verb: ObjectEvent["verb"], data: KubeObject): ObjectEvent => newObjectEvent(resource, data, verb);

const groupKey = { resource: "volumegroupsnapshots", namespace: "default", name: "group-1", uid: GROUP_UID };
const contentKey = { resource: "volumegroupsnapshotcontents", name: GROUP_CONTENT, uid: "content-uid" };

describe("fanout targets", () => {
  it("a group event targets the group, except the echo of its own bound-finalizer write", () => {
    expect(fanoutTargets(event("volumegroupsnapshots", "added", newGroup()))).toEqual([groupKey]);
    const echo = newGroup({ finalizers: [FINALIZERS.groupSnapshotBound] });
    expect(fanoutTargets(event("volumegroupsnapshots", "modified", echo))).toEqual([]);
    expect(fanoutTargets(event("volumegroupsnapshots", "resynced", echo))).toEqual([groupKey]);
    expect(fanoutTargets(event("volumegroupsnapshots", "deleted", newGroup()))).toEqual([groupKey]);
  });

  it.each([
    ["added, no status", "added", newGroupContent(), [contentKey]],
    ["being-created echo", "modified", newGroupContent({ annotations: { [ANNOTATIONS.groupBeingCreated]: "yes" } }), []],
    ["status written, mark still on", "modified", newGroupContent({ annotations: { [ANNOTATIONS.groupBeingCreated]: "yes" }, status: { volumeGroupSnapshotHandle: "h" } }), [contentKey]],
    ["status with handle, mark gone", "modified", newGroupContent({ status: { volumeGroupSnapshotHandle: "h", readyToUse: true } }), [contentKey, groupKey]],
    ["error status", "modified", newGroupContent({ status: { readyToUse: false, error: { message: "x" } } }), [contentKey, groupKey]],
    ["being deleted", "modified", newGroupContent({ deletionTimestamp: "2026-03-01T12:00:00Z" }), [contentKey, groupKey]],
    ["gone", "deleted", newGroupContent(), [groupKey]],
    ["resync", "resynced", newGroupContent({ annotations: { [ANNOTATIONS.groupBeingCreated]: "yes" } }), [contentKey, groupKey]],
  ] as const)("group content %s", (_, verb, data, expected) => {
    const content = { ...data, metadata: { ...data.metadata, uid: "content-uid" } };
    expect(fanoutTargets(event("volumegroupsnapshotcontents", verb, content))).toEqual(expected);
  });

  it("a pre-bound content (no ref UID) names its group without a UID", () => {
    const content = newGroupContent({ groupUid: "", status: { volumeGroupSnapshotHandle: "h" } });
    content.metadata.uid = "content-uid";
    expect(fanoutTargets(event("volumegroupsnapshotcontents", "modified", content))[1]).toEqual({ resource: "volumegroupsnapshots", namespace: "default", name: "group-1" });
  });
});
