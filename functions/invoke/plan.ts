// invoke — the csi-snapshotter sidecar's decisions for one VolumeSnapshotContent: create the
// backend snapshot, poll it until ready, delete it per policy, release the content finalizer.
// Pure. A plan may end in one gateway call; the call's answer goes through a second pure function
// (afterCreate / afterList / afterDelete) that decides the writes.
import type { VolumeSnapshotClass, VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import { isFinalFailure, rpcErrorText, type CallFailure, type CallResult } from "../../shared/gateway/failure.js";
import type { CreateSnapshotRequest, CsiCode, SecretRef, SnapshotInfo } from "../../shared/gateway/types.js";
import {
  ANNOTATION_YES,
  ANNOTATIONS,
  csiSnapshotNameFor,
  FINALIZERS,
  REASONS,
  SECRET_PARAMS,
  sidecarComponent,
} from "../../shared/snapshot/constants.js";
import { MSG, notFound } from "../../shared/snapshot/messages.js";
import { clone, hasFinalizer, isDeleting, isGroupMemberContent, withAnnotation, withoutAnnotation, withoutFinalizers } from "../../shared/snapshot/objects.js";
import { resolveSecretRef, stripReservedParameters } from "../../shared/snapshot/params.js";
import { fail, ok, type Result } from "../../shared/snapshot/result.js";
import { contentWithError, mergeContentStatus, type SnapshotObservation } from "../../shared/snapshot/status.js";
import { backoffMs, ERROR_BACKOFF, nothing, POLL_BACKOFF, type Plan, type Step } from "../../shared/snapshot/steps.js";

export { isFinalFailure, rpcErrorText, type CallFailure, type CallResult };

export interface InvokeState {
  content: VolumeSnapshotContent;
  /** The class the content names, when it names one and it exists. */
  snapshotClass?: VolumeSnapshotClass;
  nowMs: number;
}

export type GatewayCall =
  | { kind: "createSnapshot"; driver: string; request: CreateSnapshotRequest }
  | { kind: "listSnapshot"; driver: string; snapshotId: string; secretRef?: SecretRef }
  | { kind: "deleteSnapshot"; driver: string; snapshotId: string; secretRef?: SecretRef };

export interface InvokePlan extends Plan {
  /** Performed after `steps`; its answer is passed to the matching after* function. */
  call?: GatewayCall;
}

const CONTENT = "volumesnapshotcontents" as const;


function event(content: VolumeSnapshotContent, type: "Normal" | "Warning", reason: string, message: string): Step {
  return { op: "event", on: content, type, reason, message, component: sidecarComponent(content.spec.driver) };
}

function pollDelay(content: VolumeSnapshotContent, nowMs: number): number {
  return backoffMs(content.metadata.creationTimestamp, nowMs, POLL_BACKOFF);
}

function errorDelay(content: VolumeSnapshotContent, nowMs: number): number {
  return backoffMs(content.status?.error?.time ?? content.metadata.creationTimestamp, nowMs, ERROR_BACKOFF);
}

/** Error status (de-duplicated by message) + Warning Event, then retry with back-off. */
function failContent(content: VolumeSnapshotContent, steps: Step[], reason: string, message: string, nowMs: number): InvokePlan {
  const updated = contentWithError(content, message, nowMs);
  const out = [...steps];
  // Event after the write: a conflict is retried, and must not leave a stray Warning behind.
  if (updated) out.push({ op: "updateStatus", resource: CONTENT, object: updated }, event(content, "Warning", reason, message));
  return { steps: out, verdict: { kind: "requeue", afterMs: errorDelay(content, nowMs), reason: message } };
}

/** The secret named by the deletion-secret annotations (used for create, delete and member lists). */
export function annotationSecret(content: VolumeSnapshotContent): Result<SecretRef | undefined> {
  const ann = content.metadata.annotations ?? {};
  const hasName = Object.hasOwn(ann, ANNOTATIONS.deletionSecretName);
  const hasNamespace = Object.hasOwn(ann, ANNOTATIONS.deletionSecretNamespace);
  if (!hasName || !hasNamespace) return ok(undefined);
  const name = ann[ANNOTATIONS.deletionSecretName]!;
  const namespace = ann[ANNOTATIONS.deletionSecretNamespace]!;
  if (name === "" || namespace === "") return fail(MSG.secretNameOrNamespaceMissing(content.metadata.name!));
  return ok({ name, namespace });
}

/** Upstream's shouldDelete: act on a deleting content only when its deletion is sanctioned. */
export function shouldDelete(content: VolumeSnapshotContent): boolean {
  if (!isDeleting(content)) return false;
  if (content.spec.source.snapshotHandle !== undefined && !content.spec.volumeSnapshotRef.uid) return true;
  const ann = content.metadata.annotations ?? {};
  if (Object.hasOwn(ann, ANNOTATIONS.beingCreated)) return false;
  return Object.hasOwn(ann, ANNOTATIONS.beingDeleted);
}

export function planInvoke(s: InvokeState): InvokePlan {
  const content = s.content;
  // Upstream's sidecar for spec.driver takes a content only with a source and, when its class
  // exists, a class of the same driver; the other driver's sidecar skips it for spec.driver.
  const source = content.spec.source;
  if (source.volumeHandle === undefined && source.snapshotHandle === undefined) return nothing("content has no source");
  if (s.snapshotClass && s.snapshotClass.driver !== content.spec.driver) return nothing("content's class belongs to another driver");

  if (shouldDelete(content)) {
    if (!hasFinalizer(content, FINALIZERS.contentBound)) return nothing("content finalizer already released");
    const handle = content.status?.snapshotHandle;
    if (content.spec.deletionPolicy === "Delete" && handle && !content.status?.volumeGroupSnapshotHandle) {
      const secret = annotationSecret(content);
      if (!secret.ok) {
        return {
          steps: [event(content, "Warning", REASONS.snapshotDeleteError, MSG.deleteCredentialsFailed)],
          verdict: { kind: "requeue", afterMs: errorDelay(content, s.nowMs), reason: MSG.deleteInputParameters(content.metadata.name!, secret.error) },
        };
      }
      return {
        steps: [],
        verdict: { kind: "done" },
        call: { kind: "deleteSnapshot", driver: content.spec.driver, snapshotId: handle, ...(secret.value ? { secretRef: secret.value } : {}) },
      };
    }
    // Retain, a group member, or never created: nothing exists that this content may delete.
    return { steps: [releaseFinalizer(content)], verdict: { kind: "done" } };
  }

  const member = isGroupMemberContent(content);
  if (content.spec.source.volumeHandle !== undefined && !content.status && !member) return planCreate(s);

  if (content.status?.readyToUse === true) {
    if (Object.hasOwn(content.metadata.annotations ?? {}, ANNOTATIONS.beingCreated)) {
      return { steps: [{ op: "update", resource: CONTENT, object: withoutAnnotation(content, ANNOTATIONS.beingCreated) }], verdict: { kind: "done" } };
    }
    return nothing("snapshot is ready");
  }

  const isStatic = content.spec.source.snapshotHandle !== undefined;
  const memberWithHandles = !!content.status?.volumeGroupSnapshotHandle && !!content.status?.snapshotHandle;
  if (isStatic || memberWithHandles) return planList(s);
  if (!member) return planCreate(s);
  return nothing("group member waits for its group to report handles");
}

function releaseFinalizer(content: VolumeSnapshotContent): Step {
  return { op: "update", resource: CONTENT, object: withoutFinalizers(content, FINALIZERS.contentBound) };
}

/** CreateSnapshot, fresh or as a readiness poll (the same name, so the driver answers idempotently). */
function planCreate(s: InvokeState): InvokePlan {
  const content = s.content;
  const name = content.metadata.name!;
  // Upstream reaches CreateSnapshot through its status check once the content has any status
  // (a poll, or the retry after an error status), and words the failure for that path.
  const createFailed = (err: string) =>
    content.status !== undefined
      ? failContent(content, [], REASONS.snapshotContentCheckandUpdateFailed, MSG.checkAndUpdateFailed(err), s.nowMs)
      : failContent(content, [], REASONS.snapshotCreationFailed, MSG.createSnapshotFailed(err), s.nowMs);
  const inputError = (err: string) => createFailed(MSG.contentInputParameters(name, err));

  const className = content.spec.volumeSnapshotClassName;
  if (className === undefined) return inputError(MSG.contentNoSnapshotClass(name));
  const cls = s.snapshotClass;
  if (!cls) return inputError(notFound.snapshotClass(className));
  const secret = annotationSecret(content);
  if (!secret.ok) return inputError(secret.error);
  const params = stripReservedParameters(cls.parameters);
  if (!params.ok) return createFailed(MSG.removePrefixedParameters(params.error));
  // Upstream checks these inside its CreateSnapshot call, so they read as that call's failure.
  const uid = content.spec.volumeSnapshotRef.uid;
  const volumeHandle = content.spec.source.volumeHandle;
  if (!uid) return createFailed(MSG.takeSnapshotFailed(volumeHandle ?? "", MSG.contentNotBound(name)));
  if (!volumeHandle) return createFailed(MSG.takeSnapshotFailed("", MSG.noVolumeHandle(name)));

  // Mark "a CreateSnapshot may be in flight" before calling, unless a backend snapshot is already
  // known: if the answer is lost, deletion then waits for a definite one instead of leaking it.
  const steps: Step[] = [];
  const annotated = Object.hasOwn(content.metadata.annotations ?? {}, ANNOTATIONS.beingCreated);
  if (!annotated && !content.status?.snapshotHandle) {
    steps.push({ op: "update", resource: CONTENT, object: withAnnotation(content, ANNOTATIONS.beingCreated, ANNOTATION_YES) });
  }
  const request: CreateSnapshotRequest = { name: csiSnapshotNameFor(uid), sourceVolumeId: volumeHandle, parameters: params.value };
  if (secret.value) request.secretRef = secret.value;
  return { steps, verdict: { kind: "done" }, call: { kind: "createSnapshot", driver: content.spec.driver, request } };
}

function nowNs(nowMs: number): number {
  return nowMs * 1e6;
}

function observation(info: SnapshotInfo, nowMs: number, handle?: string): SnapshotObservation {
  const created = Number(info.creationTimeNs || "0");
  const seen: SnapshotObservation = {
    snapshotHandle: handle ?? info.snapshotId,
    readyToUse: info.readyToUse,
    creationTime: created > 0 ? created : nowNs(nowMs),
    restoreSize: info.sizeBytes > 0 ? info.sizeBytes : 0,
  };
  if (info.groupSnapshotId) seen.groupSnapshotHandle = info.groupSnapshotId;
  return seen;
}

/** Writes the merged status (when it changed) and decides: done when ready, else poll later. */
function statusAndPoll(content: VolumeSnapshotContent, seen: SnapshotObservation, nowMs: number, steps: Step[]): { plan: InvokePlan; content: VolumeSnapshotContent } {
  const status = mergeContentStatus(content.status, seen);
  let current = content;
  if (JSON.stringify(status) !== JSON.stringify(content.status)) {
    current = clone(content);
    current.status = status;
    steps.push({ op: "updateStatus", resource: CONTENT, object: current });
  }
  const plan: InvokePlan = status.readyToUse
    ? { steps, verdict: { kind: "done" } }
    : { steps, verdict: { kind: "requeue", afterMs: pollDelay(content, nowMs), reason: "snapshot is not ready yet" } };
  return { plan, content: current };
}

export interface AfterCreateOptions {
  /** This attempt set the being-created mark (it was absent when the content was read). */
  markedNow?: boolean;
}

/** After CreateSnapshot answered (or failed): status, annotation, error, next look. */
export function afterCreate(content: VolumeSnapshotContent, result: CallResult<SnapshotInfo>, nowMs: number, options: AfterCreateOptions = {}): InvokePlan {
  const annotated = Object.hasOwn(content.metadata.annotations ?? {}, ANNOTATIONS.beingCreated);
  if (!result.ok) {
    const steps: Step[] = [];
    let current = content;
    // An unreadable Secret is, upstream, an input failure found before the mark is set: a mark this
    // attempt set is taken back (the driver never saw the call); an older one keeps waiting.
    const secretFailed = result.failure.origin === "secret";
    if (annotated && (isFinalFailure(result.failure) || (secretFailed && options.markedNow))) {
      current = withoutAnnotation(content, ANNOTATIONS.beingCreated);
      steps.push({ op: "update", resource: CONTENT, object: current });
    }
    const name = content.metadata.name!;
    const err = secretFailed
      ? MSG.contentInputParameters(name, MSG.cannotGetCredentials(name))
      : MSG.takeSnapshotFailed(content.spec.source.volumeHandle ?? "", rpcErrorText(result.failure));
    const wasPoll = content.status !== undefined;
    return failContent(
      current,
      steps,
      wasPoll ? REASONS.snapshotContentCheckandUpdateFailed : REASONS.snapshotCreationFailed,
      wasPoll ? MSG.checkAndUpdateFailed(err) : MSG.createSnapshotFailed(err),
      nowMs,
    );
  }
  const steps: Step[] = [];
  // Upstream records a group handle only from ListSnapshots: a standalone snapshot that gained one
  // here would later be spared its DeleteSnapshot as a "group member" and leak.
  const seen = observation(result.value, nowMs);
  delete seen.groupSnapshotHandle;
  const { plan, content: current } = statusAndPoll(content, seen, nowMs, steps);
  if (annotated) steps.push({ op: "update", resource: CONTENT, object: withoutAnnotation(current, ANNOTATIONS.beingCreated) });
  return plan;
}

/** ListSnapshots for a pre-provisioned content (or a group member). */
function planList(s: InvokeState): InvokePlan {
  const content = s.content;
  const name = content.metadata.name!;
  const checkFailed = (err: string) => failContent(content, [], REASONS.snapshotContentCheckandUpdateFailed, MSG.checkAndUpdateFailed(err), s.nowMs);
  let secretRef: SecretRef | undefined;
  const className = content.spec.volumeSnapshotClassName;
  if (className) {
    if (!s.snapshotClass) return checkFailed(MSG.listClassFailed(className, name, notFound.snapshotClass(className)));
    const secret = resolveSecretRef(SECRET_PARAMS.snapshotterList, s.snapshotClass.parameters, { contentName: name });
    if (!secret.ok) return checkFailed(MSG.listSecretReferenceFailed(name, secret.error));
    secretRef = secret.value;
  }
  // A member with a recorded group handle never has a class of its own: the group's secret,
  // copied onto its deletion-secret annotations, is the one its driver expects (it wins, as upstream).
  if (content.status?.volumeGroupSnapshotHandle) {
    const secret = annotationSecret(content);
    if (!secret.ok) return checkFailed(MSG.listAnnotationCredentialsFailed(name, secret.error));
    secretRef = secret.value;
  }
  const snapshotId = content.status?.snapshotHandle ?? content.spec.source.snapshotHandle!;
  return {
    steps: [],
    verdict: { kind: "done" },
    call: { kind: "listSnapshot", driver: content.spec.driver, snapshotId, ...(secretRef ? { secretRef } : {}) },
  };
}

/**
 * After ListSnapshots (UNIMPLEMENTED = the driver cannot list: ready now, size unknown, as upstream).
 * secretRef: the Secret the call named, for the wording when it could not be read.
 */
export function afterList(content: VolumeSnapshotContent, snapshotId: string, result: CallResult<SnapshotInfo[]>, nowMs: number, secretRef?: SecretRef): InvokePlan {
  const name = content.metadata.name!;
  const handle = content.status?.snapshotHandle ?? content.spec.source.snapshotHandle ?? snapshotId;
  const checkFailed = (err: string) => failContent(content, [], REASONS.snapshotContentCheckandUpdateFailed, MSG.checkAndUpdateFailed(err), nowMs);
  let info: SnapshotInfo;
  if (!result.ok) {
    if (result.failure.origin === "secret") {
      // Which Secret it was follows planList's choice: a member's annotations, else the class's list secret.
      if (content.status?.volumeGroupSnapshotHandle) return checkFailed(MSG.listAnnotationCredentialsFailed(name, MSG.cannotGetCredentials(name)));
      const read = MSG.secretReadFailed(secretRef?.name ?? "", secretRef?.namespace ?? "", result.failure.message);
      return checkFailed(MSG.listCredentialsFailed(name, read));
    }
    if (result.failure.code !== "UNIMPLEMENTED") return checkFailed(MSG.listSnapshotFailed(name, rpcErrorText(result.failure)));
    info = { snapshotId, sourceVolumeId: "", creationTimeNs: "0", sizeBytes: 0, readyToUse: true };
  } else {
    const first = result.value[0];
    if (!first) return checkFailed(MSG.listSnapshotFailed(name, MSG.snapshotNotFoundById(snapshotId)));
    info = first;
  }
  return statusAndPoll(content, observation(info, nowMs, handle), nowMs, []).plan;
}

/** After DeleteSnapshot: clear the handle fields, then release the finalizer. */
export function afterDelete(content: VolumeSnapshotContent, result: CallResult<void>, nowMs: number): InvokePlan {
  const name = content.metadata.name!;
  if (!result.ok) {
    const secretFailed = result.failure.origin === "secret";
    const reason = secretFailed
      ? MSG.deleteInputParameters(name, MSG.cannotGetCredentials(name))
      : MSG.deleteSnapshotFailed(name, rpcErrorText(result.failure));
    return {
      steps: [event(content, "Warning", REASONS.snapshotDeleteError, secretFailed ? MSG.deleteCredentialsFailed : MSG.deleteSnapshotFailedEvent)],
      verdict: { kind: "requeue", afterMs: backoffMs(content.metadata.deletionTimestamp, nowMs, ERROR_BACKOFF), reason },
    };
  }
  const cleared = clone(content);
  if (cleared.status) {
    delete cleared.status.snapshotHandle;
    delete cleared.status.readyToUse;
    delete cleared.status.creationTime;
    delete cleared.status.restoreSize;
  }
  return {
    steps: [
      {
        op: "updateStatus",
        resource: CONTENT,
        object: cleared,
        onFailure: { on: content, reason: REASONS.snapshotDeleteError, message: MSG.clearStatusFailedEvent, component: sidecarComponent(content.spec.driver) },
      },
      releaseFinalizer(cleared),
    ],
    verdict: { kind: "done" },
  };
}
