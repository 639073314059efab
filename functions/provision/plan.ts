// provision — external-provisioner's decisions (plus kube-controller-manager's provisioner
// annotation) for one PersistentVolumeClaim, the release of the source-protection finalizers, and
// the deletion of released PVs. Pure: state in, steps out. A plan may end in one gateway call whose
// answer goes through a second pure function (afterCreateVolume / afterDeleteVolume).
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from "../../shared/api/core.js";
import type { KubeObject } from "../../shared/api/meta.js";
import type { VolumeSnapshot, VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import type { CreateVolumeRequest, DriverCapabilities, SecretRef, VolumeInfo } from "../../shared/gateway/types.js";
import { clone, hasFinalizer, isDeleting, withFinalizers, withoutFinalizers } from "../../shared/snapshot/objects.js";
import { formatBinarySI, QuantityError } from "../../shared/snapshot/quantity.js";
import { backoffMs, ERROR_BACKOFF, nothing, POLL_BACKOFF, type Plan, type Step } from "../../shared/snapshot/steps.js";
import { fail, ok, type Result } from "../../shared/snapshot/result.js";
import { isFinalFailure, rpcErrorText, volumeCapabilities, type CallResult } from "../../shared/volume/csi.js";
import {
  ANN,
  FINALIZER,
  MSG,
  PROVISIONER_IDENTITY_KEY,
  provisionerComponent,
  provisionerIdentity,
  PV_CONTROLLER_COMPONENT,
  REASONS,
  SNAPSHOT_GROUP,
  SNAPSHOT_KIND,
  volumeNameFor,
} from "./constants.js";
import { fsTypeOf, SECRET_SETS, secretRefFor, stripProvisionerParameters } from "./parameters.js";
import {
  checkCloneSource,
  checkSnapshotSource,
  dataSourceOf,
  isClaimSource,
  isPending,
  isSnapshotSource,
  requestedBytes,
  type DataSource,
} from "./source.js";

/** Everything a claim's sync may look at, as read from the API just now. */
export interface ClaimState {
  claim: PersistentVolumeClaim;
  /** The class the claim names (when it exists), or every class when it names none. */
  classes: StorageClass[];
  /** The gateway's answer for the class's provisioner; undefined = not a driver this gateway serves. */
  capabilities?: DriverCapabilities;
  /** The PV `pvc-<claim uid>`, when it exists. */
  volume?: PersistentVolume;
  /** Restore: the snapshot and its bound content, when they exist. */
  snapshot?: VolumeSnapshot;
  content?: VolumeSnapshotContent;
  /** Clone: the source claim and its PV, when they exist. */
  sourceClaim?: PersistentVolumeClaim;
  sourceVolume?: PersistentVolume;
  nowMs: number;
}

export interface CreateVolumeCall {
  kind: "createVolume";
  driver: string;
  request: CreateVolumeRequest;
  /** The PV to create once the volume exists (handle, attributes and capacity are filled in then). */
  pv: PersistentVolume;
  requiredBytes: number;
  /** With a data source the driver must echo a content source (upstream refuses the volume otherwise). */
  expectSource: boolean;
}

export interface DeleteVolumeCall {
  kind: "deleteVolume";
  driver: string;
  volumeId: string;
  secretRef?: SecretRef;
}

export interface ProvisionPlan extends Plan {
  call?: CreateVolumeCall | DeleteVolumeCall;
  /**
   * The provisioner annotations to merge into the claim (kube-controller-manager's part). Applied
   * as a merge patch: before the steps when the plan ends without CreateVolume, after the PV exists
   * when it does — so the claim's "modified" event finds the PV and does no second CreateVolume.
   */
  annotate?: Record<string, string>;
  /**
   * The source to protect before CreateVolume: this object with the finalizer added. The executor
   * writes it and, when another restore of the same source won the race, re-reads and retries
   * (protection is idempotent), so concurrent restores do not bounce off each other's 409s.
   */
  protect?: Protection;
  /** With a cleanup call: the report when that DeleteVolume fails too (`{err}` is its error). */
  ifCleanupFails?: string;
  /** After the steps: re-read this object and take the finalizer off (the steps may have changed it). */
  dropFinalizer?: DropFinalizer;
  /** The claim was refused because its data source could not be used (it may be missing only for now). */
  sourceRefused?: boolean;
}

export interface DropFinalizer {
  resource: "persistentvolumes" | "volumesnapshots";
  namespace?: string;
  name: string;
  uid?: string;
  finalizer: string;
  /** A failure is logged, not the reconcile's: something else removes it later too. */
  bestEffort?: boolean;
}

export interface Protection {
  resource: "volumesnapshots" | "persistentvolumeclaims";
  object: KubeObject;
  finalizer: string;
}

/** The merge patch that names the provisioner on a claim (both spellings, as kube-controller-manager does). */
export function provisionerAnnotations(driver: string): Record<string, string> {
  return { [ANN.storageProvisioner]: driver, [ANN.betaStorageProvisioner]: driver };
}

const CLAIMS = "persistentvolumeclaims" as const;

/** The claim's class name: the legacy annotation wins; undefined = none named (use the default). */
export function claimClassName(claim: PersistentVolumeClaim): string | undefined {
  const legacy = claim.metadata.annotations?.[ANN.betaStorageClass];
  return legacy ?? claim.spec.storageClassName;
}

function isDefaultClass(cls: StorageClass): boolean {
  const ann = cls.metadata.annotations ?? {};
  return ann[ANN.defaultClass] === "true" || ann[ANN.betaDefaultClass] === "true";
}

/** Kubernetes' rule since 1.26: several default classes → the newest one (then the name decides). */
export function pickDefaultStorageClass(classes: readonly StorageClass[]): StorageClass | undefined {
  const defaults = classes.filter(isDefaultClass);
  defaults.sort((a, b) => (b.metadata.creationTimestamp ?? "").localeCompare(a.metadata.creationTimestamp ?? "") || (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""));
  return defaults[0];
}

export type ClassResolution =
  | { kind: "none"; why: string }
  | { kind: "missing"; name: string }
  | { kind: "class"; name: string; cls: StorageClass };

export function resolveClass(claim: PersistentVolumeClaim, classes: readonly StorageClass[]): ClassResolution {
  const name = claimClassName(claim);
  if (name === "") return { kind: "none", why: 'claim asks for storageClassName "" (static binding only)' };
  if (name !== undefined) {
    const cls = classes.find((c) => c.metadata.name === name);
    return cls ? { kind: "class", name, cls } : { kind: "missing", name };
  }
  const cls = pickDefaultStorageClass(classes);
  return cls ? { kind: "class", name: cls.metadata.name!, cls } : { kind: "none", why: "claim names no class and there is no default StorageClass" };
}

/** Whether the claim could still need a volume from us (checked before anything is read). */
export function mayNeedVolume(claim: PersistentVolumeClaim): string | undefined {
  if (isDeleting(claim)) return "claim is being deleted";
  if (claim.spec.volumeName) return "claim is bound or names its volume";
  if (!isPending(claim)) return `claim is ${claim.status?.phase}`;
  return undefined;
}

function ev(on: KubeObject, type: "Normal" | "Warning", reason: string, message: string, component: string): Step {
  return { op: "event", on, type, reason, message, component };
}

class ClaimPlanner {
  readonly steps: Step[] = [];
  annotate?: Record<string, string>;
  protect?: Protection;
  constructor(
    readonly s: ClaimState,
    readonly driver: string,
  ) {}

  get claim(): PersistentVolumeClaim {
    return this.s.claim;
  }

  event(type: "Normal" | "Warning", reason: string, message: string): void {
    this.steps.push(ev(this.claim, type, reason, message, provisionerComponent(this.driver)));
  }

  /** ProvisioningFailed then a retry with back-off (shorter when only time is needed). */
  fail(message: string, waiting = false): ProvisionPlan {
    this.event("Warning", REASONS.provisioningFailed, message);
    const delay = backoffMs(this.claim.metadata.creationTimestamp, this.s.nowMs, waiting ? POLL_BACKOFF : ERROR_BACKOFF);
    return this.plan({ kind: "requeue", afterMs: delay, reason: message });
  }

  plan(verdict: ProvisionPlan["verdict"], call?: CreateVolumeCall): ProvisionPlan {
    return { steps: this.steps, verdict, ...(call ? { call } : {}), ...(this.annotate ? { annotate: this.annotate } : {}), ...(this.protect ? { protect: this.protect } : {}) };
  }
}

function annotated(claim: PersistentVolumeClaim, driver: string): boolean {
  const ann = claim.metadata.annotations ?? {};
  return (ann[ANN.storageProvisioner] ?? ann[ANN.betaStorageProvisioner]) === driver;
}

/**
 * The claim's sync: annotate, validate, protect the source, then CreateVolume. `rebuild`: the claim is
 * gone and only the CreateVolume request its sync would send is wanted (planDeletedClaim): a
 * WaitForFirstConsumer claim is not held back for a node (the scheduler may have taken its
 * selected-node away after an attempt; the request carries no topology, so the node is not needed).
 */
export function planClaim(s: ClaimState, rebuild = false): ProvisionPlan {
  const claim = s.claim;
  const skip = mayNeedVolume(claim);
  if (skip) return nothing(skip);
  const resolved = resolveClass(claim, s.classes);
  if (resolved.kind === "none") return nothing(resolved.why);
  if (resolved.kind === "missing") {
    // kube-controller-manager's complaint: the class may still be created, so look again later.
    const message = MSG.classNotFound(resolved.name);
    return {
      steps: [ev(claim, "Warning", REASONS.provisioningFailed, message, PV_CONTROLLER_COMPONENT)],
      verdict: { kind: "requeue", afterMs: backoffMs(claim.metadata.creationTimestamp, s.nowMs, ERROR_BACKOFF), reason: message },
    };
  }
  const { cls, name: className } = resolved;
  const driver = cls.provisioner;
  if (!s.capabilities) return nothing(`provisioner ${driver} is not a driver this gateway serves`);
  if (!rebuild && cls.volumeBindingMode === "WaitForFirstConsumer" && !claim.metadata.annotations?.[ANN.selectedNode]) {
    // Delayed binding: the scheduler picks a node first (kube-controller-manager says so meanwhile).
    return {
      steps: [ev(claim, "Normal", REASONS.waitForFirstConsumer, MSG.waitForFirstConsumer, PV_CONTROLLER_COMPONENT)],
      verdict: { kind: "nothing", why: MSG.waitForFirstConsumer },
    };
  }
  const p = new ClaimPlanner(s, driver);

  // kube-controller-manager's part: name the provisioner on the claim (both spellings, as it does).
  if (!annotated(claim, driver)) {
    p.annotate = provisionerAnnotations(driver);
    p.steps.push(ev(claim, "Normal", REASONS.externalProvisioning, MSG.externalProvisioning(driver), PV_CONTROLLER_COMPONENT));
  }

  const pvName = volumeNameFor(claim.metadata.uid!);
  if (s.volume) {
    const done = s.volume.spec.claimRef?.uid === claim.metadata.uid;
    return p.plan({ kind: "nothing", why: done ? `PV ${pvName} exists; the binder binds it` : `PV ${pvName} belongs to another claim` });
  }

  // The provisioner library announces the attempt before the provisioner looks at the claim. It is
  // also the durable record that CreateVolume may have been sent: written (and required to be
  // written) before the call, so a claim deleted while the call's outcome is unknown can be
  // checked for a leaked volume (planDeletedClaim).
  p.event("Normal", REASONS.provisioning, MSG.provisioning(claim.metadata.namespace, claim.metadata.name));
  const announced = p.steps[p.steps.length - 1]!;

  // Upstream's order: normalise the source (dataSourceRef's namespace), its name, then its kind.
  const source = dataSourceOf(claim);
  if (source) {
    if (source.namespaceSpecified) return p.fail(MSG.crossNamespace);
    if (source.name === "") return p.fail(MSG.sourceNameMissing(claim.metadata.name ?? ""));
    if (source.kind === SNAPSHOT_KIND && source.apiGroup !== SNAPSHOT_GROUP) return p.fail(MSG.wrongApiGroup(source.apiGroup));
    if (source.kind !== SNAPSHOT_KIND && !isClaimSource(source)) {
      p.event("Normal", REASONS.provisioning, MSG.populator);
      return p.plan({ kind: "nothing", why: `data source (${source.kind}) is not handled by the provisioner, assuming an external populator will provision it` });
    }
  }

  const caps = new Set(s.capabilities.controller);
  if (!caps.has("CREATE_DELETE_VOLUME")) return p.fail(MSG.noDynamicProvisioning);
  if (isSnapshotSource(source) && !caps.has("CREATE_DELETE_SNAPSHOT")) return p.fail(MSG.noRestore);
  if (isClaimSource(source) && !caps.has("CLONE_VOLUME")) return p.fail(MSG.noClone);
  if (claim.spec.selector) return p.fail(MSG.selectorUnsupported);

  const fsType = fsTypeOf(cls.parameters);
  if (!fsType.ok) return p.fail(fsType.error);
  let wanted: bigint;
  try {
    wanted = requestedBytes(claim);
  } catch (err) {
    if (err instanceof QuantityError) return p.plan({ kind: "invalid", message: err.message });
    throw err;
  }
  const block = claim.spec.volumeMode === "Block";
  const capabilities = volumeCapabilities(claim.spec.accessModes ?? [], {
    volumeMode: claim.spec.volumeMode,
    fsType: fsType.value,
    mountFlags: cls.mountOptions,
    singleNodeMultiWriter: caps.has("SINGLE_NODE_MULTI_WRITER"),
  });
  if (!capabilities.ok) return p.fail(capabilities.error);

  const request: CreateVolumeRequest = { name: pvName, requiredBytes: Number(wanted), capabilities: capabilities.value };
  if (source) {
    const picked = contentSource(s, source, cls);
    if (!picked.ok) return { ...p.fail(MSG.dataSourceHandle(source.kind, source.name, picked.error), picked.notReady), sourceRefused: true };
    request.source = picked.source;
    // Protect the source before the driver starts reading it; released once no restore/clone is pending.
    if (picked.protect) p.protect = picked.protect;
  }

  const refs: Partial<Record<keyof typeof SECRET_SETS, SecretRef>> = {};
  for (const key of ["provisioner", "controllerPublish", "nodeStage", "nodePublish", "controllerExpand", "nodeExpand", "controllerModify"] as const) {
    const r = secretRefFor(SECRET_SETS[key], cls.parameters, pvName, claim);
    if (!r.ok) return p.fail(r.error);
    if (r.value) refs[key] = r.value;
  }
  const params = stripProvisionerParameters(cls.parameters);
  if (!params.ok) return p.fail(params.error);
  request.parameters = params.value;
  if (refs.provisioner) request.secretRef = refs.provisioner;

  const pv: PersistentVolume = {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: {
      name: pvName,
      // The library adds it to every PV it creates (the reclaim policy decides later whether it stays).
      finalizers: [FINALIZER.volume],
      annotations: {
        [ANN.provisionedBy]: driver,
        // Upstream records the deletion secret (empty when none) so Delete needs no class.
        [ANN.deletionSecretName]: refs.provisioner?.name ?? "",
        [ANN.deletionSecretNamespace]: refs.provisioner?.namespace ?? "",
        // Only when the class names one (unlike the deletion secret).
        ...(refs.controllerModify ? { [ANN.modifySecretName]: refs.controllerModify.name, [ANN.modifySecretNamespace]: refs.controllerModify.namespace } : {}),
      },
    },
    spec: {
      accessModes: [...(claim.spec.accessModes ?? [])],
      ...(cls.mountOptions ? { mountOptions: [...cls.mountOptions] } : {}),
      capacity: { storage: "0" },
      csi: {
        driver,
        volumeHandle: "",
        ...(!block && fsType.value ? { fsType: fsType.value } : {}),
        ...(refs.controllerPublish ? { controllerPublishSecretRef: refs.controllerPublish } : {}),
        ...(refs.nodeStage ? { nodeStageSecretRef: refs.nodeStage } : {}),
        ...(refs.nodePublish ? { nodePublishSecretRef: refs.nodePublish } : {}),
        ...(refs.controllerExpand ? { controllerExpandSecretRef: refs.controllerExpand } : {}),
        ...(refs.nodeExpand ? { nodeExpandSecretRef: refs.nodeExpand } : {}),
      },
      persistentVolumeReclaimPolicy: cls.reclaimPolicy ?? "Delete",
      storageClassName: className,
      ...(claim.spec.volumeMode ? { volumeMode: claim.spec.volumeMode } : {}),
      claimRef: {
        kind: "PersistentVolumeClaim",
        apiVersion: "v1",
        namespace: claim.metadata.namespace,
        name: claim.metadata.name,
        uid: claim.metadata.uid,
        resourceVersion: claim.metadata.resourceVersion,
      },
    },
  };
  if (announced.op === "event") announced.required = true;
  return p.plan({ kind: "done" }, { kind: "createVolume", driver, request, pv, requiredBytes: Number(wanted), expectSource: !!source });
}

type Picked =
  | { ok: true; source: { snapshotId: string } | { volumeId: string }; protect?: Protection }
  | { ok: false; error: string; notReady?: boolean };

function contentSource(s: ClaimState, source: DataSource, cls: StorageClass): Picked {
  if (isSnapshotSource(source)) {
    const checked = checkSnapshotSource({ claim: s.claim, cls, name: source.name, snapshot: s.snapshot, content: s.content }, FINALIZER.snapshotSource);
    if (!checked.ok) return { ok: false, ...checked.refusal };
    const vs = s.snapshot!;
    return {
      ok: true,
      source: { snapshotId: checked.snapshotHandle },
      ...(hasFinalizer(vs, FINALIZER.snapshotSource) ? {} : { protect: { resource: "volumesnapshots", object: withFinalizers(vs, FINALIZER.snapshotSource), finalizer: FINALIZER.snapshotSource } }),
    };
  }
  const checked = checkCloneSource({ claim: s.claim, cls, name: source.name, source: s.sourceClaim, sourceVolume: s.sourceVolume });
  if (!checked.ok) return { ok: false, error: checked.error };
  const src = s.sourceClaim!;
  return {
    ok: true,
    source: { volumeId: checked.value },
    ...(hasFinalizer(src, FINALIZER.cloneSource) ? {} : { protect: { resource: CLAIMS, object: withFinalizers(src, FINALIZER.cloneSource), finalizer: FINALIZER.cloneSource } }),
  };
}

/** After CreateVolume: the PV (pre-bound to the claim), or the failure and a retry. */
export function afterCreateVolume(claim: PersistentVolumeClaim, call: CreateVolumeCall, result: CallResult<VolumeInfo>, nowMs: number): ProvisionPlan {
  const component = provisionerComponent(call.driver);
  const retry = (steps: Step[], message: string): ProvisionPlan => ({
    steps: [...steps, ev(claim, "Warning", REASONS.provisioningFailed, message, component)],
    verdict: { kind: "requeue", afterMs: backoffMs(claim.metadata.creationTimestamp, nowMs, ERROR_BACKOFF), reason: message },
  });
  if (!result.ok) {
    const text = rpcErrorText(result.failure);
    // The provisioner library's "infeasible" case: only a driver's InvalidArgument, which no quick
    // retry will change; it waits the maximum retry interval before the next attempt.
    if (result.failure.code === "INVALID_ARGUMENT" && result.failure.origin === undefined) {
      const message = MSG.infeasible(text);
      return { steps: [ev(claim, "Warning", REASONS.provisioningFailed, message, component)], verdict: { kind: "requeue", afterMs: ERROR_BACKOFF.capMs, reason: message } };
    }
    return retry([], text);
  }
  const volume = result.value;
  const cleanup: DeleteVolumeCall = { kind: "deleteVolume", driver: call.driver, volumeId: volume.volumeId, ...(call.request.secretRef ? { secretRef: call.request.secretRef } : {}) };
  const capacity = volume.capacityBytes > 0 ? volume.capacityBytes : call.requiredBytes;
  // Upstream's two checks word the orphaned-volume suffix differently ("Cleanup" / "cleanup").
  const orphaned = (message: string, word: string) => `${message}. ${word} of volume ${call.request.name} failed, volume is orphaned: {err}`;
  if (capacity < call.requiredBytes) {
    const message = MSG.capacityTooSmall(capacity, call.requiredBytes);
    return { ...retry([], message), call: cleanup, ifCleanupFails: orphaned(message, "Cleanup") };
  }
  if (call.expectSource && !volume.source) return { ...retry([], MSG.contentSourceMissing), call: cleanup, ifCleanupFails: orphaned(MSG.contentSourceMissing, "cleanup") };

  const pv = clone(call.pv);
  pv.spec.capacity = { storage: formatBinarySI(capacity) };
  pv.spec.csi = {
    ...pv.spec.csi!,
    volumeHandle: volume.volumeId,
    volumeAttributes: { [PROVISIONER_IDENTITY_KEY]: provisionerIdentity(call.driver), ...volume.volumeContext },
  };
  // Upstream's Provision releases the snapshot right away when spec.dataSource names it, whether
  // or not other claims still restore from it (they protect it again on their next attempt).
  const ds = claim.spec.dataSource;
  const release: DropFinalizer | undefined =
    ds?.kind === SNAPSHOT_KIND ? { resource: "volumesnapshots", namespace: claim.metadata.namespace, name: ds.name, finalizer: FINALIZER.snapshotSource, bestEffort: true } : undefined;
  return {
    ...(release ? { dropFinalizer: release } : {}),
    steps: [
      {
        op: "create",
        resource: "persistentvolumes",
        object: pv,
        alreadyExistsOk: true,
        // No Event on failure: upstream's PV save queue only logs and retries. The volume is kept;
        // the next attempt finds it again by its name.
      },
      ev(claim, "Normal", REASONS.provisioningSucceeded, MSG.succeeded(pv.metadata.name!), component),
    ],
    verdict: { kind: "done" },
  };
}

/**
 * After the cleanup DeleteVolume of a volume afterCreateVolume refused: the plan's report as it
 * stands, or, when the cleanup failed too, the report saying the volume is orphaned.
 */
export function afterCleanup(plan: ProvisionPlan, result: CallResult<void>): ProvisionPlan {
  const rest: ProvisionPlan = { ...plan };
  delete rest.call;
  delete rest.ifCleanupFails;
  const ifCleanupFails = plan.ifCleanupFails;
  if (result.ok || !ifCleanupFails || plan.verdict.kind !== "requeue") return rest;
  const message = ifCleanupFails.replace("{err}", rpcErrorText(result.failure));
  const original = plan.verdict.reason;
  return {
    ...rest,
    steps: plan.steps.map((s) => (s.op === "event" && s.message === original ? { ...s, message } : s)),
    verdict: { ...plan.verdict, reason: message },
  };
}

// ---- A claim deleted while its CreateVolume's outcome was unknown (upstream's leak, external-provisioner#486)
//
// A CreateVolume that timed out (or whose connection broke, or whose function was killed) may still
// create the volume; if the claim is deleted before the retry, upstream never asks again and the
// volume is leaked. provision keeps no state, so the evidence is the claim's Provisioning Event,
// written (and required to be written) before every CreateVolume. On the claim's "deleted" event,
// a claim that was still Pending without a volume name, of a class whose driver this gateway serves,
// with no PV pvc-<uid> (a PV has its own reclaim path) and with a Provisioning Event on its uid gets
// the same idempotent CreateVolume again (same name, parameters, capacity, capabilities, secrets and
// content source: planClaim builds it) to learn the outcome: OK → DeleteVolume of the returned
// volume; a final error → nothing was created; any other error → asked again later (requeue).
//
// The deleted event is the only trigger, and the dispatcher redelivers it only on a non-2xx answer:
// once DeleteVolume succeeded and 2xx was answered, nothing repeats it. A crash between DeleteVolume
// and the answer redelivers it: CreateVolume then makes a fresh volume and DeleteVolume removes it
// again — wasteful, but leak-free.

/** Whether a claim's last state (a "deleted" event's object) may have left a volume behind; undefined = it may. */
export function orphanCandidate(claim: PersistentVolumeClaim): string | undefined {
  if (!claim.spec) return "claim carries no spec";
  if (claim.spec.volumeName) return "claim was bound or named its volume";
  if (!isPending(claim)) return `claim was ${claim.status?.phase}`;
  if (claimClassName(claim) === "") return 'claim asked for storageClassName "" (static binding only)';
  return undefined;
}

/** The claim as it was while it waited (its last state carries the deletion and its finalizers). */
export function asLiveClaim(claim: PersistentVolumeClaim): PersistentVolumeClaim {
  const metadata = { ...claim.metadata };
  delete metadata.deletionTimestamp;
  delete metadata.deletionGracePeriodSeconds;
  delete metadata.finalizers;
  return { ...claim, metadata };
}

/** A deleted claim's state: the ClaimState of its last (live) version, plus the evidence. */
export interface DeletedClaimState extends ClaimState {
  /** A Provisioning Event is recorded on the claim's uid: CreateVolume may have been sent. */
  provisioningRecorded: boolean;
}

function deletedClaimRetry(claim: PersistentVolumeClaim, nowMs: number, reason: string): ProvisionPlan {
  return { steps: [], verdict: { kind: "requeue", afterMs: backoffMs(claim.metadata.creationTimestamp, nowMs, ERROR_BACKOFF), reason } };
}

/**
 * A deleted claim: whether CreateVolume must be asked again to learn if a volume was left behind.
 * No steps (the claim is gone: no Event to write); at most the CreateVolume call.
 */
export function planDeletedClaim(s: DeletedClaimState): ProvisionPlan {
  const claim = asLiveClaim(s.claim);
  const skip = orphanCandidate(claim);
  if (skip) return nothing(skip);
  if (!s.provisioningRecorded) return nothing("claim deleted before any CreateVolume (no Provisioning Event)");
  const resolved = resolveClass(claim, s.classes);
  if (resolved.kind === "none") return nothing(resolved.why);
  // Without the class the request cannot be rebuilt. Nothing can count the attempts statelessly, so
  // as upstream's retries do: back off and ask again; the dispatcher's delivery limit then
  // dead-letters the event with an audit record (the leak, if any, is reported, not hidden).
  if (resolved.kind === "missing") return deletedClaimRetry(claim, s.nowMs, `StorageClass ${resolved.name} is gone: cannot ask CreateVolume again whether deleted claim ${claim.metadata.namespace}/${claim.metadata.name} left a volume`);
  if (!s.capabilities) return nothing(`provisioner ${resolved.cls.provisioner} is not a driver this gateway serves`);
  const pvName = volumeNameFor(claim.metadata.uid!);
  if (s.volume) return nothing(`PV ${pvName} exists: its reclaim policy decides what becomes of the volume`);
  const rebuilt = planClaim({ ...s, claim }, true);
  if (rebuilt.call?.kind === "createVolume") return { steps: [], verdict: { kind: "done" }, call: rebuilt.call };
  const why = rebuilt.verdict.kind === "requeue" ? rebuilt.verdict.reason : rebuilt.verdict.kind === "nothing" ? rebuilt.verdict.why : rebuilt.verdict.kind === "invalid" ? rebuilt.verdict.message : "";
  // The source (snapshot, content, source claim) may be gone or changed since the call: the request
  // cannot be rebuilt now; ask again later, as for a missing class.
  if (rebuilt.sourceRefused) return deletedClaimRetry(claim, s.nowMs, `cannot rebuild the CreateVolume request of deleted claim ${claim.metadata.namespace}/${claim.metadata.name}: ${why}`);
  // Every other refusal depends only on the claim and the class, which do not change: it refused
  // every attempt before CreateVolume, so none was sent.
  return nothing(`no CreateVolume was ever sent for it: ${why}`);
}

/** After the repeated CreateVolume: DeleteVolume of what it returned, nothing, or ask again. */
export function afterDeletedClaimCreate(claim: PersistentVolumeClaim, call: CreateVolumeCall, result: CallResult<VolumeInfo>, nowMs: number): ProvisionPlan {
  if (result.ok) {
    return {
      steps: [],
      verdict: { kind: "done" },
      // The secret provision deletes with is the provisioner secret (recorded on a PV as its deletion secret).
      call: { kind: "deleteVolume", driver: call.driver, volumeId: result.value.volumeId, ...(call.request.secretRef ? { secretRef: call.request.secretRef } : {}) },
    };
  }
  const text = rpcErrorText(result.failure);
  if (isFinalFailure(result.failure)) {
    if (result.failure.code === "ALREADY_EXISTS") return nothing(`volume ${call.request.name} exists with other parameters (${text}): left to the administrator`);
    return nothing(`CreateVolume answered ${text}: no volume was left behind`);
  }
  return deletedClaimRetry(claim, nowMs, `whether deleted claim ${claim.metadata.namespace}/${claim.metadata.name} left volume ${call.request.name} is still unknown: ${text}`);
}

/** After DeleteVolume of a volume a deleted claim left behind: done, or ask again. */
export function afterDeletedClaimDelete(claim: PersistentVolumeClaim, call: DeleteVolumeCall, result: CallResult<void>, nowMs: number): ProvisionPlan {
  if (result.ok) return { steps: [], verdict: { kind: "done" } };
  return deletedClaimRetry(claim, nowMs, `deleting volume ${call.volumeId} left by deleted claim ${claim.metadata.namespace}/${claim.metadata.name} failed: ${rpcErrorText(result.failure)}`);
}

/** A claim still waiting to be restored from this snapshot. */
export function restoringFrom(snapshot: VolumeSnapshot): (claim: PersistentVolumeClaim) => boolean {
  return (c) => {
    const ds = dataSourceOf(c);
    return isPending(c) && isSnapshotSource(ds) && ds!.name === snapshot.metadata.name && ds!.namespace === snapshot.metadata.namespace;
  };
}

export const CLONE_PROTECTION_STAYS = "claim is not being deleted: the clone protection stays until it is";

/** A claim still waiting to be cloned from this claim. */
export function cloningFrom(source: PersistentVolumeClaim): (claim: PersistentVolumeClaim) => boolean {
  return (c) => {
    const ds = dataSourceOf(c);
    return isPending(c) && isClaimSource(ds) && ds!.name === source.metadata.name && ds!.namespace === source.metadata.namespace;
  };
}

/** Snapshot side: drop the restore protection once no pending claim restores from the snapshot. */
export function planSnapshotRelease(snapshot: VolumeSnapshot, claims: readonly PersistentVolumeClaim[]): Plan {
  if (!hasFinalizer(snapshot, FINALIZER.snapshotSource)) return nothing("snapshot carries no restore protection");
  const waiting = claims.find(restoringFrom(snapshot));
  if (waiting) return nothing(`claim ${waiting.metadata.name} is still being restored from it`);
  return { steps: [{ op: "update", resource: "volumesnapshots", object: withoutFinalizers(snapshot, FINALIZER.snapshotSource) }], verdict: { kind: "done" } };
}

/**
 * Source claim side (upstream's CloningProtectionController): once the source is being deleted,
 * drop the clone protection when no pending claim clones it. A live source keeps it: upstream
 * looks at no source claim without a deletionTimestamp.
 */
export function planCloneRelease(source: PersistentVolumeClaim, claims: readonly PersistentVolumeClaim[]): Plan {
  if (!hasFinalizer(source, FINALIZER.cloneSource)) return nothing("claim carries no clone protection");
  if (!isDeleting(source)) return nothing(CLONE_PROTECTION_STAYS);
  const waiting = claims.find(cloningFrom(source));
  if (waiting) return nothing(`claim ${waiting.metadata.name} is in 'Pending' state, cloning in progress`);
  return { steps: [{ op: "update", resource: CLAIMS, object: withoutFinalizers(source, FINALIZER.cloneSource) }], verdict: { kind: "done" } };
}

/** The driver a PV belongs to, when a CSI provisioner made it (provisioned-by names its CSI driver). */
export function volumeDriver(pv: PersistentVolume): string | undefined {
  const driver = pv.metadata.annotations?.[ANN.provisionedBy];
  if (!driver || !pv.spec.csi || pv.spec.csi.driver !== driver) return undefined;
  return driver;
}

export type VolumeWork = "addFinalizer" | "removeFinalizer" | "deleteVolume";

/**
 * What the provisioner library's syncVolume would do with this PV: keep its finalizer in step with
 * the reclaim policy (on while Bound with Delete, off with Retain/Recycle), or delete the volume of
 * a Released PV with Delete — also one already being deleted, while the finalizer still holds it.
 */
export function volumeWork(pv: PersistentVolume): VolumeWork | undefined {
  const policy = pv.spec.persistentVolumeReclaimPolicy;
  const finalized = hasFinalizer(pv, FINALIZER.volume);
  if (policy === "Delete" && !isDeleting(pv) && pv.status?.phase === "Bound" && !finalized) return "addFinalizer";
  if ((policy === "Retain" || policy === "Recycle") && finalized) return "removeFinalizer";
  if (isDeleting(pv) && !finalized) return undefined;
  if (pv.status?.phase !== "Released" || policy !== "Delete") return undefined;
  return "deleteVolume";
}

/** Whether a PV is one provision must act on (before asking the gateway whether it serves the driver). */
export function deletionCandidate(pv: PersistentVolume): string | undefined {
  const driver = volumeDriver(pv);
  return driver && volumeWork(pv) ? driver : undefined;
}

/** Upstream's class of a PV: the beta annotation, when present (even empty), wins. */
function volumeClassName(pv: PersistentVolume): string {
  const ann = pv.metadata.annotations ?? {};
  return Object.hasOwn(ann, ANN.betaStorageClass) ? ann[ANN.betaStorageClass]! : pv.spec.storageClassName ?? "";
}

function hasDeletionSecretAnnotations(pv: PersistentVolume): boolean {
  const ann = pv.metadata.annotations ?? {};
  return Object.hasOwn(ann, ANN.deletionSecretName) && Object.hasOwn(ann, ANN.deletionSecretNamespace);
}

/**
 * The StorageClass to read before deleting this PV's volume: only a PV without both deletion-secret
 * annotations (made before they existed, or by hand) takes its secret from its class, as upstream does.
 */
export function deletionSecretClassName(pv: PersistentVolume): string | undefined {
  if (hasDeletionSecretAnnotations(pv)) return undefined;
  return volumeClassName(pv) || undefined;
}

/**
 * external-provisioner's handleSecretsForDeletion: both annotations present → them (none when either
 * is empty); otherwise the class's provisioner secret. A class that is gone or a PV without claimRef
 * deletes without secrets (upstream logs and goes on); templates see the PV name and the claimRef's
 * name and namespace only, so a `${pvc.annotations[...]}` template fails there.
 */
function deletionSecretRef(pv: PersistentVolume, cls: StorageClass | undefined): Result<SecretRef | undefined> {
  const ann = pv.metadata.annotations ?? {};
  if (hasDeletionSecretAnnotations(pv)) {
    const name = ann[ANN.deletionSecretName];
    const namespace = ann[ANN.deletionSecretNamespace];
    return ok(name && namespace ? { name, namespace } : undefined);
  }
  const className = volumeClassName(pv);
  if (!className || !cls || cls.metadata.name !== className) return ok(undefined);
  const claimRef = pv.spec.claimRef;
  if (!claimRef) return ok(undefined);
  const claim: PersistentVolumeClaim = { metadata: { name: claimRef.name, namespace: claimRef.namespace }, spec: {} };
  const ref = secretRefFor(SECRET_SETS.provisioner, cls.parameters, pv.metadata.name ?? "", claim);
  return ref.ok ? ref : fail(MSG.deletionSecretRef(pv.metadata.name ?? "", ref.error));
}

/**
 * A PV a CSI driver this gateway serves provisioned: its finalizer, or DeleteVolume once released
 * with Delete. `cls` is the class deletionSecretClassName names, when it exists.
 */
export function planVolume(pv: PersistentVolume, served: boolean, nowMs: number, cls?: StorageClass): ProvisionPlan {
  const driver = volumeDriver(pv);
  if (!driver) return nothing("PV was not provisioned by a CSI provisioner");
  const work = volumeWork(pv);
  if (!work) {
    const state = `${pv.status?.phase ?? "new"}, reclaimPolicy ${pv.spec.persistentVolumeReclaimPolicy ?? "unset"}${isDeleting(pv) ? ", being deleted" : ""}`;
    return nothing(`PV is ${state}: nothing to do`);
  }
  if (!served) return nothing(`provisioner ${driver} is not a driver this gateway serves`);
  if (work === "addFinalizer") return { steps: [{ op: "update", resource: "persistentvolumes", object: withFinalizers(pv, FINALIZER.volume) }], verdict: { kind: "done" } };
  if (work === "removeFinalizer") return { steps: [{ op: "update", resource: "persistentvolumes", object: withoutFinalizers(pv, FINALIZER.volume) }], verdict: { kind: "done" } };
  const secret = deletionSecretRef(pv, cls);
  if (!secret.ok) {
    return {
      steps: [ev(pv, "Warning", REASONS.volumeFailedDelete, secret.error, provisionerComponent(driver))],
      verdict: { kind: "requeue", afterMs: backoffMs(pv.metadata.creationTimestamp, nowMs, ERROR_BACKOFF), reason: secret.error },
    };
  }
  const secretRef = secret.value;
  return { steps: [], verdict: { kind: "done" }, call: { kind: "deleteVolume", driver, volumeId: pv.spec.csi!.volumeHandle, ...(secretRef ? { secretRef } : {}) } };
}

/** After DeleteVolume: the PV object goes (only this PV: uid precondition), or an Event and a retry. */
export function afterDeleteVolume(pv: PersistentVolume, result: CallResult<void>, nowMs: number): ProvisionPlan {
  if (!result.ok) {
    const message = rpcErrorText(result.failure);
    const since = pv.metadata.creationTimestamp;
    return {
      steps: [ev(pv, "Warning", REASONS.volumeFailedDelete, message, provisionerComponent(pv.spec.csi?.driver ?? ""))],
      verdict: { kind: "requeue", afterMs: backoffMs(since, nowMs, ERROR_BACKOFF), reason: message },
    };
  }
  return {
    steps: [{ op: "delete", resource: "persistentvolumes", name: pv.metadata.name!, ...(pv.metadata.uid ? { uid: pv.metadata.uid } : {}) }],
    verdict: { kind: "done" },
    // The delete only marks a finalized PV; upstream then takes its finalizer off the fresh object.
    ...(hasFinalizer(pv, FINALIZER.volume) ? { dropFinalizer: { resource: "persistentvolumes", name: pv.metadata.name!, ...(pv.metadata.uid ? { uid: pv.metadata.uid } : {}), finalizer: FINALIZER.volume } } : {}),
  };
}
