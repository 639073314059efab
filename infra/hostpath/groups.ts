// CreateVolumeGroupSnapshot, DeleteVolumeGroupSnapshot and GetVolumeGroupSnapshot.
//
// Consistency offered: the driver takes the lock of every member volume (in a fixed order) before
// it cuts, copies all members while holding them, and records the group and all member snapshots
// in one durable state write. Everything that writes to a volume through this driver (restore and
// clone population, DeleteVolume, and embedders using HostpathDriver.withVolumesLocked) takes the
// same locks, so against those writers the members are cut at one instant: the group is
// crash-consistent across its volumes. An application writing files straight into a volume's
// directory (the `hostPath`) is NOT paused; its writes during the copy may land in some members
// and not others. Freezing such writers (fsfreeze, application quiesce hooks) is outside the driver.
//
// All or nothing: a missing member volume fails the call before anything is copied, and a failure
// while copying removes every member copy made so far; nothing is recorded until all are complete.
import type {
  CreateVolumeGroupSnapshotRequest,
  CreateVolumeGroupSnapshotResponse,
  DeleteVolumeGroupSnapshotRequest,
  GetVolumeGroupSnapshotRequest,
  GetVolumeGroupSnapshotResponse,
  Outgoing,
  VolumeGroupSnapshot,
} from "../../shared/csi/load.js";
import { lockKey, snapshotMessage, stageInto, syncParents, type DriverCore } from "./core.js";
import { alreadyExists, invalidArgument, notFound } from "./errors.js";
import { checkId, checkIdPresent, checkName, isIssuedId, newId } from "./ids.js";
import { removeTree } from "./remove-tree.js";
import type { GroupRecord, SnapshotRecord } from "./state.js";
import { checkMap, nowNs, sameMap, toTimestamp } from "./validate.js";

export async function createGroupSnapshot(
  core: DriverCore,
  req: CreateVolumeGroupSnapshotRequest,
): Promise<Outgoing<CreateVolumeGroupSnapshotResponse>> {
  checkName("name", req.name);
  if (req.sourceVolumeIds.length === 0) throw invalidArgument("source_volume_ids is required");
  req.sourceVolumeIds.forEach((id, i) => checkId(`source_volume_ids[${i}]`, id));
  if (new Set(req.sourceVolumeIds).size !== req.sourceVolumeIds.length) throw invalidArgument("source_volume_ids lists a volume twice");
  checkMap("parameters", req.parameters);

  const keys = [lockKey.groupName(req.name), ...req.sourceVolumeIds.map(lockKey.volume)];
  return core.locks.with(keys, async () => {
    const { state } = core.store;
    const existing = core.store.groupNamed(req.name);
    if (existing) {
      if (!sameSet(existing.sourceVolumeIds, req.sourceVolumeIds)) {
        throw alreadyExists(`group snapshot ${JSON.stringify(req.name)} already exists for other volumes`);
      }
      if (!sameMap(existing.parameters, req.parameters)) {
        throw alreadyExists(`group snapshot ${JSON.stringify(req.name)} already exists with other parameters`);
      }
      return { groupSnapshot: groupMessage(core, existing) };
    }

    const volumes = req.sourceVolumeIds.map((id) => {
      const volume = isIssuedId("volume", id) ? state.volumes[id] : undefined;
      if (!volume) throw notFound(`source volume ${id} does not exist`);
      return volume;
    });

    const group: GroupRecord = {
      id: newId("group"),
      name: req.name,
      sourceVolumeIds: [...req.sourceVolumeIds],
      snapshotIds: [],
      parameters: req.parameters,
      creationTimeNs: nowNs(),
    };
    const members: SnapshotRecord[] = volumes.map((volume) => ({
      id: newId("snapshot"),
      name: "",
      sourceVolumeId: volume.id,
      sizeBytes: volume.capacityBytes,
      creationTimeNs: group.creationTimeNs,
      parameters: {},
      groupId: group.id,
    }));
    group.snapshotIds = members.map((m) => m.id);

    const dirs = members.map((m) => core.layout.snapshotDir(m.id));
    const copies = await Promise.allSettled(
      members.map((member, i) => stageInto(core, { dir: core.layout.volumeDir(member.sourceVolumeId), live: true }, dirs[i]!)),
    );
    try {
      const failed = copies.find((c): c is PromiseRejectedResult => c.status === "rejected");
      if (failed) throw failed.reason;
      await syncParents(core, "snapshots");
      await core.store.commit([...members.map((record) => ({ put: "snapshots" as const, record })), { put: "groups", record: group }]);
    } catch (err) {
      await Promise.all(dirs.map((dir) => removeTree(dir)));
      throw err;
    }
    return { groupSnapshot: groupMessage(core, group) };
  });
}

export async function deleteGroupSnapshot(core: DriverCore, req: DeleteVolumeGroupSnapshotRequest): Promise<Record<string, never>> {
  checkIdPresent("group_snapshot_id", req.groupSnapshotId);
  // A group that does not exist is deleted (OK) whatever else the request says.
  if (!isIssuedId("group", req.groupSnapshotId)) return {};
  const known = core.store.state.groups[req.groupSnapshotId];
  if (!known) return {};
  checkSnapshotIds(req.snapshotIds);
  // Member locks keep a restore from a member from racing the removal of its data.
  const keys = [lockKey.group(known.id), ...known.snapshotIds.map(lockKey.snapshot)];
  return core.locks.with(keys, async () => {
    const group = core.store.state.groups[req.groupSnapshotId];
    if (!group) return {};
    checkMembers(group, req.snapshotIds);
    await core.store.commit([...group.snapshotIds.map((id) => ({ delete: "snapshots" as const, id })), { delete: "groups", id: group.id }]);
    for (const id of group.snapshotIds) await core.layout.discard(core.layout.snapshotDir(id));
    return {};
  });
}

export function getGroupSnapshot(core: DriverCore, req: GetVolumeGroupSnapshotRequest): Outgoing<GetVolumeGroupSnapshotResponse> {
  checkId("group_snapshot_id", req.groupSnapshotId);
  checkSnapshotIds(req.snapshotIds);
  const group = isIssuedId("group", req.groupSnapshotId) ? core.store.state.groups[req.groupSnapshotId] : undefined;
  if (!group) throw notFound(`group snapshot ${req.groupSnapshotId} does not exist`);
  checkMembers(group, req.snapshotIds);
  return { groupSnapshot: groupMessage(core, group) };
}

/**
 * Malformed entries are refused before any lookup, except by a delete of a group that does not
 * exist. An empty list is only judged against an existing group (a mismatch there): the spec answers
 * an unknown group with OK (delete) or NOT_FOUND (get) whatever else the request says, and
 * csi-sanity sends such requests without snapshot_ids.
 */
function checkSnapshotIds(ids: string[]): void {
  ids.forEach((id, i) => checkId(`snapshot_ids[${i}]`, id));
}

function checkMembers(group: GroupRecord, ids: string[]): void {
  if (ids.length === 0) throw invalidArgument(`snapshot_ids is required: the members of group snapshot ${group.id}`);
  if (!sameSet(group.snapshotIds, ids)) throw invalidArgument(`snapshot_ids do not match the members of group snapshot ${group.id}`);
}

function groupMessage(core: DriverCore, group: GroupRecord): Outgoing<VolumeGroupSnapshot> {
  const { snapshots } = core.store.state;
  return {
    groupSnapshotId: group.id,
    snapshots: group.snapshotIds.map((id) => snapshotMessage(snapshots[id]!)),
    creationTime: toTimestamp(group.creationTimeNs),
    readyToUse: true,
  };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((x) => right.has(x));
}
