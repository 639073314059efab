// Table-driven, against the real gRPC server: Get/DeleteVolumeGroupSnapshot for groups that exist or
// not, with and without snapshot_ids. Spec (reference/csi/spec.md): DeleteVolumeGroupSnapshot "If a
// group snapshot corresponding to the specified group_snapshot_id does not exist ... the Plugin MUST
// reply 0 OK"; GetVolumeGroupSnapshot answers NOT_FOUND for a group that does not exist; a
// snapshot_ids mismatch (an empty list included) is INVALID_ARGUMENT for a group that does.
// csi-sanity probes exactly that: Get and Delete with an unknown group id and no snapshot_ids expect
// NOT_FOUND and OK (csi-notes.md §6 item 1). Malformed ids are INVALID_ARGUMENT before any lookup,
// except in a delete of a group that does not exist: that is OK whatever else the request says.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVolume, expectCode, startHarness, type Harness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const MISSING_GROUP = "group-00000000-0000-0000-0000-000000000000";
// csi-sanity's DefaultIDGenerator.GenerateInvalidVolumeID (it uses it for group ids too).
const SANITY_FAKE_ID = "fake-vol-id";

/** A fresh group of two members; ids as the driver issued them. */
async function freshGroup(tag: string): Promise<{ groupId: string; members: string[] }> {
  const a = await createVolume(h.csi, `pvc-gids-${tag}-a`);
  const b = await createVolume(h.csi, `pvc-gids-${tag}-b`);
  const g = (await h.csi.group.CreateVolumeGroupSnapshot({ name: `groupsnapshot-gids-${tag}`, sourceVolumeIds: [a.volumeId, b.volumeId] })).groupSnapshot!;
  return { groupId: g.groupSnapshotId, members: g.snapshots.map((s) => s.snapshotId) };
}

type Group = "existing" | "missing" | "sanity-fake" | "none";
type Ids = "members" | "first member" | "none" | "hostile";
interface Case {
  case: string;
  group: Group;
  ids: Ids;
  expect: "OK" | string;
  /** For deletes of an existing group: whether it is still there afterwards. */
  survives?: boolean;
}

function request(group: Group, ids: Ids, g: { groupId: string; members: string[] }) {
  const groupSnapshotId = { existing: g.groupId, missing: MISSING_GROUP, "sanity-fake": SANITY_FAKE_ID, none: "" }[group];
  const snapshotIds = { members: [...g.members].reverse(), "first member": [g.members[0]!], none: [], hostile: ["../snapshots"] }[ids];
  return { groupSnapshotId, snapshotIds };
}

describe("GetVolumeGroupSnapshot", () => {
  it.each<Case>([
    { case: "unknown group (csi-sanity's fake id), no snapshot_ids", group: "sanity-fake", ids: "none", expect: "NOT_FOUND" },
    { case: "unknown group, no snapshot_ids", group: "missing", ids: "none", expect: "NOT_FOUND" },
    { case: "unknown group, some snapshot_ids", group: "missing", ids: "members", expect: "NOT_FOUND" },
    { case: "unknown group, a path-like snapshot id", group: "missing", ids: "hostile", expect: "INVALID_ARGUMENT" },
    { case: "no group id", group: "none", ids: "members", expect: "INVALID_ARGUMENT" },
    { case: "existing group, its members in any order", group: "existing", ids: "members", expect: "OK" },
    { case: "existing group, no snapshot_ids", group: "existing", ids: "none", expect: "INVALID_ARGUMENT" },
    { case: "existing group, one member missing", group: "existing", ids: "first member", expect: "INVALID_ARGUMENT" },
  ])("$case → $expect", async (c) => {
    const g = await freshGroup(`get-${c.case.replace(/[^a-z]+/g, "-")}`);
    const call = h.csi.group.GetVolumeGroupSnapshot(request(c.group, c.ids, g));
    if (c.expect !== "OK") {
      await expectCode(call, c.expect);
      return;
    }
    const got = (await call).groupSnapshot!;
    expect(got.groupSnapshotId).toBe(g.groupId);
    expect(got.snapshots.map((s) => s.snapshotId)).toEqual(g.members);
  });
});

describe("DeleteVolumeGroupSnapshot", () => {
  it.each<Case>([
    { case: "unknown group (csi-sanity's fake id), no snapshot_ids", group: "sanity-fake", ids: "none", expect: "OK" },
    { case: "unknown group, no snapshot_ids", group: "missing", ids: "none", expect: "OK" },
    { case: "unknown group, some snapshot_ids", group: "missing", ids: "members", expect: "OK" },
    { case: "unknown group, a path-like snapshot id", group: "missing", ids: "hostile", expect: "OK" },
    { case: "no group id", group: "none", ids: "members", expect: "INVALID_ARGUMENT" },
    { case: "existing group, its members in any order", group: "existing", ids: "members", expect: "OK", survives: false },
    { case: "existing group, no snapshot_ids", group: "existing", ids: "none", expect: "INVALID_ARGUMENT", survives: true },
    { case: "existing group, one member missing", group: "existing", ids: "first member", expect: "INVALID_ARGUMENT", survives: true },
    { case: "existing group, a path-like snapshot id", group: "existing", ids: "hostile", expect: "INVALID_ARGUMENT", survives: true },
  ])("$case → $expect", async (c) => {
    const g = await freshGroup(`del-${c.case.replace(/[^a-z]+/g, "-")}`);
    const call = h.csi.group.DeleteVolumeGroupSnapshot(request(c.group, c.ids, g));
    if (c.expect === "OK") await call;
    else await expectCode(call, c.expect);
    // Only the delete of the existing group with its exact members removes it.
    const still = h.csi.group.GetVolumeGroupSnapshot({ groupSnapshotId: g.groupId, snapshotIds: g.members });
    if (c.survives === false) await expectCode(still, "NOT_FOUND");
    else expect((await still).groupSnapshot!.groupSnapshotId).toBe(g.groupId);
  });
});
