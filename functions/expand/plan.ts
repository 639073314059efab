// expand — external-resizer's decisions for one bound PersistentVolumeClaim whose storage request
// grew (its expand-and-recover flow): mark the resize in progress, ControllerExpandVolume (or, for a
// driver that grows volumes on the node only, upstream's trivial resizer: no call), then record the
// new size on the PV and the claim, or the failure. Pure: state in, steps out.
import type { PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimCondition, StorageClass } from "../../shared/api/core.js";
import type { DriverCapabilities, ExpandVolumeRequest, ExpandVolumeResult } from "../../shared/gateway/types.js";
import { clone } from "../../shared/snapshot/objects.js";
import { formatBinarySI, parseQuantity, QuantityError } from "../../shared/snapshot/quantity.js";
import { backoffMs, ERROR_BACKOFF, nothing, type Plan, type Step } from "../../shared/snapshot/steps.js";
import { isFinalFailure, pvVolumeCapability, rpcErrorText, type CallResult } from "../../shared/volume/csi.js";
import {
  ANN_NODE_EXPANSION_NOT_REQUIRED,
  ANN_BETA_STORAGE_CLASS,
  ANN_PRE_RESIZE_CAPACITY,
  CONDITIONS,
  EXPAND_CONTROLLER_COMPONENT,
  MSG,
  REASONS,
  RESIZE_CONDITIONS,
  RESIZE_STATUS,
  resizerComponent,
  RETRY_INTERVAL_MAX_MS,
} from "./constants.js";

export interface ExpandState {
  claim: PersistentVolumeClaim;
  /** The PV the claim is bound to, when it exists. */
  volume?: PersistentVolume;
  /** The claim's StorageClass, when it exists. */
  storageClass?: StorageClass;
  /** The gateway's answer for the PV's driver; undefined = not a driver this gateway serves. */
  capabilities?: DriverCapabilities;
  nowMs: number;
}

export interface ExpandCall {
  driver: string;
  request: ExpandVolumeRequest;
  /** The size asked for, as the quantity recorded in allocatedResources. */
  newSize: string;
}

export interface ExpandPlan extends Plan {
  call?: ExpandCall;
  /** The PV as it will be after the plan's writes. */
  volume?: PersistentVolume;
  /** The claim as it will be after the plan's writes (the after-call plan builds on it). */
  claim?: PersistentVolumeClaim;
}

const CLAIMS = "persistentvolumeclaims" as const;

function bytes(quantity: string | undefined): bigint {
  return quantity === undefined ? 0n : parseQuantity(quantity);
}

/** Kubernetes' time format for conditions (RFC 3339, whole seconds). */
function timeOf(nowMs: number): string {
  return new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Upstream's MergeResizeConditionsOfPVC: non-resize conditions stay; a new condition replaces one
 * of its type (keeping the old transition time when nothing but the time would change); other
 * resize conditions stay only when keepOld.
 */
export function mergeResizeConditions(
  old: readonly PersistentVolumeClaimCondition[] | undefined,
  added: readonly PersistentVolumeClaimCondition[],
  keepOld: boolean,
): PersistentVolumeClaimCondition[] {
  const byType = new Map(added.map((c) => [c.type, c]));
  const out: PersistentVolumeClaimCondition[] = [];
  for (const c of old ?? []) {
    if (!RESIZE_CONDITIONS.has(c.type)) {
      out.push(c);
      continue;
    }
    const replacement = byType.get(c.type);
    if (replacement) {
      const same = replacement.status === c.status && (replacement.message ?? "") === (c.message ?? "");
      out.push(same && c.lastTransitionTime ? { ...replacement, lastTransitionTime: c.lastTransitionTime } : replacement);
      byType.delete(c.type);
    } else if (keepOld) out.push(c);
  }
  out.push(...byType.values());
  return out;
}

function withStorageStatus(claim: PersistentVolumeClaim, value: string | undefined): PersistentVolumeClaim {
  const next = clone(claim);
  const statuses = { ...(next.status?.allocatedResourceStatuses ?? {}) };
  if (value === undefined) delete statuses.storage;
  else statuses.storage = value;
  next.status = { ...next.status };
  if (Object.keys(statuses).length > 0) next.status.allocatedResourceStatuses = statuses;
  else delete next.status.allocatedResourceStatuses;
  return next;
}

function changed(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) !== JSON.stringify(b);
}

function event(claim: PersistentVolumeClaim, driver: string, type: "Normal" | "Warning", reason: string, message: string): Step {
  return { op: "event", on: claim, type, reason, message, component: resizerComponent(driver) };
}

/** The claim's class as kube-apiserver's resize admission reads it (GetPersistentVolumeClaimClass). */
export function claimClassName(claim: PersistentVolumeClaim): string | undefined {
  const beta = claim.metadata.annotations?.[ANN_BETA_STORAGE_CLASS];
  if (beta !== undefined) return beta || undefined;
  return claim.spec.storageClassName || undefined;
}

/**
 * A bound claim whose request exceeds its capacity (upstream's pvcNeedResize), or whose controller
 * resize is still marked in progress with no final failure: its outcome is unknown or the claim's
 * last write was lost (another writer of the claim's capacity, such as a PV controller that copies
 * a bound PV's capacity, can win the race with the resizer's status write), and upstream's
 * in-memory retry has no stateless equivalent but looking again. After a final failure, a request
 * brought back to the capacity ends the resize, as upstream.
 */
export function resizeWanted(claim: PersistentVolumeClaim): boolean {
  // Deletion is no reason to stop: a claim held by pvc-protection is still in use.
  if (claim.status?.phase !== "Bound" || !claim.spec.volumeName) return false;
  if (bytes(claim.spec.resources?.requests?.storage) > bytes(claim.status.capacity?.storage)) return true;
  return claim.status.allocatedResourceStatuses?.storage === RESIZE_STATUS.controllerInProgress && !condition(claim, CONDITIONS.controllerResizeError);
}

/**
 * A claim whose last resize is finished (an allocated size, no resize status): its PV may still
 * carry the pre-resize-capacity mark, which comes off once the claim has caught up with the PV.
 */
export function mayHoldPreResizeMark(claim: PersistentVolumeClaim): boolean {
  if (claim.status?.phase !== "Bound" || !claim.spec.volumeName) return false;
  return claim.status.allocatedResources?.storage !== undefined && claim.status.allocatedResourceStatuses?.storage === undefined;
}

/** Upstream's syncPVC first step: the node step is complete, so the PV's pre-resize mark goes. */
function preResizeCleanup(claim: PersistentVolumeClaim, pv: PersistentVolume): PersistentVolume | undefined {
  if (!Object.hasOwn(pv.metadata.annotations ?? {}, ANN_PRE_RESIZE_CAPACITY)) return undefined;
  if (bytes(claim.status?.capacity?.storage) < bytes(pv.spec.capacity?.storage)) return undefined;
  const next = clone(pv);
  const annotations: Record<string, string> = { ...next.metadata.annotations };
  delete annotations[ANN_PRE_RESIZE_CAPACITY];
  next.metadata.annotations = annotations;
  return next;
}

function condition(claim: PersistentVolumeClaim, type: string): PersistentVolumeClaimCondition | undefined {
  return claim.status?.conditions?.find((c) => c.type === type && c.status === "True");
}

/** When the resize now under way began (its Resizing condition), for back-off; else the claim's creation. */
function resizeStart(claim: PersistentVolumeClaim): string | undefined {
  return condition(claim, CONDITIONS.resizing)?.lastTransitionTime ?? claim.metadata.creationTimestamp;
}

/**
 * The resizer external-resizer builds for a driver (NewResizerFromClient): the CSI resizer when the
 * controller can expand, the trivial resizer when only the node can (the size asked for is taken as
 * done, the node grows the filesystem), else none. A plugin without the controller service gets none
 * even if its node could expand: upstream checks that first.
 */
export type Resizer = { kind: "csi" } | { kind: "trivial" } | { kind: "none"; error: string };

export function resizerFor(caps: DriverCapabilities): Resizer {
  if (!caps.plugin.includes("CONTROLLER_SERVICE")) return { kind: "none", error: MSG.noControllerService };
  if (caps.controller.includes("EXPAND_VOLUME")) return { kind: "csi" };
  if (caps.node.includes("EXPAND_VOLUME")) return { kind: "trivial" };
  return { kind: "none", error: MSG.resizeNotSupported };
}

type Target = { kind: "expand"; size: string } | { kind: "wait"; why: string };

/**
 * Upstream's expand-and-recover choice of size. A resize whose outcome is unknown finishes at the
 * size it started with; one that failed for good, or was infeasible, may take the (possibly
 * smaller) new request; a node step under way is left to the node. "A final error was seen" is kept
 * by upstream in memory; here the claim's ControllerResizeError condition, written on that error,
 * is the record. `controlPlane` is upstream's DriverSupportsControlPlaneExpansion (false for the
 * trivial resizer, which has no allocated size of its own to go back to).
 */
function resizeTarget(claim: PersistentVolumeClaim, pv: PersistentVolume, controlPlane: boolean): Target {
  const request = claim.spec.resources!.requests!.storage!;
  const allocated = claim.status?.allocatedResources?.storage;
  const status = claim.status?.allocatedResourceStatuses?.storage ?? "";
  const pvSize = bytes(pv.spec.capacity?.storage);
  const nodeBusy = { kind: "wait", why: "file system resize is pending on the node" } as const;
  if (pvSize < bytes(request)) {
    switch (status) {
      case RESIZE_STATUS.nodeInfeasible:
        return { kind: "expand", size: allocated ?? request };
      case RESIZE_STATUS.nodePending:
      case RESIZE_STATUS.nodeInProgress: {
        const size = allocated ?? request;
        return pvSize >= bytes(size) ? nodeBusy : { kind: "expand", size };
      }
      case RESIZE_STATUS.controllerInProgress:
        return { kind: "expand", size: condition(claim, CONDITIONS.controllerResizeError) || !allocated ? request : allocated };
      default:
        return { kind: "expand", size: request };
    }
  }
  switch (status) {
    case RESIZE_STATUS.nodePending:
    case RESIZE_STATUS.nodeInProgress:
      return nodeBusy;
    case RESIZE_STATUS.nodeInfeasible:
      return { kind: "expand", size: controlPlane && allocated ? allocated : request };
    case RESIZE_STATUS.controllerInProgress:
    case RESIZE_STATUS.controllerInfeasible:
      return { kind: "expand", size: allocated ?? request };
    default:
      if (status === "" && allocated) return { kind: "expand", size: allocated };
      if (condition(claim, CONDITIONS.fileSystemResizePending)) return { kind: "wait", why: "file system resize is pending on the node" };
      return { kind: "expand", size: request };
  }
}

export function planExpand(s: ExpandState): ExpandPlan {
  const claim = s.claim;
  let wanted: boolean;
  try {
    wanted = resizeWanted(claim);
  } catch (err) {
    if (err instanceof QuantityError) return { steps: [], verdict: { kind: "invalid", message: err.message } };
    throw err;
  }
  if (!wanted && !mayHoldPreResizeMark(claim)) return nothing("no resize requested");
  const pvName = claim.spec.volumeName!;
  const pv = s.volume;
  if (!pv) {
    const message = MSG.pvNotFound(pvName, claim.metadata.namespace, claim.metadata.name);
    return { steps: [], verdict: { kind: "requeue", afterMs: backoffMs(claim.metadata.creationTimestamp, s.nowMs, ERROR_BACKOFF), reason: message } };
  }
  const cleaned = preResizeCleanup(claim, pv);
  const cleanup: Step[] = cleaned ? [{ op: "update", resource: "persistentvolumes", object: cleaned }] : [];
  if (!wanted) return cleanup.length > 0 ? { steps: cleanup, verdict: { kind: "done" }, volume: cleaned! } : nothing("no resize requested");
  const csi = pv.spec.csi;
  if (!csi) return nothing("PV is not a CSI volume");
  if (!s.capabilities) return nothing(`driver ${csi.driver} is not a driver this gateway serves`);
  const ref = pv.spec.claimRef;
  if (!ref || ref.namespace !== claim.metadata.namespace || ref.uid !== claim.metadata.uid) return nothing("persistent volume is not bound to PVC being updated");
  const driver = csi.driver;

  // What kube-apiserver's admission would refuse: expansion needs a class that allows it.
  const className = claimClassName(claim);
  if (!className || s.storageClass?.metadata.name !== className || s.storageClass?.allowVolumeExpansion !== true) {
    return { steps: [event(claim, driver, "Warning", REASONS.resizeFailed, MSG.notAllowed)], verdict: { kind: "nothing", why: MSG.notAllowed } };
  }
  const resizer = resizerFor(s.capabilities);
  if (resizer.kind === "none") {
    return { steps: [event(claim, driver, "Warning", REASONS.resizeFailed, resizer.error)], verdict: { kind: "nothing", why: resizer.error } };
  }

  const target = resizeTarget(claim, pv, resizer.kind === "csi");
  if (target.kind === "wait") return nothing(target.why);
  const newSize = target.size;
  const allocated = claim.status?.allocatedResources?.storage;
  // Asking again for the size already recorded changes no status: the resize status and error
  // conditions stay as they are (upstream's updateStatus=false).
  const sameSize = allocated !== undefined && bytes(allocated) === bytes(newSize);
  if (sameSize && claim.status?.allocatedResourceStatuses?.storage === RESIZE_STATUS.controllerInfeasible) {
    // Upstream's slow set: the same infeasible size is tried again only after retry-interval-max,
    // counted here from the failure recorded on the claim.
    const failedAt = Date.parse(condition(claim, CONDITIONS.controllerResizeError)?.lastTransitionTime ?? "");
    const remaining = Number.isFinite(failedAt) ? failedAt + RETRY_INTERVAL_MAX_MS - s.nowMs : 0;
    if (remaining > 0) return { steps: [], verdict: { kind: "requeue", afterMs: remaining, reason: MSG.slowRetry(claim.metadata.namespace, claim.metadata.name) } };
  }

  const steps: Step[] = [...cleanup];
  let current = claim;
  if (!sameSize) {
    // kube-controller-manager's expand controller, which finds no in-tree plugin for a CSI PV.
    steps.push({ op: "event", on: claim, type: "Warning", reason: REASONS.externalExpanding, message: MSG.externalExpanding, component: EXPAND_CONTROLLER_COMPONENT });
  }
  if (Object.hasOwn(current.metadata.annotations ?? {}, ANN_NODE_EXPANSION_NOT_REQUIRED)) {
    current = clone(current);
    const next: Record<string, string> = { ...current.metadata.annotations };
    delete next[ANN_NODE_EXPANSION_NOT_REQUIRED];
    current.metadata.annotations = next;
    steps.push({ op: "update", resource: CLAIMS, object: current });
  }
  const marked = sameSize ? clone(current) : withStorageStatus(current, RESIZE_STATUS.controllerInProgress);
  marked.status = { ...marked.status };
  marked.status.conditions = mergeResizeConditions(current.status?.conditions, [{ type: CONDITIONS.resizing, status: "True", lastTransitionTime: timeOf(s.nowMs) }], sameSize);
  marked.status.allocatedResources = { ...(marked.status.allocatedResources ?? {}), storage: newSize };
  if (changed(marked.status, current.status)) {
    steps.push({ op: "updateStatus", resource: CLAIMS, object: marked });
    current = marked;
  }
  steps.push(event(claim, driver, "Normal", REASONS.resizing, MSG.resizing(pvName)));

  if (resizer.kind === "trivial") {
    // The trivial resizer's Resize answers the size asked for and "node expansion required" without
    // any call: the PV and claim are written as for such an answer from ControllerExpandVolume.
    const recorded = recordResized(current, cleaned ?? pv, driver, newSize, true, s.nowMs);
    return { steps: [...steps, ...recorded.steps], verdict: recorded.verdict };
  }

  const capability = pvVolumeCapability(pv.spec.accessModes ?? [], {
    volumeMode: pv.spec.volumeMode,
    fsType: csi.fsType,
    mountFlags: pv.spec.mountOptions,
    singleNodeMultiWriter: s.capabilities.controller.includes("SINGLE_NODE_MULTI_WRITER"),
  });
  if (!capability.ok) {
    // Upstream's Resize fails before any RPC; not a gRPC error, so not final: Event and retry only.
    const message = MSG.failed(pvName, driver, MSG.noCapability(pvName, capability.error));
    steps.push(event(claim, driver, "Warning", REASONS.resizeFailed, message));
    return { steps, verdict: { kind: "requeue", afterMs: backoffMs(resizeStart(current), s.nowMs, ERROR_BACKOFF), reason: message }, claim: current };
  }
  const expand: ExpandVolumeRequest = {
    volumeId: csi.volumeHandle,
    requiredBytes: Number(bytes(newSize)),
    capability: capability.value,
    ...(csi.controllerExpandSecretRef ? { secretRef: csi.controllerExpandSecretRef } : {}),
  };
  return { steps, verdict: { kind: "done" }, claim: current, volume: cleaned ?? pv, call: { driver, request: expand, newSize } };
}

/** After ControllerExpandVolume: the new size on PV and claim (or the node step pending), or the failure. */
export function afterExpand(claim: PersistentVolumeClaim, pv: PersistentVolume, call: ExpandCall, result: CallResult<ExpandVolumeResult>, nowMs: number): ExpandPlan {
  const driver = call.driver;
  const pvName = pv.metadata.name!;
  if (!result.ok) {
    const err = rpcErrorText(result.failure);
    const steps: Step[] = [];
    if (isFinalFailure(result.failure)) {
      const infeasible = result.failure.code === "INVALID_ARGUMENT" || result.failure.code === "OUT_OF_RANGE" || result.failure.code === "NOT_FOUND";
      const failed = infeasible ? withStorageStatus(claim, RESIZE_STATUS.controllerInfeasible) : clone(claim);
      failed.status = { ...failed.status };
      failed.status.conditions = mergeResizeConditions(
        claim.status?.conditions,
        [{ type: CONDITIONS.controllerResizeError, status: "True", lastTransitionTime: timeOf(nowMs), message: MSG.failedCondition(err) }],
        true,
      );
      if (changed(failed.status, claim.status)) steps.push({ op: "updateStatus", resource: CLAIMS, object: failed });
    }
    const message = MSG.failed(pvName, driver, err);
    steps.push(event(claim, driver, "Warning", REASONS.resizeFailed, message));
    return { steps, verdict: { kind: "requeue", afterMs: backoffMs(resizeStart(claim), nowMs, ERROR_BACKOFF), reason: message } };
  }

  const requested = Number(parseQuantity(call.newSize));
  const size = formatBinarySI(result.value.capacityBytes > 0 ? result.value.capacityBytes : requested);
  return recordResized(claim, pv, driver, size, result.value.nodeExpansionRequired, nowMs);
}

/** A resize the resizer reports done at `size`: the PV's capacity, then the claim's (or the node step pending). */
function recordResized(claim: PersistentVolumeClaim, pv: PersistentVolume, driver: string, size: string, nodeExpansionRequired: boolean, nowMs: number): ExpandPlan {
  const steps: Step[] = [];
  const grown = clone(pv);
  grown.spec.capacity = { ...grown.spec.capacity, storage: size };
  if (nodeExpansionRequired && !Object.hasOwn(pv.metadata.annotations ?? {}, ANN_PRE_RESIZE_CAPACITY)) {
    grown.metadata.annotations = { ...grown.metadata.annotations, [ANN_PRE_RESIZE_CAPACITY]: claim.status?.capacity?.storage ?? "0" };
  }
  if (changed(grown, pv)) steps.push({ op: "update", resource: "persistentvolumes", object: grown });

  if (nodeExpansionRequired) {
    const pending = withStorageStatus(claim, RESIZE_STATUS.nodePending);
    pending.status!.conditions = mergeResizeConditions(
      claim.status?.conditions,
      [{ type: CONDITIONS.fileSystemResizePending, status: "True", lastTransitionTime: timeOf(nowMs), message: MSG.fsResizePendingCondition }],
      true,
    );
    steps.push({ op: "updateStatus", resource: CLAIMS, object: pending });
    steps.push(event(claim, driver, "Normal", REASONS.fileSystemResizeRequired, MSG.fsResizeRequired));
    return { steps, verdict: { kind: "done" } };
  }

  // Done on the controller and nothing for the node: the claim reports the new size.
  let current = claim;
  if (!Object.hasOwn(current.metadata.annotations ?? {}, ANN_NODE_EXPANSION_NOT_REQUIRED)) {
    current = clone(current);
    current.metadata.annotations = { ...current.metadata.annotations, [ANN_NODE_EXPANSION_NOT_REQUIRED]: "true" };
    steps.push({ op: "update", resource: CLAIMS, object: current });
  }
  const finished = withStorageStatus(current, undefined);
  finished.status!.capacity = { ...(finished.status!.capacity ?? {}), storage: size };
  const conditions = mergeResizeConditions(current.status?.conditions, [], false);
  if (conditions.length > 0) finished.status!.conditions = conditions;
  else delete finished.status!.conditions;
  steps.push({ op: "updateStatus", resource: CLAIMS, object: finished });
  steps.push(event(claim, driver, "Normal", REASONS.resizeSucceeded, MSG.succeeded));
  return { steps, verdict: { kind: "done" } };
}
