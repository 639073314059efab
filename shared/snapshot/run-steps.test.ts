// Table-driven: a plan's write fails at run time → which Warnings are recorded and which error
// status lands on the snapshot (upstream's updateSnapshotErrorStatusWithEvent after a failed write).
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../api/meta.js";
import type { VolumeSnapshot } from "../api/snapshot.js";
import type { EventRecorder, Logger } from "../function/types.js";
import { KubeApiError, type KubeClient } from "../kube/types.js";
import { newContent, newSnapshot } from "./fixtures.js";
import { runSteps } from "./run-steps.js";
import type { FailureEvent, Step } from "./steps.js";

interface Call {
  verb: string;
  object: KubeObject;
}

/** A KubeClient whose writes to `failing` (verb) throw `error`; every other write succeeds and bumps the version. */
function fakeKube(failing: string, error: KubeApiError, calls: Call[]): KubeClient {
  let rv = 10;
  const write = (verb: string) => async <T extends KubeObject>(_type: unknown, object: T): Promise<T> => {
    calls.push({ verb, object });
    if (verb === failing) throw error;
    return { ...object, metadata: { ...object.metadata, resourceVersion: String(++rv) } };
  };
  return {
    get: async () => undefined,
    list: async () => ({ items: [], metadata: {} }),
    create: write("create"),
    update: write("update"),
    updateStatus: write("updateStatus"),
    patch: async () => {
      throw new Error("unused");
    },
    delete: async () => undefined,
  } as unknown as KubeClient;
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const vs = newSnapshot({ finalizers: ["snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection"] });
const creationFailed = (readyFalse: boolean): FailureEvent => ({
  on: vs,
  reason: "SnapshotContentCreationFailed",
  message: "Failed to create snapshot content with error snapshot controller failed to update default/snap-1 on API server: {err}",
  errorStatus: { setReadyFalse: readyFalse },
});
const serverError = new KubeApiError(500, "InternalError", "etcd is sad");

describe("runSteps: failure reports", () => {
  it.each<[string, FailureEvent | FailureEvent[], KubeApiError, string[], VolumeSnapshot["status"] | undefined]>([
    [
      "an Event, then an error status with readyToUse false and its Event",
      [{ on: vs, reason: "CreateSnapshotContentFailed", message: "Error creating volume snapshot content object for snapshot default/snap-1: {err}." }, creationFailed(true)],
      serverError,
      [
        "CreateSnapshotContentFailed Error creating volume snapshot content object for snapshot default/snap-1: etcd is sad.",
        "SnapshotContentCreationFailed Failed to create snapshot content with error snapshot controller failed to update default/snap-1 on API server: etcd is sad",
      ],
      {
        readyToUse: false,
        error: { time: expect.any(String), message: "Failed to create snapshot content with error snapshot controller failed to update default/snap-1 on API server: etcd is sad" },
      },
    ],
    [
      "readyToUse untouched when not asked",
      creationFailed(false),
      serverError,
      ["SnapshotContentCreationFailed Failed to create snapshot content with error snapshot controller failed to update default/snap-1 on API server: etcd is sad"],
      { error: { time: expect.any(String), message: "Failed to create snapshot content with error snapshot controller failed to update default/snap-1 on API server: etcd is sad" } },
    ],
    ["a conflict is only redelivered: no Event, no error status", [creationFailed(true)], new KubeApiError(409, "Conflict", "modified"), [], undefined],
  ])("%s", async (_, onFailure, error, events, status) => {
    const calls: Call[] = [];
    const recorded: string[] = [];
    const recorder: EventRecorder = { record: async (_o, e) => void recorded.push(`${e.reason} ${e.message}`) };
    const steps: Step[] = [
      { op: "update", resource: "volumesnapshots", object: vs },
      { op: "create", resource: "volumesnapshotcontents", object: newContent(), alreadyExistsOk: true, onFailure },
    ];
    await expect(runSteps({ kube: fakeKube("create", error, calls), recorder, log: quiet }, steps)).rejects.toBe(error);
    expect(recorded).toEqual(events);
    const statusWrites = calls.filter((c) => c.verb === "updateStatus");
    if (status === undefined) {
      expect(statusWrites).toEqual([]);
      return;
    }
    expect(statusWrites).toHaveLength(1);
    const written = statusWrites[0]!.object as VolumeSnapshot;
    // Written over the version the plan's own earlier write returned, not the stale one it read.
    expect(written.metadata.resourceVersion).toBe("11");
    expect(written.status).toEqual(status);
  });

  it("the same error already on the snapshot: no write and no Event (upstream de-duplicates by message, §2.7)", async () => {
    const message = "Snapshot failed to bind VolumeSnapshotContent, etcd is sad";
    const failed = { ...vs, status: { readyToUse: false, error: { time: "t", message } } };
    const calls: Call[] = [];
    const recorded: string[] = [];
    const recorder: EventRecorder = { record: async (_o, e) => void recorded.push(e.reason) };
    const steps: Step[] = [
      {
        op: "update",
        resource: "volumesnapshotcontents",
        object: newContent(),
        onFailure: { on: failed, reason: "SnapshotBindFailed", message: "Snapshot failed to bind VolumeSnapshotContent, {err}", errorStatus: { setReadyFalse: true } },
      },
    ];
    await expect(runSteps({ kube: fakeKube("update", serverError, calls), recorder, log: quiet }, steps)).rejects.toBe(serverError);
    expect(calls.filter((c) => c.verb === "updateStatus")).toEqual([]);
    expect(recorded).toEqual([]);
  });
});

describe("runSteps: failure reports on a VolumeGroupSnapshot (reference §4.2 unready sync, §4.2.1)", () => {
  it("an error status lands on the group through its own status subresource, over the version the plan's earlier write returned", async () => {
    const group = {
      apiVersion: "groupsnapshot.storage.k8s.io/v1",
      kind: "VolumeGroupSnapshot",
      metadata: { name: "group-1", namespace: "default", uid: "g1", resourceVersion: "1" },
      spec: { source: { selector: { matchLabels: { a: "b" } } } },
    } as KubeObject;
    const message = "failed to create group snapshot content with error snapshot controller failed to update default/group-1 on API server: {err}";
    const statusWrites: { plural: string; object: KubeObject }[] = [];
    const recorded: string[] = [];
    let rv = 10;
    const kube = {
      update: async <T extends KubeObject>(_t: unknown, object: T) => ({ ...object, metadata: { ...object.metadata, resourceVersion: String(++rv) } }),
      create: async () => {
        throw serverError;
      },
      updateStatus: async <T extends KubeObject>(t: { plural: string }, object: T) => {
        statusWrites.push({ plural: t.plural, object });
        return object;
      },
    } as unknown as KubeClient;
    const recorder: EventRecorder = { record: async (_o, e) => void recorded.push(`${e.reason} ${e.message}`) };
    const steps: Step[] = [
      { op: "update", resource: "volumegroupsnapshots", object: group },
      {
        op: "create",
        resource: "volumegroupsnapshotcontents",
        object: { apiVersion: "groupsnapshot.storage.k8s.io/v1", kind: "VolumeGroupSnapshotContent", metadata: { name: "groupsnapcontent-g1" } } as KubeObject,
        alreadyExistsOk: true,
        onFailure: { on: group, reason: "GroupSnapshotContentCreationFailed", message, errorStatus: { setReadyFalse: true } },
      },
    ];
    await expect(runSteps({ kube, recorder, log: quiet }, steps)).rejects.toBe(serverError);
    const final = message.replace("{err}", "etcd is sad");
    expect(recorded).toEqual([`GroupSnapshotContentCreationFailed ${final}`]);
    expect(statusWrites).toHaveLength(1);
    expect(statusWrites[0]!.plural).toBe("volumegroupsnapshots");
    expect(statusWrites[0]!.object.metadata.resourceVersion).toBe("11");
    expect((statusWrites[0]!.object as { status?: unknown }).status).toEqual({ readyToUse: false, error: { time: expect.any(String), message: final } });
  });
});

describe("runSteps: a required Event (the durable record of a call about to be made)", () => {
  const on = { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "c", namespace: "default", uid: "u" } } as KubeObject;
  const failing = new Error("events are down");
  const recorder = (strict: boolean): EventRecorder => ({
    record: async () => {
      // record never fails the caller (it logs)
    },
    ...(strict
      ? {
          recordStrictly: async () => {
            throw failing;
          },
        }
      : {}),
  });

  it("a failed write of a required Event stops the run: the steps after it do not happen", async () => {
    const calls: Call[] = [];
    const steps: Step[] = [
      { op: "event", on, type: "Normal", reason: "Provisioning", message: "m", required: true },
      { op: "update", resource: "persistentvolumeclaims", object: on },
    ];
    await expect(runSteps({ kube: fakeKube("none", serverError, calls), recorder: recorder(true), log: quiet }, steps)).rejects.toBe(failing);
    expect(calls).toEqual([]);
  });

  it("an Event that is not required is logged and skipped when its write fails", async () => {
    const calls: Call[] = [];
    const steps: Step[] = [
      { op: "event", on, type: "Normal", reason: "Provisioning", message: "m" },
      { op: "update", resource: "persistentvolumeclaims", object: on },
    ];
    const { did } = await runSteps({ kube: fakeKube("none", serverError, calls), recorder: recorder(true), log: quiet }, steps);
    expect(calls.map((c) => c.verb)).toEqual(["update"]);
    expect(did).toEqual(["event Provisioning on default/c", "updated persistentvolumeclaims default/c"]);
  });
});
