// fanout — one VolumeGroupSnapshotContent: the controller's half (content finalizer, orphan mark)
// and the csi-snapshotter sidecar's half (upstream §4.5): CreateVolumeGroupSnapshot, readiness,
// GetVolumeGroupSnapshot for pre-provisioned groups, DeleteVolumeGroupSnapshot per policy. Pure: a
// plan may end in one gateway call whose answer goes through an after* function.
//
// Atomicity: a group is recorded only when the driver's answer accounts for every requested volume
// exactly once; any other answer is discarded at the backend (DeleteVolumeGroupSnapshot) before the
// error is reported, so no member snapshot outlives a failed group. While a create's outcome is
// unknown the being-created mark blocks deletion, so a late success is still found and deleted.
import type { VolumeGroupSnapshot, VolumeGroupSnapshotClass, VolumeGroupSnapshotContent, VolumeSnapshotInfo } from "../../shared/api/snapshot.js";
import type { CreateGroupSnapshotRequest, GroupSnapshotInfo, SecretRef } from "../../shared/gateway/types.js";
import {
  ANNOTATION_YES,
  ANNOTATIONS,
  CONTROLLER_COMPONENT,
  csiGroupSnapshotNameFor,
  FINALIZERS,
  REASONS,
  SECRET_PARAMS,
  sidecarComponent,
} from "../../shared/snapshot/constants.js";
import { MSG } from "../../shared/snapshot/messages.js";
import { clone, hasFinalizer, isDeleting, withAnnotation, withFinalizers, withoutAnnotation, withoutFinalizers } from "../../shared/snapshot/objects.js";
import { resolveGroupSecretRef, stripReservedParameters } from "../../shared/snapshot/params.js";
import { fail, ok, type Result } from "../../shared/snapshot/result.js";
import { nanosToRfc3339, rfc3339Now } from "../../shared/snapshot/status.js";
import { backoffMs, ERROR_BACKOFF, nothing, POLL_BACKOFF, type Plan, type Step } from "../../shared/snapshot/steps.js";
import { GMSG, notFoundGroupClass } from "./messages.js";
import { isFinalFailure, rpcErrorText, type CallResult } from "../../shared/gateway/failure.js";

export interface GroupContentState {
  content: VolumeGroupSnapshotContent;
  /** The class the content names, when it names one and it exists. */
  groupClass?: VolumeGroupSnapshotClass;
  /** The group its ref names, when it exists (any UID; the plan compares). */
  groupSnapshot?: VolumeGroupSnapshot;
  nowMs: number;
}

export type GroupCall =
  | { kind: "createGroup"; driver: string; request: CreateGroupSnapshotRequest }
  | { kind: "getGroup"; driver: string; groupSnapshotId: string; snapshotIds: string[]; secretRef?: SecretRef }
  | { kind: "deleteGroup"; driver: string; groupSnapshotId: string; snapshotIds: string[]; secretRef?: SecretRef }
  /** Cleanup of an answer that is not a complete group; `message` is the error to report after it. */
  | { kind: "discardGroup"; driver: string; groupSnapshotId: string; snapshotIds: string[]; secretRef?: SecretRef; message: string };

export interface GroupContentPlan extends Plan {
  call?: GroupCall;
}

const CONTENT = "volumegroupsnapshotcontents" as const;

function sidecarEvent(content: VolumeGroupSnapshotContent, type: "Normal" | "Warning", reason: string, message: string): Step {
  return { op: "event", on: content, type, reason, message, component: sidecarComponent(content.spec.driver) };
}

function errorDelay(content: VolumeGroupSnapshotContent, nowMs: number): number {
  return backoffMs(content.status?.error?.time ?? content.metadata.creationTimestamp, nowMs, ERROR_BACKOFF);
}

/** Error status (de-duplicated by message, readyToUse false) + Warning Event, then retry with back-off. */
function failContent(content: VolumeGroupSnapshotContent, steps: Step[], reason: string, message: string, nowMs: number): GroupContentPlan {
  const out = [...steps];
  if (content.status?.error?.message !== message) {
    const updated = clone(content);
    updated.status = { ...(updated.status ?? {}), readyToUse: false, error: { time: rfc3339Now(nowMs), message } };
    // The Warning is also recorded should the status write fail (other than a conflict, which is
    // only redelivered): upstream emits it whatever became of the patch.
    out.push(
      { op: "updateStatus", resource: CONTENT, object: updated, onFailure: { on: content, reason, message, component: sidecarComponent(content.spec.driver) } },
      sidecarEvent(content, "Warning", reason, message),
    );
  }
  return { steps: out, verdict: { kind: "requeue", afterMs: errorDelay(content, nowMs), reason: message } };
}

/** The secret named by the group deletion-secret annotations (create and delete use it). */
export function groupAnnotationSecret(content: VolumeGroupSnapshotContent): Result<SecretRef | undefined> {
  const ann = content.metadata.annotations ?? {};
  const hasName = Object.hasOwn(ann, ANNOTATIONS.groupDeletionSecretName);
  const hasNamespace = Object.hasOwn(ann, ANNOTATIONS.groupDeletionSecretNamespace);
  if (!hasName || !hasNamespace) return ok(undefined);
  const name = ann[ANNOTATIONS.groupDeletionSecretName]!;
  const namespace = ann[ANNOTATIONS.groupDeletionSecretNamespace]!;
  if (name === "" || namespace === "") return fail(GMSG.secretNameOrNamespaceMissing(content.metadata.name!));
  return ok({ name, namespace });
}

/** Upstream's shouldDelete for group contents. */
export function shouldDeleteGroupContent(content: VolumeGroupSnapshotContent): boolean {
  if (!isDeleting(content)) return false;
  if (content.spec.source.groupSnapshotHandles && !content.spec.volumeGroupSnapshotRef.uid) return true;
  const ann = content.metadata.annotations ?? {};
  if (Object.hasOwn(ann, ANNOTATIONS.groupBeingCreated)) return false;
  return Object.hasOwn(ann, ANNOTATIONS.groupBeingDeleted);
}

/** The member snapshot ids DeleteVolumeGroupSnapshot needs: the recorded list, else the static handles. */
function memberSnapshotIds(content: VolumeGroupSnapshotContent): string[] {
  const recorded = (content.status?.volumeSnapshotInfoList ?? []).flatMap((i) => (i.snapshotHandle ? [i.snapshotHandle] : []));
  if (recorded.length > 0) return recorded;
  return content.spec.source.groupSnapshotHandles?.volumeSnapshotHandles ?? [];
}

function releaseFinalizer(content: VolumeGroupSnapshotContent): Step {
  return { op: "update", resource: CONTENT, object: withoutFinalizers(content, FINALIZERS.groupContentBound) };
}

export function planGroupContent(s: GroupContentState): GroupContentPlan {
  const content = s.content;
  const handles = content.spec.source.volumeHandles;
  const hasHandles = handles !== undefined && handles.length > 0;
  if (hasHandles === !!content.spec.source.groupSnapshotHandles) {
    return {
      steps: [{ op: "event", on: content, type: "Warning", reason: REASONS.groupContentValidationError, message: GMSG.contentValidation, component: CONTROLLER_COMPONENT }],
      verdict: { kind: "invalid", message: GMSG.contentValidation },
    };
  }

  const deleting = isDeleting(content);
  // Upstream's sidecar for spec.driver takes a group content only when its class, if that exists,
  // is of the same driver; the other driver's sidecar skips it for spec.driver. The controller's
  // finalizer applies all the same.
  const foreign = !!s.groupClass && s.groupClass.driver !== content.spec.driver;
  if (deleting && foreign) return nothing("group content's class belongs to another driver");
  const creationUnknown = Object.hasOwn(content.metadata.annotations ?? {}, ANNOTATIONS.groupBeingCreated);
  // A deleting content whose create outcome is unknown first gets a definite answer (by re-issuing
  // the idempotent create); only then may it be deleted, so a late success is never leaked.
  if (deleting && (shouldDeleteGroupContent(content) || !creationUnknown || !hasFinalizer(content, FINALIZERS.groupContentBound))) return planDeleting(s);
  // The controller's content finalizer, once bound (a pre-bound content waits for its group
  // snapshot); the sidecar, which has no such gate, continues on the same (cumulative) object.
  const bound = !!content.spec.volumeGroupSnapshotRef.uid;
  const steps: Step[] = [];
  let current = content;
  if (bound && !deleting && !hasFinalizer(content, FINALIZERS.groupContentBound)) {
    current = withFinalizers(content, FINALIZERS.groupContentBound);
    steps.push({ op: "update", resource: CONTENT, object: current });
  }
  if (foreign) return steps.length > 0 ? { steps, verdict: { kind: "done" } } : nothing("group content's class belongs to another driver");

  if (hasHandles && !current.status) return planCreate(s, current, steps);
  if (current.status?.readyToUse === true) {
    if (Object.hasOwn(current.metadata.annotations ?? {}, ANNOTATIONS.groupBeingCreated)) {
      steps.push({ op: "update", resource: CONTENT, object: withoutAnnotation(current, ANNOTATIONS.groupBeingCreated) });
    }
    return steps.length > 0 ? { steps, verdict: { kind: "done" } } : nothing("group snapshot is ready");
  }
  if (content.spec.source.groupSnapshotHandles) return planGet(s, current, steps);
  return planCreate(s, current, steps);
}

function planDeleting(s: GroupContentState): GroupContentPlan {
  const content = s.content;
  if (!hasFinalizer(content, FINALIZERS.groupContentBound)) return nothing("group content finalizer already released");
  if (shouldDeleteGroupContent(content)) {
    const handle = content.status?.volumeGroupSnapshotHandle;
    if (content.spec.deletionPolicy === "Delete" && handle) {
      const secret = groupAnnotationSecret(content);
      if (!secret.ok) {
        return {
          steps: [sidecarEvent(content, "Warning", REASONS.groupSnapshotDeleteError, GMSG.deleteCredentialsFailed)],
          verdict: { kind: "requeue", afterMs: errorDelay(content, s.nowMs), reason: GMSG.deleteInputParameters(content.metadata.name!, secret.error) },
        };
      }
      const snapshotIds = memberSnapshotIds(content);
      if (snapshotIds.length === 0) {
        // Upstream finds this inside its DeleteGroupSnapshot call, so it reads as that call's failure.
        return {
          steps: [sidecarEvent(content, "Warning", REASONS.groupSnapshotDeleteError, GMSG.deleteGroupSnapshotFailedEvent)],
          verdict: { kind: "requeue", afterMs: errorDelay(content, s.nowMs), reason: GMSG.deleteGroupSnapshotFailed(content.metadata.name!, GMSG.deleteNoSnapshots(content.metadata.name!)) },
        };
      }
      return {
        steps: [],
        verdict: { kind: "done" },
        call: { kind: "deleteGroup", driver: content.spec.driver, groupSnapshotId: handle, snapshotIds, ...(secret.value ? { secretRef: secret.value } : {}) },
      };
    }
    // Retain, or never created: nothing exists at the backend that this content may delete.
    return { steps: [releaseFinalizer(content)], verdict: { kind: "done" } };
  }
  // Deleted directly while bound: only once its group is gone is the user's deletion sanctioned.
  const ann = content.metadata.annotations ?? {};
  const ref = content.spec.volumeGroupSnapshotRef;
  const groupExists = !!s.groupSnapshot && s.groupSnapshot.metadata.uid === ref.uid;
  if (!Object.hasOwn(ann, ANNOTATIONS.groupBeingDeleted) && !Object.hasOwn(ann, ANNOTATIONS.groupBeingCreated) && ref.uid && !groupExists) {
    return { steps: [{ op: "update", resource: CONTENT, object: withAnnotation(content, ANNOTATIONS.groupBeingDeleted, ANNOTATION_YES) }], verdict: { kind: "done" } };
  }
  return nothing("group content waits: its group snapshot exists or its creation outcome is unknown");
}

/** CreateVolumeGroupSnapshot, fresh or as a readiness poll (same name: the driver answers idempotently). */
function planCreate(s: GroupContentState, content: VolumeGroupSnapshotContent, steps: Step[]): GroupContentPlan {
  const name = content.metadata.name!;
  const createFailed = (err: string) => failContent(content, steps, REASONS.groupSnapshotCreationFailed, GMSG.createGroupSnapshotFailed(err), s.nowMs);
  const inputError = (err: string) => createFailed(GMSG.contentInputParameters(name, err));

  const className = content.spec.volumeGroupSnapshotClassName;
  if (className === undefined) return inputError(GMSG.contentNoClass(name));
  const cls = s.groupClass;
  if (!cls) return inputError(notFoundGroupClass(className));
  const secret = groupAnnotationSecret(content);
  if (!secret.ok) return inputError(secret.error);
  const params = stripReservedParameters(cls.parameters);
  if (!params.ok) return createFailed(MSG.removePrefixedParameters(params.error));
  // Upstream checks these inside its CreateVolumeGroupSnapshot call, so they read as that call's failure.
  const uid = content.spec.volumeGroupSnapshotRef.uid;
  const volumeHandles = content.spec.source.volumeHandles ?? [];
  if (!uid) return createFailed(GMSG.takeGroupSnapshotFailed(volumeHandles, GMSG.contentNotBound(name)));
  if (volumeHandles.length === 0) return createFailed(GMSG.takeGroupSnapshotFailed(volumeHandles, GMSG.noVolumeHandles(name)));

  const out = [...steps];
  if (!Object.hasOwn(content.metadata.annotations ?? {}, ANNOTATIONS.groupBeingCreated) && !content.status?.volumeGroupSnapshotHandle) {
    // One write with a finalizer added just before (both are metadata of the same object).
    const last = out.at(-1);
    if (last?.op === "update" && last.resource === CONTENT) out.pop();
    out.push({ op: "update", resource: CONTENT, object: withAnnotation(content, ANNOTATIONS.groupBeingCreated, ANNOTATION_YES) });
  }
  const request: CreateGroupSnapshotRequest = { name: csiGroupSnapshotNameFor(uid), sourceVolumeIds: [...volumeHandles], parameters: params.value };
  if (secret.value) request.secretRef = secret.value;
  return { steps: out, verdict: { kind: "done" }, call: { kind: "createGroup", driver: content.spec.driver, request } };
}

/** GetVolumeGroupSnapshot for a pre-provisioned group. */
function planGet(s: GroupContentState, content: VolumeGroupSnapshotContent, steps: Step[]): GroupContentPlan {
  const name = content.metadata.name!;
  const checkFailed = (err: string) => failContent(content, steps, REASONS.groupSnapshotContentCheckandUpdateFailed, GMSG.checkAndUpdateFailed(err), s.nowMs);
  const source = content.spec.source.groupSnapshotHandles!;
  if (source.volumeSnapshotHandles.length === 0) return checkFailed(GMSG.getNoSnapshots(name));
  let secretRef: SecretRef | undefined;
  const className = content.spec.volumeGroupSnapshotClassName;
  if (className) {
    if (!s.groupClass) return checkFailed(GMSG.getClassFailedForContent(className, name, notFoundGroupClass(className)));
    const secret = resolveGroupSecretRef(SECRET_PARAMS.groupSnapshotterGet, s.groupClass.parameters, { groupContentName: name });
    if (!secret.ok) return checkFailed(GMSG.getSecretReferenceFailed(name, secret.error));
    secretRef = secret.value;
  }
  return {
    steps,
    verdict: { kind: "done" },
    call: {
      kind: "getGroup",
      driver: content.spec.driver,
      groupSnapshotId: content.status?.volumeGroupSnapshotHandle ?? source.volumeGroupSnapshotHandle,
      snapshotIds: [...source.volumeSnapshotHandles],
      ...(secretRef ? { secretRef } : {}),
    },
  };
}

function creationTimeOf(ns: string, nowMs: number): string {
  return Number(ns || "0") > 0 ? nanosToRfc3339(ns) : rfc3339Now(nowMs);
}

/** The CSI group answer as the content's info list (upstream: 0 times and sizes are left out). */
export function infoListOf(group: GroupSnapshotInfo): VolumeSnapshotInfo[] {
  return group.snapshots.map((snap) => {
    const info: VolumeSnapshotInfo = { volumeHandle: snap.sourceVolumeId, snapshotHandle: snap.snapshotId };
    const created = Number(snap.creationTimeNs || "0");
    if (created > 0) info.creationTime = created;
    info.readyToUse = snap.readyToUse;
    if (snap.sizeBytes > 0) info.restoreSize = snap.sizeBytes;
    return info;
  });
}

/** Whether the answer accounts for every requested volume exactly once, each with a snapshot id. */
export function isCompleteGroup(requested: readonly string[], group: GroupSnapshotInfo): boolean {
  if (!group.groupSnapshotId || group.snapshots.length !== requested.length) return false;
  const answered = new Set(group.snapshots.map((s) => s.sourceVolumeId));
  return answered.size === requested.length && requested.every((v) => answered.has(v)) && group.snapshots.every((s) => !!s.snapshotId);
}

/** Upstream's updateGroupSnapshotContentStatus: fresh status takes all; else fill what is missing. */
export function mergeGroupContentStatus(
  current: VolumeGroupSnapshotContent["status"],
  seen: { handle: string; readyToUse: boolean; creationTime: string; infos: VolumeSnapshotInfo[] },
): NonNullable<VolumeGroupSnapshotContent["status"]> {
  if (!current) {
    const status: NonNullable<VolumeGroupSnapshotContent["status"]> = {
      volumeGroupSnapshotHandle: seen.handle,
      readyToUse: seen.readyToUse,
      creationTime: seen.creationTime,
    };
    if (seen.infos.length > 0) status.volumeSnapshotInfoList = seen.infos;
    return status;
  }
  const status = clone(current);
  if (!status.volumeGroupSnapshotHandle) status.volumeGroupSnapshotHandle = seen.handle;
  if (!status.creationTime) status.creationTime = seen.creationTime;
  if (status.readyToUse !== seen.readyToUse) {
    status.readyToUse = seen.readyToUse;
    if (seen.readyToUse) delete status.error;
  }
  if ((status.volumeSnapshotInfoList?.length ?? 0) === 0 && seen.infos.length > 0) status.volumeSnapshotInfoList = seen.infos;
  return status;
}

function statusAndPoll(content: VolumeGroupSnapshotContent, status: NonNullable<VolumeGroupSnapshotContent["status"]>, nowMs: number, steps: Step[]): { plan: GroupContentPlan; content: VolumeGroupSnapshotContent } {
  let current = content;
  if (JSON.stringify(status) !== JSON.stringify(content.status)) {
    current = clone(content);
    current.status = status;
    steps.push({ op: "updateStatus", resource: CONTENT, object: current });
  }
  const plan: GroupContentPlan = status.readyToUse
    ? { steps, verdict: { kind: "done" } }
    : { steps, verdict: { kind: "requeue", afterMs: backoffMs(content.metadata.creationTimestamp, nowMs, POLL_BACKOFF), reason: "group snapshot is not ready yet" } };
  return { plan, content: current };
}

export interface AfterGroupCreateOptions {
  /** This attempt set the being-created mark (it was absent when the content was read). */
  markedNow?: boolean;
}

/** After CreateVolumeGroupSnapshot answered (or failed). */
export function afterGroupCreate(
  content: VolumeGroupSnapshotContent,
  request: CreateGroupSnapshotRequest,
  result: CallResult<GroupSnapshotInfo>,
  nowMs: number,
  options: AfterGroupCreateOptions = {},
): GroupContentPlan {
  const annotated = Object.hasOwn(content.metadata.annotations ?? {}, ANNOTATIONS.groupBeingCreated);
  const wasPoll = content.status !== undefined;
  if (!result.ok) {
    const steps: Step[] = [];
    let current = content;
    // Upstream reads the Secret before it sets the mark, so an unreadable one is an input failure
    // the driver never saw: a mark this attempt set is taken back; an older one keeps waiting.
    const secretFailed = result.failure.origin === "secret";
    if (annotated && (isFinalFailure(result.failure) || (secretFailed && options.markedNow))) {
      current = withoutAnnotation(content, ANNOTATIONS.groupBeingCreated);
      steps.push({ op: "update", resource: CONTENT, object: current });
    }
    const name = content.metadata.name!;
    const err = secretFailed
      ? GMSG.contentInputParameters(name, GMSG.cannotGetCredentials(name))
      : GMSG.takeGroupSnapshotFailed(request.sourceVolumeIds, rpcErrorText(result.failure));
    return wasPoll
      ? failContent(current, steps, REASONS.groupSnapshotContentCheckandUpdateFailed, GMSG.checkAndUpdateFailed(err), nowMs)
      : failContent(current, steps, REASONS.groupSnapshotCreationFailed, GMSG.createGroupSnapshotFailed(err), nowMs);
  }
  const group = result.value;
  if (!isCompleteGroup(request.sourceVolumeIds, group)) {
    const message = GMSG.incompleteGroup(request.sourceVolumeIds, group.snapshots.map((s) => s.sourceVolumeId));
    const snapshotIds = group.snapshots.flatMap((s) => (s.snapshotId ? [s.snapshotId] : []));
    if (!group.groupSnapshotId || snapshotIds.length === 0) {
      // Nothing the backend could be asked to remove: report (the mark stays, the next look retries).
      return failContent(content, [], REASONS.groupSnapshotCreationFailed, GMSG.createGroupSnapshotFailed(message), nowMs);
    }
    return {
      steps: [],
      verdict: { kind: "done" },
      call: {
        kind: "discardGroup",
        driver: content.spec.driver,
        groupSnapshotId: group.groupSnapshotId,
        snapshotIds,
        ...(request.secretRef ? { secretRef: request.secretRef } : {}),
        message,
      },
    };
  }
  const status = mergeGroupContentStatus(content.status, {
    handle: group.groupSnapshotId,
    readyToUse: group.readyToUse,
    creationTime: creationTimeOf(group.creationTimeNs, nowMs),
    infos: infoListOf(group),
  });
  const steps: Step[] = [];
  const { plan, content: current } = statusAndPoll(content, status, nowMs, steps);
  if (annotated) steps.push({ op: "update", resource: CONTENT, object: withoutAnnotation(current, ANNOTATIONS.groupBeingCreated) });
  return plan;
}

/**
 * After discarding an incomplete answer: once the backend confirmed, nothing is left and the
 * outcome is definite (mark removed, error reported); otherwise the mark stays so deletion waits.
 */
export function afterGroupDiscard(content: VolumeGroupSnapshotContent, message: string, result: CallResult<void>, nowMs: number): GroupContentPlan {
  if (!result.ok) {
    return failContent(content, [], REASONS.groupSnapshotCreationFailed, GMSG.createGroupSnapshotFailed(`${message}; discarding it failed: ${rpcErrorText(result.failure)}`), nowMs);
  }
  const steps: Step[] = [];
  let current = content;
  if (Object.hasOwn(content.metadata.annotations ?? {}, ANNOTATIONS.groupBeingCreated)) {
    current = withoutAnnotation(content, ANNOTATIONS.groupBeingCreated);
    steps.push({ op: "update", resource: CONTENT, object: current });
  }
  return failContent(current, steps, REASONS.groupSnapshotCreationFailed, GMSG.createGroupSnapshotFailed(message), nowMs);
}

/**
 * After GetVolumeGroupSnapshot (pre-provisioned): handle from the spec, no info list (upstream).
 * secretRef: the class's get Secret the call named, for the wording when it could not be read.
 */
export function afterGroupGet(content: VolumeGroupSnapshotContent, result: CallResult<GroupSnapshotInfo>, nowMs: number, secretRef?: SecretRef): GroupContentPlan {
  const name = content.metadata.name!;
  const handle = content.spec.source.groupSnapshotHandles!.volumeGroupSnapshotHandle;
  const checkFailed = (err: string) => failContent(content, [], REASONS.groupSnapshotContentCheckandUpdateFailed, GMSG.checkAndUpdateFailed(err), nowMs);
  if (!result.ok && result.failure.origin === "secret") {
    return checkFailed(GMSG.getCredentialsFailed(name, MSG.secretReadFailed(secretRef?.name ?? "", secretRef?.namespace ?? "", result.failure.message)));
  }
  if (!result.ok) return checkFailed(GMSG.getGroupSnapshotFailed(name, rpcErrorText(result.failure)));
  const status = mergeGroupContentStatus(content.status, {
    handle,
    readyToUse: result.value.readyToUse,
    creationTime: creationTimeOf(result.value.creationTimeNs, nowMs),
    infos: [],
  });
  return statusAndPoll(content, status, nowMs, []).plan;
}

/** After DeleteVolumeGroupSnapshot: clear the handle fields (info list kept), then release the finalizer. */
export function afterGroupDelete(content: VolumeGroupSnapshotContent, result: CallResult<void>, nowMs: number): GroupContentPlan {
  const name = content.metadata.name!;
  if (!result.ok) {
    // An unreadable Secret is, upstream, the credentials step before the call, with its own Event.
    const secretFailed = result.failure.origin === "secret";
    return {
      steps: [sidecarEvent(content, "Warning", REASONS.groupSnapshotDeleteError, secretFailed ? GMSG.deleteCredentialsFailed : GMSG.deleteGroupSnapshotFailedEvent)],
      verdict: {
        kind: "requeue",
        afterMs: backoffMs(content.metadata.deletionTimestamp, nowMs, ERROR_BACKOFF),
        reason: secretFailed
          ? GMSG.deleteInputParameters(name, GMSG.cannotGetCredentials(name))
          : GMSG.deleteGroupSnapshotFailed(name, rpcErrorText(result.failure)),
      },
    };
  }
  const cleared = clone(content);
  if (cleared.status) {
    delete cleared.status.volumeGroupSnapshotHandle;
    delete cleared.status.readyToUse;
    delete cleared.status.creationTime;
    delete cleared.status.error;
  }
  return {
    steps: [
      {
        op: "updateStatus",
        resource: CONTENT,
        object: cleared,
        onFailure: { on: content, reason: REASONS.groupSnapshotDeleteError, message: GMSG.clearStatusFailedEvent, component: sidecarComponent(content.spec.driver) },
      },
      releaseFinalizer(cleared),
    ],
    verdict: { kind: "done" },
  };
}
