// `snapflow up` (also `npm start`): the whole local stack in one process tree (DESIGN "Local stack contract").
import type { Command } from "commander";
import { relative } from "node:path";
import { parseDuration } from "../../events/audit/reader.js";
import { NatsServerMissingError } from "../stack/nats-server.js";
import { untilSignal } from "../stack/signals.js";
import type { RunningStack } from "../stack/stack.js";

/** Fixed ports without --random-ports (the same as cli/stack/stack.ts FIXED_PORTS, kept here so that
 * loading the CLI does not load the whole stack). */
export const PORTS = { api: 6443, nats: 4222, gateway: 7480, functions: 7481 } as const;

interface UpOptions {
  dataDir: string;
  randomPorts?: boolean;
  clusterName: string;
  kubeconfig?: string;
  nats?: string;
  resync: string;
}

/** Relative to the working directory when below it, else absolute: whatever is shorter to paste. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" ? "." : rel.startsWith("..") ? path : rel;
}

function summary(stack: RunningStack): string {
  const e = stack.endpoints;
  const dir = shown(stack.dataDir);
  const kubeconfig = shown(e.kubeconfig);
  return [
    `snapflow is up in ${(stack.startupMs / 1000).toFixed(1)} s (cluster "${e.cluster}", data in ${dir}/)`,
    `  api        ${e.api}`,
    `  nats       ${e.nats}`,
    `  gateway    ${e.gateway}   (token in ${dir}/gateway.token)`,
    `  functions  ${e.functions}/<name>`,
    `  hostpath   unix://${e.hostpathSocket}`,
    "",
    "Next:",
    `  export KUBECONFIG=${kubeconfig}`,
    "  kubectl get storageclass,volumesnapshotclass,volumegroupsnapshotclass",
    "  kubectl apply -f <a PVC>, then a VolumeSnapshot of it",
    `  snapflow audit --follow --data-dir ${dir}`,
    "",
    "Ctrl-C stops everything; `snapflow up` on the same directory resumes.",
  ].join("\n");
}

export function register(program: Command): void {
  program
    .command("up")
    .description("start the local stack: dev cluster, nats-server, hostpath driver, gateway, watcher, dispatcher and every function")
    .option("--data-dir <dir>", "everything the stack stores lives here", ".snapflow")
    .option("--random-ports", `listen on free loopback ports (default: api ${PORTS.api}, nats ${PORTS.nats}, gateway ${PORTS.gateway}, functions ${PORTS.functions})`)
    .option("--cluster-name <name>", "cluster name in event subjects, sources and audit records", "local")
    .option("--kubeconfig <path>", "use this cluster instead of the embedded dev cluster")
    .option("--nats <url>", "use this NATS (with JetStream) instead of spawning nats-server")
    .option("--resync <duration>", "re-emit every watched object this often (0 disables)", "10m")
    .action(async (o: UpOptions) => {
      // Listen before starting: a signal during start-up stops the stack as soon as it is up.
      const stopSignal = untilSignal();
      let stack: RunningStack;
      try {
        // Loaded here, not at the top: every other subcommand starts faster without the whole stack.
        const [{ startStack }, { allFunctions }] = await Promise.all([import("../stack/stack.js"), import("../functions.js")]);
        stack = await startStack({
          dataDir: o.dataDir,
          functions: allFunctions,
          randomPorts: o.randomPorts,
          clusterName: o.clusterName,
          kubeconfig: o.kubeconfig,
          natsUrl: o.nats,
          resyncIntervalMs: o.resync === "0" ? 0 : parseDuration(o.resync),
        });
      } catch (err) {
        process.stderr.write(`snapflow up: ${err instanceof NatsServerMissingError ? err.message : (err as Error).message}\n`);
        process.exit(1);
      }
      process.stdout.write(`${summary(stack)}\n`);
      const signal = await stopSignal;
      process.stdout.write(`\n${signal}: stopping ...\n`);
      await stack.stop();
      process.stdout.write("stopped\n");
    });
}
