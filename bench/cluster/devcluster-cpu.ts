// The dev cluster's CPU per request, by verb, on snapshot-shaped traffic: VolumeSnapshot creates
// (CEL-validated CRD writes), GETs, LISTs, merge patches, status PUTs and status merge patches,
// deletes, with watchers attached (as the watcher's informers are). The server runs alone in its own
// process; its user+system CPU (from /proc) is read around each phase.
//   node --import tsx bench/cluster/devcluster-cpu.ts [--n 2000] [--watchers 3] [--concurrency 8]
// SNAPFLOW_BENCH_SERVER_NODE_ARGS adds node flags to the server (e.g. "--cpu-prof --cpu-prof-dir=DIR").
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { n: { type: "string", default: "2000" }, watchers: { type: "string", default: "3" }, concurrency: { type: "string", default: "8" } },
});
const N = Number(values.n);
const WATCHERS = Number(values.watchers);
const CONCURRENCY = Number(values.concurrency);

function cpuMs(pid: number): number {
  const [u, s] = userSys(pid);
  return u + s;
}

/** User and system CPU milliseconds of a process so far. */
function userSys(pid: number): [number, number] {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return [Number(f[11]) * 10, Number(f[12]) * 10];
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function call(url: string, method = "GET", body?: unknown, contentType = "application/json"): Promise<string> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string | number> = { accept: "application/json" };
  if (payload !== undefined) {
    headers["content-type"] = contentType;
    headers["content-length"] = Buffer.byteLength(payload);
  }
  return new Promise((ok, fail) => {
    const req = request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        if ((res.statusCode ?? 500) >= 300) fail(new Error(`${method} ${url}: ${res.statusCode} ${text.slice(0, 300)}`));
        else ok(text);
      });
    });
    req.on("error", fail);
    req.end(payload);
  });
}

async function pool(total: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < total) await fn(next++);
    }),
  );
}

function watch(url: string): { lines: () => number; close: () => void } {
  const ctrl = new AbortController();
  let lines = 0;
  void (async () => {
    const res = await fetch(url, { signal: ctrl.signal });
    const reader = res.body!.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        for (const b of value) if (b === 10) lines++;
      }
    } catch {
      // aborted
    }
  })().catch(() => undefined);
  return { lines: () => lines, close: () => ctrl.abort() };
}

const root = process.env.SNAPFLOW_DEVCLUSTER_ROOT ?? resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const dataDir = mkdtempSync(join(tmpdir(), "snapflow-devcluster-cpu-"));
const extra = (process.env.SNAPFLOW_BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter((a) => a.length > 0);
const child = spawn(process.execPath, [...extra, "--import", "tsx", join(root, "infra/devcluster/serve.ts"), dataDir, "0"], { cwd: root, stdio: ["ignore", process.env.SNAPFLOW_BENCH_SERVER_STDOUT ? "inherit" : "ignore", "inherit"] });
try {
  const ready = join(dataDir, "ready");
  for (let i = 0; i < 600 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 50));
  const url = readFileSync(ready, "utf8").trim();
  const pid = child.pid!;
  await call(`${url}/api/v1/namespaces`, "POST", { metadata: { name: "bench" } });
  const base = `${url}/apis/snapshot.storage.k8s.io/v1/namespaces/bench/volumesnapshots`;
  const all = `${url}/apis/snapshot.storage.k8s.io/v1/volumesnapshots`;
  const rv = (JSON.parse(await call(all)) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const watchers = Array.from({ length: WATCHERS }, () => watch(`${all}?watch=true&allowWatchBookmarks=true&resourceVersion=${rv}`));
  const results: Record<string, number> = {};
  const phase = async (name: string, total: number, fn: (i: number) => Promise<unknown>) => {
    const [u0, s0] = userSys(pid);
    const c0 = u0 + s0;
    const t0 = performance.now();
    await pool(total, fn);
    const ms = performance.now() - t0;
    // Let the watch fan-out of this phase finish before reading the CPU.
    await new Promise((r) => setTimeout(r, 200));
    const cpu = cpuMs(pid) - c0;
    const sys = userSys(pid)[1] - s0;
    results[name] = Math.round((cpu / total) * 1000);
    const line = `${name.padEnd(14)} ${String(results[name]).padStart(5)} µs CPU/request (${Math.round((sys / total) * 1000)} system)  ${Math.round(total / (ms / 1000))}/s`;
    process.stdout.write(`${line}\n`);
  };
  const vs = (i: number) => ({
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshot",
    metadata: { name: `snap-${i}`, namespace: "bench", labels: { app: "bench" }, annotations: { "bench.snapflow.dev/i": String(i) } },
    spec: { volumeSnapshotClassName: "snapflow-hostpath", source: { persistentVolumeClaimName: `pvc-${i % 50}` } },
  });
  const objs: any[] = [];
  await phase("create", N, async (i) => (objs[i] = JSON.parse(await call(base, "POST", vs(i)))));
  // Three rounds of GETs: the later ones show the warm (JIT-compiled) cost.
  for (const round of ["get", "get#2", "get#3"]) await phase(round, N, (i) => call(`${base}/snap-${i}`));
  await phase("list(ns,50)", Math.max(1, Math.floor(N / 20)), () => call(`${base}?limit=50`));
  await phase("patch", N, async (i) => (objs[i] = JSON.parse(await call(`${base}/snap-${i}`, "PATCH", { metadata: { finalizers: ["snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection"] } }, "application/merge-patch+json"))));
  await phase("put status", N, async (i) => {
    const o = objs[i];
    o.status = { boundVolumeSnapshotContentName: `snapcontent-${o.metadata.uid}`, readyToUse: false };
    objs[i] = JSON.parse(await call(`${base}/snap-${i}/status`, "PUT", o));
  });
  // Three rounds of status patches (each changes the object): the later ones show the warm cost.
  for (const [round, size] of [["patch status", "1Gi"], ["patch status#2", "2Gi"], ["patch status#3", "3Gi"]])
    await phase(round, N, (i) =>
      call(`${base}/snap-${i}/status`, "PATCH", { status: { readyToUse: true, restoreSize: size, creationTime: "2026-01-01T00:00:00Z" } }, "application/merge-patch+json"),
    );
  await phase("put", N, async (i) => {
    const o = JSON.parse(await call(`${base}/snap-${i}`));
    o.metadata.annotations["bench.snapflow.dev/put"] = "yes";
    return call(`${base}/snap-${i}`, "PUT", o);
  });
  await phase("delete", N, (i) => call(`${base}/snap-${i}`, "DELETE"));
  await new Promise((r) => setTimeout(r, 300));
  process.stdout.write(`watch lines per watcher: ${watchers.map((w) => w.lines()).join(", ")}\n`);
  for (const w of watchers) w.close();
  process.stdout.write(`${JSON.stringify(results)}\n`);
  // Where the server's CPU went, by thread (main, libuv pool, V8 GC helpers, ...).
  const threads = new Map<string, number>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, "utf8");
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const f = stat.split(") ")[1].split(" ");
    threads.set(`${comm}#${t === String(pid) ? "main" : t}`, (Number(f[11]) + Number(f[12])) * 10);
  }
  process.stdout.write(`server CPU ms by thread: ${JSON.stringify(Object.fromEntries(threads))}\n`);
} finally {
  agent.destroy();
  child.kill("SIGTERM");
  await new Promise<void>((r) => (child.exitCode !== null ? r() : child.once("exit", () => r())));
  rmSync(dataDir, { recursive: true, force: true });
}
