import "aws-sdk-client-mock-vitest/extend";
import { createHash } from "node:crypto";
import {
  CopyVolumesCommand,
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DescribeVolumesCommand,
  DescribeVolumesModificationsCommand,
  EC2Client,
  ModifyVolumeCommand,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { VolumeCapability } from "../../../../shared/gateway/types.js";
import { clientToken, requestedGib } from "./volumes.js";
import { ec2Error, testBackend } from "./testing.js";

const ec2 = mockClient(EC2Client);
beforeEach(() => ec2.reset());

const GiB = 1024 ** 3;
const RWO: VolumeCapability[] = [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Filesystem", fsType: "ext4" }];
const ZONE_TOPOLOGY = { preferred: [{ segments: { "topology.kubernetes.io/zone": "eu-west-1b" } }], requisite: [] };

describe("clientToken / requestedGib (pure)", () => {
  it("derives a 64-character token from the CSI name", () => {
    const t = clientToken("pvc-0b9f4f5e-0000-4000-8000-000000000001");
    expect(t).toHaveLength(64);
    expect(t).toBe(createHash("sha256").update("pvc-0b9f4f5e-0000-4000-8000-000000000001").digest("hex"));
    expect(clientToken("a")).not.toBe(clientToken("b"));
  });

  it("rounds up to whole GiB and honours the limit", () => {
    expect(requestedGib({ requiredBytes: 1 }, false)).toBe(1);
    expect(requestedGib({ requiredBytes: 5 * GiB + 1 }, false)).toBe(6);
    expect(requestedGib({}, false)).toBe(100);
    expect(requestedGib({}, true)).toBeUndefined();
    expect(requestedGib({ limitBytes: 20 * GiB }, false)).toBe(20);
    expect(() => requestedGib({ requiredBytes: 5 * GiB + 1, limitBytes: 5 * GiB + 10 }, false)).toThrow(/exceeds limitBytes/);
  });
});

describe("createVolume", () => {
  it("creates a blank volume with the EBS driver's parameters and tags, waits until available, returns the driver's context", async () => {
    const { backend, clock } = testBackend({ clusterName: "prod" });
    ec2.on(CreateVolumeCommand).resolves({ VolumeId: "vol-9", Size: 10, State: "creating" });
    ec2.on(DescribeVolumesCommand)
      .resolvesOnce({ Volumes: [{ VolumeId: "vol-9", Size: 10, State: "creating" }] })
      .resolves({ Volumes: [{ VolumeId: "vol-9", Size: 10, State: "available" }] });

    const info = await backend.createVolume({
      name: "pvc-1",
      requiredBytes: 10 * GiB,
      capabilities: RWO,
      accessibilityRequirements: ZONE_TOPOLOGY,
      parameters: {
        type: "io2",
        iops: "4000",
        encrypted: "true",
        kmsKeyId: "arn:aws:kms:eu-west-1:111122223333:key/k-1",
        blockSize: "4096",
        "csi.storage.k8s.io/fstype": "ext4",
        "csi.storage.k8s.io/pvc/name": "data",
        "csi.storage.k8s.io/pvc/namespace": "shop",
        "csi.storage.k8s.io/pv/name": "pvc-1",
        tagSpecification_1: "owner=alice",
      },
    });

    expect(ec2).toHaveReceivedCommandExactlyOnceWith(CreateVolumeCommand, {
      ClientToken: clientToken("pvc-1"),
      AvailabilityZone: "eu-west-1b",
      Size: 10,
      VolumeType: "io2",
      Iops: 4000,
      Encrypted: true,
      KmsKeyId: "arn:aws:kms:eu-west-1:111122223333:key/k-1",
      TagSpecifications: [
        {
          ResourceType: "volume",
          Tags: [
            { Key: "CSIVolumeName", Value: "pvc-1" },
            { Key: "ebs.csi.aws.com/cluster", Value: "true" },
            { Key: "kubernetes.io/cluster/prod", Value: "owned" },
            { Key: "Name", Value: "prod-dynamic-pvc-1" },
            { Key: "ebs.csi.aws.com/cluster-name", Value: "prod" },
            { Key: "KubernetesCluster", Value: "prod" },
            { Key: "kubernetes.io/created-for/pvc/name", Value: "data" },
            { Key: "kubernetes.io/created-for/pvc/namespace", Value: "shop" },
            { Key: "kubernetes.io/created-for/pv/name", Value: "pvc-1" },
            { Key: "owner", Value: "alice" },
          ],
        },
      ],
    });
    expect(ec2).toHaveReceivedCommandTimes(DescribeVolumesCommand, 2);
    expect(clock.sleeps).toEqual([1_000]);
    expect(info).toEqual({ volumeId: "vol-9", capacityBytes: 10 * GiB, volumeContext: { blocksize: "4096" } });
  });

  it("defaults to gp3, restores from a snapshot at the snapshot's size, and echoes the source", async () => {
    const { backend } = testBackend({ availabilityZone: "eu-west-1a" });
    ec2.on(CreateVolumeCommand).resolves({ VolumeId: "vol-r", Size: 8, State: "creating" });
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: "vol-r", Size: 8, State: "available" }] });
    const info = await backend.createVolume({ name: "pvc-r", capabilities: RWO, source: { snapshotId: "snap-1" } });
    const input = ec2.commandCalls(CreateVolumeCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ SnapshotId: "snap-1", AvailabilityZone: "eu-west-1a", VolumeType: "gp3" });
    expect(input.Size).toBeUndefined();
    expect(input.Encrypted).toBeUndefined();
    expect(info).toEqual({ volumeId: "vol-r", capacityBytes: 8 * GiB, volumeContext: {}, source: { snapshotId: "snap-1" } });
  });

  it("takes the zone from the availabilityZone parameter before topology", async () => {
    const { backend } = testBackend();
    ec2.on(CreateVolumeCommand).resolves({ VolumeId: "vol-z", Size: 1 });
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: "vol-z", Size: 1, State: "available" }] });
    await backend.createVolume({ name: "p", requiredBytes: 1, capabilities: RWO, accessibilityRequirements: ZONE_TOPOLOGY, parameters: { availabilityZone: "eu-west-1c" } });
    expect(ec2).toHaveReceivedCommandWith(CreateVolumeCommand, { AvailabilityZone: "eu-west-1c", Size: 1 });
  });

  it("computes IOPS from iopsPerGB and passes throughput; multi-attach for block multi-writers", async () => {
    const { backend } = testBackend({ availabilityZone: "eu-west-1a" });
    ec2.on(CreateVolumeCommand).resolves({ VolumeId: "vol-m", Size: 20 });
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: "vol-m", Size: 20, State: "available" }] });
    await backend.createVolume({
      name: "p",
      requiredBytes: 20 * GiB,
      capabilities: [{ accessMode: "MULTI_NODE_MULTI_WRITER", volumeMode: "Block" }],
      parameters: { type: "io2", iopsPerGB: "50", throughput: "250" },
    });
    expect(ec2).toHaveReceivedCommandWith(CreateVolumeCommand, { Iops: 1000, Throughput: 250, MultiAttachEnabled: true });
  });

  it.each([
    [{ parameters: { speed: "fast" } }, /invalid parameter key "speed"/],
    [{ parameters: { iops: "lots" } }, /parameter iops/],
    [{ parameters: { ext4ClusterSize: "16384" } }, /needs ext4BigAlloc/],
    [{ parameters: { tagSpecification_1: "aws:x=1" } }, /reserved "aws:" prefix/],
    [{ capabilities: [{ accessMode: "MULTI_NODE_MULTI_WRITER", volumeMode: "Filesystem" }] }, /not supported by EBS/],
    [{ accessibilityRequirements: undefined }, /no availability zone/],
  ])("rejects %j before calling EC2", async (override, pattern) => {
    const { backend } = testBackend();
    const req = { name: "p", requiredBytes: GiB, capabilities: RWO, accessibilityRequirements: ZONE_TOPOLOGY, ...override } as Parameters<typeof backend.createVolume>[0];
    await expect(backend.createVolume(req)).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(pattern) });
    expect(ec2).not.toHaveReceivedAnyCommand();
  });

  it("is idempotent through the ClientToken: a repeat sends the same token and gets the same volume", async () => {
    const { backend } = testBackend();
    ec2.on(CreateVolumeCommand).resolves({ VolumeId: "vol-9", Size: 1 });
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: "vol-9", Size: 1, State: "available" }] });
    const req = { name: "pvc-1", requiredBytes: GiB, capabilities: RWO, accessibilityRequirements: ZONE_TOPOLOGY };
    const a = await backend.createVolume(req);
    const b = await backend.createVolume(req);
    expect(a).toEqual(b);
    const tokens = ec2.commandCalls(CreateVolumeCommand).map((c) => c.args[0].input.ClientToken);
    expect(tokens).toEqual([clientToken("pvc-1"), clientToken("pvc-1")]);
  });

  it("answers ALREADY_EXISTS when the name was used with other parameters", async () => {
    const { backend } = testBackend();
    ec2.on(CreateVolumeCommand).rejects(ec2Error("IdempotentParameterMismatch", "The client token you have provided is associated with a resource that is already deleted."));
    await expect(backend.createVolume({ name: "p", requiredBytes: GiB, capabilities: RWO, accessibilityRequirements: ZONE_TOPOLOGY })).rejects.toMatchObject({
      code: "ALREADY_EXISTS",
      retryable: false,
    });
  });

  it("deletes a volume that ends in state error and fails for good", async () => {
    const { backend } = testBackend();
    ec2.on(CreateVolumeCommand).resolves({ VolumeId: "vol-bad", Size: 1 });
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: "vol-bad", Size: 1, State: "error" }] });
    ec2.on(DeleteVolumeCommand).resolves({});
    await expect(backend.createVolume({ name: "p", requiredBytes: GiB, capabilities: RWO, accessibilityRequirements: ZONE_TOPOLOGY })).rejects.toMatchObject({
      code: "INTERNAL",
      retryable: false,
    });
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(DeleteVolumeCommand, { VolumeId: "vol-bad" });
  });

  it("gives up waiting with DEADLINE_EXCEEDED (retryable) after the poll timeout", async () => {
    const { backend, clock } = testBackend({ poll: { intervalMs: 1_000, maxIntervalMs: 4_000, timeoutMs: 10_000 } });
    ec2.on(CreateVolumeCommand).resolves({ VolumeId: "vol-slow", Size: 1 });
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: "vol-slow", Size: 1, State: "creating" }] });
    await expect(backend.createVolume({ name: "p", requiredBytes: GiB, capabilities: RWO, accessibilityRequirements: ZONE_TOPOLOGY })).rejects.toMatchObject({
      code: "DEADLINE_EXCEEDED",
      retryable: true,
    });
    expect(clock.sleeps).toEqual([1_000, 2_000, 4_000]);
  });

  it("clones through CopyVolumes in the source's zone with the same token scheme", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeVolumesCommand, { VolumeIds: ["vol-src"] }).resolves({
      Volumes: [{ VolumeId: "vol-src", Size: 10, State: "in-use", AvailabilityZone: "eu-west-1b", Encrypted: false }],
    });
    ec2.on(CopyVolumesCommand).resolves({ Volumes: [{ VolumeId: "vol-copy", Size: 10, State: "creating" }] });
    ec2.on(DescribeVolumesCommand, { VolumeIds: ["vol-copy"] }).resolves({ Volumes: [{ VolumeId: "vol-copy", Size: 10, State: "available" }] });
    const info = await backend.createVolume({
      name: "pvc-clone",
      requiredBytes: 10 * GiB,
      capabilities: RWO,
      source: { volumeId: "vol-src" },
      accessibilityRequirements: { requisite: [{ segments: { "topology.ebs.csi.aws.com/zone": "eu-west-1b" } }] },
    });
    expect(ec2).toHaveReceivedCommandWith(CopyVolumesCommand, { SourceVolumeId: "vol-src", ClientToken: clientToken("pvc-clone"), Size: 10, VolumeType: "gp3" });
    expect(info).toEqual({ volumeId: "vol-copy", capacityBytes: 10 * GiB, volumeContext: {}, source: { volumeId: "vol-src" } });
  });

  it("refuses a clone outside the source's zone", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: "vol-src", Size: 10, AvailabilityZone: "eu-west-1b" }] });
    await expect(
      backend.createVolume({
        name: "p",
        requiredBytes: GiB,
        capabilities: RWO,
        source: { volumeId: "vol-src" },
        accessibilityRequirements: { requisite: [{ segments: { "topology.kubernetes.io/zone": "eu-west-1a" } }] },
      }),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    expect(ec2).not.toHaveReceivedCommand(CopyVolumesCommand);
  });
});

describe("deleteVolume", () => {
  it("sends DeleteVolume; an already deleted volume is success", async () => {
    const { backend } = testBackend();
    ec2.on(DeleteVolumeCommand, { VolumeId: "vol-1" }).resolves({});
    ec2.on(DeleteVolumeCommand, { VolumeId: "vol-gone" }).rejects(ec2Error("InvalidVolume.NotFound"));
    await backend.deleteVolume({ volumeId: "vol-1" });
    await backend.deleteVolume({ volumeId: "vol-gone" });
    expect(ec2).toHaveReceivedCommandTimes(DeleteVolumeCommand, 2);
  });

  it("reports an attached volume as FAILED_PRECONDITION, retryable", async () => {
    const { backend } = testBackend();
    ec2.on(DeleteVolumeCommand).rejects(ec2Error("VolumeInUse", "Volume vol-1 is currently attached to i-1"));
    await expect(backend.deleteVolume({ volumeId: "vol-1" })).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      retryable: true,
      message: expect.stringContaining("currently attached to i-1"),
    });
  });
});

describe("expandVolume", () => {
  it("modifies the size and follows the modification until optimizing", async () => {
    const { backend, clock } = testBackend();
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: "vol-1", Size: 10, State: "in-use" }] });
    ec2.on(DescribeVolumesModificationsCommand)
      .rejectsOnce(ec2Error("InvalidVolumeModification.NotFound"))
      .resolvesOnce({ VolumesModifications: [{ VolumeId: "vol-1", ModificationState: "modifying", TargetSize: 20 }] })
      .resolves({ VolumesModifications: [{ VolumeId: "vol-1", ModificationState: "optimizing", TargetSize: 20 }] });
    ec2.on(ModifyVolumeCommand).resolves({ VolumeModification: { VolumeId: "vol-1", ModificationState: "modifying", TargetSize: 20 } });

    const out = await backend.expandVolume({ volumeId: "vol-1", requiredBytes: 20 * GiB - 5, capability: RWO[0] });
    expect(ec2).toHaveReceivedCommandExactlyOnceWith(ModifyVolumeCommand, { VolumeId: "vol-1", Size: 20 });
    expect(ec2).toHaveReceivedCommandWith(DescribeVolumesModificationsCommand, { VolumeIds: ["vol-1"] });
    expect(ec2).toHaveReceivedCommandTimes(DescribeVolumesModificationsCommand, 3);
    expect(clock.sleeps).toEqual([1_000]);
    expect(out).toEqual({ capacityBytes: 20 * GiB, nodeExpansionRequired: true });
  });

  it("needs no node expansion for raw block volumes", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: "vol-1", Size: 10 }] });
    ec2.on(DescribeVolumesModificationsCommand).rejects(ec2Error("InvalidVolumeModification.NotFound"));
    ec2.on(ModifyVolumeCommand).resolves({ VolumeModification: { VolumeId: "vol-1", ModificationState: "optimizing", TargetSize: 30 } });
    const out = await backend.expandVolume({ volumeId: "vol-1", requiredBytes: 30 * GiB, capability: { accessMode: "SINGLE_NODE_WRITER", volumeMode: "Block" } });
    expect(out).toEqual({ capacityBytes: 30 * GiB, nodeExpansionRequired: false });
  });

  it("does not modify a volume already as large (a repeat after success)", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: "vol-1", Size: 20 }] });
    ec2.on(DescribeVolumesModificationsCommand).resolves({ VolumesModifications: [{ VolumeId: "vol-1", ModificationState: "completed", TargetSize: 20 }] });
    expect(await backend.expandVolume({ volumeId: "vol-1", requiredBytes: 20 * GiB })).toEqual({ capacityBytes: 20 * GiB, nodeExpansionRequired: true });
    expect(ec2).not.toHaveReceivedCommand(ModifyVolumeCommand);
  });

  it("waits for a modification already under way instead of asking again", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: "vol-1", Size: 10 }] });
    ec2.on(DescribeVolumesModificationsCommand)
      .resolvesOnce({ VolumesModifications: [{ VolumeId: "vol-1", ModificationState: "modifying", TargetSize: 20 }] })
      .resolvesOnce({ VolumesModifications: [{ VolumeId: "vol-1", ModificationState: "modifying", TargetSize: 20 }] })
      .resolves({ VolumesModifications: [{ VolumeId: "vol-1", ModificationState: "completed", TargetSize: 20 }] });
    expect(await backend.expandVolume({ volumeId: "vol-1", requiredBytes: 20 * GiB })).toMatchObject({ capacityBytes: 20 * GiB });
    expect(ec2).not.toHaveReceivedCommand(ModifyVolumeCommand);
  });

  it("reports a failed modification as final with EC2's status message", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: "vol-1", Size: 10 }] });
    ec2.on(DescribeVolumesModificationsCommand)
      .resolvesOnce({ VolumesModifications: [] })
      .resolves({ VolumesModifications: [{ VolumeId: "vol-1", ModificationState: "failed", TargetSize: 20, StatusMessage: "capacity unavailable" }] });
    ec2.on(ModifyVolumeCommand).resolves({ VolumeModification: { VolumeId: "vol-1", ModificationState: "modifying", TargetSize: 20 } });
    await expect(backend.expandVolume({ volumeId: "vol-1", requiredBytes: 20 * GiB })).rejects.toMatchObject({
      code: "INTERNAL",
      retryable: false,
      message: expect.stringContaining("capacity unavailable"),
    });
  });

  it("passes EC2's refusal within the 6-hour modification cool-down on as FAILED_PRECONDITION, retryable", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: "vol-1", Size: 10 }] });
    ec2.on(DescribeVolumesModificationsCommand).resolves({ VolumesModifications: [{ VolumeId: "vol-1", ModificationState: "optimizing", TargetSize: 10 }] });
    ec2.on(ModifyVolumeCommand).rejects(ec2Error("IncorrectModificationState", "You've reached the maximum modification rate per volume limit."));
    await expect(backend.expandVolume({ volumeId: "vol-1", requiredBytes: 20 * GiB })).rejects.toMatchObject({ code: "FAILED_PRECONDITION", retryable: true });
  });

  it("answers OUT_OF_RANGE when the rounded size passes the limit, NOT_FOUND for an unknown volume", async () => {
    const { backend } = testBackend();
    await expect(backend.expandVolume({ volumeId: "vol-1", requiredBytes: 20 * GiB + 1, limitBytes: 20 * GiB })).rejects.toMatchObject({ code: "OUT_OF_RANGE" });
    ec2.on(DescribeVolumesCommand).rejects(ec2Error("InvalidVolume.NotFound"));
    await expect(backend.expandVolume({ volumeId: "vol-x", requiredBytes: GiB })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
