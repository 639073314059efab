// `snapflow function NAME --port N ...`: one function alone (the production shape: one function per
// Knative Service / OpenFaaS function). `snapflow functions --port N ...`: the host with every function.
// Both run until SIGINT/SIGTERM and print one JSON line with the base URL once listening.
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import type { FunctionDeps } from "../../shared/function/app.js";
import { startFunctionServer, type FunctionServer } from "../../shared/function/server.js";
import type { Logger, SnapflowFunction } from "../../shared/function/types.js";
import { createGatewayClient } from "../../shared/gateway/client.js";
import { GatewayError, type GatewayClient } from "../../shared/gateway/types.js";
import { createKubeClient, type HttpKubeClient } from "../../shared/kube/http-client.js";
import type { KubeClient } from "../../shared/kube/types.js";
import { createLogger } from "../../shared/log.js";
import { allFunctions } from "../functions.js";
import { untilSignal } from "../stack/signals.js";
import { snapshotMetricsRegistry } from "../../shared/snapshot/metrics.js";

export interface ServeFunctionsOptions {
  port: number;
  host?: string;
  /** Default: KUBECONFIG / ~/.kube/config / in-cluster. */
  kubeconfig?: string;
  /** The cluster name events must carry (unset: any). */
  clusterName?: string;
  /** Multi-cluster: NAME=KUBECONFIG entries; with them, --kubeconfig needs --cluster-name to join in. */
  clusters?: string[];
  gateway?: string;
  gatewayTokenFile?: string;
  maxBodyBytes?: number;
  env?: NodeJS.ProcessEnv;
  /** Default: JSON lines on stdout. */
  log?: Logger;
}

export interface ServedFunctions extends FunctionServer {
  /** Closes the server, then the API connections. */
  stop(): Promise<void>;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--port: not a port number: ${value}`);
  return n;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`not a positive integer: ${value}`);
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** A gateway for deployments without one: every call fails, saying what to configure. */
function missingGateway(): GatewayClient {
  const fail = async (): Promise<never> => {
    throw new GatewayError("UNAVAILABLE", "no driver gateway configured: pass --gateway URL (or set SNAPFLOW_GATEWAY_URL)");
  };
  return {
    capabilities: fail,
    createVolume: fail,
    deleteVolume: fail,
    expandVolume: fail,
    createSnapshot: fail,
    getSnapshot: fail,
    listSnapshots: fail,
    deleteSnapshot: fail,
    createGroupSnapshot: fail,
    getGroupSnapshot: fail,
    deleteGroupSnapshot: fail,
  };
}

async function gatewayToken(file: string | undefined, env: NodeJS.ProcessEnv): Promise<string> {
  const token = file ? (await readFile(file, "utf8")).trim() : env.SNAPFLOW_GATEWAY_TOKEN?.trim();
  if (!token) throw new Error(file ? `gateway token file ${file} is empty` : "no gateway token: pass --gateway-token-file FILE or set SNAPFLOW_GATEWAY_TOKEN");
  return token;
}

/** Builds the deps from CLI-style options and starts the host (also used by tests). */
export async function serveFunctions(functions: SnapflowFunction[], options: ServeFunctionsOptions): Promise<ServedFunctions> {
  const env = options.env ?? process.env;
  const kubes: HttpKubeClient[] = [];
  let kubeDeps: Pick<FunctionDeps, "kube" | "kubeFor" | "clusterName">;
  if (options.clusters && options.clusters.length > 0) {
    const kubeFor: Record<string, KubeClient> = {};
    for (const entry of options.clusters) {
      const eq = entry.indexOf("=");
      if (eq <= 0 || eq === entry.length - 1) throw new Error(`--cluster: expected NAME=KUBECONFIG, got "${entry}"`);
      const name = entry.slice(0, eq);
      if (kubeFor[name]) throw new Error(`--cluster: "${name}" given twice`);
      const client = createKubeClient(entry.slice(eq + 1));
      kubes.push(client);
      kubeFor[name] = client;
    }
    if (options.kubeconfig || options.clusterName) {
      if (!options.clusterName) throw new Error("--kubeconfig together with --cluster needs --cluster-name for it");
      if (kubeFor[options.clusterName]) throw new Error(`--cluster-name "${options.clusterName}" is also given with --cluster`);
      const client = createKubeClient(options.kubeconfig);
      kubes.push(client);
      kubeFor[options.clusterName] = client;
    }
    kubeDeps = { kubeFor };
  } else {
    const client = createKubeClient(options.kubeconfig);
    kubes.push(client);
    kubeDeps = { kube: client, ...(options.clusterName ? { clusterName: options.clusterName } : {}) };
  }

  const gatewayUrl = options.gateway ?? env.SNAPFLOW_GATEWAY_URL;
  const gateway = gatewayUrl
    ? createGatewayClient({ baseUrl: gatewayUrl, token: await gatewayToken(options.gatewayTokenFile, env) })
    : missingGateway();
  const log = options.log ?? createLogger({ name: "functions" });
  const server = await startFunctionServer(functions, { ...kubeDeps, gateway, log, maxBodyBytes: options.maxBodyBytes }, { port: options.port, host: options.host, metricsRegistries: [snapshotMetricsRegistry] });
  return {
    ...server,
    async stop() {
      await server.close();
      for (const k of kubes) k.close();
    },
  };
}

/** The registered function called `name`; the error lists the known ones. */
export function functionNamed(name: string, functions: SnapflowFunction[] = allFunctions): SnapflowFunction {
  const fn = functions.find((f) => f.name === name);
  if (fn) return fn;
  const known = functions.map((f) => f.name).join(", ");
  throw new Error(`unknown function "${name}"; ${known ? `known: ${known}` : "no functions are registered"}`);
}

function addServeOptions(command: Command): Command {
  return command
    .option("--port <n>", "TCP port (0 = any free port; default: $PORT, else 8080)", port)
    .option("--host <addr>", "address to listen on", "127.0.0.1")
    .option("--kubeconfig <file>", "cluster to work on (default: KUBECONFIG, ~/.kube/config, in-cluster)")
    .option("--cluster-name <name>", "accept only events of this cluster (default: any)")
    .option("--cluster <name=kubeconfig>", "serve several clusters: repeat per cluster", collect, [] as string[])
    .option("--gateway <url>", "driver gateway base URL (default: $SNAPFLOW_GATEWAY_URL)")
    .option("--gateway-token-file <file>", "file with the gateway bearer token (default: $SNAPFLOW_GATEWAY_TOKEN)")
    .option("--max-body-bytes <n>", "largest accepted event (default 3 MiB)", positive);
}

interface CliOptions {
  port?: number;
  host: string;
  kubeconfig?: string;
  clusterName?: string;
  cluster: string[];
  gateway?: string;
  gatewayTokenFile?: string;
  maxBodyBytes?: number;
}

async function run(functions: SnapflowFunction[], cli: CliOptions): Promise<void> {
  const envPort = process.env.PORT ? port(process.env.PORT) : undefined;
  const served = await serveFunctions(functions, {
    port: cli.port ?? envPort ?? 8080,
    host: cli.host,
    kubeconfig: cli.kubeconfig,
    clusterName: cli.clusterName,
    clusters: cli.cluster,
    gateway: cli.gateway,
    gatewayTokenFile: cli.gatewayTokenFile,
    maxBodyBytes: cli.maxBodyBytes,
  });
  process.stdout.write(`${JSON.stringify({ functions: served.url, names: functions.map((f) => f.name) })}\n`);
  await untilSignal();
  await served.stop();
}

export function register(program: Command): void {
  addServeOptions(
    program
      .command("function")
      .argument("<name>", "function to serve")
      .description("serve one function: POST / (and POST /<name>) takes its CloudEvents; /healthz, /metrics"),
  ).action(async (name: string, cli: CliOptions) => {
    await run([functionNamed(name)], cli);
  });

  addServeOptions(
    program.command("functions").description("serve every function: POST /<name> per function; /healthz, /metrics"),
  ).action(async (cli: CliOptions) => {
    await run(allFunctions, cli);
  });
}
