// Tag keys the backend writes and searches by. Where the EBS CSI driver has a key, the same key is
// used, so snapshots and volumes look alike whichever of the two made them and AWS tooling that
// knows the driver's tags (cost reports, cleanup scripts) keeps working.
import type { ResourceType, TagSpecification } from "@aws-sdk/client-ec2";

/** EBS CSI driver: the CSI CreateSnapshot name; the idempotency key of a snapshot. */
export const SNAPSHOT_NAME_TAG = "CSIVolumeSnapshotName";
/** EBS CSI driver: the CSI CreateVolume name. */
export const VOLUME_NAME_TAG = "CSIVolumeName";
/**
 * snapflow's own (the EBS driver has no group snapshots and EC2 has no group object): the CSI
 * CreateVolumeGroupSnapshot name, carried by every member snapshot. It is both the group's
 * idempotency key and its group snapshot id.
 */
export const GROUP_NAME_TAG = "CSIVolumeGroupSnapshotName";
/** EBS CSI driver: "<cluster-id>-dynamic-<csi name>" when a cluster id is set. */
export const NAME_TAG = "Name";
/** EBS CSI driver / in-tree provider: ownership tag prefix, value "owned". */
export const CLUSTER_OWNED_TAG_PREFIX = "kubernetes.io/cluster/";
export const CLUSTER_NAME_TAG = "ebs.csi.aws.com/cluster-name";
/** In-tree provider compatibility tag on volumes. */
export const KUBERNETES_CLUSTER_TAG = "KubernetesCluster";

/** EBS CSI driver: "<driver name>/cluster" = "true" marks resources the driver manages. */
export function managedByTag(driverName: string): string {
  return `${driverName}/cluster`;
}

/** Tags a new resource gets: management and cluster ownership first, then configured extras, then per-request ones. */
export function resourceTags(opts: {
  driverName: string;
  clusterName?: string;
  nameTag: [key: string, value: string];
  extra: Record<string, string>;
  perRequest?: Record<string, string>;
  clusterTags?: Record<string, string>;
}): Record<string, string> {
  const tags: Record<string, string> = {
    [opts.nameTag[0]]: opts.nameTag[1],
    [managedByTag(opts.driverName)]: "true",
  };
  if (opts.clusterName) {
    tags[CLUSTER_OWNED_TAG_PREFIX + opts.clusterName] = "owned";
    tags[NAME_TAG] = `${opts.clusterName}-dynamic-${opts.nameTag[1]}`;
    tags[CLUSTER_NAME_TAG] = opts.clusterName;
    Object.assign(tags, opts.clusterTags ?? {});
  }
  Object.assign(tags, opts.extra, opts.perRequest ?? {});
  // The idempotency key must survive any extra tag that happens to reuse its key.
  tags[opts.nameTag[0]] = opts.nameTag[1];
  return tags;
}

export function tagSpecification(resourceType: ResourceType, tags: Record<string, string>): TagSpecification {
  return {
    ResourceType: resourceType,
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  };
}

/**
 * "tagSpecification_<n>" parameters in the EBS CSI driver's form "key=value". The driver also
 * expands templates in the value; snapflow takes values literally.
 */
export function parseTagSpecification(raw: string, paramKey: string): [string, string] {
  const eq = raw.indexOf("=");
  if (eq <= 0) throw new Error(`parameter ${paramKey}: expected "key=value", got ${JSON.stringify(raw)}`);
  return [raw.slice(0, eq).trim(), raw.slice(eq + 1).trim()];
}

const MAX_TAG_KEY = 128;
const MAX_TAG_VALUE = 256;

/** Returns a reason the tag is not acceptable to EC2, or undefined when it is. */
export function invalidTagReason(key: string, value: string): string | undefined {
  if (key.length === 0) return "tag key is empty";
  if (key.length > MAX_TAG_KEY) return `tag key ${JSON.stringify(key.slice(0, 40))}… is longer than ${MAX_TAG_KEY} characters`;
  if (key.toLowerCase().startsWith("aws:")) return `tag key ${JSON.stringify(key)} uses the reserved "aws:" prefix`;
  if (value.length > MAX_TAG_VALUE) return `value of tag ${JSON.stringify(key)} is longer than ${MAX_TAG_VALUE} characters`;
  return undefined;
}
