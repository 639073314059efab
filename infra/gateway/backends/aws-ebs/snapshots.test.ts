import "aws-sdk-client-mock-vitest/extend";
import { CreateSnapshotCommand, DeleteSnapshotCommand, DescribeSnapshotsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { DRIVER, ec2Error, testBackend } from "./testing.js";

const ec2 = mockClient(EC2Client);
beforeEach(() => ec2.reset());

const START = new Date("2026-11-22T10:00:00.000Z");
const START_NS = (BigInt(START.getTime()) * 1_000_000n).toString();
const GiB = 1024 ** 3;

function snap(id: string, volume: string, state: string, extra: Record<string, unknown> = {}) {
  return { SnapshotId: id, VolumeId: volume, State: state as "pending", StartTime: START, VolumeSize: 8, ...extra };
}

describe("createSnapshot", () => {
  it("looks the CSI name up by tag, then creates with the EBS driver's tags and cluster ownership", async () => {
    const { backend } = testBackend({ clusterName: "prod", tags: { team: "storage" } });
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    ec2.on(CreateSnapshotCommand).resolves(snap("snap-1", "vol-1", "pending"));

    const info = await backend.createSnapshot({ name: "snapshot-uid-1", sourceVolumeId: "vol-1", parameters: { tagSpecification_1: "cost=42" } });

    expect(ec2).toHaveReceivedCommandExactlyOnceWith(DescribeSnapshotsCommand, {
      OwnerIds: ["self"],
      Filters: [{ Name: "tag:CSIVolumeSnapshotName", Values: ["snapshot-uid-1"] }],
    });
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(CreateSnapshotCommand, {
      VolumeId: "vol-1",
      Description: `Created by snapflow (${DRIVER}) for volume vol-1`,
      TagSpecifications: [
        {
          ResourceType: "snapshot",
          Tags: [
            { Key: "CSIVolumeSnapshotName", Value: "snapshot-uid-1" },
            { Key: "ebs.csi.aws.com/cluster", Value: "true" },
            { Key: "kubernetes.io/cluster/prod", Value: "owned" },
            { Key: "Name", Value: "prod-dynamic-snapshot-uid-1" },
            { Key: "ebs.csi.aws.com/cluster-name", Value: "prod" },
            { Key: "team", Value: "storage" },
            { Key: "cost", Value: "42" },
          ],
        },
      ],
    });
    expect(info).toEqual({ snapshotId: "snap-1", sourceVolumeId: "vol-1", creationTimeNs: START_NS, sizeBytes: 8 * GiB, readyToUse: false });
  });

  it("returns the existing snapshot on a repeat and never creates a second one", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [snap("snap-1", "vol-1", "completed")] });

    const first = await backend.createSnapshot({ name: "snapshot-uid-1", sourceVolumeId: "vol-1" });
    const again = await backend.createSnapshot({ name: "snapshot-uid-1", sourceVolumeId: "vol-1" });

    expect(ec2).not.toHaveReceivedCommand(CreateSnapshotCommand);
    expect(first).toEqual(again);
    expect(first.readyToUse).toBe(true);
  });

  it("picks the oldest when several snapshots carry the name", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeSnapshotsCommand).resolves({
      Snapshots: [snap("snap-new", "vol-1", "completed", { StartTime: new Date(START.getTime() + 1000) }), snap("snap-old", "vol-1", "completed")],
    });
    expect((await backend.createSnapshot({ name: "n", sourceVolumeId: "vol-1" })).snapshotId).toBe("snap-old");
  });

  it("refuses a name already used for another volume with ALREADY_EXISTS", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [snap("snap-1", "vol-other", "completed")] });
    await expect(backend.createSnapshot({ name: "n", sourceVolumeId: "vol-1" })).rejects.toMatchObject({
      code: "ALREADY_EXISTS",
      retryable: false,
    });
    expect(ec2).not.toHaveReceivedCommand(CreateSnapshotCommand);
  });

  it("reports an errored snapshot as a final failure with EC2's state message", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [snap("snap-1", "vol-1", "error", { StateMessage: "KMS key disabled" })] });
    await expect(backend.createSnapshot({ name: "n", sourceVolumeId: "vol-1" })).rejects.toMatchObject({
      code: "INTERNAL",
      retryable: false,
      message: "EBS snapshot snap-1 of volume vol-1 is in state error: KMS key disabled",
    });
  });

  it("rejects unknown parameters and bad tag specifications before calling EC2", async () => {
    const { backend } = testBackend();
    await expect(backend.createSnapshot({ name: "n", sourceVolumeId: "v", parameters: { speed: "fast" } })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    await expect(backend.createSnapshot({ name: "n", sourceVolumeId: "v", parameters: { tagSpecification_1: "novalue" } })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    expect(ec2).not.toHaveReceivedAnyCommand();
  });

  it("ignores csi.storage.k8s.io/* metadata parameters", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    ec2.on(CreateSnapshotCommand).resolves(snap("snap-1", "vol-1", "pending"));
    await backend.createSnapshot({ name: "n", sourceVolumeId: "vol-1", parameters: { "csi.storage.k8s.io/volumesnapshot/name": "vs" } });
    expect(ec2).toHaveReceivedCommandTimes(CreateSnapshotCommand, 1);
  });

  it("waits out EC2's per-volume snapshot rate (≥ 15 s) and then succeeds", async () => {
    const { backend, clock, logger } = testBackend();
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    ec2.on(CreateSnapshotCommand)
      .rejectsOnce(ec2Error("SnapshotCreationPerVolumeRateExceeded", "The maximum per volume CreateSnapshot request rate has been exceeded."))
      .resolves(snap("snap-1", "vol-1", "pending"));

    const info = await backend.createSnapshot({ name: "n", sourceVolumeId: "vol-1" });
    expect(info.snapshotId).toBe("snap-1");
    expect(ec2).toHaveReceivedCommandTimes(CreateSnapshotCommand, 2);
    expect(clock.sleeps).toHaveLength(1);
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(15_000);
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: "warn", obj: expect.objectContaining({ ec2Code: "SnapshotCreationPerVolumeRateExceeded" }) }));
  });

  it("surfaces persistent throttling as RESOURCE_EXHAUSTED, retryable, after a bounded number of calls", async () => {
    const { backend, clock } = testBackend({ retry: { maxAttempts: 3, budgetMs: 600_000 } });
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    ec2.on(CreateSnapshotCommand).rejects(ec2Error("RequestLimitExceeded", "Request limit exceeded."));
    await expect(backend.createSnapshot({ name: "n", sourceVolumeId: "vol-1" })).rejects.toMatchObject({ code: "RESOURCE_EXHAUSTED", retryable: true });
    expect(ec2).toHaveReceivedCommandTimes(CreateSnapshotCommand, 3);
    expect(clock.sleeps).toHaveLength(2);
  });

  it.each([
    ["UnauthorizedOperation", "PERMISSION_DENIED"],
    ["AuthFailure", "UNAUTHENTICATED"],
    ["InvalidVolume.NotFound", "NOT_FOUND"],
    ["InvalidParameterValue", "INVALID_ARGUMENT"],
  ])("maps %s to a final %s carrying EC2's message", async (code, csiCode) => {
    const { backend } = testBackend();
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    ec2.on(CreateSnapshotCommand).rejects(ec2Error(code, `message from EC2 (${code})`));
    const err = await backend.createSnapshot({ name: "n", sourceVolumeId: "vol-1" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: csiCode, retryable: false });
    expect((err as Error).message).toContain(`message from EC2 (${code})`);
    expect(ec2).toHaveReceivedCommandTimes(CreateSnapshotCommand, 1);
  });
});

describe("getSnapshot", () => {
  it("follows pending to completed", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeSnapshotsCommand, { SnapshotIds: ["snap-1"] })
      .resolvesOnce({ Snapshots: [snap("snap-1", "vol-1", "pending")] })
      .resolves({ Snapshots: [snap("snap-1", "vol-1", "completed")] });
    expect((await backend.getSnapshot({ snapshotId: "snap-1" }))?.readyToUse).toBe(false);
    expect(await backend.getSnapshot({ snapshotId: "snap-1" })).toEqual({
      snapshotId: "snap-1",
      sourceVolumeId: "vol-1",
      creationTimeNs: START_NS,
      sizeBytes: 8 * GiB,
      readyToUse: true,
    });
    expect(ec2).toHaveReceivedCommandWith(DescribeSnapshotsCommand, { SnapshotIds: ["snap-1"] });
  });

  it("answers undefined for an unknown snapshot", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeSnapshotsCommand).rejects(ec2Error("InvalidSnapshot.NotFound", "The snapshot 'snap-x' does not exist."));
    expect(await backend.getSnapshot({ snapshotId: "snap-x" })).toBeUndefined();
  });

  it("reports the error state as a final failure", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [snap("snap-1", "vol-1", "error")] });
    await expect(backend.getSnapshot({ snapshotId: "snap-1" })).rejects.toMatchObject({ code: "INTERNAL", retryable: false });
  });
});

describe("deleteSnapshot", () => {
  it("sends DeleteSnapshot with the id", async () => {
    const { backend } = testBackend();
    ec2.on(DeleteSnapshotCommand).resolves({});
    await backend.deleteSnapshot({ snapshotId: "snap-1" });
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(DeleteSnapshotCommand, { SnapshotId: "snap-1" });
  });

  it("treats an already deleted snapshot as success", async () => {
    const { backend } = testBackend();
    ec2.on(DeleteSnapshotCommand).rejects(ec2Error("InvalidSnapshot.NotFound"));
    await expect(backend.deleteSnapshot({ snapshotId: "snap-1" })).resolves.toBeUndefined();
  });

  it("keeps a snapshot in use (by an AMI) as FAILED_PRECONDITION, retryable", async () => {
    const { backend } = testBackend();
    ec2.on(DeleteSnapshotCommand).rejects(ec2Error("InvalidSnapshot.InUse", "The snapshot snap-1 is currently in use by ami-1"));
    await expect(backend.deleteSnapshot({ snapshotId: "snap-1" })).rejects.toMatchObject({ code: "FAILED_PRECONDITION", retryable: true });
  });
});

describe("listSnapshots", () => {
  const five = ["a", "b", "c", "d", "e"].map((x, i) => snap(`snap-${x}`, "vol-1", "completed", { StartTime: new Date(START.getTime() + i) }));

  it("filters by source volume and pages below EC2's minimum page size with its own token", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeSnapshotsCommand, { NextToken: undefined }).resolves({ Snapshots: five, NextToken: "ec2-page-2" });
    ec2.on(DescribeSnapshotsCommand, { NextToken: "ec2-page-2" }).resolves({ Snapshots: [snap("snap-f", "vol-1", "completed")] });

    const p1 = await backend.listSnapshots({ sourceVolumeId: "vol-1", maxEntries: 2 });
    expect(p1.entries.map((e) => e.snapshotId)).toEqual(["snap-a", "snap-b"]);
    expect(ec2).toHaveReceivedCommandWith(DescribeSnapshotsCommand, {
      OwnerIds: ["self"],
      Filters: [{ Name: "volume-id", Values: ["vol-1"] }],
      MaxResults: 5,
    });
    const p2 = await backend.listSnapshots({ sourceVolumeId: "vol-1", maxEntries: 2, startingToken: p1.nextToken });
    expect(p2.entries.map((e) => e.snapshotId)).toEqual(["snap-c", "snap-d"]);
    const p3 = await backend.listSnapshots({ sourceVolumeId: "vol-1", maxEntries: 2, startingToken: p2.nextToken });
    expect(p3.entries.map((e) => e.snapshotId)).toEqual(["snap-e"]);
    const p4 = await backend.listSnapshots({ sourceVolumeId: "vol-1", maxEntries: 2, startingToken: p3.nextToken });
    expect(p4).toEqual({ entries: [expect.objectContaining({ snapshotId: "snap-f" })] });
  });

  it("lists one snapshot by id, or nothing", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeSnapshotsCommand, { SnapshotIds: ["snap-1"] }).resolves({ Snapshots: [snap("snap-1", "vol-1", "completed")] });
    ec2.on(DescribeSnapshotsCommand, { SnapshotIds: ["snap-2"] }).rejects(ec2Error("InvalidSnapshot.NotFound"));
    expect((await backend.listSnapshots({ snapshotId: "snap-1" })).entries).toHaveLength(1);
    expect(await backend.listSnapshots({ snapshotId: "snap-2" })).toEqual({ entries: [] });
  });

  it("refuses a token it did not issue", async () => {
    const { backend } = testBackend();
    await expect(backend.listSnapshots({ startingToken: "garbage" })).rejects.toMatchObject({ code: "ABORTED", retryable: false });
  });
});
