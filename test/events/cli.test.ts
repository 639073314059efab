// `snapflow watch` and `snapflow dispatch` as separate processes, the production shape: the watcher
// publishes what the dev cluster does, the dispatcher delivers it over HTTP to a function elsewhere.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevCluster, type DevCluster } from "../../infra/devcluster/index.js";
import type { KubeObject } from "../../shared/api/meta.js";
import { RESOURCES } from "../../shared/api/resources.js";
import { createKubeClient } from "../../shared/kube/http-client.js";
import { startTestNats, type TestNats } from "../support/nats.js";
import { testFunctionApp } from "./function-app.js";
import { waitFor } from "./wait.js";

const ROOT = new URL("../../", import.meta.url).pathname;
let dir: string;
let nats: TestNats;
let cluster: DevCluster;
let server: ServerType;
let functionUrl: string;
const fn = testFunctionApp("bind", () => ({ status: 200, did: ["looked"] }));
const children: ChildProcess[] = [];

function start(args: string[]): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, ["bin/snapflow.mjs", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, output: () => output };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "snapflow-cli-"));
  nats = await startTestNats();
  cluster = await startDevCluster({ dataDir: join(dir, "cluster") });
  await new Promise<void>((resolve) => {
    server = serve({ fetch: fn.app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => {
      functionUrl = `http://127.0.0.1:${info.port}/bind`;
      resolve();
    });
  });
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await new Promise((r) => server?.close(r));
  await cluster?.close();
  await nats?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("snapflow watch + snapflow dispatch", () => {
  // Two CLI processes start here (tsx loads each: several seconds on a busy 2-core machine).
  it("carry a cluster change to a function over HTTP, and stop cleanly on SIGTERM", { timeout: 150_000 }, async () => {
    const common = ["--nats", nats.url, "--cluster-name", "clitest", "--data-dir", join(dir, "none")];
    const watch = start(["watch", "--kubeconfig", cluster.kubeconfigPath, ...common]);
    const dispatch = start(["dispatch", "--function", `bind=${functionUrl}`, ...common]);
    try {
      await waitFor("watcher and dispatcher up", () => watch.output().includes('"watching"') && dispatch.output().includes('"dispatching"'), 110_000);
      const snap = await createKubeClient(cluster.kubeconfigPath).create<KubeObject>(RESOURCES.volumesnapshots, {
        apiVersion: "snapshot.storage.k8s.io/v1",
        kind: "VolumeSnapshot",
        metadata: { name: "via-cli", namespace: "default" },
        spec: { source: { persistentVolumeClaimName: "data" } },
      } as KubeObject);
      await waitFor("delivery to the function", () => fn.received.some((r) => r.event.attributes.subject === snap.metadata.uid), 30_000);
      const received = fn.received.find((r) => r.event.attributes.subject === snap.metadata.uid)!;
      expect(received.event.attributes).toMatchObject({ source: "/clusters/clitest", cluster: "clitest", name: "via-cli", type: "dev.snapflow.k8s.volumesnapshots.added" });
    } finally {
      watch.child.kill("SIGTERM");
      dispatch.child.kill("SIGTERM");
    }
    expect(await watch.exited).toBe(0);
    expect(await dispatch.exited).toBe(0);
    expect(dispatch.output()).toContain('"draining"');
  });

});
