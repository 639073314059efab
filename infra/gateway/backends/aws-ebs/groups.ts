// Group snapshots through EC2 multi-volume snapshots (CreateSnapshots with an
// InstanceSpecification): EC2 cuts every selected volume of one instance at the same point in time,
// which makes the group crash-consistent. That holds only for volumes attached to one instance, so
// anything else is refused rather than cut as independent, inconsistent snapshots.
//
// EC2 has no group object. The group is the set of snapshots tagged GROUP_NAME_TAG = <CSI group
// name>, and that name is also the group snapshot id.
import {
  CreateSnapshotsCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  type Instance,
  type Volume,
} from "@aws-sdk/client-ec2";
import { GatewayError, type GroupSnapshotInfo, type SnapshotInfo } from "../../../../shared/gateway/types.js";
import type { EbsContext } from "./context.js";
import {
  byStartTime,
  deleteSnapshot,
  describeSnapshot,
  describeSnapshotsByTag,
  failIfErrored,
  snapshotParameterTags,
  toSnapshotInfo,
  type Ec2SnapshotFields,
} from "./snapshots.js";
import { GROUP_NAME_TAG, resourceTags, tagSpecification } from "./tags.js";

/** What CreateSnapshots needs to cut exactly the members: the instance and the volumes to leave out. */
export interface InstanceCut {
  instanceId: string;
  excludeBootVolume: boolean;
  excludeDataVolumeIds: string[];
}

const LIVE_ATTACHMENT = new Set(["attached", "attaching"]);

function attachedInstances(v: Volume): string[] {
  return (v.Attachments ?? []).filter((a) => a.InstanceId && LIVE_ATTACHMENT.has(String(a.State))).map((a) => a.InstanceId!);
}

/**
 * Picks the one instance all members are attached to, or explains why there is none. Pure: the
 * volumes as DescribeVolumes returned them.
 */
export function chooseInstance(members: string[], volumes: Volume[]): string {
  const byId = new Map(volumes.map((v) => [v.VolumeId!, v]));
  const missing = members.filter((id) => !byId.has(id));
  if (missing.length > 0) throw new GatewayError("NOT_FOUND", `group member volumes not found in EC2: ${missing.join(", ")}`, false);
  const unattached = members.filter((id) => attachedInstances(byId.get(id)!).length === 0);
  if (unattached.length > 0) {
    throw new GatewayError(
      "FAILED_PRECONDITION",
      `cannot cut a crash-consistent group snapshot: volumes ${unattached.join(", ")} are not attached to any instance. ` +
        "EC2 multi-volume snapshots are taken per instance; attach every member to one instance (run the workload) and retry",
      false,
    );
  }
  // Multi-attach volumes may sit on several instances: any instance common to all members will do.
  let common = new Set(attachedInstances(byId.get(members[0]!)!));
  for (const id of members.slice(1)) {
    const here = new Set(attachedInstances(byId.get(id)!));
    common = new Set([...common].filter((i) => here.has(i)));
  }
  if (common.size === 0) {
    const where = members.map((id) => `${id} on ${attachedInstances(byId.get(id)!).join("+")}`).join(", ");
    throw new GatewayError(
      "FAILED_PRECONDITION",
      `cannot cut a crash-consistent group snapshot: the member volumes are attached to different instances (${where}). ` +
        "EC2 multi-volume snapshots are crash-consistent only across the volumes of one instance; snapflow refuses rather than cut them independently",
      false,
    );
  }
  return [...common].sort()[0]!;
}

/** Which of the instance's EBS volumes to leave out so that only the members are cut. Pure. */
export function planInstanceCut(members: string[], instance: Instance): InstanceCut {
  const memberSet = new Set(members);
  const mappings = (instance.BlockDeviceMappings ?? []).filter((m) => m.Ebs?.VolumeId);
  const boot = mappings.find((m) => m.DeviceName === instance.RootDeviceName)?.Ebs?.VolumeId;
  const attached = new Set(mappings.map((m) => m.Ebs!.VolumeId!));
  const notOnInstance = members.filter((id) => !attached.has(id));
  if (notOnInstance.length > 0) {
    // DescribeVolumes and DescribeInstances disagree: an attachment changed between the two calls.
    throw new GatewayError("ABORTED", `volumes ${notOnInstance.join(", ")} are no longer attached to ${instance.InstanceId}; try again`);
  }
  return {
    instanceId: instance.InstanceId!,
    excludeBootVolume: boot === undefined || !memberSet.has(boot),
    // EC2 refuses the boot volume in this list; it is left out through ExcludeBootVolume instead.
    excludeDataVolumeIds: [...attached].filter((id) => !memberSet.has(id) && id !== boot).sort(),
  };
}

function groupInfo(groupSnapshotId: string, snapshots: Ec2SnapshotFields[]): GroupSnapshotInfo {
  const members: SnapshotInfo[] = [...snapshots].sort(byStartTime).map((s) => toSnapshotInfo(s, groupSnapshotId));
  const earliest = snapshots.map((s) => s.StartTime?.getTime()).filter((t): t is number => t !== undefined);
  return {
    groupSnapshotId,
    snapshots: members,
    creationTimeNs: earliest.length ? (BigInt(Math.min(...earliest)) * 1_000_000n).toString() : "0",
    readyToUse: members.length > 0 && members.every((m) => m.readyToUse),
  };
}

function sameSet(a: string[], b: string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

export async function createGroupSnapshot(
  ctx: EbsContext,
  req: { name: string; sourceVolumeIds: string[]; parameters?: Record<string, string> },
): Promise<GroupSnapshotInfo> {
  if (!req.name) throw new GatewayError("INVALID_ARGUMENT", "group snapshot name is required");
  const members = [...new Set(req.sourceVolumeIds)];
  if (members.length === 0) throw new GatewayError("INVALID_ARGUMENT", "sourceVolumeIds must name at least one volume");
  const perRequest = snapshotParameterTags(req.parameters, "CreateVolumeGroupSnapshot");

  const existing = await describeSnapshotsByTag(ctx, GROUP_NAME_TAG, req.name);
  if (existing.length > 0) {
    const have = existing.map((s) => s.VolumeId ?? "");
    if (!sameSet(have, members)) {
      throw new GatewayError(
        "ALREADY_EXISTS",
        `group snapshot ${req.name} already exists with member volumes ${[...have].sort().join(", ")}, not ${[...members].sort().join(", ")}`,
        false,
      );
    }
    existing.forEach(failIfErrored);
    return groupInfo(req.name, existing);
  }

  const described = await ctx.call("DescribeVolumes", (c) => c.send(new DescribeVolumesCommand({ VolumeIds: members })));
  const instanceId = chooseInstance(members, described.Volumes ?? []);
  const reservations = await ctx.call("DescribeInstances", (c) => c.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })));
  const instance = reservations.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
  if (!instance) throw new GatewayError("ABORTED", `instance ${instanceId} holding the members is not visible to DescribeInstances; try again`);
  const cut = planInstanceCut(members, instance);

  const tags = resourceTags({
    driverName: ctx.driverName,
    clusterName: ctx.config.clusterName,
    nameTag: [GROUP_NAME_TAG, req.name],
    extra: ctx.config.tags,
    perRequest,
  });
  const created = await ctx.call("CreateSnapshots", (c) =>
    c.send(
      new CreateSnapshotsCommand({
        InstanceSpecification: {
          InstanceId: cut.instanceId,
          ExcludeBootVolume: cut.excludeBootVolume,
          ExcludeDataVolumeIds: cut.excludeDataVolumeIds.length ? cut.excludeDataVolumeIds : undefined,
        },
        Description: `Created by snapflow (${ctx.driverName}) for group snapshot ${req.name}`,
        TagSpecifications: [tagSpecification("snapshot", tags)],
      }),
    ),
  );
  const cutSnapshots = created.Snapshots ?? [];
  const memberSet = new Set(members);
  // A volume attached between DescribeInstances and CreateSnapshots is cut too: not a member, so its snapshot goes.
  const strays = cutSnapshots.filter((s) => !memberSet.has(s.VolumeId ?? ""));
  const kept = cutSnapshots.filter((s) => memberSet.has(s.VolumeId ?? ""));
  const absent = members.filter((id) => !kept.some((s) => s.VolumeId === id));
  if (absent.length > 0) {
    // A member detached meanwhile: the cut does not cover the group, so none of it is kept.
    for (const s of cutSnapshots) await deleteSnapshot(ctx, s.SnapshotId!);
    throw new GatewayError("ABORTED", `members ${absent.join(", ")} were not part of the multi-volume snapshot of ${cut.instanceId} (detached meanwhile?); the partial cut was deleted, try again`);
  }
  for (const s of strays) await deleteSnapshot(ctx, s.SnapshotId!);
  ctx.log.info(
    { driver: ctx.driverName, name: req.name, instanceId: cut.instanceId, snapshotIds: kept.map((s) => s.SnapshotId) },
    "group snapshot cut",
  );
  kept.forEach(failIfErrored);
  return groupInfo(req.name, kept);
}

/** Members found by the group tag, plus any listed ids without it (a statically imported group). */
async function findMembers(ctx: EbsContext, groupSnapshotId: string, snapshotIds: string[]): Promise<{ found: Ec2SnapshotFields[]; missing: string[] }> {
  const found: Ec2SnapshotFields[] = await describeSnapshotsByTag(ctx, GROUP_NAME_TAG, groupSnapshotId);
  const missing: string[] = [];
  for (const id of snapshotIds) {
    if (found.some((s) => s.SnapshotId === id)) continue;
    const s = await describeSnapshot(ctx, id);
    if (s) found.push(s);
    else missing.push(id);
  }
  return { found, missing };
}

export async function getGroupSnapshot(
  ctx: EbsContext,
  req: { groupSnapshotId: string; snapshotIds: string[] },
): Promise<GroupSnapshotInfo> {
  const { found, missing } = await findMembers(ctx, req.groupSnapshotId, req.snapshotIds);
  if (found.length === 0) throw new GatewayError("NOT_FOUND", `group snapshot ${req.groupSnapshotId} does not exist`, false);
  if (missing.length > 0) {
    throw new GatewayError("NOT_FOUND", `group snapshot ${req.groupSnapshotId}: member snapshots ${missing.join(", ")} no longer exist`, false);
  }
  found.forEach(failIfErrored);
  return groupInfo(req.groupSnapshotId, found);
}

export async function deleteGroupSnapshot(ctx: EbsContext, req: { groupSnapshotId: string; snapshotIds: string[] }): Promise<void> {
  const tagged = await describeSnapshotsByTag(ctx, GROUP_NAME_TAG, req.groupSnapshotId);
  const ids = new Set([...req.snapshotIds, ...tagged.map((s) => s.SnapshotId!)]);
  for (const id of [...ids].sort()) await deleteSnapshot(ctx, id);
}
