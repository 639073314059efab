// The machine's kubectl drives the dev cluster end to end. Every run gets its own --cache-dir and
// a KUBECONFIG pointing at this test's server.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Harness } from "./harness.js";

const KUBECTL = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].find((p) => existsSync(p)) ?? "kubectl";
const h = new Harness();
let cacheRoot: string;
let runs = 0;
const live = new Set<ChildProcess>();

beforeAll(async () => {
  await h.start();
  cacheRoot = mkdtempSync(join(h.dataDir, "kubectl-cache-"));
});
afterAll(async () => {
  for (const child of live) child.kill("SIGKILL");
  await h.stop();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs kubectl; with `until`, stops it (SIGTERM) once stdout satisfies the predicate. */
function kubectl(args: string[], opts: { stdin?: string; until?: (out: string) => boolean } = {}): Promise<Run> {
  const cacheDir = join(cacheRoot, String(runs++));
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL, ["--cache-dir", cacheDir, ...args], {
      env: { ...process.env, KUBECONFIG: h.cluster.kubeconfigPath, HOME: cacheRoot },
      stdio: ["pipe", "pipe", "pipe"],
    });
    live.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
      if (opts.until?.(stdout)) child.kill("SIGTERM");
    });
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      live.delete(child);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? "");
  });
}

function file(name: string, text: string): string {
  const p = join(h.dataDir, name);
  writeFileSync(p, text);
  return p;
}

const pvcYaml = (labels: string, finalizers: string) => `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
  labels: {${labels}}
  finalizers: [${finalizers}]
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
  storageClassName: standard
`;

describe("kubectl on PVCs", () => {
  it("applies, re-applies, labels, patches, watches and deletes", async () => {
    const created = await kubectl(["apply", "-f", file("pvc1.yaml", pvcYaml("app: demo", "example.com/one, example.com/two"))]);
    expect(created.stderr).toBe("");
    expect(created.stdout.trim()).toBe("persistentvolumeclaim/data created");

    const table = await kubectl(["get", "pvc"]);
    expect(table.stdout.split("\n")[0].split(/\s+/)).toEqual(["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS", "MODES", "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "AGE"]);
    expect(table.stdout).toMatch(/^data\s+Pending\s+standard\s+<unset>/m);

    const reapplied = await kubectl(["apply", "-f", file("pvc2.yaml", pvcYaml("app: demo2", "example.com/two"))]);
    expect(reapplied.stdout.trim()).toBe("persistentvolumeclaim/data configured");
    const after = JSON.parse((await kubectl(["get", "pvc", "data", "-o", "json"])).stdout);
    expect(after.metadata.labels).toEqual({ app: "demo2" });
    // kubectl's three-way merge drops only what the old manifest had; the admission-added
    // pvc-protection finalizer was never in it and stays, as on a real cluster.
    expect(after.metadata.finalizers).toEqual(["example.com/two", "kubernetes.io/pvc-protection"]);

    expect((await kubectl(["label", "pvc", "data", "tier=gold"])).stdout.trim()).toBe("persistentvolumeclaim/data labeled");
    expect((await kubectl(["patch", "pvc", "data", "-p", '{"metadata":{"annotations":{"a":"b"}}}'])).stdout.trim()).toBe("persistentvolumeclaim/data patched");
    expect((await kubectl(["patch", "pvc", "data", "--type=json", "-p", '[{"op":"add","path":"/metadata/annotations/c","value":"d"}]'])).stdout.trim()).toBe("persistentvolumeclaim/data patched");
    const immutable = await kubectl(["patch", "pvc", "data", "-p", '{"spec":{"accessModes":["ReadWriteMany"]}}']);
    expect(immutable.code).toBe(1);
    expect(immutable.stderr).toContain('The PersistentVolumeClaim "data" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims');

    const labels = await kubectl(["get", "pvc", "-l", "tier in (gold,silver)", "--show-labels"]);
    expect(labels.stdout).toContain("app=demo2,tier=gold");

    const watch = kubectl(["get", "pvc", "data", "-w", "--output-watch-events"], { until: (out) => /^DELETED\s+data\s/m.test(out) });
    await new Promise((r) => setTimeout(r, 300));
    const deleted = await kubectl(["delete", "pvc", "data", "--wait=false"]);
    expect(deleted.stdout.trim()).toBe('persistentvolumeclaim "data" deleted');
    const terminating = await kubectl(["get", "pvc", "data"]);
    expect(terminating.stdout).toMatch(/^data\s+Terminating/m);
    await kubectl(["patch", "pvc", "data", "--type=merge", "-p", '{"metadata":{"finalizers":null}}']);
    const watched = await watch;
    expect(watched.stdout).toMatch(/^ADDED\s+data\s+Pending/m);
    expect(watched.stdout).toMatch(/^MODIFIED\s+data\s+Terminating/m);
    expect(watched.stdout).toMatch(/^DELETED\s+data/m);
    const missing = await kubectl(["get", "pvc", "data"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error from server (NotFound): persistentvolumeclaims "data" not found');
  });

  it("binds a pre-bound PV and its claim, and waits for it", async () => {
    const yaml = `apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-pre}
spec:
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Delete
  claimRef: {namespace: default, name: claim-pre}
  csi: {driver: hostpath.snapflow.dev, volumeHandle: vol-pre}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim-pre}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`;
    expect((await kubectl(["apply", "-f", file("pv.yaml", yaml)])).code).toBe(0);
    const waited = await kubectl(["wait", "--for=jsonpath={.status.phase}=Bound", "pvc/claim-pre", "--timeout=20s"]);
    expect(waited.stdout.trim()).toBe("persistentvolumeclaim/claim-pre condition met");
    const pvs = await kubectl(["get", "pv", "pv-pre"]);
    expect(pvs.stdout).toMatch(/^pv-pre\s+5Gi\s+RWO\s+Delete\s+Bound\s+default\/claim-pre/m);
    const pvc = await kubectl(["get", "pvc", "claim-pre"]);
    expect(pvc.stdout).toMatch(/^claim-pre\s+Bound\s+pv-pre\s+5Gi\s+RWO/m);
    const shrink = await kubectl(["patch", "pvc", "claim-pre", "-p", '{"spec":{"resources":{"requests":{"storage":"500Mi"}}}}']);
    expect(shrink.stderr).toContain("spec.resources.requests.storage: Forbidden: field can not be less than previous value");
    expect((await kubectl(["patch", "pvc", "claim-pre", "-p", '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}'])).code).toBe(0);
    await kubectl(["delete", "pvc", "claim-pre"]);
    const released = await kubectl(["wait", "--for=jsonpath={.status.phase}=Released", "pv/pv-pre", "--timeout=20s"]);
    expect(released.stdout.trim()).toBe("persistentvolume/pv-pre condition met");
  });
});

describe("kubectl and storage object in-use protection", () => {
  it("a claim used by a scheduled pod stays Terminating until the pod is deleted; volumes carry pv-protection", async () => {
    const yaml = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: protected}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: user}
spec:
  nodeName: node1
  containers: [{name: app, image: busybox}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: protected}}]
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-protected}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  csi: {driver: hostpath.snapflow.dev, volumeHandle: vol-protected}
`;
    const applied = await kubectl(["apply", "-f", file("protected.yaml", yaml)]);
    expect(applied.stderr).toBe("");
    expect(applied.stdout.trim().split("\n")).toEqual(["persistentvolumeclaim/protected created", "pod/user created", "persistentvolume/pv-protected created"]);
    expect((await kubectl(["get", "pvc", "protected", "-o", "jsonpath={.metadata.finalizers}"])).stdout).toBe('["kubernetes.io/pvc-protection"]');
    expect((await kubectl(["get", "pv", "pv-protected", "-o", "jsonpath={.metadata.finalizers}"])).stdout).toBe('["kubernetes.io/pv-protection"]');

    expect((await kubectl(["delete", "pvc", "protected", "--wait=false"])).stdout.trim()).toBe('persistentvolumeclaim "protected" deleted');
    // Long enough for the controller to have released it, were the pod not counted.
    await new Promise((r) => setTimeout(r, 500));
    expect((await kubectl(["get", "pvc", "protected"])).stdout).toMatch(/^protected\s+Terminating/m);
    expect((await kubectl(["get", "pvc", "protected", "-o", "jsonpath={.metadata.finalizers}"])).stdout).toBe('["kubernetes.io/pvc-protection"]');

    expect((await kubectl(["delete", "pod", "user"])).stdout.trim()).toBe('pod "user" deleted');
    const released = await kubectl(["wait", "--for=delete", "pvc/protected", "--timeout=20s"]);
    expect(released.code).toBe(0);
    expect((await kubectl(["get", "pvc", "protected"])).stderr).toContain('persistentvolumeclaims "protected" not found');

    expect((await kubectl(["delete", "pv", "pv-protected"])).stdout.trim()).toBe('persistentvolume "pv-protected" deleted');
  });
});

describe("kubectl create generators (protobuf bodies)", () => {
  it("creates a namespace, a secret and a configmap, and deletes the namespace with its content", async () => {
    expect((await kubectl(["create", "namespace", "gen"])).stdout.trim()).toBe("namespace/gen created");
    expect((await kubectl(["-n", "gen", "create", "secret", "generic", "creds", "--from-literal=password=hunter2"])).stdout.trim()).toBe("secret/creds created");
    expect((await kubectl(["-n", "gen", "create", "configmap", "cfg", "--from-literal=a=b"])).stdout.trim()).toBe("configmap/cfg created");
    const secret = JSON.parse((await kubectl(["-n", "gen", "get", "secret", "creds", "-o", "json"])).stdout);
    expect(secret.data).toEqual({ password: Buffer.from("hunter2").toString("base64") });
    expect(secret.type).toBe("Opaque");
    expect((await kubectl(["delete", "namespace", "gen"])).stdout.trim()).toBe('namespace "gen" deleted');
    const gone = await kubectl(["get", "namespace", "gen"]);
    expect(gone.stderr).toContain('namespaces "gen" not found');
  });
});

const vsYaml = (name: string, spec: string) => `apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata: {name: ${name}}
spec:
${spec}
`;

describe("kubectl on snapshot kinds", () => {
  it("applies, lists with upstream's columns, patches status, waits, explains and deletes", async () => {
    const applied = await kubectl(["apply", "-f", file("vs.yaml", vsYaml("snap1", "  volumeSnapshotClassName: cls\n  source: {persistentVolumeClaimName: data}"))]);
    expect(applied.stdout.trim()).toBe("volumesnapshot.snapshot.storage.k8s.io/snap1 created");
    const again = await kubectl(["apply", "-f", file("vs2.yaml", vsYaml("snap1", "  volumeSnapshotClassName: other\n  source: {persistentVolumeClaimName: data}"))]);
    expect(again.stdout.trim()).toBe("volumesnapshot.snapshot.storage.k8s.io/snap1 configured");

    const list = await kubectl(["get", "volumesnapshot"]);
    expect(list.stdout.split("\n")[0].split(/\s+/)).toEqual([
      "NAME", "READYTOUSE", "SOURCEPVC", "SOURCESNAPSHOTCONTENT", "RESTORESIZE", "SNAPSHOTCLASS", "SNAPSHOTCONTENT", "CREATIONTIME", "AGE",
    ]);
    expect(list.stdout).toMatch(/^snap1\s+data\s+other\s+/m);

    const wait = kubectl(["wait", "--for=jsonpath={.status.readyToUse}=true", "vs/snap1", "--timeout=20s"]);
    await new Promise((r) => setTimeout(r, 300));
    const status = await kubectl(["patch", "vs", "snap1", "--type=merge", "--subresource=status", "-p", '{"status":{"readyToUse":true,"restoreSize":"1Gi","boundVolumeSnapshotContentName":"snapcontent-x"}}']);
    expect(status.stdout.trim()).toBe("volumesnapshot.snapshot.storage.k8s.io/snap1 patched");
    expect((await wait).stdout.trim()).toBe("volumesnapshot.snapshot.storage.k8s.io/snap1 condition met");
    expect((await kubectl(["get", "vs"])).stdout).toMatch(/^snap1\s+true\s+data\s+1Gi\s+other\s+snapcontent-x\s+/m);

    const smp = await kubectl(["patch", "vs", "snap1", "-p", '{"metadata":{"labels":{"a":"b"}}}']);
    expect(smp.code).toBe(1);
    expect(smp.stderr).toContain("application/strategic-merge-patch+json is not supported by snapshot.storage.k8s.io/v1, Kind=VolumeSnapshot");
    expect((await kubectl(["label", "vs", "snap1", "a=b"])).stdout.trim()).toBe("volumesnapshot.snapshot.storage.k8s.io/snap1 labeled");

    const ssa = await kubectl(["apply", "--server-side", "-f", "-"], { stdin: vsYaml("snap2", "  source: {persistentVolumeClaimName: data}") });
    expect(ssa.stdout.trim()).toBe("volumesnapshot.snapshot.storage.k8s.io/snap2 serverside-applied");

    const explain = await kubectl(["explain", "volumesnapshot.spec.source"]);
    expect(explain.code).toBe(0);
    expect(explain.stdout).toContain("persistentVolumeClaimName\t<string>");
    expect(explain.stdout).toContain("volumeSnapshotContentName\t<string>");
    const explainContent = await kubectl(["explain", "volumesnapshotcontent.spec.deletionPolicy"]);
    expect(explainContent.stdout).toContain("deletionPolicy");

    const classes = await kubectl(["get", "vsclass"]);
    expect(classes.code).toBe(0);
    expect(classes.stderr).toContain("No resources found");

    const deleted = await kubectl(["delete", "vs", "snap1", "snap2"]);
    expect(deleted.stdout).toContain('volumesnapshot.snapshot.storage.k8s.io "snap1" deleted');
    expect((await kubectl(["get", "vs"])).stderr).toContain("No resources found in default namespace.");
  });

  it("refuses an invalid VolumeSnapshot with the CRD rule's message", async () => {
    const bad = await kubectl(["apply", "-f", file("bad.yaml", vsYaml("bad1", '  volumeSnapshotClassName: ""\n  source: {persistentVolumeClaimName: a, volumeSnapshotContentName: b}'))]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('The VolumeSnapshot "bad1" is invalid:');
    expect(bad.stderr).toContain('* spec.source: Invalid value: "object": exactly one of volumeSnapshotContentName and persistentVolumeClaimName must be set');
    expect(bad.stderr).toContain('* spec.volumeSnapshotClassName: Invalid value: "string": volumeSnapshotClassName must not be the empty string when set');
    const none = await kubectl(["get", "vs", "bad1"]);
    expect(none.code).toBe(1);
  });
});
