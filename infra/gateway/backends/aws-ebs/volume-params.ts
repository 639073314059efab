// CreateVolume parameters in the EBS CSI driver's vocabulary (keys compared case-insensitively, as
// the driver does), turned into EC2 CreateVolume fields, extra tags and the volume context the
// driver would return. Pure.
import type { VolumeType } from "@aws-sdk/client-ec2";
import { GatewayError, type VolumeCapability } from "../../../../shared/gateway/types.js";
import { invalidTagReason, parseTagSpecification } from "./tags.js";

export interface VolumeParameters {
  volumeType: VolumeType | string;
  iops?: number;
  iopsPerGB?: number;
  throughput?: number;
  encrypted: boolean;
  /** Set only when the request said "encrypted" explicitly (a clone cannot change it). */
  encryptedGiven: boolean;
  kmsKeyId?: string;
  availabilityZone?: string;
  outpostArn?: string;
  volumeInitializationRate?: number;
  tags: Record<string, string>;
  volumeContext: Record<string, string>;
}

/** The EBS CSI driver's default volume type. */
export const DEFAULT_VOLUME_TYPE = "gp3";

// Formatting options the node plugin reads from the volume context, under the driver's key names.
const CONTEXT_KEYS: Record<string, string> = {
  blocksize: "blocksize",
  inodesize: "inodesize",
  bytesperinode: "bytesperinode",
  numberofinodes: "numberofinodes",
  ext4clustersize: "ext4clustersize",
};
const CONTEXT_FLAGS: Record<string, string> = {
  ext4bigalloc: "ext4bigalloc",
  ext4encryptionsupport: "ext4encryptionsupport",
  blockattachuntilinitialized: "blockattachuntilinitialized",
};

// The driver tags volumes with the PVC/PV the external-provisioner names in these parameters.
const CREATED_FOR_TAGS: Record<string, string> = {
  "csi.storage.k8s.io/pvc/name": "kubernetes.io/created-for/pvc/name",
  "csi.storage.k8s.io/pvc/namespace": "kubernetes.io/created-for/pvc/namespace",
  "csi.storage.k8s.io/pv/name": "kubernetes.io/created-for/pv/name",
};

function invalid(message: string): GatewayError {
  return new GatewayError("INVALID_ARGUMENT", message);
}

function positiveInt(key: string, value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) <= 0 || Number(value) > 2 ** 31 - 1) {
    throw invalid(`parameter ${key}: ${JSON.stringify(value)} is not a positive integer`);
  }
  return Number(value);
}

function isTrue(value: string): boolean {
  return value.trim().toLowerCase() === "true";
}

export function parseVolumeParameters(parameters: Record<string, string> | undefined): VolumeParameters {
  const out: VolumeParameters = { volumeType: DEFAULT_VOLUME_TYPE, encrypted: false, encryptedGiven: false, tags: {}, volumeContext: {} };
  for (const [key, value] of Object.entries(parameters ?? {})) {
    const k = key.toLowerCase();
    if (k in CONTEXT_KEYS) {
      if (!/^[A-Za-z0-9]+$/.test(value)) throw invalid(`parameter ${key}: ${JSON.stringify(value)} must be alphanumeric`);
      out.volumeContext[CONTEXT_KEYS[k]!] = value;
      continue;
    }
    if (k in CONTEXT_FLAGS) {
      if (isTrue(value)) out.volumeContext[CONTEXT_FLAGS[k]!] = "true";
      continue;
    }
    if (k in CREATED_FOR_TAGS) {
      out.tags[CREATED_FOR_TAGS[k]!] = value;
      continue;
    }
    switch (k) {
      case "type":
        out.volumeType = value.trim();
        break;
      case "iops":
        out.iops = positiveInt(key, value);
        break;
      case "iopspergb":
        out.iopsPerGB = positiveInt(key, value);
        break;
      case "allowautoiopspergbincrease":
        // Accepted for compatibility; snapflow passes the computed IOPS as is and lets EC2 judge it.
        break;
      case "throughput":
        out.throughput = positiveInt(key, value);
        break;
      case "encrypted":
        out.encrypted = isTrue(value);
        out.encryptedGiven = true;
        break;
      case "kmskeyid":
        out.kmsKeyId = value.trim();
        break;
      case "volumeinitializationrate":
        out.volumeInitializationRate = positiveInt(key, value);
        break;
      case "outpostarn":
        if (!value.startsWith("arn:")) throw invalid(`parameter ${key}: ${JSON.stringify(value)} is not an ARN`);
        out.outpostArn = value;
        break;
      // snapflow's own: the zone when the request carries no topology (the driver takes it from topology only).
      case "availabilityzone":
      case "zone":
        out.availabilityZone = value.trim();
        break;
      case "fstype":
      case "csi.storage.k8s.io/fstype":
        // For the node plugin; nothing to do at creation.
        break;
      default:
        if (key.startsWith("tagSpecification")) {
          let pair: [string, string];
          try {
            pair = parseTagSpecification(value, key);
          } catch (err) {
            throw invalid((err as Error).message);
          }
          const reason = invalidTagReason(pair[0], pair[1]);
          if (reason) throw invalid(`parameter ${key}: ${reason}`);
          out.tags[pair[0]] = pair[1];
        } else if (!k.startsWith("csi.storage.k8s.io/")) {
          throw invalid(`invalid parameter key ${JSON.stringify(key)} for CreateVolume`);
        }
    }
  }
  if (out.volumeContext.ext4clustersize && !out.volumeContext.ext4bigalloc) {
    throw invalid("parameter ext4ClusterSize needs ext4BigAlloc: \"true\"");
  }
  return out;
}

// Both the driver's own topology key and the well-known one name the zone.
export const ZONE_TOPOLOGY_KEYS = ["topology.ebs.csi.aws.com/zone", "topology.kubernetes.io/zone"];

interface TopologyLike {
  requisite?: Array<{ segments?: Record<string, string> }>;
  preferred?: Array<{ segments?: Record<string, string> }>;
}

function zoneOf(t: { segments?: Record<string, string> } | undefined): string | undefined {
  for (const key of ZONE_TOPOLOGY_KEYS) {
    const zone = t?.segments?.[key];
    if (zone) return zone;
  }
  return undefined;
}

/** Preferred topologies first, then requisite ones (as the driver picks). */
export function zoneFromTopology(requirements: unknown): string | undefined {
  if (typeof requirements !== "object" || requirements === null) return undefined;
  const r = requirements as TopologyLike;
  for (const t of [...(r.preferred ?? []), ...(r.requisite ?? [])]) {
    const zone = zoneOf(t);
    if (zone) return zone;
  }
  return undefined;
}

/** Every zone the requirements allow, or undefined when they do not constrain the zone. */
export function allowedZones(requirements: unknown): Set<string> | undefined {
  if (typeof requirements !== "object" || requirements === null) return undefined;
  const r = requirements as TopologyLike;
  const zones = (r.requisite ?? []).map(zoneOf).filter((z): z is string => z !== undefined);
  return zones.length ? new Set(zones) : undefined;
}

/** EBS serves single-node access, and multi-node writers only on raw block (io2 Multi-Attach). */
export function checkCapabilities(capabilities: VolumeCapability[]): { multiAttach: boolean } {
  let multiAttach = false;
  for (const c of capabilities) {
    if (c.accessMode.startsWith("SINGLE_NODE_")) continue;
    if (c.accessMode === "MULTI_NODE_MULTI_WRITER" && c.volumeMode === "Block") {
      multiAttach = true;
      continue;
    }
    throw invalid(`access mode ${c.accessMode} with volume mode ${c.volumeMode} is not supported by EBS`);
  }
  return { multiAttach };
}
