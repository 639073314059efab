// `snapflow up` as a user runs it, then a second start on the same data dir: nothing is lost.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readAudit, type AuditEntry } from "../../events/audit/reader.js";
import { K8S_STREAM } from "../../events/jetstream/subjects.js";
import { jetstreamManager } from "@nats-io/jetstream";
import { allFunctions } from "../../cli/functions.js";
import { startStack, type RunningStack } from "../../cli/stack/stack.js";
import type { Endpoints } from "../../cli/stack/endpoints.js";
import type { KubeObject } from "../../shared/api/meta.js";
import { RESOURCES } from "../../shared/api/resources.js";
import { createKubeClient } from "../../shared/kube/http-client.js";
import { startDevCluster } from "../../infra/devcluster/index.js";
import { startTestNats } from "../support/nats.js";
import { waitFor } from "./wait.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "snapflow-up-"));
const dataDir = join(dir, "stack");
let stack: RunningStack | undefined;

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function pvc(name: string): KubeObject & Record<string, unknown> {
  return { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name, namespace: "default" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Mi" } } } };
}

describe("snapflow up", () => {
  let firstUid = "";
  let streamMessages = 0;

  // The CLI process starts here (tsx loads it: several seconds on a busy 2-core machine).
  it("brings the stack to ready from a clean dir, writes the contract files, and stops every child on SIGTERM", { timeout: 90_000 }, async () => {
    const child = spawn(process.execPath, ["bin/snapflow.mjs", "up", "--data-dir", dataDir, "--random-ports", "--cluster-name", "uptest"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      // DIR/ready comes first, the printed summary right after it.
      await waitFor("DIR/ready and the summary", () => (existsSync(join(dataDir, "ready")) && stdout.includes("Ctrl-C stops everything")) || child.exitCode !== null, 80_000);
      if (!existsSync(join(dataDir, "ready"))) throw new Error(`snapflow up exited (${child.exitCode}) before ready:\n${stdout}\n${stderr}`);
      // Node and SDK warnings may appear on stderr; a failure to start may not.
      expect(stderr, stderr).not.toMatch(/snapflow up:|Error/);
      const endpoints = JSON.parse(readFileSync(join(dataDir, "endpoints.json"), "utf8")) as Endpoints;
      expect(Object.keys(endpoints).sort()).toEqual(["api", "cluster", "functions", "gateway", "hostpathSocket", "kubeconfig", "nats"]);
      expect(endpoints.cluster).toBe("uptest");
      expect(endpoints.kubeconfig).toBe(join(dataDir, "kubeconfig"));
      expect(stdout, stdout).toContain("snapflow is up");
      expect(stdout).toContain(`export KUBECONFIG=${join(dataDir, "kubeconfig")}`);

      const kube = createKubeClient(endpoints.kubeconfig);
      const sc = await kube.get<KubeObject & { provisioner: string; allowVolumeExpansion: boolean }>(RESOURCES.storageclasses, "standard");
      expect(sc).toMatchObject({ provisioner: "hostpath.snapflow.dev", allowVolumeExpansion: true, metadata: { annotations: { "storageclass.kubernetes.io/is-default-class": "true" } } });
      expect(await kube.get(RESOURCES.volumesnapshotclasses, "snapflow-hostpath")).toMatchObject({ driver: "hostpath.snapflow.dev", deletionPolicy: "Delete" });
      expect(await kube.get(RESOURCES.volumegroupsnapshotclasses, "snapflow-hostpath")).toMatchObject({ driver: "hostpath.snapflow.dev", deletionPolicy: "Delete" });
      expect(await kube.get(RESOURCES.csidrivers, "hostpath.snapflow.dev")).toBeDefined();
      expect((await fetch(`${endpoints.gateway}/healthz`)).ok).toBe(true);
      expect((await fetch(`${endpoints.functions}/healthz`)).ok).toBe(true);

      firstUid = (await kube.create(RESOURCES.persistentvolumeclaims, pvc("first"))).metadata.uid!;
    } finally {
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
    expect(stdout).toContain("stopped");
    expect(existsSync(join(dataDir, "ready"))).toBe(false);
  });

  it("a second start on the same dir keeps every object, the streams and the consumers", async () => {
    stack = await startStack({ dataDir, functions: allFunctions, randomPorts: true, clusterName: "uptest" });
    expect(existsSync(join(dataDir, "ready"))).toBe(true);
    const kube = createKubeClient(stack.endpoints.kubeconfig);
    const first = await kube.get(RESOURCES.persistentvolumeclaims, "first", "default");
    expect(first?.metadata.uid).toBe(firstUid);
    const jsm = await jetstreamManager(stack.nc);
    const info = await jsm.streams.info(K8S_STREAM, { subjects_filter: "snapflow.uptest.k8s.persistentvolumeclaims.*" });
    streamMessages = info.state.messages;
    expect(Object.keys(info.state.subjects ?? {})).toContain(`snapflow.uptest.k8s.persistentvolumeclaims.${firstUid}`);
    const consumers = await jsm.consumers.list(K8S_STREAM).next();
    expect(consumers.map((c) => c.name)).toEqual(expect.arrayContaining(allFunctions.flatMap((fn) => fn.resources.map((r) => `uptest_${fn.name}_${r}`))));
    expect(streamMessages).toBeGreaterThan(0);

    // The pipeline runs on the resumed stack: a new VolumeSnapshot reaches bind, which audits it.
    const snap = await kube.create<KubeObject>(RESOURCES.volumesnapshots, {
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshot",
      metadata: { name: "snap", namespace: "default" },
      spec: { source: { persistentVolumeClaimName: "first" } },
    } as KubeObject);
    const entries: AuditEntry[] = [];
    await waitFor("bind's audit record for the new snapshot", async () => {
      entries.length = 0;
      await readAudit(stack!.nc, { cluster: "uptest", uid: snap.metadata.uid }, (e) => entries.push(e));
      return entries.some((e) => e.function === "bind");
    });
    await expect(startStack({ dataDir, functions: allFunctions, randomPorts: true })).rejects.toThrow(/in use by another snapflow up/);
    expect(entries.find((e) => e.function === "bind")).toMatchObject({ cluster: "uptest", uid: snap.metadata.uid, name: "snap", namespace: "default" });
    await stack.stop();
    stack = undefined;
    expect(existsSync(join(dataDir, "ready"))).toBe(false);
  });

  it("uses an existing cluster (--kubeconfig) and NATS (--nats) instead of starting its own", async () => {
    const nats = await startTestNats();
    const cluster = await startDevCluster({ dataDir: join(dir, "external-cluster") });
    const externalDir = join(dir, "external");
    try {
      stack = await startStack({ dataDir: externalDir, functions: allFunctions, randomPorts: true, clusterName: "ext", kubeconfig: cluster.kubeconfigPath, natsUrl: nats.url });
      expect(stack.endpoints).toMatchObject({ kubeconfig: cluster.kubeconfigPath, api: cluster.url, nats: nats.url, cluster: "ext" });
      expect(existsSync(join(externalDir, "nats"))).toBe(false);
      expect(existsSync(join(externalDir, "cluster"))).toBe(false);
      // Someone else's cluster gets no default classes pointing at our local driver.
      expect(await createKubeClient(cluster.kubeconfigPath).get(RESOURCES.storageclasses, "standard")).toBeUndefined();
      await stack.stop();
      stack = undefined;
    } finally {
      await stack?.stop();
      stack = undefined;
      await cluster.close();
      await nats.close();
    }
  });
});
