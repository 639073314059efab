// Table-driven tests in the style of upstream's csi-snapshotter sidecar tests: a content (and the
// driver's answer) → expected content writes, Events, gateway call, verdict.
import { describe, expect, it } from "vitest";
import type { VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import type { SnapshotInfo } from "../../shared/gateway/types.js";
import { ANNOTATIONS, FINALIZERS } from "../../shared/snapshot/constants.js";
import { CREATED_NS, DRIVER, newClass, newContent, T0 } from "../../shared/snapshot/fixtures.js";
import type { Step } from "../../shared/snapshot/steps.js";
import { afterCreate, afterDelete, afterList, isFinalFailure, planInvoke, rpcErrorText, shouldDelete } from "./plan.js";

const NOW = T0 + 2_000;
const NOW_ISO = "2026-03-01T12:00:02Z";
const BEING_CREATED = { [ANNOTATIONS.beingCreated]: "yes" };
const BEING_DELETED = { [ANNOTATIONS.beingDeleted]: "yes" };
const COMPONENT = `csi-snapshotter ${DRIVER}`;
const gold = newClass("gold", { parameters: { retention: "7d", "csi.storage.k8s.io/snapshotter-secret-name": "s", "csi.storage.k8s.io/snapshotter-secret-namespace": "ns" } });

const dynamic = (o: Parameters<typeof newContent>[0] = {}) => newContent({ className: "gold", finalizers: [FINALIZERS.contentBound], ...o });
const update = (object: VolumeSnapshotContent): Step => ({ op: "update", resource: "volumesnapshotcontents", object });
const updateStatus = (object: VolumeSnapshotContent): Step => ({ op: "updateStatus", resource: "volumesnapshotcontents", object });
const warn = (on: VolumeSnapshotContent, reason: string, message: string): Step => ({ op: "event", on, type: "Warning", reason, message, component: COMPONENT });
const annotated = (c: VolumeSnapshotContent, ann: Record<string, string>): VolumeSnapshotContent => ({ ...c, metadata: { ...c.metadata, annotations: { ...c.metadata.annotations, ...ann } } });
const info = (o: Partial<SnapshotInfo> = {}): SnapshotInfo => ({
  snapshotId: "snap-handle-1",
  sourceVolumeId: "vol-1",
  creationTimeNs: String(CREATED_NS),
  sizeBytes: 1073741824,
  readyToUse: true,
  ...o,
});

describe("invoke: creating a snapshot", () => {
  it("sets being-created before CreateSnapshot named snapshot-<VS uid> with stripped parameters and the deletion secret", () => {
    const c = dynamic({ annotations: { [ANNOTATIONS.deletionSecretName]: "s", [ANNOTATIONS.deletionSecretNamespace]: "ns" } });
    const plan = planInvoke({ content: c, snapshotClass: gold, nowMs: NOW });
    expect(plan.steps).toEqual([update(annotated(c, BEING_CREATED))]);
    expect(plan.call).toEqual({
      kind: "createSnapshot",
      driver: DRIVER,
      request: { name: "snapshot-snapuid1", sourceVolumeId: "vol-1", parameters: { retention: "7d" }, secretRef: { name: "s", namespace: "ns" } },
    });
  });

  it("a ready answer: status (handle, ns creationTime, bytes, ready) then the annotation is cleared", () => {
    const c = annotated(dynamic(), BEING_CREATED);
    const plan = afterCreate(c, { ok: true, value: info() }, NOW);
    const withStatus = { ...c, status: { snapshotHandle: "snap-handle-1", readyToUse: true, creationTime: CREATED_NS, restoreSize: 1073741824 } };
    expect(plan.steps).toEqual([updateStatus(withStatus), update({ ...withStatus, metadata: { ...withStatus.metadata, annotations: {} } })]);
    expect(plan.verdict).toEqual({ kind: "done" });
  });

  it("a not-ready answer keeps polling with back-off derived from the content's age", () => {
    const c = annotated(dynamic(), BEING_CREATED);
    const plan = afterCreate(c, { ok: true, value: info({ readyToUse: false, sizeBytes: 0, creationTimeNs: "0" }) }, NOW);
    expect(plan.steps[0]).toEqual(updateStatus({ ...c, status: { snapshotHandle: "snap-handle-1", readyToUse: false, creationTime: NOW * 1e6 } }));
    expect(plan.verdict).toEqual({ kind: "requeue", afterMs: 1000, reason: "snapshot is not ready yet" });
  });

  it("takes no group handle from a CreateSnapshot answer (it would later exempt the snapshot from DeleteSnapshot)", () => {
    const c = annotated(dynamic(), BEING_CREATED);
    const plan = afterCreate(c, { ok: true, value: info({ groupSnapshotId: "G" }) }, NOW);
    expect(plan.steps[0]).toEqual(updateStatus({ ...c, status: { snapshotHandle: "snap-handle-1", readyToUse: true, creationTime: CREATED_NS, restoreSize: 1073741824 } }));
  });

  it("polls a not-ready dynamic snapshot by re-issuing CreateSnapshot (no annotation: the handle is known)", () => {
    const c = dynamic({ status: { snapshotHandle: "snap-handle-1", readyToUse: false, creationTime: CREATED_NS } });
    const plan = planInvoke({ content: c, snapshotClass: gold, nowMs: NOW });
    expect(plan.steps).toEqual([]);
    expect(plan.call?.kind).toBe("createSnapshot");
    const after = afterCreate(c, { ok: true, value: info() }, NOW);
    expect(after.steps).toEqual([updateStatus({ ...c, status: { snapshotHandle: "snap-handle-1", readyToUse: true, creationTime: CREATED_NS, restoreSize: 1073741824 } })]);
  });

  it.each([
    ["INVALID_ARGUMENT", true],
    ["NOT_FOUND", true],
    ["INTERNAL", true],
    ["ALREADY_EXISTS", true],
    ["DEADLINE_EXCEEDED", false],
    ["UNAVAILABLE", false],
    ["ABORTED", false],
    ["RESOURCE_EXHAUSTED", false],
    ["CANCELLED", false],
    [undefined, false],
  ] as const)("failure %s: final=%s decides whether the being-created annotation is removed", (code, final) => {
    expect(isFinalFailure({ code, message: "x" })).toBe(final);
    const c = annotated(dynamic(), BEING_CREATED);
    const plan = afterCreate(c, { ok: false, failure: { code, message: "boom" } }, NOW);
    const base = final ? { ...c, metadata: { ...c.metadata, annotations: {} } } : c;
    const err = rpcErrorText({ code, message: "boom" });
    const message = `Failed to create snapshot: failed to take snapshot of the volume vol-1: ${JSON.stringify(err)}`;
    expect(plan.steps).toEqual([
      ...(final ? [update(base)] : []),
      updateStatus({ ...base, status: { readyToUse: false, error: { time: NOW_ISO, message } } }),
      warn(base, "SnapshotCreationFailed", message),
    ]);
    expect(plan.verdict.kind).toBe("requeue");
  });

  it("formats CSI failures like a Go gRPC client", () => {
    expect(rpcErrorText({ code: "NOT_FOUND", message: "volume vol-1 not found" })).toBe("rpc error: code = NotFound desc = volume vol-1 not found");
    expect(rpcErrorText({ message: "connect ECONNREFUSED" })).toBe("connect ECONNREFUSED");
  });

  it.each([
    ["no class name", newContent({ finalizers: [FINALIZERS.contentBound] }), gold, 'failed to get input parameters to create snapshot for content snapcontent-snapuid1: "failed to take snapshot snapcontent-snapuid1 without a snapshot class"'],
    [
      "class gone",
      dynamic(),
      undefined,
      'failed to get input parameters to create snapshot for content snapcontent-snapuid1: "volumesnapshotclass.snapshot.storage.k8s.io \\"gold\\" not found"',
    ],
    [
      "empty secret annotation",
      dynamic({ annotations: { [ANNOTATIONS.deletionSecretName]: "", [ANNOTATIONS.deletionSecretNamespace]: "ns" } }),
      gold,
      'failed to get input parameters to create snapshot for content snapcontent-snapuid1: "cannot retrieve secrets for snapshot content \\"snapcontent-snapuid1\\", err: secret name or namespace not specified"',
    ],
    [
      "reserved parameter",
      dynamic(),
      newClass("gold", { parameters: { "csi.storage.k8s.io/fstype": "xfs" } }),
      'failed to remove CSI Parameters of prefixed keys: found unknown parameter key "csi.storage.k8s.io/fstype" with reserved namespace csi.storage.k8s.io/',
    ],
    ["unbound content", dynamic({ snapshotUid: "" }), gold, 'failed to take snapshot of the volume vol-1: "cannot create snapshot. Snapshot content snapcontent-snapuid1 not bound to a snapshot"'],
  ])("%s → SnapshotCreationFailed without calling the driver", (_, c, cls, err) => {
    const plan = planInvoke({ content: c, ...(cls ? { snapshotClass: cls } : {}), nowMs: NOW });
    const message = `Failed to create snapshot: ${err}`;
    expect(plan.call).toBeUndefined();
    expect(plan.steps).toEqual([updateStatus({ ...c, status: { readyToUse: false, error: { time: NOW_ISO, message } } }), warn(c, "SnapshotCreationFailed", message)]);
  });

  it.each([
    ["class gone", dynamic({ status: { readyToUse: false, error: { time: "2026-03-01T12:00:01Z", message: "Failed to create snapshot: earlier" } } }), undefined,
      'failed to get input parameters to create snapshot for content snapcontent-snapuid1: "volumesnapshotclass.snapshot.storage.k8s.io \\"gold\\" not found"'],
    ["empty secret annotation", dynamic({
      annotations: { [ANNOTATIONS.deletionSecretName]: "", [ANNOTATIONS.deletionSecretNamespace]: "ns" },
      status: { snapshotHandle: "snap-handle-1", readyToUse: false, creationTime: CREATED_NS },
    }), gold,
      'failed to get input parameters to create snapshot for content snapcontent-snapuid1: "cannot retrieve secrets for snapshot content \\"snapcontent-snapuid1\\", err: secret name or namespace not specified"'],
  ])("once the content has a status (a poll, or a retry after an error), %s → SnapshotContentCheckandUpdateFailed", (_, c, cls, err) => {
    const plan = planInvoke({ content: c, ...(cls ? { snapshotClass: cls } : {}), nowMs: NOW });
    const message = `Failed to check and update snapshot content: ${err}`;
    expect(plan.call).toBeUndefined();
    expect(plan.steps).toEqual([
      updateStatus({ ...c, status: { ...c.status, readyToUse: false, error: { time: NOW_ISO, message } } }),
      warn(c, "SnapshotContentCheckandUpdateFailed", message),
    ]);
  });

  it.each([
    ["its class belongs to another driver", dynamic(), newClass("gold", { driver: "other.csi.example.com" })],
    ["it has no source at all", { ...dynamic(), spec: { ...dynamic().spec, source: {} } }, gold],
  ])("leaves a content alone when %s: no sidecar of upstream's handles it", (_, c, cls) => {
    const plan = planInvoke({ content: c, snapshotClass: cls, nowMs: NOW });
    expect(plan.call).toBeUndefined();
    expect(plan.steps).toEqual([]);
    expect(plan.verdict.kind).toBe("nothing");
  });

  it("never calls CreateSnapshot for a group member", () => {
    const c = dynamic({ annotations: { [ANNOTATIONS.volumeGroupSnapshotHandle]: "G" } });
    expect(planInvoke({ content: c, nowMs: NOW }).call).toBeUndefined();
  });

  it("a ready content only loses a leftover being-created annotation", () => {
    const c = annotated(dynamic({ status: { snapshotHandle: "h", readyToUse: true } }), BEING_CREATED);
    expect(planInvoke({ content: c, snapshotClass: gold, nowMs: NOW }).steps).toEqual([update({ ...c, metadata: { ...c.metadata, annotations: {} } })]);
    expect(planInvoke({ content: dynamic({ status: { snapshotHandle: "h", readyToUse: true } }), snapshotClass: gold, nowMs: NOW }).verdict.kind).toBe("nothing");
  });
});

describe("invoke: failures the driver never saw (the gateway's own, or its Secret read)", () => {
  const secretGone = { code: "FAILED_PRECONDITION", message: "Secret ns/s not found", origin: "secret" } as const;
  const credentials = 'failed to get input parameters to create snapshot for content snapcontent-snapuid1: "cannot get credentials for snapshot content \\"snapcontent-snapuid1\\""';

  it.each([
    ["CreateSnapshot's Secret unreadable", false, secretGone],
    ["the gateway's NOT_FOUND (driver not configured there)", false, { code: "NOT_FOUND", message: 'unknown driver "x"', origin: "gateway" } as const],
    ["the gateway's INVALID_ARGUMENT", false, { code: "INVALID_ARGUMENT", message: "body.name: required", origin: "gateway" } as const],
    ["the driver's NOT_FOUND", true, { code: "NOT_FOUND", message: "no volume" } as const],
  ])("%s: final=%s (only a driver's gRPC answer can be final)", (_, final, failure) => {
    expect(isFinalFailure(failure)).toBe(final);
  });

  it("a create in flight since an earlier attempt keeps its mark when the gateway itself fails (the earlier call may still cut the snapshot)", () => {
    const c = annotated(dynamic(), BEING_CREATED);
    const failure = { code: "NOT_FOUND", message: 'unknown driver "x"', origin: "gateway" } as const;
    const plan = afterCreate(c, { ok: false, failure }, NOW);
    const message = `Failed to create snapshot: failed to take snapshot of the volume vol-1: ${JSON.stringify(rpcErrorText(failure))}`;
    expect(plan.steps).toEqual([updateStatus({ ...c, status: { readyToUse: false, error: { time: NOW_ISO, message } } }), warn(c, "SnapshotCreationFailed", message)]);
  });

  it("an unreadable Secret is upstream's input failure; a mark set by this very attempt is taken back, an older one stays", () => {
    const c = annotated(dynamic(), BEING_CREATED);
    const message = `Failed to create snapshot: ${credentials}`;
    const fresh = afterCreate(c, { ok: false, failure: secretGone }, NOW, { markedNow: true });
    const unmarked = { ...c, metadata: { ...c.metadata, annotations: {} } };
    expect(fresh.steps).toEqual([
      update(unmarked),
      updateStatus({ ...unmarked, status: { readyToUse: false, error: { time: NOW_ISO, message } } }),
      warn(unmarked, "SnapshotCreationFailed", message),
    ]);
    const older = afterCreate(c, { ok: false, failure: secretGone }, NOW);
    expect(older.steps).toEqual([updateStatus({ ...c, status: { readyToUse: false, error: { time: NOW_ISO, message } } }), warn(c, "SnapshotCreationFailed", message)]);
    const polled = dynamic({ status: { snapshotHandle: "snap-handle-1", readyToUse: false, creationTime: CREATED_NS } });
    expect(afterCreate(polled, { ok: false, failure: secretGone }, NOW).steps[1]).toEqual(
      warn(polled, "SnapshotContentCheckandUpdateFailed", `Failed to check and update snapshot content: ${credentials}`),
    );
  });

  it("DeleteSnapshot's Secret unreadable → SnapshotDeleteError \"Failed to get snapshot credentials\"", () => {
    const c = dynamic({ deletionTimestamp: NOW_ISO, annotations: BEING_DELETED, status: { snapshotHandle: "snap-handle-1", readyToUse: true } });
    const after = afterDelete(c, { ok: false, failure: secretGone }, NOW);
    expect(after.steps).toEqual([warn(c, "SnapshotDeleteError", "Failed to get snapshot credentials")]);
    expect(after.verdict).toMatchObject({
      kind: "requeue",
      reason: 'failed to get input parameters to delete snapshot for content snapcontent-snapuid1: "cannot get credentials for snapshot content \\"snapcontent-snapuid1\\""',
    });
  });

  it.each([
    [
      "the class's list Secret",
      newContent({ name: "pre-1", snapshotHandle: "h-1", className: "gold", finalizers: [FINALIZERS.contentBound] }),
      { name: "list", namespace: "kube-system" },
      "failed to get credentials for snapshot content pre-1: error getting secret list in namespace kube-system: Secret kube-system/list not found",
    ],
    [
      "a member's annotation Secret",
      newContent({ name: "member-1", finalizers: [FINALIZERS.contentBound], status: { snapshotHandle: "h-1", volumeGroupSnapshotHandle: "G", readyToUse: false } }),
      { name: "s", namespace: "ns" },
      'failed to get credentials from annotation for snapshot content member-1: cannot get credentials for snapshot content "member-1"',
    ],
  ])("ListSnapshots with %s unreadable", (_, c, secretRef, err) => {
    const failure = { code: "FAILED_PRECONDITION", message: `Secret ${secretRef.namespace}/${secretRef.name} not found`, origin: "secret" } as const;
    const message = `Failed to check and update snapshot content: ${err}`;
    expect(afterList(c, "h-1", { ok: false, failure }, NOW, secretRef).steps).toEqual([
      updateStatus({ ...c, status: { ...c.status, readyToUse: false, error: { time: NOW_ISO, message } } }),
      warn(c, "SnapshotContentCheckandUpdateFailed", message),
    ]);
  });
});

describe("invoke: pre-provisioned contents", () => {
  const staticContent = (o: Parameters<typeof newContent>[0] = {}) =>
    newContent({ name: "pre-1", snapshotHandle: "h-1", finalizers: [FINALIZERS.contentBound], ...o });

  it("lists the snapshot by id and records its status", () => {
    const c = staticContent();
    const plan = planInvoke({ content: c, nowMs: NOW });
    expect(plan.call).toEqual({ kind: "listSnapshot", driver: DRIVER, snapshotId: "h-1" });
    const after = afterList(c, "h-1", { ok: true, value: [info({ snapshotId: "h-1", sizeBytes: 2048 })] }, NOW);
    expect(after.steps).toEqual([updateStatus({ ...c, status: { snapshotHandle: "h-1", readyToUse: true, creationTime: CREATED_NS, restoreSize: 2048 } })]);
    expect(after.verdict).toEqual({ kind: "done" });
  });

  it("uses the class's list secret, templated with the content name", () => {
    const cls = newClass("gold", {
      parameters: {
        "csi.storage.k8s.io/snapshotter-list-secret-name": "${volumesnapshotcontent.name}",
        "csi.storage.k8s.io/snapshotter-list-secret-namespace": "kube-system",
      },
    });
    const plan = planInvoke({ content: staticContent({ className: "gold" }), snapshotClass: cls, nowMs: NOW });
    expect(plan.call).toEqual({ kind: "listSnapshot", driver: DRIVER, snapshotId: "h-1", secretRef: { name: "pre-1", namespace: "kube-system" } });
  });

  it("an unknown id → SnapshotContentCheckandUpdateFailed, wrapped like every ListSnapshots failure", () => {
    const c = staticContent();
    const message = 'Failed to check and update snapshot content: failed to list snapshot for content pre-1: "can not find snapshot for snapshotID h-1"';
    expect(afterList(c, "h-1", { ok: true, value: [] }, NOW).steps).toEqual([
      updateStatus({ ...c, status: { readyToUse: false, error: { time: NOW_ISO, message } } }),
      warn(c, "SnapshotContentCheckandUpdateFailed", message),
    ]);
  });

  it("a driver without ListSnapshots: ready now, size unknown", () => {
    const c = staticContent();
    const after = afterList(c, "h-1", { ok: false, failure: { code: "UNIMPLEMENTED", message: "no" } }, NOW);
    expect(after.steps).toEqual([updateStatus({ ...c, status: { snapshotHandle: "h-1", readyToUse: true, creationTime: NOW * 1e6 } })]);
  });

  it("a list failure is wrapped as upstream does", () => {
    const c = staticContent();
    const after = afterList(c, "h-1", { ok: false, failure: { code: "UNAVAILABLE", message: "down" } }, NOW);
    expect(after.steps[1]).toEqual(
      warn(c, "SnapshotContentCheckandUpdateFailed", 'Failed to check and update snapshot content: failed to list snapshot for content pre-1: "rpc error: code = Unavailable desc = down"'),
    );
    expect(after.verdict.kind).toBe("requeue");
  });

  it.each([
    [
      "a class whose list secret lacks its namespace",
      staticContent({ className: "gold" }),
      newClass("gold", { parameters: { "csi.storage.k8s.io/snapshotter-list-secret-name": "s" } }),
      "failed to get secret reference for snapshot content pre-1: failed to get name and namespace template from params: either name and namespace for SnapshotterList secrets specified, Both must be specified",
    ],
    [
      "a member's empty deletion-secret annotation",
      newContent({
        name: "member-1",
        finalizers: [FINALIZERS.contentBound],
        annotations: { [ANNOTATIONS.volumeGroupSnapshotHandle]: "G", [ANNOTATIONS.deletionSecretName]: "", [ANNOTATIONS.deletionSecretNamespace]: "ns" },
        status: { snapshotHandle: "h-1", volumeGroupSnapshotHandle: "G", readyToUse: false },
      }),
      undefined,
      'failed to get credentials from annotation for snapshot content member-1: cannot retrieve secrets for snapshot content "member-1", err: secret name or namespace not specified',
    ],
  ])("%s → SnapshotContentCheckandUpdateFailed without listing", (_, c, cls, err) => {
    const plan = planInvoke({ content: c, ...(cls ? { snapshotClass: cls } : {}), nowMs: NOW });
    const message = `Failed to check and update snapshot content: ${err}`;
    expect(plan.call).toBeUndefined();
    expect(plan.steps).toEqual([updateStatus({ ...c, status: { ...c.status, readyToUse: false, error: { time: NOW_ISO, message } } }), warn(c, "SnapshotContentCheckandUpdateFailed", message)]);
  });

  it("secrets for ListSnapshots: a member with a group handle uses its deletion-secret annotations, even over a class; others only the class's list secret", () => {
    const secretAnnotations = { [ANNOTATIONS.deletionSecretName]: "s", [ANNOTATIONS.deletionSecretNamespace]: "ns" };
    const cls = newClass("gold", {
      parameters: { "csi.storage.k8s.io/snapshotter-list-secret-name": "list", "csi.storage.k8s.io/snapshotter-list-secret-namespace": "kube-system" },
    });
    const member = staticContent({ className: "gold", annotations: secretAnnotations, status: { snapshotHandle: "h-1", volumeGroupSnapshotHandle: "G", readyToUse: false } });
    expect(planInvoke({ content: member, snapshotClass: cls, nowMs: NOW }).call).toEqual({ kind: "listSnapshot", driver: DRIVER, snapshotId: "h-1", secretRef: { name: "s", namespace: "ns" } });
    // A group-member mark alone (no group handle recorded yet) does not select the annotations.
    const marked = staticContent({ annotations: { ...secretAnnotations, [ANNOTATIONS.volumeGroupSnapshotHandle]: "G" } });
    expect(planInvoke({ content: marked, nowMs: NOW }).call).toEqual({ kind: "listSnapshot", driver: DRIVER, snapshotId: "h-1" });
  });

  it("records the group handle a member reports", () => {
    const c = staticContent();
    const after = afterList(c, "h-1", { ok: true, value: [info({ snapshotId: "h-1", groupSnapshotId: "G" })] }, NOW);
    expect(after.steps[0]).toMatchObject({ object: { status: { volumeGroupSnapshotHandle: "G" } } });
  });
});

describe("invoke: deletion", () => {
  const deleting = (o: Parameters<typeof newContent>[0]) => dynamic({ deletionTimestamp: NOW_ISO, ...o });
  const ready = { snapshotHandle: "snap-handle-1", readyToUse: true, creationTime: CREATED_NS, restoreSize: 1073741824 };

  it.each([
    ["not deleting", dynamic({ annotations: BEING_DELETED }), false],
    ["deleting without the controller's annotation (deleted directly, snapshot still there)", deleting({}), false],
    ["deleting with being-deleted", deleting({ annotations: BEING_DELETED }), true],
    ["being-created wins over being-deleted", deleting({ annotations: { ...BEING_DELETED, ...BEING_CREATED } }), false],
    ["static and never bound", deleting({ snapshotHandle: "h", snapshotUid: "" }), true],
  ])("shouldDelete: %s → %s", (_, c, expected) => {
    expect(shouldDelete(c)).toBe(expected);
  });

  it("Delete policy: DeleteSnapshot with the deletion secret, then clear the handle fields and release the finalizer", () => {
    const c = deleting({ annotations: { ...BEING_DELETED, [ANNOTATIONS.deletionSecretName]: "s", [ANNOTATIONS.deletionSecretNamespace]: "ns" }, status: ready });
    const plan = planInvoke({ content: c, nowMs: NOW });
    expect(plan.steps).toEqual([]);
    expect(plan.call).toEqual({ kind: "deleteSnapshot", driver: DRIVER, snapshotId: "snap-handle-1", secretRef: { name: "s", namespace: "ns" } });
    const after = afterDelete(c, { ok: true, value: undefined }, NOW);
    const cleared = { ...c, status: {} };
    expect(after.steps).toEqual([
      {
        op: "updateStatus",
        resource: "volumesnapshotcontents",
        object: cleared,
        onFailure: { on: c, reason: "SnapshotDeleteError", message: "Failed to clear content status", component: COMPONENT },
      },
      update({ ...cleared, metadata: { ...cleared.metadata, finalizers: [] } }),
    ]);
  });

  it("a failed DeleteSnapshot keeps the finalizer: SnapshotDeleteError and retry", () => {
    const c = deleting({ annotations: BEING_DELETED, status: ready });
    const after = afterDelete(c, { ok: false, failure: { code: "FAILED_PRECONDITION", message: "in use" } }, NOW);
    expect(after.steps).toEqual([warn(c, "SnapshotDeleteError", "Failed to delete snapshot")]);
    expect(after.verdict).toMatchObject({
      kind: "requeue",
      reason: 'failed to delete snapshot "snapcontent-snapuid1", err: failed to delete snapshot content snapcontent-snapuid1: "rpc error: code = FailedPrecondition desc = in use"',
    });
  });

  it.each([
    ["Retain", deleting({ annotations: BEING_DELETED, deletionPolicy: "Retain", status: ready })],
    ["group member", deleting({ annotations: BEING_DELETED, status: { ...ready, volumeGroupSnapshotHandle: "G" } })],
    ["never created", deleting({ annotations: BEING_DELETED })],
  ])("%s: finalizer released without a DeleteSnapshot", (_, c) => {
    const plan = planInvoke({ content: c, nowMs: NOW });
    expect(plan.call).toBeUndefined();
    expect(plan.steps).toEqual([update({ ...c, metadata: { ...c.metadata, finalizers: [] } })]);
  });

  it("a deleting content whose create is still in flight keeps re-issuing CreateSnapshot (no leak)", () => {
    const c = annotated(deleting({ annotations: BEING_DELETED }), BEING_CREATED);
    const plan = planInvoke({ content: c, snapshotClass: gold, nowMs: NOW });
    expect(plan.call?.kind).toBe("createSnapshot");
    expect(plan.steps).toEqual([]);
  });

  it("unreadable deletion secret annotations → SnapshotDeleteError, retry", () => {
    const c = deleting({ annotations: { ...BEING_DELETED, [ANNOTATIONS.deletionSecretName]: "", [ANNOTATIONS.deletionSecretNamespace]: "" }, status: ready });
    const plan = planInvoke({ content: c, nowMs: NOW });
    expect(plan.steps).toEqual([warn(c, "SnapshotDeleteError", "Failed to get snapshot credentials")]);
    expect(plan.verdict).toMatchObject({
      kind: "requeue",
      reason:
        'failed to get input parameters to delete snapshot for content snapcontent-snapuid1: "cannot retrieve secrets for snapshot content \\"snapcontent-snapuid1\\", err: secret name or namespace not specified"',
    });
  });

  it("finalizer already gone → nothing", () => {
    expect(planInvoke({ content: deleting({ annotations: BEING_DELETED, finalizers: [] }), nowMs: NOW }).verdict.kind).toBe("nothing");
  });
});

describe("invoke: a content deleted directly", () => {
  // Upstream's sidecar acts on a deleting bound content only with the controller's being-deleted
  // mark, which the controller sets only while the content's snapshot is being deleted. A content
  // deleted by hand stays Terminating, also when its snapshot is gone: a content copied into another
  // cluster must never destroy the backend snapshot the first cluster still uses.
  const direct = (o: Parameters<typeof newContent>[0] = {}) =>
    newContent({ className: "gold", finalizers: [FINALIZERS.contentBound], deletionTimestamp: NOW_ISO, status: { snapshotHandle: "h", readyToUse: true }, ...o });

  it.each([
    ["a ready content", direct()],
    ["a Delete content", direct({ deletionPolicy: "Delete" })],
    ["a Retain content", direct({ deletionPolicy: "Retain" })],
    ["a static content", direct({ snapshotHandle: "h" })],
  ])("stays Terminating, no call and no write: %s", (_, c) => {
    const plan = planInvoke({ content: c, snapshotClass: gold, nowMs: NOW });
    expect(plan.steps).toEqual([]);
    expect(plan.call).toBeUndefined();
    expect(plan.verdict.kind).toBe("nothing");
  });

  it("is deleted per its policy once the controller marks it (its snapshot being deleted)", () => {
    const plan = planInvoke({ content: direct({ annotations: BEING_DELETED, deletionPolicy: "Delete" }), snapshotClass: gold, nowMs: NOW });
    expect(plan.call).toMatchObject({ kind: "deleteSnapshot", snapshotId: "h" });
  });
});
