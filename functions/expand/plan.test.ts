// Table-driven tests in the style of external-resizer's controller tests: a claim, its PV and class
// → the status writes, Events, the ControllerExpandVolume request and what its answer leads to.
import { describe, expect, it } from "vitest";
import type { PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimCondition, StorageClass } from "../../shared/api/core.js";
import type { DriverCapabilities } from "../../shared/gateway/types.js";
import type { Step } from "../../shared/snapshot/steps.js";
import { ANN_NODE_EXPANSION_NOT_REQUIRED, ANN_STORAGE_RESIZER, MSG } from "./constants.js";
import { afterExpand, claimClassName, mergeResizeConditions, mayHoldPreResizeMark, planExpand, resizerFor, type ExpandCall, type ExpandState, type Resizer } from "./plan.js";

const DRIVER = "hostpath.snapflow.dev";
const COMPONENT = `external-resizer ${DRIVER}`;
const T0 = "2026-03-01T12:00:00Z";
const NOW = Date.parse(T0) + 10_000;
const NOW_ISO = "2026-03-01T12:00:10Z";
const GiB = 1024 ** 3;
const CAPS: DriverCapabilities = { driver: DRIVER, plugin: ["CONTROLLER_SERVICE"], controller: ["CREATE_DELETE_VOLUME", "EXPAND_VOLUME"], groupController: [], node: [] };
/** A driver whose controller cannot expand but whose node can: external-resizer's trivial resizer. */
const NODE_ONLY: DriverCapabilities = { ...CAPS, controller: ["CREATE_DELETE_VOLUME"], node: ["STAGE_UNSTAGE_VOLUME", "EXPAND_VOLUME"] };

function newClaim(o: { request?: string; capacity?: string; phase?: "Bound" | "Pending"; status?: Partial<NonNullable<PersistentVolumeClaim["status"]>>; annotations?: Record<string, string> } = {}): PersistentVolumeClaim {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "claim-1", namespace: "default", uid: "uid-1", resourceVersion: "9", creationTimestamp: T0, annotations: { [ANN_STORAGE_RESIZER]: DRIVER, ...o.annotations } },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: o.request ?? "2Gi" } }, storageClassName: "standard", volumeName: "pvc-uid-1", volumeMode: "Filesystem" },
    status: { phase: o.phase ?? "Bound", accessModes: ["ReadWriteOnce"], capacity: { storage: o.capacity ?? "1Gi" }, ...o.status },
  };
}

function newVolume(o: { capacity?: string; claimUid?: string; secret?: boolean } = {}): PersistentVolume {
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: "pvc-uid-1", resourceVersion: "4" },
    spec: {
      capacity: { storage: o.capacity ?? "1Gi" },
      accessModes: ["ReadWriteOnce"],
      volumeMode: "Filesystem",
      claimRef: { kind: "PersistentVolumeClaim", namespace: "default", name: "claim-1", uid: o.claimUid ?? "uid-1" },
      csi: { driver: DRIVER, volumeHandle: "vol-1", ...(o.secret ? { controllerExpandSecretRef: { name: "key", namespace: "kube-system" } } : {}) },
    },
    status: { phase: "Bound" },
  };
}

const newClass = (allow: boolean | undefined): StorageClass => ({ metadata: { name: "standard" }, provisioner: DRIVER, ...(allow === undefined ? {} : { allowVolumeExpansion: allow }) });

function state(partial: Partial<ExpandState> = {}): ExpandState {
  return { claim: newClaim(), volume: newVolume(), storageClass: newClass(true), capabilities: CAPS, nowMs: NOW, ...partial };
}

const event = (on: unknown, type: "Normal" | "Warning", reason: string, message: string): Step => ({ op: "event", on, type, reason, message, component: COMPONENT }) as Step;
const resizing: PersistentVolumeClaimCondition = { type: "Resizing", status: "True", lastTransitionTime: NOW_ISO };

describe("expand: starting a resize", () => {
  it("marks the claim Resizing with allocatedResources, records an Event and asks the driver for the new size", () => {
    const claim = newClaim();
    const plan = planExpand(state({ claim, volume: newVolume({ secret: true }) }));
    const marked = newClaim();
    marked.status = { ...marked.status, allocatedResourceStatuses: { storage: "ControllerResizeInProgress" }, conditions: [resizing], allocatedResources: { storage: "2Gi" } };
    expect(plan.steps).toEqual([
      { op: "event", on: claim, type: "Warning", reason: "ExternalExpanding", message: "waiting for an external controller to expand this PVC", component: "volume_expand" },
      { op: "updateStatus", resource: "persistentvolumeclaims", object: marked },
      event(claim, "Normal", "Resizing", "External resizer is resizing volume pvc-uid-1"),
    ]);
    expect(plan.call).toEqual({
      driver: DRIVER,
      newSize: "2Gi",
      request: {
        volumeId: "vol-1",
        requiredBytes: 2 * GiB,
        capability: { accessMode: "SINGLE_NODE_WRITER", volumeMode: "Filesystem" },
        secretRef: { name: "key", namespace: "kube-system" },
      },
    });
    expect(plan.claim).toEqual(marked);
  });

  it("leaves volume.kubernetes.io/storage-resizer alone on a CSI claim and records kube-controller-manager's ExternalExpanding Warning once per new size", () => {
    // kube-controller-manager's expand controller names a resizer only for in-tree and migrated
    // volumes; for a CSI PV no in-tree plugin matches, so it records a Warning and writes nothing.
    const claim = newClaim();
    claim.metadata.annotations = {};
    const plan = planExpand(state({ claim }));
    expect(plan.steps.filter((s) => s.op === "update")).toEqual([]);
    expect(plan.steps[0]).toEqual({
      op: "event",
      on: claim,
      type: "Warning",
      reason: "ExternalExpanding",
      message: "waiting for an external controller to expand this PVC",
      component: "volume_expand",
    });
    expect(plan.call).toBeDefined();
  });

  it("a resize left in progress resumes at its allocated size (and drops the node-expansion-not-required mark)", () => {
    const claim = newClaim({
      request: "3Gi",
      capacity: "2Gi",
      annotations: { [ANN_NODE_EXPANSION_NOT_REQUIRED]: "true" },
      status: { allocatedResources: { storage: "2Gi" }, allocatedResourceStatuses: { storage: "ControllerResizeInProgress" }, conditions: [{ ...resizing, lastTransitionTime: T0 }] },
    });
    const plan = planExpand(state({ claim, volume: newVolume({ capacity: "2Gi" }) }));
    expect(plan.steps[0]).toEqual({ op: "update", resource: "persistentvolumeclaims", object: { ...claim, metadata: { ...claim.metadata, annotations: { [ANN_STORAGE_RESIZER]: DRIVER } } } });
    expect(plan.steps.some((s) => s.op === "event" && s.reason === "ExternalExpanding")).toBe(false);
    // Status already says exactly this (the old transition time is kept): no status write.
    expect(plan.steps.filter((s) => s.op === "updateStatus")).toEqual([]);
    expect(plan.call?.newSize).toBe("2Gi");
  });

  it.each<[string, Partial<ExpandState>, string]>([
    ["request not above capacity", { claim: newClaim({ request: "1Gi" }) }, "no resize requested"],
    // Upstream's pvcNeedResize looks at request and capacity only: once a controller resize failed
    // for good, a request brought back to the capacity ends it (recovery from a failed expansion).
    [
      "request back at capacity after a final controller failure",
      {
        claim: newClaim({
          request: "1Gi",
          status: {
            allocatedResources: { storage: "5Gi" },
            allocatedResourceStatuses: { storage: "ControllerResizeInProgress" },
            conditions: [{ type: "ControllerResizeError", status: "True", message: "failed to expand pvc with rpc error: code = Internal desc = x" }],
          },
        }),
      },
      "no resize requested",
    ],
    ["claim not bound", { claim: newClaim({ phase: "Pending" }) }, "no resize requested"],
    ["PV not a CSI volume", { volume: { ...newVolume(), spec: { ...newVolume().spec, csi: undefined } } }, "PV is not a CSI volume"],
    ["driver not served by this gateway", { capabilities: undefined }, `driver ${DRIVER} is not a driver this gateway serves`],
    ["PV bound to another claim", { volume: newVolume({ claimUid: "other" }) }, "persistent volume is not bound to PVC being updated"],
  ])("%s → nothing", (_, partial, why) => {
    expect(planExpand(state(partial))).toEqual({ steps: [], verdict: { kind: "nothing", why } });
  });

  it("capacity already at the request while the controller resize is still marked in progress: the bookkeeping is finished", () => {
    // The PV was grown but the claim's status write lost a race with another writer of its
    // capacity: upstream's case "expanded, but failed to record our work" (expandAndRecover),
    // reached here without upstream's in-memory retry.
    const claim = newClaim({
      request: "2Gi",
      capacity: "2Gi",
      status: { allocatedResources: { storage: "2Gi" }, allocatedResourceStatuses: { storage: "ControllerResizeInProgress" }, conditions: [{ ...resizing, lastTransitionTime: T0 }] },
    });
    const plan = planExpand(state({ claim, volume: newVolume({ capacity: "2Gi" }) }));
    expect(plan.call?.newSize).toBe("2Gi");
    expect(plan.steps.filter((s) => s.op === "updateStatus")).toEqual([]);
  });

  it("a claim being deleted (still held by pvc-protection) is resized too: upstream's pvcNeedResize ignores deletion", () => {
    const claim = newClaim();
    claim.metadata.deletionTimestamp = T0;
    claim.metadata.finalizers = ["kubernetes.io/pvc-protection"];
    expect(planExpand(state({ claim })).call?.newSize).toBe("2Gi");
  });

  it("a file system resize pending on the node is the node's to finish", () => {
    const claim = newClaim({ status: { conditions: [{ type: "FileSystemResizePending", status: "True" }], allocatedResourceStatuses: { storage: "NodeResizePending" } } });
    expect(planExpand(state({ claim, volume: newVolume({ capacity: "2Gi" }) })).verdict).toEqual({ kind: "nothing", why: "file system resize is pending on the node" });
  });

  it.each<[string, StorageClass | undefined]>([
    ["class without allowVolumeExpansion", newClass(undefined)],
    ["class with allowVolumeExpansion false", newClass(false)],
    ["class missing", undefined],
  ])("%s → VolumeResizeFailed, nothing changed, no call", (_, storageClass) => {
    const claim = newClaim();
    const plan = planExpand({ ...state({ claim }), storageClass });
    expect(plan.steps).toEqual([event(claim, "Warning", "VolumeResizeFailed", MSG.notAllowed)]);
    expect(plan.call).toBeUndefined();
    expect(plan.verdict.kind).toBe("nothing");
  });

  // kube-apiserver's PersistentVolumeClaimResize admission reads the claim's own class
  // (GetPersistentVolumeClaimClass: the beta annotation, else spec.storageClassName), never the PV's.
  it.each<[string, (c: PersistentVolumeClaim) => void, boolean]>([
    ["claim without a class (the PV's class does not count) → refused", (c) => { c.spec.storageClassName = ""; }, false],
    ["claim naming another class → refused", (c) => { c.spec.storageClassName = "other"; }, false],
    ["class named by the beta annotation → allowed", (c) => { delete c.spec.storageClassName; c.metadata.annotations = { ...c.metadata.annotations, "volume.beta.kubernetes.io/storage-class": "standard" }; }, true],
  ])("%s", (_, edit, allowed) => {
    const claim = newClaim();
    edit(claim);
    const plan = planExpand(state({ claim }));
    expect(plan.call !== undefined).toBe(allowed);
    if (!allowed) expect(plan.steps).toEqual([event(claim, "Warning", "VolumeResizeFailed", MSG.notAllowed)]);
  });

  it.each<[string, (c: PersistentVolumeClaim) => void, string | undefined]>([
    ["spec", () => undefined, "standard"],
    ["beta annotation first", (c) => { c.metadata.annotations = { "volume.beta.kubernetes.io/storage-class": "old" }; }, "old"],
    ["none", (c) => { c.spec.storageClassName = ""; }, undefined],
  ])("the claim's class: %s", (_, edit, name) => {
    const claim = newClaim();
    edit(claim);
    expect(claimClassName(claim)).toBe(name);
  });


  it("access modes CSI cannot express: the resize is marked, then fails (not final) and is retried", () => {
    // external-resizer's Resize fails before any RPC ("failed to get capabilities of volume ...").
    const claim = newClaim();
    const volume = newVolume();
    volume.spec.accessModes = ["ReadOnlyMany", "ReadWriteOnce"];
    const plan = planExpand(state({ claim, volume }));
    expect(plan.call).toBeUndefined();
    expect(plan.steps.map((s) => s.op)).toEqual(["event", "updateStatus", "event", "event"]);
    const message = `resize volume "pvc-uid-1" by resizer "${DRIVER}" failed: failed to get capabilities of volume pvc-uid-1 with CSI does not support ReadOnlyMany and ReadWriteOnce on the same PersistentVolume`;
    expect(plan.steps.at(-1)).toEqual(event(claim, "Warning", "VolumeResizeFailed", message));
    expect(plan.verdict).toEqual({ kind: "requeue", afterMs: 1_000, reason: message });
  });

  it("the PV missing → retried", () => {
    const plan = planExpand(state({ volume: undefined }));
    expect(plan.verdict).toMatchObject({ kind: "requeue", reason: 'PV "pvc-uid-1" bound to pvc "default/claim-1" not found' });
  });
});

// external-resizer's NewResizerFromClient: which resizer a driver's capabilities give, and for a
// driver that gets none, the error it fails with (here a Warning on the claim; nothing changes).
describe("expand: the resizer a driver gets", () => {
  type Caps = Pick<DriverCapabilities, "plugin" | "controller" | "node">;
  it.each<[string, Caps, Resizer]>([
    ["controller EXPAND_VOLUME → the CSI resizer", { plugin: ["CONTROLLER_SERVICE"], controller: ["EXPAND_VOLUME"], node: [] }, { kind: "csi" }],
    ["controller and node EXPAND_VOLUME → the CSI resizer (the node is not asked)", { plugin: ["CONTROLLER_SERVICE"], controller: ["EXPAND_VOLUME"], node: ["EXPAND_VOLUME"] }, { kind: "csi" }],
    ["node EXPAND_VOLUME only → the trivial resizer", { plugin: ["CONTROLLER_SERVICE"], controller: ["CREATE_DELETE_VOLUME"], node: ["EXPAND_VOLUME"] }, { kind: "trivial" }],
    ["neither → none", { plugin: ["CONTROLLER_SERVICE"], controller: ["CREATE_DELETE_VOLUME"], node: ["STAGE_UNSTAGE_VOLUME"] }, { kind: "none", error: "CSI driver neither supports controller resize nor node resize" }],
    ["no Node service at all → none", { plugin: ["CONTROLLER_SERVICE"], controller: [], node: [] }, { kind: "none", error: "CSI driver neither supports controller resize nor node resize" }],
    ["no controller service, node EXPAND_VOLUME → none (checked first)", { plugin: [], controller: [], node: ["EXPAND_VOLUME"] }, { kind: "none", error: "CSI driver does not support controller service" }],
  ])("%s", (_, caps, want) => {
    expect(resizerFor({ ...CAPS, ...caps })).toEqual(want);
  });

  it.each<[string, Partial<DriverCapabilities>, string]>([
    ["neither controller nor node resize", { controller: ["CREATE_DELETE_VOLUME"] }, MSG.resizeNotSupported],
    ["no controller service", { plugin: [], node: ["EXPAND_VOLUME"] }, MSG.noControllerService],
  ])("%s → VolumeResizeFailed with upstream's error, nothing written, no call", (_, caps, message) => {
    const claim = newClaim();
    const plan = planExpand(state({ claim, capabilities: { ...CAPS, ...caps } }));
    expect(plan.steps).toEqual([event(claim, "Warning", "VolumeResizeFailed", message)]);
    expect(plan.call).toBeUndefined();
    expect(plan.verdict).toEqual({ kind: "nothing", why: message });
  });
});

// The trivial resizer (a driver that expands on the node only): Resize answers the size asked for
// with "node expansion required" and calls nothing, so the controller records what it records
// after such an answer from ControllerExpandVolume (callResizeOnPlugin → updatePVCapacity,
// markForPendingNodeExpansion).
describe("expand: the trivial resizer", () => {
  it("marks the resize, then the PV at the requested size (pre-resize mark) and the claim NodeResizePending, with no gateway call", () => {
    const claim = newClaim();
    const plan = planExpand(state({ claim, capabilities: NODE_ONLY }));
    const marked = newClaim();
    marked.status = { ...marked.status, allocatedResourceStatuses: { storage: "ControllerResizeInProgress" }, conditions: [resizing], allocatedResources: { storage: "2Gi" } };
    const pv = newVolume();
    pv.spec.capacity = { storage: "2Gi" };
    pv.metadata.annotations = { "volume.alpha.kubernetes.io/pre-resize-capacity": "1Gi" };
    const pending = newClaim();
    pending.status = {
      ...pending.status,
      allocatedResources: { storage: "2Gi" },
      allocatedResourceStatuses: { storage: "NodeResizePending" },
      conditions: [resizing, { type: "FileSystemResizePending", status: "True", lastTransitionTime: NOW_ISO, message: MSG.fsResizePendingCondition }],
    };
    expect(plan.steps).toEqual([
      { op: "event", on: claim, type: "Warning", reason: "ExternalExpanding", message: "waiting for an external controller to expand this PVC", component: "volume_expand" },
      { op: "updateStatus", resource: "persistentvolumeclaims", object: marked },
      event(claim, "Normal", "Resizing", "External resizer is resizing volume pvc-uid-1"),
      { op: "update", resource: "persistentvolumes", object: pv },
      { op: "updateStatus", resource: "persistentvolumeclaims", object: pending },
      event(marked, "Normal", "FileSystemResizeRequired", "Require file system resize of volume on node"),
    ]);
    expect(plan.call).toBeUndefined();
    expect(plan.verdict).toEqual({ kind: "done" });
  });

  it("the PV takes the size as asked (upstream returns the requested quantity, not bytes re-rounded)", () => {
    const plan = planExpand(state({ claim: newClaim({ request: "3G" }), capabilities: NODE_ONLY }));
    const write = plan.steps.find((s) => s.op === "update" && s.resource === "persistentvolumes");
    expect(write?.op === "update" && (write.object as PersistentVolume).spec.capacity).toEqual({ storage: "3G" });
  });

  it("no volume capability is needed: access modes CSI cannot express do not stop it", () => {
    const volume = newVolume({ secret: true });
    volume.spec.accessModes = ["ReadOnlyMany", "ReadWriteOnce"];
    const plan = planExpand(state({ volume, capabilities: NODE_ONLY }));
    expect(plan.verdict).toEqual({ kind: "done" });
    expect(plan.steps.filter((s) => s.op === "event").map((s) => s.op === "event" && s.reason)).toEqual(["ExternalExpanding", "Resizing", "FileSystemResizeRequired"]);
  });

  it("a node resize already pending at a size the PV has is the node's to finish", () => {
    const claim = newClaim({ status: { allocatedResources: { storage: "2Gi" }, allocatedResourceStatuses: { storage: "NodeResizePending" } } });
    expect(planExpand(state({ claim, volume: newVolume({ capacity: "2Gi" }), capabilities: NODE_ONLY }))).toEqual({
      steps: [],
      verdict: { kind: "nothing", why: "file system resize is pending on the node" },
    });
  });

  it("node resize infeasible with the PV already grown: the new request, not the allocated size (no control-plane expansion to resume)", () => {
    const claim = newClaim({ request: "2Gi", status: { allocatedResources: { storage: "3Gi" }, allocatedResourceStatuses: { storage: "NodeResizeInfeasible" } } });
    const plan = planExpand(state({ claim, volume: newVolume({ capacity: "3Gi" }), capabilities: NODE_ONLY }));
    const statuses = plan.steps.flatMap((s) => (s.op === "updateStatus" ? [(s.object as PersistentVolumeClaim).status] : []));
    expect(statuses.map((st) => st?.allocatedResources)).toEqual([{ storage: "2Gi" }, { storage: "2Gi" }]);
    expect(statuses.at(-1)?.allocatedResourceStatuses).toEqual({ storage: "NodeResizePending" });
    const pv = plan.steps.find((s) => s.op === "update" && s.resource === "persistentvolumes");
    expect(pv?.op === "update" && (pv.object as PersistentVolume).spec.capacity).toEqual({ storage: "2Gi" });
  });
});

// Upstream's expand-and-recover table: which size ControllerExpandVolume is asked for, given the
// claim's resize status, allocatedResources and the PV's size; "wait" = no call, nothing written.
describe("expand: the size a resize asks for (RecoverVolumeExpansionFailure)", () => {
  const error: PersistentVolumeClaimCondition = { type: "ControllerResizeError", status: "True", lastTransitionTime: T0, message: "failed to expand pvc with rpc error: code = Internal desc = boom" };
  const pending: PersistentVolumeClaimCondition = { type: "FileSystemResizePending", status: "True", lastTransitionTime: T0 };
  type Row = [string, { request: string; capacity?: string; pv: string; status?: string; allocated?: string; conditions?: PersistentVolumeClaimCondition[] }, string | "wait"];
  it.each<Row>([
    ["first resize", { request: "2Gi", pv: "1Gi" }, "2Gi"],
    ["PV smaller, node resize pending at an older size the PV already has", { request: "3Gi", pv: "2Gi", status: "NodeResizePending", allocated: "2Gi" }, "wait"],
    ["PV smaller, node resize in progress at an older size the PV already has", { request: "3Gi", pv: "2Gi", status: "NodeResizeInProgress", allocated: "2Gi" }, "wait"],
    ["PV smaller, node resize pending at a size the PV lacks", { request: "3Gi", pv: "1Gi", status: "NodeResizePending", allocated: "2Gi" }, "2Gi"],
    ["PV smaller, node resize infeasible", { request: "3Gi", pv: "1Gi", status: "NodeResizeInfeasible", allocated: "2Gi" }, "2Gi"],
    ["PV smaller, controller resize in progress (outcome unknown)", { request: "2Gi", pv: "1Gi", status: "ControllerResizeInProgress", allocated: "3Gi" }, "3Gi"],
    ["PV smaller, controller resize in progress after a final error", { request: "2Gi", pv: "1Gi", status: "ControllerResizeInProgress", allocated: "3Gi", conditions: [error] }, "2Gi"],
    ["PV smaller, controller resize infeasible: the new request", { request: "2Gi", pv: "1Gi", status: "ControllerResizeInfeasible", allocated: "100Gi" }, "2Gi"],
    ["PV already grown, node resize pending", { request: "2Gi", pv: "2Gi", status: "NodeResizePending", allocated: "2Gi" }, "wait"],
    ["PV already grown, node resize infeasible", { request: "2Gi", pv: "3Gi", status: "NodeResizeInfeasible", allocated: "3Gi" }, "3Gi"],
    ["PV already grown, controller resize in progress", { request: "2Gi", pv: "3Gi", status: "ControllerResizeInProgress", allocated: "3Gi" }, "3Gi"],
    ["PV already grown, no status but an allocated size", { request: "2Gi", pv: "3Gi", allocated: "3Gi" }, "3Gi"],
    ["PV already grown, file system resize pending, nothing allocated", { request: "2Gi", pv: "2Gi", conditions: [pending] }, "wait"],
    ["PV already grown, nothing recorded", { request: "2Gi", pv: "2Gi" }, "2Gi"],
  ])("%s → %s", (_, o, want) => {
    const claim = newClaim({
      request: o.request,
      capacity: o.capacity ?? "1Gi",
      status: {
        ...(o.status ? { allocatedResourceStatuses: { storage: o.status } } : {}),
        ...(o.allocated ? { allocatedResources: { storage: o.allocated } } : {}),
        ...(o.conditions ? { conditions: o.conditions } : {}),
      },
    });
    const plan = planExpand(state({ claim, volume: newVolume({ capacity: o.pv }) }));
    if (want === "wait") {
      expect(plan.steps).toEqual([]);
      expect(plan.call).toBeUndefined();
      expect(plan.verdict.kind).toBe("nothing");
    } else {
      expect(plan.call?.newSize).toBe(want);
      expect(plan.call?.request.requiredBytes).toBe(Number(want.replace("Gi", "")) * GiB);
    }
  });

  it("retrying at the size already allocated keeps the resize status and the error condition (no status write)", () => {
    const claim = newClaim({
      status: { allocatedResources: { storage: "2Gi" }, allocatedResourceStatuses: { storage: "ControllerResizeInProgress" }, conditions: [{ ...resizing, lastTransitionTime: T0 }, error] },
    });
    const plan = planExpand(state({ claim }));
    expect(plan.steps).toEqual([event(claim, "Normal", "Resizing", "External resizer is resizing volume pvc-uid-1")]);
    expect(plan.call?.newSize).toBe("2Gi");
  });

  it("a node-infeasible resize retried at its allocated size keeps NodeResizeInfeasible", () => {
    const claim = newClaim({ request: "3Gi", status: { allocatedResources: { storage: "2Gi" }, allocatedResourceStatuses: { storage: "NodeResizeInfeasible" } } });
    const plan = planExpand(state({ claim }));
    const status = plan.steps.find((s) => s.op === "updateStatus");
    expect(status?.op === "updateStatus" && (status.object as PersistentVolumeClaim).status?.allocatedResourceStatuses).toEqual({ storage: "NodeResizeInfeasible" });
    expect(plan.call?.newSize).toBe("2Gi");
  });

  describe("an infeasible resize is retried slowly (retry-interval-max, 5 min) while the request is unchanged", () => {
    const infeasible = (at: string, request = "100Gi") =>
      newClaim({
        request,
        status: {
          allocatedResources: { storage: "100Gi" },
          allocatedResourceStatuses: { storage: "ControllerResizeInfeasible" },
          conditions: [{ ...resizing, lastTransitionTime: at }, { ...error, lastTransitionTime: at, message: "failed to expand pvc with rpc error: code = OutOfRange desc = too big" }],
        },
      });
    it.each<[string, PersistentVolumeClaim, { wait?: number; size?: string }]>([
      ["failed 10 s ago, same request → wait out the rest", infeasible(T0), { wait: 290_000 }],
      ["failed 6 min ago → try again", infeasible(new Date(NOW - 360_000).toISOString()), { size: "100Gi" }],
      ["request changed → try the new size now", infeasible(T0, "50Gi"), { size: "50Gi" }],
    ])("%s", (_, claim, want) => {
      const plan = planExpand(state({ claim }));
      if (want.wait !== undefined) {
        expect(plan.steps).toEqual([]);
        expect(plan.call).toBeUndefined();
        expect(plan.verdict).toEqual({
          kind: "requeue",
          afterMs: want.wait,
          reason: "skipping volume expansion for pvc default/claim-1, because expansion previously failed with infeasible error",
        });
      } else expect(plan.call?.newSize).toBe(want.size);
    });
  });
});

describe("expand: after ControllerExpandVolume", () => {
  const started = planExpand(state());
  const claim = started.claim!;
  const call = started.call as ExpandCall;

  it("done on the controller: PV capacity, claim capacity, conditions cleared, success Event", () => {
    const plan = afterExpand(claim, newVolume(), call, { ok: true, value: { capacityBytes: 2 * GiB, nodeExpansionRequired: false } }, NOW);
    const pv = newVolume();
    pv.spec.capacity = { storage: "2Gi" };
    const annotated = { ...claim, metadata: { ...claim.metadata, annotations: { [ANN_STORAGE_RESIZER]: DRIVER, [ANN_NODE_EXPANSION_NOT_REQUIRED]: "true" } } };
    expect(plan.steps).toEqual([
      { op: "update", resource: "persistentvolumes", object: pv },
      { op: "update", resource: "persistentvolumeclaims", object: annotated },
      {
        op: "updateStatus",
        resource: "persistentvolumeclaims",
        object: { ...annotated, status: { phase: "Bound", accessModes: ["ReadWriteOnce"], capacity: { storage: "2Gi" }, allocatedResources: { storage: "2Gi" } } },
      },
      event(claim, "Normal", "VolumeResizeSuccessful", "Resize volume succeeded"),
    ]);
    expect(plan.verdict).toEqual({ kind: "done" });
  });

  it("done on the controller: a node-expansion-not-required annotation already there, whatever its value, is left as it is", () => {
    const annotated = { ...claim, metadata: { ...claim.metadata, annotations: { ...claim.metadata.annotations, [ANN_NODE_EXPANSION_NOT_REQUIRED]: "" } } };
    const plan = afterExpand(annotated, newVolume(), call, { ok: true, value: { capacityBytes: 2 * GiB, nodeExpansionRequired: false } }, NOW);
    expect(plan.steps.filter((s) => s.op === "update" && s.resource === "persistentvolumeclaims")).toEqual([]);
  });

  it("node expansion required: FileSystemResizePending and NodeResizePending, capacity unchanged", () => {
    const plan = afterExpand(claim, newVolume(), call, { ok: true, value: { capacityBytes: 2 * GiB, nodeExpansionRequired: true } }, NOW);
    const status = plan.steps.find((s) => s.op === "updateStatus");
    expect(status?.op === "updateStatus" && (status.object as PersistentVolumeClaim).status).toEqual({
      phase: "Bound",
      accessModes: ["ReadWriteOnce"],
      capacity: { storage: "1Gi" },
      allocatedResources: { storage: "2Gi" },
      allocatedResourceStatuses: { storage: "NodeResizePending" },
      conditions: [resizing, { type: "FileSystemResizePending", status: "True", lastTransitionTime: NOW_ISO, message: MSG.fsResizePendingCondition }],
    });
    expect(plan.steps.at(-1)).toEqual(event(claim, "Normal", "FileSystemResizeRequired", "Require file system resize of volume on node"));
  });

  it("the PV already at the new size is not written again", () => {
    const plan = afterExpand(claim, newVolume({ capacity: "2Gi" }), call, { ok: true, value: { capacityBytes: 2 * GiB, nodeExpansionRequired: false } }, NOW);
    expect(plan.steps.some((s) => s.op === "update" && s.resource === "persistentvolumes")).toBe(false);
  });

  it("a final, infeasible failure: ControllerResizeInfeasible, ControllerResizeError condition, VolumeResizeFailed, retried", () => {
    const plan = afterExpand(claim, newVolume(), call, { ok: false, failure: { code: "OUT_OF_RANGE", message: "too big" } }, NOW);
    const err = "rpc error: code = OutOfRange desc = too big";
    const status = plan.steps[0];
    expect(status?.op === "updateStatus" && (status.object as PersistentVolumeClaim).status).toMatchObject({
      allocatedResourceStatuses: { storage: "ControllerResizeInfeasible" },
      conditions: [resizing, { type: "ControllerResizeError", status: "True", message: `failed to expand pvc with ${err}` }],
    });
    expect(plan.steps[1]).toEqual(event(claim, "Warning", "VolumeResizeFailed", `resize volume "pvc-uid-1" by resizer "${DRIVER}" failed: ${err}`));
    expect(plan.verdict.kind).toBe("requeue");
  });

  it("a transient failure only records the Event and retries (the resize stays in progress)", () => {
    const plan = afterExpand(claim, newVolume(), call, { ok: false, failure: { code: "UNAVAILABLE", message: "down" } }, NOW);
    expect(plan.steps).toEqual([event(claim, "Warning", "VolumeResizeFailed", `resize volume "pvc-uid-1" by resizer "${DRIVER}" failed: rpc error: code = Unavailable desc = down`)]);
    expect(plan.verdict.kind).toBe("requeue");
  });

  it.each<[string, string, string | undefined]>([
    ["NOT_FOUND is infeasible", "NOT_FOUND", "ControllerResizeInfeasible"],
    ["INVALID_ARGUMENT is infeasible", "INVALID_ARGUMENT", "ControllerResizeInfeasible"],
    ["INTERNAL is final but feasible: status stays in progress", "INTERNAL", "ControllerResizeInProgress"],
  ])("%s", (_, code, status) => {
    const plan = afterExpand(claim, newVolume(), call, { ok: false, failure: { code: code as "INTERNAL", message: "x" } }, NOW);
    const write = plan.steps.find((s) => s.op === "updateStatus");
    expect(write?.op === "updateStatus" && (write.object as PersistentVolumeClaim).status?.allocatedResourceStatuses).toEqual({ storage: status });
  });

  it("retries back off from when the resize began, not from the claim's age", () => {
    // The claim was created long ago; the resize (its Resizing condition) began 10 s ago: the
    // first retries are quick, as upstream's per-claim exponential back-off starting at 1 s.
    const old = { ...claim, metadata: { ...claim.metadata, creationTimestamp: "2020-01-01T00:00:00Z" } };
    const plan = afterExpand(old, newVolume(), call, { ok: false, failure: { code: "UNAVAILABLE", message: "down" } }, NOW);
    expect(plan.verdict).toMatchObject({ kind: "requeue", afterMs: 1_000 });
  });

  it("node expansion required: the PV records the claim's capacity before the resize (AnnotateFsResize)", () => {
    const plan = afterExpand(claim, newVolume(), call, { ok: true, value: { capacityBytes: 2 * GiB, nodeExpansionRequired: true } }, NOW);
    const pv = newVolume();
    pv.spec.capacity = { storage: "2Gi" };
    pv.metadata.annotations = { "volume.alpha.kubernetes.io/pre-resize-capacity": "1Gi" };
    expect(plan.steps[0]).toEqual({ op: "update", resource: "persistentvolumes", object: pv });
  });

  it("node expansion not required: no pre-resize annotation on the PV", () => {
    const plan = afterExpand(claim, newVolume(), call, { ok: true, value: { capacityBytes: 2 * GiB, nodeExpansionRequired: false } }, NOW);
    const write = plan.steps[0];
    expect(write?.op === "update" && (write.object as PersistentVolume).metadata.annotations).toBeUndefined();
  });
});

// Upstream's syncPVC, before it looks for a resize: once the claim's capacity has caught up with
// the PV (the node step is done), the PV's pre-resize-capacity mark is removed.
describe("expand: the pre-resize-capacity mark after the node step", () => {
  const PRE = "volume.alpha.kubernetes.io/pre-resize-capacity";
  const marked = (capacity: string) => {
    const pv = newVolume({ capacity });
    pv.metadata.annotations = { [PRE]: "1Gi", other: "x" };
    return pv;
  };
  const done = newClaim({ request: "2Gi", capacity: "2Gi", status: { allocatedResources: { storage: "2Gi" } } });
  const cleaned = (capacity: string) => {
    const pv = marked(capacity);
    pv.metadata.annotations = { other: "x" };
    return { op: "update", resource: "persistentvolumes", object: pv };
  };

  it.each<[string, PersistentVolumeClaim, PersistentVolume, Step[]]>([
    ["claim caught up with the PV → mark removed", done, marked("2Gi"), [cleaned("2Gi") as Step]],
    ["claim still behind the PV (node step pending) → kept", newClaim({ request: "2Gi", capacity: "1Gi", status: { allocatedResources: { storage: "2Gi" }, allocatedResourceStatuses: { storage: "NodeResizePending" } } }), marked("2Gi"), []],
    ["no mark → nothing", done, newVolume({ capacity: "2Gi" }), []],
  ])("%s", (_, claim, volume, steps) => {
    const plan = planExpand(state({ claim, volume }));
    expect(plan.steps).toEqual(steps);
    expect(plan.call).toBeUndefined();
    expect(plan.verdict.kind).toBe(steps.length > 0 ? "done" : "nothing");
  });

  it("a new resize after a finished one removes the old mark first", () => {
    const claim = newClaim({ request: "3Gi", capacity: "2Gi", status: { allocatedResources: { storage: "2Gi" } } });
    const plan = planExpand(state({ claim, volume: marked("2Gi") }));
    expect(plan.steps[0]).toEqual(cleaned("2Gi"));
    expect(plan.call?.newSize).toBe("3Gi");
  });

  it.each<[string, PersistentVolumeClaim, boolean]>([
    ["a finished resize may have left the mark", done, true],
    ["a never-resized claim has none", newClaim({ request: "1Gi" }), false],
    ["a resize still pending on the node keeps it", newClaim({ status: { allocatedResources: { storage: "2Gi" }, allocatedResourceStatuses: { storage: "NodeResizePending" } } }), false],
  ])("%s", (_, claim, want) => {
    expect(mayHoldPreResizeMark(claim)).toBe(want);
  });
});

describe("expand: resize conditions", () => {
  const other: PersistentVolumeClaimCondition = { type: "ModifyingVolume", status: "True" };
  it("keeps conditions that are not the resizer's, replaces or drops its own", () => {
    const old = [other, { type: "Resizing", status: "True" as const }, { type: "ControllerResizeError", status: "True" as const }];
    expect(mergeResizeConditions(old, [], false)).toEqual([other]);
    expect(mergeResizeConditions(old, [], true)).toEqual(old);
    expect(mergeResizeConditions(old, [{ type: "FileSystemResizePending", status: "True" }], false)).toEqual([other, { type: "FileSystemResizePending", status: "True" }]);
  });
});
