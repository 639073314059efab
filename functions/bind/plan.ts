// bind — the snapshot-controller's decisions for a VolumeSnapshot that is not being deleted, and
// for the content side of binding (the content finalizer). Pure: state in, steps out.
import type { PersistentVolume, PersistentVolumeClaim } from "../../shared/api/core.js";
import type {
  VolumeGroupSnapshot,
  VolumeGroupSnapshotContent,
  VolumeSnapshot,
  VolumeSnapshotClass,
  VolumeSnapshotContent,
} from "../../shared/api/snapshot.js";
import {
  ANNOTATIONS,
  contentNameFor,
  FINALIZERS,
  GROUP_SNAPSHOT_API_VERSION,
  REASONS,
  SECRET_PARAMS,
  SNAPSHOT_API_VERSION,
} from "../../shared/snapshot/constants.js";
import { MSG, notFound } from "../../shared/snapshot/messages.js";
import {
  clone,
  contentPointsTo,
  groupOwnerOf,
  hasFinalizer,
  isDeleting,
  isSnapshotBound,
  isSnapshotReady,
  withFinalizers,
} from "../../shared/snapshot/objects.js";
import { resolveSecretRef } from "../../shared/snapshot/params.js";
import { checkSourceVolume, pickDefaultClass, sourceDriver } from "../../shared/snapshot/source.js";
import { pinnedFor } from "../../shared/snapshot/source-pins.js";
import { snapshotStatusFromContent, snapshotWithError } from "../../shared/snapshot/status.js";
import {
  backoffMs,
  done,
  ERROR_BACKOFF,
  nothing,
  type OperationKey,
  type Plan,
  type Step,
} from "../../shared/snapshot/steps.js";

/** Everything a VolumeSnapshot sync may look at, as read from the API just now. */
export interface SnapshotState {
  snapshot: VolumeSnapshot;
  /** The named class (if it exists), or every class when the snapshot names none. */
  classes: VolumeSnapshotClass[];
  /** The source PVC and its PV, when the snapshot is dynamic and they were needed and exist. */
  pvc?: PersistentVolumeClaim;
  pv?: PersistentVolume;
  /** Contents by name (the static name, `snapcontent-<uid>`, the bound name); absent = does not exist. */
  contents: Record<string, VolumeSnapshotContent | undefined>;
  /** Group contents, read only when a content carries a group handle. */
  groupContents?: VolumeGroupSnapshotContent[];
  /** The group named by status.volumeGroupSnapshotName, when it exists. */
  groupSnapshot?: VolumeGroupSnapshot;
  nowMs: number;
}

/** The content names a sync of this snapshot may need (the executor reads each). */
export function contentNamesFor(vs: VolumeSnapshot): string[] {
  const names = new Set<string>();
  const staticName = vs.spec.source.volumeSnapshotContentName;
  if (staticName) names.add(staticName);
  else if (vs.metadata.uid) names.add(contentNameFor(vs.metadata.uid));
  if (vs.status?.boundVolumeSnapshotContentName) names.add(vs.status.boundVolumeSnapshotContentName);
  return [...names];
}

/** Whether the sync needs the source PVC/PV (default class, or creating the content). */
export function needsSourceVolume(vs: VolumeSnapshot, contents: SnapshotState["contents"]): boolean {
  if (vs.spec.source.volumeSnapshotContentName !== undefined || groupOwnerOf(vs)) return false;
  if (vs.spec.volumeSnapshotClassName === undefined) return true;
  return !isSnapshotReady(vs) && !!vs.metadata.uid && !contents[contentNameFor(vs.metadata.uid)];
}

const SNAPSHOT = "volumesnapshots" as const;
const CONTENT = "volumesnapshotcontents" as const;

class Planner {
  readonly steps: Step[] = [];
  /** The snapshot as it will be after this plan's metadata/spec writes (updates are cumulative). */
  current: VolumeSnapshot;

  constructor(readonly s: SnapshotState) {
    this.current = clone(s.snapshot);
  }

  get vs(): VolumeSnapshot {
    return this.s.snapshot;
  }

  errorDelay(): number {
    return backoffMs(this.vs.metadata.creationTimestamp, this.s.nowMs, ERROR_BACKOFF);
  }

  event(type: "Normal" | "Warning", reason: string, message: string): void {
    this.steps.push({ op: "event", on: this.current, type, reason, message });
  }

  /** Upstream's updateSnapshotErrorStatusWithEvent: same message → no write, no Event. */
  errorStatus(reason: string, message: string, setReadyFalse: boolean): void {
    const updated = snapshotWithError(this.current, message, setReadyFalse, this.s.nowMs);
    if (!updated) return;
    // Event after the write: a conflict is retried, and must not leave a stray Warning behind. Any
    // other failure still records it (upstream emits it whatever became of the write, §2.7).
    this.steps.push({ op: "updateStatus", resource: SNAPSHOT, object: updated, onFailure: { on: this.current, reason, message } });
    this.event("Warning", reason, message);
    this.current = updated;
  }

  /**
   * A content that is not this snapshot's, found while deciding its finalizers: the check's own
   * error status and Warning, then the finalizer step's SnapshotFinalizerError, then retry.
   */
  finalizerCheckFailed(reason: string, message: string, err: string): Plan {
    this.errorStatus(reason, message, true);
    this.event("Warning", REASONS.snapshotFinalizerError, MSG.finalizerError(err));
    return { steps: this.steps, verdict: { kind: "requeue", afterMs: this.errorDelay(), reason: err } };
  }

  /** Error status then retry later with back-off (upstream returns the error to its queue). */
  failWith(reason: string, message: string, setReadyFalse: boolean): Plan {
    this.errorStatus(reason, message, setReadyFalse);
    return { steps: this.steps, verdict: { kind: "requeue", afterMs: this.errorDelay(), reason: message } };
  }

  /**
   * Adds finalizers to the snapshot: folded into this plan's pending snapshot PUT when there is one
   * (one write instead of two), else as a PUT of its own.
   */
  addFinalizers(...finalizers: string[]): void {
    const missing = finalizers.filter((f) => !hasFinalizer(this.current, f));
    if (missing.length === 0) return;
    this.current = withFinalizers(this.current, ...missing);
    const pending = this.steps.findIndex((st) => st.op === "update" && st.resource === SNAPSHOT);
    if (pending >= 0) this.steps[pending] = this.snapshotUpdate();
    else this.steps.push(this.snapshotUpdate());
  }

  /** Flush a pending metadata/spec change of the snapshot as one PUT. */
  writeSnapshotIfChanged(): void {
    if (JSON.stringify(this.current.metadata) !== JSON.stringify(this.vs.metadata) || JSON.stringify(this.current.spec) !== JSON.stringify(this.vs.spec)) {
      this.steps.push(this.snapshotUpdate());
    }
  }

  /**
   * The PUT of the snapshot as planned so far. When it adds finalizers, its failure is upstream's
   * SnapshotFinalizerError (a default-class patch alone only gets logged upstream).
   */
  snapshotUpdate(): Step {
    const step: Step = { op: "update", resource: SNAPSHOT, object: this.current };
    if (JSON.stringify(this.current.metadata.finalizers ?? []) === JSON.stringify(this.vs.metadata.finalizers ?? [])) return step;
    const key = `${this.vs.metadata.namespace}/${this.vs.metadata.name}`;
    return { ...step, onFailure: { on: this.current, reason: REASONS.snapshotFinalizerError, message: MSG.finalizerError(MSG.controllerUpdateError(key, "{err}")) } };
  }
}

function classDriver(cls: VolumeSnapshotClass | undefined, content: VolumeSnapshotContent | undefined): string {
  return content?.spec.driver ?? cls?.driver ?? "unknown";
}

/** The VolumeSnapshot sync (upstream's syncSnapshot minus the deletion branch and the PVC release). */
export function planSnapshot(s: SnapshotState): Plan {
  const vs = s.snapshot;
  if (isDeleting(vs)) return nothing("snapshot is being deleted (the delete function owns it)");
  const p = new Planner(s);
  const isStatic = vs.spec.source.volumeSnapshotContentName !== undefined;
  const member = groupOwnerOf(vs);

  // 1. Class: the named one must exist; a dynamic snapshot without one gets its driver's default.
  let cls: VolumeSnapshotClass | undefined;
  const className = vs.spec.volumeSnapshotClassName;
  if (className !== undefined) {
    cls = s.classes.find((c) => c.metadata.name === className);
    if (!cls) return p.failWith(REASONS.getSnapshotClassFailed, MSG.getSnapshotClassFailed(notFound.snapshotClass(className)), false);
  } else if (!isStatic && !member) {
    const driver = sourceDriver(vs, { pvc: s.pvc, pv: s.pv });
    const picked = driver.ok ? pickDefaultClass(s.classes, driver.value) : driver;
    if (!picked.ok) return p.failWith(REASONS.setDefaultSnapshotClassFailed, MSG.setDefaultSnapshotClassFailed(picked.error), false);
    cls = picked.value;
    p.current.spec.volumeSnapshotClassName = cls.metadata.name!;
  }

  // 2. Exactly one source (CEL enforces it too; a hand-made object may still break it).
  const hasPvc = vs.spec.source.persistentVolumeClaimName !== undefined;
  if (hasPvc === isStatic) {
    p.errorStatus(REASONS.snapshotValidationError, MSG.exactlyOneSource, true);
    return { steps: p.steps, verdict: { kind: "invalid", message: MSG.exactlyOneSource } };
  }

  // 3. The content this snapshot should have, checked both ways.
  const contentName = isStatic ? vs.spec.source.volumeSnapshotContentName! : contentNameFor(vs.metadata.uid!);
  if (isStatic && contentName === "") {
    const message = MSG.emptyContentName(vs.metadata.namespace, vs.metadata.name);
    p.event("Warning", REASONS.snapshotFinalizerError, MSG.finalizerError(message));
    return { steps: p.steps, verdict: { kind: "invalid", message } };
  }
  const content = s.contents[contentName];
  if (content) {
    const ref = content.spec.volumeSnapshotRef;
    const misbound = MSG.contentBoundToOther(contentName);
    if (isStatic) {
      if (!content.spec.source.snapshotHandle) {
        return p.finalizerCheckFailed(REASONS.snapshotContentMismatch, MSG.dynamicWhileExpectingStatic, MSG.expectsStaticContent(vs.metadata.namespace, vs.metadata.name, contentName));
      }
      if (ref.name !== vs.metadata.name || ref.namespace !== vs.metadata.namespace || (!!ref.uid && ref.uid !== vs.metadata.uid)) {
        return p.finalizerCheckFailed(REASONS.snapshotContentMisbound, misbound, misbound);
      }
    } else {
      if (!content.spec.source.volumeHandle) {
        const message = MSG.staticWhileExpectingDynamic(contentName);
        return p.finalizerCheckFailed(REASONS.snapshotContentMismatch, message, MSG.expectsDynamicContent(vs.metadata.namespace, vs.metadata.name, contentName));
      }
      if (!contentPointsTo(content, vs)) return p.finalizerCheckFailed(REASONS.snapshotContentMisbound, misbound, misbound);
    }
  }

  // 4. Finalizers: as-source always; bound once bound to a Delete-policy content that points back.
  const wanted: string[] = [];
  if (!hasFinalizer(vs, FINALIZERS.snapshotAsSource)) wanted.push(FINALIZERS.snapshotAsSource);
  if (content && isSnapshotBound(vs) && content.spec.deletionPolicy === "Delete" && !hasFinalizer(vs, FINALIZERS.snapshotBound)) {
    wanted.push(FINALIZERS.snapshotBound);
  }
  if (wanted.length > 0) p.current = withFinalizers(p.current, ...wanted);
  p.writeSnapshotIfChanged();

  if (isSnapshotReady(vs) && isSnapshotBound(vs)) return planReady(p);
  return planUnready(p, { cls, content, contentName, isStatic, member: !!member });
}

function planReady(p: Planner): Plan {
  const { vs, s } = p;
  const bound = s.contents[vs.status!.boundVolumeSnapshotContentName!];
  if (!bound) {
    p.errorStatus(REASONS.snapshotContentMissing, MSG.contentMissing, true);
    return done(p.steps);
  }
  if (!contentPointsTo(bound, vs)) return p.failWith(REASONS.snapshotMisbound, MSG.contentNotBoundCorrectly, true);
  // A statically provisioned group member learns its group late: own it like a dynamic member.
  const groupName = vs.status?.volumeGroupSnapshotName;
  if (groupName && !groupOwnerOf(vs)) {
    // Upstream returns the lookup error, so the key is retried until the group shows up.
    if (!s.groupSnapshot?.metadata.uid) return requeueError(p, notFound.groupSnapshot(groupName));
    p.current.metadata.ownerReferences = [
      ...(p.current.metadata.ownerReferences ?? []),
      { apiVersion: GROUP_SNAPSHOT_API_VERSION, kind: "VolumeGroupSnapshot", name: groupName, uid: s.groupSnapshot.metadata.uid },
    ];
    p.steps.push({ op: "update", resource: SNAPSHOT, object: p.current });
  }
  return done(p.steps);
}

interface UnreadyInputs {
  cls: VolumeSnapshotClass | undefined;
  content: VolumeSnapshotContent | undefined;
  contentName: string;
  isStatic: boolean;
  member: boolean;
}

function planUnready(p: Planner, u: UnreadyInputs): Plan {
  const { vs, s } = p;
  const key = (operation: OperationKey["operation"], content?: VolumeSnapshotContent): OperationKey => ({
    operation,
    uid: vs.metadata.uid!,
    driver: classDriver(u.cls, content),
    snapshotType: u.isStatic ? "pre-provisioned" : "dynamic",
  });
  const startMetrics = (content?: VolumeSnapshotContent) => {
    if (!vs.status?.creationTime) {
      p.steps.push({ op: "metric", mark: { kind: "start", key: key("CreateSnapshot", content), startedAt: vs.metadata.creationTimestamp } });
    }
    p.steps.push({ op: "metric", mark: { kind: "start", key: key("CreateSnapshotAndReady", content), startedAt: vs.metadata.creationTimestamp } });
  };

  if (u.isStatic) {
    startMetrics(u.content);
    if (!u.content) {
      p.errorStatus(REASONS.snapshotContentMissing, MSG.contentMissing, true);
      return {
        steps: p.steps,
        verdict: { kind: "requeue", afterMs: p.errorDelay(), reason: MSG.requestsNonExistingContent(vs.metadata.namespace, vs.metadata.name, u.contentName) },
      };
    }
    let content = u.content;
    if (!content.spec.volumeSnapshotRef.uid || content.spec.volumeSnapshotClassName === undefined) {
      content = clone(content);
      content.spec.volumeSnapshotRef.uid = vs.metadata.uid!;
      if (p.current.spec.volumeSnapshotClassName !== undefined) content.spec.volumeSnapshotClassName = p.current.spec.volumeSnapshotClassName;
      p.steps.push({
        op: "update",
        resource: CONTENT,
        object: content,
        onFailure: { on: p.current, reason: REASONS.snapshotBindFailed, message: MSG.bindFailed("{err}"), errorStatus: { setReadyFalse: true } },
      });
    }
    return statusFromContent(p, content, key, false);
  }

  if (u.member) {
    const boundName = vs.status?.boundVolumeSnapshotContentName;
    if (!boundName) return requeueError(p, MSG.groupMemberWithoutContent(vs.metadata.namespace, vs.metadata.name));
    const content = s.contents[boundName];
    if (!content) return requeueError(p, MSG.groupMemberMissingContent(vs.metadata.namespace, vs.metadata.name, boundName));
    startMetrics(content);
    return statusFromContent(p, content, key, false);
  }

  startMetrics(u.content);
  if (u.content) {
    if (u.content.spec.source.snapshotHandle) {
      return p.failWith(REASONS.snapshotHandleSet, MSG.snapshotHandleSetOnDynamic(`${vs.metadata.namespace}/${vs.metadata.name}`), true);
    }
    return statusFromContent(p, u.content, key, true);
  }
  if (!vs.spec.source.persistentVolumeClaimName) {
    return p.failWith(REASONS.snapshotPVCSourceMissing, MSG.pvcSourceMissing(vs.metadata.namespace, vs.metadata.name), true);
  }
  return planCreateContent(p, u.cls, u.contentName, key);
}

function requeueError(p: Planner, message: string): Plan {
  return { steps: p.steps, verdict: { kind: "requeue", afterMs: p.errorDelay(), reason: message } };
}

/** Upstream's createSnapshotContent: PVC finalizer first, then the content, then the status. */
function planCreateContent(
  p: Planner,
  cls: VolumeSnapshotClass | undefined,
  contentName: string,
  key: (operation: OperationKey["operation"], content?: VolumeSnapshotContent) => OperationKey,
): Plan {
  const { vs, s } = p;
  const fail = (err: string) => p.failWith(REASONS.snapshotContentCreationFailed, MSG.contentCreationFailed(err), true);

  const pvc = s.pvc;
  if (!pvc) return fail(MSG.controllerUpdateError(vs.metadata.name!, MSG.cannotGetClaim));
  if (!hasFinalizer(pvc, FINALIZERS.pvcAsSource) && isDeleting(pvc)) return fail(MSG.controllerUpdateError(pvc.metadata.name!, MSG.claimBeingDeleted));
  // The finalizer, and this snapshot's name beside it so protect can release without a namespace scan.
  const pinned = pinnedFor(pvc, vs.metadata.name!);

  const inputError = (err: string) => fail(MSG.inputParameters(vs.metadata.name!, err));
  if (!cls) return inputError(MSG.noSnapshotClass(vs.metadata.name!));
  const source = checkSourceVolume(vs, { pvc: s.pvc, pv: s.pv });
  if (!source.ok) return inputError(source.error);
  const secret = resolveSecretRef(SECRET_PARAMS.snapshotter, cls.parameters, {
    contentName,
    snapshot: { name: vs.metadata.name!, namespace: vs.metadata.namespace! },
  });
  if (!secret.ok) return inputError(secret.error);
  const pv = source.value.pv;
  if (!pv.spec.csi) return fail(MSG.noCsiSource(pv.metadata.name!));

  const content: VolumeSnapshotContent = {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: "VolumeSnapshotContent",
    // Born with the finalizer upstream's content sync adds right after: same object, no extra
    // write, and no race between that write and invoke's being-created annotation.
    metadata: { name: contentName, finalizers: [FINALIZERS.contentBound] },
    spec: {
      volumeSnapshotRef: {
        kind: "VolumeSnapshot",
        apiVersion: SNAPSHOT_API_VERSION,
        namespace: vs.metadata.namespace!,
        name: vs.metadata.name!,
        uid: vs.metadata.uid!,
        resourceVersion: vs.metadata.resourceVersion!,
      },
      deletionPolicy: cls.deletionPolicy,
      driver: cls.driver,
      volumeSnapshotClassName: cls.metadata.name!,
      source: { volumeHandle: pv.spec.csi.volumeHandle },
    },
  };
  if (pv.spec.volumeMode) content.spec.sourceVolumeMode = pv.spec.volumeMode;
  if (secret.value) {
    content.metadata.annotations = {
      [ANNOTATIONS.deletionSecretName]: secret.value.name,
      [ANNOTATIONS.deletionSecretNamespace]: secret.value.namespace,
    };
  }

  // Upstream adds the bound finalizer on the next sync, once the content it just created is seen;
  // the end state is the same, one write and one event round earlier.
  if (content.spec.deletionPolicy === "Delete") p.addFinalizers(FINALIZERS.snapshotBound);
  if (pinned) {
    p.steps.push({
      op: "update",
      resource: "persistentvolumeclaims",
      object: pinned,
      onFailure: {
        on: p.current,
        reason: REASONS.snapshotContentCreationFailed,
        message: MSG.contentCreationFailed(MSG.controllerUpdateError(pvc.metadata.name!, "{err}")),
        errorStatus: { setReadyFalse: true },
      },
    });
  }
  p.steps.push({
    op: "create",
    resource: CONTENT,
    object: content,
    alreadyExistsOk: true,
    // The create's own Warning, then its caller's error status and Warning (upstream's two reports).
    onFailure: [
      { on: p.current, reason: REASONS.createSnapshotContentFailed, message: MSG.createContentFailedEvent(vs.metadata.namespace, vs.metadata.name, "{err}") },
      {
        on: p.current,
        reason: REASONS.snapshotContentCreationFailed,
        message: MSG.contentCreationFailed(MSG.controllerUpdateError(`${vs.metadata.namespace}/${vs.metadata.name}`, "{err}")),
        errorStatus: { setReadyFalse: true },
      },
    ],
  });
  p.event("Normal", REASONS.creatingSnapshot, MSG.creatingSnapshot(vs.metadata.namespace, vs.metadata.name));
  return statusFromContent(p, content, key, false);
}

/** Upstream's updateSnapshotStatus: mirror the content, with SnapshotCreated/SnapshotReady Events. */
function statusFromContent(
  p: Planner,
  content: VolumeSnapshotContent,
  key: (operation: OperationKey["operation"], content?: VolumeSnapshotContent) => OperationKey,
  /** Whether a failed status update also sets readyToUse false (upstream's callers differ). */
  failReadyFalse: boolean,
): Plan {
  const { vs, s } = p;
  let groupName: string | undefined;
  const groupHandle = content.status?.volumeGroupSnapshotHandle;
  if (groupHandle) {
    const group = s.groupContents?.find((g) => g.status?.volumeGroupSnapshotHandle === groupHandle);
    if (!group) {
      const err = MSG.groupForSnapshotNotFound(vs.metadata.namespace, vs.metadata.name);
      return p.failWith(REASONS.snapshotStatusUpdateFailed, MSG.statusUpdateFailed(err), failReadyFalse);
    }
    groupName = group.spec.volumeGroupSnapshotRef.name;
  }
  const change = snapshotStatusFromContent(p.current, content, groupName);
  if (!change.changed) return done(p.steps);
  const before = p.current;
  const updated = clone(p.current);
  updated.status = change.status;
  p.steps.push({
    op: "updateStatus",
    resource: SNAPSHOT,
    object: updated,
    // Recorded on the snapshot as it was: the status this write carried never landed.
    onFailure: {
      on: before,
      reason: REASONS.snapshotStatusUpdateFailed,
      message: MSG.statusUpdateFailed(MSG.controllerUpdateError(`${vs.metadata.namespace}/${vs.metadata.name}`, "{err}")),
      errorStatus: { setReadyFalse: failReadyFalse },
    },
  });
  p.current = updated;
  // Events and metrics once the status is stored, so a retried conflict never reports twice.
  if (change.created) {
    p.steps.push({ op: "metric", mark: { kind: "record", key: key("CreateSnapshot", content), status: "success", startedAt: vs.metadata.creationTimestamp } });
    p.steps.push({ op: "event", on: before, type: "Normal", reason: REASONS.snapshotCreated, message: MSG.snapshotCreated(vs.metadata.namespace, vs.metadata.name) });
  }
  if (change.becameReady) {
    p.steps.push({
      op: "metric",
      mark: { kind: "record", key: key("CreateSnapshotAndReady", content), status: "success", startedAt: vs.metadata.creationTimestamp },
    });
    p.steps.push({ op: "event", on: before, type: "Normal", reason: REASONS.snapshotReady, message: MSG.snapshotReady(vs.metadata.namespace, vs.metadata.name) });
  }
  return done(p.steps);
}

/** The content side of binding (upstream's syncContent, controller half, minus deletion). */
export function planContent(content: VolumeSnapshotContent): Plan {
  const { volumeHandle, snapshotHandle } = content.spec.source;
  if ((volumeHandle === undefined) === (snapshotHandle === undefined)) {
    return {
      steps: [{ op: "event", on: content, type: "Warning", reason: REASONS.contentValidationError, message: MSG.contentValidation }],
      verdict: { kind: "invalid", message: MSG.contentValidation },
    };
  }
  if (!content.spec.volumeSnapshotRef.uid) return nothing("content is pre-bound and waits for its snapshot");
  if (isDeleting(content) || hasFinalizer(content, FINALIZERS.contentBound)) return nothing("content finalizer in place");
  return done([{ op: "update", resource: CONTENT, object: withFinalizers(content, FINALIZERS.contentBound) }]);
}
