// Which events make each snapshot function look at which objects (the event's copy only filters).
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../shared/api/meta.js";
import type { ResourceName } from "../../shared/api/resources.js";
import type { ObjectEvent } from "../../shared/function/types.js";
import { ANNOTATIONS, FINALIZERS } from "../../shared/snapshot/constants.js";
import { newClaim, newContent, newObjectEvent, newSnapshot } from "../../shared/snapshot/fixtures.js";
import { deleteTargets } from "../../functions/delete/index.js";
import { invokeTargets } from "../../functions/invoke/index.js";
import { protectTargets } from "../../functions/protect/index.js";
import { bindTargets } from "../../functions/bind/index.js";

const event = (resource: ResourceName, data: KubeObject, verb: ObjectEvent["verb"] = "modified"): ObjectEvent => newObjectEvent(resource, data, verb);

const vsKey = { resource: "volumesnapshots", namespace: "default", name: "snap-1", uid: "snapuid1" };
const contentKey = { resource: "volumesnapshotcontents", name: "snapcontent-snapuid1", uid: "content-uid" };
const bound = newContent({ finalizers: [FINALIZERS.contentBound] });
const protectedClaim = newClaim({ finalizers: [FINALIZERS.pvcAsSource] });
const pvcKey = { resource: "persistentvolumeclaims", namespace: "default", name: protectedClaim.metadata.name, uid: protectedClaim.metadata.uid };

describe("bind targets", () => {
  it.each([
    ["a live snapshot", event("volumesnapshots", newSnapshot()), [vsKey]],
    ["a deleting snapshot", event("volumesnapshots", newSnapshot({ deletionTimestamp: "t" })), []],
    ["a gone snapshot", event("volumesnapshots", newSnapshot(), "deleted"), []],
    ["a new dynamic content: nothing for the snapshot (bind bound it when it created it)", event("volumesnapshotcontents", bound, "added"), []],
    ["a new pre-provisioned content: its snapshot may be waiting for it", event("volumesnapshotcontents", newContent({ snapshotHandle: "h", finalizers: [FINALIZERS.contentBound] }), "added"), [vsKey]],
    ["a content on resync: its snapshot", event("volumesnapshotcontents", bound, "resynced"), [vsKey]],
    ["a content change without status: nothing for the snapshot yet", event("volumesnapshotcontents", bound), []],
    [
      "invoke's status write under its being-created mark: nothing yet (the mark's removal brings the same status)",
      event("volumesnapshotcontents", newContent({ finalizers: [FINALIZERS.contentBound], annotations: { [ANNOTATIONS.beingCreated]: "yes" }, status: { snapshotHandle: "h", readyToUse: true } })),
      [],
    ],
    [
      "an error under the being-created mark (a retryable failure): its snapshot at once",
      event("volumesnapshotcontents", newContent({ finalizers: [FINALIZERS.contentBound], annotations: { [ANNOTATIONS.beingCreated]: "yes" }, status: { readyToUse: false, error: { message: "timeout" } } })),
      [vsKey],
    ],
    ["a content with status: its snapshot", event("volumesnapshotcontents", newContent({ finalizers: [FINALIZERS.contentBound], status: { readyToUse: true } })), [vsKey]],
    [
      "bind's own finalizer write on a new dynamic snapshot",
      event("volumesnapshots", newSnapshot({ finalizers: [FINALIZERS.snapshotAsSource, FINALIZERS.snapshotBound] })),
      [],
    ],
    [
      "a bound snapshot waiting for its content",
      event("volumesnapshots", newSnapshot({ finalizers: [FINALIZERS.snapshotAsSource], status: { boundVolumeSnapshotContentName: "c", readyToUse: false } })),
      [],
    ],
    [
      "a failed snapshot is looked at",
      event("volumesnapshots", newSnapshot({ finalizers: [FINALIZERS.snapshotAsSource], status: { readyToUse: false, error: { message: "x" } } })),
      [vsKey],
    ],
    [
      "a waiting snapshot's resync is looked at",
      event("volumesnapshots", newSnapshot({ finalizers: [FINALIZERS.snapshotAsSource], status: { boundVolumeSnapshotContentName: "c", readyToUse: false } }), "resynced"),
      [vsKey],
    ],
    ["a bound content without finalizer: itself and its snapshot", event("volumesnapshotcontents", newContent(), "added"), [contentKey, vsKey]],
    ["a gone content: its snapshot (content missing)", event("volumesnapshotcontents", bound, "deleted"), [vsKey]],
  ])("%s", (_, e, keys) => {
    expect(bindTargets(e)).toEqual(keys);
  });
});

describe("invoke targets", () => {
  it.each([
    ["new content", event("volumesnapshotcontents", bound), [contentKey]],
    ["ready content", event("volumesnapshotcontents", newContent({ status: { readyToUse: true } })), []],
    ["ready with a leftover being-created mark (resync)", event("volumesnapshotcontents", newContent({ status: { readyToUse: true }, annotations: { [ANNOTATIONS.beingCreated]: "yes" } }), "resynced"), [contentKey]],
    ["its own being-created write", event("volumesnapshotcontents", newContent({ annotations: { [ANNOTATIONS.beingCreated]: "yes" } })), []],
    ["ready and being deleted", event("volumesnapshotcontents", newContent({ status: { readyToUse: true }, deletionTimestamp: "t" })), [contentKey]],
    ["gone", event("volumesnapshotcontents", bound, "deleted"), []],
  ])("%s", (_, e, keys) => {
    expect(invokeTargets(e)).toEqual(keys);
  });
});

describe("protect targets", () => {
  it.each([
    ["un-ready snapshot being cut", event("volumesnapshots", newSnapshot()), []],
    ["ready snapshot", event("volumesnapshots", newSnapshot({ status: { readyToUse: true } })), [vsKey]],
    ["failed snapshot", event("volumesnapshots", newSnapshot({ status: { error: { message: "x" } } })), [vsKey]],
    ["deleting snapshot", event("volumesnapshots", newSnapshot({ deletionTimestamp: "t" })), [vsKey]],
    ["gone snapshot", event("volumesnapshots", newSnapshot(), "deleted"), [vsKey]],
    ["resync", event("volumesnapshots", newSnapshot(), "resynced"), [vsKey]],
    ["static snapshot", event("volumesnapshots", newSnapshot({ content: "pre", status: { readyToUse: true } })), []],
    ["a protected PVC's resync (the safety net once its snapshots are gone)", event("persistentvolumeclaims", protectedClaim, "resynced"), [pvcKey]],
    ["a protected PVC's change (bind's or protect's own write)", event("persistentvolumeclaims", protectedClaim), []],
    ["an unprotected PVC's resync", event("persistentvolumeclaims", newClaim(), "resynced"), []],
    ["a protected PVC gone", event("persistentvolumeclaims", protectedClaim, "deleted"), []],
  ])("%s", (_, e, keys) => {
    expect(protectTargets(e)).toEqual(keys);
  });
});

describe("delete targets", () => {
  it.each([
    ["live snapshot", event("volumesnapshots", newSnapshot()), []],
    ["deleting snapshot", event("volumesnapshots", newSnapshot({ deletionTimestamp: "t" })), [vsKey]],
    ["gone snapshot (metric)", event("volumesnapshots", newSnapshot(), "deleted"), [vsKey]],
  ])("%s", (_, e, keys) => {
    expect(deleteTargets(e)).toEqual(keys);
  });
});
