// Parent side of the function worker (cli/stack/function-worker.ts): forks it, hands it its
// configuration over IPC, and offers the same Dispatcher face (stats, drain) the in-process
// dispatcher has. The stats are the child's, refreshed every 250 ms and once more after the drain.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Dispatcher, FunctionStats } from "../../events/dispatcher/index.js";
import type { Log } from "../../shared/log.js";
import type { FunctionWorkerConfig, WorkerMessage } from "./function-worker.js";

const ENTRY = fileURLToPath(new URL("./worker-entry.mjs", import.meta.url));
/** A drain finishes the calls in flight (each bounded by the dispatcher's call timeout, 60 s). */
const DRAIN_LIMIT_MS = 75_000;
const START_LIMIT_MS = 60_000;

export interface FunctionProcess {
  functionsUrl: string;
  pid: number;
  /** Stats mirror the child's dispatcher; drain() stops the child gracefully. */
  dispatcher: Dispatcher;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

export async function startFunctionProcess(config: FunctionWorkerConfig, log: Log): Promise<FunctionProcess> {
  // Profiling flags carry over so `node --cpu-prof bin/snapflow.mjs up` profiles both processes;
  // nothing else does (a test runner's loader flags have no business in the child).
  const execArgv = process.execArgv.filter((a) => /^--(cpu|heap)-prof/.test(a));
  const child = fork(ENTRY, [], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv, serialization: "json" });
  child.on("error", (err) => log.warn({ component: "function worker", err: String(err) }, "function worker channel error"));
  const stats: Record<string, FunctionStats> = {};
  const update = (next: Record<string, FunctionStats>) => {
    for (const [name, s] of Object.entries(next)) stats[name] = Object.assign(stats[name] ?? ({} as FunctionStats), s);
  };
  let draining = false;
  let drained: Promise<void> | undefined;

  const functionsUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`function worker not ready after ${START_LIMIT_MS} ms`)), START_LIMIT_MS);
    const onMessage = (m: WorkerMessage) => {
      if (m.type === "ready") {
        cleanup();
        resolve(m.functionsUrl);
      } else if (m.type === "failed") fail(new Error(`function worker: ${m.error}`));
    };
    const onExit = (code: number | null, signal: string | null) => fail(new Error(`function worker exited during start-up (${signal ?? `code ${code}`})`));
    const fail = (err: Error) => {
      cleanup();
      child.kill("SIGKILL");
      reject(err);
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
    child.send({ type: "start", config }, (err) => err && fail(err));
  });

  child.on("message", (m: WorkerMessage) => {
    if (m.type === "stats" || m.type === "drained") update(m.stats);
  });
  child.once("exit", (code, signal) => {
    if (!draining) log.error({ component: "function worker", pid: child.pid, code, signal }, "function worker exited; functions are not being called");
  });

  return {
    functionsUrl,
    pid: child.pid!,
    dispatcher: {
      stats,
      drain() {
        draining = true;
        return (drained ??= (async () => {
          // The child may be on its way out already (Ctrl-C reaches it too): a closed channel is fine.
          if (child.connected) child.send({ type: "drain" }, () => undefined);
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([exited(child), new Promise((r) => (timer = setTimeout(r, DRAIN_LIMIT_MS)))]);
          clearTimeout(timer);
          if (child.exitCode === null && child.signalCode === null) {
            log.warn({ component: "function worker", pid: child.pid }, "function worker did not stop in time; killing it");
            child.kill("SIGKILL");
            await exited(child);
          }
        })());
      },
    },
  };
}
