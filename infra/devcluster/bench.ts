// The dev cluster benchmark: create/update throughput with 10 watchers attached, watch delivery
// latency (write sent → event parsed by each watcher), and the server's RSS at 20,000 stored objects,
// persistence on. The server runs as its own process (`snapflow cluster`), as in real use.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { Agent, request } from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface ClusterBenchOptions {
  watchers: number;
  /** Objects created (then each updated once) in the timed phases. */
  writes: number;
  concurrency: number;
  /** Total stored objects at which RSS is measured. */
  fillTo: number;
}

export interface ClusterBenchResult {
  benchmark: "cluster";
  timestamp: string;
  machine: { cpus: number; node: string; loadAverage1m: number };
  persistence: "wal+fdatasync (group commit)";
  watchers: number;
  concurrency: number;
  create: { writes: number; seconds: number; writesPerSecond: number };
  update: { writes: number; seconds: number; writesPerSecond: number };
  /** Server CPU per write (both timed phases, including fan-out to the watchers). */
  serverCpuMsPerWrite: number;
  watchDelivery: { events: number; p50Ms: number; p99Ms: number; maxMs: number };
  memory: { storedObjects: number; rssMB: number; dataDirMB: number };
  targets: { writesPerSecond: 1000; p99WatchMs: 50; rssMB: 200 };
  met: { writesPerSecond: boolean; p99WatchMs: boolean; rssMB: boolean };
}

const NS = "bench";
const now = () => performance.timeOrigin + performance.now();

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function rssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

/** User+system CPU seconds a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function dirSizeMB(dir: string): number {
  let total = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else total += statSync(p).size;
    }
  };
  walk(dir);
  return Math.round((total / 1024 / 1024) * 10) / 10;
}

async function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
  // The server runs alone in its process (not the whole CLI), so its RSS is the dev cluster's.
  // SNAPFLOW_BENCH_SERVER_NODE_ARGS adds node flags to the server (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
  const extra = (process.env.SNAPFLOW_BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter((a) => a.length > 0);
  const child = spawn(process.execPath, [...extra, "--import", "tsx", join(root, "infra/devcluster/serve.ts"), dataDir, "0"], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const ready = join(dataDir, "ready");
  for (let i = 0; i < 600 && !existsSync(ready); i++) {
    if (child.exitCode !== null) throw new Error("the dev cluster exited before it was ready");
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!existsSync(ready)) throw new Error("the dev cluster did not become ready");
  return { child, url: readFileSync(ready, "utf8").trim() };
}

/** Runs `total` calls of `fn` with at most `concurrency` in flight. */
async function pool(total: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await fn(next++);
    }),
  );
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One request over a kept-alive connection (node:http is lighter than fetch for the load generator). */
function call(url: string, method: string, body: unknown, contentType = "application/json"): Promise<void> {
  const payload = JSON.stringify(body);
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { method, agent, headers: { "content-type": contentType, "content-length": Buffer.byteLength(payload) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c));
      res.on("end", () => {
        if ((res.statusCode ?? 500) >= 300) reject(new Error(`${method} ${url}: ${res.statusCode} ${text.slice(0, 200)}`));
        else resolvePromise();
      });
    });
    req.on("error", reject);
    req.end(payload);
  });
}

const SENT_AT = /"bench\.snapflow\.dev\/sent-at":"([0-9.]+)"/;

function configMap(name: string, sentAt: number): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, labels: { app: "bench", shard: String(name.length % 4) }, annotations: { "bench.snapflow.dev/sent-at": String(sentAt) } },
    data: { payload: "x".repeat(400), note: `object ${name}` },
  };
}

interface Watcher {
  latencies: number[];
  close(): void;
  done: Promise<void>;
}

function watch(url: string): Watcher {
  const ctrl = new AbortController();
  const latencies: number[] = [];
  const done = (async () => {
    const res = await fetch(url, { signal: ctrl.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    try {
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) return;
        buf += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          // The stamp is read straight from the line: parsing every object would make the load
          // generator, not the server, the bottleneck.
          const m = SENT_AT.exec(line);
          if (m) latencies.push(now() - Number(m[1]));
        }
      }
    } catch (e) {
      if ((e as Error).name !== "AbortError") throw e;
    }
  })();
  return { latencies, close: () => ctrl.abort(), done: done.catch(() => undefined) };
}

export async function runClusterBench(opts: ClusterBenchOptions): Promise<ClusterBenchResult> {
  const dataDir = mkdtempSync(join(tmpdir(), "snapflow-bench-cluster-"));
  const { child, url } = await startServer(dataDir);
  try {
    await call(`${url}/api/v1/namespaces`, "POST", { metadata: { name: NS } });
    const base = `${url}/api/v1/namespaces/${NS}/configmaps`;
    const rv = await (await fetch(base)).json().then((l: any) => l.metadata.resourceVersion as string);
    const watchers = Array.from({ length: opts.watchers }, () => watch(`${base}?watch=true&resourceVersion=${rv}`));

    const cpu0 = cpuSeconds(child.pid!);
    let t0 = now();
    await pool(opts.writes, opts.concurrency, (i) => call(base, "POST", configMap(`obj-${i}`, now())));
    const createSeconds = (now() - t0) / 1000;

    t0 = now();
    await pool(opts.writes, opts.concurrency, (i) =>
      call(`${base}/obj-${i}`, "PATCH", { metadata: { annotations: { "bench.snapflow.dev/sent-at": String(now()) } }, data: { note: `updated ${i}` } }, "application/merge-patch+json"),
    );
    const updateSeconds = (now() - t0) / 1000;
    const serverCpu = cpuSeconds(child.pid!) - cpu0;

    // Every watcher must have seen every write before latencies are final.
    const expected = opts.writes * 2;
    for (let i = 0; i < 400 && watchers.some((w) => w.latencies.length < expected); i++) await new Promise((r) => setTimeout(r, 25));
    for (const w of watchers) w.close();
    await Promise.all(watchers.map((w) => w.done));
    const latencies = watchers.flatMap((w) => w.latencies).sort((a, b) => a - b);

    const fill = Math.max(0, opts.fillTo - opts.writes);
    await pool(fill, opts.concurrency, (i) => call(base, "POST", configMap(`fill-${i}`, now())));
    const list = (await (await fetch(`${base}?limit=1`)).json()) as { metadata: { remainingItemCount?: number } };
    const stored = (list.metadata.remainingItemCount ?? 0) + 1;
    await new Promise((r) => setTimeout(r, 500));
    const rss = rssMB(child.pid!);

    const writesPerSecond = Math.round(opts.writes / createSeconds);
    const updatesPerSecond = Math.round(opts.writes / updateSeconds);
    const p99 = Math.round(percentile(latencies, 99) * 100) / 100;
    return {
      benchmark: "cluster",
      timestamp: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version, loadAverage1m: Math.round(loadavg()[0] * 100) / 100 },
      persistence: "wal+fdatasync (group commit)",
      watchers: opts.watchers,
      concurrency: opts.concurrency,
      create: { writes: opts.writes, seconds: Math.round(createSeconds * 1000) / 1000, writesPerSecond },
      update: { writes: opts.writes, seconds: Math.round(updateSeconds * 1000) / 1000, writesPerSecond: updatesPerSecond },
      serverCpuMsPerWrite: Math.round(((serverCpu * 1000) / (opts.writes * 2)) * 1000) / 1000,
      watchDelivery: {
        events: latencies.length,
        p50Ms: Math.round(percentile(latencies, 50) * 100) / 100,
        p99Ms: p99,
        maxMs: Math.round((latencies[latencies.length - 1] ?? 0) * 100) / 100,
      },
      memory: { storedObjects: stored, rssMB: rss, dataDirMB: dirSizeMB(dataDir) },
      targets: { writesPerSecond: 1000, p99WatchMs: 50, rssMB: 200 },
      met: { writesPerSecond: Math.min(writesPerSecond, updatesPerSecond) >= 1000, p99WatchMs: p99 <= 50, rssMB: rss <= 200 },
    };
  } finally {
    agent.destroy();
    child.kill("SIGTERM");
    await new Promise<void>((r) => (child.exitCode !== null ? r() : child.once("exit", () => r())));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function writeClusterBench(result: ClusterBenchResult, file: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
}
