// `snapflow function(s)`: the deps wiring in-process, and the real CLI process end to end.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeObject } from "../shared/api/meta.js";
import { RESOURCES } from "../shared/api/resources.js";
import type { AuditRecord } from "../shared/function/audit.js";
import { createKubeClient, type HttpKubeClient } from "../shared/kube/http-client.js";
import { functionNamed, serveFunctions } from "../cli/commands/function.js";
import { allFunctions } from "../cli/functions.js";
import { annotateFunction, MODE, SEEN } from "./support/annotate-function.js";
import { binaryEvent } from "./support/events.js";
import { startFakeApiServer, type FakeApiServer } from "./support/fake-apiserver.js";

const VS = RESOURCES.volumesnapshots;

let east: FakeApiServer;
let west: FakeApiServer;
let dir: string;
let eastConfig: string;
let westConfig: string;
let eastKube: HttpKubeClient;
let westKube: HttpKubeClient;

beforeAll(async () => {
  east = await startFakeApiServer();
  west = await startFakeApiServer();
  dir = await mkdtemp(join(tmpdir(), "snapflow-cli-fn-"));
  const e = await mkdtemp(join(dir, "east-"));
  const w = await mkdtemp(join(dir, "west-"));
  eastConfig = await east.kubeconfig(e);
  westConfig = await west.kubeconfig(w);
  eastKube = createKubeClient(eastConfig);
  westKube = createKubeClient(westConfig);
});

afterAll(async () => {
  eastKube?.close();
  westKube?.close();
  await east?.close();
  await west?.close();
  await rm(dir, { recursive: true, force: true });
});

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const create = (kube: HttpKubeClient, name: string, annotations: Record<string, string> = {}) =>
  kube.create(VS, { metadata: { name, namespace: "default", annotations }, spec: {} } as KubeObject);

describe("serveFunctions", () => {
  it("serves a function over HTTP for one named cluster", async () => {
    const served = await serveFunctions([annotateFunction], { port: 0, kubeconfig: eastConfig, clusterName: "east", env: {}, log: quiet });
    try {
      const obj = await create(eastKube, "one");
      const res = await fetch(`${served.url}/annotate`, binaryEvent(obj));
      expect(res.status).toBe(200);
      expect(((await res.json()) as AuditRecord).outcome).toBe("done");
      // The only function also answers at /.
      const other = await create(eastKube, "two");
      expect((await fetch(`${served.url}/`, binaryEvent(other))).status).toBe(200);
      const wrongCluster = await fetch(`${served.url}/annotate`, binaryEvent(other, { cluster: "west" }));
      expect(wrongCluster.status).toBe(422);
    } finally {
      await served.stop();
    }
  });

  it("without a gateway, gateway calls fail saying what to configure", async () => {
    const served = await serveFunctions([annotateFunction], { port: 0, kubeconfig: eastConfig, env: {}, log: quiet });
    try {
      const obj = await create(eastKube, "gw", { [MODE]: "gateway" });
      const res = await fetch(`${served.url}/annotate`, binaryEvent(obj));
      expect(res.status).toBe(500);
      const record = (await res.json()) as AuditRecord;
      expect(record.message).toContain("no driver gateway configured");
      expect(record.gatewayCalls).toEqual([expect.objectContaining({ operation: "createVolume", ok: false, code: "UNAVAILABLE" })]);
    } finally {
      await served.stop();
    }
  });

  it("serves several clusters with --cluster NAME=KUBECONFIG", async () => {
    const served = await serveFunctions([annotateFunction], {
      port: 0,
      clusters: [`west=${westConfig}`],
      kubeconfig: eastConfig,
      clusterName: "east",
      env: {},
      log: quiet,
    });
    try {
      const w = await create(westKube, "multi");
      const e = await create(eastKube, "multi");
      expect((await fetch(`${served.url}/annotate`, binaryEvent(w, { cluster: "west" }))).status).toBe(200);
      expect((await fetch(`${served.url}/annotate`, binaryEvent(e, { cluster: "east" }))).status).toBe(200);
      expect((await westKube.get(VS, "multi", "default"))?.metadata.annotations?.[SEEN]).toContain(w.metadata.uid);
      expect((await eastKube.get(VS, "multi", "default"))?.metadata.annotations?.[SEEN]).toContain(e.metadata.uid);
    } finally {
      await served.stop();
    }
  });

  it("rejects bad option combinations clearly", async () => {
    await expect(serveFunctions([annotateFunction], { port: 0, clusters: ["nameonly"], env: {}, log: quiet })).rejects.toThrow(/expected NAME=KUBECONFIG/);
    await expect(serveFunctions([annotateFunction], { port: 0, clusters: [`west=${westConfig}`], kubeconfig: eastConfig, env: {}, log: quiet })).rejects.toThrow(/needs --cluster-name/);
    await expect(serveFunctions([annotateFunction], { port: 0, kubeconfig: eastConfig, gateway: "http://127.0.0.1:1", env: {}, log: quiet })).rejects.toThrow(/no gateway token/);
    const empty = join(dir, "empty-token");
    await writeFile(empty, "\n");
    await expect(serveFunctions([annotateFunction], { port: 0, kubeconfig: eastConfig, gateway: "http://127.0.0.1:1", gatewayTokenFile: empty, env: {}, log: quiet })).rejects.toThrow(/is empty/);
  });
});

describe("snapflow functions (process)", () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  });

  function start(args: string[]): { child: ChildProcess; firstLine: Promise<string>; exit: Promise<number | null> } {
    const child = spawn(process.execPath, ["bin/snapflow.mjs", ...args], { cwd: process.cwd(), stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, SNAPFLOW_LOG_LEVEL: "warn" } });
    children.push(child);
    let err = "";
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    const lines = createInterface({ input: child.stdout! });
    const firstLine = new Promise<string>((resolve, reject) => {
      lines.once("line", resolve);
      child.once("exit", () => reject(new Error(`exited before printing: ${err}`)));
    });
    // Not every test waits for the first line (a refused start never prints one).
    firstLine.catch(() => undefined);
    const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    return { child, firstLine, exit };
  }

  it("starts, answers health and metrics, and stops on SIGTERM", async () => {
    const p = start(["functions", "--port", "0", "--kubeconfig", eastConfig]);
    const info = JSON.parse(await p.firstLine) as { functions: string; names: string[] };
    expect(info.functions).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.names).toEqual(allFunctions.map((f) => f.name));
    const health = await fetch(`${info.functions}/healthz`);
    expect(await health.json()).toEqual({ ok: true, functions: info.names });
    expect(await (await fetch(`${info.functions}/metrics`)).text()).toContain("snapflow_functions_process_");
    p.child.kill("SIGTERM");
    expect(await p.exit).toBe(0);
  });

  it("finds functions by name and refuses unknown ones, listing the known", () => {
    expect(functionNamed("annotate", [annotateFunction])).toBe(annotateFunction);
    expect(() => functionNamed("no-such-function", [annotateFunction])).toThrow('unknown function "no-such-function"; known: annotate');
    expect(() => functionNamed("x", [])).toThrow("no functions are registered");
  });
});
