// Group snapshots through the real functions, dev cluster, gateway and hostpath driver: selector
// membership, upstream's object shapes, one instant for all members, the member-delete refusal,
// restore of one member through provision, deletion per policy, and failures that leave nothing
// behind at the backend.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { PersistentVolume, PersistentVolumeClaim } from "../../shared/api/core.js";
import { RESOURCES } from "../../shared/api/resources.js";
import type { VolumeGroupSnapshot, VolumeGroupSnapshotContent, VolumeSnapshot, VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import {
  ANNOTATIONS,
  FINALIZERS,
  GROUP_SNAPSHOT_API_VERSION,
  groupMemberContentNameFor,
  groupMemberSnapshotNameFor,
} from "../../shared/snapshot/constants.js";
import { buildMemberContent, buildMemberSnapshot } from "../../functions/fanout/members.js";
import { snapshotMetricsRegistry } from "../../shared/snapshot/metrics.js";
import { DRIVER, GroupStack } from "./stack.js";

const stack = new GroupStack();
// Each case drives several rounds through real servers: room for a loaded 2-core CI machine.
vi.setConfig({ testTimeout: 90_000 });

beforeAll(async () => {
  await stack.start();
}, 60_000);

afterAll(async () => {
  await stack.stop();
}, 30_000);

async function createGroup(name: string, source: VolumeGroupSnapshot["spec"]["source"], className?: string): Promise<VolumeGroupSnapshot> {
  return stack.kube.create<VolumeGroupSnapshot>(RESOURCES.volumegroupsnapshots, {
    apiVersion: GROUP_SNAPSHOT_API_VERSION,
    kind: "VolumeGroupSnapshot",
    metadata: { name, namespace: "default" },
    spec: { source, ...(className ? { volumeGroupSnapshotClassName: className } : {}) },
  });
}

const group = (name: string) => stack.get<VolumeGroupSnapshot>("volumegroupsnapshots", name, "default");
const groupContent = (name: string) => stack.get<VolumeGroupSnapshotContent>("volumegroupsnapshotcontents", name);
const snapshot = (name: string) => stack.get<VolumeSnapshot>("volumesnapshots", name, "default");
const content = (name: string) => stack.get<VolumeSnapshotContent>("volumesnapshotcontents", name);

describe("a dynamic group of two labelled PVCs", () => {
  const claims: Record<string, { volumeHandle: string; hostPath: string; pv: PersistentVolume }> = {};
  let uid = "";
  let groupHandle = "";
  const memberSnapshots: string[] = [];

  beforeAll(async () => {
    await stack.createGroupClass("group-default", { isDefault: true });
    for (const name of ["pvc-a", "pvc-b"]) {
      const c = await stack.createBoundClaim(name, { group: "myGroup" });
      claims[name] = c;
      await writeFile(join(c.hostPath, "data.txt"), `${name} before\n`);
    }
    // Not selected: another label.
    await stack.createBoundClaim("pvc-other", { group: "other" });
  }, 60_000);

  it("becomes ready with its class defaulted, its content and one member pair per volume", async () => {
    uid = (await createGroup("my-group", { selector: { matchLabels: { group: "myGroup" } } })).metadata.uid!;
    await stack.settle(async () => (await group("my-group"))?.status?.readyToUse === true);

    const vgs = (await group("my-group"))!;
    const contentName = `groupsnapcontent-${uid}`;
    expect(vgs.spec.volumeGroupSnapshotClassName).toBe("group-default");
    expect(vgs.metadata.finalizers).toEqual([FINALIZERS.groupSnapshotBound]);
    expect(vgs.status).toEqual({ boundVolumeGroupSnapshotContentName: contentName, readyToUse: true, creationTime: expect.stringMatching(/Z$/) });

    const vgsc = (await groupContent(contentName))!;
    expect(vgsc.metadata.finalizers).toEqual([FINALIZERS.groupContentBound]);
    expect(vgsc.metadata.annotations ?? {}).not.toHaveProperty(ANNOTATIONS.groupBeingCreated);
    expect(vgsc.spec).toEqual({
      volumeGroupSnapshotRef: { kind: "VolumeGroupSnapshot", apiVersion: GROUP_SNAPSHOT_API_VERSION, namespace: "default", name: "my-group", uid, resourceVersion: expect.any(String) },
      deletionPolicy: "Delete",
      driver: DRIVER,
      volumeGroupSnapshotClassName: "group-default",
      source: { volumeHandles: [claims["pvc-a"]!.volumeHandle, claims["pvc-b"]!.volumeHandle] },
    });
    groupHandle = vgsc.status!.volumeGroupSnapshotHandle!;
    expect(vgsc.status).toEqual({
      volumeGroupSnapshotHandle: expect.any(String),
      readyToUse: true,
      creationTime: vgs.status!.creationTime,
      volumeSnapshotInfoList: ["pvc-a", "pvc-b"].map((n) => ({
        volumeHandle: claims[n]!.volumeHandle,
        snapshotHandle: expect.any(String),
        creationTime: expect.any(Number),
        readyToUse: true,
        restoreSize: 1073741824,
      })),
    });
    // One instant for every member.
    const times = new Set(vgsc.status!.volumeSnapshotInfoList!.map((i) => i.creationTime));
    expect(times.size).toBe(1);

    expect(await stack.eventsFor(uid)).toEqual([
      "Normal CreatingGroupSnapshot: Waiting for a group snapshot default/my-group to be created by the CSI driver.",
      "Normal GroupSnapshotCreated: GroupSnapshot default/my-group was successfully created by the CSI driver.",
      "Normal GroupSnapshotReady: GroupSnapshot default/my-group is ready to use.",
    ]);

    // The backend holds exactly this group.
    const backend = await stack.gateway.getGroupSnapshot(DRIVER, { groupSnapshotId: groupHandle, snapshotIds: vgsc.status!.volumeSnapshotInfoList!.map((i) => i.snapshotHandle!) });
    expect(backend?.snapshots.map((s) => s.sourceVolumeId).sort()).toEqual([claims["pvc-a"]!.volumeHandle, claims["pvc-b"]!.volumeHandle].sort());
  });

  it("members carry upstream's names, owner, finalizers, annotations and statuses, and become ready", async () => {
    for (const name of ["pvc-a", "pvc-b"]) {
      const handle = claims[name]!.volumeHandle;
      const vsName = groupMemberSnapshotNameFor(uid, handle);
      const vscName = groupMemberContentNameFor(uid, handle);
      expect(vsName).toMatch(/^snapshot-[0-9a-f]{64}$/);
      memberSnapshots.push(vsName);
      await stack.settle(async () => (await snapshot(vsName))?.status?.readyToUse === true);
      const vs = (await snapshot(vsName))!;
      const vsc = (await content(vscName))!;
      expect(vs.metadata.ownerReferences).toEqual([{ apiVersion: GROUP_SNAPSHOT_API_VERSION, kind: "VolumeGroupSnapshot", name: "my-group", uid }]);
      expect(vs.metadata.finalizers).toEqual([FINALIZERS.snapshotInGroup, FINALIZERS.snapshotAsSource]);
      expect(vs.spec).toEqual({ source: { persistentVolumeClaimName: name } });
      expect(vs.status).toEqual({
        boundVolumeSnapshotContentName: vscName,
        readyToUse: true,
        creationTime: expect.stringMatching(/Z$/),
        restoreSize: "1Gi",
        volumeGroupSnapshotName: "my-group",
      });
      expect(vsc.metadata.annotations).toEqual({ [ANNOTATIONS.volumeGroupSnapshotHandle]: groupHandle });
      expect(vsc.metadata.finalizers).toEqual([FINALIZERS.contentBound]);
      expect(vsc.spec).toEqual({
        volumeSnapshotRef: { kind: "VolumeSnapshot", name: vsName, namespace: "default", uid: vs.metadata.uid },
        deletionPolicy: "Delete",
        driver: DRIVER,
        source: { volumeHandle: handle },
        sourceVolumeMode: "Filesystem",
      });
      expect(vsc.status).toEqual({
        snapshotHandle: expect.any(String),
        volumeGroupSnapshotHandle: groupHandle,
        creationTime: expect.any(Number),
        restoreSize: 1073741824,
        readyToUse: true,
      });
    }
    // Not selected, so no member.
    const all = await stack.list<VolumeSnapshot>("volumesnapshots", "default");
    expect(all.filter((vs) => vs.spec.source.persistentVolumeClaimName === "pvc-other")).toEqual([]);
  });

  it("refuses to delete a single member while its group exists", async () => {
    const vsName = memberSnapshots[0]!;
    const vs = (await snapshot(vsName))!;
    await stack.kube.delete(RESOURCES.volumesnapshots, vsName, "default");
    await stack.round();
    await stack.round();
    const still = (await snapshot(vsName))!;
    expect(still.metadata.deletionTimestamp).toBeDefined();
    expect(still.metadata.finalizers).toContain(FINALIZERS.snapshotInGroup);
    expect(await stack.eventsFor(vs.metadata.uid!)).toContain(
      `Warning SnapshotDeletePending: deletion of the individual volume snapshot default/${vsName} is not allowed as it belongs to group snapshot default/my-group. Deleting the group snapshot will trigger the deletion of all the individual volume snapshots that are part of the group.`,
    );
  });

  it("restores one member through provision to a PVC holding that member's data as of the group instant", async () => {
    // Written after the cut: the restore must not see it.
    await writeFile(join(claims["pvc-b"]!.hostPath, "data.txt"), "pvc-b after\n");
    const vsName = groupMemberSnapshotNameFor(uid, claims["pvc-b"]!.volumeHandle);
    await stack.kube.create<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "restore-b", namespace: "default" },
      spec: {
        storageClassName: "standard",
        accessModes: ["ReadWriteOnce"],
        resources: { requests: { storage: "1Gi" } },
        dataSource: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: vsName },
      },
    });
    await stack.settle(async () => (await stack.get<PersistentVolumeClaim>("persistentvolumeclaims", "restore-b", "default"))?.status?.phase === "Bound");
    const pvc = (await stack.get<PersistentVolumeClaim>("persistentvolumeclaims", "restore-b", "default"))!;
    const pv = (await stack.get<PersistentVolume>("persistentvolumes", pvc.spec.volumeName!))!;
    expect(await readFile(join(pv.spec.csi!.volumeAttributes!.hostPath!, "data.txt"), "utf8")).toBe("pvc-b before\n");
  });

  it("deleting the group deletes its content, members and the backend group; nothing is left", async () => {
    const vgsc = (await groupContent(`groupsnapcontent-${uid}`))!;
    const snapshotIds = vgsc.status!.volumeSnapshotInfoList!.map((i) => i.snapshotHandle!);
    await stack.kube.delete(RESOURCES.volumegroupsnapshots, "my-group", "default");
    await stack.settle(async () => {
      const [g, gc, members] = await Promise.all([group("my-group"), groupContent(`groupsnapcontent-${uid}`), stack.list<VolumeSnapshot>("volumesnapshots", "default")]);
      const contents = await stack.list<VolumeSnapshotContent>("volumesnapshotcontents");
      return !g && !gc && members.every((m) => !memberSnapshots.includes(m.metadata.name!)) && contents.every((c) => !c.metadata.annotations?.[ANNOTATIONS.volumeGroupSnapshotHandle]);
    }, 40);
    await expect(stack.gateway.getGroupSnapshot(DRIVER, { groupSnapshotId: groupHandle, snapshotIds })).rejects.toMatchObject({ code: "NOT_FOUND" });
    for (const id of snapshotIds) expect(await stack.gateway.getSnapshot(DRIVER, { snapshotId: id })).toBeUndefined();
  });
});

describe("a fan-out interrupted half way", () => {
  it("is completed by the next delivery: existing members are found, re-bound, none duplicated", async () => {
    const a = await stack.createBoundClaim("half-a", { app: "half" });
    const b = await stack.createBoundClaim("half-b", { app: "half" });
    const created = await createGroup("half", { selector: { matchLabels: { app: "half" } } }, "group-default");
    const uid = created.metadata.uid!;
    // Step by step: the group (→ content), then the content (→ driver, status).
    await stack.deliver("volumegroupsnapshots", (await group("half"))!, "added");
    const contentName = `groupsnapcontent-${uid}`;
    await stack.deliver("volumegroupsnapshotcontents", (await groupContent(contentName))!, "added");
    const vgsc = (await groupContent(contentName))!;
    expect(vgsc.status?.volumeGroupSnapshotHandle).toBeDefined();

    // As if a previous invocation died: one member snapshot and an unbound content (upstream's
    // creation order) exist, nothing else.
    const infoA = vgsc.status!.volumeSnapshotInfoList!.find((i) => i.volumeHandle === a.volumeHandle)!;
    const input = { group: (await group("half"))!, content: vgsc, info: infoA, pv: a.pv };
    const vsA = await stack.kube.create<VolumeSnapshot>(RESOURCES.volumesnapshots, buildMemberSnapshot(input));
    await stack.kube.create<VolumeSnapshotContent>(RESOURCES.volumesnapshotcontents, buildMemberContent(input));

    await stack.settle(async () => (await group("half"))?.status?.readyToUse === true);
    const members = (await stack.list<VolumeSnapshot>("volumesnapshots", "default")).filter((vs) => vs.metadata.ownerReferences?.some((o) => o.uid === uid));
    expect(members.map((m) => m.metadata.name).sort()).toEqual([groupMemberSnapshotNameFor(uid, a.volumeHandle), groupMemberSnapshotNameFor(uid, b.volumeHandle)].sort());
    expect(members.find((m) => m.metadata.name === vsA.metadata.name)!.metadata.uid).toBe(vsA.metadata.uid);
    const contentA = (await content(groupMemberContentNameFor(uid, a.volumeHandle)))!;
    expect(contentA.spec.volumeSnapshotRef.uid).toBe(vsA.metadata.uid);
    expect(contentA.status).toMatchObject({ snapshotHandle: infoA.snapshotHandle, volumeGroupSnapshotHandle: vgsc.status!.volumeGroupSnapshotHandle });

    await stack.kube.delete(RESOURCES.volumegroupsnapshots, "half", "default");
    await stack.settle(async () => !(await group("half")) && !(await groupContent(contentName)), 30);
  });
});

describe("a create whose answer was lost", () => {
  it("is re-issued under the same name: the group already cut at the backend is recorded once, never cut twice", async () => {
    const a = await stack.createBoundClaim("lost-answer-a", { app: "lost-answer" });
    const b = await stack.createBoundClaim("lost-answer-b", { app: "lost-answer" });
    const uid = (await createGroup("lost-answer", { selector: { matchLabels: { app: "lost-answer" } } }, "group-default")).metadata.uid!;
    await stack.deliver("volumegroupsnapshots", (await group("lost-answer"))!, "added");
    const contentName = `groupsnapcontent-${uid}`;
    // As if an invocation marked the content, called the driver, and died before the answer arrived.
    const content = (await groupContent(contentName))!;
    await stack.kube.update(RESOURCES.volumegroupsnapshotcontents, { ...content, metadata: { ...content.metadata, annotations: { [ANNOTATIONS.groupBeingCreated]: "yes" } } });
    const cut = await stack.gateway.createGroupSnapshot(DRIVER, { name: `groupsnapshot-${uid}`, sourceVolumeIds: [a.volumeHandle, b.volumeHandle], parameters: {} });

    await stack.settle(async () => (await group("lost-answer"))?.status?.readyToUse === true);
    const recorded = (await groupContent(contentName))!;
    expect(recorded.status?.volumeGroupSnapshotHandle).toBe(cut.groupSnapshotId);
    expect(recorded.metadata.annotations ?? {}).not.toHaveProperty(ANNOTATIONS.groupBeingCreated);
    const backend = (await stack.gateway.listSnapshots(DRIVER, {})).entries.filter((e) => [a.volumeHandle, b.volumeHandle].includes(e.sourceVolumeId));
    expect(backend.map((e) => e.snapshotId).sort()).toEqual(cut.snapshots.map((x) => x.snapshotId).sort());

    await stack.kube.delete(RESOURCES.volumegroupsnapshots, "lost-answer", "default");
    await stack.settle(async () => !(await group("lost-answer")) && !(await groupContent(contentName)), 30);
    await expect(stack.gateway.getGroupSnapshot(DRIVER, { groupSnapshotId: cut.groupSnapshotId, snapshotIds: cut.snapshots.map((x) => x.snapshotId) })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("deletion with a Retain class", () => {
  it("keeps the group content, the member contents and the backend group", async () => {
    await stack.createGroupClass("group-retain", { deletionPolicy: "Retain" });
    const a = await stack.createBoundClaim("keep-a", { app: "keep" });
    const b = await stack.createBoundClaim("keep-b", { app: "keep" });
    const uid = (await createGroup("keep", { selector: { matchLabels: { app: "keep" } } }, "group-retain")).metadata.uid!;
    const contentName = `groupsnapcontent-${uid}`;
    const memberContents = [a, b].map((c) => groupMemberContentNameFor(uid, c.volumeHandle));
    await stack.settle(async () => {
      const vs = await snapshot(groupMemberSnapshotNameFor(uid, a.volumeHandle));
      return (await group("keep"))?.status?.readyToUse === true && vs?.status?.readyToUse === true;
    });
    const handle = (await groupContent(contentName))!.status!.volumeGroupSnapshotHandle!;

    await stack.kube.delete(RESOURCES.volumegroupsnapshots, "keep", "default");
    await stack.settle(async () => {
      const members = await stack.list<VolumeSnapshot>("volumesnapshots", "default");
      return !(await group("keep")) && !members.some((m) => m.metadata.ownerReferences?.some((o) => o.uid === uid));
    }, 40);
    const kept = (await groupContent(contentName))!;
    expect(kept.metadata.deletionTimestamp).toBeUndefined();
    expect(kept.metadata.annotations?.[ANNOTATIONS.groupBeingDeleted]).toBe("yes");
    for (const name of memberContents) expect((await content(name))?.spec.deletionPolicy).toBe("Retain");
    const ids = kept.status!.volumeSnapshotInfoList!.map((i) => i.snapshotHandle!);
    expect((await stack.gateway.getGroupSnapshot(DRIVER, { groupSnapshotId: handle, snapshotIds: ids }))?.groupSnapshotId).toBe(handle);

    // Deleting the retained content directly (its group is gone) releases it; the backend keeps the group.
    await stack.kube.delete(RESOURCES.volumegroupsnapshotcontents, contentName);
    await stack.settle(async () => !(await groupContent(contentName)));
    expect((await stack.gateway.getGroupSnapshot(DRIVER, { groupSnapshotId: handle, snapshotIds: ids }))?.groupSnapshotId).toBe(handle);

    // ... and can be imported again as a pre-provisioned group (groupSnapshotHandles), then deleted for good.
    await stack.kube.create<VolumeGroupSnapshotContent>(RESOURCES.volumegroupsnapshotcontents, {
      apiVersion: GROUP_SNAPSHOT_API_VERSION,
      kind: "VolumeGroupSnapshotContent",
      metadata: { name: "imported-content" },
      spec: {
        volumeGroupSnapshotRef: { name: "imported", namespace: "default" },
        deletionPolicy: "Delete",
        driver: DRIVER,
        source: { groupSnapshotHandles: { volumeGroupSnapshotHandle: handle, volumeSnapshotHandles: ids } },
      },
    });
    const imported = await createGroup("imported", { volumeGroupSnapshotContentName: "imported-content" }, "group-retain");
    await stack.settle(async () => (await group("imported"))?.status?.readyToUse === true);
    expect((await group("imported"))!.status).toEqual({ boundVolumeGroupSnapshotContentName: "imported-content", readyToUse: true, creationTime: expect.stringMatching(/Z$/) });
    const importedContent = (await groupContent("imported-content"))!;
    expect(importedContent.spec.volumeGroupSnapshotRef).toMatchObject({ uid: imported.metadata.uid, name: "imported" });
    expect(importedContent.spec.volumeGroupSnapshotClassName).toBe("group-retain");
    // Upstream records no info list and creates no members for a pre-provisioned group.
    expect(importedContent.status).toEqual({ volumeGroupSnapshotHandle: handle, readyToUse: true, creationTime: expect.stringMatching(/Z$/) });
    expect((await stack.list<VolumeSnapshot>("volumesnapshots", "default")).filter((vs) => vs.metadata.ownerReferences?.some((o) => o.uid === imported.metadata.uid))).toEqual([]);

    await stack.kube.delete(RESOURCES.volumegroupsnapshots, "imported", "default");
    await stack.settle(async () => !(await group("imported")) && !(await groupContent("imported-content")), 30);
    await expect(stack.gateway.getGroupSnapshot(DRIVER, { groupSnapshotId: handle, snapshotIds: ids })).rejects.toMatchObject({ code: "NOT_FOUND" });
    // The retained member contents named the group's snapshots; those are gone at the backend with it.
    for (const name of memberContents) await stack.kube.delete(RESOURCES.volumesnapshotcontents, name);
  });
});

describe("metrics", () => {
  it("records upstream's group operation names", async () => {
    const text = await snapshotMetricsRegistry.metrics();
    for (const op of ["CreateGroupSnapshot", "CreateGroupSnapshotAndReady", "DeleteGroupSnapshot"]) {
      expect(text).toMatch(new RegExp(`snapshot_controller_operation_total_seconds_count\\{[^}]*operation_name="${op}"[^}]*\\} [1-9]`));
    }
  });
});

// external-snapshotter csi_handler.go GetGroupSnapshotStatus + groupsnapshot_helper.go
// checkandUpdateGroupSnapshotContentStatus: the driver's GetVolumeGroupSnapshot error, quoted.
describe("a pre-provisioned group the driver does not have", () => {
  it("reports the driver's NOT_FOUND in upstream's check-and-update error status and Event", async () => {
    await stack.kube.create<VolumeGroupSnapshotContent>(RESOURCES.volumegroupsnapshotcontents, {
      apiVersion: GROUP_SNAPSHOT_API_VERSION,
      kind: "VolumeGroupSnapshotContent",
      metadata: { name: "missing-content" },
      spec: {
        volumeGroupSnapshotRef: { name: "missing", namespace: "default" },
        deletionPolicy: "Retain",
        driver: DRIVER,
        source: { groupSnapshotHandles: { volumeGroupSnapshotHandle: "not-a-group-here", volumeSnapshotHandles: ["not-a-snapshot-here"] } },
      },
    });
    await stack.settle(async () => !!(await groupContent("missing-content"))?.status?.error);
    const message =
      'Failed to check and update group snapshot content: failed to list group snapshot for group snapshot content missing-content: "rpc error: code = NotFound desc = group snapshot not-a-group-here does not exist"';
    const vgsc = (await groupContent("missing-content"))!;
    expect(vgsc.status).toEqual({ readyToUse: false, error: { time: expect.any(String), message } });
    expect(await stack.eventsFor(vgsc.metadata.uid!)).toContain(`Warning GroupSnapshotContentCheckandUpdateFailed: ${message}`);
    await stack.kube.delete(RESOURCES.volumegroupsnapshotcontents, "missing-content");
    await stack.settle(async () => !(await groupContent("missing-content")));
  });
});

describe("groups that cannot be cut", () => {
  it("a selector matching no PVC reports upstream's error and creates nothing", async () => {
    await createGroup("empty", { selector: { matchLabels: { group: "nobody" } } }, "group-default");
    await stack.settle(async () => !!(await group("empty"))?.status?.error);
    const g = (await group("empty"))!;
    expect(g.status).toEqual({
      readyToUse: false,
      error: {
        time: expect.any(String),
        message: 'failed to create group snapshot content with error failed to get input parameters to create group snapshot empty: "label selector group=nobody for group snapshot not applied to any PVC"',
      },
    });
    expect(await groupContent(`groupsnapcontent-${g.metadata.uid}`)).toBeUndefined();
    await stack.kube.delete(RESOURCES.volumegroupsnapshots, "empty", "default");
    await stack.settle(async () => !(await group("empty")));
  });

  it("a selector the API could never evaluate (invalid label key) is reported on the group, not dropped", async () => {
    await createGroup("bad-selector", { selector: { matchLabels: { "bad key": "x" } } }, "group-default");
    await stack.settle(async () => !!(await group("bad-selector"))?.status?.error);
    expect((await group("bad-selector"))!.status?.error?.message).toMatch(
      /^failed to create group snapshot content with error failed to get input parameters to create group snapshot bad-selector: "invalid label key \\"bad key\\"/,
    );
    await stack.kube.delete(RESOURCES.volumegroupsnapshots, "bad-selector", "default");
    await stack.settle(async () => !(await group("bad-selector")));
  });

  it("a member volume gone at the backend fails the whole group and leaves no member snapshot behind", async () => {
    const a = await stack.createBoundClaim("lost-a", { app: "lost" });
    const b = await stack.createBoundClaim("lost-b", { app: "lost" });
    await stack.gateway.deleteVolume(DRIVER, { volumeId: b.volumeHandle });
    const before = (await stack.gateway.listSnapshots(DRIVER, {})).entries.length;
    const uid = (await createGroup("lost", { selector: { matchLabels: { app: "lost" } } }, "group-default")).metadata.uid!;
    await stack.settle(async () => !!(await group("lost"))?.status?.error);
    const g = (await group("lost"))!;
    expect(g.status?.readyToUse).toBe(false);
    // The first attempt reports "Failed to create …"; later retries (the content has a status by
    // then) report upstream's "Failed to check and update …" with the same cause.
    expect(g.status?.error?.message).toMatch(/^Failed to (create group snapshot|check and update group snapshot content): failed to take group snapshot of the volumes \[(\S+) (\S+)\]: "rpc error: code = NotFound/);
    expect(g.status?.error?.message).toContain(`[${a.volumeHandle} ${b.volumeHandle}]`);
    const vgsc = (await groupContent(`groupsnapcontent-${uid}`))!;
    // A definite (final) failure: no create in flight, so deletion may proceed.
    expect(vgsc.metadata.annotations ?? {}).not.toHaveProperty(ANNOTATIONS.groupBeingCreated);
    expect((await stack.gateway.listSnapshots(DRIVER, {})).entries.length).toBe(before);
    expect((await stack.list<VolumeSnapshot>("volumesnapshots", "default")).filter((vs) => vs.metadata.ownerReferences?.some((o) => o.uid === uid))).toEqual([]);

    await stack.kube.delete(RESOURCES.volumegroupsnapshots, "lost", "default");
    await stack.settle(async () => !(await group("lost")) && !(await groupContent(`groupsnapcontent-${uid}`)), 30);
  });
});
