// The dev cluster's REST semantics over real HTTP: metadata, concurrency, patches, deletion,
// status subresource, selectors and paging, and bad input.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Harness, PVC, PVCS, VS, eventually } from "./harness.js";

const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

describe("metadata", () => {
  it("fills uid, creationTimestamp and an increasing resourceVersion; generateName makes a name", async () => {
    const a = await h.req("POST", PVCS, PVC("meta-a"));
    expect(a.status).toBe(201);
    expect(a.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.body.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(a.body.status).toEqual({ phase: "Pending" });
    const b = await h.req("POST", PVCS, { ...PVC(""), metadata: { generateName: "gen-" } });
    expect(b.status).toBe(201);
    expect(b.body.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
    expect(Number(b.body.metadata.resourceVersion)).toBeGreaterThan(Number(a.body.metadata.resourceVersion));
  });

  it("bumps generation of a custom resource on spec changes only", async () => {
    const created = await h.req("POST", VS, { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", metadata: { name: "gen1" }, spec: { source: { persistentVolumeClaimName: "x" } } });
    expect(created.body.metadata.generation).toBe(1);
    const labeled = await h.patch(`${VS}/gen1`, "merge", { metadata: { labels: { a: "b" } } });
    expect(labeled.body.metadata.generation).toBe(1);
    const spec = await h.patch(`${VS}/gen1`, "merge", { spec: { volumeSnapshotClassName: "c" } });
    expect(spec.body.metadata.generation).toBe(2);
  });
});

describe("optimistic concurrency", () => {
  it("answers a stale update with kube's 409 message and stores nothing", async () => {
    const created = (await h.req("POST", PVCS, PVC("occ"))).body;
    const first = await h.req("PUT", `${PVCS}/occ`, { ...created, metadata: { ...created.metadata, labels: { v: "1" } } });
    expect(first.status).toBe(200);
    const stale = await h.req("PUT", `${PVCS}/occ`, { ...created, metadata: { ...created.metadata, labels: { v: "2" } } });
    expect(stale.status).toBe(409);
    expect(stale.body.reason).toBe("Conflict");
    expect(stale.body.message).toBe(
      'Operation cannot be fulfilled on persistentvolumeclaims "occ": the object has been modified; please apply your changes to the latest version and try again',
    );
    expect((await h.req("GET", `${PVCS}/occ`)).body.metadata.labels).toEqual({ v: "1" });
  });

  it("uses <plural>.<group> for custom resources and 409 AlreadyExists on a duplicate create", async () => {
    const vs = { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", metadata: { name: "occ-vs" }, spec: { source: { persistentVolumeClaimName: "x" } } };
    const created = (await h.req("POST", VS, vs)).body;
    await h.patch(`${VS}/occ-vs`, "merge", { metadata: { labels: { a: "1" } } });
    const stale = await h.req("PUT", `${VS}/occ-vs`, created);
    expect(stale.status).toBe(409);
    expect(stale.body.message).toContain('Operation cannot be fulfilled on volumesnapshots.snapshot.storage.k8s.io "occ-vs": the object has been modified');
    const dup = await h.req("POST", VS, vs);
    expect(dup.status).toBe(409);
    expect(dup.body.reason).toBe("AlreadyExists");
    expect(dup.body.message).toBe('volumesnapshots.snapshot.storage.k8s.io "occ-vs" already exists');
  });

  it("lets exactly one of many racing conditional writers win", async () => {
    const created = (await h.req("POST", PVCS, PVC("race"))).body;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => h.req("PUT", `${PVCS}/race`, { ...created, metadata: { ...created.metadata, labels: { w: String(i) } } })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(7);
  });
});

describe("patches", () => {
  it("strategic merge patch honours kubectl's directives and merge keys", async () => {
    const created = await h.req("POST", PVCS, PVC("smp", {
      finalizers: ["example.com/one", "example.com/two", "example.com/three"],
      labels: { a: "1", b: "2" },
      ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "o1", uid: "u1" }],
    }));
    expect(created.status).toBe(201);
    const r = await h.patch(`${PVCS}/smp`, "strategic", {
      metadata: {
        "$deleteFromPrimitiveList/finalizers": ["example.com/one"],
        "$setElementOrder/finalizers": ["example.com/three", "example.com/two"],
        finalizers: ["example.com/three"],
        labels: { b: null, c: "3" },
        ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "o2", uid: "u2" }],
      },
    });
    expect(r.status).toBe(200);
    // The admission-added kubernetes.io/pvc-protection is a server-only item: kube's
    // mergeSortedSlice places it by its server position, after the ordered ones.
    expect(r.body.metadata.finalizers).toEqual(["example.com/three", "example.com/two", "kubernetes.io/pvc-protection"]);
    expect(r.body.metadata.labels).toEqual({ a: "1", c: "3" });
    expect(r.body.metadata.ownerReferences.map((o: any) => o.uid)).toEqual(["u1", "u2"]);
    const del = await h.patch(`${PVCS}/smp`, "strategic", { metadata: { ownerReferences: [{ uid: "u1", $patch: "delete" }], finalizers: null } });
    expect(del.body.metadata.ownerReferences.map((o: any) => o.uid)).toEqual(["u2"]);
    expect(del.body.metadata.finalizers).toBeUndefined();
  });

  it("JSON patch applies RFC 6902 operations and rejects a failed test with 422", async () => {
    await h.req("POST", PVCS, PVC("jp"));
    const ok = await h.patch(`${PVCS}/jp`, "json", [
      { op: "add", path: "/metadata/labels", value: { "x/y": "z" } },
      { op: "test", path: "/metadata/labels/x~1y", value: "z" },
      { op: "copy", from: "/metadata/labels", path: "/metadata/annotations" },
    ]);
    expect(ok.status).toBe(200);
    expect(ok.body.metadata.annotations).toEqual({ "x/y": "z" });
    const bad = await h.patch(`${PVCS}/jp`, "json", [{ op: "test", path: "/metadata/name", value: "other" }]);
    expect(bad.status).toBe(422);
  });

  it("refuses strategic merge patch on a custom resource with 415", async () => {
    await h.req("POST", VS, { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", metadata: { name: "smp-cr" }, spec: { source: { persistentVolumeClaimName: "x" } } });
    const r = await h.patch(`${VS}/smp-cr`, "strategic", { metadata: { labels: { a: "b" } } });
    expect(r.status).toBe(415);
    expect(r.body.reason).toBe("UnsupportedMediaType");
    expect(r.body.message).toBe(
      "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
    );
  });

  it("server-side apply creates when absent and merges when present", async () => {
    const body = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "ssa", labels: { a: "1" } }, data: { k: "v" } };
    const created = await h.patch("/api/v1/namespaces/default/configmaps/ssa?fieldManager=t", "apply", body);
    expect(created.status).toBe(201);
    const merged = await h.patch("/api/v1/namespaces/default/configmaps/ssa?fieldManager=t", "apply", { ...body, data: { k2: "v2" } });
    expect(merged.status).toBe(200);
    expect(merged.body.data).toEqual({ k: "v", k2: "v2" });
  });
});

describe("status subresource", () => {
  it("ignores status on the main resource and everything but status on /status", async () => {
    const vs = { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", metadata: { name: "st" }, spec: { source: { persistentVolumeClaimName: "x" } }, status: { readyToUse: true } };
    const created = await h.req("POST", VS, vs);
    expect(created.body.status).toBeUndefined();
    const st = await h.req("PUT", `${VS}/st/status`, { ...created.body, metadata: { ...created.body.metadata, labels: { ignored: "yes" } }, spec: { source: { persistentVolumeClaimName: "changed" } }, status: { readyToUse: false } });
    expect(st.status).toBe(200);
    expect(st.body.status).toEqual({ readyToUse: false });
    expect(st.body.spec.source.persistentVolumeClaimName).toBe("x");
    expect(st.body.metadata.labels).toBeUndefined();
    const main = await h.req("PUT", `${VS}/st`, { ...st.body, status: { readyToUse: true } });
    expect(main.body.status).toEqual({ readyToUse: false });
  });
});

describe("deletion", () => {
  it("with finalizers only marks; the object goes when the last finalizer is removed", async () => {
    await h.req("POST", PVCS, PVC("fin", { finalizers: ["example.com/hold"] }));
    const del = await h.req("DELETE", `${PVCS}/fin`, { propagationPolicy: "Background" });
    expect(del.status).toBe(200);
    expect(del.body.metadata.deletionTimestamp).toBeDefined();
    const adding = await h.patch(`${PVCS}/fin`, "merge", { metadata: { finalizers: ["example.com/hold", "example.com/new"] } });
    expect(adding.status).toBe(422);
    expect(adding.body.message).toContain("no new finalizers can be added if the object is being deleted");
    const released = await h.patch(`${PVCS}/fin`, "merge", { metadata: { finalizers: null } });
    expect(released.status).toBe(200);
    expect((await h.req("GET", `${PVCS}/fin`)).status).toBe(404);
  });

  it("returns a Success Status for a built-in and honours preconditions", async () => {
    // A ConfigMap: a claim always carries kubernetes.io/pvc-protection, so its DELETE answers with
    // the claim marked for deletion (below), as on a real cluster.
    const CMS = "/api/v1/namespaces/default/configmaps";
    const created = (await h.req("POST", CMS, { metadata: { name: "pre" } })).body;
    const wrong = await h.req("DELETE", `${CMS}/pre`, { preconditions: { uid: "not-it" } });
    expect(wrong.status).toBe(409);
    const ok = await h.req("DELETE", `${CMS}/pre`, { preconditions: { uid: created.metadata.uid } });
    expect(ok.body).toMatchObject({ kind: "Status", status: "Success", details: { name: "pre", kind: "configmaps" } });
    const missing = await h.req("DELETE", `${CMS}/pre`);
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('configmaps "pre" not found');

    const claim = (await h.req("POST", PVCS, PVC("pre"))).body;
    expect((await h.req("DELETE", `${PVCS}/pre`, { preconditions: { uid: "not-it" } })).status).toBe(409);
    const marked = await h.req("DELETE", `${PVCS}/pre`, { preconditions: { uid: claim.metadata.uid } });
    expect(marked.status).toBe(200);
    expect(marked.body.metadata.deletionTimestamp).toBeDefined();
    expect(marked.body.metadata.finalizers).toEqual(["kubernetes.io/pvc-protection"]);
    await eventually(async () => (await h.req("GET", `${PVCS}/pre`)).status === 404);
    const gone = await h.req("DELETE", `${PVCS}/pre`);
    expect(gone.status).toBe(404);
    expect(gone.body.message).toBe('persistentvolumeclaims "pre" not found');
  });

  it("cascades to dependents in the background and orphans on request", async () => {
    const owner = (await h.req("POST", "/api/v1/namespaces/default/configmaps", { metadata: { name: "owner" } })).body;
    const ref = [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata.uid }];
    await h.req("POST", "/api/v1/namespaces/default/configmaps", { metadata: { name: "dep1", ownerReferences: ref } });
    await h.req("POST", VS, { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", metadata: { name: "dep2", ownerReferences: ref }, spec: { source: { persistentVolumeClaimName: "x" } } });
    await h.req("DELETE", "/api/v1/namespaces/default/configmaps/owner", { propagationPolicy: "Background" });
    await eventually(async () => (await h.req("GET", "/api/v1/namespaces/default/configmaps/dep1")).status === 404);
    await eventually(async () => (await h.req("GET", `${VS}/dep2`)).status === 404);

    const owner2 = (await h.req("POST", "/api/v1/namespaces/default/configmaps", { metadata: { name: "owner2" } })).body;
    await h.req("POST", "/api/v1/namespaces/default/configmaps", { metadata: { name: "kept", ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner2", uid: owner2.metadata.uid }] } });
    await h.req("DELETE", "/api/v1/namespaces/default/configmaps/owner2", { propagationPolicy: "Orphan" });
    const kept = await h.req("GET", "/api/v1/namespaces/default/configmaps/kept");
    expect(kept.status).toBe(200);
    expect(kept.body.metadata.ownerReferences).toBeUndefined();
  });

  it("deletes a namespace with its content and refuses new content while it terminates", async () => {
    await h.req("POST", "/api/v1/namespaces", { metadata: { name: "doomed" } });
    await h.req("POST", "/api/v1/namespaces/doomed/persistentvolumeclaims", PVC("a"));
    await h.req("POST", "/api/v1/namespaces/doomed/configmaps", { metadata: { name: "held", finalizers: ["example.com/x"] } });
    const del = await h.req("DELETE", "/api/v1/namespaces/doomed");
    expect(del.body.status.phase).toBe("Terminating");
    const refused = await h.req("POST", "/api/v1/namespaces/doomed/configmaps", { metadata: { name: "late" } });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain("unable to create new content in namespace doomed because it is being terminated");
    await eventually(async () => (await h.req("GET", "/api/v1/namespaces/doomed/persistentvolumeclaims/a")).status === 404);
    expect((await h.req("GET", "/api/v1/namespaces/doomed")).status).toBe(200);
    await h.patch("/api/v1/namespaces/doomed/configmaps/held", "merge", { metadata: { finalizers: null } });
    await eventually(async () => (await h.req("GET", "/api/v1/namespaces/doomed")).status === 404);
  });
});

describe("PV/PVC binder", () => {
  const pv = (name: string, spec: Record<string, unknown> = {}) => ({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name },
    spec: { capacity: { storage: "2Gi" }, accessModes: ["ReadWriteOnce"], persistentVolumeReclaimPolicy: "Retain", csi: { driver: "d", volumeHandle: name }, ...spec },
  });

  it("marks a free PV Available and binds it to a claim that names it in spec.volumeName", async () => {
    await h.req("POST", "/api/v1/persistentvolumes", pv("free-pv"));
    await eventually(async () => (await h.req("GET", "/api/v1/persistentvolumes/free-pv")).body.status.phase === "Available");
    const claim = (await h.req("POST", PVCS, { ...PVC("wants-free"), spec: { ...PVC("x").spec, volumeName: "free-pv" } })).body;
    const bound = await eventually(async () => {
      const r = await h.req("GET", `${PVCS}/wants-free`);
      return r.body.status.phase === "Bound" ? r.body : undefined;
    });
    expect(bound.status).toMatchObject({ capacity: { storage: "2Gi" }, accessModes: ["ReadWriteOnce"] });
    const volume = (await h.req("GET", "/api/v1/persistentvolumes/free-pv")).body;
    expect(volume.status.phase).toBe("Bound");
    expect(volume.spec.claimRef).toMatchObject({ namespace: "default", name: "wants-free", uid: claim.metadata.uid });
  });

  it("copies the PV's capacity onto the claim only as it becomes Bound: a PV grown later (node resize pending) leaves the claim's alone", async () => {
    await h.req("POST", "/api/v1/persistentvolumes", pv("grown-pv", { claimRef: { namespace: "default", name: "grown-claim" } }));
    await h.req("POST", PVCS, PVC("grown-claim"));
    await eventually(async () => (await h.req("GET", `${PVCS}/grown-claim`)).body.status?.phase === "Bound");
    await h.patch("/api/v1/persistentvolumes/grown-pv", "merge", { spec: { capacity: { storage: "5Gi" } } });
    // A later change the binder does act on (the access modes), so its pass over the claim is seen.
    await h.patch("/api/v1/persistentvolumes/grown-pv", "merge", { spec: { accessModes: ["ReadWriteOnce", "ReadOnlyMany"] } });
    const claim = await eventually(async () => {
      const r = await h.req("GET", `${PVCS}/grown-claim`);
      return r.body.status.accessModes.length === 2 ? r.body : undefined;
    });
    expect(claim.status.capacity).toEqual({ storage: "2Gi" });
  });

  it("a claim bound to a PV marked with its pre-resize capacity gets that capacity", async () => {
    await h.req("POST", "/api/v1/persistentvolumes", {
      ...pv("marked-pv", { capacity: { storage: "5Gi" }, claimRef: { namespace: "default", name: "marked-claim" } }),
      metadata: { name: "marked-pv", annotations: { "volume.alpha.kubernetes.io/pre-resize-capacity": "2Gi" } },
    });
    await h.req("POST", PVCS, PVC("marked-claim"));
    const bound = await eventually(async () => {
      const r = await h.req("GET", `${PVCS}/marked-claim`);
      return r.body.status?.phase === "Bound" ? r.body : undefined;
    });
    expect(bound.status.capacity).toEqual({ storage: "2Gi" });
  });

  it("releases the PV when its claim goes (reclaim is the provisioner's business)", async () => {
    await h.req("POST", "/api/v1/persistentvolumes", pv("pre-pv", { claimRef: { namespace: "default", name: "pre-claim" } }));
    await h.req("POST", PVCS, PVC("pre-claim"));
    await eventually(async () => (await h.req("GET", `${PVCS}/pre-claim`)).body.spec.volumeName === "pre-pv");
    await h.req("DELETE", `${PVCS}/pre-claim`);
    const released = await eventually(async () => {
      const r = await h.req("GET", "/api/v1/persistentvolumes/pre-pv");
      return r.body.status.phase === "Released" ? r.body : undefined;
    });
    expect(released.spec.claimRef.name).toBe("pre-claim");
    expect(released.metadata.deletionTimestamp).toBeUndefined();
  });

  it("still releases a PV deleted while bound and held by a finalizer, once its claim goes", async () => {
    // kube-controller-manager keeps syncing a terminating PV: that is how a provisioner's finalizer
    // gets to delete the volume of a PV deleted before its claim.
    await h.req("POST", "/api/v1/persistentvolumes", { ...pv("held-pv", { claimRef: { namespace: "default", name: "held-claim" } }), metadata: { name: "held-pv", finalizers: ["example.com/hold"] } });
    await h.req("POST", PVCS, PVC("held-claim"));
    await eventually(async () => (await h.req("GET", `${PVCS}/held-claim`)).body.spec.volumeName === "held-pv");
    await h.req("DELETE", "/api/v1/persistentvolumes/held-pv");
    await h.req("DELETE", `${PVCS}/held-claim`);
    const released = await eventually(async () => {
      const r = await h.req("GET", "/api/v1/persistentvolumes/held-pv");
      return r.body.status.phase === "Released" ? r.body : undefined;
    });
    expect(released.metadata.deletionTimestamp).toBeDefined();
    await h.patch("/api/v1/persistentvolumes/held-pv", "merge", { metadata: { finalizers: null } });
  });
});

// kube-apiserver decodes every quantity of a built-in object into resource.Quantity and stores its
// canonical text (apimachinery pkg/api/resource/quantity.go): clients read back that text.
describe("quantities", () => {
  it("a claim's requests, limits, capacity and allocatedResources are stored in canonical form", async () => {
    const created = await h.req("POST", PVCS, {
      ...PVC("q-claim"),
      spec: { ...PVC("x").spec, resources: { requests: { storage: "1.5Gi" }, limits: { storage: "3072Mi" } } },
    });
    expect(created.status).toBe(201);
    expect(created.body.spec.resources).toEqual({ requests: { storage: "1536Mi" }, limits: { storage: "3Gi" } });
    expect((await h.req("GET", `${PVCS}/q-claim`)).body.spec.resources.requests).toEqual({ storage: "1536Mi" });
    const status = await h.req("PUT", `${PVCS}/q-claim/status`, {
      ...created.body,
      status: { phase: "Pending", capacity: { storage: "0.5Ti" }, allocatedResources: { storage: "1000M" } },
    });
    expect(status.status).toBe(200);
    expect(status.body.status).toMatchObject({ capacity: { storage: "512Gi" }, allocatedResources: { storage: "1G" } });
  });

  it("the same size in another spelling changes nothing: no new resourceVersion", async () => {
    const created = (await h.req("POST", PVCS, { ...PVC("q-same"), spec: { ...PVC("x").spec, resources: { requests: { storage: "1Gi" } } } })).body;
    const again = await h.req("PUT", `${PVCS}/q-same`, { ...created, spec: { ...created.spec, resources: { requests: { storage: "1024Mi" } } } });
    expect(again.status).toBe(200);
    expect(again.body.spec.resources.requests).toEqual({ storage: "1Gi" });
    expect(again.body.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
  });

  it("a PV's capacity is stored in canonical form, on create (a JSON number too) and on patch", async () => {
    const pv = (storage: string | number) => ({
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: "q-pv" },
      spec: { capacity: { storage }, accessModes: ["ReadWriteOnce"], persistentVolumeReclaimPolicy: "Retain", csi: { driver: "d", volumeHandle: "q-pv" } },
    });
    const created = await h.req("POST", "/api/v1/persistentvolumes", pv(2000000000));
    expect(created.body.spec.capacity).toEqual({ storage: "2G" });
    expect((await h.patch("/api/v1/persistentvolumes/q-pv", "merge", { spec: { capacity: { storage: "2048Mi" } } })).body.spec.capacity).toEqual({ storage: "2Gi" });
    const patched = await h.patch("/api/v1/persistentvolumes/q-pv", "merge", { spec: { capacity: { storage: "1.5Gi" } } });
    expect(patched.body.spec.capacity).toEqual({ storage: "1536Mi" });
    expect((await h.req("GET", "/api/v1/persistentvolumes/q-pv")).body.spec.capacity).toEqual({ storage: "1536Mi" });
  });
});

describe("list", () => {
  it("filters by label (equality and set-based) and field selectors, and pages with limit/continue", async () => {
    await h.req("POST", "/api/v1/namespaces", { metadata: { name: "sel" } });
    for (const [name, tier] of [["l1", "web"], ["l2", "db"], ["l3", "cache"], ["l4", "web"]])
      await h.req("POST", "/api/v1/namespaces/sel/configmaps", { metadata: { name, labels: { tier } } });
    const base = "/api/v1/namespaces/sel/configmaps";
    const names = (r: any) => r.body.items.map((i: any) => i.metadata.name);
    expect(names(await h.req("GET", `${base}?labelSelector=tier%3Dweb`))).toEqual(["l1", "l4"]);
    expect(names(await h.req("GET", `${base}?labelSelector=${encodeURIComponent("tier in (db,cache)")}`))).toEqual(["l2", "l3"]);
    expect(names(await h.req("GET", `${base}?labelSelector=${encodeURIComponent("tier notin (web),tier")}`))).toEqual(["l2", "l3"]);
    expect(names(await h.req("GET", `${base}?labelSelector=${encodeURIComponent("!tier")}`))).toEqual([]);
    expect(names(await h.req("GET", `${base}?fieldSelector=metadata.name%3Dl3`))).toEqual(["l3"]);
    expect(names(await h.req("GET", `/api/v1/configmaps?fieldSelector=metadata.namespace%3Dsel,metadata.name!%3Dl1`))).toEqual(["l2", "l3", "l4"]);
    const bad = await h.req("GET", `${base}?fieldSelector=spec.foo%3Dx`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe("field label not supported: spec.foo");
    const page1 = await h.req("GET", `${base}?limit=3`);
    expect(names(page1)).toEqual(["l1", "l2", "l3"]);
    expect(page1.body.metadata.remainingItemCount).toBe(1);
    const page2 = await h.req("GET", `${base}?limit=3&continue=${page1.body.metadata.continue}`);
    expect(names(page2)).toEqual(["l4"]);
    expect(page2.body.metadata.continue).toBeUndefined();
  });

  it("selects events by involvedObject fields", async () => {
    const ev = (name: string, obj: string) => ({ metadata: { name }, involvedObject: { kind: "PersistentVolumeClaim", name: obj, namespace: "default" }, reason: "R", message: "m", type: "Normal" });
    await h.req("POST", "/api/v1/namespaces/default/events", ev("e1", "x"));
    await h.req("POST", "/api/v1/namespaces/default/events", ev("e2", "y"));
    const r = await h.req("GET", "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dy,involvedObject.kind%3DPersistentVolumeClaim");
    expect(r.body.items.map((i: any) => i.metadata.name)).toEqual(["e2"]);
  });

  it("serves core Events through events.k8s.io/v1 and back", async () => {
    await h.req("POST", "/api/v1/namespaces/default/events", { metadata: { name: "core-ev" }, involvedObject: { kind: "VolumeSnapshot", name: "vs1" }, reason: "Made", message: "from core", type: "Normal", count: 2 });
    const v1 = await h.req("GET", "/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=regarding.name%3Dvs1");
    expect(v1.body.items).toHaveLength(1);
    expect(v1.body.items[0]).toMatchObject({ apiVersion: "events.k8s.io/v1", kind: "Event", note: "from core", regarding: { name: "vs1" }, deprecatedCount: 2 });
    const made = await h.req("POST", "/apis/events.k8s.io/v1/namespaces/default/events", { metadata: { name: "v1-ev" }, regarding: { kind: "PersistentVolumeClaim", name: "p1" }, reason: "R", note: "from v1", type: "Warning", eventTime: "2026-01-01T00:00:00.000000Z", reportingController: "snapflow", reportingInstance: "x", action: "Act" });
    expect(made.status).toBe(201);
    const core = await h.req("GET", "/api/v1/namespaces/default/events/v1-ev");
    expect(core.body).toMatchObject({ apiVersion: "v1", message: "from v1", involvedObject: { name: "p1" }, reportingComponent: "snapflow" });
  });

  it("deletes a collection by label", async () => {
    await h.req("POST", "/api/v1/namespaces", { metadata: { name: "dc" } });
    for (const n of ["a", "b", "c"]) await h.req("POST", "/api/v1/namespaces/dc/configmaps", { metadata: { name: n, labels: { drop: n === "c" ? "no" : "yes" } } });
    const r = await h.req("DELETE", "/api/v1/namespaces/dc/configmaps?labelSelector=drop%3Dyes");
    expect(r.status).toBe(200);
    expect((await h.req("GET", "/api/v1/namespaces/dc/configmaps")).body.items.map((i: any) => i.metadata.name)).toEqual(["c"]);
  });
});

describe("bad input", () => {
  const count = async () => (await h.req("GET", PVCS)).body.items.length;

  it("answers each with a Status and stores nothing", async () => {
    const before = await count();
    const malformed = await h.req("POST", PVCS, "{not json");
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ kind: "Status", status: "Failure", reason: "BadRequest" });
    const wrongKind = await h.req("POST", PVCS, { ...PVC("wk"), kind: "ConfigMap" });
    expect(wrongKind.status).toBe(400);
    const wrongVersion = await h.req("POST", PVCS, { ...PVC("wv"), apiVersion: "v2" });
    expect(wrongVersion.status).toBe(400);
    const unknown = await h.req("GET", "/api/v1/namespaces/default/widgets");
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toBe("the server could not find the requested resource");
    const huge = await h.req("POST", PVCS, { ...PVC("huge"), metadata: { name: "huge", annotations: { big: "x".repeat(3 * 1024 * 1024 + 10) } } });
    expect(huge.status).toBe(413);
    expect(huge.body.reason).toBe("RequestEntityTooLarge");
    const badName = await h.req("POST", PVCS, PVC("Bad_Name"));
    expect(badName.status).toBe(422);
    expect(badName.body.reason).toBe("Invalid");
    expect(badName.body.message).toContain('PersistentVolumeClaim "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain');
    expect(badName.body.details.causes[0]).toMatchObject({ reason: "FieldValueInvalid", field: "metadata.name" });
    const noNs = await h.req("POST", "/api/v1/namespaces/nope/configmaps", { metadata: { name: "x" } });
    expect(noNs.status).toBe(404);
    expect(await count()).toBe(before);
  });

  it("keeps immutable ConfigMaps and the default namespace", async () => {
    await h.req("POST", "/api/v1/namespaces/default/configmaps", { metadata: { name: "frozen" }, data: { a: "1" }, immutable: true });
    const changed = await h.patch("/api/v1/namespaces/default/configmaps/frozen", "merge", { data: { a: "2" } });
    expect(changed.status).toBe(422);
    expect(changed.body.message).toContain("data: Forbidden: field is immutable when `immutable` is set");
    const ns = await h.req("DELETE", "/api/v1/namespaces/default");
    expect(ns.status).toBe(403);
    expect(ns.body.message).toBe('namespaces "default" is forbidden: this namespace may not be deleted');
  });

  it("refuses an invalid custom resource with the CRD rule's message", async () => {
    const r = await h.req("POST", VS, { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", metadata: { name: "bad1" }, spec: { source: { persistentVolumeClaimName: "a", volumeSnapshotContentName: "b" } } });
    expect(r.status).toBe(422);
    expect(r.body.message).toContain("exactly one of volumeSnapshotContentName and persistentVolumeClaimName must be set");
    expect((await h.req("GET", `${VS}/bad1`)).status).toBe(404);
  });

  it("refuses a CRD whose rule does not compile with 422 and serves a good one at once", async () => {
    const crd = (rule: string) => ({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "widgets.example.com" },
      spec: {
        group: "example.com",
        names: { plural: "widgets", kind: "Widget", shortNames: ["wd"] },
        scope: "Namespaced",
        versions: [{ name: "v1", served: true, storage: true, subresources: { status: {} }, additionalPrinterColumns: [{ name: "Size", type: "integer", jsonPath: ".spec.size" }], schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", properties: { size: { type: "integer", default: 3 } }, "x-kubernetes-validations": [{ rule, message: "size too big" }] } } } } }],
      },
    });
    const bad = await h.req("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd("self.size <"));
    expect(bad.status).toBe(422);
    const good = await h.req("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd("self.size < 10"));
    expect(good.status).toBe(201);
    const w = await h.req("POST", "/apis/example.com/v1/namespaces/default/widgets", { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec: { extra: 1 } });
    expect(w.status).toBe(201);
    expect(w.body.spec).toEqual({ size: 3 });
    const big = await h.req("POST", "/apis/example.com/v1/namespaces/default/widgets", { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w2" }, spec: { size: 11 } });
    expect(big.status).toBe(422);
    expect(big.body.message).toContain("size too big");
    const strict = await h.req("POST", "/apis/example.com/v1/namespaces/default/widgets?fieldValidation=Strict", { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w3" }, spec: { extra: 1 } });
    expect(strict.status).toBe(400);
    expect(strict.body.message).toContain('strict decoding error: unknown field "spec.extra"');
    const table = await h.req("GET", "/apis/example.com/v1/namespaces/default/widgets", undefined, { accept: "application/json;as=Table;v=v1;g=meta.k8s.io" });
    expect(table.body.columnDefinitions.map((c: any) => c.name)).toEqual(["Name", "Size"]);
    expect(table.body.rows[0].cells).toEqual(["w", 3]);
    await h.req("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com");
    expect((await h.req("GET", "/apis/example.com/v1/namespaces/default/widgets")).status).toBe(404);
  });
});

describe("request log", () => {
  it("records method, path, user agent and kube verb", async () => {
    await h.req("GET", `${PVCS}?limit=1`, undefined, { "user-agent": "probe/1.0" });
    const entry = h.cluster.requestLog.findLast((e) => e.userAgent === "probe/1.0");
    expect(entry).toMatchObject({ method: "GET", path: PVCS, query: "limit=1", verb: "list", resource: "persistentvolumeclaims", namespace: "default", code: 200 });
  });
});

describe("PVC data sources", () => {
  // kube-apiserver's NormalizeDataSources (AnyVolumeDataSource, on by default): dataSource and a
  // local dataSourceRef are mirrored into each other; a dataSourceRef naming a namespace is not.
  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    [
      "dataSource only → dataSourceRef too",
      { dataSource: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "s" } },
      { dataSource: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "s" }, dataSourceRef: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "s" } },
    ],
    ["a core-group dataSource only → dataSourceRef too", { dataSource: { kind: "PersistentVolumeClaim", name: "p" } }, { dataSource: { kind: "PersistentVolumeClaim", name: "p" }, dataSourceRef: { kind: "PersistentVolumeClaim", name: "p" } }],
    ["a local dataSourceRef only → dataSource too", { dataSourceRef: { apiGroup: "example.com", kind: "Backup", name: "b" } }, { dataSource: { apiGroup: "example.com", kind: "Backup", name: "b" }, dataSourceRef: { apiGroup: "example.com", kind: "Backup", name: "b" } }],
    ["a dataSourceRef naming a namespace → left alone", { dataSourceRef: { kind: "PersistentVolumeClaim", name: "p", namespace: "other" } }, { dataSourceRef: { kind: "PersistentVolumeClaim", name: "p", namespace: "other" } }],
  ])("%s", async (_, sources, want) => {
    const name = `ds-${Math.random().toString(36).slice(2, 8)}`;
    const created = await h.req("POST", PVCS, { ...PVC(name), spec: { ...PVC(name).spec, storageClassName: "", ...sources } });
    expect(created.status).toBe(201);
    expect({ dataSource: created.body.spec.dataSource, dataSourceRef: created.body.spec.dataSourceRef }).toEqual({ dataSource: undefined, dataSourceRef: undefined, ...want });
  });
});

describe("default StorageClass", () => {
  const SCS = "/apis/storage.k8s.io/v1/storageclasses";
  const standard = {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: "dflt", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
    provisioner: "example.com/csi",
  };

  it("gives a claim without a class the default one, keeps an explicit empty class, and allows a class to be set later", async () => {
    const before = await h.req("POST", PVCS, PVC("no-default-yet"));
    expect(before.body.spec.storageClassName).toBeUndefined();
    expect((await h.req("POST", SCS, standard)).status).toBe(201);
    const defaulted = await h.req("POST", PVCS, PVC("defaulted"));
    expect(defaulted.body.spec.storageClassName).toBe("dflt");
    const explicit = await h.req("POST", PVCS, { ...PVC("classless"), spec: { ...PVC("x").spec, storageClassName: "" } });
    expect(explicit.body.spec.storageClassName).toBe("");
    const later = await h.patch(`${PVCS}/no-default-yet`, "merge", { spec: { storageClassName: "dflt" } });
    expect(later.status).toBe(200);
    const change = await h.patch(`${PVCS}/defaulted`, "merge", { spec: { storageClassName: "other" } });
    expect(change.status).toBe(422);
    expect((await h.req("DELETE", `${SCS}/dflt`)).status).toBe(200);
  });
});
