// Restore and clone sources: which object a claim's dataSource/dataSourceRef names, and upstream's
// checks of that object (getSnapshotSource / getPVCSource). Pure: the executor reads the objects.
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from "../../shared/api/core.js";
import type { VolumeSnapshot, VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import { parseQuantity } from "../../shared/snapshot/quantity.js";
import { fail, ok, type Result } from "../../shared/snapshot/result.js";
import { ANN, CLAIM_KIND, MSG, SNAPSHOT_GROUP, SNAPSHOT_KIND } from "./constants.js";

export interface DataSource {
  kind: string;
  /** "" for the core group. */
  apiGroup: string;
  name: string;
  namespace: string;
  /** Set when dataSourceRef names another namespace. */
  crossNamespace: boolean;
  /**
   * Set when dataSourceRef names any namespace, even the claim's own: upstream refuses that
   * whenever its CrossNamespaceVolumeDataSource feature is off (snapflow has no such feature).
   */
  namespaceSpecified: boolean;
}

/** dataSource wins over dataSourceRef, as upstream's provisioner reads them. */
export function dataSourceOf(claim: PersistentVolumeClaim): DataSource | undefined {
  const ns = claim.metadata.namespace ?? "";
  const ds = claim.spec.dataSource;
  if (ds) return { kind: ds.kind, apiGroup: ds.apiGroup ?? "", name: ds.name ?? "", namespace: ns, crossNamespace: false, namespaceSpecified: false };
  const ref = claim.spec.dataSourceRef;
  if (ref) {
    const refNs = ref.namespace || ns;
    return { kind: ref.kind, apiGroup: ref.apiGroup ?? "", name: ref.name ?? "", namespace: refNs, crossNamespace: refNs !== ns, namespaceSpecified: !!ref.namespace };
  }
  return undefined;
}

/**
 * A source that names a VolumeSnapshot, as upstream's snapshot-protection sweep counts them (the
 * group may be left out). Restore itself insists on the group: see planClaim.
 */
export function isSnapshotSource(ds: DataSource | undefined): boolean {
  return ds?.kind === SNAPSHOT_KIND && (ds.apiGroup === "" || ds.apiGroup === SNAPSHOT_GROUP);
}

export function isClaimSource(ds: DataSource | undefined): boolean {
  return ds?.kind === CLAIM_KIND;
}

/** Claims still waiting for their volume (upstream: phase Pending or not yet set). */
export function isPending(claim: PersistentVolumeClaim): boolean {
  const phase = claim.status?.phase;
  return phase === undefined || phase === "Pending";
}

export function requestedBytes(claim: PersistentVolumeClaim): bigint {
  const storage = claim.spec.resources?.requests?.storage;
  return storage === undefined ? 0n : parseQuantity(storage);
}

export interface RestoreInputs {
  claim: PersistentVolumeClaim;
  cls: StorageClass;
  name: string;
  snapshot?: VolumeSnapshot;
  content?: VolumeSnapshotContent;
}

/** A source check's refusal; `notReady` marks the one failure that only needs time. */
export interface SourceRefusal {
  error: string;
  notReady?: boolean;
}

function hasFinalizer(obj: { metadata: { finalizers?: string[] } }, f: string): boolean {
  return obj.metadata.finalizers?.includes(f) ?? false;
}

/** Go's strconv.ParseBool. */
function parseBool(s: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return undefined;
}

/** Upstream's getSnapshotSource: the snapshot handle to restore from, or why not. */
export function checkSnapshotSource(i: RestoreInputs, protectionFinalizer: string): { ok: true; snapshotHandle: string } | { ok: false; refusal: SourceRefusal } {
  const refuse = (error: string, notReady = false) => ({ ok: false as const, refusal: { error, ...(notReady ? { notReady } : {}) } });
  const vs = i.snapshot;
  if (!vs) return refuse(MSG.snapshotGet(i.name, MSG.snapshotNotFound(i.name)));
  // A restore that already protected the snapshot may finish even though deletion began.
  if (vs.metadata.deletionTimestamp && !hasFinalizer(vs, protectionFinalizer)) return refuse(MSG.snapshotBeingDeleted(i.name));
  const contentName = vs.status?.boundVolumeSnapshotContentName;
  if (!contentName) return refuse(MSG.snapshotNotBound(i.name), true);
  const content = i.content;
  if (!content) return refuse(MSG.contentGet(contentName, i.name), true);
  const ref = content.spec.volumeSnapshotRef;
  if (ref.uid !== vs.metadata.uid || ref.namespace !== vs.metadata.namespace || ref.name !== vs.metadata.name) {
    return refuse(MSG.contentBoundElsewhere(contentName, i.name));
  }
  if (content.spec.driver !== i.cls.provisioner) return refuse(MSG.contentOtherDriver(contentName, i.name, i.cls.metadata.name ?? ""));
  if (vs.status?.readyToUse !== true) return refuse(MSG.snapshotNotReady(i.name), true);
  const handle = content.status?.snapshotHandle;
  if (!handle) return refuse(MSG.snapshotHandleMissing(i.name), true);

  const restoreSize = vs.status?.restoreSize;
  if (restoreSize !== undefined && restoreSize !== null) {
    if (i.claim.spec.resources?.requests?.storage === undefined) return refuse(MSG.restoreNoCapacity(i.claim.metadata.name ?? "", vs.metadata.name ?? i.name));
    const wanted = requestedBytes(i.claim);
    const size = parseQuantity(String(restoreSize));
    if (wanted < size) return refuse(MSG.restoreTooSmall(wanted, size, vs.metadata.name ?? i.name));
  }

  const sourceMode = content.spec.sourceVolumeMode;
  const claimMode = i.claim.spec.volumeMode;
  if (sourceMode && claimMode && sourceMode !== claimMode) {
    const { namespace, name } = i.claim.metadata;
    const allow = content.metadata.annotations?.[ANN.allowVolumeModeChange];
    if (allow === undefined) return refuse(MSG.modeChangeNoAnnotation(namespace, name, content.metadata.name ?? contentName));
    const allowed = parseBool(allow);
    if (allowed === undefined) return refuse(MSG.modeChangeBadValue(namespace, name, allow));
    if (!allowed) return refuse(MSG.modeChangeFalse(namespace, name, content.metadata.name ?? contentName));
  }
  return { ok: true, snapshotHandle: handle };
}

export interface CloneInputs {
  claim: PersistentVolumeClaim;
  cls: StorageClass;
  name: string;
  source?: PersistentVolumeClaim;
  sourceVolume?: PersistentVolume;
}

/**
 * A claim's status as Go's %v prints upstream's PersistentVolumeClaimStatus struct: field values in
 * declaration order, nil slices as [] and nil maps as map[]. Exact for the usual not-Bound source
 * (phase and access modes); Go would print quantities and conditions as their inner structs, which
 * this renders by their values instead.
 */
export function goClaimStatus(status: PersistentVolumeClaim["status"]): string {
  const list = (xs: readonly string[] | undefined) => `[${(xs ?? []).join(" ")}]`;
  // Go prints map keys sorted.
  const map = (m: Record<string, string> | undefined) => `map[${Object.keys(m ?? {}).sort().map((k) => `${k}:${m![k]}`).join(" ")}]`;
  const conditions = list(status?.conditions?.map((c) => `{${c.type} ${c.status}}`));
  return `{${status?.phase ?? ""} ${list(status?.accessModes)} ${map(status?.capacity)} ${conditions} ${map(status?.allocatedResources)} ${map(status?.allocatedResourceStatuses)} <nil> <nil>}`;
}

/** Upstream's getPVCSource: the volume to clone, or why not. */
export function checkCloneSource(i: CloneInputs): Result<string> {
  const src = i.source;
  if (!src) return fail(MSG.sourceClaimGet(i.name, i.claim.metadata.namespace, MSG.sourceClaimNotFound(i.name)));
  if (src.status?.phase !== "Bound") return fail(MSG.sourceNotBound(i.name, goClaimStatus(src.status)));
  if (src.metadata.deletionTimestamp) return fail(MSG.sourceBeingDeleted(i.name));
  // Only spec.storageClassName counts, on both claims (the admission plugin writes the default
  // there). No same-class rule: external-provisioner dropped it in v3.2 (PR #699); only the
  // source volume's driver must be the class's provisioner, checked on the PV below.
  if (src.spec.storageClassName === undefined) return fail(MSG.sourceClassEmpty(src.metadata.name ?? i.name));
  if (i.claim.spec.storageClassName === undefined) return fail(MSG.targetClassEmpty(i.claim.metadata.name ?? ""));
  // Upstream compares with the source's request only: a source the driver made larger than its
  // request reaches the driver, which refuses a smaller clone itself.
  const wanted = requestedBytes(i.claim);
  const have = requestedBytes(src);
  if (wanted < have) return fail(MSG.cloneTooSmall(wanted, have));
  if (!src.spec.volumeName) return fail(MSG.sourceVolumeNameEmpty(src.metadata.name ?? i.name));
  const pv = i.sourceVolume;
  if (!pv?.spec.csi || pv.spec.csi.driver !== i.cls.provisioner) return fail(MSG.claimNotBoundOrInvalid);
  const ref = pv.spec.claimRef;
  if (!ref || ref.uid !== src.metadata.uid || ref.namespace !== src.metadata.namespace || ref.name !== src.metadata.name) return fail(MSG.claimNotBoundOrInvalid);
  if (pv.status?.phase !== "Bound") return fail(MSG.claimNotBoundOrInvalid);
  const wantedMode = i.claim.spec.volumeMode ?? "Filesystem";
  const sourceMode = pv.spec.volumeMode ?? "Filesystem";
  if (wantedMode === "Filesystem" && sourceMode !== "Filesystem") return fail(MSG.modeBlockToFs);
  if (wantedMode === "Block" && sourceMode !== "Block") return fail(MSG.modeFsToBlock);
  return ok(pv.spec.csi.volumeHandle);
}
