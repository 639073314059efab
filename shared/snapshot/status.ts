// Status arithmetic shared by the snapshot functions: VolumeSnapshot status mirrored from its
// content (upstream's updateSnapshotStatus), content status merged from a CSI answer, and the
// de-duplicated error status writers. All pure; `now` is passed in.
import type { SnapshotError, VolumeGroupSnapshot, VolumeSnapshot, VolumeSnapshotContent } from "../api/snapshot.js";
import { clone } from "./objects.js";
import { formatBinarySI, quantityToBytes } from "./quantity.js";

/** Unix nanoseconds → RFC 3339 at second precision, as metav1.Time serialises. */
export function nanosToRfc3339(ns: number | string): string {
  const ms = Math.floor(Number(typeof ns === "string" ? BigInt(ns) / 1_000_000n : ns / 1e6));
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function rfc3339Now(nowMs: number): string {
  return new Date(Math.floor(nowMs / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export interface SnapshotStatusChange {
  status: NonNullable<VolumeSnapshot["status"]>;
  changed: boolean;
  /** creationTime went from unset to set (→ SnapshotCreated). */
  created: boolean;
  /** readyToUse went from not-true to true (→ SnapshotReady). */
  becameReady: boolean;
}

/**
 * The VolumeSnapshot status upstream derives from its bound content: fields set once, readyToUse
 * followed, error mirrored (cleared when the content has none), restoreSize as BinarySI.
 */
export function snapshotStatusFromContent(
  vs: VolumeSnapshot,
  content: VolumeSnapshotContent,
  groupSnapshotName?: string,
): SnapshotStatusChange {
  const cs = content.status;
  const createdAt = cs?.creationTime !== undefined ? nanosToRfc3339(cs.creationTime) : undefined;
  const size = cs?.restoreSize;
  const ready = cs?.readyToUse ?? false;
  const error = cs?.error ? clone(cs.error) : undefined;
  const bound = content.metadata.name!;
  const old = vs.status;

  if (!old) {
    const status: NonNullable<VolumeSnapshot["status"]> = { boundVolumeSnapshotContentName: bound, readyToUse: ready };
    if (createdAt) status.creationTime = createdAt;
    if (size !== undefined) status.restoreSize = formatBinarySI(size);
    if (error) status.error = error;
    if (groupSnapshotName) status.volumeGroupSnapshotName = groupSnapshotName;
    return { status, changed: true, created: !!createdAt, becameReady: ready };
  }

  const status = clone(old);
  let created = false;
  let becameReady = false;
  if (!status.boundVolumeSnapshotContentName) status.boundVolumeSnapshotContentName = bound;
  if (!status.creationTime && createdAt) {
    status.creationTime = createdAt;
    created = true;
  }
  if (status.readyToUse === undefined || status.readyToUse !== ready) {
    if (ready && status.readyToUse !== true) becameReady = true;
    status.readyToUse = ready;
    if (ready) delete status.error;
  }
  if (size !== undefined && (status.restoreSize === undefined || (quantityIsZero(status.restoreSize) && size > 0))) {
    status.restoreSize = formatBinarySI(size);
  }
  if (error) status.error = error;
  else delete status.error;
  if (!status.volumeGroupSnapshotName && groupSnapshotName) status.volumeGroupSnapshotName = groupSnapshotName;

  return { status, changed: JSON.stringify(status) !== JSON.stringify(old), created, becameReady };
}

function quantityIsZero(q: string): boolean {
  try {
    return quantityToBytes(q) === 0;
  } catch {
    return false;
  }
}

/**
 * A copy of the snapshot with `status.error` set (and readyToUse false when asked), or undefined
 * when the same message is already recorded — upstream then writes nothing and emits no Event.
 */
export function snapshotWithError<T extends VolumeSnapshot | VolumeGroupSnapshot>(vs: T, message: string, setReadyFalse: boolean, nowMs: number): T | undefined {
  if (vs.status?.error?.message === message) return undefined;
  const copy = clone(vs);
  const status = copy.status ?? {};
  status.error = { time: rfc3339Now(nowMs), message };
  if (setReadyFalse) status.readyToUse = false;
  copy.status = status;
  return copy;
}

/** Content variant: readyToUse always becomes false; same-message de-duplication. */
export function contentWithError(content: VolumeSnapshotContent, message: string, nowMs: number): VolumeSnapshotContent | undefined {
  if (content.status?.error?.message === message) return undefined;
  const copy = clone(content);
  const error: SnapshotError = { time: rfc3339Now(nowMs), message };
  copy.status = { ...(copy.status ?? {}), readyToUse: false, error };
  return copy;
}

/** What a CSI answer says about a snapshot, in content-status units. */
export interface SnapshotObservation {
  snapshotHandle: string;
  readyToUse: boolean;
  /** Unix ns. */
  creationTime: number;
  /** Bytes; 0 = unknown. */
  restoreSize: number;
  groupSnapshotHandle?: string;
}

/**
 * Upstream's content status write: a fresh status takes everything; an existing one only gains
 * fields it lacks (the snapshotHandle is never overwritten) and follows readyToUse, whose becoming
 * true clears the error.
 */
export function mergeContentStatus(
  current: VolumeSnapshotContent["status"],
  seen: SnapshotObservation,
): NonNullable<VolumeSnapshotContent["status"]> {
  if (!current) {
    const status: NonNullable<VolumeSnapshotContent["status"]> = {
      snapshotHandle: seen.snapshotHandle,
      readyToUse: seen.readyToUse,
      creationTime: seen.creationTime,
    };
    if (seen.restoreSize > 0) status.restoreSize = seen.restoreSize;
    if (seen.groupSnapshotHandle) status.volumeGroupSnapshotHandle = seen.groupSnapshotHandle;
    return status;
  }
  const status = clone(current);
  if (status.snapshotHandle === undefined) status.snapshotHandle = seen.snapshotHandle;
  if (status.creationTime === undefined) status.creationTime = seen.creationTime;
  if (status.restoreSize === undefined && seen.restoreSize > 0) status.restoreSize = seen.restoreSize;
  if (status.volumeGroupSnapshotHandle === undefined && seen.groupSnapshotHandle) {
    status.volumeGroupSnapshotHandle = seen.groupSnapshotHandle;
  }
  if (status.readyToUse !== seen.readyToUse) {
    status.readyToUse = seen.readyToUse;
    if (seen.readyToUse) delete status.error;
  }
  return status;
}
