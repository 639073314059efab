// The member pair of one volume (upstream §4.3): derived names, owner, finalizer, annotations, and
// the binding writes still missing for a pair the API already holds.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ANNOTATIONS, FINALIZERS, GROUP_SNAPSHOT_API_VERSION } from "../../shared/snapshot/constants.js";
import { DRIVER, newVolume } from "../../shared/snapshot/fixtures.js";
import { GROUP_UID, newGroup, newGroupContent } from "./fixtures.js";
import { buildMemberContent, buildMemberSnapshot, indexVolumes, memberInfos, memberIsComplete, memberWrites, volumeIndexKey, type MemberInput } from "./members.js";

const digest = createHash("sha256").update(`${GROUP_UID}vol-a`).digest("hex");
const info = { volumeHandle: "vol-a", snapshotHandle: "snap-a", creationTime: 1772366405000000000, readyToUse: true, restoreSize: 1073741824 };
const groupContent = newGroupContent({ volumeHandles: ["vol-a"], deletionPolicy: "Retain", status: { volumeGroupSnapshotHandle: "group-h", readyToUse: true, volumeSnapshotInfoList: [info] } });
const pv = newVolume({ name: "pv-a", claim: "claim-a", volumeHandle: "vol-a", volumeMode: "Block" });
const input: MemberInput = { group: newGroup(), content: groupContent, info, pv };

describe("fanout members", () => {
  it("the snapshot: snapshot-<sha256(group uid + volume handle)>, owned by the group, in-group protected, sourced from the PV's claim", () => {
    expect(buildMemberSnapshot(input)).toEqual({
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshot",
      metadata: {
        name: `snapshot-${digest}`,
        namespace: "default",
        ownerReferences: [{ apiVersion: GROUP_SNAPSHOT_API_VERSION, kind: "VolumeGroupSnapshot", name: "group-1", uid: GROUP_UID }],
        finalizers: [FINALIZERS.snapshotInGroup],
      },
      spec: { source: { persistentVolumeClaimName: "claim-a" } },
    });
  });

  it("without a PV for the volume the claim name is empty (upstream)", () => {
    expect(buildMemberSnapshot({ ...input, pv: undefined }).spec.source).toEqual({ persistentVolumeClaimName: "" });
  });

  it("the content: snapcontent-<same digest>, group handle annotation, policy and driver of the group content, no class", () => {
    expect(buildMemberContent({ ...input, secret: { name: "s", namespace: "ns" } }, "vs-uid")).toEqual({
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshotContent",
      metadata: {
        name: `snapcontent-${digest}`,
        annotations: {
          [ANNOTATIONS.volumeGroupSnapshotHandle]: "group-h",
          [ANNOTATIONS.deletionSecretName]: "s",
          [ANNOTATIONS.deletionSecretNamespace]: "ns",
        },
      },
      spec: {
        volumeSnapshotRef: { kind: "VolumeSnapshot", name: `snapshot-${digest}`, namespace: "default", uid: "vs-uid" },
        deletionPolicy: "Retain",
        driver: DRIVER,
        source: { volumeHandle: "vol-a" },
        sourceVolumeMode: "Block",
      },
    });
  });

  it("a fresh pair needs the snapshot's bound name and the content's status from the info entry", () => {
    const vs = { ...buildMemberSnapshot(input), metadata: { ...buildMemberSnapshot(input).metadata, uid: "vs-uid" } };
    const vsc = buildMemberContent(input, "vs-uid");
    expect(memberWrites(input, vs, vsc)).toEqual([
      {
        kind: "contentStatus",
        content: `snapcontent-${digest}`,
        status: { snapshotHandle: "snap-a", volumeGroupSnapshotHandle: "group-h", creationTime: info.creationTime, restoreSize: info.restoreSize, readyToUse: true },
      },
      { kind: "snapshotBound", namespace: "default", snapshot: `snapshot-${digest}`, content: `snapcontent-${digest}` },
    ]);
    expect(memberIsComplete(input.group, "vol-a", vs)).toBe(false);
    expect(memberIsComplete(input.group, "vol-a", { ...vs, status: { boundVolumeSnapshotContentName: `snapcontent-${digest}` } })).toBe(true);
  });

  it("a content found with another (or no) snapshot UID is re-bound; a complete pair needs nothing", () => {
    const vs = { ...buildMemberSnapshot(input), metadata: { ...buildMemberSnapshot(input).metadata, uid: "vs-uid" }, status: { boundVolumeSnapshotContentName: `snapcontent-${digest}` } };
    const unbound = { ...buildMemberContent(input), status: { snapshotHandle: "snap-a", volumeGroupSnapshotHandle: "group-h", readyToUse: true } };
    expect(memberWrites(input, vs, unbound)).toEqual([{ kind: "bindContent", content: `snapcontent-${digest}`, snapshotUid: "vs-uid" }]);
    expect(memberWrites(input, vs, { ...unbound, spec: { ...unbound.spec, volumeSnapshotRef: { ...unbound.spec.volumeSnapshotRef, uid: "vs-uid" } } })).toEqual([]);
  });

  it("PVs are indexed by driver^handle; a handle held twice counts as none", () => {
    const twin = newVolume({ name: "pv-twin", volumeHandle: "vol-a" });
    const other = newVolume({ name: "pv-b", volumeHandle: "vol-b" });
    const index = indexVolumes([pv, other, twin, newVolume({ name: "legacy", csi: false })]);
    expect(index.get(volumeIndexKey(DRIVER, "vol-a"))).toBeUndefined();
    expect(index.get(volumeIndexKey(DRIVER, "vol-b"))).toBe(other);
    expect(index.size).toBe(2);
  });

  it("only info entries with both handles become members", () => {
    const content = newGroupContent({ status: { volumeGroupSnapshotHandle: "h", volumeSnapshotInfoList: [info, { volumeHandle: "vol-x" }] } });
    expect(memberInfos(content)).toEqual([info]);
  });
});
