import "aws-sdk-client-mock-vitest/extend";
import {
  CreateSnapshotsCommand,
  DeleteSnapshotCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  type Instance,
  type Volume,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { chooseInstance, planInstanceCut } from "./groups.js";
import { DRIVER, ec2Error, testBackend } from "./testing.js";

const ec2 = mockClient(EC2Client);
beforeEach(() => ec2.reset());

const START = new Date("2026-11-22T10:00:00.000Z");

function vol(id: string, ...instances: string[]): Volume {
  return { VolumeId: id, Size: 10, Attachments: instances.map((i) => ({ InstanceId: i, VolumeId: id, State: "attached" as const })) };
}

function instance(id: string, root: string, volumes: Record<string, string>): Instance {
  return {
    InstanceId: id,
    RootDeviceName: root,
    BlockDeviceMappings: Object.entries(volumes).map(([device, volumeId]) => ({ DeviceName: device, Ebs: { VolumeId: volumeId } })),
  };
}

function memberSnap(id: string, volume: string, state = "pending") {
  return { SnapshotId: id, VolumeId: volume, State: state as "pending", StartTime: START, VolumeSize: 10 };
}

// i-1: boot vol-root on /dev/xvda, members vol-a and vol-b, an unrelated vol-logs.
const I1 = instance("i-1", "/dev/xvda", { "/dev/xvda": "vol-root", "/dev/xvdb": "vol-a", "/dev/xvdc": "vol-b", "/dev/xvdd": "vol-logs" });

describe("chooseInstance / planInstanceCut (pure)", () => {
  it("finds the instance every member is attached to, multi-attach included", () => {
    expect(chooseInstance(["vol-a", "vol-b"], [vol("vol-a", "i-1"), vol("vol-b", "i-1")])).toBe("i-1");
    expect(chooseInstance(["vol-a", "vol-b"], [vol("vol-a", "i-2", "i-1"), vol("vol-b", "i-1")])).toBe("i-1");
  });

  it("refuses members on several instances with FAILED_PRECONDITION naming where each is", () => {
    expect(() => chooseInstance(["vol-a", "vol-b"], [vol("vol-a", "i-1"), vol("vol-b", "i-2")])).toThrow(
      /attached to different instances \(vol-a on i-1, vol-b on i-2\)/,
    );
  });

  it("refuses unattached members", () => {
    expect(() => chooseInstance(["vol-a", "vol-b"], [vol("vol-a", "i-1"), vol("vol-b")])).toThrow(/volumes vol-b are not attached to any instance/);
  });

  it("ignores detached attachments", () => {
    const detached: Volume = { VolumeId: "vol-b", Attachments: [{ InstanceId: "i-1", State: "detached" }] };
    expect(() => chooseInstance(["vol-a", "vol-b"], [vol("vol-a", "i-1"), detached])).toThrow(/not attached/);
  });

  it("excludes the boot volume and every non-member data volume", () => {
    expect(planInstanceCut(["vol-a", "vol-b"], I1)).toEqual({ instanceId: "i-1", excludeBootVolume: true, excludeDataVolumeIds: ["vol-logs"] });
  });

  it("keeps the boot volume when it is a member", () => {
    expect(planInstanceCut(["vol-root", "vol-a"], I1)).toEqual({
      instanceId: "i-1",
      excludeBootVolume: false,
      excludeDataVolumeIds: ["vol-b", "vol-logs"],
    });
  });
});

describe("createGroupSnapshot", () => {
  function happyPath() {
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [vol("vol-a", "i-1"), vol("vol-b", "i-1")] });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [I1] }] });
    ec2.on(CreateSnapshotsCommand).resolves({ Snapshots: [memberSnap("snap-a", "vol-a"), memberSnap("snap-b", "vol-b")] });
  }

  it("cuts the members of one instance with CreateSnapshots, other volumes excluded, tagged with the group name", async () => {
    const { backend } = testBackend({ clusterName: "prod" });
    happyPath();
    const info = await backend.createGroupSnapshot({ name: "groupsnapshot-uid-9", sourceVolumeIds: ["vol-a", "vol-b"] });

    expect(ec2).toHaveReceivedCommandExactlyOnceWith(DescribeSnapshotsCommand, {
      OwnerIds: ["self"],
      Filters: [{ Name: "tag:CSIVolumeGroupSnapshotName", Values: ["groupsnapshot-uid-9"] }],
    });
    expect(ec2).toHaveReceivedCommandWith(DescribeVolumesCommand, { VolumeIds: ["vol-a", "vol-b"] });
    expect(ec2).toHaveReceivedCommandWith(DescribeInstancesCommand, { InstanceIds: ["i-1"] });
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(CreateSnapshotsCommand, {
      InstanceSpecification: { InstanceId: "i-1", ExcludeBootVolume: true, ExcludeDataVolumeIds: ["vol-logs"] },
      Description: `Created by snapflow (${DRIVER}) for group snapshot groupsnapshot-uid-9`,
      TagSpecifications: [
        {
          ResourceType: "snapshot",
          Tags: [
            { Key: "CSIVolumeGroupSnapshotName", Value: "groupsnapshot-uid-9" },
            { Key: "ebs.csi.aws.com/cluster", Value: "true" },
            { Key: "kubernetes.io/cluster/prod", Value: "owned" },
            { Key: "Name", Value: "prod-dynamic-groupsnapshot-uid-9" },
            { Key: "ebs.csi.aws.com/cluster-name", Value: "prod" },
          ],
        },
      ],
    });
    expect(info).toMatchObject({
      groupSnapshotId: "groupsnapshot-uid-9",
      readyToUse: false,
      creationTimeNs: (BigInt(START.getTime()) * 1_000_000n).toString(),
      snapshots: [
        { snapshotId: "snap-a", sourceVolumeId: "vol-a", groupSnapshotId: "groupsnapshot-uid-9", sizeBytes: 10 * 1024 ** 3 },
        { snapshotId: "snap-b", sourceVolumeId: "vol-b", groupSnapshotId: "groupsnapshot-uid-9" },
      ],
    });
  });

  it("omits ExcludeDataVolumeIds when nothing else is attached", async () => {
    const { backend } = testBackend();
    happyPath();
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [instance("i-1", "/dev/xvda", { "/dev/xvda": "vol-root", "/dev/xvdb": "vol-a", "/dev/xvdc": "vol-b" })] }],
    });
    await backend.createGroupSnapshot({ name: "g", sourceVolumeIds: ["vol-a", "vol-b"] });
    const input = ec2.commandCalls(CreateSnapshotsCommand)[0]!.args[0].input;
    expect(input.InstanceSpecification).toEqual({ InstanceId: "i-1", ExcludeBootVolume: true });
  });

  it("returns the tagged members on a repeat without cutting again", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [memberSnap("snap-a", "vol-a", "completed"), memberSnap("snap-b", "vol-b", "completed")] });
    const info = await backend.createGroupSnapshot({ name: "g", sourceVolumeIds: ["vol-b", "vol-a"] });
    expect(info.readyToUse).toBe(true);
    expect(info.snapshots.map((s) => s.snapshotId)).toEqual(["snap-a", "snap-b"]);
    expect(ec2).not.toHaveReceivedCommand(CreateSnapshotsCommand);
    expect(ec2).not.toHaveReceivedCommand(DescribeVolumesCommand);
  });

  it("answers ALREADY_EXISTS when the name was used for other members", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [memberSnap("snap-a", "vol-a")] });
    await expect(backend.createGroupSnapshot({ name: "g", sourceVolumeIds: ["vol-a", "vol-b"] })).rejects.toMatchObject({
      code: "ALREADY_EXISTS",
    });
  });

  it("refuses members on several instances and cuts nothing", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [vol("vol-a", "i-1"), vol("vol-b", "i-2")] });
    const err = await backend.createGroupSnapshot({ name: "g", sourceVolumeIds: ["vol-a", "vol-b"] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "FAILED_PRECONDITION", retryable: false });
    expect((err as Error).message).toMatch(/crash-consistent only across the volumes of one instance/);
    expect(ec2).not.toHaveReceivedCommand(CreateSnapshotsCommand);
    expect(ec2).not.toHaveReceivedCommand(DescribeInstancesCommand);
  });

  it("refuses unattached members and cuts nothing", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [vol("vol-a"), vol("vol-b", "i-1")] });
    await expect(backend.createGroupSnapshot({ name: "g", sourceVolumeIds: ["vol-a", "vol-b"] })).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      message: expect.stringContaining("vol-a are not attached"),
    });
    expect(ec2).not.toHaveReceivedCommand(CreateSnapshotsCommand);
  });

  it("passes a missing member volume on as NOT_FOUND with EC2's message", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    ec2.on(DescribeVolumesCommand).rejects(ec2Error("InvalidVolume.NotFound", "The volume 'vol-b' does not exist."));
    await expect(backend.createGroupSnapshot({ name: "g", sourceVolumeIds: ["vol-a", "vol-b"] })).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringContaining("The volume 'vol-b' does not exist."),
    });
  });

  it("deletes the snapshot of a volume attached mid-way that is no member", async () => {
    const { backend } = testBackend();
    happyPath();
    ec2.on(CreateSnapshotsCommand).resolves({
      Snapshots: [memberSnap("snap-a", "vol-a"), memberSnap("snap-b", "vol-b"), memberSnap("snap-new", "vol-new")],
    });
    ec2.on(DeleteSnapshotCommand).resolves({});
    const info = await backend.createGroupSnapshot({ name: "g", sourceVolumeIds: ["vol-a", "vol-b"] });
    expect(info.snapshots.map((s) => s.snapshotId)).toEqual(["snap-a", "snap-b"]);
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(DeleteSnapshotCommand, { SnapshotId: "snap-new" });
  });

  it("discards the whole cut when a member was detached mid-way", async () => {
    const { backend } = testBackend();
    happyPath();
    ec2.on(CreateSnapshotsCommand).resolves({ Snapshots: [memberSnap("snap-a", "vol-a")] });
    ec2.on(DeleteSnapshotCommand).resolves({});
    await expect(backend.createGroupSnapshot({ name: "g", sourceVolumeIds: ["vol-a", "vol-b"] })).rejects.toMatchObject({ code: "ABORTED" });
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(DeleteSnapshotCommand, { SnapshotId: "snap-a" });
  });

  it("retries a throttled CreateSnapshots and cuts once", async () => {
    const { backend, clock } = testBackend();
    happyPath();
    ec2.on(CreateSnapshotsCommand)
      .rejectsOnce(ec2Error("RequestLimitExceeded"))
      .resolves({ Snapshots: [memberSnap("snap-a", "vol-a"), memberSnap("snap-b", "vol-b")] });
    await backend.createGroupSnapshot({ name: "g", sourceVolumeIds: ["vol-a", "vol-b"] });
    expect(ec2).toHaveReceivedCommandTimes(CreateSnapshotsCommand, 2);
    expect(clock.sleeps).toHaveLength(1);
  });
});

describe("getGroupSnapshot / deleteGroupSnapshot", () => {
  it("reports readiness once every member completed", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeSnapshotsCommand)
      .resolvesOnce({ Snapshots: [memberSnap("snap-a", "vol-a", "completed"), memberSnap("snap-b", "vol-b", "pending")] })
      .resolves({ Snapshots: [memberSnap("snap-a", "vol-a", "completed"), memberSnap("snap-b", "vol-b", "completed")] });
    const ref = { groupSnapshotId: "g", snapshotIds: ["snap-a", "snap-b"] };
    expect((await backend.getGroupSnapshot(ref))?.readyToUse).toBe(false);
    expect((await backend.getGroupSnapshot(ref))?.readyToUse).toBe(true);
  });

  it("answers NOT_FOUND, as a CSI driver does, for a group EC2 does not know", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeSnapshotsCommand, { OwnerIds: ["self"] }).resolves({ Snapshots: [] });
    ec2.on(DescribeSnapshotsCommand, { SnapshotIds: ["snap-a"] }).rejects(ec2Error("InvalidSnapshot.NotFound"));
    await expect(backend.getGroupSnapshot({ groupSnapshotId: "g", snapshotIds: ["snap-a"] })).rejects.toMatchObject({ code: "NOT_FOUND", message: "group snapshot g does not exist", retryable: false });
  });

  it("fails a group with an errored member for good", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [memberSnap("snap-a", "vol-a", "error")] });
    await expect(backend.getGroupSnapshot({ groupSnapshotId: "g", snapshotIds: [] })).rejects.toMatchObject({ code: "INTERNAL", retryable: false });
  });

  it("deletes every member: the listed ids and the tagged ones, gone ones included", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [memberSnap("snap-a", "vol-a"), memberSnap("snap-c", "vol-c")] });
    ec2.on(DeleteSnapshotCommand).resolves({});
    ec2.on(DeleteSnapshotCommand, { SnapshotId: "snap-b" }).rejects(ec2Error("InvalidSnapshot.NotFound"));
    await backend.deleteGroupSnapshot({ groupSnapshotId: "g", snapshotIds: ["snap-a", "snap-b"] });
    expect(ec2).toHaveReceivedCommandTimes(DeleteSnapshotCommand, 3);
    for (const id of ["snap-a", "snap-b", "snap-c"]) expect(ec2).toHaveReceivedCommandWith(DeleteSnapshotCommand, { SnapshotId: id });
  });
});
