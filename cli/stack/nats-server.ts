// Spawns the distribution's nats-server with JetStream, its store in a directory we own. Used by
// `snapflow up` and by tests (test/support/nats.ts).
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

/**
 * A nats-server left running on this store by a parent that died without stopping it (kill -9) holds
 * the store and the port: stop it. Only a process whose command line names this very store is touched.
 */
async function stopOrphan(pidFile: string, storeDir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, "utf8").trim());
  } catch {
    return;
  }
  let cmdline = "";
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    // not running (or no /proc): nothing to stop
  }
  if (Number.isInteger(pid) && pid > 0 && cmdline.includes("nats-server") && cmdline.includes(storeDir)) {
    process.kill(pid, "SIGKILL");
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      await sleep(20);
    }
  }
  rmSync(pidFile, { force: true });
}

export async function startNatsServer(options: NatsServerOptions): Promise<NatsServerHandle> {
  const binary = findNatsServer();
  if (!binary) throw new NatsServerMissingError();
  const host = options.host ?? "127.0.0.1";
  const storeDir = join(options.dir, "jetstream");
  const runDir = join(options.dir, "run");
  mkdirSync(storeDir, { recursive: true });
  mkdirSync(runDir, { recursive: true });
  await stopOrphan(join(runDir, "nats-server.pid"), storeDir);
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
  const pidFile = join(runDir, "nats-server.pid");
  writeFileSync(pidFile, `${child.pid}\n`);
  child.once("exit", () => {
    try {
      if (readFileSync(pidFile, "utf8").trim() === String(child.pid)) rmSync(pidFile, { force: true });
    } catch {
      // already gone
    }
  });

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
