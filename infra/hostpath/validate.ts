// Request field checks shared by the RPCs. All of them run before any lookup, so a malformed
// request is INVALID_ARGUMENT whatever exists on disk.
import type { CapacityRange, StringMap, Timestamp, VolumeCapability } from "../../shared/csi/load.js";
import { byteLength } from "./ids.js";
import { invalidArgument, outOfRange } from "./errors.js";

/** Spec limit for any map<string,string> field. */
export const MAX_MAP_BYTES = 4096;

export function checkMap(field: string, map: StringMap): void {
  let total = 0;
  for (const [key, value] of Object.entries(map)) total += byteLength(key) + byteLength(value);
  if (total > MAX_MAP_BYTES) throw invalidArgument(`${field} is larger than ${MAX_MAP_BYTES} bytes`);
}

/** Volumes are directories: every capability must ask for filesystem (mount) access with a known mode. */
export function checkCapability(field: string, capability: VolumeCapability): void {
  if (!capability.accessType) throw invalidArgument(`${field}: access type (mount or block) is required`);
  if (capability.accessType === "block") throw invalidArgument(`${field}: block access is not supported, volumes are directories`);
  const mode = capability.accessMode?.mode;
  if (!mode || mode === "UNKNOWN") throw invalidArgument(`${field}: access mode is required`);
}

/** Well formed (an access type and a known mode), whether or not this driver supports it. */
export function checkCapabilityShape(field: string, capability: VolumeCapability): void {
  if (!capability.accessType) throw invalidArgument(`${field}: access type (mount or block) is required`);
  const mode = capability.accessMode?.mode;
  if (!mode || mode === "UNKNOWN") throw invalidArgument(`${field}: access mode is required`);
}

export function checkCapabilities(capabilities: VolumeCapability[]): void {
  if (capabilities.length === 0) throw invalidArgument("volume_capabilities is required");
  capabilities.forEach((capability, i) => checkCapability(`volume_capabilities[${i}]`, capability));
}

export interface Range {
  requiredBytes: number;
  limitBytes: number;
}

/** A capacity range as numbers; 0 means unspecified. Negative or inverted ranges are invalid. */
export function parseRange(range: CapacityRange | null): Range {
  if (!range) return { requiredBytes: 0, limitBytes: 0 };
  const requiredBytes = parseBytes("capacity_range.required_bytes", range.requiredBytes);
  const limitBytes = parseBytes("capacity_range.limit_bytes", range.limitBytes);
  if (limitBytes > 0 && requiredBytes > limitBytes) {
    throw invalidArgument("capacity_range.required_bytes is larger than capacity_range.limit_bytes");
  }
  return { requiredBytes, limitBytes };
}

function parseBytes(field: string, value: string): number {
  const n = Number(value || "0");
  if (!Number.isInteger(n)) throw invalidArgument(`${field} is not an integer`);
  if (n < 0) throw invalidArgument(`${field} must not be negative`);
  if (!Number.isSafeInteger(n)) throw outOfRange(`${field} is larger than this driver supports`);
  return n;
}

/** Wall-clock now as Unix nanoseconds (decimal string). */
export function nowNs(): string {
  return (BigInt(Date.now()) * 1_000_000n).toString();
}

export function toTimestamp(ns: string): Timestamp {
  const n = BigInt(ns);
  return { seconds: (n / 1_000_000_000n).toString(), nanos: Number(n % 1_000_000_000n) };
}

export function sameMap(a: StringMap, b: StringMap): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}
