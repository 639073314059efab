// Table-driven tests in the style of external-provisioner's controller tests: a claim and what
// exists around it → the writes, Events, the CreateVolume request and the verdict.
import { describe, expect, it } from "vitest";
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from "../../shared/api/core.js";
import type { VolumeSnapshot, VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import type { DriverCapabilities, VolumeInfo } from "../../shared/gateway/types.js";
import type { Step } from "../../shared/snapshot/steps.js";
import type { CallResult } from "../../shared/volume/csi.js";
import { ANN, FINALIZER, MSG, PV_CONTROLLER_COMPONENT } from "./constants.js";
import {
  afterCleanup,
  afterCreateVolume,
  afterDeleteVolume,
  afterDeletedClaimCreate,
  afterDeletedClaimDelete,
  planClaim,
  planDeletedClaim,
  planCloneRelease,
  planSnapshotRelease,
  planVolume,
  deletionSecretClassName,
  type ClaimState,
  type CreateVolumeCall,
  type DeleteVolumeCall,
  type DeletedClaimState,
  type ProvisionPlan,
} from "./plan.js";

const DRIVER = "hostpath.snapflow.dev";
const COMPONENT = `${DRIVER}_snapflow-provision`;
const T0 = "2026-03-01T12:00:00Z";
const NOW = Date.parse(T0) + 10_000;
const GiB = 1024 ** 3;

const CAPS: DriverCapabilities = {
  driver: DRIVER,
  plugin: ["CONTROLLER_SERVICE"],
  controller: ["CREATE_DELETE_VOLUME", "CREATE_DELETE_SNAPSHOT", "CLONE_VOLUME", "EXPAND_VOLUME"],
  groupController: [],
  node: [],
};

function newClass(name = "standard", o: Partial<StorageClass> & { isDefault?: boolean; created?: string } = {}): StorageClass {
  const { isDefault, created, ...rest } = o;
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name, creationTimestamp: created ?? T0, ...(isDefault ? { annotations: { [ANN.defaultClass]: "true" } } : {}) },
    provisioner: DRIVER,
    reclaimPolicy: "Delete",
    ...rest,
  };
}

interface ClaimOptions {
  name?: string;
  uid?: string;
  className?: string | null;
  storage?: string;
  accessModes?: string[];
  volumeMode?: "Filesystem" | "Block";
  dataSource?: PersistentVolumeClaim["spec"]["dataSource"];
  dataSourceRef?: PersistentVolumeClaim["spec"]["dataSourceRef"];
  annotated?: boolean;
  phase?: "Pending" | "Bound";
  volumeName?: string;
  finalizers?: string[];
  deleting?: boolean;
}

function newClaim(o: ClaimOptions = {}): PersistentVolumeClaim {
  const claim: PersistentVolumeClaim = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: o.name ?? "claim-1", namespace: "default", uid: o.uid ?? "uid-1", resourceVersion: "7", creationTimestamp: T0 },
    spec: {
      accessModes: o.accessModes ?? ["ReadWriteOnce"],
      resources: { requests: { storage: o.storage ?? "1Gi" } },
      volumeMode: o.volumeMode ?? "Filesystem",
    },
    status: { phase: o.phase ?? "Pending" },
  };
  if (o.className !== null) claim.spec.storageClassName = o.className ?? "standard";
  if (o.annotated) claim.metadata.annotations = { [ANN.storageProvisioner]: DRIVER, [ANN.betaStorageProvisioner]: DRIVER };
  if (o.dataSource) claim.spec.dataSource = o.dataSource;
  if (o.dataSourceRef) claim.spec.dataSourceRef = o.dataSourceRef;
  if (o.volumeName) claim.spec.volumeName = o.volumeName;
  if (o.finalizers) claim.metadata.finalizers = o.finalizers;
  if (o.deleting) claim.metadata.deletionTimestamp = T0;
  return claim;
}

function newSnapshot(o: { ready?: boolean; bound?: boolean; restoreSize?: string; finalizers?: string[]; deleting?: boolean } = {}): VolumeSnapshot {
  const vs: VolumeSnapshot = {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshot",
    metadata: { name: "snap-1", namespace: "default", uid: "snapuid", resourceVersion: "3", creationTimestamp: T0 },
    spec: { source: { persistentVolumeClaimName: "src" } },
    status: { readyToUse: o.ready ?? true, restoreSize: o.restoreSize ?? "1Gi", ...(o.bound === false ? {} : { boundVolumeSnapshotContentName: "snapcontent-snapuid" }) },
  };
  if (o.finalizers) vs.metadata.finalizers = o.finalizers;
  if (o.deleting) vs.metadata.deletionTimestamp = T0;
  return vs;
}

function newContent(o: { driver?: string; snapshotUid?: string; handle?: string | null; mode?: "Filesystem" | "Block"; annotations?: Record<string, string> } = {}): VolumeSnapshotContent {
  return {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshotContent",
    metadata: { name: "snapcontent-snapuid", ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: {
      volumeSnapshotRef: { kind: "VolumeSnapshot", name: "snap-1", namespace: "default", uid: o.snapshotUid ?? "snapuid" },
      deletionPolicy: "Delete",
      driver: o.driver ?? DRIVER,
      source: { volumeHandle: "vol-src" },
      sourceVolumeMode: o.mode ?? "Filesystem",
    },
    status: { readyToUse: true, ...(o.handle === null ? {} : { snapshotHandle: o.handle ?? "snap-handle" }) },
  };
}

function boundSource(o: { className?: string | null; storage?: string; mode?: "Filesystem" | "Block"; driver?: string; pvPhase?: "Bound" | "Released"; phase?: "Pending" | "Bound"; deleting?: boolean } = {}) {
  const source = newClaim({ name: "src", uid: "src-uid", className: o.className === undefined ? "standard" : o.className, storage: o.storage ?? "1Gi", phase: o.phase ?? "Bound", volumeName: "pv-src", deleting: o.deleting });
  const pv: PersistentVolume = {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: "pv-src" },
    spec: {
      capacity: { storage: o.storage ?? "1Gi" },
      accessModes: ["ReadWriteOnce"],
      storageClassName: "standard",
      volumeMode: o.mode ?? "Filesystem",
      claimRef: { kind: "PersistentVolumeClaim", namespace: "default", name: "src", uid: "src-uid" },
      csi: { driver: o.driver ?? DRIVER, volumeHandle: "vol-src" },
    },
    status: { phase: o.pvPhase ?? "Bound" },
  };
  return { sourceClaim: source, sourceVolume: pv };
}

function lostSource() {
  const src = boundSource();
  src.sourceClaim.status = { phase: "Lost", accessModes: ["ReadWriteOnce", "ReadOnlyMany"] };
  return src;
}

function grownSource() {
  const src = boundSource();
  src.sourceClaim.status = { ...src.sourceClaim.status, capacity: { storage: "2Gi" } };
  return src;
}

const SNAP_SOURCE = { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "snap-1" };
const CLAIM_SOURCE = { kind: "PersistentVolumeClaim", name: "src" };

function state(partial: Partial<ClaimState> = {}): ClaimState {
  return { claim: newClaim({ annotated: true }), classes: [newClass()], capabilities: CAPS, nowMs: NOW, ...partial };
}

const event = (on: unknown, type: "Normal" | "Warning", reason: string, message: string, component = COMPONENT): Step => ({ op: "event", on, type, reason, message, component }) as Step;
const provisioningEvent = (claim: PersistentVolumeClaim) => event(claim, "Normal", "Provisioning", 'External provisioner is provisioning volume for claim "default/claim-1"');
/** The Provisioning Event before a CreateVolume: required, it is the durable record that the call may have been sent. */
const announced = (claim: PersistentVolumeClaim) => ({ ...provisioningEvent(claim), required: true }) as Step;
const failed = (claim: PersistentVolumeClaim, message: string) => event(claim, "Warning", "ProvisioningFailed", message);

describe("provision: blank volumes", () => {
  it("annotates the claim as kube-controller-manager does, then asks for pvc-<uid> with the class's parameters", () => {
    const claim = newClaim({ className: null });
    const cls = newClass("standard", { isDefault: true, parameters: { speed: "fast" }, mountOptions: ["noatime"] });
    const plan = planClaim(state({ claim, classes: [newClass("other"), cls] }));
    expect(plan.annotate).toEqual({ [ANN.storageProvisioner]: DRIVER, [ANN.betaStorageProvisioner]: DRIVER });
    expect(plan.steps).toEqual([event(claim, "Normal", "ExternalProvisioning", MSG.externalProvisioning(DRIVER), PV_CONTROLLER_COMPONENT), announced(claim)]);
    expect(plan.verdict).toEqual({ kind: "done" });
    expect(plan.call).toMatchObject({
      kind: "createVolume",
      driver: DRIVER,
      request: {
        name: "pvc-uid-1",
        requiredBytes: GiB,
        capabilities: [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Filesystem", mountFlags: ["noatime"] }],
        parameters: { speed: "fast" },
      },
      requiredBytes: GiB,
      expectSource: false,
    });
    const pv = (plan.call as CreateVolumeCall).pv;
    expect(pv.metadata).toEqual({
      name: "pvc-uid-1",
      annotations: { [ANN.provisionedBy]: DRIVER, [ANN.deletionSecretName]: "", [ANN.deletionSecretNamespace]: "" },
      finalizers: ["external-provisioner.volume.kubernetes.io/finalizer"],
    });
    expect(pv.spec).toMatchObject({
      accessModes: ["ReadWriteOnce"],
      mountOptions: ["noatime"],
      persistentVolumeReclaimPolicy: "Delete",
      storageClassName: "standard",
      volumeMode: "Filesystem",
      claimRef: { kind: "PersistentVolumeClaim", apiVersion: "v1", namespace: "default", name: "claim-1", uid: "uid-1", resourceVersion: "7" },
      csi: { driver: DRIVER },
    });
  });

  it("an annotated claim is not written again; reclaimPolicy comes from the class", () => {
    const plan = planClaim(state({ classes: [newClass("standard", { reclaimPolicy: "Retain" })] }));
    expect(plan.annotate).toBeUndefined();
    expect(plan.steps.filter((s) => s.op !== "event")).toEqual([]);
    expect((plan.call as CreateVolumeCall).pv.spec.persistentVolumeReclaimPolicy).toBe("Retain");
  });

  it("of several default classes the newest wins", () => {
    const older = newClass("old", { isDefault: true, created: "2026-01-01T00:00:00Z" });
    const newer = newClass("new", { isDefault: true, created: "2026-02-01T00:00:00Z" });
    const plan = planClaim(state({ claim: newClaim({ className: null, annotated: true }), classes: [older, newer] }));
    expect((plan.call as CreateVolumeCall).pv.spec.storageClassName).toBe("new");
  });

  it.each<[string, Partial<ClaimState>, string]>([
    ['storageClassName ""', { claim: newClaim({ className: "" }) }, 'claim asks for storageClassName "" (static binding only)'],
    ["no default class", { claim: newClaim({ className: null }), classes: [newClass("a")] }, "claim names no class and there is no default StorageClass"],
    ["a provisioner the gateway does not serve", { capabilities: undefined }, `provisioner ${DRIVER} is not a driver this gateway serves`],
    ["a claim being deleted", { claim: newClaim({ deleting: true }) }, "claim is being deleted"],
    ["a claim that names its volume", { claim: newClaim({ volumeName: "pv-9" }) }, "claim is bound or names its volume"],
    ["a bound claim", { claim: newClaim({ phase: "Bound" }) }, "claim is Bound"],
  ])("%s → nothing, nothing written", (_, partial, why) => {
    const plan = planClaim(state(partial));
    expect(plan).toEqual({ steps: [], verdict: { kind: "nothing", why } });
  });

  it("the PV pvc-<uid> exists → no second CreateVolume (the binder binds the pair)", () => {
    const pv = { metadata: { name: "pvc-uid-1" }, spec: { claimRef: { uid: "uid-1" } } } as PersistentVolume;
    const plan = planClaim(state({ volume: pv }));
    expect(plan.call).toBeUndefined();
    expect(plan.verdict).toEqual({ kind: "nothing", why: "PV pvc-uid-1 exists; the binder binds it" });
  });

  it("a named class that does not exist → kube-controller-manager's ProvisioningFailed and a retry", () => {
    const claim = newClaim({ className: "gold" });
    const plan = planClaim(state({ claim, classes: [] }));
    expect(plan.steps).toEqual([event(claim, "Warning", "ProvisioningFailed", 'storageclass.storage.k8s.io "gold" not found', PV_CONTROLLER_COMPONENT)]);
    expect(plan.annotate).toBeUndefined();
    expect(plan.verdict).toMatchObject({ kind: "requeue", afterMs: 5_000 });
  });

  it("WaitForFirstConsumer: nothing until the scheduler names a node", () => {
    const claim = newClaim({ annotated: true });
    const cls = newClass("standard", { volumeBindingMode: "WaitForFirstConsumer" });
    const waiting = planClaim(state({ claim, classes: [cls] }));
    expect(waiting).toEqual({
      steps: [event(claim, "Normal", "WaitForFirstConsumer", "waiting for first consumer to be created before binding", PV_CONTROLLER_COMPONENT)],
      verdict: { kind: "nothing", why: "waiting for first consumer to be created before binding" },
    });
    const selected = { ...claim, metadata: { ...claim.metadata, annotations: { ...claim.metadata.annotations, [ANN.selectedNode]: "node-1" } } };
    expect(planClaim(state({ claim: selected, classes: [cls] })).call).toBeDefined();
  });

  it("another data source kind is left to its populator, after the library's Provisioning Event", () => {
    const claim = newClaim({ annotated: true, dataSourceRef: { apiGroup: "example.com", kind: "Backup", name: "b" } });
    const plan = planClaim(state({ claim }));
    expect(plan.steps).toEqual([provisioningEvent(claim), event(claim, "Normal", "Provisioning", "Assuming an external populator will provision the volume")]);
    expect(plan.verdict).toEqual({ kind: "nothing", why: "data source (Backup) is not handled by the provisioner, assuming an external populator will provision it" });
    expect(plan.call).toBeUndefined();
  });

  // The data source is normalised first (dataSourceRef's namespace), then its name, then its kind
  // and group — so these refusals come before the populator hand-off and before any capability.
  it.each<[string, ClaimOptions, string]>([
    ["dataSourceRef naming the claim's own namespace", { dataSourceRef: { ...SNAP_SOURCE, namespace: "default" } }, "dataSourceRef namespace specified but the CrossNamespaceVolumeDataSource feature is disabled"],
    ["a populator source in another namespace", { dataSourceRef: { apiGroup: "example.com", kind: "Backup", name: "b", namespace: "other" } }, "dataSourceRef namespace specified but the CrossNamespaceVolumeDataSource feature is disabled"],
    ["a populator source without a name", { dataSourceRef: { apiGroup: "example.com", kind: "Backup", name: "" } }, "the PVC source not found for PVC claim-1"],
    ["a VolumeSnapshot source without apiGroup", { dataSource: { kind: "VolumeSnapshot", name: "snap-1" } }, "the PVC source does not belong to the right APIGroup. Expected snapshot.storage.k8s.io, Got "],
  ])("%s → ProvisioningFailed, no CreateVolume", (_, claimOptions, message) => {
    const claim = newClaim({ annotated: true, ...claimOptions });
    const plan = planClaim(state({ claim, snapshot: newSnapshot(), content: newContent() }));
    expect(plan.steps).toEqual([provisioningEvent(claim), failed(claim, message)]);
    expect(plan.verdict).toMatchObject({ kind: "requeue", reason: message });
    expect(plan.call).toBeUndefined();
    expect(plan.protect).toBeUndefined();
  });

  it("ReadWriteOncePod with SINGLE_NODE_MULTI_WRITER asks for SINGLE_NODE_SINGLE_WRITER; Block carries no fsType", () => {
    const caps = { ...CAPS, controller: [...CAPS.controller, "SINGLE_NODE_MULTI_WRITER"] };
    const plan = planClaim(state({ claim: newClaim({ annotated: true, accessModes: ["ReadWriteOncePod"], volumeMode: "Block" }), capabilities: caps, classes: [newClass("standard", { parameters: { "csi.storage.k8s.io/fstype": "xfs" } })] }));
    expect((plan.call as CreateVolumeCall).request.capabilities).toEqual([{ accessMode: "SINGLE_NODE_SINGLE_WRITER", volumeMode: "Block" }]);
    expect((plan.call as CreateVolumeCall).pv.spec.csi?.fsType).toBeUndefined();
  });

  it("fsType reaches the capability and the PV; reserved keys are stripped", () => {
    const cls = newClass("standard", { parameters: { "csi.storage.k8s.io/fstype": "ext4", "csi.storage.k8s.io/node-stage-secret-name": "s", "csi.storage.k8s.io/node-stage-secret-namespace": "ns", keep: "me" } });
    const call = planClaim(state({ classes: [cls] })).call as CreateVolumeCall;
    expect(call.request.parameters).toEqual({ keep: "me" });
    expect(call.request.capabilities[0]).toMatchObject({ fsType: "ext4" });
    expect(call.pv.spec.csi).toMatchObject({ fsType: "ext4", nodeStageSecretRef: { name: "s", namespace: "ns" } });
  });

  it("the provisioner secret is templated, sent by reference and recorded for deletion; the expand secret lands on the PV", () => {
    const cls = newClass("standard", {
      parameters: {
        "csi.storage.k8s.io/provisioner-secret-name": "${pvc.name}-key",
        "csi.storage.k8s.io/provisioner-secret-namespace": "${pvc.namespace}",
        "csi.storage.k8s.io/controller-expand-secret-name": "expand-${pv.name}",
        "csi.storage.k8s.io/controller-expand-secret-namespace": "kube-system",
      },
    });
    const call = planClaim(state({ classes: [cls] })).call as CreateVolumeCall;
    expect(call.request.secretRef).toEqual({ name: "claim-1-key", namespace: "default" });
    expect(call.request.parameters).toEqual({});
    expect(call.pv.metadata.annotations).toMatchObject({ [ANN.deletionSecretName]: "claim-1-key", [ANN.deletionSecretNamespace]: "default" });
    expect(call.pv.spec.csi?.controllerExpandSecretRef).toEqual({ name: "expand-pvc-uid-1", namespace: "kube-system" });
  });

  it("a controller-modify secret is recorded on the PV for later modifications; none, no annotation", () => {
    const cls = newClass("standard", {
      parameters: { "csi.storage.k8s.io/controller-modify-secret-name": "mod-${pvc.name}", "csi.storage.k8s.io/controller-modify-secret-namespace": "kube-system" },
    });
    const call = planClaim(state({ classes: [cls] })).call as CreateVolumeCall;
    expect(call.request.parameters).toEqual({});
    expect(call.pv.metadata.annotations).toEqual({
      [ANN.provisionedBy]: DRIVER,
      [ANN.deletionSecretName]: "",
      [ANN.deletionSecretNamespace]: "",
      "volume.kubernetes.io/controller-modify-secret-name": "mod-claim-1",
      "volume.kubernetes.io/controller-modify-secret-namespace": "kube-system",
    });
  });

  it.each<[string, Record<string, string>, string]>([
    ["half a controller-modify secret pair", { "csi.storage.k8s.io/controller-modify-secret-namespace": "x" }, "failed to get name and namespace template from params: either name and namespace for ControllerModify secrets specified, Both must be specified"],
    ["an unknown reserved key", { "csi.storage.k8s.io/bogus": "x" }, 'failed to strip CSI Parameters of prefixed keys: found unknown parameter key "csi.storage.k8s.io/bogus" with reserved namespace csi.storage.k8s.io/'],
    ["fsType twice", { fstype: "ext4", "csi.storage.k8s.io/fstype": "xfs" }, 'fstype specified in parameters with both "fstype" and "csi.storage.k8s.io/fstype" keys'],
    ["half a secret pair", { "csi.storage.k8s.io/provisioner-secret-name": "x" }, "failed to get name and namespace template from params: either name and namespace for Provisioner secrets specified, Both must be specified"],
    ["a namespace template using the claim name", { "csi.storage.k8s.io/provisioner-secret-name": "x", "csi.storage.k8s.io/provisioner-secret-namespace": "${pvc.name}" }, 'error resolving value "${pvc.name}": invalid tokens: ["pvc.name"]'],
  ])("%s → ProvisioningFailed, no CreateVolume", (_, parameters, message) => {
    const s = state({ classes: [newClass("standard", { parameters })] });
    const plan = planClaim(s);
    expect(plan.call).toBeUndefined();
    expect(plan.steps).toEqual([provisioningEvent(s.claim), failed(s.claim, message)]);
    expect(plan.verdict).toMatchObject({ kind: "requeue", reason: message });
  });

  it.each<[string, string[], ClaimOptions, string]>([
    ["a driver without CREATE_DELETE_VOLUME", ["CREATE_DELETE_SNAPSHOT"], {}, MSG.noDynamicProvisioning],
    ["a restore on a driver without CREATE_DELETE_SNAPSHOT", ["CREATE_DELETE_VOLUME"], { dataSource: SNAP_SOURCE }, MSG.noRestore],
    ["a clone on a driver without CLONE_VOLUME", ["CREATE_DELETE_VOLUME"], { dataSource: CLAIM_SOURCE }, MSG.noClone],
  ])("%s → ProvisioningFailed", (_, controller, claimOptions, message) => {
    const claim = newClaim({ annotated: true, ...claimOptions });
    const plan = planClaim(state({ claim, capabilities: { ...CAPS, controller } }));
    expect(plan.steps.at(-1)).toEqual(failed(claim, message));
    expect(plan.call).toBeUndefined();
  });

  it("an access mode CSI cannot express → csi-lib-utils' error text", () => {
    const claim = newClaim({ annotated: true, accessModes: ["ReadWriteOnce", "Sometimes"] });
    const plan = planClaim(state({ claim }));
    expect(plan.steps.at(-1)).toEqual(failed(claim, "unsupported AccessMode combination: [Sometimes]"));
    expect(plan.call).toBeUndefined();
  });

  it("a selector is refused", () => {
    const claim = newClaim({ annotated: true });
    claim.spec.selector = { matchLabels: { a: "b" } };
    expect(planClaim(state({ claim })).steps.at(-1)).toEqual(failed(claim, "claim Selector is not supported"));
  });
});

describe("provision: restore from a VolumeSnapshot", () => {
  const claim = newClaim({ annotated: true, dataSource: SNAP_SOURCE });

  it("protects the snapshot, then restores from the content's handle", () => {
    const snapshot = newSnapshot();
    const plan = planClaim(state({ claim, snapshot, content: newContent() }));
    expect(plan.steps).toEqual([announced(claim)]);
    expect(plan.protect).toEqual({ resource: "volumesnapshots", object: { ...snapshot, metadata: { ...snapshot.metadata, finalizers: [FINALIZER.snapshotSource] } }, finalizer: FINALIZER.snapshotSource });
    expect(plan.call).toMatchObject({ request: { name: "pvc-uid-1", source: { snapshotId: "snap-handle" } }, expectSource: true });
  });

  it("dataSourceRef works the same; a snapshot already protected is not written", () => {
    const ref = newClaim({ annotated: true, dataSourceRef: SNAP_SOURCE });
    const plan = planClaim(state({ claim: ref, snapshot: newSnapshot({ finalizers: [FINALIZER.snapshotSource] }), content: newContent() }));
    expect(plan.steps).toEqual([announced(ref)]);
    expect(plan.protect).toBeUndefined();
    expect(plan.call).toMatchObject({ request: { source: { snapshotId: "snap-handle" } } });
  });

  it("a snapshot being deleted may still be restored by a restore that protected it", () => {
    const plan = planClaim(state({ claim, snapshot: newSnapshot({ deleting: true, finalizers: [FINALIZER.snapshotSource] }), content: newContent() }));
    expect(plan.call).toBeDefined();
  });

  // Upstream adds the protection right after the source checks, before it resolves the class's
  // secrets and parameters: a claim that fails there still protects its source.
  it.each<[string, Record<string, string>, string]>([
    ["half a secret pair", { "csi.storage.k8s.io/provisioner-secret-name": "x" }, "failed to get name and namespace template from params: either name and namespace for Provisioner secrets specified, Both must be specified"],
    ["an unknown reserved key", { "csi.storage.k8s.io/bogus": "x" }, 'failed to strip CSI Parameters of prefixed keys: found unknown parameter key "csi.storage.k8s.io/bogus" with reserved namespace csi.storage.k8s.io/'],
  ])("a restore failing on the class (%s) has protected the snapshot first", (_, parameters, message) => {
    const snapshot = newSnapshot();
    const plan = planClaim(state({ claim, snapshot, content: newContent(), classes: [newClass("standard", { parameters })] }));
    expect(plan.steps).toEqual([provisioningEvent(claim), failed(claim, message)]);
    expect(plan.call).toBeUndefined();
    expect(plan.protect).toEqual({ resource: "volumesnapshots", object: { ...snapshot, metadata: { ...snapshot.metadata, finalizers: [FINALIZER.snapshotSource] } }, finalizer: FINALIZER.snapshotSource });
  });

  it("a restore to another volume mode is allowed by the content's annotation", () => {
    const block = newClaim({ annotated: true, dataSource: SNAP_SOURCE, volumeMode: "Block" });
    const plan = planClaim(state({ claim: block, snapshot: newSnapshot(), content: newContent({ annotations: { [ANN.allowVolumeModeChange]: "true" } }) }));
    expect(plan.call).toBeDefined();
  });

  const handleError = (err: string) => `error getting handle for DataSource Type VolumeSnapshot by Name snap-1: ${err}`;
  it.each<[string, Partial<ClaimState>, string, "poll" | "error", ClaimOptions?]>([
    ["snapshot missing", { snapshot: undefined, content: undefined }, 'error getting snapshot snap-1 from api server: volumesnapshots.snapshot.storage.k8s.io "snap-1" not found', "error"],
    ["snapshot being deleted", { snapshot: newSnapshot({ deleting: true }), content: newContent() }, "snapshot snap-1 is being deleted", "error"],
    ["snapshot not bound yet", { snapshot: newSnapshot({ bound: false }), content: undefined }, "snapshot snap-1 not bound", "poll"],
    ["content missing", { snapshot: newSnapshot(), content: undefined }, "error getting snapshotcontent snapcontent-snapuid for snapshot snap-1", "poll"],
    ["content bound to another snapshot", { snapshot: newSnapshot(), content: newContent({ snapshotUid: "other" }) }, "snapshotcontent snapcontent-snapuid for snapshot snap-1 is bound to a different snapshot", "error"],
    ["content of another driver", { snapshot: newSnapshot(), content: newContent({ driver: "other.csi" }) }, "snapshotcontent snapcontent-snapuid for snapshot snap-1 is not handled by CSI driver of StorageClass standard", "error"],
    ["snapshot not ready", { snapshot: newSnapshot({ ready: false }), content: newContent() }, "snapshot snap-1 is not Ready", "poll"],
    ["no snapshot handle yet", { snapshot: newSnapshot(), content: newContent({ handle: null }) }, "snapshot handle snap-1 is not available", "poll"],
    ["request below restoreSize", { snapshot: newSnapshot({ restoreSize: "2Gi" }), content: newContent() }, "requested volume size 1073741824 is less than the size 2147483648 for the source snapshot snap-1", "error"],
    [
      "volume mode change without the annotation",
      { snapshot: newSnapshot(), content: newContent() },
      "requested volume default/claim-1 modifies the mode of the source volume but does not have permission to do so. snapshot.storage.kubernetes.io/allow-volume-mode-change annotation is not present on snapshotcontent snapcontent-snapuid",
      "error",
      { volumeMode: "Block" },
    ],
    [
      "volume mode change refused by the annotation",
      { snapshot: newSnapshot(), content: newContent({ annotations: { [ANN.allowVolumeModeChange]: "false" } }) },
      "requested volume default/claim-1 modifies the mode of the source volume but does not have permission to do so. snapshot.storage.kubernetes.io/allow-volume-mode-change is set to false on snapshotcontent snapcontent-snapuid",
      "error",
      { volumeMode: "Block" },
    ],
    [
      "volume mode change with a malformed annotation",
      { snapshot: newSnapshot(), content: newContent({ annotations: { [ANN.allowVolumeModeChange]: "maybe" } }) },
      'requested volume default/claim-1 modifies the mode of the source volume but does not have permission to do so. failed to convert snapshot.storage.kubernetes.io/allow-volume-mode-change annotation value to boolean with error: strconv.ParseBool: parsing "maybe": invalid syntax',
      "error",
      { volumeMode: "Block" },
    ],
  ])("%s → ProvisioningFailed, nothing protected, no CreateVolume", (_, partial, err, kind, claimOptions) => {
    const c = newClaim({ annotated: true, dataSource: SNAP_SOURCE, ...claimOptions });
    const plan = planClaim(state({ claim: c, ...partial, nowMs: Date.parse(T0) + 1_000 }));
    expect(plan.call).toBeUndefined();
    expect(plan.protect).toBeUndefined();
    expect(plan.steps).toEqual([provisioningEvent(c), failed(c, handleError(err))]);
    // A claim 1 s old: waiting for readiness looks again after 0.5 s, a refusal backs off from 1 s.
    expect(plan.verdict).toEqual({ kind: "requeue", afterMs: kind === "poll" ? 500 : 1_000, reason: handleError(err) });
  });

  it("a claim without a storage request, restoring a snapshot with a restoreSize → upstream's capacity error", () => {
    const c = newClaim({ annotated: true, dataSource: SNAP_SOURCE });
    delete c.spec.resources;
    const plan = planClaim(state({ claim: c, snapshot: newSnapshot(), content: newContent() }));
    const message = handleError("error getting capacity for PVC claim-1 when creating snapshot snap-1");
    expect(plan.steps).toEqual([provisioningEvent(c), failed(c, message)]);
    expect(plan.call).toBeUndefined();
    expect(plan.protect).toBeUndefined();
  });

  it("wrong apiGroup for a VolumeSnapshot source", () => {
    const c = newClaim({ annotated: true, dataSource: { apiGroup: "example.com", kind: "VolumeSnapshot", name: "snap-1" } });
    expect(planClaim(state({ claim: c })).steps.at(-1)).toEqual(failed(c, "the PVC source does not belong to the right APIGroup. Expected snapshot.storage.k8s.io, Got example.com"));
  });
});

describe("provision: clone of a PVC", () => {
  const claim = newClaim({ annotated: true, dataSource: CLAIM_SOURCE });

  it("protects the source claim, then clones its volume", () => {
    const src = boundSource();
    const plan = planClaim(state({ claim, ...src }));
    expect(plan.steps).toEqual([announced(claim)]);
    expect(plan.protect).toEqual({ resource: "persistentvolumeclaims", object: { ...src.sourceClaim, metadata: { ...src.sourceClaim.metadata, finalizers: [FINALIZER.cloneSource] } }, finalizer: FINALIZER.cloneSource });
    expect(plan.call).toMatchObject({ request: { source: { volumeId: "vol-src" } }, expectSource: true });
  });

  // getPVCSource reads spec.storageClassName of both claims, nothing else: not the legacy
  // annotation (which the DefaultStorageClass admission leaves alone) nor the source PV's class.
  const legacy = (c: PersistentVolumeClaim) => ({ ...c, metadata: { ...c.metadata, annotations: { ...c.metadata.annotations, [ANN.betaStorageClass]: "standard" } } });
  it.each<[string, () => Partial<ClaimState>, string]>([
    ["a source without storageClassName (its PV names one)", () => boundSource({ className: null }), "the source PVC (src) storageclass cannot be empty"],
    [
      "a source naming its class by the legacy annotation only",
      () => {
        const src = boundSource({ className: null });
        return { ...src, sourceClaim: legacy(src.sourceClaim) };
      },
      "the source PVC (src) storageclass cannot be empty",
    ],
    ["a clone naming its class by the legacy annotation only", () => ({ claim: legacy(newClaim({ annotated: true, className: null, dataSource: CLAIM_SOURCE })), ...boundSource() }), "the requested PVC (claim-1) storageclass cannot be empty"],
  ])("%s → ProvisioningFailed", (_, partial, err) => {
    const s = state({ claim, ...partial() });
    const plan = planClaim(s);
    expect(plan.steps).toEqual([provisioningEvent(s.claim), failed(s.claim, `error getting handle for DataSource Type PersistentVolumeClaim by Name src: ${err}`)]);
    expect(plan.call).toBeUndefined();
  });

  it("the size rule compares with the source's request only: a source whose capacity exceeds it is the driver's to judge", () => {
    const plan = planClaim(state({ claim, ...grownSource() }));
    expect(plan.steps).toEqual([announced(claim)]);
    expect(plan.call).toMatchObject({ request: { requiredBytes: GiB, source: { volumeId: "vol-src" } }, requiredBytes: GiB });
  });

  it("a source in another StorageClass of the same driver is cloned: only the driver must match", () => {
    const plan = planClaim(state({ claim, ...boundSource({ className: "gold" }) }));
    expect(plan.steps).toEqual([announced(claim)]);
    expect(plan.call).toMatchObject({ request: { source: { volumeId: "vol-src" } }, pv: { spec: { storageClassName: "standard" } } });
  });

  const handleError = (err: string) => `error getting handle for DataSource Type PersistentVolumeClaim by Name src: ${err}`;
  it.each<[string, Partial<ClaimState>, string, ClaimOptions?]>([
    ["source missing", { sourceClaim: undefined, sourceVolume: undefined }, 'error getting PVC src (namespace "default") from api server: persistentvolumeclaim "src" not found'],
    // Upstream prints the whole status struct with Go's %v (field values only, nil maps as map[]).
    ["source not bound", boundSource({ phase: "Pending" }), "the PVC DataSource src must have a status of Bound.  Got {Pending [] map[] [] map[] map[] <nil> <nil>}"],
    ["source lost", lostSource(), "the PVC DataSource src must have a status of Bound.  Got {Lost [ReadWriteOnce ReadOnlyMany] map[] [] map[] map[] <nil> <nil>}"],
    ["source being deleted", boundSource({ deleting: true }), "the PVC DataSource src is currently being deleted"],
    ["request below the source", boundSource({ storage: "2Gi" }), "error, new PVC request must be greater than or equal in size to the specified PVC data source, requested 1073741824 but source is 2147483648"],
    ["source volume of another driver", boundSource({ driver: "other.csi" }), "claim in dataSource not bound or invalid"],
    ["source volume released", boundSource({ pvPhase: "Released" }), "claim in dataSource not bound or invalid"],
    ["Block source, Filesystem clone", boundSource({ mode: "Block" }), "the source PVC and destination PVCs must have the same volume mode for cloning.  Source is Block, but new PVC requested Filesystem"],
    ["Filesystem source, Block clone", boundSource(), "the source PVC and destination PVCs must have the same volume mode for cloning.  Source is Filesystem, but new PVC requested Block", { volumeMode: "Block" }],
  ])("%s → ProvisioningFailed, nothing protected, no CreateVolume", (_, partial, err, claimOptions) => {
    const c = newClaim({ annotated: true, dataSource: CLAIM_SOURCE, ...claimOptions });
    const plan = planClaim(state({ claim: c, ...partial }));
    expect(plan.call).toBeUndefined();
    expect(plan.protect).toBeUndefined();
    expect(plan.steps).toEqual([provisioningEvent(c), failed(c, handleError(err))]);
    expect(plan.verdict.kind).toBe("requeue");
  });

  it("a source in another namespace (dataSourceRef) is refused", () => {
    const c = newClaim({ annotated: true, dataSourceRef: { kind: "PersistentVolumeClaim", name: "src", namespace: "other" } });
    const plan = planClaim(state({ claim: c, ...boundSource() }));
    expect(plan.steps.at(-1)).toEqual(failed(c, "dataSourceRef namespace specified but the CrossNamespaceVolumeDataSource feature is disabled"));
    expect(plan.call).toBeUndefined();
  });
});

describe("provision: after CreateVolume", () => {
  const claim = newClaim({ annotated: true });
  const call = planClaim(state({ claim })).call as CreateVolumeCall;
  const volume: VolumeInfo = { volumeId: "vol-9", capacityBytes: GiB, volumeContext: { hostPath: "/data/vol-9" } };

  it("creates the PV pre-bound to the claim, with the volume context as attributes", () => {
    const plan = afterCreateVolume(claim, call, { ok: true, value: volume }, NOW);
    const create = plan.steps[0]!;
    // A failed PV write records no Event: the provisioner library's save queue only logs and retries it.
    expect(create).toEqual({ op: "create", resource: "persistentvolumes", object: expect.anything(), alreadyExistsOk: true });
    const pv = (create as unknown as { object: PersistentVolume }).object;
    expect(pv.spec.capacity).toEqual({ storage: "1Gi" });
    expect(pv.spec.csi).toEqual({ driver: DRIVER, volumeHandle: "vol-9", volumeAttributes: { "storage.kubernetes.io/csiProvisionerIdentity": `snapflow-${DRIVER}`, hostPath: "/data/vol-9" } });
    expect(plan.steps[1]).toEqual(event(claim, "Normal", "ProvisioningSucceeded", "Successfully provisioned volume pvc-uid-1"));
    expect(plan.verdict).toEqual({ kind: "done" });
  });

  // Upstream's Provision takes the restore protection off the snapshot as soon as the volume exists
  // (spec.dataSource only, whoever else restores from it; a failure there does not fail the claim).
  it.each<[string, ClaimOptions, CallResult<VolumeInfo>, ProvisionPlan["dropFinalizer"]]>([
    ["a restore via dataSource: released", { dataSource: SNAP_SOURCE }, { ok: true, value: { ...volume, source: { snapshotId: "snap-handle" } } }, { resource: "volumesnapshots", namespace: "default", name: "snap-1", finalizer: FINALIZER.snapshotSource, bestEffort: true }],
    ["a restore via dataSourceRef only: left to the release check", { dataSourceRef: SNAP_SOURCE }, { ok: true, value: { ...volume, source: { snapshotId: "snap-handle" } } }, undefined],
    ["a failed restore: kept", { dataSource: SNAP_SOURCE }, { ok: false, failure: { code: "INTERNAL", message: "boom" } }, undefined],
    ["a clone: no snapshot to release", { dataSource: CLAIM_SOURCE }, { ok: true, value: { ...volume, source: { volumeId: "vol-src" } } }, undefined],
  ])("snapshot protection after CreateVolume: %s", (_, claimOptions, result, drop) => {
    const c = newClaim({ annotated: true, ...claimOptions });
    const plan = afterCreateVolume(c, { ...call, expectSource: true }, result, NOW);
    expect(plan.dropFinalizer).toEqual(drop);
  });

  it("capacity 0 (unknown) is recorded as the requested size", () => {
    const plan = afterCreateVolume(claim, call, { ok: true, value: { ...volume, capacityBytes: 0 } }, NOW);
    expect((plan.steps[0] as unknown as { object: PersistentVolume }).object.spec.capacity).toEqual({ storage: "1Gi" });
  });

  it("a failed call → ProvisioningFailed with the gRPC error text, retried", () => {
    const plan = afterCreateVolume(claim, call, { ok: false, failure: { code: "RESOURCE_EXHAUSTED", message: "disk full" } }, NOW);
    expect(plan.steps).toEqual([failed(claim, "rpc error: code = ResourceExhausted desc = disk full")]);
    expect(plan.verdict).toMatchObject({ kind: "requeue", reason: "rpc error: code = ResourceExhausted desc = disk full" });
  });

  // The provisioner library marks an InvalidArgument answer infeasible: its own Event text, and
  // no new attempt before the maximum retry interval (5 min) has passed.
  it.each<[string, CallResult<VolumeInfo>, string, number]>([
    ["INVALID_ARGUMENT: infeasible, retried after 5 min", { ok: false, failure: { code: "INVALID_ARGUMENT", message: "bad size" } }, "Volume provisioning failed with infeasible error. Retries will be delayed. rpc error: code = InvalidArgument desc = bad size", 300_000],
    ["OUT_OF_RANGE: an ordinary failure", { ok: false, failure: { code: "OUT_OF_RANGE", message: "too big" } }, "rpc error: code = OutOfRange desc = too big", 5_000],
    ["INVALID_ARGUMENT that never reached the driver: an ordinary failure", { ok: false, failure: { code: "INVALID_ARGUMENT", message: "gateway refused", origin: "gateway" } }, "rpc error: code = InvalidArgument desc = gateway refused", 5_000],
  ])("a failed call, %s", (_, result, message, afterMs) => {
    const plan = afterCreateVolume(claim, call, result, NOW);
    expect(plan.steps).toEqual([failed(claim, message)]);
    expect(plan.verdict).toEqual({ kind: "requeue", afterMs, reason: message });
    expect(plan.call).toBeUndefined();
  });

  it.each<[string, VolumeInfo, CreateVolumeCall, string]>([
    ["a smaller volume than asked", { ...volume, capacityBytes: 1024 }, call, `created volume capacity 1024 less than requested capacity ${GiB}`],
    ["a restore the driver did not report as one", volume, { ...call, expectSource: true }, "volume content source missing"],
  ])("%s → the volume is deleted again and the claim retried", (_, info, c, message) => {
    const plan = afterCreateVolume(claim, c, { ok: true, value: info }, NOW);
    expect(plan.steps).toEqual([failed(claim, message)]);
    expect(plan.call).toEqual({ kind: "deleteVolume", driver: DRIVER, volumeId: "vol-9" });
    expect(plan.verdict.kind).toBe("requeue");
  });

  // The provisioner deletes the unwanted volume (up to 5 tries) before it reports; when that fails
  // too, the report says the volume is orphaned (with each check's own capitalisation).
  it.each<[string, VolumeInfo, CreateVolumeCall, CallResult<void>, string]>([
    ["a smaller volume, cleaned up", { ...volume, capacityBytes: 1024 }, call, { ok: true, value: undefined }, `created volume capacity 1024 less than requested capacity ${GiB}`],
    [
      "a smaller volume, cleanup failed",
      { ...volume, capacityBytes: 1024 },
      call,
      { ok: false, failure: { code: "INTERNAL", message: "stuck" } },
      `created volume capacity 1024 less than requested capacity ${GiB}. Cleanup of volume pvc-uid-1 failed, volume is orphaned: rpc error: code = Internal desc = stuck`,
    ],
    [
      "no content source, cleanup failed",
      volume,
      { ...call, expectSource: true },
      { ok: false, failure: { code: "INTERNAL", message: "stuck" } },
      "volume content source missing. cleanup of volume pvc-uid-1 failed, volume is orphaned: rpc error: code = Internal desc = stuck",
    ],
  ])("%s → reported after the cleanup", (_, info, c, cleanup, message) => {
    const plan = afterCleanup(afterCreateVolume(claim, c, { ok: true, value: info }, NOW), cleanup);
    expect(plan.steps).toEqual([failed(claim, message)]);
    expect(plan.verdict).toMatchObject({ kind: "requeue", reason: message });
    expect(plan.call).toBeUndefined();
  });
});

describe("provision: source protection release", () => {
  const restoring = (name: string, phase: "Pending" | "Bound") => newClaim({ name, uid: `u-${name}`, phase, dataSource: SNAP_SOURCE });
  const cloning = (name: string, phase: "Pending" | "Bound") => newClaim({ name, uid: `u-${name}`, phase, dataSource: CLAIM_SOURCE });

  it("keeps the snapshot protected while a restore is pending, releases it after", () => {
    const vs = newSnapshot({ finalizers: ["other", FINALIZER.snapshotSource] });
    expect(planSnapshotRelease(vs, [restoring("a", "Bound"), restoring("b", "Pending")])).toEqual({ steps: [], verdict: { kind: "nothing", why: "claim b is still being restored from it" } });
    expect(planSnapshotRelease(vs, [restoring("a", "Bound")]).steps).toEqual([
      { op: "update", resource: "volumesnapshots", object: { ...vs, metadata: { ...vs.metadata, finalizers: ["other"] } } },
    ]);
    expect(planSnapshotRelease(newSnapshot(), []).steps).toEqual([]);
  });

  // Upstream's CloningProtectionController only looks at source claims being deleted: the
  // protection stays on a live source after its clones are done.
  const live = newClaim({ name: "src", phase: "Bound", volumeName: "pv-src", finalizers: [FINALIZER.cloneSource] });
  const deleting = newClaim({ name: "src", phase: "Bound", volumeName: "pv-src", finalizers: [FINALIZER.cloneSource], deleting: true });
  it.each<[string, PersistentVolumeClaim, PersistentVolumeClaim[], Step[], string?]>([
    ["a live source, clone pending: kept", live, [cloning("c", "Pending")], [], "claim is not being deleted: the clone protection stays until it is"],
    ["a live source, clone done: kept", live, [cloning("c", "Bound")], [], "claim is not being deleted: the clone protection stays until it is"],
    ["a live source, no clone at all: kept", live, [], [], "claim is not being deleted: the clone protection stays until it is"],
    ["a deleting source, clone pending: kept", deleting, [deleting, cloning("c", "Pending")], [], "claim c is in 'Pending' state, cloning in progress"],
    [
      "a deleting source, clone done: released",
      deleting,
      [deleting, cloning("c", "Bound")],
      [{ op: "update", resource: "persistentvolumeclaims", object: { ...deleting, metadata: { ...deleting.metadata, finalizers: [] } } }],
    ],
  ])("clone protection: %s", (_, src, claims, steps, why) => {
    const plan = planCloneRelease(src, claims);
    expect(plan.steps).toEqual(steps);
    expect(plan.verdict).toEqual(why ? { kind: "nothing", why } : { kind: "done" });
  });
});

describe("provision: released volumes", () => {
  const pv = (o: { policy?: "Delete" | "Retain"; phase?: "Bound" | "Released"; by?: string; secret?: boolean; finalizers?: string[]; deleting?: boolean } = {}): PersistentVolume => ({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: {
      name: "pvc-uid-1",
      uid: "pv-uid",
      creationTimestamp: T0,
      ...(o.finalizers ? { finalizers: o.finalizers } : {}),
      ...(o.deleting ? { deletionTimestamp: T0 } : {}),
      annotations: {
        ...(o.by === "" ? {} : { [ANN.provisionedBy]: o.by ?? DRIVER }),
        [ANN.deletionSecretName]: o.secret ? "key" : "",
        [ANN.deletionSecretNamespace]: o.secret ? "default" : "",
      },
    },
    spec: { persistentVolumeReclaimPolicy: o.policy ?? "Delete", csi: { driver: DRIVER, volumeHandle: "vol-9" } },
    status: { phase: o.phase ?? "Released" },
  });

  it("Released + Delete → DeleteVolume (with the recorded secret), then the PV object goes", () => {
    expect(planVolume(pv(), true, NOW)).toEqual({ steps: [], verdict: { kind: "done" }, call: { kind: "deleteVolume", driver: DRIVER, volumeId: "vol-9" } });
    expect(planVolume(pv({ secret: true }), true, NOW).call).toMatchObject({ secretRef: { name: "key", namespace: "default" } });
    expect(afterDeleteVolume(pv(), { ok: true, value: undefined }, NOW).steps).toEqual([{ op: "delete", resource: "persistentvolumes", name: "pvc-uid-1", uid: "pv-uid" }]);
  });

  // The provisioner library's PV finalizer (AddFinalizer is on in csi-provisioner): put on a bound
  // PV with reclaimPolicy Delete, taken off when the policy is Retain, and it lets a PV deleted
  // while Released still have its volume deleted first.
  const F = "external-provisioner.volume.kubernetes.io/finalizer";
  it.each<[string, PersistentVolume, Step[], ProvisionPlan["call"]?]>([
    ["Bound + Delete without the finalizer → added", pv({ phase: "Bound" }), [{ op: "update", resource: "persistentvolumes", object: pv({ phase: "Bound", finalizers: [F] }) }]],
    ["Bound + Delete with the finalizer → nothing", pv({ phase: "Bound", finalizers: [F] }), []],
    ["Bound + Delete, being deleted, without the finalizer → nothing added", pv({ phase: "Bound", deleting: true }), []],
    ["Bound + Retain with the finalizer → removed", pv({ phase: "Bound", policy: "Retain", finalizers: ["other", F] }), [{ op: "update", resource: "persistentvolumes", object: pv({ phase: "Bound", policy: "Retain", finalizers: ["other"] }) }]],
    ["Released + Retain with the finalizer → removed", pv({ policy: "Retain", finalizers: [F] }), [{ op: "update", resource: "persistentvolumes", object: pv({ policy: "Retain", finalizers: [] }) }]],
    ["Released + Delete, being deleted, with the finalizer → DeleteVolume", pv({ finalizers: [F], deleting: true }), [], { kind: "deleteVolume", driver: DRIVER, volumeId: "vol-9" }],
    ["Released + Delete, being deleted, without the finalizer → nothing (the volume went already)", pv({ deleting: true }), []],
  ])("PV finalizer: %s", (_, volume, steps, call) => {
    const plan = planVolume(volume, true, NOW);
    expect(plan.steps).toEqual(steps);
    expect(plan.call).toEqual(call);
  });

  it("after DeleteVolume the PV is deleted and then its finalizer dropped", () => {
    const plan = afterDeleteVolume(pv({ finalizers: [F] }), { ok: true, value: undefined }, NOW);
    expect(plan.steps).toEqual([{ op: "delete", resource: "persistentvolumes", name: "pvc-uid-1", uid: "pv-uid" }]);
    expect(plan.dropFinalizer).toEqual({ resource: "persistentvolumes", name: "pvc-uid-1", uid: "pv-uid", finalizer: F });
  });

  it.each<[string, PersistentVolume, boolean]>([
    ["Retain", pv({ policy: "Retain" }), true],
    ["still Bound", pv({ phase: "Bound", finalizers: [F] }), true],
    ["still Bound, without the finalizer, on a driver this gateway does not serve", pv({ phase: "Bound" }), false],
    ["not provisioned by a CSI provisioner", pv({ by: "" }), true],
    ["provisioned by another provisioner", pv({ by: "other.csi" }), true],
    ["a driver this gateway does not serve", pv(), false],
  ])("%s → kept", (_, volume, served) => {
    const plan = planVolume(volume, served, NOW);
    expect(plan.call).toBeUndefined();
    expect(plan.steps).toEqual([]);
  });

  it("a failed DeleteVolume → VolumeFailedDelete on the PV, retried, the PV stays", () => {
    const plan = afterDeleteVolume(pv(), { ok: false, failure: { code: "FAILED_PRECONDITION", message: "in use" } }, NOW);
    expect(plan.steps).toEqual([event(pv(), "Warning", "VolumeFailedDelete", "rpc error: code = FailedPrecondition desc = in use")]);
    expect(plan.verdict.kind).toBe("requeue");
  });
});

// external-provisioner's Delete (pkg/controller/controller.go, handleSecretsForDeletion and
// getSecretsFromSC): a PV carrying both deletion-secret annotations deletes with them; one without
// takes the provisioner secret from the StorageClass the PV names, templated with the PV name and
// the claimRef's name and namespace only (no claim annotations at delete time).
describe("provision: deletion secret of a released volume", () => {
  const CLASS = "gold";
  const cls = (parameters: Record<string, string>, name = CLASS): StorageClass => ({
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name },
    provisioner: DRIVER,
    parameters,
  });
  const pv = (o: { annotations?: Record<string, string>; className?: string | null; claimRef?: boolean } = {}): PersistentVolume => ({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: "pvc-uid-1", uid: "pv-uid", creationTimestamp: T0, annotations: { [ANN.provisionedBy]: DRIVER, ...o.annotations } },
    spec: {
      persistentVolumeReclaimPolicy: "Delete",
      csi: { driver: DRIVER, volumeHandle: "vol-9" },
      ...(o.className === null ? {} : { storageClassName: o.className ?? CLASS }),
      ...(o.claimRef === false ? {} : { claimRef: { kind: "PersistentVolumeClaim", namespace: "team-a", name: "claim-1", uid: "claim-uid" } }),
    },
    status: { phase: "Released" },
  });
  const recorded = { [ANN.deletionSecretName]: "key", [ANN.deletionSecretNamespace]: "default" };
  const provisionerKeys = (name: string, namespace: string) => ({
    "csi.storage.k8s.io/provisioner-secret-name": name,
    "csi.storage.k8s.io/provisioner-secret-namespace": namespace,
  });
  const deleteCall = (secretRef?: { name: string; namespace: string }) => ({ kind: "deleteVolume", driver: DRIVER, volumeId: "vol-9", ...(secretRef ? { secretRef } : {}) });

  it.each<[string, PersistentVolume, StorageClass | undefined, ReturnType<typeof deleteCall>]>([
    ["both annotations → those, the class is not consulted", pv({ annotations: recorded }), cls(provisionerKeys("other", "other")), deleteCall({ name: "key", namespace: "default" })],
    ["both annotations empty → no secret, the class is not consulted", pv({ annotations: { [ANN.deletionSecretName]: "", [ANN.deletionSecretNamespace]: "" } }), cls(provisionerKeys("other", "other")), deleteCall()],
    ["annotations with one value empty → no secret", pv({ annotations: { [ANN.deletionSecretName]: "key", [ANN.deletionSecretNamespace]: "" } }), cls(provisionerKeys("other", "other")), deleteCall()],
    ["no annotations → the class's provisioner secret", pv(), cls(provisionerKeys("key", "vault")), deleteCall({ name: "key", namespace: "vault" })],
    [
      "no annotations → the class's templates, resolved with the PV name and the claimRef",
      pv(),
      cls(provisionerKeys("${pvc.name}-${pvc.namespace}-${pv.name}", "${pvc.namespace}")),
      deleteCall({ name: "claim-1-team-a-pvc-uid-1", namespace: "team-a" }),
    ],
    ["only the name annotation → the class (upstream needs both annotations present)", pv({ annotations: { [ANN.deletionSecretName]: "key" } }), cls(provisionerKeys("key2", "vault")), deleteCall({ name: "key2", namespace: "vault" })],
    ["no annotations, the class's default secret pair", pv(), cls({ "csi.storage.k8s.io/secret-name": "all", "csi.storage.k8s.io/secret-namespace": "vault" }), deleteCall({ name: "all", namespace: "vault" })],
    ["no annotations, the class's deprecated provisioner keys", pv(), cls({ csiProvisionerSecretName: "old", csiProvisionerSecretNamespace: "vault" }), deleteCall({ name: "old", namespace: "vault" })],
    ["no annotations, the class names no secret → none", pv(), cls({ type: "ssd" }), deleteCall()],
    ["no annotations, the class is gone → DeleteVolume without secrets", pv(), undefined, deleteCall()],
    ["no annotations, the PV names no class → no secret", pv({ className: null }), undefined, deleteCall()],
    ["no annotations, no claimRef → no secret (upstream deletes without)", pv({ claimRef: false }), cls(provisionerKeys("${pvc.name}", "vault")), deleteCall()],
    [
      "the beta class annotation on the PV wins over spec.storageClassName",
      pv({ annotations: { [ANN.betaStorageClass]: "silver" } }),
      cls(provisionerKeys("silver-key", "vault"), "silver"),
      deleteCall({ name: "silver-key", namespace: "vault" }),
    ],
  ])("%s", (_, volume, found, call) => {
    const plan = planVolume(volume, true, NOW, found);
    expect(plan.steps).toEqual([]);
    expect(plan.verdict).toEqual({ kind: "done" });
    expect(plan.call).toEqual(call);
  });

  it.each<[string, StorageClass, string]>([
    [
      "a claim annotation template (no claim annotations at delete time)",
      cls(provisionerKeys("${pvc.annotations['team/key']}", "vault")),
      `failed to get secretreference for volume pvc-uid-1: error resolving value "\${pvc.annotations['team/key']}": invalid tokens: ["pvc.annotations['team/key']"]`,
    ],
    ["an invalid secret name", cls(provisionerKeys("Bad_Name", "vault")), `failed to get secretreference for volume pvc-uid-1: "Bad_Name" is not a valid secret name`],
    [
      "a namespace template resolving to an invalid name",
      cls(provisionerKeys("key", "${pv.name}.x")),
      `failed to get secretreference for volume pvc-uid-1: "\${pv.name}.x" resolved to "pvc-uid-1.x" which is not a valid namespace name`,
    ],
    [
      "a name without a namespace",
      cls({ "csi.storage.k8s.io/provisioner-secret-name": "key" }),
      "failed to get secretreference for volume pvc-uid-1: failed to get name and namespace template from params: either name and namespace for Provisioner secrets specified, Both must be specified",
    ],
  ])("no annotations, %s → VolumeFailedDelete with upstream's text, retried, no DeleteVolume", (_, found, message) => {
    const plan = planVolume(pv(), true, NOW, found);
    expect(plan.call).toBeUndefined();
    expect(plan.steps).toEqual([event(pv(), "Warning", "VolumeFailedDelete", message)]);
    expect(plan.verdict).toMatchObject({ kind: "requeue", reason: message });
  });

  it.each<[string, PersistentVolume, string | undefined]>([
    ["both annotations", pv({ annotations: recorded }), undefined],
    ["no annotations", pv(), CLASS],
    ["only one annotation", pv({ annotations: { [ANN.deletionSecretNamespace]: "default" } }), CLASS],
    ["the beta class annotation", pv({ annotations: { [ANN.betaStorageClass]: "silver" } }), "silver"],
    ["an empty beta class annotation (it still wins)", pv({ annotations: { [ANN.betaStorageClass]: "" } }), undefined],
    ["no class", pv({ className: null }), undefined],
  ])("the class to read for the deletion secret: %s", (_, volume, name) => {
    expect(deletionSecretClassName(volume)).toBe(name);
  });
});

describe("provision: a claim deleted while its CreateVolume's outcome was unknown (upstream #486)", () => {
  // The claim's last state, as the watcher's "deleted" event carries it (pvc-protection had held it).
  const gone = (o: ClaimOptions = {}) => newClaim({ annotated: true, deleting: true, finalizers: ["kubernetes.io/pvc-protection"], ...o });
  const deleted = (partial: Partial<DeletedClaimState> = {}): DeletedClaimState => ({ ...state({ claim: gone() }), provisioningRecorded: true, ...partial });
  const SECRETS = { "csi.storage.k8s.io/provisioner-secret-name": "${pvc.name}-key", "csi.storage.k8s.io/provisioner-secret-namespace": "${pvc.namespace}" };
  const retry = { kind: "requeue", afterMs: expect.any(Number), reason: expect.any(String) };

  it("a Provisioning Event on its uid: the same CreateVolume as its sync sent (name, parameters, capacity, capabilities, secret), nothing written", () => {
    const cls = newClass("standard", { parameters: { speed: "fast", ...SECRETS }, mountOptions: ["noatime"] });
    const s = deleted({ classes: [cls] });
    const plan = planDeletedClaim(s);
    // What the live claim's sync would have sent.
    const live = planClaim(state({ claim: newClaim({ annotated: true }), classes: [cls] }));
    expect(plan.steps).toEqual([]);
    expect(plan.verdict).toEqual({ kind: "done" });
    expect(plan.call).toEqual(live.call);
    expect((plan.call as CreateVolumeCall).request).toEqual({
      name: "pvc-uid-1",
      requiredBytes: GiB,
      capabilities: [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Filesystem", mountFlags: ["noatime"] }],
      parameters: { speed: "fast" },
      secretRef: { name: "claim-1-key", namespace: "default" },
    });
  });

  it("a restore: the same content source (the snapshot's handle)", () => {
    const plan = planDeletedClaim(deleted({ claim: gone({ dataSource: SNAP_SOURCE }), snapshot: newSnapshot({ finalizers: [FINALIZER.snapshotSource] }), content: newContent() }));
    expect((plan.call as CreateVolumeCall).request.source).toEqual({ snapshotId: "snap-handle" });
    expect(plan.protect).toBeUndefined();
  });

  it("a clone: the same content source (the source claim's volume)", () => {
    const plan = planDeletedClaim(deleted({ claim: gone({ dataSource: CLAIM_SOURCE }), ...boundSource() }));
    expect((plan.call as CreateVolumeCall).request.source).toEqual({ volumeId: "vol-src" });
  });

  it("WaitForFirstConsumer whose selected node the scheduler took away: still asked (the request carries no topology)", () => {
    const plan = planDeletedClaim(deleted({ classes: [newClass("standard", { volumeBindingMode: "WaitForFirstConsumer" })] }));
    expect(plan.call?.kind).toBe("createVolume");
  });

  it.each<[string, Partial<DeletedClaimState>, string]>([
    ["deleted before any CreateVolume (no Provisioning Event)", { provisioningRecorded: false }, "claim deleted before any CreateVolume (no Provisioning Event)"],
    ["it was bound", { claim: gone({ phase: "Bound", volumeName: "pvc-uid-1" }) }, "claim was bound or named its volume"],
    ["it named its volume", { claim: gone({ volumeName: "pv-static" }) }, "claim was bound or named its volume"],
    ['storageClassName ""', { claim: gone({ className: "" }) }, 'claim asked for storageClassName "" (static binding only)'],
    ["no class named and no default", { claim: gone({ className: null }), classes: [] }, "claim names no class and there is no default StorageClass"],
    ["a driver this gateway does not serve", { capabilities: undefined }, `provisioner ${DRIVER} is not a driver this gateway serves`],
    ["the PV pvc-<uid> exists (its reclaim policy decides)", { volume: { metadata: { name: "pvc-uid-1" }, spec: {} } as PersistentVolume }, "PV pvc-uid-1 exists: its reclaim policy decides what becomes of the volume"],
    ["a refusal that depends only on the claim and its class (no CreateVolume was ever sent)", { capabilities: { ...CAPS, controller: ["CREATE_DELETE_SNAPSHOT"] } }, `no CreateVolume was ever sent for it: ${MSG.noDynamicProvisioning}`],
    ["a populator's data source", { claim: gone({ dataSourceRef: { apiGroup: "example.com", kind: "Thing", name: "t" } }) }, "no CreateVolume was ever sent for it: data source (Thing) is not handled by the provisioner, assuming an external populator will provision it"],
  ])("%s → nothing asked, nothing written", (_, partial, why) => {
    const plan = planDeletedClaim(deleted(partial));
    expect(plan.call).toBeUndefined();
    expect(plan.steps).toEqual([]);
    expect(plan.verdict).toEqual({ kind: "nothing", why });
  });

  it.each<[string, Partial<DeletedClaimState>, string]>([
    ["its class is gone (the request cannot be rebuilt)", { classes: [] }, "StorageClass standard is gone"],
    ["its snapshot is gone (the content source cannot be rebuilt)", { claim: gone({ dataSource: SNAP_SOURCE }) }, "cannot rebuild the CreateVolume request of deleted claim default/claim-1"],
    ["its source claim is gone", { claim: gone({ dataSource: CLAIM_SOURCE }) }, "cannot rebuild the CreateVolume request of deleted claim default/claim-1"],
  ])("%s → asked again later with back-off (the delivery limit dead-letters it, audited)", (_, partial, reason) => {
    const plan = planDeletedClaim(deleted(partial));
    expect(plan.call).toBeUndefined();
    expect(plan.steps).toEqual([]);
    expect(plan.verdict).toEqual({ ...retry, reason: expect.stringContaining(reason) });
  });

  const call = (): CreateVolumeCall => planDeletedClaim(deleted({ classes: [newClass("standard", { parameters: SECRETS })] })).call as CreateVolumeCall;
  const info: VolumeInfo = { volumeId: "vol-7", capacityBytes: GiB, volumeContext: {} };
  it.each<[string, CallResult<VolumeInfo>, DeleteVolumeCall | undefined, unknown]>([
    ["OK → DeleteVolume of the returned volume, with the provisioner (deletion) secret", { ok: true, value: info }, { kind: "deleteVolume", driver: DRIVER, volumeId: "vol-7", secretRef: { name: "claim-1-key", namespace: "default" } }, { kind: "done" }],
    ["a final error (InvalidArgument) → nothing was created", { ok: false, failure: { code: "INVALID_ARGUMENT", message: "bad" } }, undefined, { kind: "nothing", why: "CreateVolume answered rpc error: code = InvalidArgument desc = bad: no volume was left behind" }],
    ["ResourceExhausted (not final upstream) → asked again", { ok: false, failure: { code: "RESOURCE_EXHAUSTED", message: "full" } }, undefined, retry],
    ["AlreadyExists (a different volume of that name) → left to the administrator", { ok: false, failure: { code: "ALREADY_EXISTS", message: "other size" } }, undefined, { kind: "nothing", why: expect.stringContaining("left to the administrator") }],
    ["DeadlineExceeded (outcome unknown again) → asked again", { ok: false, failure: { code: "DEADLINE_EXCEEDED", message: "timeout" } }, undefined, retry],
    ["Unavailable → asked again", { ok: false, failure: { code: "UNAVAILABLE", message: "down" } }, undefined, retry],
    ["Aborted (an operation on it in flight) → asked again", { ok: false, failure: { code: "ABORTED", message: "busy" } }, undefined, retry],
    ["a lost connection (no code) → asked again", { ok: false, failure: { message: "socket hang up" } }, undefined, retry],
    ["the gateway could not read the secret (never reached the driver) → asked again", { ok: false, failure: { code: "NOT_FOUND", message: "secret default/claim-1-key not found", origin: "secret" } }, undefined, retry],
  ])("after the repeated CreateVolume: %s", (_, result, deleteCall, verdict) => {
    const plan = afterDeletedClaimCreate(gone(), call(), result, NOW);
    expect(plan.steps).toEqual([]);
    expect(plan.call).toEqual(deleteCall);
    expect(plan.verdict).toEqual(verdict);
  });

  it.each<[string, CallResult<void>, unknown]>([
    ["OK → done (2xx: nothing repeats it)", { ok: true, value: undefined }, { kind: "done" }],
    ["a failure → asked again (CreateVolume then finds the same volume, DeleteVolume retries)", { ok: false, failure: { code: "INTERNAL", message: "busy" } }, retry],
  ])("after DeleteVolume: %s", (_, result, verdict) => {
    const plan = afterDeletedClaimDelete(gone(), { kind: "deleteVolume", driver: DRIVER, volumeId: "vol-7" }, result, NOW);
    expect(plan.steps).toEqual([]);
    expect(plan.call).toBeUndefined();
    expect(plan.verdict).toEqual(verdict);
  });
});
