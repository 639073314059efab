// The function host and dispatcher of `snapflow up` run in a child process (cli/stack/function-worker.ts):
// it serves the functions endpoint, delivers events (its stats reach the parent), stops with the
// stack, and never outlives a `snapflow up` killed with SIGKILL.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { allFunctions } from "../../cli/functions.js";
import type { Endpoints } from "../../cli/stack/endpoints.js";
import { startStack, type RunningStack } from "../../cli/stack/stack.js";
import type { KubeObject } from "../../shared/api/meta.js";
import { RESOURCES } from "../../shared/api/resources.js";
import { createKubeClient } from "../../shared/kube/http-client.js";
import { waitFor } from "./wait.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "snapflow-up-worker-"));
let stack: RunningStack | undefined;
const spawned: number[] = [];

afterAll(async () => {
  await stack?.stop();
  for (const pid of spawned) if (alive(pid)) process.kill(pid, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

describe("snapflow up's function worker", () => {
  it("delivers events from its own process, reports its stats and stops with the stack", { timeout: 90_000 }, async () => {
    stack = await startStack({ dataDir: join(dir, "lib"), functions: allFunctions, randomPorts: true, clusterName: "worker" });
    const pid = stack.functionWorkerPid!;
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(process.pid);
    expect(alive(pid)).toBe(true);
    expect((await fetch(`${stack.endpoints.functions}/healthz`)).ok).toBe(true);

    const kube = createKubeClient(stack.endpoints.kubeconfig);
    try {
      await kube.create(RESOURCES.persistentvolumeclaims, {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "blank", namespace: "default" },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Mi" } } },
      } as KubeObject);
      // provision (in the worker) binds the claim; the parent sees the worker's delivery counts.
      await waitFor("the claim bound by provision", async () => (await kube.get<KubeObject & { status?: { phase?: string } }>(RESOURCES.persistentvolumeclaims, "blank", "default"))?.status?.phase === "Bound", 60_000);
      await waitFor("the worker's stats in the parent", () => (stack!.dispatcher.stats.provision?.acked ?? 0) > 0, 10_000);
    } finally {
      kube.close();
    }

    await stack.stop();
    stack = undefined;
    expect(alive(pid)).toBe(false);
  });

  it("exits when `snapflow up` is killed with SIGKILL", { timeout: 90_000 }, async () => {
    const dataDir = join(dir, "cli");
    const up = spawn(process.execPath, ["bin/snapflow.mjs", "up", "--data-dir", dataDir, "--random-ports", "--cluster-name", "killed"], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    spawned.push(up.pid!);
    let stderr = "";
    up.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<void>((resolve) => up.once("exit", () => resolve()));
    await waitFor("DIR/ready", () => existsSync(join(dataDir, "ready")) || up.exitCode !== null, 80_000);
    if (!existsSync(join(dataDir, "ready"))) throw new Error(`snapflow up exited before ready:\n${stderr}`);
    const endpoints = JSON.parse(readFileSync(join(dataDir, "endpoints.json"), "utf8")) as Endpoints;
    const children = childrenOf(up.pid!);
    spawned.push(...children);
    const worker = children.find((pid) => commandOf(pid).includes("worker-entry.mjs"));
    expect(worker, `children: ${children.map(commandOf).join(" | ")}`).toBeDefined();
    expect((await fetch(`${endpoints.functions}/healthz`)).ok).toBe(true);

    up.kill("SIGKILL");
    await exited;
    // The worker notices its parent is gone (the IPC channel closes), drains and exits.
    await waitFor("the orphaned worker to exit", () => !alive(worker!), 30_000);
    // nats-server, the killed process's other child, is left to afterAll.
  });
});
