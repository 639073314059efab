// Volumes: CreateVolume (blank or from a snapshot) and CopyVolumes (clone), both idempotent through
// a ClientToken derived from the CSI name, then followed until the volume is available;
// DeleteVolume; expansion through ModifyVolume, followed until EC2 reports optimizing/completed.
import { createHash } from "node:crypto";
import {
  CopyVolumesCommand,
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DescribeVolumesCommand,
  DescribeVolumesModificationsCommand,
  ModifyVolumeCommand,
  type Volume,
  type VolumeModification,
  type VolumeType,
} from "@aws-sdk/client-ec2";
import {
  GatewayError,
  type CreateVolumeRequest,
  type ExpandVolumeRequest,
  type ExpandVolumeResult,
  type VolumeInfo,
} from "../../../../shared/gateway/types.js";
import { bytesToGibCeil, GiB, gibToBytes, type EbsContext } from "./context.js";
import { hasEc2Code } from "./errors.js";
import { allowedZones, checkCapabilities, parseVolumeParameters, zoneFromTopology } from "./volume-params.js";
import { KUBERNETES_CLUSTER_TAG, resourceTags, tagSpecification, VOLUME_NAME_TAG } from "./tags.js";

/** The EBS CSI driver's size for a request without a capacity. */
export const DEFAULT_VOLUME_GIB = 100;

/** EC2 ClientToken (at most 64 characters): the hex SHA-256 of the CSI name, as the EBS driver derives it. */
export function clientToken(name: string): string {
  return createHash("sha256").update(name).digest("hex");
}

/** Requested size in GiB, or undefined to let EC2 take the snapshot's size. */
export function requestedGib(req: { requiredBytes?: number; limitBytes?: number }, fromSnapshot: boolean): number | undefined {
  const limit = req.limitBytes && req.limitBytes > 0 ? req.limitBytes : undefined;
  if (req.requiredBytes && req.requiredBytes > 0) {
    const gib = bytesToGibCeil(req.requiredBytes);
    if (limit !== undefined && gib * GiB > limit) {
      throw new GatewayError("OUT_OF_RANGE", `${gib} GiB (requiredBytes rounded up to whole GiB) exceeds limitBytes ${limit}`, false);
    }
    return gib;
  }
  if (fromSnapshot) return undefined;
  if (limit !== undefined && limit < DEFAULT_VOLUME_GIB * GiB) {
    const gib = Math.floor(limit / GiB);
    if (gib < 1) throw new GatewayError("OUT_OF_RANGE", `limitBytes ${limit} is below the smallest EBS volume (1 GiB)`, false);
    return gib;
  }
  return DEFAULT_VOLUME_GIB;
}

async function describeVolume(ctx: EbsContext, volumeId: string): Promise<Volume | undefined> {
  try {
    const out = await ctx.call("DescribeVolumes", (c) => c.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] })));
    return out.Volumes?.find((v) => v.VolumeId === volumeId);
  } catch (err) {
    if (hasEc2Code(err, "InvalidVolume.NotFound")) return undefined;
    throw err;
  }
}

/** Waits with growing pauses until `look` says done; DEADLINE_EXCEEDED (retryable) past the timeout. */
async function pollUntil<T>(ctx: EbsContext, what: string, look: () => Promise<{ done: true; value: T } | { done: false }>): Promise<T> {
  const { intervalMs, maxIntervalMs, timeoutMs } = ctx.config.poll;
  const started = ctx.clock.now();
  let pause = intervalMs;
  for (;;) {
    const r = await look();
    if (r.done) return r.value;
    if (ctx.clock.now() - started + pause > timeoutMs) {
      throw new GatewayError("DEADLINE_EXCEEDED", `${what} did not finish within ${timeoutMs} ms; calling again resumes the wait`);
    }
    await ctx.clock.sleep(pause);
    pause = Math.min(maxIntervalMs, pause * 2);
  }
}

async function waitAvailable(ctx: EbsContext, volumeId: string): Promise<Volume> {
  return pollUntil<Volume>(ctx, `volume ${volumeId} becoming available`, async () => {
    const v = await describeVolume(ctx, volumeId);
    // Just after creation DescribeVolumes may not know the id yet (eventual consistency).
    if (!v || v.State === "creating") return { done: false };
    if (v.State === "available" || v.State === "in-use") return { done: true, value: v };
    // "error" (or deleted under our feet): this volume will never serve; do not leave it behind.
    if (v.State === "error") {
      try {
        await ctx.call("DeleteVolume", (c) => c.send(new DeleteVolumeCommand({ VolumeId: volumeId })));
      } catch (err) {
        ctx.log.warn({ driver: ctx.driverName, volumeId, error: (err as Error).message }, "could not delete failed volume");
      }
    }
    throw new GatewayError("INTERNAL", `EBS volume ${volumeId} ended in state ${v.State} instead of available`, false);
  });
}

export async function createVolume(ctx: EbsContext, req: Omit<CreateVolumeRequest, "secretRef">): Promise<VolumeInfo> {
  if (!req.name) throw new GatewayError("INVALID_ARGUMENT", "volume name is required");
  if (!req.capabilities?.length) throw new GatewayError("INVALID_ARGUMENT", "at least one volume capability is required");
  const { multiAttach } = checkCapabilities(req.capabilities);
  const params = parseVolumeParameters(req.parameters);
  const snapshotId = req.source && "snapshotId" in req.source ? req.source.snapshotId : undefined;
  const sourceVolumeId = req.source && "volumeId" in req.source ? req.source.volumeId : undefined;
  const sizeGib = requestedGib(req, snapshotId !== undefined);

  const tags = resourceTags({
    driverName: ctx.driverName,
    clusterName: ctx.config.clusterName,
    nameTag: [VOLUME_NAME_TAG, req.name],
    extra: ctx.config.tags,
    perRequest: params.tags,
    clusterTags: ctx.config.clusterName ? { [KUBERNETES_CLUSTER_TAG]: ctx.config.clusterName } : undefined,
  });
  const iops = params.iops ?? (params.iopsPerGB && sizeGib ? params.iopsPerGB * sizeGib : undefined);
  const token = clientToken(req.name);

  let volume: Volume | undefined;
  if (sourceVolumeId !== undefined) {
    // A clone lives where its source lives and keeps its encryption.
    const source = await describeVolume(ctx, sourceVolumeId);
    if (!source) throw new GatewayError("NOT_FOUND", `source volume ${sourceVolumeId} not found`, false);
    const zones = allowedZones(req.accessibilityRequirements);
    if (zones && source.AvailabilityZone && !zones.has(source.AvailabilityZone)) {
      throw new GatewayError("INVALID_ARGUMENT", `source volume ${sourceVolumeId} is in ${source.AvailabilityZone}, outside the requested zones ${[...zones].join(", ")}`);
    }
    if (params.encryptedGiven && params.encrypted !== Boolean(source.Encrypted)) {
      throw new GatewayError("INVALID_ARGUMENT", `a clone keeps the encryption of ${sourceVolumeId} (encrypted=${Boolean(source.Encrypted)})`);
    }
    if (params.kmsKeyId && params.kmsKeyId !== source.KmsKeyId) {
      throw new GatewayError("INVALID_ARGUMENT", `a clone keeps the KMS key of ${sourceVolumeId}; kmsKeyId differs`);
    }
    const out = await ctx.call("CopyVolumes", (c) =>
      c.send(
        new CopyVolumesCommand({
          SourceVolumeId: sourceVolumeId,
          ClientToken: token,
          Size: sizeGib,
          VolumeType: params.volumeType as VolumeType,
          Iops: iops,
          Throughput: params.throughput,
          MultiAttachEnabled: multiAttach || undefined,
          TagSpecifications: [tagSpecification("volume", tags)],
        }),
      ),
    );
    volume = out.Volumes?.[0];
  } else {
    const zone = params.availabilityZone ?? zoneFromTopology(req.accessibilityRequirements) ?? ctx.config.availabilityZone;
    if (!zone && !params.outpostArn) {
      throw new GatewayError(
        "INVALID_ARGUMENT",
        "no availability zone: give accessibilityRequirements with topology.ebs.csi.aws.com/zone or topology.kubernetes.io/zone, " +
          "the availabilityZone parameter, or availabilityZone in the gateway config",
      );
    }
    const out = await ctx.call("CreateVolume", (c) =>
      c.send(
        new CreateVolumeCommand({
          ClientToken: token,
          AvailabilityZone: zone,
          OutpostArn: params.outpostArn,
          Size: sizeGib,
          SnapshotId: snapshotId,
          VolumeType: params.volumeType as VolumeType,
          Iops: iops,
          Throughput: params.throughput,
          Encrypted: params.encrypted || undefined,
          KmsKeyId: params.encrypted ? params.kmsKeyId : undefined,
          MultiAttachEnabled: multiAttach || undefined,
          VolumeInitializationRate: snapshotId ? params.volumeInitializationRate : undefined,
          TagSpecifications: [tagSpecification("volume", tags)],
        }),
      ),
    );
    volume = out;
  }
  const volumeId = volume?.VolumeId;
  if (!volumeId) throw new GatewayError("INTERNAL", `EC2 answered volume creation for ${req.name} without a volume id`);
  ctx.log.info({ driver: ctx.driverName, name: req.name, volumeId }, "volume created; waiting until available");

  const ready = await waitAvailable(ctx, volumeId);
  const info: VolumeInfo = {
    volumeId,
    capacityBytes: gibToBytes(ready.Size ?? volume?.Size),
    volumeContext: params.volumeContext,
  };
  if (req.source) info.source = req.source;
  return info;
}

export async function deleteVolume(ctx: EbsContext, volumeId: string): Promise<void> {
  try {
    await ctx.call("DeleteVolume", (c) => c.send(new DeleteVolumeCommand({ VolumeId: volumeId })));
  } catch (err) {
    if (hasEc2Code(err, "InvalidVolume.NotFound", "InvalidVolumeID.Malformed")) return;
    throw err;
  }
}

async function latestModification(ctx: EbsContext, volumeId: string): Promise<VolumeModification | undefined> {
  try {
    const out = await ctx.call("DescribeVolumesModifications", (c) =>
      c.send(new DescribeVolumesModificationsCommand({ VolumeIds: [volumeId] })),
    );
    const mods = (out.VolumesModifications ?? []).filter((m) => m.VolumeId === volumeId);
    return mods.sort((a, b) => (b.StartTime?.getTime() ?? 0) - (a.StartTime?.getTime() ?? 0))[0];
  } catch (err) {
    // A volume never modified has no modification record.
    if (hasEc2Code(err, "InvalidVolumeModification.NotFound")) return undefined;
    throw err;
  }
}

/** EC2 serves the new size from "optimizing" on; "completed" is later still. */
const SIZE_IN_EFFECT = new Set(["optimizing", "completed"]);

async function waitModified(ctx: EbsContext, volumeId: string, targetGib: number): Promise<number> {
  return pollUntil<number>(ctx, `modification of volume ${volumeId} to ${targetGib} GiB`, async () => {
    const mod = await latestModification(ctx, volumeId);
    // Only a record for this target counts: an older, smaller modification may still be listed.
    if (!mod || (mod.TargetSize ?? 0) < targetGib) return { done: false };
    const state = String(mod.ModificationState ?? "");
    if (state === "failed") {
      const why = mod.StatusMessage ? `: ${mod.StatusMessage}` : "";
      throw new GatewayError("INTERNAL", `EC2 modification of volume ${volumeId} to ${targetGib} GiB failed${why}`, false);
    }
    if (SIZE_IN_EFFECT.has(state)) return { done: true, value: mod.TargetSize ?? targetGib };
    return { done: false };
  });
}

export async function expandVolume(ctx: EbsContext, req: Omit<ExpandVolumeRequest, "secretRef">): Promise<ExpandVolumeResult> {
  if (!req.volumeId) throw new GatewayError("INVALID_ARGUMENT", "volumeId is required");
  if (!(req.requiredBytes > 0)) throw new GatewayError("INVALID_ARGUMENT", "requiredBytes must be positive");
  const targetGib = requestedGib(req, false)!;
  // Raw block devices need nothing on the node; filesystems are grown there (as the EBS driver answers).
  const nodeExpansionRequired = req.capability?.volumeMode !== "Block";

  const volume = await describeVolume(ctx, req.volumeId);
  if (!volume) throw new GatewayError("NOT_FOUND", `volume ${req.volumeId} not found`, false);
  const pending = await latestModification(ctx, req.volumeId);
  const pendingState = String(pending?.ModificationState ?? "");

  let sizeGib: number;
  if (pending && pendingState === "modifying" && (pending.TargetSize ?? 0) >= targetGib) {
    // A repeat of an expansion still under way (or a larger one): wait for it instead of asking again.
    sizeGib = await waitModified(ctx, req.volumeId, pending.TargetSize!);
  } else if ((volume.Size ?? 0) >= targetGib && pendingState !== "modifying") {
    sizeGib = volume.Size!;
  } else {
    const out = await ctx.call("ModifyVolume", (c) => c.send(new ModifyVolumeCommand({ VolumeId: req.volumeId, Size: targetGib })));
    const state = String(out.VolumeModification?.ModificationState ?? "");
    sizeGib = SIZE_IN_EFFECT.has(state) ? (out.VolumeModification?.TargetSize ?? targetGib) : await waitModified(ctx, req.volumeId, targetGib);
  }
  return { capacityBytes: gibToBytes(sizeGib), nodeExpansionRequired };
}
