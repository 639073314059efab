import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER } from "../admission/storage-object-in-use-protection.js";
import { startDevCluster, type DevCluster } from "../index.js";
import type { KObject } from "../resource-def.js";
import { claimNamesOf, podUsesClaim, protectionAction, volumeInUse } from "./storage-protection.js";

const k = (o: Record<string, any>) => o as KObject;
const claim = (name: string, meta: Record<string, any> = {}) => k({ metadata: { name, namespace: "default", uid: `uid-${name}`, ...meta } });
const pod = (spec: Record<string, any>, meta: Record<string, any> = {}) =>
  k({ metadata: { name: "web", namespace: "default", uid: "pod-uid", ...meta }, spec: { nodeName: "node1", ...spec }, status: { phase: "Running" } });
const pvcVolume = (claimName: string) => ({ name: "data", persistentVolumeClaim: { claimName } });
const ephemeral = (name: string) => ({ name, ephemeral: { volumeClaimTemplate: { spec: {} } } });
const ownedByPod = { ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: "web", uid: "pod-uid", controller: true }] };

describe("pvc-protection: does a pod use the claim (upstream's podUsesPVC)", () => {
  it.each([
    { name: "scheduled pod naming the claim", pod: pod({ volumes: [pvcVolume("data")] }), claim: claim("data"), want: true },
    { name: "unscheduled pod naming the claim", pod: pod({ nodeName: undefined, volumes: [pvcVolume("data")] }), claim: claim("data"), want: false },
    { name: "finished (Succeeded) pod still naming the claim", pod: { ...pod({ volumes: [pvcVolume("data")] }), status: { phase: "Succeeded" } }, claim: claim("data"), want: true },
    { name: "failed pod still naming the claim", pod: { ...pod({ volumes: [pvcVolume("data")] }), status: { phase: "Failed" } }, claim: claim("data"), want: true },
    { name: "pod naming another claim, plus an emptyDir", pod: pod({ volumes: [pvcVolume("other"), { name: "tmp", emptyDir: {} }] }), claim: claim("data"), want: false },
    { name: "same claim name in another namespace", pod: pod({ volumes: [pvcVolume("data")] }, { namespace: "other" }), claim: claim("data"), want: false },
    { name: "pod without volumes", pod: pod({}), claim: claim("data"), want: false },
    { name: "ephemeral volume's claim, controlled by the pod", pod: pod({ volumes: [ephemeral("scratch")] }), claim: claim("web-scratch", ownedByPod), want: true },
    { name: "ephemeral volume's name, claim not owned by the pod", pod: pod({ volumes: [ephemeral("scratch")] }), claim: claim("web-scratch"), want: false },
    {
      name: "ephemeral claim owned by the pod, but only as a non-controller",
      pod: pod({ volumes: [ephemeral("scratch")] }),
      claim: claim("web-scratch", { ownerReferences: [{ ...ownedByPod.ownerReferences[0], controller: false }] }),
      want: false,
    },
    {
      name: "ephemeral claim of a pod that is shut down (deleting, zero grace period)",
      pod: pod({ volumes: [ephemeral("scratch")] }, { deletionTimestamp: "2026-01-01T00:00:00Z", deletionGracePeriodSeconds: 0 }),
      claim: claim("web-scratch", ownedByPod),
      want: false,
    },
    {
      name: "ephemeral claim of a pod still terminating gracefully",
      pod: pod({ volumes: [ephemeral("scratch")] }, { deletionTimestamp: "2026-01-01T00:00:00Z", deletionGracePeriodSeconds: 30 }),
      claim: claim("web-scratch", ownedByPod),
      want: true,
    },
    {
      name: "a shut-down pod still naming a claim directly",
      pod: pod({ volumes: [pvcVolume("data")] }, { deletionTimestamp: "2026-01-01T00:00:00Z", deletionGracePeriodSeconds: 0 }),
      claim: claim("data"),
      want: true,
    },
  ])("$name → $want", ({ pod, claim, want }) => {
    expect(podUsesClaim(k(pod), claim)).toBe(want);
  });

  it("lists the claims a pod names, ephemeral ones as <pod>-<volume>", () => {
    expect(claimNamesOf(pod({ volumes: [pvcVolume("data"), ephemeral("scratch"), { name: "tmp", emptyDir: {} }] }))).toEqual(["data", "web-scratch"]);
  });
});

describe("protection decision (upstream's IsDeletionCandidate / NeedToAddFinalizer)", () => {
  const F = PVC_PROTECTION_FINALIZER;
  const deleting = { deletionTimestamp: "2026-01-01T00:00:00Z" };
  it.each([
    { name: "live, finalizer missing → add", meta: {}, inUse: false, want: "add" },
    { name: "live, finalizer present → nothing", meta: { finalizers: [F] }, inUse: false, want: "none" },
    { name: "deleting, unused → remove", meta: { ...deleting, finalizers: ["example.com/x", F] }, inUse: false, want: "remove" },
    { name: "deleting, in use → keep", meta: { ...deleting, finalizers: [F] }, inUse: true, want: "none" },
    { name: "deleting without the finalizer → never re-added", meta: { ...deleting, finalizers: ["example.com/x"] }, inUse: false, want: "none" },
  ])("$name", ({ meta, inUse, want }) => {
    expect(protectionAction(claim("c", meta), F, () => inUse)).toBe(want);
  });

  it.each([
    { phase: "Bound", want: true },
    { phase: "Released", want: false },
    { phase: "Available", want: false },
    { phase: "Pending", want: false },
    { phase: "Failed", want: false },
  ])("a PV in phase $phase is in use: $want", ({ phase, want }) => {
    expect(volumeInUse(k({ metadata: { name: "pv" }, status: { phase } }))).toBe(want);
  });
});

describe("storage object in-use protection in the dev cluster", () => {
  let cluster: DevCluster;
  const dataDir = mkdtempSync(join(tmpdir(), "protection-test-"));
  beforeAll(async () => {
    cluster = await startDevCluster({ dataDir });
  });
  afterAll(async () => {
    await cluster?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function req(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<{ status: number; body: any }> {
    const res = await fetch(cluster.url + path, { method, headers: body === undefined ? {} : { "content-type": contentType }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  /** Lets the controllers run their queues long enough that a wrong release would have happened. */
  const settle = () => new Promise((r) => setTimeout(r, 300));

  const PVCS = "/api/v1/namespaces/default/persistentvolumeclaims";
  const PODS = "/api/v1/namespaces/default/pods";
  const PVS = "/api/v1/persistentvolumes";
  const pvcBody = (name: string, meta: Record<string, any> = {}) => ({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, ...meta },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
  });
  const podBody = (name: string, volumes: unknown[], extra: Record<string, any> = {}) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name },
    spec: { nodeName: "node1", containers: [{ name: "app", image: "busybox" }], volumes, ...extra },
  });
  const pvBody = (name: string, claimRef?: Record<string, string>) => ({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name },
    spec: { capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], csi: { driver: "hostpath.snapflow.dev", volumeHandle: name }, ...(claimRef ? { claimRef } : {}) },
  });
  const gone = (path: string) => async () => (await req("GET", path)).status === 404;

  it("admission gives new claims and volumes their finalizer, after the client's, once", async () => {
    expect((await req("POST", PVCS, pvcBody("plain"))).body.metadata.finalizers).toEqual([PVC_PROTECTION_FINALIZER]);
    expect((await req("POST", PVCS, pvcBody("others", { finalizers: ["example.com/a"] }))).body.metadata.finalizers).toEqual(["example.com/a", PVC_PROTECTION_FINALIZER]);
    expect((await req("POST", PVCS, pvcBody("already", { finalizers: [PVC_PROTECTION_FINALIZER, "example.com/a"] }))).body.metadata.finalizers).toEqual([
      PVC_PROTECTION_FINALIZER,
      "example.com/a",
    ]);
    expect((await req("POST", `${PVCS}?dryRun=All`, pvcBody("dry"))).body.metadata.finalizers).toEqual([PVC_PROTECTION_FINALIZER]);
    expect((await req("POST", PVS, pvBody("pv-plain"))).body.metadata.finalizers).toEqual([PV_PROTECTION_FINALIZER]);
    // Not admission on update: a client that strips it sees it come back from the controller.
    const stripped = await req("PATCH", `${PVCS}/plain`, { metadata: { finalizers: null } }, "application/merge-patch+json");
    expect(stripped.body.metadata.finalizers).toBeUndefined();
    await eventually("the finalizer re-added", async () => (await req("GET", `${PVCS}/plain`)).body.metadata.finalizers?.[0] === PVC_PROTECTION_FINALIZER);
  });

  it("a deleted claim nobody uses goes at once; another finalizer keeps it, untouched", async () => {
    await req("POST", PVCS, pvcBody("unused"));
    expect((await req("DELETE", `${PVCS}/unused`)).status).toBe(200);
    await eventually("unused claim gone", gone(`${PVCS}/unused`));

    await req("POST", PVCS, pvcBody("held", { finalizers: ["example.com/hold"] }));
    await req("DELETE", `${PVCS}/held`);
    await eventually("pvc-protection released", async () => !(await req("GET", `${PVCS}/held`)).body.metadata.finalizers.includes(PVC_PROTECTION_FINALIZER));
    const held = (await req("GET", `${PVCS}/held`)).body;
    expect(held.metadata.finalizers).toEqual(["example.com/hold"]);
    expect(held.metadata.deletionTimestamp).toBeDefined();
  });

  it("a scheduled pod naming the claim keeps it Terminating, finished or not, until the pod is deleted", async () => {
    await req("POST", PVCS, pvcBody("used"));
    const created = await req("POST", PODS, podBody("user", [{ name: "data", persistentVolumeClaim: { claimName: "used" } }]));
    expect(created.status).toBe(201);
    await req("DELETE", `${PVCS}/used`);
    await settle();
    expect((await req("GET", `${PVCS}/used`)).body.metadata.finalizers).toEqual([PVC_PROTECTION_FINALIZER]);

    // A pod that finished but still exists keeps the claim (upstream's "finished but is not deleted").
    const status = await req("PATCH", `${PODS}/user/status`, { status: { phase: "Succeeded" } }, "application/merge-patch+json");
    expect(status.body.status.phase).toBe("Succeeded");
    await settle();
    expect((await req("GET", `${PVCS}/used`)).status).toBe(200);

    await req("DELETE", `${PODS}/user`);
    await eventually("claim released once the pod is gone", gone(`${PVCS}/used`));
  });

  it("an unscheduled pod does not hold the claim", async () => {
    await req("POST", PVCS, pvcBody("pending-use"));
    await req("POST", PODS, podBody("unscheduled", [{ name: "data", persistentVolumeClaim: { claimName: "pending-use" } }], { nodeName: undefined }));
    await req("DELETE", `${PVCS}/pending-use`);
    await eventually("claim gone", gone(`${PVCS}/pending-use`));
  });

  it("a generic ephemeral volume holds only the claim its pod controls", async () => {
    const p = (await req("POST", PODS, podBody("eph", [{ name: "scratch", ephemeral: { volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } } } }]))).body;
    const owner = { apiVersion: "v1", kind: "Pod", name: "eph", uid: p.metadata.uid, controller: true, blockOwnerDeletion: true };
    await req("POST", PVCS, pvcBody("eph-scratch", { ownerReferences: [owner] }));
    await req("DELETE", `${PVCS}/eph-scratch`);
    await settle();
    expect((await req("GET", `${PVCS}/eph-scratch`)).status).toBe(200);
    // Orphaning keeps the claim while its pod goes; the pod's DELETED event releases it.
    await req("DELETE", `${PODS}/eph`, { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Orphan" });
    await eventually("ephemeral claim released", gone(`${PVCS}/eph-scratch`));
  });

  it("a Bound volume stays Terminating until its claim is gone and it is Released", async () => {
    await req("POST", PVS, pvBody("pv-bound", { namespace: "default", name: "bound-claim" }));
    await req("POST", PVCS, pvcBody("bound-claim"));
    await eventually("bound", async () => (await req("GET", `${PVS}/pv-bound`)).body.status?.phase === "Bound");
    await req("DELETE", `${PVS}/pv-bound`);
    await settle();
    const kept = (await req("GET", `${PVS}/pv-bound`)).body;
    expect(kept.metadata.finalizers).toEqual([PV_PROTECTION_FINALIZER]);
    expect(kept.status.phase).toBe("Bound");
    await req("DELETE", `${PVCS}/bound-claim`);
    await eventually("volume gone once released", gone(`${PVS}/pv-bound`));
  });

  it("an unbound volume goes at once", async () => {
    await req("POST", PVS, pvBody("pv-free"));
    await req("DELETE", `${PVS}/pv-free`);
    await eventually("free volume gone", gone(`${PVS}/pv-free`));
  });
});
