// Spawns the distribution's nats-server with JetStream, its store in a directory we own. Used by
// `snapflow up` and by tests (test/support/nats.ts).
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const NATS_INSTALL_HINT = "nats-server is not installed. Install it with: sudo apt-get install nats-server";

export class NatsServerMissingError extends Error {
  constructor() {
    super(NATS_INSTALL_HINT);
    this.name = "NatsServerMissingError";
  }
}

/** The nats-server binary: on PATH, else /usr/sbin (Debian puts it there, often off a user's PATH). */
export function findNatsServer(): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(":").filter(Boolean), "/usr/sbin", "/usr/local/sbin"];
  for (const dir of dirs) {
    const candidate = join(dir, "nats-server");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface NatsServerOptions {
  /** JetStream store and run files live here. */
  dir: string;
  host?: string;
  /** Fixed port; omitted → a free one chosen by the server (-p -1). */
  port?: number;
  startTimeoutMs?: number;
}

export interface NatsServerHandle {
  url: string;
  port: number;
  pid: number;
  /** Graceful stop (SIGTERM → lame-duck exit), SIGKILL after a grace period. */
  stop(): Promise<void>;
  /** kill -9, for crash tests. */
  kill(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

export async function startNatsServer(options: NatsServerOptions): Promise<NatsServerHandle> {
  const binary = findNatsServer();
  if (!binary) throw new NatsServerMissingError();
  const host = options.host ?? "127.0.0.1";
  const storeDir = join(options.dir, "jetstream");
  const runDir = join(options.dir, "run");
  mkdirSync(storeDir, { recursive: true });
  mkdirSync(runDir, { recursive: true });
  for (const stale of readdirSync(runDir)) if (stale.endsWith(".ports")) rmSync(join(runDir, stale), { force: true });

  const args = ["-a", host, "-p", String(options.port ?? -1), "-js", "-sd", storeDir, "--ports_file_dir", runDir, "-l", join(options.dir, "nats-server.log")];
  const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    if (stderr.length < 4000) stderr += chunk.toString();
  });
  const spawnError = new Promise<never>((_, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => reject(new Error(`nats-server exited during start (code ${code}, signal ${signal}): ${stderr.trim()}`)));
  });
  spawnError.catch(() => undefined);

  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  const portsFile = join(runDir, `nats-server_${child.pid}.ports`);
  let url: string | undefined;
  while (!url) {
    try {
      const ports = JSON.parse(readFileSync(portsFile, "utf8")) as { nats?: string[] };
      url = ports.nats?.[0];
    } catch {
      // not written yet
    }
    if (url) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`nats-server did not start within ${options.startTimeoutMs ?? 10_000} ms: ${stderr.trim()}`);
    }
    await Promise.race([sleep(20), spawnError]);
  }
  child.removeAllListeners("exit");
  const port = Number(new URL(url).port);

  return {
    url,
    port,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited(child);
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await exited(child);
    },
  };
}
