// Single snapshots: CreateSnapshot made idempotent by the CSI name tag, status read back with
// DescribeSnapshots, deletion that treats "already gone" as done.
import {
  CreateSnapshotCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  type Filter,
  type Snapshot,
  type SnapshotState,
} from "@aws-sdk/client-ec2";
import { GatewayError, type ListSnapshotsResult, type SnapshotInfo } from "../../../../shared/gateway/types.js";
import type { Secrets } from "../../backend.js";
import { gibToBytes, unixNanos, type EbsContext } from "./context.js";
import { hasEc2Code } from "./errors.js";
import { parseTagSpecification, resourceTags, SNAPSHOT_NAME_TAG, tagSpecification, invalidTagReason } from "./tags.js";

/** The fields of an EC2 snapshot this backend reads (DescribeSnapshots, CreateSnapshot and CreateSnapshots answer with them). */
export interface Ec2SnapshotFields {
  SnapshotId?: string;
  VolumeId?: string;
  State?: SnapshotState | string;
  StateMessage?: string;
  StartTime?: Date;
  VolumeSize?: number;
}

export function toSnapshotInfo(s: Ec2SnapshotFields, groupSnapshotId?: string): SnapshotInfo {
  const info: SnapshotInfo = {
    snapshotId: s.SnapshotId ?? "",
    sourceVolumeId: s.VolumeId ?? "",
    creationTimeNs: unixNanos(s.StartTime),
    sizeBytes: gibToBytes(s.VolumeSize),
    readyToUse: s.State === "completed",
  };
  if (groupSnapshotId !== undefined) info.groupSnapshotId = groupSnapshotId;
  return info;
}

/** EC2's `error` state is final: the snapshot will never complete and must be replaced. */
export function failIfErrored(s: Ec2SnapshotFields): void {
  if (s.State === "error") {
    const why = s.StateMessage ? `: ${s.StateMessage}` : "";
    throw new GatewayError("INTERNAL", `EBS snapshot ${s.SnapshotId} of volume ${s.VolumeId} is in state error${why}`, false);
  }
}

/** Oldest first, so that every caller picks the same snapshot when several carry one name. */
export function byStartTime(a: Ec2SnapshotFields, b: Ec2SnapshotFields): number {
  return (a.StartTime?.getTime() ?? 0) - (b.StartTime?.getTime() ?? 0) || (a.SnapshotId ?? "").localeCompare(b.SnapshotId ?? "");
}

export async function describeSnapshotsByTag(ctx: EbsContext, tagKey: string, value: string): Promise<Snapshot[]> {
  const filters: Filter[] = [{ Name: `tag:${tagKey}`, Values: [value] }];
  const out: Snapshot[] = [];
  let token: string | undefined;
  do {
    const page = await ctx.call("DescribeSnapshots", (c) =>
      c.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"], Filters: filters, NextToken: token })),
    );
    out.push(...(page.Snapshots ?? []));
    token = page.NextToken;
  } while (token);
  return out.sort(byStartTime);
}

/** undefined when EC2 does not know the id (or it cannot be a snapshot id at all). */
export async function describeSnapshot(ctx: EbsContext, snapshotId: string): Promise<Snapshot | undefined> {
  try {
    const out = await ctx.call("DescribeSnapshots", (c) => c.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] })));
    return out.Snapshots?.find((s) => s.SnapshotId === snapshotId);
  } catch (err) {
    if (hasEc2Code(err, "InvalidSnapshot.NotFound", "InvalidSnapshotID.Malformed")) return undefined;
    throw err;
  }
}

/** Snapshot parameters in the EBS CSI driver's vocabulary: tagSpecification_<n>; csi.storage.k8s.io/* is metadata. */
export function snapshotParameterTags(parameters: Record<string, string> | undefined, operation: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(parameters ?? {})) {
    if (key.startsWith("tagSpecification")) {
      let pair: [string, string];
      try {
        pair = parseTagSpecification(value, key);
      } catch (err) {
        throw new GatewayError("INVALID_ARGUMENT", (err as Error).message);
      }
      const reason = invalidTagReason(pair[0], pair[1]);
      if (reason) throw new GatewayError("INVALID_ARGUMENT", `parameter ${key}: ${reason}`);
      tags[pair[0]] = pair[1];
    } else if (!key.toLowerCase().startsWith("csi.storage.k8s.io/")) {
      throw new GatewayError("INVALID_ARGUMENT", `invalid parameter key ${JSON.stringify(key)} for ${operation} (aws-ebs accepts tagSpecification_<n>)`);
    }
  }
  return tags;
}

export async function createSnapshot(
  ctx: EbsContext,
  req: { name: string; sourceVolumeId: string; parameters?: Record<string, string>; secrets?: Secrets },
): Promise<SnapshotInfo> {
  if (!req.name) throw new GatewayError("INVALID_ARGUMENT", "snapshot name is required");
  if (!req.sourceVolumeId) throw new GatewayError("INVALID_ARGUMENT", "sourceVolumeId is required");
  const perRequest = snapshotParameterTags(req.parameters, "CreateSnapshot");

  const existing = await describeSnapshotsByTag(ctx, SNAPSHOT_NAME_TAG, req.name);
  if (existing.length > 0) {
    const same = existing.filter((s) => s.VolumeId === req.sourceVolumeId);
    if (same.length === 0) {
      throw new GatewayError(
        "ALREADY_EXISTS",
        `snapshot ${req.name} already exists for a different volume (${existing[0]!.VolumeId}), not ${req.sourceVolumeId}`,
        false,
      );
    }
    const found = same[0]!;
    failIfErrored(found);
    ctx.log.info({ driver: ctx.driverName, name: req.name, snapshotId: found.SnapshotId }, "snapshot already exists; returning it");
    return toSnapshotInfo(found);
  }

  const tags = resourceTags({
    driverName: ctx.driverName,
    clusterName: ctx.config.clusterName,
    nameTag: [SNAPSHOT_NAME_TAG, req.name],
    extra: ctx.config.tags,
    perRequest,
  });
  const created = await ctx.call("CreateSnapshot", (c) =>
    c.send(
      new CreateSnapshotCommand({
        VolumeId: req.sourceVolumeId,
        Description: `Created by snapflow (${ctx.driverName}) for volume ${req.sourceVolumeId}`,
        TagSpecifications: [tagSpecification("snapshot", tags)],
      }),
    ),
  );
  ctx.log.info({ driver: ctx.driverName, name: req.name, snapshotId: created.SnapshotId }, "snapshot created");
  failIfErrored(created);
  return toSnapshotInfo(created);
}

export async function getSnapshot(ctx: EbsContext, snapshotId: string): Promise<SnapshotInfo | undefined> {
  const s = await describeSnapshot(ctx, snapshotId);
  if (!s) return undefined;
  failIfErrored(s);
  return toSnapshotInfo(s);
}

export async function deleteSnapshot(ctx: EbsContext, snapshotId: string): Promise<void> {
  try {
    await ctx.call("DeleteSnapshot", (c) => c.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })));
  } catch (err) {
    // Already gone (or never could have existed) is what the caller wanted.
    if (hasEc2Code(err, "InvalidSnapshot.NotFound", "InvalidSnapshotID.Malformed")) return;
    throw err;
  }
}

// EC2 pages DescribeSnapshots in 5..1000 results. CSI may ask for fewer, so a token carries the
// EC2 token of the page being read plus how far into it the caller has got: "<offset>:<ec2 token>".
const EC2_MIN_PAGE = 5;
const EC2_MAX_PAGE = 1000;

function decodeToken(token: string | undefined): { offset: number; ec2Token?: string } {
  if (!token) return { offset: 0 };
  const colon = token.indexOf(":");
  const offset = Number(token.slice(0, colon));
  if (colon < 0 || !Number.isInteger(offset) || offset < 0) {
    throw new GatewayError("ABORTED", `startingToken ${JSON.stringify(token.slice(0, 64))} is not a token this backend issued`, false);
  }
  const ec2Token = token.slice(colon + 1);
  return { offset, ec2Token: ec2Token === "" ? undefined : ec2Token };
}

export async function listSnapshots(
  ctx: EbsContext,
  req: { snapshotId?: string; sourceVolumeId?: string; maxEntries?: number; startingToken?: string },
): Promise<ListSnapshotsResult> {
  if (req.snapshotId) {
    const s = await describeSnapshot(ctx, req.snapshotId);
    if (!s || (req.sourceVolumeId && s.VolumeId !== req.sourceVolumeId)) return { entries: [] };
    return { entries: [toSnapshotInfo(s)] };
  }
  const { offset, ec2Token } = decodeToken(req.startingToken);
  const want = req.maxEntries && req.maxEntries > 0 ? req.maxEntries : undefined;
  const pageSize = want === undefined ? undefined : Math.min(EC2_MAX_PAGE, Math.max(EC2_MIN_PAGE, want));
  const filters: Filter[] | undefined = req.sourceVolumeId ? [{ Name: "volume-id", Values: [req.sourceVolumeId] }] : undefined;
  const page = await ctx.call("DescribeSnapshots", (c) =>
    c.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"], Filters: filters, MaxResults: pageSize, NextToken: ec2Token })),
  );
  const all = (page.Snapshots ?? []).sort(byStartTime);
  const end = want === undefined ? all.length : Math.min(all.length, offset + want);
  const entries = all.slice(offset, end).map((s) => toSnapshotInfo(s));
  let nextToken: string | undefined;
  if (end < all.length) nextToken = `${end}:${ec2Token ?? ""}`;
  else if (page.NextToken) nextToken = `0:${page.NextToken}`;
  return nextToken ? { entries, nextToken } : { entries };
}
