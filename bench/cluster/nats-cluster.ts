// A JetStream cluster of nats-server processes on loopback (routes between them, one store each),
// for the distributed proofs: any node can be killed with SIGKILL and started again on the same
// ports and store, as a crashed pod would be.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { connect } from "@nats-io/transport-node";
import { findNatsServer, NatsServerMissingError } from "../../cli/stack/nats-server.js";
import { freePort } from "../support/ports.js";
import { exited } from "../support/process.js";

export interface NatsNode {
  name: string;
  url: string;
  clientPort: number;
  routePort: number;
  pid(): number | undefined;
  alive(): boolean;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** Starts the node again on its ports and store. */
  start(): Promise<void>;
}

export interface NatsCluster {
  nodes: NatsNode[];
  urls: string[];
  stop(): Promise<void>;
}

/** Waits until the node answers a client connection (its JetStream may still be electing). */
async function answers(url: string, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    try {
      const nc = await connect({ servers: url, reconnect: false, timeout: 1_000 });
      await nc.close();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`nats node ${url} did not answer: ${(err as Error).message}`);
      await sleep(100);
    }
  }
}

export async function startNatsCluster(options: { dir: string; size?: number; clusterName?: string }): Promise<NatsCluster> {
  const binary = findNatsServer();
  if (!binary) throw new NatsServerMissingError();
  const size = options.size ?? 3;
  const ports = await Promise.all(Array.from({ length: size * 2 }, () => freePort()));
  const specs = Array.from({ length: size }, (_, i) => ({ name: `n${i + 1}`, clientPort: ports[i * 2]!, routePort: ports[i * 2 + 1]! }));
  const routes = specs.map((s) => `nats-route://127.0.0.1:${s.routePort}`);

  const nodes: NatsNode[] = specs.map((spec) => {
    const dir = join(options.dir, spec.name);
    mkdirSync(join(dir, "jetstream"), { recursive: true });
    const config = join(dir, "nats.conf");
    writeFileSync(
      config,
      [
        `server_name: ${spec.name}`,
        `listen: 127.0.0.1:${spec.clientPort}`,
        `jetstream { store_dir: "${join(dir, "jetstream")}" }`,
        `cluster {`,
        `  name: ${options.clusterName ?? "snapflow"}`,
        `  listen: 127.0.0.1:${spec.routePort}`,
        `  routes: [${routes.filter((r) => !r.endsWith(`:${spec.routePort}`)).join(", ")}]`,
        `}`,
        `log_file: "${join(dir, "nats-server.log")}"`,
        "",
      ].join("\n"),
    );
    let child: ChildProcess | undefined;
    const url = `nats://127.0.0.1:${spec.clientPort}`;
    const node: NatsNode = {
      ...spec,
      url,
      pid: () => child?.pid,
      alive: () => child !== undefined && child.exitCode === null && child.signalCode === null,
      async kill() {
        if (!child || !node.alive()) return;
        child.kill("SIGKILL");
        await exited(child);
      },
      async start() {
        if (node.alive()) return;
        child = spawn(binary, ["-c", config], { stdio: ["ignore", "ignore", "ignore"] });
        child.once("error", () => undefined);
        await answers(url, 15_000);
      },
    };
    return node;
  });

  const stop = async () => {
    await Promise.all(
      nodes.map(async (n) => {
        await n.kill();
      }),
    );
  };
  try {
    await Promise.all(nodes.map((n) => n.start()));
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes, urls: nodes.map((n) => n.url), stop };
}

/** Waits until JetStream in the cluster has a meta leader (stream creation works from then on). */
export async function jetStreamReady(urls: string[], limitMs = 30_000): Promise<void> {
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const nc = await connect({ servers: urls });
  const deadline = Date.now() + limitMs;
  try {
    for (;;) {
      try {
        const jsm = await jetstreamManager(nc, { timeout: 2_000 });
        await jsm.getAccountInfo();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`JetStream cluster not ready: ${(err as Error).message}`);
        await sleep(200);
      }
    }
  } finally {
    await nc.close();
  }
}
