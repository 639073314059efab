// Watcher microbenchmark: CPU of the watcher process (watcher + JetStream publisher) per object
// change. The dev cluster and the writer run in other processes, so process.cpuUsage() of the
// watcher process counts only what the watcher itself costs.
//
//   node --import tsx bench/watcher.ts [--objects 5000] [--prof FILE.cpuprofile]
//
// Phases (each N changes of PersistentVolumeClaims): create, patch (a label), delete. Then a
// resync() of the N objects that remain from a fourth phase (re-create) is measured too, and a
// sparse phase (1,000 patches one at a time, 3 ms apart: one change per wake-up). A warm-up
// (1,000 creates and deletes) comes first; --prof profiles the four watch phases.
import { fork, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SELF = fileURLToPath(import.meta.url);

type ToChild = { cmd: "start"; kubeconfig: string; natsUrl: string; prof?: string } | { cmd: "measure"; expect: number } | { cmd: "resync" } | { cmd: "profile-start" } | { cmd: "profile-stop" } | { cmd: "stop" };
type FromChild = { kind: "ready" } | { kind: "ok" } | { kind: "measured"; cpuUs: number; sysUs: number; events: number; ms: number; writes: number } | { kind: "error"; message: string };

async function child(): Promise<void> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const { jetstream, jetstreamManager } = await import("@nats-io/jetstream");
  const { connectNats, ensureStreams } = await import("../events/jetstream/index.js");
  const { EventPublisher } = await import("../events/watcher/publisher.js");
  const { startWatcher } = await import("../events/watcher/watcher.js");
  let stop: () => Promise<void> = async () => undefined;
  let emittedTotal: () => number = () => 0;
  let published: () => number = () => 0;
  let resync: () => number = () => 0;
  let idle: () => Promise<void> = async () => undefined;
  const send = (m: FromChild) => process.send!(m);
  // Per-thread CPU (Linux): the main thread vs V8's compiler/GC helpers and libuv's pool.
  const { readdirSync, readFileSync } = await import("node:fs");
  const threads = (): Map<string, number> => {
    const out = new Map<string, number>();
    try {
      for (const tid of readdirSync("/proc/self/task")) {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
        const comm = tid === String(process.pid) ? "main" : stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")).replace(/[0-9]+$/, "");
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        out.set(comm, (out.get(comm) ?? 0) + Number(f[11]) + Number(f[12]));
      }
    } catch {
      // not Linux
    }
    return out;
  };
  // Socket writes (to NATS, mostly): on loopback each costs the sender both ends of the TCP stack.
  const net = await import("node:net");
  let writes = 0;
  const write = net.Socket.prototype.write;
  net.Socket.prototype.write = function (this: unknown, ...args: unknown[]) {
    writes++;
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as typeof write;
  const { Session } = await import("node:inspector/promises");
  const { writeFileSync } = await import("node:fs");
  let session: InstanceType<typeof Session> | undefined;
  let profPath: string | undefined;
  process.on("message", async (m: ToChild) => {
    try {
      if (m.cmd === "profile-start") {
        if (profPath) {
          session = new Session();
          session.connect();
          await session.post("Profiler.enable");
          await session.post("Profiler.start");
        }
        send({ kind: "ok" });
      } else if (m.cmd === "profile-stop") {
        if (session && profPath) {
          const { profile } = await session.post("Profiler.stop");
          writeFileSync(profPath, JSON.stringify(profile));
        }
        send({ kind: "ok" });
      } else if (m.cmd === "start") {
        profPath = m.prof;
        const nc = await connectNats(m.natsUrl, "bench-watcher");
        await ensureStreams(await jetstreamManager(nc));
        const kc = new KubeConfig();
        kc.loadFromFile(m.kubeconfig);
        // SNAPFLOW_BENCH_NO_PUBLISH=1: a publisher that only counts (the list+watch side alone).
        const real = new EventPublisher(jetstream(nc));
        const publisher = process.env.SNAPFLOW_BENCH_NO_PUBLISH
          ? (Object.assign(Object.create(real), { enqueue: () => real.stats.published++, idle: async () => undefined, stop: () => real.stop() }) as typeof real)
          : real;
        const watcher = startWatcher({ kubeConfig: kc, publisher, cluster: "benchw", resources: ["persistentvolumeclaims"], resyncIntervalMs: 0 });
        await watcher.ready;
        emittedTotal = () => Object.values(watcher.stats.emitted).reduce((a, b) => a + b, 0);
        published = () => publisher.stats.published + publisher.stats.duplicates;
        resync = () => watcher.resync();
        idle = () => publisher.idle();
        stop = async () => {
          await watcher.stop();
          publisher.stop();
          await nc.close();
        };
        send({ kind: "ready" });
      } else if (m.cmd === "measure" || m.cmd === "resync") {
        const before = published();
        const writes0 = writes;
        const threads0 = threads();
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const expect = m.cmd === "resync" ? resync() : m.expect;
        while (published() - before < expect) await sleep(20);
        await idle();
        const cpu = process.cpuUsage(cpu0);
        if (process.env.SNAPFLOW_BENCH_THREADS) {
          const t1 = threads();
          console.error("threads (ticks)", JSON.stringify(Object.fromEntries([...t1].map(([k, v]) => [k, v - (threads0.get(k) ?? 0)]).filter(([, v]) => (v as number) > 0))));
        }
        send({ kind: "measured", cpuUs: cpu.user + cpu.system, sysUs: cpu.system, events: published() - before, ms: performance.now() - t0, writes: writes - writes0 });
      } else if (m.cmd === "stop") {
        await stop();
        process.exit(0);
      }
    } catch (err) {
      send({ kind: "error", message: String((err as Error)?.stack ?? err) });
    }
  });
  void emittedTotal;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const objects = Number(arg("--objects") ?? 5000);
  const prof = arg("--prof");
  const { startNatsServer } = await import("../cli/stack/nats-server.js");
  const { createKubeClient } = await import("../shared/kube/http-client.js");
  const { RESOURCES } = await import("../shared/api/resources.js");
  const dir = mkdtempSync(join(tmpdir(), "snapflow-bench-watcher-"));
  const children: ChildProcess[] = [];
  try {
    const clusterDir = join(dir, "cluster");
    const cluster = spawn(process.execPath, [join(ROOT, "bin", "snapflow.mjs"), "cluster", "--data-dir", clusterDir, "--random-ports"], { stdio: ["ignore", "ignore", "inherit"] });
    children.push(cluster);
    while (!existsSync(join(clusterDir, "ready"))) await sleep(50);
    const kubeconfig = join(clusterDir, "kubeconfig");
    const nats = await startNatsServer({ dir: join(dir, "nats") });
    const execArgv = ["--import", "tsx", ...(process.env.SNAPFLOW_BENCH_PRELOAD ? ["--import", process.env.SNAPFLOW_BENCH_PRELOAD] : [])];
    const w = fork(SELF, ["--child"], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    children.push(w);
    const next = () =>
      new Promise<FromChild>((resolve) =>
        w.once("message", (m: FromChild) => {
          if (m.kind === "error") throw new Error(m.message);
          resolve(m);
        }),
      );
    const ask = async (m: ToChild) => {
      const reply = next();
      w.send(m);
      return reply;
    };
    await ask({ cmd: "start", kubeconfig, natsUrl: nats.url, prof });

    const kube = createKubeClient(kubeconfig);
    const type = RESOURCES.persistentvolumeclaims;
    const names = Array.from({ length: objects }, (_, i) => `w-${i}`);
    const all = async (fn: (name: string) => Promise<unknown>, list = names) => {
      let i = 0;
      await Promise.all(Array.from({ length: 16 }, async () => {
        while (i < list.length) await fn(list[i++]!);
      }));
    };
    const pvc = (name: string) => ({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name, namespace: "default", labels: { app: "bench" } }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: "bench-none" } });
    const phases: Record<string, { events: number; cpuMs: number; usPerEvent: number; seconds: number; writesPerEvent: number; sysUsPerEvent: number }> = {};
    const phase = async (label: string, write: (name: string) => Promise<unknown>, list = names) => {
      const measured = ask({ cmd: "measure", expect: list.length });
      await all(write, list);
      const m = (await measured) as Extract<FromChild, { kind: "measured" }>;
      phases[label] = { events: m.events, cpuMs: Math.round(m.cpuUs / 1000), usPerEvent: Math.round(m.cpuUs / m.events), seconds: Math.round(m.ms) / 1000, writesPerEvent: Math.round((100 * m.writes) / m.events) / 100, sysUsPerEvent: Math.round(m.sysUs / m.events) };
      console.error(label, phases[label]);
    };
    // Warm-up (not reported): the JIT and the connections, on other names.
    const warm = names.slice(0, Math.min(1000, objects)).map((n) => `warm-${n}`);
    await phase("warmup", (n) => kube.create(type, pvc(n)), warm);
    await phase("warmup", (n) => kube.delete(type, n, "default"), warm);
    delete phases.warmup;
    // SNAPFLOW_BENCH_PROFILE=sparse: --prof covers the sparse phase only.
    const profileSparse = process.env.SNAPFLOW_BENCH_PROFILE === "sparse";
    if (!profileSparse) await ask({ cmd: "profile-start" });
    await phase("create", (n) => kube.create(type, pvc(n)));
    await phase("patch", (n) => kube.patch(type, n, "default", { metadata: { labels: { tier: "gold" } } }, "merge"));
    await phase("delete", (n) => kube.delete(type, n, "default"));
    await phase("recreate", (n) => kube.create(type, pvc(n)));
    // Sparse: one change at a time, 3 ms apart (as in the pipeline, where changes rarely come in bursts).
    const sparse = names.slice(0, Math.min(1000, objects));
    if (profileSparse) await ask({ cmd: "profile-start" });
    {
      const measured = ask({ cmd: "measure", expect: sparse.length });
      for (const n of sparse) {
        await kube.patch(type, n, "default", { metadata: { labels: { tier: "silver" } } }, "merge");
        await sleep(3);
      }
      const m = (await measured) as Extract<FromChild, { kind: "measured" }>;
      phases.sparse = { events: m.events, cpuMs: Math.round(m.cpuUs / 1000), usPerEvent: Math.round(m.cpuUs / m.events), seconds: Math.round(m.ms) / 1000, writesPerEvent: Math.round((100 * m.writes) / m.events) / 100, sysUsPerEvent: Math.round(m.sysUs / m.events) };
      console.error("sparse", phases.sparse);
    }
    await ask({ cmd: "profile-stop" });
    const r = (await ask({ cmd: "resync" })) as Extract<FromChild, { kind: "measured" }>;
    phases.resync = { events: r.events, cpuMs: Math.round(r.cpuUs / 1000), usPerEvent: Math.round(r.cpuUs / Math.max(1, r.events)), seconds: Math.round(r.ms) / 1000, writesPerEvent: Math.round((100 * r.writes) / Math.max(1, r.events)) / 100, sysUsPerEvent: Math.round(r.sysUs / Math.max(1, r.events)) };
    const watchEvents = ["create", "patch", "delete", "recreate"].reduce((a, k) => a + phases[k]!.events, 0);
    const watchCpu = ["create", "patch", "delete", "recreate"].reduce((a, k) => a + phases[k]!.cpuMs, 0);
    console.log(JSON.stringify({ benchmark: "watcher", objects, phases, watchUsPerChange: Math.round((watchCpu * 1000) / watchEvents) }, null, 2));
    w.send({ cmd: "stop" });
    await new Promise((resolve) => w.once("exit", resolve));
    kube.close();
    await nats.stop();
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
    await sleep(200);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes("--child")) void child();
else await main();
