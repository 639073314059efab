// What the chaos scripts (bench/chaos.ts, bench/chaos-provision.ts) share: a dev cluster and a
// nats-server as separate processes that survive, and `snapflow up` on top of them (watcher,
// dispatcher, function host, gateway and the hostpath driver it embeds) as the process that is
// killed with SIGKILL at random moments and restarted.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { KubeConfig, Watch } from "@kubernetes/client-node";
import { startNatsServer, type NatsServerHandle } from "../../cli/stack/nats-server.js";
import type { KubeObject } from "../../shared/api/meta.js";
import { createGatewayClient, type HttpGatewayClient } from "../../shared/gateway/client.js";
import { exited } from "./process.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/**
 * How long `snapflow up` lives between kills, after it answered ready: CHAOS_KILL_MS="min-max"
 * (default 500-2500). The pipeline now cuts 500 snapshots in a few seconds, so longer lives would
 * let most of a run pass without a single kill.
 */
export function killWindowMs(spec = process.env.CHAOS_KILL_MS ?? "500-2500"): { min: number; max: number } {
  const m = /^(\d+)-(\d+)$/.exec(spec.trim());
  const min = m ? Number(m[1]) : NaN;
  const max = m ? Number(m[2]) : NaN;
  if (!(min > 0 && max >= min)) throw new Error(`CHAOS_KILL_MS must be "min-max" in milliseconds with 0 < min <= max, got ${JSON.stringify(spec)}`);
  return { min, max };
}

export type ChaosLog = (line: string) => void;

function snapflow(args: string[]): ChildProcess {
  return spawn(process.execPath, [join(ROOT, "bin", "snapflow.mjs"), ...args], { stdio: ["ignore", "ignore", "inherit"] });
}

async function waitFile(file: string, child: ChildProcess, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!existsSync(file)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`process exited before ${file} appeared`);
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${file}`);
    await sleep(50);
  }
}

/** `snapflow up` on the surviving cluster and NATS, restartable after a SIGKILL. */
export class FunctionHost {
  child?: ChildProcess;
  kills = 0;
  constructor(
    readonly dataDir: string,
    private readonly kubeconfig: string,
    private readonly natsUrl: string,
    private readonly log: ChaosLog,
  ) {}

  /** Where the embedded hostpath driver keeps its volumes, snapshots and durable record (cli/stack/stack.ts). */
  get hostpathDataDir(): string {
    return join(this.dataDir, "hostpath", "data");
  }

  /** Starts `snapflow up`; a start that fails (a component slow to answer on a loaded machine) is retried. */
  async start(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await rm(join(this.dataDir, "ready"), { force: true });
      this.child = snapflow(["up", "--data-dir", this.dataDir, "--random-ports", "--kubeconfig", this.kubeconfig, "--nats", this.natsUrl, "--cluster-name", "chaos", "--resync", "30s"]);
      try {
        await waitFile(join(this.dataDir, "ready"), this.child, 60_000);
        return;
      } catch (err) {
        await this.stop();
        if (attempt >= 5) throw err;
        this.log(`start failed (${(err as Error).message}), retrying`);
      }
    }
  }

  async kill(): Promise<void> {
    if (!this.child) return;
    await this.halt();
    this.kills++;
  }

  /** SIGKILL for a pause the run asks for (not counted among the chaos kills). */
  async halt(): Promise<void> {
    if (!this.child) return;
    this.child.kill("SIGKILL");
    await exited(this.child);
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child?.kill("SIGKILL"), 15_000);
    await exited(this.child);
    clearTimeout(timer);
  }

  async gateway(): Promise<HttpGatewayClient> {
    const endpoints = JSON.parse(await readFile(join(this.dataDir, "endpoints.json"), "utf8")) as { gateway: string };
    const token = (await readFile(join(this.dataDir, "gateway.token"), "utf8")).trim();
    return createGatewayClient({ baseUrl: endpoints.gateway, token, timeoutMs: 60_000 });
  }
}

/**
 * Kills and restarts the host at random moments (killWindowMs after each restart) until stopped.
 * killSoon() cuts the current wait short, so that a run can make sure a kill lands at a moment it chose; with
 * `random: false` those are the only kills.
 */
export function startKiller(host: FunctionHost, log: ChaosLog, o: { random?: boolean } = {}): { stop(): Promise<void>; killSoon(): void } {
  let stopping = false;
  let wake: (() => void) | undefined;
  const nap = (ms: number) =>
    new Promise<void>((done) => {
      const timer = o.random === false ? undefined : setTimeout(done, ms);
      wake = () => {
        clearTimeout(timer);
        done();
      };
    });
  const window = killWindowMs();
  // A failure is kept and rethrown by stop(), never left as an unhandled rejection.
  const loop = (async () => {
    while (!stopping) {
      await nap(window.min + Math.random() * (window.max - window.min));
      wake = undefined;
      if (stopping) break;
      await host.kill();
      log(`kill -9 #${host.kills}`);
      await host.start();
    }
  })().then(
    () => undefined,
    (err: unknown) => err,
  );
  return {
    async stop() {
      stopping = true;
      wake?.();
      const err = await loop;
      if (err) throw err;
    },
    killSoon() {
      wake?.();
    },
  };
}

export interface ChaosStack {
  /** The surviving dev cluster's kubeconfig. */
  kubeconfig: string;
  host: FunctionHost;
  /** Stops the host, the dev cluster and nats-server (in that order). */
  close(): Promise<void>;
}

/**
 * Starts the dev cluster and nats-server as separate processes under `dir`, then `snapflow up` on
 * them. A failure on the way stops what was started.
 */
export async function startChaosStack(dir: string, log: ChaosLog): Promise<ChaosStack> {
  const clusterDir = join(dir, "cluster");
  const kubeconfig = join(clusterDir, "kubeconfig");
  const cluster = snapflow(["cluster", "--data-dir", clusterDir, "--random-ports"]);
  let nats: NatsServerHandle | undefined;
  let host: FunctionHost | undefined;
  const close = async () => {
    await host?.stop();
    cluster.kill("SIGTERM");
    await exited(cluster);
    await nats?.stop();
  };
  try {
    nats = await startNatsServer({ dir: join(dir, "nats") });
    host = new FunctionHost(join(dir, "stack"), kubeconfig, nats.url, log);
    await waitFile(join(clusterDir, "ready"), cluster, 60_000);
    await host.start();
    return { kubeconfig, host, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Counts, per object uid, how often `holds` became true (ready, Bound), from a watch of `path` on
 * the surviving API server: what the pipeline did, whatever it rolled back or redid meanwhile.
 */
export async function countTransitions<T extends KubeObject>(kubeconfig: string, path: string, holds: (obj: T) => boolean): Promise<{ times: Map<string, number>; stop(): void }> {
  const times = new Map<string, number>();
  const held = new Map<string, boolean>();
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const req = await new Watch(kc).watch(
    path,
    {},
    (_type: string, obj: T) => {
      const uid = obj.metadata?.uid;
      if (!uid) return;
      const now = holds(obj);
      if (now && !held.get(uid)) times.set(uid, (times.get(uid) ?? 0) + 1);
      held.set(uid, now);
    },
    () => undefined,
  );
  return { times, stop: () => req.abort() };
}
