// Watcher microbenchmark: CPU of the watcher process (watcher + JetStream publisher) per object
// change. The dev cluster and the writer run in other processes, so process.cpuUsage() of the
// watcher process counts only what the watcher itself costs.
//
//   node --import tsx bench/watcher.ts [--objects 5000] [--prof DIR]
//
// Phases (each N changes of PersistentVolumeClaims): create, patch (a label), delete. Then a
// resync() of the N objects that remain from a fourth phase (re-create) is measured too.
import { fork, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SELF = fileURLToPath(import.meta.url);

type ToChild = { cmd: "start"; kubeconfig: string; natsUrl: string } | { cmd: "measure"; expect: number } | { cmd: "resync" } | { cmd: "stop" };
type FromChild = { kind: "ready" } | { kind: "measured"; cpuUs: number; events: number; ms: number } | { kind: "error"; message: string };

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
  process.on("message", async (m: ToChild) => {
    try {
      if (m.cmd === "start") {
        const nc = await connectNats(m.natsUrl, "bench-watcher");
        await ensureStreams(await jetstreamManager(nc));
        const kc = new KubeConfig();
        kc.loadFromFile(m.kubeconfig);
        const publisher = new EventPublisher(jetstream(nc));
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
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const expect = m.cmd === "resync" ? resync() : m.expect;
        while (published() - before < expect) await sleep(2);
        await idle();
        const cpu = process.cpuUsage(cpu0);
        send({ kind: "measured", cpuUs: cpu.user + cpu.system, events: published() - before, ms: performance.now() - t0 });
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
    const execArgv = ["--import", "tsx", ...(prof ? ["--cpu-prof", "--cpu-prof-dir", prof] : [])];
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
    await ask({ cmd: "start", kubeconfig, natsUrl: nats.url });

    const kube = createKubeClient(kubeconfig);
    const type = RESOURCES.persistentvolumeclaims;
    const names = Array.from({ length: objects }, (_, i) => `w-${i}`);
    const all = async (fn: (name: string) => Promise<unknown>) => {
      let i = 0;
      await Promise.all(Array.from({ length: 16 }, async () => {
        while (i < names.length) await fn(names[i++]!);
      }));
    };
    const pvc = (name: string) => ({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name, namespace: "default", labels: { app: "bench" } }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: "bench-none" } });
    const phases: Record<string, { events: number; cpuMs: number; usPerEvent: number; seconds: number }> = {};
    const phase = async (label: string, write: (name: string) => Promise<unknown>) => {
      const measured = ask({ cmd: "measure", expect: objects });
      await all(write);
      const m = (await measured) as Extract<FromChild, { kind: "measured" }>;
      phases[label] = { events: m.events, cpuMs: Math.round(m.cpuUs / 1000), usPerEvent: Math.round(m.cpuUs / m.events), seconds: Math.round(m.ms) / 1000 };
      console.error(label, phases[label]);
    };
    await phase("create", (n) => kube.create(type, pvc(n)));
    await phase("patch", (n) => kube.patch(type, n, "default", { metadata: { labels: { tier: "gold" } } }, "merge"));
    await phase("delete", (n) => kube.delete(type, n, "default"));
    await phase("recreate", (n) => kube.create(type, pvc(n)));
    const r = (await ask({ cmd: "resync" })) as Extract<FromChild, { kind: "measured" }>;
    phases.resync = { events: r.events, cpuMs: Math.round(r.cpuUs / 1000), usPerEvent: Math.round(r.cpuUs / Math.max(1, r.events)), seconds: Math.round(r.ms) / 1000 };
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
