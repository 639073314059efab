// fanout — the snapshot-controller's decisions for one VolumeGroupSnapshot (upstream §4.2, §4.7):
// class, selector membership, the group content, member fan-out, status, deletion. Pure: state in,
// steps out. The member objects themselves are built by members.ts (their writes need the UIDs the
// API assigns), the group content's CSI side by content.ts.
import type { PersistentVolume, PersistentVolumeClaim } from "../../shared/api/core.js";
import type { VolumeGroupSnapshot, VolumeGroupSnapshotClass, VolumeGroupSnapshotContent, VolumeSnapshot } from "../../shared/api/snapshot.js";
import { formatLabelSelector } from "../../shared/kube/label-selector.js";
import {
  ANNOTATION_YES,
  ANNOTATIONS,
  FINALIZERS,
  GROUP_SNAPSHOT_API_VERSION,
  groupContentNameFor,
  REASONS,
  SECRET_PARAMS,
  SNAPSHOT_GROUP,
} from "../../shared/snapshot/constants.js";
import { MSG } from "../../shared/snapshot/messages.js";
import { clone, hasFinalizer, isDeleting, withAnnotation, withFinalizers, withoutFinalizers } from "../../shared/snapshot/objects.js";
import { resolveGroupSecretRef } from "../../shared/snapshot/params.js";
import { fail, ok, type Result } from "../../shared/snapshot/result.js";
import { pickDefaultClass, pvBoundToClaim } from "../../shared/snapshot/source.js";
import { rfc3339Now } from "../../shared/snapshot/status.js";
import { backoffMs, ERROR_BACKOFF, nothing, type FailureEvent, type OperationKey, type Plan, type Step } from "../../shared/snapshot/steps.js";
import { GMSG, notFoundGroupClass } from "./messages.js";

/** Everything a VolumeGroupSnapshot sync may look at, as read from the API just now. */
export interface GroupState {
  group: VolumeGroupSnapshot;
  /** The named class (if it exists), or every group class when the group names none. */
  classes: VolumeGroupSnapshotClass[];
  /** PVCs in the group's namespace matching its selector now, in list order (read when needed). */
  claims?: PersistentVolumeClaim[];
  /** PVs by name (read when needed). */
  volumes?: Record<string, PersistentVolume | undefined>;
  /** Why the selector could not be turned into a PVC list (an invalid label key or value). */
  selectorError?: string;
  /** Group contents by name (static name, `groupsnapcontent-<uid>`, bound name); absent = does not exist. */
  contents: Record<string, VolumeGroupSnapshotContent | undefined>;
  nowMs: number;
}

/** Members to fan out (members.ts) before `after` is written: the group turns ready only once they exist. */
export interface MemberTask {
  content: VolumeGroupSnapshotContent;
  secret?: { name: string; namespace: string };
}

export interface GroupPlan extends Plan {
  members?: MemberTask;
  /** Steps performed after the members exist (the status write). */
  after?: Step[];
}

const GROUP = "volumegroupsnapshots" as const;
const GROUP_CONTENT = "volumegroupsnapshotcontents" as const;

export function isDynamicGroup(g: VolumeGroupSnapshot): boolean {
  return g.spec.source.selector !== undefined && g.spec.source.selector !== null;
}

export function isStaticGroup(g: VolumeGroupSnapshot): boolean {
  return g.spec.source.volumeGroupSnapshotContentName !== undefined;
}

/** The group content names a sync may need (the executor reads each). */
export function groupContentNamesFor(g: VolumeGroupSnapshot): string[] {
  const names = new Set<string>();
  const staticName = g.spec.source.volumeGroupSnapshotContentName;
  if (staticName) names.add(staticName);
  else if (g.metadata.uid) names.add(groupContentNameFor(g.metadata.uid));
  if (g.status?.boundVolumeGroupSnapshotContentName) names.add(g.status.boundVolumeGroupSnapshotContentName);
  return [...names];
}

/** Whether the sync needs the selector's PVCs and their PVs (default class, or creating the content). */
export function needsClaims(g: VolumeGroupSnapshot, contents: GroupState["contents"]): boolean {
  if (!isDynamicGroup(g) || isStaticGroup(g) || isDeleting(g)) return false;
  if (g.spec.volumeGroupSnapshotClassName === undefined) return true;
  return g.status?.readyToUse !== true && !!g.metadata.uid && !contents[groupContentNameFor(g.metadata.uid)];
}

/** The content names this exact group (name, namespace and uid). */
export function groupContentPointsTo(content: VolumeGroupSnapshotContent, g: VolumeGroupSnapshot): boolean {
  const ref = content.spec.volumeGroupSnapshotRef;
  return ref.name === g.metadata.name && ref.namespace === g.metadata.namespace && ref.uid === g.metadata.uid;
}

/** A VolumeSnapshot this group created (upstream's member index: owner apiVersion must be exactly v1). */
export function isMemberOf(vs: VolumeSnapshot, g: VolumeGroupSnapshot): boolean {
  return (
    vs.metadata.namespace === g.metadata.namespace &&
    (vs.metadata.ownerReferences ?? []).some(
      (o) => o.kind === "VolumeGroupSnapshot" && o.apiVersion === GROUP_SNAPSHOT_API_VERSION && o.name === g.metadata.name && o.uid === g.metadata.uid,
    )
  );
}

export function groupMetricKey(g: VolumeGroupSnapshot, operation: OperationKey["operation"], driver: string | undefined): OperationKey {
  return { operation, uid: g.metadata.uid ?? "", driver: driver || "unknown", snapshotType: isStaticGroup(g) ? "pre-provisioned" : "dynamic" };
}

/** The VolumeGroupSnapshot status upstream derives from its content (§4.2.2). */
export function groupStatusFromContent(g: VolumeGroupSnapshot, content: VolumeGroupSnapshotContent) {
  const old = g.status;
  const status: NonNullable<VolumeGroupSnapshot["status"]> = clone(old ?? {});
  const cs = content.status;
  let created = false;
  let becameReady = false;
  if (!status.boundVolumeGroupSnapshotContentName) status.boundVolumeGroupSnapshotContentName = content.metadata.name!;
  if (!status.creationTime && cs?.creationTime) {
    status.creationTime = cs.creationTime;
    created = true;
  }
  const ready = cs?.readyToUse ?? false;
  if (status.readyToUse === undefined || status.readyToUse !== ready) {
    if (ready && status.readyToUse !== true) becameReady = true;
    status.readyToUse = ready;
    if (ready) delete status.error;
  }
  if (cs?.error) status.error = clone(cs.error);
  else delete status.error;
  return { status, changed: JSON.stringify(status) !== JSON.stringify(old), created, becameReady };
}

class Planner {
  readonly steps: Step[] = [];
  /** The group as it will be after this plan's writes (updates are cumulative). */
  current: VolumeGroupSnapshot;

  constructor(readonly s: GroupState) {
    this.current = clone(s.group);
  }

  get g(): VolumeGroupSnapshot {
    return this.s.group;
  }

  errorDelay(): number {
    return backoffMs(this.g.metadata.creationTimestamp, this.s.nowMs, ERROR_BACKOFF);
  }

  event(type: "Normal" | "Warning", reason: string, message: string): void {
    this.steps.push({ op: "event", on: this.current, type, reason, message });
  }

  /** Upstream's error-status writer: the same message again writes nothing and emits no Event. */
  errorStatus(reason: string, message: string, setReadyFalse: boolean): void {
    if (this.current.status?.error?.message === message) return;
    const updated = clone(this.current);
    updated.status = { ...(updated.status ?? {}), error: { time: rfc3339Now(this.s.nowMs), message } };
    if (setReadyFalse) updated.status.readyToUse = false;
    // Event after the write: a conflict is retried and must not leave a stray Warning behind; any
    // other failure of the write still records it (upstream emits it whatever became of the write).
    this.steps.push({ op: "updateStatus", resource: GROUP, object: updated, onFailure: { on: this.current, reason, message } });
    this.event("Warning", reason, message);
    this.current = updated;
  }

  /**
   * A content that is not this group's, found while deciding its finalizer: the check's own error
   * status and Warning, then the finalizer step's GroupSnapshotFinalizerError, then retry.
   */
  finalizerCheckFailed(reason: string, message: string, err: string): GroupPlan {
    this.errorStatus(reason, message, true);
    this.event("Warning", REASONS.groupSnapshotFinalizerError, GMSG.finalizerError(err));
    return { steps: this.steps, verdict: { kind: "requeue", afterMs: this.errorDelay(), reason: err } };
  }

  failWith(reason: string, message: string, setReadyFalse: boolean): GroupPlan {
    this.errorStatus(reason, message, setReadyFalse);
    return { steps: this.steps, verdict: { kind: "requeue", afterMs: this.errorDelay(), reason: message } };
  }

  writeGroupIfChanged(): void {
    if (JSON.stringify(this.current.metadata) !== JSON.stringify(this.g.metadata) || JSON.stringify(this.current.spec) !== JSON.stringify(this.g.spec)) {
      this.steps.push({ op: "update", resource: GROUP, object: this.current });
    }
  }
}

/** The selected PVCs' volumes, with upstream's checks (bound, PV exists and points back). */
function selectedVolumes(s: GroupState): Result<{ pvc: PersistentVolumeClaim; pv: PersistentVolume }[]> {
  const g = s.group;
  if (s.selectorError !== undefined) return fail(s.selectorError);
  const claims = s.claims ?? [];
  if (claims.length === 0) return fail(GMSG.selectorMatchesNothing(formatLabelSelector(g.spec.source.selector)));
  const out: { pvc: PersistentVolumeClaim; pv: PersistentVolume }[] = [];
  for (const pvc of claims) {
    const name = pvc.metadata.name!;
    if (pvc.status?.phase !== "Bound" || !pvc.spec.volumeName) return fail(GMSG.pvcNotBound(name));
    const pv = s.volumes?.[pvc.spec.volumeName];
    if (!pv) return fail(MSG.pvNotFromApi(pvc.spec.volumeName, `persistentvolumes ${JSON.stringify(pvc.spec.volumeName)} not found`));
    if (!pvBoundToClaim(pv, pvc)) return fail(MSG.claimMismatch);
    out.push({ pvc, pv });
  }
  return ok(out);
}

/**
 * The driver of the first selected volume (upstream picks the default group class by it). Every
 * selected claim passes upstream's checks first, so a group with one unusable claim gets no class.
 */
function selectorDriver(s: GroupState): Result<string> {
  const volumes = selectedVolumes(s);
  if (!volumes.ok) return volumes;
  const pv = volumes.value[0]!.pv;
  if (!pv.spec.csi) return fail(GMSG.defaultClassNonCsi(s.group.metadata.namespace, s.group.metadata.name));
  return ok(pv.spec.csi.driver);
}

/** The VolumeGroupSnapshot sync, not being deleted (upstream's syncGroupSnapshot). */
export function planGroupSnapshot(s: GroupState): GroupPlan {
  const g = s.group;
  if (isDeleting(g)) return nothing("group snapshot is being deleted (planGroupDeletion owns it)");
  const p = new Planner(s);
  const dynamic = isDynamicGroup(g);
  const isStatic = isStaticGroup(g);

  // 1. Class: the named one must exist; a dynamic group without one gets its driver's default.
  let cls: VolumeGroupSnapshotClass | undefined;
  const className = g.spec.volumeGroupSnapshotClassName;
  if (className !== undefined) {
    cls = s.classes.find((c) => c.metadata.name === className);
    if (!cls) return p.failWith(REASONS.getGroupSnapshotClassFailed, GMSG.getClassFailed(notFoundGroupClass(className)), false);
  } else if (dynamic && !isStatic) {
    const driver = selectorDriver(s);
    const picked = driver.ok ? pickDefaultClass(s.classes, driver.value, ANNOTATIONS.groupIsDefaultClass, GMSG.noDefaultClass) : driver;
    if (!picked.ok) return p.failWith(REASONS.setDefaultGroupSnapshotClassFailed, GMSG.setDefaultClassFailed(picked.error), false);
    cls = picked.value;
    p.current.spec.volumeGroupSnapshotClassName = cls.metadata.name!;
  }

  // 2. Exactly one source (CEL enforces it too; a hand-made object may still break it).
  if (dynamic === isStatic) {
    p.errorStatus(REASONS.groupSnapshotValidationError, GMSG.exactlyOneSource, true);
    return { steps: p.steps, verdict: { kind: "invalid", message: GMSG.exactlyOneSource } };
  }

  // 3. The content this group should have, checked both ways.
  // Upstream makes these checks while deciding the finalizer, so a failure also fails that step.
  const contentName = isStatic ? g.spec.source.volumeGroupSnapshotContentName! : groupContentNameFor(g.metadata.uid!);
  if (isStatic && contentName === "") {
    const message = GMSG.emptyContentName(g.metadata.namespace, g.metadata.name);
    p.event("Warning", REASONS.groupSnapshotFinalizerError, GMSG.finalizerError(message));
    return { steps: p.steps, verdict: { kind: "invalid", message } };
  }
  const content = s.contents[contentName];
  if (content) {
    const ref = content.spec.volumeGroupSnapshotRef;
    const misbound = GMSG.contentBoundToOther(contentName);
    if (isStatic) {
      if (!content.spec.source.groupSnapshotHandles) {
        return p.finalizerCheckFailed(REASONS.groupSnapshotContentMismatch, GMSG.dynamicWhileExpectingStatic, GMSG.expectsStatic(g.metadata.namespace, g.metadata.name, contentName));
      }
      if (ref.name !== g.metadata.name || ref.namespace !== g.metadata.namespace || (!!ref.uid && ref.uid !== g.metadata.uid)) {
        return p.finalizerCheckFailed(REASONS.groupSnapshotContentMisbound, misbound, misbound);
      }
    } else {
      if (content.spec.source.groupSnapshotHandles) {
        return p.finalizerCheckFailed(REASONS.groupSnapshotContentMismatch, GMSG.staticWhileExpectingDynamic(contentName), GMSG.expectsDynamic(g.metadata.namespace, g.metadata.name, contentName));
      }
      if (!groupContentPointsTo(content, g)) return p.finalizerCheckFailed(REASONS.groupSnapshotContentMisbound, misbound, misbound);
    }
  }

  // 4. The bound finalizer, whatever the deletion policy (upstream #1224). Upstream adds it once
  // bound; snapflow adds it before the dynamic content is created too, so a group deleted in that
  // window still passes through its deletion flow and never orphans the content (upstream's dead
  // fallback, its quirk 10).
  const bound = !!g.status?.boundVolumeGroupSnapshotContentName;
  const creating = dynamic && !content && g.status?.readyToUse !== true;
  if (!hasFinalizer(g, FINALIZERS.groupSnapshotBound) && ((bound && content) || creating)) {
    p.current = withFinalizers(p.current, FINALIZERS.groupSnapshotBound);
  }
  p.writeGroupIfChanged();

  if (g.status?.readyToUse === true && bound) return planReady(p);
  return planUnready(p, { cls, content, contentName, isStatic });
}

function planReady(p: Planner): GroupPlan {
  const { g, s } = p;
  const content = s.contents[g.status!.boundVolumeGroupSnapshotContentName!];
  if (!content) {
    p.errorStatus(REASONS.groupSnapshotContentMissing, GMSG.contentMissing, true);
    return { steps: p.steps, verdict: { kind: "done" } };
  }
  if (!groupContentPointsTo(content, g)) return p.failWith(REASONS.groupSnapshotMisbound, GMSG.contentNotBoundCorrectly, true);
  return { steps: p.steps, verdict: { kind: "done" } };
}

interface UnreadyInputs {
  cls: VolumeGroupSnapshotClass | undefined;
  content: VolumeGroupSnapshotContent | undefined;
  contentName: string;
  isStatic: boolean;
}

function planUnready(p: Planner, u: UnreadyInputs): GroupPlan {
  const { g } = p;
  const driver = u.content?.spec.driver ?? u.cls?.driver;
  const key = (operation: OperationKey["operation"]) => groupMetricKey(g, operation, driver);
  if (!g.status?.creationTime) p.steps.push({ op: "metric", mark: { kind: "start", key: key("CreateGroupSnapshot"), startedAt: g.metadata.creationTimestamp } });
  p.steps.push({ op: "metric", mark: { kind: "start", key: key("CreateGroupSnapshotAndReady"), startedAt: g.metadata.creationTimestamp } });

  if (u.isStatic) {
    if (!u.content) {
      p.errorStatus(REASONS.groupSnapshotContentMissing, GMSG.contentMissing, true);
      return {
        steps: p.steps,
        verdict: { kind: "requeue", afterMs: p.errorDelay(), reason: GMSG.requestsNonExistingContent(g.metadata.namespace, g.metadata.name, u.contentName) },
      };
    }
    let content = u.content;
    const classToSet = p.current.spec.volumeGroupSnapshotClassName;
    if (!content.spec.volumeGroupSnapshotRef.uid || (content.spec.volumeGroupSnapshotClassName === undefined && classToSet !== undefined)) {
      content = clone(content);
      content.spec.volumeGroupSnapshotRef.uid = g.metadata.uid!;
      if (classToSet !== undefined) content.spec.volumeGroupSnapshotClassName = classToSet;
      p.steps.push({
        op: "update",
        resource: GROUP_CONTENT,
        object: content,
        onFailure: { on: p.current, reason: REASONS.groupSnapshotBindFailed, message: GMSG.bindFailed("{err}"), errorStatus: { setReadyFalse: true } },
      });
    }
    return statusFromContent(p, content, key, false);
  }

  if (u.content) {
    // Members first: a group reports ready only once every member is recorded (upstream stops
    // repairing members after that).
    const content = u.content;
    const hasMembers = !!content.status?.volumeGroupSnapshotHandle && (content.status?.volumeSnapshotInfoList?.length ?? 0) > 0;
    if (!hasMembers) return statusFromContent(p, content, key, true);
    const secret = memberSecret(p.current, u.cls, content);
    // Upstream's member fan-out returns this error as is: no status, no Event, just the retry.
    if (!secret.ok) return { steps: p.steps, verdict: { kind: "requeue", afterMs: p.errorDelay(), reason: secret.error } };
    return {
      steps: p.steps,
      verdict: { kind: "done" },
      members: { content, ...(secret.value ? { secret: secret.value } : {}) },
      after: statusSteps(g, p.current, content, key, true),
    };
  }
  return planCreateContent(p, u.cls, u.contentName);
}

/** The secret member contents carry for deletion (the group class's group-snapshotter secret). */
function memberSecret(g: VolumeGroupSnapshot, cls: VolumeGroupSnapshotClass | undefined, content: VolumeGroupSnapshotContent): Result<{ name: string; namespace: string } | undefined> {
  if (g.spec.volumeGroupSnapshotClassName === undefined || !cls) return fail(GMSG.memberSecretNoClass);
  const name = content.metadata.name!;
  const secret = resolveGroupSecretRef(SECRET_PARAMS.groupSnapshotter, cls.parameters, { groupContentName: name });
  return secret.ok ? secret : fail(GMSG.memberSecretReference(name, secret.error));
}

/** Upstream's createGroupSnapshotContent: every selected volume checked, then the content. */
function planCreateContent(p: Planner, cls: VolumeGroupSnapshotClass | undefined, contentName: string): GroupPlan {
  const { g, s } = p;
  const ns = g.metadata.namespace;
  const name = g.metadata.name!;
  const fail = (err: string) => p.failWith(REASONS.groupSnapshotContentCreationFailed, GMSG.contentCreationFailed(err), true);
  const inputError = (err: string) => fail(GMSG.inputParameters(name, err));

  if (!cls) return inputError(GMSG.noClass(name));
  const volumes = selectedVolumes(s);
  if (!volumes.ok) return inputError(volumes.error);
  const secret = resolveGroupSecretRef(SECRET_PARAMS.groupSnapshotter, cls.parameters, {
    groupContentName: contentName,
    groupSnapshot: { name, namespace: ns! },
  });
  if (!secret.ok) return inputError(secret.error);

  const handles: string[] = [];
  for (const { pv } of volumes.value) {
    const pvName = pv.metadata.name!;
    if (!pv.spec.csi) {
      p.event("Warning", REASONS.createGroupSnapshotContentFailed, GMSG.nonCsiVolumeEvent(pvName));
      return fail(GMSG.nonCsiVolume(ns, name, pvName));
    }
    if (pv.spec.csi.driver !== cls.driver) {
      const mismatch = GMSG.driverMismatch(ns, name, pv.spec.csi.driver, cls.driver, pvName);
      p.event("Warning", REASONS.createGroupSnapshotContentFailed, mismatch);
      return fail(MSG.controllerUpdateError(`${ns}/${name}`, mismatch));
    }
    handles.push(pv.spec.csi.volumeHandle);
  }

  const content: VolumeGroupSnapshotContent = {
    apiVersion: GROUP_SNAPSHOT_API_VERSION,
    kind: "VolumeGroupSnapshotContent",
    metadata: { name: contentName },
    spec: {
      volumeGroupSnapshotRef: {
        kind: "VolumeGroupSnapshot",
        apiVersion: GROUP_SNAPSHOT_API_VERSION,
        namespace: ns!,
        name,
        uid: g.metadata.uid!,
        resourceVersion: g.metadata.resourceVersion!,
      },
      deletionPolicy: cls.deletionPolicy,
      driver: cls.driver,
      volumeGroupSnapshotClassName: cls.metadata.name!,
      source: { volumeHandles: handles },
    },
  };
  if (secret.value) {
    content.metadata.annotations = {
      [ANNOTATIONS.groupDeletionSecretName]: secret.value.name,
      [ANNOTATIONS.groupDeletionSecretNamespace]: secret.value.namespace,
    };
  }
  p.steps.push({
    op: "create",
    resource: GROUP_CONTENT,
    object: content,
    alreadyExistsOk: true,
    // The create's own Warning, then its caller's error status and Warning (upstream's two reports).
    onFailure: [
      { on: p.current, reason: REASONS.createGroupSnapshotContentFailed, message: GMSG.createContentFailedEvent(ns, name, "{err}") },
      {
        on: p.current,
        reason: REASONS.groupSnapshotContentCreationFailed,
        message: GMSG.contentCreationFailed(MSG.controllerUpdateError(`${ns}/${name}`, "{err}")),
        errorStatus: { setReadyFalse: true },
      },
    ],
  });
  p.event("Normal", REASONS.creatingGroupSnapshot, GMSG.creatingGroupSnapshot(ns, name));
  // Upstream's status update from the content just created (no status yet): bound, not ready, and
  // an error left by an earlier attempt cleared.
  const change = groupStatusFromContent(p.current, content);
  const updated = clone(p.current);
  updated.status = change.status;
  if (change.changed) {
    p.steps.push({
      op: "updateStatus",
      resource: GROUP,
      object: updated,
      onFailure: statusUpdateFailure(p.current, false),
    });
  }
  return { steps: p.steps, verdict: { kind: "done" } };
}

/**
 * A failed status write, recorded on the group as it was (the status it carried never landed) as
 * upstream's error status; readyToUse false only where upstream's caller asks for it.
 */
function statusUpdateFailure(before: VolumeGroupSnapshot, setReadyFalse: boolean): FailureEvent {
  const key = `${before.metadata.namespace}/${before.metadata.name}`;
  return {
    on: before,
    reason: REASONS.groupSnapshotStatusUpdateFailed,
    message: GMSG.statusUpdateFailed(MSG.controllerUpdateError(key, "{err}")),
    errorStatus: { setReadyFalse },
  };
}

/** Upstream's VGS status update from its content, with GroupSnapshotCreated/GroupSnapshotReady. */
function statusSteps(
  g: VolumeGroupSnapshot,
  current: VolumeGroupSnapshot,
  content: VolumeGroupSnapshotContent,
  key: (op: OperationKey["operation"]) => OperationKey,
  failReadyFalse: boolean,
): Step[] {
  const change = groupStatusFromContent(current, content);
  if (!change.changed) return [];
  const updated = clone(current);
  updated.status = change.status;
  const steps: Step[] = [
    {
      op: "updateStatus",
      resource: GROUP,
      object: updated,
      onFailure: statusUpdateFailure(current, failReadyFalse),
    },
  ];
  // Events and metrics once the status is stored, so a retried conflict never reports twice.
  if (change.created) {
    steps.push({ op: "metric", mark: { kind: "record", key: key("CreateGroupSnapshot"), status: "success", startedAt: g.metadata.creationTimestamp } });
    steps.push({ op: "event", on: current, type: "Normal", reason: REASONS.groupSnapshotCreated, message: GMSG.groupSnapshotCreated(g.metadata.namespace, g.metadata.name) });
  }
  if (change.becameReady) {
    steps.push({ op: "metric", mark: { kind: "record", key: key("CreateGroupSnapshotAndReady"), status: "success", startedAt: g.metadata.creationTimestamp } });
    steps.push({ op: "event", on: current, type: "Normal", reason: REASONS.groupSnapshotReady, message: GMSG.groupSnapshotReady(g.metadata.namespace, g.metadata.name) });
  }
  return steps;
}

/** failReadyFalse: upstream's dynamic caller (bindandUpdateVolumeGroupSnapshot) sets it, the static one does not. */
function statusFromContent(p: Planner, content: VolumeGroupSnapshotContent, key: (op: OperationKey["operation"]) => OperationKey, failReadyFalse: boolean): GroupPlan {
  p.steps.push(...statusSteps(p.g, p.current, content, key, failReadyFalse));
  return { steps: p.steps, verdict: { kind: "done" } };
}

// ---- deletion (§4.7) ----

export interface GroupDeleteState {
  group: VolumeGroupSnapshot;
  /** The candidate content (candidateGroupContentName), when it exists. */
  content?: VolumeGroupSnapshotContent;
  /** VolumeSnapshots in the group's namespace that it owns (isMemberOf). */
  members: VolumeSnapshot[];
  /** Pending PVCs in the group's namespace (a restore from a member blocks the deletion). */
  claims: PersistentVolumeClaim[];
  nowMs: number;
}

/** The bound content, or for a dynamic group deleted before its status said so, `groupsnapcontent-<uid>`. */
export function candidateGroupContentName(g: VolumeGroupSnapshot): string | undefined {
  const bound = g.status?.boundVolumeGroupSnapshotContentName;
  if (bound) return bound;
  if (isDynamicGroup(g) && g.metadata.uid) return groupContentNameFor(g.metadata.uid);
  return undefined;
}

/** A claim still waiting to be restored from this snapshot. */
export function restoresFrom(pvc: PersistentVolumeClaim, vs: VolumeSnapshot): boolean {
  if (pvc.status?.phase !== undefined && pvc.status.phase !== "Pending") return false;
  if (pvc.metadata.namespace !== vs.metadata.namespace) return false;
  const sources = [pvc.spec.dataSource, pvc.spec.dataSourceRef].filter((x) => x !== undefined);
  return sources.some(
    (x) => x.kind === "VolumeSnapshot" && (x.apiGroup ?? "") === SNAPSHOT_GROUP && x.name === vs.metadata.name && (!("namespace" in x) || !x.namespace || x.namespace === vs.metadata.namespace),
  );
}

export function planGroupDeletion(s: GroupDeleteState): Plan {
  const g = s.group;
  if (!isDeleting(g)) return nothing("group snapshot is not being deleted");
  if (!hasFinalizer(g, FINALIZERS.groupSnapshotBound)) return nothing("no group snapshot finalizer left");
  const content = s.content && groupContentPointsTo(s.content, g) ? s.content : undefined;
  const deleteContent = content?.spec.deletionPolicy === "Delete";
  const ns = g.metadata.namespace;
  const steps: Step[] = [
    { op: "metric", mark: { kind: "start", key: groupMetricKey(g, "DeleteGroupSnapshot", content?.spec.driver), startedAt: g.metadata.deletionTimestamp } },
  ];

  for (const member of s.members) {
    if (s.claims.some((pvc) => restoresFrom(pvc, member))) {
      const message = GMSG.memberRestorePending(ns, member.metadata.name!, g.metadata.name);
      return {
        steps: [...steps, { op: "event", on: g, type: "Warning", reason: REASONS.snapshotDeletePending, message }],
        verdict: { kind: "requeue", afterMs: backoffMs(g.metadata.deletionTimestamp, s.nowMs, ERROR_BACKOFF), reason: message },
      };
    }
  }

  if (content) {
    // The content side (this function's sidecar half) acts on a deleting content only with this mark.
    if (content.metadata.annotations?.[ANNOTATIONS.groupBeingDeleted] !== ANNOTATION_YES) {
      steps.push({ op: "update", resource: GROUP_CONTENT, object: withAnnotation(content, ANNOTATIONS.groupBeingDeleted, ANNOTATION_YES) });
    }
    if (deleteContent && !isDeleting(content)) {
      steps.push({
        op: "delete",
        resource: GROUP_CONTENT,
        name: content.metadata.name!,
        ...(content.metadata.uid ? { uid: content.metadata.uid } : {}),
        onFailure: { on: g, reason: REASONS.groupSnapshotContentObjectDeleteError, message: GMSG.contentObjectDeleteError },
      });
    }
  }

  // A Delete-policy content on its way out: the group (and its finalizer) waits for it; the
  // content's "deleted" event brings the group back here, and then no content is found.
  if (content && deleteContent) return { steps, verdict: { kind: "done" } };

  // The group is released first, then its members are deleted: their own deletion then finds the
  // group gone instead of being refused and backing off (upstream deletes them before and refuses
  // them while the group exists; the end state is the same). Should this invocation die between the
  // two, the members are owned by the vanished group, so the garbage collector deletes them.
  steps.push({ op: "update", resource: GROUP, object: withoutFinalizers(g, FINALIZERS.groupSnapshotBound) });
  for (const member of s.members) {
    if (isDeleting(member)) continue;
    steps.push({
      op: "delete",
      resource: "volumesnapshots",
      name: member.metadata.name!,
      namespace: member.metadata.namespace!,
      ...(member.metadata.uid ? { uid: member.metadata.uid } : {}),
      onFailure: { on: g, reason: REASONS.snapshotDeleteError, message: GMSG.memberDeleteFailed(ns, member.metadata.name!, g.metadata.name, "{err}") },
    });
  }
  return { steps, verdict: { kind: "done" } };
}
