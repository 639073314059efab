// `snapflow dispatch`: the dispatcher alone, delivering to functions wherever they run (one URL each).
import type { Command } from "commander";
import { parseDuration } from "../../events/audit/reader.js";
import { startDispatcher, type FunctionTarget } from "../../events/dispatcher/index.js";
import { assertToken, connectNats, DEFAULT_DELIVERY_POLICY, ensureStreams } from "../../events/jetstream/index.js";
import { jetstreamManager } from "@nats-io/jetstream";
import { createLogger } from "../../shared/log.js";
import { loadDescriptor } from "../../infra/deploy/descriptor.js";
import { WATCHED_RESOURCES } from "../../shared/api/resources.js";
import { dispatchTarget } from "../dispatch-target.js";
import { allFunctions } from "../functions.js";
import { readEndpoints, resolveNatsUrl } from "../stack/endpoints.js";
import { untilSignal } from "../stack/signals.js";

interface DispatchOptions {
  nats?: string;
  clusterName: string;
  functionsUrl?: string;
  function: string[];
  concurrency?: string;
  ackWait: string;
  maxDeliver: string;
  dataDir: string;
  sink?: string;
  sinkFromEnv?: boolean;
}

/** The Knative bridge: every watched resource to one sink (a Broker's address, K_SINK from a SinkBinding). */
export function sinkTarget(url: string, concurrency: number): FunctionTarget {
  return { name: "sink", url: new URL(url).toString(), resources: WATCHED_RESOURCES, concurrency };
}

/** Calls in flight per function as serverless.yml describes them (empty without the file; an invalid one is an error). */
function describedConcurrency(): Map<string, number> {
  try {
    return new Map(loadDescriptor().functions.map((f) => [f.name, f.concurrency]));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return new Map();
    throw err;
  }
}

/**
 * NAME=URL pairs; resources come from each function's own `resources`; concurrency, unless given,
 * from serverless.yml (else 16).
 */
export function functionTargets(o: { functionsUrl?: string; function: string[]; concurrency?: number }): FunctionTarget[] {
  const described = o.concurrency === undefined ? describedConcurrency() : new Map<string, number>();
  const known = new Map(allFunctions.map((fn) => [fn.name, fn]));
  const urls = new Map<string, string>();
  if (o.functionsUrl) for (const name of known.keys()) urls.set(name, `${o.functionsUrl.replace(/\/$/, "")}/${name}`);
  for (const pair of o.function) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new Error(`--function expects NAME=URL, got "${pair}"`);
    const name = pair.slice(0, eq);
    if (!known.has(name)) throw new Error(`unknown function "${name}" (known: ${[...known.keys()].join(", ")})`);
    urls.set(name, new URL(pair.slice(eq + 1)).toString());
  }
  if (urls.size === 0) throw new Error("no functions to deliver to: give --functions-url BASE or --function NAME=URL");
  return [...urls].map(([name, url]) => dispatchTarget(known.get(name)!, url, { concurrency: o.concurrency ?? described.get(name) ?? 16 }));
}

export function register(program: Command): void {
  program
    .command("dispatch")
    .description("deliver events from NATS JetStream to functions over HTTP (binary-mode CloudEvents)")
    .option("--nats <url>", "NATS URL (default: $NATS_URL, else the local stack's, else nats://127.0.0.1:4222)")
    .option("--cluster-name <name>", "cluster whose events to deliver", "local")
    .option("--functions-url <base>", "every function at BASE/<name> (default: the local stack's function host when no --function)")
    .option("--function <name=url>", "one function's URL (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--concurrency <n>", "calls in flight per function (default: its concurrency in serverless.yml)")
    .option("--ack-wait <duration>", "ack wait per delivery (heartbeats extend it)", "30s")
    .option("--max-deliver <n>", "deliveries before a message is dead-lettered", String(DEFAULT_DELIVERY_POLICY.maxDeliver))
    .option("--data-dir <dir>", "local stack directory (for defaults from endpoints.json)", ".snapflow")
    .option("--sink <url>", "deliver every event to this one URL instead of functions (e.g. a Knative Broker)")
    .option("--sink-from-env", "like --sink, with the URL from $K_SINK (a Knative SinkBinding sets it)")
    .action(async (o: DispatchOptions) => {
      const cluster = assertToken("cluster name", o.clusterName);
      const sink = o.sink ?? (o.sinkFromEnv ? process.env.K_SINK : undefined);
      if (o.sinkFromEnv && !sink) throw new Error("--sink-from-env: K_SINK is not set (is the SinkBinding applied?)");
      const functionsUrl = o.functionsUrl ?? (o.function.length === 0 && !sink ? readEndpoints(o.dataDir)?.functions : undefined);
      const concurrency = o.concurrency === undefined ? undefined : Number(o.concurrency);
      if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency <= 0)) throw new Error(`--concurrency must be a positive integer, got ${o.concurrency}`);
      const targets = sink ? [sinkTarget(sink, concurrency ?? 16)] : functionTargets({ functionsUrl, function: o.function, concurrency });
      const log = createLogger({ name: "snapflow-dispatcher", base: { cluster } });
      const nc = await connectNats(resolveNatsUrl(o.nats, o.dataDir), "snapflow-dispatcher");
      await ensureStreams(await jetstreamManager(nc));
      const policy = { ...DEFAULT_DELIVERY_POLICY, ackWaitMs: parseDuration(o.ackWait), maxDeliver: Number(o.maxDeliver) };
      const dispatcher = await startDispatcher({ nc, cluster, functions: targets, policy, log });
      log.info({ functions: targets.map((t) => `${t.name} → ${t.url}`) }, "dispatching");
      const signal = await untilSignal();
      log.info({ signal }, "draining");
      await dispatcher.drain();
      await nc.drain();
    });
}
